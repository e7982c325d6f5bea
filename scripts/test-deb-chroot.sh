#!/usr/bin/env bash
# Installs the Debian packages into a fresh Debian 12 chroot (debootstrap, minbase: no
# Swift, no compiler) and runs scripts/deb-checks.sh there: no Swift library needed,
# the demo against the installed binaries, the C example built with pkg-config, an
# upgrade that keeps sessions and local configuration, remove and purge.
#   scripts/test-deb-chroot.sh [DEB_DIR]     (default .build-release/deb; needs root)
# SEATD_CHROOT_MIRROR overrides the Debian mirror (default http://deb.debian.org/debian).
# Downloaded base packages are kept in /var/cache/seatd-debootstrap for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."

debs=${1:-.build-release/deb}
mirror=${SEATD_CHROOT_MIRROR:-http://deb.debian.org/debian}
ls "$debs"/*.deb >/dev/null
[ "$(id -u)" -eq 0 ] || { echo "debootstrap and chroot need root" >&2; exit 1; }

root=$(mktemp -d /var/tmp/seatd-chroot.XXXXXX)
# The chroot's / : mktemp's 0700 would keep the seatd user from reaching anything.
chmod 0755 "$root"
cleanup() {
    # A failed check can leave seatd or the example running in there, holding /dev busy.
    for proc in /proc/[0-9]*; do
        case "$(readlink "$proc/root" 2>/dev/null)" in "$root"|"$root"/*) kill -9 "${proc#/proc/}" 2>/dev/null || true ;; esac
    done
    for mount in dev/pts dev proc; do umount "$root/$mount" 2>/dev/null || true; done
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT

echo "--- debootstrap bookworm into $root"
mkdir -p /var/cache/seatd-debootstrap
debootstrap --variant=minbase --cache-dir=/var/cache/seatd-debootstrap bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 \
    || { tail -n 30 "$root.debootstrap.log" >&2; exit 1; }
rm -f "$root.debootstrap.log"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
# An installed system has these (the installer writes /etc/hosts); debootstrap does not,
# and the demo's clients connect to "localhost".
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
# Nothing may start services in the chroot: there is no systemd in it.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"

mkdir -p "$root/tmp/seatd-test/debs" "$root/tmp/seatd-test/scripts"
cp "$debs"/*.deb "$root/tmp/seatd-test/debs/"
cp -r demo "$root/tmp/seatd-test/"
cp scripts/demo.sh scripts/deb-checks.sh "$root/tmp/seatd-test/scripts/"
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root bash /tmp/seatd-test/scripts/deb-checks.sh
