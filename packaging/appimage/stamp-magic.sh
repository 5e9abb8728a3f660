#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Writes the AppImage type-2 magic ('A' 'I' 0x02) into bytes 8-10 of the ELF FILE, the padding of e_ident
# that the loader ignores; AppImage tools recognise a type-2 runtime by it.
set -eu
file=$1
printf 'AI\002' | dd of="$file" bs=1 seek=8 conv=notrunc status=none
[ "$(od -An -tx1 -j8 -N3 "$file" | tr -d ' ')" = 414902 ] || { echo "stamp-magic: $file was not stamped" >&2; exit 1; }
