#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes a Flatpak runtime and SDK from Debian, for building and testing the Flatpak where Flathub (and so
# org.kde.Platform) cannot be reached. Each is a debootstrap minbase root plus Debian packages, laid out
# as a Flatpak runtime (metadata + files, /etc inside files) and exported with
# `flatpak build-export --runtime` into an OSTree repository:
#   io.podtap.DebianPlatform//12   the Qt 6 libraries podtap runs with, and flatpak-spawn
#   io.podtap.DebianSdk//12        that plus the build dependencies (scripts/install-deps.sh, build group)
# Usage (as root: debootstrap and chroot):
#   packaging/flatpak/make-debian-runtime.sh CACHE_DIR REPO_DIR
# CACHE_DIR keeps the minbase root and a stamp per runtime: when the package lists and the layout are
# unchanged and REPO_DIR already has the refs, nothing is rebuilt.
set -euo pipefail
cache_dir=${1:?usage: make-debian-runtime.sh CACHE_DIR REPO_DIR}
repo=${2:?usage: make-debian-runtime.sh CACHE_DIR REPO_DIR}
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
suite=bookworm
branch=12
arch=$(flatpak --default-arch)

fail() { echo "make-debian-runtime: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot)"

# The libraries podtap links against at run time (Qt Widgets, Network, WebSockets, the xcb and offscreen
# platform plugins, yaml-cpp, libnl, libpcap), a font, CA certificates for HTTPS to API servers, and
# flatpak-spawn, through which podtap starts host programs.
platform_pkgs=(libqt6core6 libqt6gui6 libqt6widgets6 libqt6network6 libqt6dbus6 libqt6websockets6
               qt6-qpa-plugins libyaml-cpp0.7 libnl-3-200 libnl-route-3-200 libpcap0.8 libssl3
               fonts-dejavu-core ca-certificates flatpak-xdg-utils)
# The SDK builds podtap: the build group of scripts/install-deps.sh, read from there so they cannot
# drift apart, plus ccache for flatpak-builder --ccache.
mapfile -t build_pkgs < <(bash -c 'source <(sed -n "/^build_pkgs=(/,/)/p" "$1"); printf "%s\n" "${build_pkgs[@]}"' \
    _ "$source_dir/scripts/install-deps.sh")
[ ${#build_pkgs[@]} -gt 3 ] || fail "could not read the build packages from scripts/install-deps.sh"
# flatpak-builder also runs appstream-compose (appstream-util) on the metainfo.
sdk_pkgs=("${platform_pkgs[@]}" "${build_pkgs[@]}" ccache appstream-util)
# Bumped when the layout below changes, so cached runtimes are remade.
layout_version=3

# The mirror and suite this machine installs from; debootstrap uses the same.
mirror_of_this_machine() {
    local uri
    uri=$({ sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources
            sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' /etc/apt/sources.list
          } 2>/dev/null | tr ' ' '\n' | sed -n '\|/debian/\?$|{p;q}' || true)
    [ -n "$uri" ] || fail "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources"
    echo "$uri"
}

mkdir -p "$cache_dir"
work=$(mktemp -d "$cache_dir/work.XXXXXX")
cleanup() {
    for dir in "$work"/*/root; do
        mountpoint -q "$dir/proc" 2>/dev/null && umount "$dir/proc"
    done
    rm -rf "$work"
}
trap cleanup EXIT

# The same minbase root as the .deb test, and the same cache file, so one fetch serves both.
minbase=$cache_dir/$suite-minbase.tar
if [ ! -f "$minbase" ]; then
    mirror=$(mirror_of_this_machine)
    echo "== debootstrap --variant=minbase $suite from $mirror"
    debootstrap --variant=minbase "$suite" "$work/minbase" "$mirror" > "$work/debootstrap.log" 2>&1 ||
        { tail -20 "$work/debootstrap.log"; fail "debootstrap from $mirror failed"; }
    tar -C "$work/minbase" -cf "$minbase.part" . && mv "$minbase.part" "$minbase"
    rm -rf "$work/minbase"
fi

has_ref() { [ -d "$repo" ] && ostree --repo="$repo" rev-parse "runtime/$1/$arch/$branch" > /dev/null 2>&1; }

# make_runtime ID PACKAGES...: a root with the packages, laid out as a runtime and exported to the repo.
make_runtime() {
    local id=$1; shift
    local stamp_file=$cache_dir/$id.stamp stamp
    stamp=$( { printf '%s\n' "$layout_version" "$@"; sha256sum "$minbase" | cut -d' ' -f1; } | sha256sum | cut -d' ' -f1)
    if has_ref "$id" && [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ]; then
        echo "== $id//$branch is up to date in $repo"
        return
    fi
    echo "== $id//$branch: minbase + ${#@} packages"
    local dir=$work/$id root=$work/$id/root
    mkdir -p "$root" && tar -C "$root" -xf "$minbase"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    mount -t proc proc "$root/proc"
    in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
    in_root apt-get update -qq > "$dir/apt.log" 2>&1 || { cat "$dir/apt.log"; fail "apt-get update for $id failed"; }
    in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
        >> "$dir/apt.log" 2>&1 || { tail -30 "$dir/apt.log"; fail "apt-get install for $id failed"; }
    in_root apt-get clean
    umount "$root/proc"

    # A runtime is /usr with /etc inside it: Flatpak mounts files/ on /usr, files/etc on /etc, and links
    # /bin, /lib, /lib64 and /sbin to their /usr counterparts itself (Debian 12 already merges /usr).
    local files=$dir/files
    mv "$root/usr" "$files"
    rm -f "$root/etc/resolv.conf" "$root/etc/shadow" "$root/etc/gshadow" "$root/etc/shadow-" "$root/etc/gshadow-"
    mv "$root/etc" "$files/etc"
    rm -rf "$files/share/doc" "$files/share/man" "$files/share/info" "$files/share/lintian"
    # Flatpak runs ldconfig with PATH=/usr/bin:/bin, where Debian has none (it is in /usr/sbin).
    [ -e "$files/bin/ldconfig" ] || ln -s ../sbin/ldconfig "$files/bin/ldconfig"
    # Debian keeps flatpak-spawn out of PATH; Flathub's runtimes have it in /usr/bin, where podtap runs it from.
    if [ -e "$files/libexec/flatpak-xdg-utils/flatpak-spawn" ]; then
        ln -sf ../libexec/flatpak-xdg-utils/flatpak-spawn "$files/bin/flatpak-spawn"
    fi
    # The app's own libraries, like on Flathub's runtimes.
    echo /app/lib > "$files/etc/ld.so.conf.d/00-flatpak-app.conf"
    # A user installation cannot hold setuid files or files only root may read.
    find "$files" -perm /6000 -type f -exec chmod ug-s {} +
    chmod -R a+rX "$files"
    find "$files" \( -type b -o -type c -o -type p -o -type s \) -delete

    local platform_id=io.podtap.DebianPlatform sdk_id=io.podtap.DebianSdk
    cat > "$dir/metadata" <<EOF
[Runtime]
name=$id
runtime=$platform_id/$arch/$branch
sdk=$sdk_id/$arch/$branch
EOF
    flatpak build-export --runtime --files=files --arch="$arch" "$repo" "$dir" "$branch" > "$dir/export.log" 2>&1 ||
        { cat "$dir/export.log"; fail "flatpak build-export of $id failed"; }
    echo "$stamp" > "$stamp_file"
    rm -rf "$dir"
}

make_runtime io.podtap.DebianPlatform "${platform_pkgs[@]}"
make_runtime io.podtap.DebianSdk "${sdk_pkgs[@]}"
# Only the current commits stay: a remade runtime does not keep the old one's files in the repository.
ostree --repo="$repo" prune --refs-only --depth=0 > /dev/null
flatpak build-update-repo "$repo" > /dev/null
echo "== $repo: $(du -sh "$repo" | cut -f1)"
