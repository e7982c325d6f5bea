#!/usr/bin/env bash
# Checks systemd/seatd.service the way CI does: `systemd-analyze verify` must pass and
# `systemd-analyze security --offline=true` must rate its exposure at most 2.0
# (override with SEATD_MAX_EXPOSURE). Prints "exposure: N". Needs no running systemd.
# Usage: scripts/check-systemd.sh [path-to-built-seatd]
set -euo pipefail
cd "$(dirname "$0")/.."

max=${SEATD_MAX_EXPOSURE:-2.0}
binary=${1:-$PWD/.build/debug/seatd}
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not found (scripts/install-deps.sh installs systemd)" >&2; exit 2; }
[ -x "$binary" ] || { echo "no seatd binary at $binary (swift build first)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# verify insists that ExecStart's program exists; the unit names the installed path, so
# check a copy that runs the binary just built (everything else is the unit as shipped).
sed "s|^ExecStart=/usr/local/bin/seatd |ExecStart=$binary |" systemd/seatd.service > "$work/seatd.service"
grep -q "^ExecStart=$binary " "$work/seatd.service" || { echo "ExecStart=/usr/local/bin/seatd not found in the unit" >&2; exit 1; }

if ! verify_output=$(systemd-analyze verify "$work/seatd.service" 2>&1) || [ -n "$verify_output" ]; then
    echo "systemd-analyze verify failed:" >&2
    echo "$verify_output" >&2
    exit 1
fi
echo "verify: ok"

score=$(systemd-analyze security --offline=true "$work/seatd.service" 2>/dev/null \
    | sed -n 's/.*Overall exposure level for seatd.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || { echo "no exposure score from systemd-analyze security" >&2; exit 1; }
echo "exposure: $score"
awk -v score="$score" -v max="$max" 'BEGIN { exit !(score + 0 <= max + 0) }' \
    || { echo "exposure $score is above $max" >&2; exit 1; }
