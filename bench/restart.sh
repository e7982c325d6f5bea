#!/usr/bin/env bash
# Restart test: RESTART_SESSIONS live sessions in LMDB (created through the protocol), then
# seatd is killed (SIGKILL, as in a crash) and started again; measures the time from exec until
# a client's acquire is answered (process start, LMDB load, TLS handshake and request included).
# Env: RESTART_SESSIONS=1000000 STATE_DIR=/tmp/seatbench
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PEERS_SRC="${PEERS_SRC:-$ROOT/../shared/peers}"
RESTART_SESSIONS="${RESTART_SESSIONS:-1000000}"
export RESULTS_DIR="${RESULTS_DIR:-$ROOT/bench/results/restart-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$RESULTS_DIR"
source "$PEERS_SRC/lib.sh"
export SEATD_HOLD_SESSIONS="$RESTART_SESSIONS"
source "$ROOT/bench/run_seatd.sh"
trap seatd_stop EXIT

seatd_stop; rm -rf "$SEATD_DIR/state/data"
seatd_start
"$SEATLOAD_BIN" preload --set hold --sessions "$RESTART_SESSIONS" --connections 256 --port "$SEATD_PORT" --ca "$(seatd_ca)" 2>&1 | tee "$RESULTS_DIR/preload.txt"
log "data.mdb: $(du -h "$SEATD_DIR/state/data/data.mdb" | cut -f1)"
kill -KILL "$(cat "$SEATD_DIR/seatd.pid")"; sleep 0.5
for attempt in 1 2 3; do
  t0=$(date +%s%N)
  seatd_start
  t1=$(date +%s%N)
  "$SEATLOAD_BIN" preload --set hold --sessions 1 --connections 1 --threads 1 --port "$SEATD_PORT" --ca "$(seatd_ca)" --quiet
  t2=$(date +%s%N)
  restored="$(grep -o 'restored seat state.*' "$SEATD_LOG" | head -1)"
  printf 'restart %d: listening after %.3f s, first acquire answered after %.3f s (%s)\n' "$attempt" \
    "$(echo "($t1 - $t0) / 1000000000" | bc -l)" "$(echo "($t2 - $t0) / 1000000000" | bc -l)" "$restored" | tee -a "$RESULTS_DIR/restart.txt"
  kill -KILL "$(cat "$SEATD_DIR/seatd.pid")"; sleep 0.5
done
