#!/usr/bin/env bash
# Prints the installed /etc/seatd/seatd.conf: every key with its default and help
# (`seatd --print-default-config`), with the paths of an installed seatd. Used by
# scripts/install.sh and by the Debian package (where it becomes a conffile).
#   scripts/default-config.sh SEATD_BINARY DOC_DIR
set -euo pipefail
seatd=$1
docs=$2
echo "# seatd configuration: one 'key = value' per line. Every key is listed with its"
echo "# default; 'systemctl reload seatd' applies changes (keys marked 'Needs a restart'"
echo "# take 'systemctl restart seatd'). See $docs/operations.md."
echo
"$seatd" --print-default-config \
    | sed -e 's|^state_directory = .*|state_directory = /var/lib/seatd|' \
          -e 's|^licenses_file = .*|licenses_file = /etc/seatd/licenses.json|' \
          -e 's|^admin_socket = .*|admin_socket = /run/seatd/admin.sock|'
