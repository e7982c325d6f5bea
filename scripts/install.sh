#!/usr/bin/env bash
# Installs seatd as a systemd service: the binaries, the unit, a commented default
# configuration (kept if one exists), the operations guide, and the `seatd` system user.
#   scripts/install.sh [BUILD_DIR]        (default .build/release; `make install` builds it)
# PREFIX (default /usr/local) and DESTDIR (staging root, e.g. for packaging) are honoured;
# with DESTDIR set, no user is created and systemd is not told.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-.build/release}
prefix=${PREFIX:-/usr/local}
dest=${DESTDIR:-}
for binary in seatd seatctl; do
    [ -x "$build/$binary" ] || { echo "no $build/$binary: run 'swift build -c release' first" >&2; exit 1; }
done

install -d "$dest$prefix/bin" "$dest/etc/systemd/system" "$dest/etc/seatd" "$dest$prefix/share/doc/seatd"
install -m 0755 "$build/seatd" "$build/seatctl" "$dest$prefix/bin/"
sed -e "s|/usr/local/bin/seatd|$prefix/bin/seatd|" -e "s|/usr/local/share/doc/seatd|$prefix/share/doc/seatd|" \
    systemd/seatd.service > "$dest/etc/systemd/system/seatd.service"
chmod 0644 "$dest/etc/systemd/system/seatd.service"
install -m 0644 docs/operations.md docs/license-files.md README.md "$dest$prefix/share/doc/seatd/"

config="$dest/etc/seatd/seatd.conf"
if [ -e "$config" ]; then
    echo "kept the existing $config"
else
    scripts/default-config.sh "$build/seatd" "$prefix/share/doc/seatd" > "$config"
    chmod 0640 "$config"
    echo "wrote $config"
fi
# The daemon reads /etc/seatd/licenses.json at start; an empty list until licenses are added.
[ -e "$dest/etc/seatd/licenses.json" ] || { echo '{ "licenses": [] }' > "$dest/etc/seatd/licenses.json"; chmod 0640 "$dest/etc/seatd/licenses.json"; }

if [ -z "$dest" ]; then
    if ! getent passwd seatd >/dev/null; then
        useradd --system --user-group --home-dir /var/lib/seatd --no-create-home --shell /usr/sbin/nologin seatd
        echo "created the system user seatd"
    fi
    if ! getent group seatd-admin >/dev/null; then
        groupadd --system seatd-admin
        echo "created the group seatd-admin: add administrators with 'usermod -aG seatd-admin NAME'"
    fi
    # The service user reads its configuration (and TLS key files placed here) via the group.
    chgrp -R seatd /etc/seatd
    chmod 0750 /etc/seatd
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        echo "installed; start with: systemctl enable --now seatd"
    else
        echo "installed; systemd is not running here, so nothing was started"
    fi
fi
# Staged installs (DESTDIR) check the staged files.
"$dest$prefix/bin/seatd" --config "$config" -o state_directory="${dest:-}/var/lib/seatd" -o licenses_file="${dest:-}/etc/seatd/licenses.json" --check-config >/dev/null
echo "configuration ok: $config"
