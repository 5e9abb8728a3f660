#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the AppImage (target `appimage`) and proves it as an operator would meet it: in a fresh Debian
# minbase root without Qt, holding only the host libraries the README lists and fuse3, an ordinary user
# runs it with --appimage-extract-and-run and from its FUSE mount; the console opens its window on an
# Xvfb display (its socket bind-mounted into the root), and podtapctl from inside the AppImage lists the
# pods of a kube-sim on this machine's loopback (the root shares the network namespace).
# Needs root (debootstrap, chroot, mounts) and Debian's package mirror (read from this machine's apt sources).
set -euo pipefail
build_dir=${PODTAP_BUILD_DIR:?}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/packaging/minbase_root.sh
. "$here/minbase_root.sh"
require_root "the AppImage test"

# What the AppImage leaves to the host (README, Install; packaging/appimage/excludelist), by Debian
# package, plus fuse3 for fusermount3 and a font.
host_packages=(fuse3 fonts-dejavu-core libstdc++6 libgcc-s1 zlib1g libglib2.0-0 libgl1 libegl1 libopengl0
    libx11-6 libxcb1 libsm6 libice6 libfontconfig1 libfreetype6 libharfbuzz0b libgpg-error0 libcom-err2)

work=$(mktemp -d /var/tmp/podtap-appimage-test.XXXXXX)
root=$work/root
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
    unmount_below "$root"
    rm -rf "$work"
}
trap cleanup EXIT

step() { echo "== $*"; }
fail() { echo "FAIL: $*"; exit 1; }
# As an ordinary user (nobody) in the root, as an operator runs it.
user_env=(chroot --userspec=65534:65534 "$root" env -i PATH=/usr/bin:/bin HOME=/tmp/home LANG=C.UTF-8
    XDG_RUNTIME_DIR=/tmp/home/run)
as_user() { "${user_env[@]}" "$@"; }
# Mounts of the AppImage (fuse.appimage) below the root, as the host sees them.
appimage_mounts() { findmnt -rn -t fuse.appimage -o TARGET | awk -v r="$(realpath "$root")" 'index($0, r) == 1' || true; }

step "building the AppImage (cmake --build --target appimage)"
cmake --build "$build_dir" --target appimage > "$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log"; fail "the appimage target failed"; }
appimage=$(ls "$build_dir"/packaging/appimage/podtap-*.AppImage)
runtime=$build_dir/packaging/appimage/podtap-appimage-runtime
grep '^build-appimage:' "$work/build.log" || true

step "the type-2 format: magic at offset 8, squashfs right after the runtime"
magic=$(od -An -tx1 -j8 -N3 "$appimage" | tr -d ' ')
[ "$magic" = 414902 ] || fail "$appimage has '$magic' at offset 8, not the type-2 magic 41 49 02"
offset=$("$appimage" --appimage-offset)
[ "$offset" = "$(stat -c %s "$runtime")" ] || fail "--appimage-offset says $offset, the runtime is $(stat -c %s "$runtime") bytes"
[ "$(od -An -c -j "$offset" -N4 "$appimage" | tr -d ' ')" = hsqs ] || fail "no squashfs superblock at offset $offset"
# squashfs-tools, not the runtime, reads the image: the format is squashfs as AppImage tools expect it.
listing=$(unsquashfs -o "$offset" -l "$appimage") || fail "unsquashfs cannot read the image at offset $offset"
for path in AppRun io.podtap.Podtap.desktop io.podtap.Podtap.svg .DirIcon usr/bin/podtap usr/bin/podtapctl \
    usr/bin/podtap-agent usr/bin/qt.conf usr/lib/libQt6Core.so.6 usr/plugins/platforms/libqxcb.so \
    usr/plugins/platforms/libqoffscreen.so usr/plugins/tls/libqopensslbackend.so usr/lib/libssl.so.3; do
    grep -qx "squashfs-root/$path" <<< "$listing" || fail "the AppImage has no $path"
done
for soname in libc.so.6 libstdc++.so.6 libGL.so.1 libEGL.so.1 libX11.so.6 libxcb.so.1 libfontconfig.so.1; do
    ! grep -q "/$soname\$" <<< "$listing" || fail "the AppImage bundles $soname, which the exclude list leaves to the host"
