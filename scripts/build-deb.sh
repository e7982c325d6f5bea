#!/usr/bin/env bash
# Builds the Debian packages seatd, seatctl, libseatclient1 and libseatclient-dev with
# dpkg-buildpackage (debian/rules runs `make release`), moves them into
# .build-release/deb, and checks them with lintian.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(cat VERSION)
changelog=$(dpkg-parsechangelog -S Version)
[ "$changelog" = "$version" ] || { echo "debian/changelog is at $changelog but VERSION is $version" >&2; exit 1; }

out=.build-release/deb
rm -rf "$out"
mkdir -p "$out"
dpkg-buildpackage -b -us -uc
# dpkg-buildpackage always writes into the parent directory.
for file in seatd_"$version"_amd64.deb seatctl_"$version"_amd64.deb libseatclient1_"$version"_amd64.deb \
            libseatclient-dev_"$version"_amd64.deb seatd_"$version"_amd64.buildinfo seatd_"$version"_amd64.changes; do
    mv "../$file" "$out/"
done
lintian --fail-on error --suppress-tags-from-file debian/lintian-accepted "$out/seatd_${version}_amd64.changes"
ls -l "$out"
