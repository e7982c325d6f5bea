#!/usr/bin/env bash
# Makes libseatclient.a from a release build: one relocatable object holding the C API,
# SeatClient, NIO, BoringSSL and the static Swift runtime, so a C program links it with
# only the system libraries in seatclient.pc's Libs.private (libstdc++, libm, libpthread,
# libdl). SwiftPM's own static library product would carry only the targets' objects and
# leave the program to find the Swift runtime and every dependency.
#   scripts/build-static-lib.sh BIN_DIR OUTPUT      (BIN_DIR: a release build's bin path)
set -euo pipefail
bin=$1
output=$2

objects_list="$bin/seatclient.product/Objects.LinkFileList"
[ -f "$objects_list" ] || { echo "no $objects_list: build the seatclient product first" >&2; exit 1; }
swift_root=$(dirname "$(dirname "$(command -v swift)")")
static="$swift_root/lib/swift_static/linux"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The list quotes paths with spaces ('…'); ld wants them bare, one argument each.
mapfile -t objects < <(sed -e "s/^'//" -e "s/'$//" "$objects_list")

# Every static Swift library (runtime, Concurrency, Foundation and CoreFoundation, ICU,
# libdispatch, …) in one group: ld -r takes from them only the members something refers
# to. The autolink entries in the objects would not name them all (CoreFoundation is
# referenced by Foundation's C code, not autolinked). System libraries stay for the final
# link (seatclient.pc, Libs.private).
# swiftrt.o registers the image's Swift metadata with the runtime at load; exactly one per
# image, as swiftc adds it to every Swift executable and shared library.
ld -r -o "$work/seatclient.o" "$static/x86_64/swiftrt.o" "${objects[@]}" --start-group "$static"/*.a --end-group
rm -f "$output"
ar rcs "$output" "$work/seatclient.o"
