#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds the podtap-agent OCI image FROM scratch with buildah and writes it as an OCI archive.
# Needs no network. Usage: build-image.sh <podtap-agent binary> <output.tar> [ref]
# The archive's index names the image <ref> (default: latest), e.g. `umoci unpack --image dir:latest`.
set -eu

binary=${1:?usage: build-image.sh <podtap-agent binary> <output.tar> [tag]}
output=${2:?usage: build-image.sh <podtap-agent binary> <output.tar> [tag]}
ref=${3:-latest}
tag=localhost/podtap-agent:$ref
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v buildah >/dev/null 2>&1; then
    echo "build-image.sh: buildah is not installed; install it (apt-get install buildah) to build the image" >&2
    exit 3
fi

# A private storage root: nothing leaks into (or depends on) the machine's container storage.
work=$(mktemp -d "${TMPDIR:-/tmp}/podtap-agent-image.XXXXXX")
trap 'buildah --root "$work/root" --runroot "$work/run" --storage-driver vfs rmi --all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/context"
cp "$binary" "$work/context/podtap-agent"
cp "$here/Containerfile" "$work/context/Containerfile"

b() { buildah --root "$work/root" --runroot "$work/run" --storage-driver vfs "$@"; }
b build --quiet --isolation chroot --layers=false -f "$work/context/Containerfile" -t "$tag" "$work/context" >/dev/null
rm -f "$output"
b push --quiet "$tag" "oci-archive:$output:$ref"
echo "$output"
