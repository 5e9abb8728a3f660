# SPDX-License-Identifier: Apache-2.0
# The label selector grammar and the tap target forms (core/cluster/label_selector, workload_target).
podtap_add_fuzzer(fuzz_label_selector SOURCES fuzz_label_selector.cpp LIBS podtap_core CORPUS label_selector ITERATIONS 100000)
