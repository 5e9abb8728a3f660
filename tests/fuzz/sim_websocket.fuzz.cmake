# SPDX-License-Identifier: Apache-2.0
# kube-sim's WebSocket frame parser (pods/exec): what a hostile client sends.
podtap_add_fuzzer(fuzz_sim_websocket SOURCES fuzz_sim_websocket.cpp ${PROJECT_SOURCE_DIR}/tests/sim/websocket.cpp CORPUS sim_websocket ITERATIONS 20000)
target_include_directories(fuzz_sim_websocket PRIVATE ${PROJECT_SOURCE_DIR}/tests/sim)
