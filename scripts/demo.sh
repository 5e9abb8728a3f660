#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds, starts kube-sim (a simulated cluster with a few namespaces and
# pods) and opens the podtap console on it. Everything it started stops when the console closes.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh build demo
build_dir=${PODTAP_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build_dir" --target podtap podtapctl podtap-agent podtap-sim podtap-sim-pod

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ "${QT_QPA_PLATFORM:-}" != offscreen ]; then
    echo "demo.sh: there is no display to open the console on." >&2
    echo "  Run it inside a virtual display:   xvfb-run -a scripts/demo.sh" >&2
    echo "  or from a desktop session, or with X forwarding (ssh -X)." >&2
    exit 1
fi

# The rig makes real network namespaces, cgroups and processes for the simulated nodes and pods.
if [ "$(id -u)" -ne 0 ]; then
    echo "demo.sh: kube-sim's rig needs root; continuing with sudo" >&2
    export XAUTHORITY="${XAUTHORITY:-$HOME/.Xauthority}"
    exec sudo --preserve-env=DISPLAY,XAUTHORITY,WAYLAND_DISPLAY,XDG_RUNTIME_DIR,QT_QPA_PLATFORM,PODTAP_BUILD_DIR \
        "$0" "$@"
fi

work=$(mktemp -d)
sim_pid=
cleanup() {
    # SIGTERM lets the rig stop its agents and remove its namespaces before it exits.
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "demo.sh: starting kube-sim with its rig: 3 nodes, 3 namespaces, 24 pods that talk to each other"
"$build_dir/tests/sim/podtap-sim" --rig --describe-out "$work/rig.json" --kubeconfig-out "$work/kubeconfig" \
    --namespaces 3 --nodes 3 --pods 24 > "$work/sim.out" &
sim_pid=$!
for _ in $(seq 1 300); do
    grep -q '^ready ' "$work/sim.out" 2>/dev/null && break
    kill -0 "$sim_pid" 2>/dev/null || { echo "demo.sh: kube-sim exited early" >&2; exit 1; }
    sleep 0.1
done
grep -q '^ready ' "$work/sim.out" || { echo "demo.sh: kube-sim did not become ready in 30 s" >&2; exit 1; }
workstation=$(sed -n 's/.*"workstation_netns": "\([^"]*\)".*/\1/p' "$work/rig.json")
echo "demo.sh: kube-sim is serving at $(sed -n 's/^ready //p' "$work/sim.out")"
echo "demo.sh: the console runs in the network namespace $workstation, next to the simulated nodes."
echo "demo.sh: pick a pod, press Enter, choose tshark and Start: its packets appear in the session."
echo "demo.sh: from another shell: sudo ip netns exec $workstation kubectl --kubeconfig $work/kubeconfig get pods -A -o wide"
ip netns exec "$workstation" "$build_dir/app/gui/podtap" --kubeconfig "$work/kubeconfig" "$@"
