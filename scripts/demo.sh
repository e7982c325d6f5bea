#!/usr/bin/env bash
# Starts seatd with the demo configuration (state in ./state, a generated development CA,
# the demo licenses), shows a client validating, acquiring, heartbeating and releasing a
# seat, then keeps the daemon in the foreground until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=.build/debug
"$bin/seatd" --config demo/seatd.conf &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT INT TERM

export SEATD_SERVER=localhost:7420 SEATD_CA=./state/tls/ca.pem
for _ in $(seq 1 100); do
    "$bin/seatctl" validate --license DEMO-CAD-5 >/dev/null 2>&1 && break
    kill -0 $daemon 2>/dev/null || { echo "seatd exited; see its log above" >&2; exit 1; }
    sleep 0.2
done

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
step "$bin/seatctl" validate --license DEMO-CAD-5
step "$bin/seatctl" acquire --license DEMO-CAD-5 --user alice --hardware-id alice-laptop
token=$("$bin/seatctl" acquire --license DEMO-CAD-5 --user alice --hardware-id alice-laptop --json | sed -E 's/.*"token":"([0-9a-f]+)".*/\1/')
echo "(acquiring again as the same user and machine returns the same session: $token)"
step "$bin/seatctl" heartbeat "$token"
step "$bin/seatctl" release "$token"
step "$bin/seatctl" acquire --license DEMO-TRIAL-1 --user bob --hardware-id bob-pc --json
step "$bin/seatctl" acquire --license DEMO-TRIAL-1 --user carol --hardware-id carol-pc || echo "(exit status $?: no seat free)"

printf '\nseatd is running on localhost:7420 (pid %s); clients trust %s. Ctrl-C stops it.\n' "$daemon" "$SEATD_CA"
wait $daemon
