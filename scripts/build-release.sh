#!/usr/bin/env bash
# Builds the self-contained release: seatd, seatctl, seatload and libseatclient with the
# Swift runtime linked in (--static-swift-stdlib), so they run where no Swift is installed;
# then strips them into .build-release/dist and checks that nothing needs a Swift library.
# The scratch path is .build-release rather than .build so a release build can run while a
# debug build or `make test` holds .build (SwiftPM locks its scratch directory).
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=.build-release
dist=$scratch/dist
# The commit --version prints (Package.swift reads SEATD_COMMIT).
commit=$(git rev-parse --short=12 HEAD)
git diff --quiet HEAD -- || commit="$commit-dirty"
export SEATD_COMMIT=$commit

# --disable-local-rpath: no RUNPATH ($ORIGIN) at all; everything needed is in the binary
# or a system library.
nice swift build -c release --static-swift-stdlib --disable-local-rpath --scratch-path "$scratch"
bin=$scratch/release

rm -rf "$dist"
mkdir -p "$dist"
for program in seatd seatctl seatload; do
    strip -o "$dist/$program" "$bin/$program"
done
strip --strip-unneeded -o "$dist/libseatclient.so" "$bin/libseatclient.so"
scripts/build-static-lib.sh "$bin" "$dist/libseatclient.a"

status=0
for file in "$dist"/seatd "$dist"/seatctl "$dist"/seatload "$dist"/libseatclient.so; do
    if ldd "$file" | grep -q 'libswift\|libFoundation\|libdispatch\|libBlocksRuntime'; then
        echo "$file still needs a Swift library:" >&2
        ldd "$file" >&2
        status=1
    fi
    if readelf -d "$file" | grep -q 'RUNPATH\|RPATH'; then
        echo "$file has a RUNPATH" >&2
        status=1
    fi
done
[ "$status" -eq 0 ] || exit 1
"$dist/seatd" --version | grep -qF "(commit $commit)" || { echo "seatd --version does not name commit $commit" >&2; exit 1; }
ls -l "$dist"
