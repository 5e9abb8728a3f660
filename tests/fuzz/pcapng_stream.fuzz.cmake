# SPDX-License-Identifier: Apache-2.0
# The incremental pcapng reader for an agent's exec stream (core/receive/pcapng_stream_reader).
podtap_add_fuzzer(fuzz_pcapng_stream SOURCES fuzz_pcapng_stream.cpp LIBS podtap_core CORPUS pcapng_stream ITERATIONS 50000)
