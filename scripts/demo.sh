#!/usr/bin/env bash
# Starts seatd with the demo configuration (state in ./state, a generated development CA,
# the demo licenses), creates an access key through the admin socket, shows a client
# validating, acquiring, heartbeating and releasing a seat, an administrator's view and a
# force-release, then keeps the daemon in the foreground until Ctrl-C.
# SEATD and SEATCTL name other binaries (the package test runs the installed ones);
# DEMO_FOREGROUND=0 stops seatd and exits once the demo has run.
set -euo pipefail
cd "$(dirname "$0")/.."

seatd=${SEATD:-.build/debug/seatd}
seatctl=${SEATCTL:-.build/debug/seatctl}
"$seatd" --config demo/seatd.conf &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT INT TERM

export SEATD_SERVER=localhost:7420 SEATD_CA=./state/tls/ca.pem SEATD_ADMIN_SOCKET=./state/admin.sock
for _ in $(seq 1 100); do
    "$seatctl" status >/dev/null 2>&1 && break
    kill -0 $daemon 2>/dev/null || { echo "seatd exited; see its log above" >&2; exit 1; }
    sleep 0.2
done

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
step "$seatctl" status
# Clients authenticate with an access key of their tenant (the demo licenses belong to "default").
SEATD_ACCESS_KEY=$("$seatctl" key create --tenant default --label demo --json | sed -E 's/.*"secret":"([^"]+)".*/\1/')
export SEATD_ACCESS_KEY
echo "(created an access key for tenant 'default' through the admin socket; clients use it as SEATD_ACCESS_KEY)"
step "$seatctl" validate --license DEMO-CAD-5
step "$seatctl" acquire --license DEMO-CAD-5 --user alice --hardware-id alice-laptop
again=$(step "$seatctl" acquire --license DEMO-CAD-5 --user alice --hardware-id alice-laptop --json)
echo "$again"
token=$(printf '%s' "$again" | tail -n 1 | sed -E 's/.*"token":"([0-9a-f]+)".*/\1/')
echo "(the same user and machine acquiring again get their session back: \"reattached\":true, the same token)"
step "$seatctl" heartbeat "$token"
step "$seatctl" release "$token"
step "$seatctl" acquire --license DEMO-TRIAL-1 --user bob --hardware-id bob-pc --json
step "$seatctl" acquire --license DEMO-TRIAL-1 --user carol --hardware-id carol-pc || echo "(exit status $?: no seat free)"
step "$seatctl" sessions
step "$seatctl" release --user bob
echo "(force-released: bob's seat is free at once, and his next heartbeat gets sessionRevoked)"
step "$seatctl" audit --limit 8

[ "${DEMO_FOREGROUND:-1}" = 1 ] || exit 0
printf '\nseatd is running on localhost:7420 (pid %s); clients trust %s and use SEATD_ACCESS_KEY=%s.\nAdministration: seatctl status|sessions|release|license|tenant|key|audit (admin socket %s). Ctrl-C stops it.\n' "$daemon" "$SEATD_CA" "$SEATD_ACCESS_KEY" "$SEATD_ADMIN_SOCKET"
wait $daemon
