#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Flatpak from this tree and proves it as an operator meets it, as an ordinary user (as root
# `flatpak run` keeps every capability, which would hide the sandbox):
#  - the manifest, with only the runtime and SDK swapped for ones made from Debian (Flathub is not
#    reachable here; packaging/flatpak/make-debian-runtime.sh), builds with flatpak-builder;
#  - the console runs offscreen and opens its window under Xvfb;
#  - inside the sandbox there is no CAP_NET_ADMIN and AF_PACKET is refused;
#  - podtapctl inside lists the pods of kube-sim from the host's ~/.kube/config;
#  - a tap to "This machine" (the userspace receiver) captures the rig's marker flow;
#  - a kubeconfig exec credential plugin that only exists on the host runs through flatpak-spawn --host.
# Needs root (debootstrap, chroot, the kube-sim rig, a test user) and Debian's package mirror.
set -euo pipefail
build_dir=${PODTAP_BUILD_DIR:?}
source_dir=${PODTAP_SOURCE_DIR:?}
skip=77
if [ "$(id -u)" -ne 0 ]; then
    if [ "${PODTAP_REQUIRE_PRIVILEGED:-0}" = 1 ]; then
        echo "FAIL: the Flatpak test needs root (debootstrap, the kube-sim rig, a test user), and PODTAP_REQUIRE_PRIVILEGED=1 is set"
        exit 1
    fi
    echo "SKIP: the Flatpak test needs root (debootstrap, the kube-sim rig, a test user)"
    exit $skip
fi
step() { echo "== $*"; }
fail() { echo "FAIL: $*"; exit 1; }
for tool in flatpak flatpak-builder bwrap ostree dbus-run-session Xvfb xwininfo tshark setpriv python3 kubectl; do
    command -v "$tool" > /dev/null || fail "$tool is missing; run scripts/install-deps.sh test"
done
app=io.podtap.Podtap
sim=$build_dir/tests/sim/podtap-sim
[ -x "$sim" ] || fail "$sim is not built; build the podtap-sim target first"

started=$(date +%s)
cache=$build_dir/packaging-cache
runtime_repo=$cache/flatpak-debian-repo
step "the Debian runtime and SDK (cached in $cache)"
bash "$source_dir/packaging/flatpak/make-debian-runtime.sh" "$cache" "$runtime_repo" ||
    fail "could not make the Debian runtime and SDK"

# The test user: an ordinary account with no capabilities, made for this test and removed after it.
user=podtap-flatpak-test
created_user=0
if ! id "$user" > /dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
    created_user=1
fi
uid=$(id -u "$user")
gid=$(id -g "$user")

