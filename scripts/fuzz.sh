#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Open-ended fuzzing with libFuzzer + ASan/UBSan (clang).
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET [TARGET...]]   (default: 60 s each, every target)
# PODTAP_FUZZ_BUILD_DIR picks the build directory (default build-libfuzzer), PODTAP_FUZZ_JOBS the
# build jobs (default 2). A finding (crash-*, leak-*, timeout-*) stops the run and is written to
# <build dir>/fuzz-findings/<target>/.
# The CTest `fuzz` label runs the same targets for a fixed number of inputs in every build.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=${PODTAP_FUZZ_BUILD_DIR:-build-libfuzzer}
scripts/install-deps.sh build test
# The parsers live in libraries: instrument all code for coverage and the sanitizers, not only the
# targets, or libFuzzer runs blind and ASan never sees the parsers' memory.
sanitize="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer"
cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DPODTAP_GUI=OFF -DPODTAP_LIBFUZZER=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS="$sanitize" -DCMAKE_CXX_FLAGS="$sanitize"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
shopt -s nullglob
targets=$(sed -n 's/^ *podtap_add_fuzzer(\([a-z_0-9]*\) .*CORPUS \([a-z_0-9]*\).*/\1:\2/p' \
    tests/fuzz/CMakeLists.txt tests/fuzz/*.fuzz.cmake)
[ -n "$targets" ] || { echo "fuzz.sh: found no podtap_add_fuzzer() targets" >&2; exit 1; }
for entry in $targets; do
    name=${entry%%:*}
    corpus=${entry##*:}
    if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
        continue
    fi
    cmake --build "$build" --target "$name" --parallel "${PODTAP_FUZZ_JOBS:-2}"
    work=$(mktemp -d)
    cp -r "tests/fuzz/corpus/$corpus/." "$work/"
    echo "== $name for ${seconds}s"
    mkdir -p "$build/fuzz-findings/$name"
    "$build/tests/fuzz/$name" -max_total_time="$seconds" -rss_limit_mb=2048 \
        -artifact_prefix="$build/fuzz-findings/$name/" "$work"
    rm -rf "$work"
done
