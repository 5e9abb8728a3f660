#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds podtap's AppImage from the build tree (the CMake target `appimage` calls it with these options):
#
#   1. an AppDir: usr/bin/{podtap,podtapctl,podtap-agent} (the agent next to the console, where the console
#      looks first), qt.conf, usr/lib with every library they and the Qt plugins need except the
#      excluded ones (excludelist in this folder), usr/plugins with the platform (xcb, offscreen, wayland
#      when installed), xcbglintegrations, image-format and TLS plugins, RUNPATHs relative to $ORIGIN, and
#      at the root AppRun, the desktop entry, the icon and .DirIcon;
#   2. the type-2 AppImage: the project's runtime (magic stamped) followed by the AppDir as squashfs.
#      When the machine has appimagetool, that assembles it (with the same runtime); otherwise this
#      script does, which is the same two steps.
#
# What the AppImage still expects from the host, because it is left out on purpose, is listed at the
# end of the run and in the README (Install): glibc >= the version printed, libstdc++/libgcc_s, OpenGL/EGL
# (libGL, libEGL, libOpenGL, libGLX), libX11/libxcb, fontconfig/freetype/harfbuzz (with fonts), GLib,
# zlib, libexpat, libgpg-error, libcom_err; plus fuse3 (fusermount3) to mount it.
set -euo pipefail
# A failing command names itself: under set -e the build would otherwise end without a word.
trap 'echo "build-appimage: line $LINENO: \"$BASH_COMMAND\" failed with status $?" >&2' ERR

usage() {
    echo "usage: $0 --source DIR --console FILE --cli FILE --agent FILE --runtime FILE --qt-plugins DIR --appdir DIR --output FILE" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
    --source) source_dir=$2 ;;
    --console) console=$2 ;;
    --cli) cli=$2 ;;
    --agent) agent=$2 ;;
    --runtime) runtime=$2 ;;
    --qt-plugins) qt_plugins=$2 ;;
    --appdir) appdir=$2 ;;
    --output) output=$2 ;;
    *) usage ;;
    esac
    shift 2
done
for var in source_dir console cli agent runtime qt_plugins appdir output; do
    [ -n "${!var:-}" ] || usage
done
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "build-appimage: $*" >&2; exit 1; }
for tool in patchelf mksquashfs readelf ldd; do
    command -v "$tool" > /dev/null || fail "$tool is missing (scripts/install-deps.sh test installs patchelf and squashfs-tools)"
done
[ "$(od -An -tx1 -j8 -N3 "$runtime" | tr -d ' ')" = 414902 ] ||
    fail "$runtime carries no AppImage type-2 magic at offset 8 (stamp-magic.sh runs after it is linked)"

