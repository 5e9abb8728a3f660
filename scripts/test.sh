#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds with Ninja, and runs the whole test suite except benchmarks.
# Privileged tests (netns, tc) need root; as another user they skip, unless
# PODTAP_REQUIRE_PRIVILEGED=1 makes them fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh build test
build_dir=${PODTAP_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build_dir"
if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: not root, so privileged tests will skip; run 'sudo scripts/test.sh' to include them" >&2
fi
ctest --test-dir "$build_dir" --label-exclude bench --output-on-failure --parallel 2 "$@"
