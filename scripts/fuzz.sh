#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Open-ended fuzzing with libFuzzer + ASan/UBSan (clang). Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]
# The CTest `fuzz` label runs the same targets for a fixed number of inputs in every build.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
scripts/install-deps.sh build test
cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DPODTAP_GUI=OFF -DPODTAP_LIBFUZZER=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
shopt -s nullglob
targets=$(sed -n 's/^ *podtap_add_fuzzer(\([a-z_0-9]*\) .*CORPUS \([a-z_0-9]*\).*/\1:\2/p' \
    tests/fuzz/CMakeLists.txt tests/fuzz/*.fuzz.cmake)
[ -n "$targets" ] || { echo "fuzz.sh: found no podtap_add_fuzzer() targets" >&2; exit 1; }
for entry in $targets; do
    name=${entry%%:*}
    corpus=${entry##*:}
    cmake --build build-fuzz --target "$name"
    work=$(mktemp -d)
    cp -r "tests/fuzz/corpus/$corpus/." "$work/"
    echo "== $name for ${seconds}s"
    "build-fuzz/tests/fuzz/$name" -max_total_time="$seconds" -rss_limit_mb=2048 "$work"
    rm -rf "$work"
done