done
runpath=$(unsquashfs -o "$offset" -cat "$appimage" usr/bin/podtap > "$work/podtap" && readelf -d "$work/podtap" |
    sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
[ "$runpath" = '$ORIGIN/../lib' ] || fail "usr/bin/podtap has RUNPATH '$runpath', not \$ORIGIN/../lib"

make_minbase_root "$root" "${host_packages[@]}"
[ ! -e "$root/usr/lib/x86_64-linux-gnu/libQt6Core.so.6" ] || fail "the root has Qt: it would hide a missing library"
mount -t proc proc "$root/proc"
# FUSE: the device as a desktop's udev makes it (0666; a container may hold its own /dev/fuse at 0600),
# and fusermount3 (setuid root, from fuse3) mounts for the user.
rm -f "$root/dev/fuse"
mknod -m 0666 "$root/dev/fuse" c 10 229 || fail "cannot create /dev/fuse in the root"
# fusermount3 finds the mounts it may undo in /etc/mtab, which every installed system has (a minbase root not).
[ -e "$root/etc/mtab" ] || ln -s ../proc/self/mounts "$root/etc/mtab"
[ -u "$root/usr/bin/fusermount3" ] || fail "fusermount3 in the root is not setuid"
mkdir -p "$root/tmp/home/run" "$root/tmp/home/bin"
chmod 1777 "$root/tmp"
chmod 0700 "$root/tmp/home/run"
install -m 0755 "$appimage" "$root/tmp/home/bin/podtap.AppImage"
chown -R 65534:65534 "$root/tmp/home"

step "every library the AppImage's programs and plugins need is bundled or in the root"
as_user sh -c 'cd /tmp/home && exec bin/podtap.AppImage --appimage-extract' > /dev/null ||
    fail "--appimage-extract failed as an ordinary user"
[ -x "$root/tmp/home/squashfs-root/AppRun" ] || fail "--appimage-extract wrote no squashfs-root/AppRun"
missing=$(cd "$root/tmp/home/squashfs-root" && find usr/bin usr/lib usr/plugins -type f ! -name qt.conf |
    while read -r file; do
        as_user ldd "/tmp/home/squashfs-root/$file" 2> /dev/null | sed -n "s|^\t\(.*\) => not found|$file: \1|p"
    done)
[ -z "$missing" ] || fail "in the root, these libraries are not found: $missing"
rm -rf "$root/tmp/home/squashfs-root"

step "--appimage-extract PATTERN extracts only what matches"
as_user sh -c 'cd /tmp/home && exec bin/podtap.AppImage --appimage-extract usr/bin/qt.conf' ||
    fail "--appimage-extract usr/bin/qt.conf failed"
extracted=$(cd "$root/tmp/home/squashfs-root" && find . -type f)
[ "$extracted" = ./usr/bin/qt.conf ] || fail "--appimage-extract usr/bin/qt.conf extracted: $extracted"
rm -rf "$root/tmp/home/squashfs-root"

step "--appimage-extract-and-run: podtapctl --version, and the temporary directory is gone afterwards"
version=$(as_user /tmp/home/bin/podtap.AppImage --appimage-extract-and-run podtapctl --version) ||
    fail "podtapctl --version through --appimage-extract-and-run failed"
[[ "$version" == "podtapctl "* ]] || fail "podtapctl --version printed '$version'"
echo "$version"
left=$(find "$root/tmp" -maxdepth 1 -name 'appimage_extracted_*')
[ -z "$left" ] || fail "--appimage-extract-and-run left $left"

step "bad use: an unknown --appimage- option, and a host without FUSE, get the reason and the fix"
set +e
out=$(as_user /tmp/home/bin/podtap.AppImage --appimage-bogus 2>&1)
status=$?
set -e
if [ "$status" -ne 1 ] || ! grep -q 'unknown option --appimage-bogus' <<< "$out" ||
    ! grep -q -- '--appimage-help' <<< "$out"; then
    fail "--appimage-bogus exited $status with: $out"
fi
mv "$root/dev/fuse" "$root/dev/fuse.away"
set +e
out=$(as_user /tmp/home/bin/podtap.AppImage podtapctl --version 2>&1)
status=$?
set -e
mv "$root/dev/fuse.away" "$root/dev/fuse"
[ "$status" -ne 0 ] || fail "without /dev/fuse the AppImage still exited 0: $out"
for words in 'cannot mount /tmp/home/bin/podtap.AppImage' 'fuse3' '--appimage-extract-and-run'; do
    grep -q -- "$words" <<< "$out" || fail "without /dev/fuse the message lacks '$words': $out"
done
left=$(find "$root/tmp" -maxdepth 1 -name '.mount_*')
[ -z "$left" ] || fail "a failed mount left $left"

step "FUSE mount: podtapctl inside the AppImage lists the pods of kube-sim"
[ -x "$build_dir/tests/sim/podtap-sim" ] || fail "kube-sim is not built: cmake --build $build_dir --target podtap-sim"
"$build_dir/tests/sim/podtap-sim" --kubeconfig-out "$work/kc" --namespaces 2 --pods 7 --nodes 2 \
    > "$work/sim.out" 2> "$work/sim.err" &
pids+=($!)
for _ in $(seq 100); do
    grep -q '^ready ' "$work/sim.out" && break
    kill -0 "${pids[-1]}" 2> /dev/null || { cat "$work/sim.err"; fail "podtap-sim exited before it was ready"; }
    sleep 0.1
done
grep -q '^ready ' "$work/sim.out" || fail "podtap-sim did not report ready"
install -m 0644 "$work/kc" "$root/tmp/home/kc"
"$build_dir/app/cli/podtapctl" get pods -A --kubeconfig "$work/kc" | awk '{ print $1, $2 }' > "$work/pods.expected"
as_user /tmp/home/bin/podtap.AppImage podtapctl get pods -A --kubeconfig /tmp/home/kc > "$work/pods.out" 2>&1 ||
    { cat "$work/pods.out"; fail "podtapctl get pods -A from the mounted AppImage failed"; }
awk '{ print $1, $2 }' "$work/pods.out" > "$work/pods.got"
[ "$(wc -l < "$work/pods.expected")" -gt 7 ] || fail "kube-sim served too few pods to compare: $(cat "$work/pods.expected")"
diff "$work/pods.expected" "$work/pods.got" || fail "the AppImage's podtapctl listed other pods than the build tree's"
echo "listed $(($(wc -l < "$work/pods.got") - 1)) pods"
[ -z "$(appimage_mounts)" ] || fail "the FUSE mount stayed after podtapctl exited: $(appimage_mounts)"

step "FUSE mount: the console opens its window on Xvfb"
display=
for n in $(seq 90 120); do
    if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then display=$n; break; fi
done
[ -n "$display" ] || fail "no free X display number between :90 and :120"
Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp > "$work/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    [ -S "/tmp/.X11-unix/X$display" ] && break
    sleep 0.1
done
[ -S "/tmp/.X11-unix/X$display" ] || { cat "$work/xvfb.log"; fail "Xvfb :$display did not start"; }
mkdir -p "$root/tmp/.X11-unix"
mount --bind /tmp/.X11-unix "$root/tmp/.X11-unix"
"${user_env[@]}" DISPLAY=":$display" /tmp/home/bin/podtap.AppImage > "$work/console.log" 2>&1 &
console=$!
pids+=("$console")
window=
for _ in $(seq 300); do
    window=$(xwininfo -display ":$display" -root -tree 2> /dev/null | grep -i '"podtap' || true)
    [ -n "$window" ] && break
    kill -0 "$console" 2> /dev/null || { cat "$work/console.log"; fail "the console exited before its window appeared"; }
    sleep 0.1
done
[ -n "$window" ] || { cat "$work/console.log"; fail "no podtap window appeared on Xvfb :$display"; }
echo "window:$window"
mounts=$(appimage_mounts)
[ -n "$mounts" ] || fail "the console runs, but not from a FUSE mount of the AppImage"
echo "mounted at $mounts"
# chroot, env, the runtime and AppRun all exec: the process started is the console itself.
[ "$(cat "/proc/$console/comm")" = podtap ] || fail "process $console is $(cat "/proc/$console/comm"), not the console"
appdir=$(tr '\0' '\n' < "/proc/$console/environ" | sed -n 's/^APPDIR=//p')
[ "$root$appdir" = "$mounts" ] || fail "the console runs with APPDIR '$appdir', not the mount point"
kill "$console"
wait "$console" 2> /dev/null || true
for _ in $(seq 100); do
    [ -z "$(appimage_mounts)" ] && break
    sleep 0.1
done
[ -z "$(appimage_mounts)" ] || fail "the FUSE mount stayed after the console exited: $(appimage_mounts)"
[ ! -e "$mounts" ] || fail "the mount point $mounts stayed after the console exited"
echo "PASS: the AppImage runs extracted and mounted, opens its window, and lists pods"
