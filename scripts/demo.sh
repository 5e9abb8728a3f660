#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds, and opens the podtap console.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh build demo
build_dir=${PODTAP_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build_dir"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ "${QT_QPA_PLATFORM:-}" != offscreen ]; then
    echo "demo.sh: there is no display to open the console on." >&2
    echo "  Run it inside a virtual display:   xvfb-run -a scripts/demo.sh" >&2
    echo "  or from a desktop session, or with X forwarding (ssh -X)." >&2
    exit 1
fi
exec "$build_dir/app/gui/podtap" "$@"
