#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages podtap needs, and only those that are missing.
# Usage: scripts/install-deps.sh [build] [test] [demo]   (default: build)
# Idempotent: when everything is present it changes nothing and runs no apt-get at all.
set -euo pipefail

groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(build)

build_pkgs=(cmake ninja-build g++ pkg-config qt6-base-dev qt6-base-dev-tools libgl-dev
            libyaml-cpp-dev libnl-3-dev libnl-route-3-dev libpcap-dev libssl-dev
            qt6-websockets-dev)
# Real parts for the tests: namespaces and tc (iproute2), capture (tshark, tcpdump), traffic
# (iperf3, ping), nftables for the receiver's source filter, Xvfb for the console, the Python
# Kubernetes client for kube-sim conformance, buildah/umoci for the agent image, and what the
# packaging tests build and run the .deb, the AppImage (squashfs, FUSE) and the Flatpak with.
test_pkgs=(iproute2 iputils-ping procps tshark tcpdump iperf3 nftables xvfb xauth
           python3 python3-kubernetes python3-yaml buildah umoci clang-14 libclang-rt-14-dev
           debootstrap lintian desktop-file-utils appstream
           squashfs-tools squashfuse libsquashfuse-dev libfuse3-dev fuse3 patchelf
           flatpak flatpak-builder bubblewrap ostree dbus-daemon dbus-user-session x11-utils)
demo_pkgs=(iproute2 iputils-ping procps tshark wireshark xvfb xauth nftables)

wanted=()
for group in "${groups[@]}"; do
    case "$group" in
    build) wanted+=("${build_pkgs[@]}") ;;
    test) wanted+=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
    demo) wanted+=("${build_pkgs[@]}" "${demo_pkgs[@]}") ;;
    *) echo "install-deps: unknown group '$group' (use build, test or demo)" >&2; exit 2 ;;
    esac
done
# The conformance tests need a real kubectl; Debian's kubernetes-client provides one when the
# machine has none of its own.
if [[ " ${groups[*]} " == *" test "* ]] && ! command -v kubectl >/dev/null 2>&1; then
    wanted+=(kubernetes-client)
fi

missing=()
for pkg in $(printf '%s\n' "${wanted[@]}" | sort -u); do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#wanted[@]} packages for '${groups[*]}' are present"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2; exit 1; }
    sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
