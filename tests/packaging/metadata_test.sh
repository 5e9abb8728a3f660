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
[ "$failed" -eq 0 ]