work=$(mktemp -d /var/tmp/podtap-flatpak-test.XXXXXX)
# The user builds, installs and runs everything here; root only adds the kube-sim files.
chmod 755 "$work"
chown "$uid:$gid" "$work"
home=$work/home
run=$work/run
mkdir -p "$home/.kube" "$run"
chmod 700 "$run"
chown -R "$uid:$gid" "$home" "$run"
sim_pid=
xvfb_pid=
system_bus_pid=
console_pid=
cleanup() {
    set +e
    [ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
    stop_group "$console_pid"
    stop_group "$xvfb_pid"
    stop_group "$system_bus_pid"
    # The user's Flatpak installation lives in $home: removing it removes the runtime and app installs.
    as_user flatpak --user uninstall --all -y --noninteractive > /dev/null 2>&1
    rm -rf "$work"
    if [ "$created_user" = 1 ]; then
        userdel "$user" || echo "could not remove the test user $user; its processes: $(ps -u "$user" -o pid=,cmd= 2>/dev/null)"
    fi
}
trap cleanup EXIT
# The user's own environment: its home, its runtime directory, nothing inherited from root.
user_env=(HOME="$home" XDG_RUNTIME_DIR="$run" PATH=/usr/bin:/bin LANG=C.UTF-8)
as_user() {
    setpriv --reuid="$uid" --regid="$gid" --init-groups env -i "${user_env[@]}" ${DISPLAY:+DISPLAY=$DISPLAY} "$@"
}
# A background program of the user in a process group of its own (setsid), so stop_group ends it with
# everything it started (the bus it activated services on, the sandbox).
bg_as_user() {
    local log=$1; shift
    setsid setpriv --reuid="$uid" --regid="$gid" --init-groups \
        env -i "${user_env[@]}" ${DISPLAY:+DISPLAY=$DISPLAY} "$@" > "$log" 2>&1 < /dev/null &
    bg_pid=$!
}
stop_group() {
    [ -n "$1" ] || return 0
    kill -TERM -- "-$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
# A session bus, as a desktop session has: flatpak run talks to it, and flatpak-spawn --host needs it.
# (Its bus daemon's activation notes are left out of the output.)
in_session() { as_user dbus-run-session -- "$@" 2> >(grep -v '^dbus-daemon\[' >&2); }
# Installing an app asks the system bus about parental controls; a machine without one (a container) gets a
# bare bus of its own for the test user, on which that service is simply absent, as on most desktops.
if [ ! -S /run/dbus/system_bus_socket ]; then
    user_env+=(DBUS_SYSTEM_BUS_ADDRESS="unix:path=$run/system_bus")
    bg_as_user "$work/system-bus.log" dbus-daemon --session --address="unix:path=$run/system_bus" --nofork
    system_bus_pid=$bg_pid
    for _ in $(seq 100); do [ -S "$run/system_bus" ] && break; sleep 0.1; done
    [ -S "$run/system_bus" ] || { cat "$work/system-bus.log"; fail "the stand-in system bus did not start"; }
fi

step "installing the runtime and SDK for $user (flatpak --user)"
as_user flatpak --user remote-add --no-gpg-verify podtap-debian "$runtime_repo"
as_user flatpak --user install -y --noninteractive podtap-debian \
    io.podtap.DebianPlatform//12 io.podtap.DebianSdk//12 > "$work/install.log" 2>&1 ||
    { cat "$work/install.log"; fail "the runtime from $runtime_repo did not install for $user"; }

step "flatpak-builder: the manifest on the Debian runtime"
python3 "$source_dir/packaging/flatpak/ci-manifest.py" "$source_dir/packaging/flatpak/$app.yml" "$source_dir" \
    "$work/$app.json" || fail "could not write the CI copy of the manifest"
# The builder's cache (ccache, and its module cache) stays in the build tree for the next run.
state=$cache/flatpak-builder-state
mkdir -p "$state"
chown -R "$uid:$gid" "$state"
build_started=$(date +%s)
(cd "$work" && in_session flatpak-builder --user --repo="$work/app-repo" --force-clean --ccache \
    --disable-rofiles-fuse --state-dir="$state" "$work/app-build" "$work/$app.json") > "$work/builder.log" 2>&1 ||
    { tail -40 "$work/builder.log"; fail "flatpak-builder could not build $app"; }
echo "built in $(($(date +%s) - build_started)) s"
as_user flatpak --user remote-add --no-gpg-verify podtap-app "$work/app-repo"
in_session flatpak --user install -y --noninteractive podtap-app "$app" > "$work/install-app.log" 2>&1 ||
    { cat "$work/install-app.log"; fail "$app did not install from the repository flatpak-builder made"; }
as_user flatpak --user info "$app" > /dev/null || fail "$app is not installed after flatpak-builder --install"

step "podtapctl --version inside the sandbox"
version=$(in_session flatpak run --command=podtapctl "$app" --version) || fail "podtapctl --version failed in the sandbox"
[[ "$version" == "podtapctl "* ]] || fail "podtapctl --version printed '$version'"
echo "$version"

step "no CAP_NET_ADMIN and no AF_PACKET inside the sandbox"
status=$(in_session flatpak run --command=cat "$app" /proc/self/status) || fail "could not read /proc/self/status in the sandbox"
capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' <<< "$status")
[ -n "$capeff" ] || fail "no CapEff line in the sandbox's /proc/self/status"
# CAP_NET_ADMIN is bit 12.
(( (16#$capeff >> 12) & 1 )) && fail "the sandbox has CAP_NET_ADMIN (CapEff $capeff)"
[ "$((16#$capeff))" -eq 0 ] || fail "the sandbox has capabilities (CapEff $capeff)"
echo "CapEff $capeff"
# socket(AF_PACKET=17, SOCK_RAW, 0) from perl, which every Debian root has.
set +e
packet=$(in_session flatpak run --command=perl "$app" -e 'socket(my $s, 17, 3, 0) ? print "opened" : print "refused: $!"')
set -e
[[ "$packet" == refused:* ]] || fail "an AF_PACKET socket was not refused in the sandbox: $packet"
echo "AF_PACKET $packet"

step "the console runs offscreen"
set +e
in_session timeout -s TERM 8 flatpak run --env=QT_QPA_PLATFORM=offscreen "$app" > "$work/offscreen.log" 2>&1
status=$?
set -e
# 124: still running when stopped, its event loop up; anything else means it exited or crashed.
[ "$status" -eq 124 ] || { cat "$work/offscreen.log"; fail "the console exited with status $status offscreen"; }

step "the console opens its window under Xvfb"
display=:$((90 + RANDOM % 400))
# The X server runs as the test user, so its socket is the user's, as on a desktop. Its socket directory is
# the system's (root's, sticky), as a desktop boot makes it.
[ -d /tmp/.X11-unix ] || install -d -m 1777 /tmp/.X11-unix
bg_as_user "$work/xvfb.log" Xvfb "$display" -nolisten tcp -screen 0 1280x800x24
xvfb_pid=$bg_pid
for _ in $(seq 300); do
    as_user xwininfo -display "$display" -root > /dev/null 2>&1 && break
    sleep 0.1
done
as_user xwininfo -display "$display" -root > /dev/null 2>&1 || { cat "$work/xvfb.log"; fail "Xvfb did not start on $display"; }
DISPLAY=$display bg_as_user "$work/x11.log" dbus-run-session -- flatpak run "$app"
console_pid=$bg_pid
# The console's top-level window: class "podtap", mapped (viewable) on the X server.
window=
for _ in $(seq 300); do
    # Whole outputs first: a reader that stops early (head, grep -q) would end its writer with SIGPIPE.
    tree=$(as_user xwininfo -display "$display" -root -tree 2>/dev/null || true)
    id=$(sed -n 's/^ *\(0x[0-9a-f]*\) "[^"]*": ("podtap" "podtap").*/\1/p' <<< "$tree" | sed -n 1p)
    state=
    [ -z "$id" ] || state=$(as_user xwininfo -display "$display" -id "$id" 2>/dev/null || true)
    if [ -n "$id" ] && grep -q 'Map State: IsViewable' <<< "$state"; then
        window=$(as_user xwininfo -display "$display" -id "$id" | sed -n 's/^xwininfo: Window id: //p')
        break
    fi
    kill -0 "$console_pid" 2>/dev/null || break
    sleep 0.1
done
stop_group "$console_pid"
console_pid=
[ -n "$window" ] || { cat "$work/x11.log"; fail "the console showed no window on the X server"; }
echo "window $window"
stop_group "$xvfb_pid"
xvfb_pid=

# start_sim ARGS...: podtap-sim on this machine's loopback, its kubeconfig as the user's ~/.kube/config.
start_sim() {
    rm -f "$work/sim.out"
    "$sim" --kubeconfig-out "$work/kubeconfig" "$@" > "$work/sim.out" 2> "$work/sim.err" &
    sim_pid=$!
    for _ in $(seq 600); do
        grep -q '^ready ' "$work/sim.out" 2>/dev/null && break
        kill -0 "$sim_pid" 2>/dev/null || break
        sleep 0.1
    done
    grep -q '^ready ' "$work/sim.out" || { cat "$work/sim.err"; fail "podtap-sim $* did not become ready"; }
    install -o "$uid" -g "$gid" -m 600 "$work/kubeconfig" "$home/.kube/config"
}
stop_sim() { kill -TERM "$sim_pid" && wait "$sim_pid"; sim_pid=; }

step "kube-sim; its kubeconfig in the user's ~/.kube"
start_sim --namespaces 2 --pods 6
read -r pod_ns pod_name < <(kubectl --kubeconfig "$work/kubeconfig" get pods -A --no-headers | awk 'NR == 1 {print $1, $2}')
[ -n "$pod_name" ] || fail "kubectl lists no pods in kube-sim"

step "podtapctl inside the sandbox lists kube-sim's pods"
pods=$(in_session flatpak run --command=podtapctl "$app" get pods -A) || fail "podtapctl get pods -A failed in the sandbox"
sed -n 1,3p <<< "$pods"
grep -q "^$pod_ns  *$pod_name " <<< "$pods" || fail "podtapctl get pods -A in the sandbox did not list $pod_ns/$pod_name"

step "a kubeconfig exec plugin on the host runs through flatpak-spawn --host"
# The plugin lives in $work, which the sandbox cannot see: only the host can run it. It leaves a marker and
# answers with the rig's client certificate, so the API accepts the request it authenticates.
python3 - "$work/kubeconfig" "$work/credential.json" <<'EOF'
import base64, json, sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
user = config["users"][0]["user"]
json.dump({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
           "status": {"clientCertificateData": base64.b64decode(user["client-certificate-data"]).decode(),
                      "clientKeyData": base64.b64decode(user["client-key-data"]).decode()}},
          open(sys.argv[2], "w"))
config["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1",
                                       "command": sys.argv[1].rsplit("/", 1)[0] + "/plugin.sh",
                                       "interactiveMode": "Never",
                                       "env": [{"name": "PODTAP_TEST_MARKER", "value": "from-the-kubeconfig"}]}}
yaml.safe_dump(config, open(sys.argv[1] + ".exec", "w"))
EOF
cat > "$work/plugin.sh" <<EOF
#!/bin/sh
# Runs on the host: records what it was given, then prints the credential.
printf '%s %s\n' "\$PODTAP_TEST_MARKER" "\${KUBERNETES_EXEC_INFO:+exec-info}" > "$work/plugin-ran"
cat "$work/credential.json"
EOF
chmod 755 "$work/plugin.sh"
chmod 644 "$work/credential.json"
install -o "$uid" -g "$gid" -m 600 "$work/kubeconfig.exec" "$home/.kube/exec-config"
[ -e /.flatpak-info ] && fail "this test must run on the host, not in a sandbox"
pods=$(in_session flatpak run --command=podtapctl "$app" --kubeconfig "$home/.kube/exec-config" get pods -A) ||
    fail "podtapctl with an exec credential plugin on the host failed in the sandbox"
[ "$(cat "$work/plugin-ran" 2>/dev/null)" = "from-the-kubeconfig exec-info" ] ||
    fail "the exec plugin did not run on the host with its environment (marker: '$(cat "$work/plugin-ran" 2>/dev/null)')"
grep -q "^$pod_ns  *$pod_name " <<< "$pods" || fail "podtapctl with the exec plugin did not list $pod_ns/$pod_name"
echo "the plugin ran on the host and its credential listed the pods"
rm -f "$work/plugin-ran"
# Without the permission, the plugin cannot run, and the error says what the sandbox needs.
set +e
denied=$(in_session flatpak run --no-talk-name=org.freedesktop.Flatpak --command=podtapctl "$app" \
    --kubeconfig "$home/.kube/exec-config" get pods -A 2>&1)
status=$?
set -e
[ "$status" -ne 0 ] || fail "podtapctl listed pods although the sandbox may not run host programs"
[ ! -e "$work/plugin-ran" ] || fail "the exec plugin ran although the sandbox may not talk to org.freedesktop.Flatpak"
grep -q -- '--talk-name=org.freedesktop.Flatpak' <<< "$denied" ||
    fail "the error without the permission does not name it: $denied"
echo "without the permission: $(grep -o 'exec credential plugin.*' <<< "$denied" | cut -c1-160)"
stop_sim

step "kube-sim with the rig"
start_sim --rig --describe-out "$work/rig.json" --nodes 2 --namespaces 1 --pods 4 \
    --agent-binary "$build_dir/netlink-agent/podtap-agent"
read -r ws pod_ns pod_name pod_ip < <(python3 -c '
import json, sys
rig = json.load(open(sys.argv[1]))
pod = rig["pods"][0]
print(rig["workstation_netns"], pod["namespace"], pod["name"], pod["ip"])' "$work/rig.json")

step "a tap to This machine in the rig's workstation captures the marker flow, without capabilities"
# The sandbox shares the network namespace it starts in: the workstation's, where the receiver listens.
capture=$home/.var/app/$app/tap.pcapng
set +e
ip netns exec "$ws" setpriv --reuid="$uid" --regid="$gid" --init-groups env -i "${user_env[@]}" \
    dbus-run-session -- flatpak run --command=podtapctl "$app" tap "$pod_ns/$pod_name" --to local \
    --write "$capture" --duration 4s > "$work/tap.log" 2>&1
status=$?
set -e
[ "$status" -eq 0 ] || { cat "$work/tap.log"; fail "podtapctl tap --to local in the sandbox exited with status $status"; }
marker=$(tshark -r "$capture" -Y "ip.addr == $pod_ip && udp.port == 9999" -T fields -e frame.number 2> /dev/null | wc -l)
[ "$marker" -ge 2 ] || { cat "$work/tap.log"; fail "the capture holds $marker marker packets of $pod_ns/$pod_name"; }
echo "$marker marker packets of $pod_ns/$pod_name ($pod_ip)"

echo "PASS: the Flatpak builds, runs sandboxed, lists pods, taps to this machine and runs host tools ($(($(date +%s) - started)) s)"
