#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds, starts kube-sim (a simulated cluster with a few namespaces and
# pods) and opens the podtap console on it. Everything it started stops when the console closes.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh build demo
build_dir=${PODTAP_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build_dir" --target podtap podtapctl podtap-agent podtap-sim

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ "${QT_QPA_PLATFORM:-}" != offscreen ]; then
    echo "demo.sh: there is no display to open the console on." >&2
    echo "  Run it inside a virtual display:   xvfb-run -a scripts/demo.sh" >&2
    echo "  or from a desktop session, or with X forwarding (ssh -X)." >&2
    exit 1
fi

work=$(mktemp -d)
sim_pid=
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "demo.sh: starting kube-sim with 4 namespaces, 3 nodes and 80 pods"
"$build_dir/tests/sim/podtap-sim" --kubeconfig-out "$work/kubeconfig" \
    --namespaces 4 --nodes 3 --pods 80 > "$work/sim.out" &
sim_pid=$!
for _ in $(seq 1 100); do
    grep -q '^ready ' "$work/sim.out" 2>/dev/null && break
    kill -0 "$sim_pid" 2>/dev/null || { echo "demo.sh: kube-sim exited early" >&2; exit 1; }
    sleep 0.1
done
grep -q '^ready ' "$work/sim.out" || { echo "demo.sh: kube-sim did not become ready in 10 s" >&2; exit 1; }
echo "demo.sh: kube-sim is serving at $(sed -n 's/^ready //p' "$work/sim.out")"
echo "demo.sh: try it from another shell too: kubectl --kubeconfig $work/kubeconfig get pods -A"
"$build_dir/app/gui/podtap" --kubeconfig "$work/kubeconfig" "$@"
