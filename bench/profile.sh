#!/usr/bin/env bash
# Where seatd's CPU goes under one benchmark point: the peers' data set, seatload running
# MIX with CLIENTS for DURATION s, and `perf record` on seatd (DWARF-less frame pointers are
# enough for the flat profile) over the middle of the run. Prints the flat profile by
# shared object and by symbol, and the server's CPU per operation of the same run.
#   MIX=churn CLIENTS=256 DURATION=20 bench/profile.sh
# Needs linux-perf (`apt-get install -y linux-perf`) and the release build (bench/run.sh builds it).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PEERS_SRC="${PEERS_SRC:-$ROOT/../shared/peers}"
MIX="${MIX:-churn}" CLIENTS="${CLIENTS:-256}" DURATION="${DURATION:-20}"
export RESULTS_DIR="${RESULTS_DIR:-$ROOT/bench/results/profile-$MIX-c$CLIENTS-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$RESULTS_DIR"
source "$PEERS_SRC/lib.sh"
source "$ROOT/bench/run_seatd.sh"
command -v perf >/dev/null || { echo "perf is missing: apt-get install -y linux-perf" >&2; exit 1; }
trap 'seatd_stop' EXIT

seatd_reset
pid="$(cat "$SEATD_DIR/seatd.pid")"
s0="$(python3 "$PEERS_DIR/tools/proc_cpu.py" "$pid")"
"$SEATLOAD_BIN" run --scenario "$MIX" --clients "$CLIENTS" --threads "$(threads_for "$CLIENTS")" --duration "$DURATION" \
    --port "$SEATD_PORT" --ca "$(seatd_ca)" --quiet --json-out "$RESULTS_DIR/driver.json" > "$RESULTS_DIR/seatload.txt" 2>&1 &
load=$!
# Skip the ramp-up, record the middle half.
sleep "$((DURATION / 4))"
perf record -F 999 -g -p "$pid" -o "$RESULTS_DIR/perf.data" -- sleep "$((DURATION / 2))" 2> "$RESULTS_DIR/perf-record.err"
wait "$load" || log "seatload reported failures"
s1="$(python3 "$PEERS_DIR/tools/proc_cpu.py" "$pid")"
python3 - "$s0" "$s1" "$RESULTS_DIR/driver.json" <<'PY' | tee "$RESULTS_DIR/summary.txt"
import json, os, sys
ticks, driver = int(sys.argv[2]) - int(sys.argv[1]), json.load(open(sys.argv[3]))
ops = driver["ops_per_s"] * (driver.get("elapsed_s") or driver["duration_s"])
cpu_s = ticks / os.sysconf("SC_CLK_TCK")
print(f"{driver['ops_per_s']:,.0f} ops/s, p99 {driver.get('p99_ms')} ms, seatd CPU {cpu_s * 1e6 / ops:.1f} us/op ({cpu_s:.1f} s over {ops:,.0f} ops)")
PY
perf report -i "$RESULTS_DIR/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15 | tee "$RESULTS_DIR/by-dso.txt"
perf report -i "$RESULTS_DIR/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60 | tee "$RESULTS_DIR/by-symbol.txt"
echo "perf data: $RESULTS_DIR/perf.data (perf report -i it for call graphs)"
