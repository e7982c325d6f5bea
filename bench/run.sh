#!/usr/bin/env bash
# The side-by-side benchmark (see docs/performance.md):
#   bench/run.sh            seatd alone: every point (mix x clients), RUNS times
#   bench/run.sh --peers    seatd, PostgreSQL and Redis from ../shared/peers in the same run,
#                           interleaved point by point (the order rotates per run)
#   SEATD_BEFORE_BIN=PATH   also runs that (older) seatd binary in the same interleave, as
#                           "seatd-before", for before/after figures beside the peers
#   SEATD_PG=1 (with --peers) also runs seatd with storage = postgresql on the peers' own
#                           PostgreSQL server (database seatd_bench), as "seatd-pg"
# Builds seatd and seatload in release mode first. Everything listens on 127.0.0.1 only, and
# every point is bounded by DURATION. Knobs (env, as the peers'): DURATION=15 RUNS=3
# CLIENTS="1 16 64 256" MIXES="churn steady" COOLDOWN=10 STATE_DIR=/tmp/seatbench
# Output: bench/results/<time>/raw.jsonl, per-point directories, and table.md (printed).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PEERS=0
[ "${1:-}" = --peers ] && PEERS=1
export PEERS_SRC="${PEERS_SRC:-$ROOT/../shared/peers}"
export RESULTS_DIR="${RESULTS_DIR:-$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$RESULTS_DIR/seatd" "$RESULTS_DIR/seatd-before" "$RESULTS_DIR/seatd-pg" "$RESULTS_DIR/pg" "$RESULTS_DIR/redis"
SEATD_BEFORE_BIN="${SEATD_BEFORE_BIN:-}"
# shellcheck source=/dev/null
source "$PEERS_SRC/lib.sh"
export STATE_DIR DURATION RUNS COOLDOWN CLIENTS MIXES
source "$ROOT/bench/run_seatd.sh"

# Runs one function of a peer script (run_pg.sh / run_redis.sh) in a subshell; $0 is set so
# the script finds its lib.sh without running its own main.
peer() {
  local script="$1"; shift
  bash -c 'source "$1"; shift; "$@"' "$PEERS_SRC/./peer" "$PEERS_SRC/$script" "$@"
}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building seatd and seatload (release)"
  (cd "$ROOT" && swift build -c release --product seatd >/dev/null && swift build -c release --product seatload >/dev/null && swift build -c release --product seatctl >/dev/null)
fi

cleanup() {
  seatd_stop || true
  if [ "$PEERS" = 1 ]; then peer run_redis.sh redis_stop || true; peer run_pg.sh pg_stop || true; fi
}
trap cleanup EXIT

if [ "$PEERS" = 1 ]; then
  [ -x "$PEERS_SRC/build/seatbench_redis" ] || (cd "$PEERS_SRC" && ./setup.sh)
  peer run_pg.sh pg_start
  peer run_pg.sh pg_load_schema
  peer run_redis.sh redis_start
fi
log "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); DURATION=$DURATION RUNS=$RUNS CLIENTS=\"$CLIENTS\" MIXES=\"$MIXES\""

# The older binary, when given, runs right before the current one in every point; so does
# the PostgreSQL-backed seatd (SEATD_PG=1).
before_point() {
  [ -z "$SEATD_BEFORE_BIN" ] || SEATD_BIN="$SEATD_BEFORE_BIN" SEATD_LABEL=seatd-before seatd_run_point "$@"
  if [ "${SEATD_PG:-0}" = 1 ]; then
    SEATD_PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/seatd_bench?sslmode=disable" SEATD_LABEL=seatd-pg seatd_run_point "$@"
    seatd_stop
  fi
}

for mix in $MIXES; do
  for c in $CLIENTS; do
    for run in $(seq 1 "$RUNS"); do
      before_point "$mix" "$c" "$run"
      if [ "$PEERS" = 1 ]; then
        case $((run % 3)) in
          1) seatd_run_point "$mix" "$c" "$run"; peer run_pg.sh pg_run_point "$mix" "$c" "$run"; peer run_redis.sh redis_run_point "$mix" "$c" "$run" ;;
          2) peer run_pg.sh pg_run_point "$mix" "$c" "$run"; peer run_redis.sh redis_run_point "$mix" "$c" "$run"; seatd_run_point "$mix" "$c" "$run" ;;
          0) peer run_redis.sh redis_run_point "$mix" "$c" "$run"; seatd_run_point "$mix" "$c" "$run"; peer run_pg.sh pg_run_point "$mix" "$c" "$run" ;;
        esac
      else
        seatd_run_point "$mix" "$c" "$run"
      fi
    done
  done
done

python3 "$ROOT/bench/report.py" "$RESULTS_DIR/raw.jsonl" | tee "$RESULTS_DIR/table.md"
log "results: $RESULTS_DIR"
