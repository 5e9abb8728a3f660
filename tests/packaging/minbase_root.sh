# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2154 # build_dir and work come from the test that sources this
# Shared by the packaging tests (source it): a fresh Debian minbase root, as an operator's machine with
# none of the build dependencies, made with debootstrap from this machine's own mirror and cached in the
# build tree (packaging-cache/), so that later runs only unpack it.
#
#   require_root WHAT            skip (77), or fail under PODTAP_REQUIRE_PRIVILEGED=1, unless root
#   make_minbase_root ROOT [PKG...]
#                                unpack the cached root into ROOT; with PKGs, a root that has them
#                                installed (cached too, per package list)
#   in_root ROOT CMD...          run CMD in ROOT with a clean environment
#   unmount_below ROOT           lazily unmount everything mounted at or below ROOT (cleanup)
# The caller defines step() and fail() and sets build_dir and work.

require_root() {
    [ "$(id -u)" -eq 0 ] && return 0
    if [ "${PODTAP_REQUIRE_PRIVILEGED:-0}" = 1 ]; then
        echo "FAIL: $1 needs root (debootstrap, chroot), and PODTAP_REQUIRE_PRIVILEGED=1 is set"
        exit 1
    fi
    echo "SKIP: $1 needs root (debootstrap, chroot)"
    exit 77
}

# The mirror and suite this machine installs from; debootstrap uses the same.
mirror_of_this_machine() {
    local uri
    uri=$({ sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources
            sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' /etc/apt/sources.list
          } 2>/dev/null | tr ' ' '\n' | sed -n '\|/debian/\?$|{p;q}' || true)
    [ -n "$uri" ] || fail "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources"
    echo "$uri"
}

in_root() {
    local root=$1
    shift
    chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}

unmount_below() {
    local root target
    root=$(realpath -m "$1")
    # Deepest first; lazily, so that a straggler holding a file does not keep the root.
    findmnt -rn -o TARGET | awk -v r="$root" 'index($0, r) == 1' | sort -r | while read -r target; do
        umount -l "$target" 2>/dev/null || true
    done
}

make_minbase_root() {
    local root=$1
    shift
    local cache_dir=$build_dir/packaging-cache
    local base=$cache_dir/bookworm-minbase.tar
    mkdir -p "$root" "$cache_dir"
    if [ ! -f "$base" ]; then
        local mirror
        mirror=$(mirror_of_this_machine)
        step "debootstrap --variant=minbase bookworm from $mirror"
        debootstrap --variant=minbase bookworm "$root" "$mirror" > "$work/debootstrap.log" 2>&1 ||
            { tail -20 "$work/debootstrap.log"; fail "debootstrap from $mirror failed"; }
        tar -C "$root" -cf "$base.part" . && mv "$base.part" "$base"
        [ $# -eq 0 ] && return 0
        rm -rf "$root" && mkdir -p "$root"
    fi
    if [ $# -eq 0 ]; then
        step "unpacking the cached minbase root"
        tar -C "$root" -xf "$base"
        return 0
    fi
    local key
    key=$(printf '%s\n' "$@" | sort | sha256sum | cut -c1-12)
    local with=$cache_dir/bookworm-minbase-$key.tar
    if [ -f "$with" ]; then
        step "unpacking the cached minbase root with $*"
        tar -C "$root" -xf "$with"
        return 0
    fi
    step "installing $* into a fresh minbase root"
    tar -C "$root" -xf "$base"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    in_root "$root" apt-get update -qq > "$work/apt.log" 2>&1 ||
        { cat "$work/apt.log"; fail "apt-get update in the root failed"; }
    in_root "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
        >> "$work/apt.log" 2>&1 || { tail -30 "$work/apt.log"; fail "apt-get could not install $* in the root"; }
    in_root "$root" apt-get clean
    rm -rf "$root"/var/lib/apt/lists/*
    tar -C "$root" -cf "$with.part" . && mv "$with.part" "$with"
}
