#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes the copy of the Flatpak manifest that CI builds where Flathub cannot be reached: the same app,
# finish-args, cleanup and podtap module, on the runtime and SDK made from Debian (make-debian-runtime.sh).
# Only these change: the runtime and SDK; the modules the Debian SDK already has are dropped; the podtap
# source is this tree (an absolute path, as the copy lives elsewhere); and no debuginfo extension is split
# off (the Debian SDK has no debugedit), which only saves time.
# Usage: ci-manifest.py MANIFEST SOURCE_DIR OUT.json
import json
import sys

import yaml

PROVIDED_BY_DEBIAN_SDK = {"libnl", "yaml-cpp", "libpcap"}

manifest_path, source_dir, out_path = sys.argv[1:4]
with open(manifest_path, encoding="utf-8") as f:
    manifest = yaml.safe_load(f)
manifest["runtime"] = "io.podtap.DebianPlatform"
manifest["sdk"] = "io.podtap.DebianSdk"
manifest["runtime-version"] = "12"
manifest.setdefault("build-options", {})["no-debuginfo"] = True
modules = [m for m in manifest["modules"] if m["name"] not in PROVIDED_BY_DEBIAN_SDK]
if [m["name"] for m in modules] != ["podtap"]:
    sys.exit(f"ci-manifest.py: expected only the podtap module to remain, got {[m['name'] for m in modules]}")
for source in modules[0]["sources"]:
    if source["type"] == "dir":
        source["path"] = source_dir
manifest["modules"] = modules
with open(out_path, "w", encoding="utf-8") as f:
    json.dump(manifest, f, indent=2)
