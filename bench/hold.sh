#!/usr/bin/env bash
# Many-connections test: HOLD_CLIENTS TLS clients each hold a seat and heartbeat every
# HOLD_INTERVAL s (open loop) for HOLD_DURATION s. Prints seatload's report and seatd's peak RSS.
# Env: HOLD_CLIENTS=50000 HOLD_INTERVAL=30 HOLD_DURATION=75 STATE_DIR=/tmp/seatbench
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PEERS_SRC="${PEERS_SRC:-$ROOT/../shared/peers}"
HOLD_CLIENTS="${HOLD_CLIENTS:-50000}" HOLD_INTERVAL="${HOLD_INTERVAL:-30}" HOLD_DURATION="${HOLD_DURATION:-75}"
export RESULTS_DIR="${RESULTS_DIR:-$ROOT/bench/results/hold-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$RESULTS_DIR"
source "$PEERS_SRC/lib.sh"
export SEATD_HOLD_SESSIONS="$HOLD_CLIENTS"
source "$ROOT/bench/run_seatd.sh"
trap 'seatd_stop; [ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null || true' EXIT

seatd_stop; rm -rf "$SEATD_DIR/state/data"
seatd_start
pid="$(cat "$SEATD_DIR/seatd.pid")"
( while kill -0 "$pid" 2>/dev/null; do
    echo "$(date +%s) $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") $(ls "/proc/$pid/fd" | wc -l)"; sleep 2
  done ) > "$RESULTS_DIR/rss.txt" 2>/dev/null &
SAMPLER=$!
"$SEATLOAD_BIN" run --scenario hold --clients "$HOLD_CLIENTS" --hold-interval "$HOLD_INTERVAL" --duration "$HOLD_DURATION" \
    --threads 2 --connect-window 64 --port "$SEATD_PORT" --ca "$(seatd_ca)" --json-out "$RESULTS_DIR/hold.json" \
    2> "$RESULTS_DIR/seatload.err" | tee "$RESULTS_DIR/seatload.txt" || log "seatload reported failures"
kill "$SAMPLER" 2>/dev/null || true
awk '{ if ($2 > m) { m = $2; f = $3 } } END { printf "seatd peak RSS: %.0f MiB (%d fds at that time)\n", m / 1024, f }' "$RESULTS_DIR/rss.txt" | tee "$RESULTS_DIR/rss_peak.txt"
tail -n 5 "$RESULTS_DIR/seatload.err"
