#!/usr/bin/env bash
# Installs libseatclient for C and C++ programs: seat.h, libseatclient.so.1 (and the
# libseatclient.so link for the linker), libseatclient.a when the build made one, and
# seatclient.pc for pkg-config.
#   scripts/install-lib.sh [BUILD_DIR]    (default .build/release)
# PREFIX (default /usr/local), LIBDIR (default $PREFIX/lib), INCLUDEDIR (default
# $PREFIX/include) and DESTDIR (staging root, e.g. for packaging) are honoured.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-.build/release}
prefix=${PREFIX:-/usr/local}
libdir=${LIBDIR:-$prefix/lib}
includedir=${INCLUDEDIR:-$prefix/include}
dest=${DESTDIR:-}
[ -f "$build/libseatclient.so" ] || { echo "no $build/libseatclient.so: run 'swift build --product seatclient' first" >&2; exit 1; }

install -d "$dest$includedir" "$dest$libdir/pkgconfig"
install -m 0644 Sources/CSeatClient/include/seat.h "$dest$includedir/seat.h"
# The soname is libseatclient.so.1 (Package.swift); the file carries the full ABI version.
install -m 0644 "$build/libseatclient.so" "$dest$libdir/libseatclient.so.1.0.0"
ln -sf libseatclient.so.1.0.0 "$dest$libdir/libseatclient.so.1"
ln -sf libseatclient.so.1 "$dest$libdir/libseatclient.so"
if [ -f "$build/libseatclient.a" ]; then
    install -m 0644 "$build/libseatclient.a" "$dest$libdir/libseatclient.a"
fi
sed -e "s|@PREFIX@|$prefix|" -e "s|@LIBDIR@|$libdir|" -e "s|@INCLUDEDIR@|$includedir|" -e "s|@VERSION@|$(cat VERSION)|" \
    pkgconfig/seatclient.pc.in > "$dest$libdir/pkgconfig/seatclient.pc"
chmod 0644 "$dest$libdir/pkgconfig/seatclient.pc"
echo "installed libseatclient into $dest$libdir and seat.h into $dest$includedir"
