#!/usr/bin/env bash
# Removes what scripts/install.sh installed. Configuration (/etc/seatd), the seat store
# (/var/lib/seatd) and the seatd user stay unless PURGE=1: the store holds every session.
set -euo pipefail
prefix=${PREFIX:-/usr/local}
dest=${DESTDIR:-}

if [ -z "$dest" ] && [ -d /run/systemd/system ]; then
    systemctl disable --now seatd 2>/dev/null || true
fi
rm -f "$dest$prefix/bin/seatd" "$dest$prefix/bin/seatctl" "$dest/etc/systemd/system/seatd.service"
rm -rf "$dest$prefix/share/doc/seatd"
if [ "${PURGE:-0}" = 1 ]; then
    rm -rf "$dest/etc/seatd" "$dest/var/lib/seatd" "$dest/var/lib/private/seatd"
    [ -n "$dest" ] || ! getent passwd seatd >/dev/null || userdel seatd
    echo "removed seatd, its configuration, its data and its user"
else
    echo "removed seatd; kept /etc/seatd and /var/lib/seatd (PURGE=1 removes them)"
fi
[ -n "$dest" ] || [ ! -d /run/systemd/system ] || systemctl daemon-reload
