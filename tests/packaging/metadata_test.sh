#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The desktop entry, the AppStream metainfo and the polkit policy are valid for the tools that read them.
set -euo pipefail
source_dir=${PODTAP_SOURCE_DIR:?}
failed=0
check() {
    local what=$1; shift
    if output=$("$@" 2>&1); then
        echo "PASS: $what"
    else
        echo "FAIL: $what"; echo "$output" | sed 's/^/    /'; failed=$((failed + 1))
    fi
}
check "desktop entry" desktop-file-validate "$source_dir/resources/io.podtap.Podtap.desktop"
check "AppStream metainfo" appstreamcli validate --no-net "$source_dir/resources/io.podtap.Podtap.metainfo.xml"
check "polkit policy is well-formed XML" python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' \
    "$source_dir/packaging/io.podtap.receive.policy"
# The metainfo carries what software centres show: a screenshot, release notes and the OARS rating.
for element in '<screenshot ' '<release ' '<content_rating type="oars-1.1"' '<launchable type="desktop-id">'; do
    check "metainfo has $element" grep -qF "$element" "$source_dir/resources/io.podtap.Podtap.metainfo.xml"
done
# Icons come as SVG and as PNG in the hicolor sizes; each PNG is really the size its name says.
for size in 48 64 128 256; do
    check "icon podtap-$size.png is a ${size}x$size PNG" python3 -c '
import struct, sys
data = open(sys.argv[1], "rb").read(24)
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", data[16:24])
assert (width, height) == (int(sys.argv[2]), int(sys.argv[2])), f"{width}x{height}"
' "$source_dir/resources/icons/podtap-$size.png" "$size"
done
check "desktop entry and icons share the app id" grep -qx 'Icon=io.podtap.Podtap' "$source_dir/resources/io.podtap.Podtap.desktop"
[ "$failed" -eq 0 ]
