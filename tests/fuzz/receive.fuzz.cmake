# SPDX-License-Identifier: Apache-2.0
# The userspace receiver: tunnel datagrams through the demultiplexer into pcapng (core/receive).
podtap_add_fuzzer(fuzz_vxlan_pcapng SOURCES fuzz_vxlan_pcapng.cpp LIBS podtap_core CORPUS vxlan_pcapng ITERATIONS 50000)