# Sonames that stay on the host: a line per soname or shell pattern, # comments.
excluded=()
while read -r line; do
    line=${line%%#*}
    line=${line//[[:space:]]/}
    [ -n "$line" ] && excluded+=("$line")
done < "$here/excludelist"
is_excluded() {
    local pattern
    for pattern in "${excluded[@]}"; do
        # shellcheck disable=SC2053 # the entries are patterns
        [[ $1 == $pattern ]] && return 0
    done
    return 1
}

rm -rf "$appdir"
mkdir -p "$appdir/usr/bin" "$appdir/usr/lib" "$appdir/usr/plugins"

# The plugins: the platforms the console can show on, GL integration for xcb, image formats, TLS backends.
plugin_files=()
for plugin in platforms/libqxcb.so platforms/libqoffscreen.so 'platforms/libqwayland-*.so' \
    'xcbglintegrations/*.so' 'imageformats/*.so' 'tls/*.so' 'wayland-*/*.so' 'platforminputcontexts/*.so'; do
    for file in $qt_plugins/$plugin; do
        [ -f "$file" ] || continue
        relative=${file#"$qt_plugins"/}
        mkdir -p "$appdir/usr/plugins/$(dirname "$relative")"
        cp -L "$file" "$appdir/usr/plugins/$relative"
        plugin_files+=("$appdir/usr/plugins/$relative")
    done
done
[ -f "$appdir/usr/plugins/platforms/libqxcb.so" ] || fail "no xcb platform plugin in $qt_plugins"

cp -L "$console" "$appdir/usr/bin/podtap"
cp -L "$cli" "$appdir/usr/bin/podtapctl"
cp -L "$agent" "$appdir/usr/bin/podtap-agent"

# Qt's OpenSSL backend loads libssl/libcrypto with dlopen, so no NEEDED entry names them: bundle them by
# name (found where the build machine's loader finds them).
# The loader's cache is read once, whole: a reader that stops at its first match (grep -q, head, some awks)
# ends its writer with SIGPIPE, which pipefail turns into a failure.
extra_libs=()
ldcache=$(ldconfig -p)
for soname in libssl.so.3 libcrypto.so.3; do
    path=$(awk -v n="$soname" '$1 == n && /x86-64|x86_64|64bit/ { print $NF; exit }' <<< "$ldcache")
    [ -z "$path" ] && path=$(awk -v n="$soname" '$1 == n { print $NF; exit }' <<< "$ldcache")
    [ -n "$path" ] || fail "$soname (for Qt's TLS backend) is not installed"
    extra_libs+=("$path")
done

# Walks the NEEDED entries from each file, resolving them as the loader does for that file (ldd), and
# bundles each library that is not excluded; an excluded library's own dependencies are the host's too.
declare -A bundled=()
declare -A host_needed=()
bundle_deps() {
    local file=$1 soname path
    local -A resolved=()
    while read -r soname path; do
        resolved[$soname]=$path
    done < <(ldd "$file" 2> /dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }')
    for soname in $(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        if is_excluded "$soname"; then
            host_needed[$soname]=1
            continue
        fi
        [ -n "${bundled[$soname]:-}" ] && continue
        # Qt's own libraries are found next to each other in usr/lib once copied.
        path=${resolved[$soname]:-}
        [ -n "$path" ] || fail "$file needs $soname, which is not installed on this machine"
        bundled[$soname]=$path
        cp -L "$path" "$appdir/usr/lib/$soname"
        chmod 0755 "$appdir/usr/lib/$soname"
        bundle_deps "$appdir/usr/lib/$soname"
    done
}
for lib in "${extra_libs[@]}"; do
    soname=$(basename "$lib")
    bundled[$soname]=$lib
    cp -L "$lib" "$appdir/usr/lib/$soname"
    bundle_deps "$appdir/usr/lib/$soname"
done
for file in "$appdir/usr/bin/podtap" "$appdir/usr/bin/podtapctl" "${plugin_files[@]}"; do
    bundle_deps "$file"
done
# bundle_deps resolved through the build machine's loader; the copies in usr/lib must not keep pointing
# back to it (a RUNPATH from the build) and must find each other.
set_runpath() {
    local file=$1 runpath=$2 dynamic
    readelf -h "$file" > /dev/null 2>&1 || return 0
    dynamic=$(readelf -d "$file")
    grep -q '(NEEDED)' <<< "$dynamic" || return 0 # static, like podtap-agent
    patchelf --set-rpath "$runpath" "$file"
}
for file in "$appdir"/usr/bin/*; do set_runpath "$file" '$ORIGIN/../lib'; done
for file in "$appdir"/usr/lib/*; do set_runpath "$file" '$ORIGIN'; done
for file in "${plugin_files[@]}"; do set_runpath "$file" '$ORIGIN/../../lib'; done
# Debug information would triple the size.
strip --strip-unneeded "$appdir"/usr/bin/* "$appdir"/usr/lib/* "${plugin_files[@]}" 2> /dev/null || true

# Qt looks for qt.conf next to the executable; its paths are relative to usr/bin.
cat > "$appdir/usr/bin/qt.conf" << 'EOF'
[Paths]
Prefix = ..
Libraries = lib
Plugins = plugins
EOF
install -m 0755 "$here/AppRun" "$appdir/AppRun"
cp "$source_dir/resources/io.podtap.Podtap.desktop" "$appdir/io.podtap.Podtap.desktop"
cp "$source_dir/resources/icons/podtap.svg" "$appdir/io.podtap.Podtap.svg"
ln -s io.podtap.Podtap.svg "$appdir/.DirIcon"
mkdir -p "$appdir/usr/share/applications" "$appdir/usr/share/icons/hicolor/scalable/apps"
ln -s ../../../io.podtap.Podtap.desktop "$appdir/usr/share/applications/io.podtap.Podtap.desktop"
ln -s ../../../../../../io.podtap.Podtap.svg "$appdir/usr/share/icons/hicolor/scalable/apps/io.podtap.Podtap.svg"
if [ -f "$source_dir/resources/io.podtap.Podtap.metainfo.xml" ]; then
    mkdir -p "$appdir/usr/share/metainfo"
    cp "$source_dir/resources/io.podtap.Podtap.metainfo.xml" "$appdir/usr/share/metainfo/"
fi

# The newest glibc symbol version anything in the AppDir asks for: the oldest host it runs on.
glibc=$(for file in "$appdir"/usr/bin/* "$appdir"/usr/lib/* "${plugin_files[@]}"; do
    readelf -V "$file" 2> /dev/null | grep -o 'GLIBC_[0-9.]*'
done | sort -u -V | tail -1)

rm -f "$output" "$output.squashfs"
mkdir -p "$(dirname "$output")"
if command -v appimagetool > /dev/null; then
    ARCH=$(uname -m) appimagetool --no-appstream --runtime-file "$runtime" "$appdir" "$output"
else
    # zstd: fast to decompress, and the runtime carries its decompressor. -all-root: the files belong to
    # whoever mounts or extracts them. -no-xattrs: nothing in an AppDir needs them.
    mksquashfs "$appdir" "$output.squashfs" -all-root -noappend -comp zstd -no-xattrs -quiet > /dev/null
    cat "$runtime" "$output.squashfs" > "$output"
    rm -f "$output.squashfs"
    chmod 0755 "$output"
fi
offset=$("$output" --appimage-offset)
[ "$offset" -eq "$(stat -c %s "$runtime")" ] || fail "$output reports its image at $offset, not after the runtime"
echo "build-appimage: $output ($(du -h "$output" | cut -f1)), ${#bundled[@]} libraries bundled"
echo "build-appimage: expects on the host: ${glibc/GLIBC_/glibc }, $(printf '%s\n' "${!host_needed[@]}" | sort | tr '\n' ' ')"
