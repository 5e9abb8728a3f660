#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the .deb from the build tree and proves it as an operator would meet it: lintian passes, and
# in a fresh Debian minbase root that has none of the build dependencies, apt-get installs it with its
# dependencies, podtapctl and the console run, and dpkg --purge leaves no podtap file behind.
# Needs root (debootstrap, chroot) and Debian's package mirror (read from this machine's apt sources).
set -euo pipefail
build_dir=${PODTAP_BUILD_DIR:?}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/packaging/minbase_root.sh
. "$here/minbase_root.sh"
require_root "the .deb install test"

work=$(mktemp -d /var/tmp/podtap-deb-test.XXXXXX)
root=$work/root
cleanup() {
    unmount_below "$root"
    rm -rf "$work"
}
trap cleanup EXIT

step() { echo "== $*"; }
fail() { echo "FAIL: $*"; exit 1; }

step "building the package with CPack"
cpack --config "$build_dir/CPackConfig.cmake" -G DEB -B "$work/out" > "$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log"; fail "cpack could not build the .deb"; }
deb=$(ls "$work"/out/podtap_*.deb)
echo "$(basename "$deb"): $(stat -c %s "$deb") bytes"

step "lintian --fail-on error,warning"
lintian --fail-on error,warning "$deb" ||
    fail "lintian found errors or warnings in $(basename "$deb")"

make_minbase_root "$root"
[ ! -e "$root/usr/lib/x86_64-linux-gnu/libQt6Core.so.6" ] || fail "the fresh root already has Qt"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

step "apt-get install ./$(basename "$deb") in the fresh root"
cp "$deb" "$root/tmp/"
in_root apt-get update -qq > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get update in the root failed"; }
# Without the recommended tshark/wireshark, which would only make the test slower.
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "/tmp/$(basename "$deb")" >> "$work/apt.log" 2>&1 ||
    { tail -30 "$work/apt.log"; fail "apt-get could not install $(basename "$deb") with its dependencies"; }

step "podtapctl --version in the root"
version=$(in_root podtapctl --version) || fail "podtapctl --version failed in the root"
[[ "$version" == "podtapctl "* ]] || fail "podtapctl --version printed '$version'"
echo "$version"
in_root /usr/libexec/podtap/podtap-agent --version || fail "podtap-agent --version failed in the root"
interfaces=$(in_root /usr/libexec/podtap/podtap-extcap --extcap-interfaces --extcap-version=4.0.17) ||
    fail "podtap-extcap --extcap-interfaces failed in the root"
grep -q '^interface {value=podtap}' <<< "$interfaces" ||
    fail "podtap-extcap --extcap-interfaces printed no podtap interface: $interfaces"

step "the console opens offscreen and keeps running until stopped"
set +e
in_root env QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=/tmp timeout -s TERM 5 podtap > "$work/console.log" 2>&1
status=$?
set -e
# 124: still running after 5 s, its event loop up; anything else means it exited or crashed.
[ "$status" -eq 124 ] || { cat "$work/console.log"; fail "the console exited with status $status instead of running"; }

step "dpkg --purge podtap leaves nothing"
in_root dpkg -L podtap | grep -v '^/\.$' > "$work/files"
in_root dpkg --purge podtap > /dev/null
left=()
while read -r path; do
    # Directories shared with other packages (/usr/bin, /usr/share/man/man1, ...) stay, as they should.
    if [ -e "$root$path" ] && [ ! -d "$root$path" ]; then left+=("$path"); fi
done < "$work/files"
[ ${#left[@]} -eq 0 ] || fail "dpkg --purge left these files: ${left[*]}"
leftovers=$(cd "$root" && find . -xdev -path ./proc -prune -o -path ./tmp -prune -o -iname '*podtap*' -print)
[ -z "$leftovers" ] || fail "after dpkg --purge these remain: $leftovers"
echo "PASS: the .deb installs, runs and purges cleanly"
