#!/usr/bin/env bash
# A/B of two seatd binaries on the same points, interleaved run by run (the order alternates),
# for before/after figures of an optimisation:  bench/ab.sh BEFORE_BIN AFTER_BIN
# Env: DURATION RUNS CLIENTS MIXES COOLDOWN (as bench/run.sh). Output: bench/results/ab-<time>/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
A="$1" B="$2"
PEERS_SRC="${PEERS_SRC:-$ROOT/../shared/peers}"
export RESULTS_DIR="${RESULTS_DIR:-$ROOT/bench/results/ab-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$RESULTS_DIR/seatd"
source "$PEERS_SRC/lib.sh"
source "$ROOT/bench/run_seatd.sh"
trap seatd_stop EXIT
point() { # label binary mix clients run
  SEATD_BIN="$2" seatd_run_point "$3" "$4" "$5"
  python3 -c 'import json, sys; r = json.load(open(sys.argv[2])); r["peer"] = sys.argv[1]; print(json.dumps(r))' \
    "$1" "$RESULTS_DIR/seatd/$3-c$4-r$5/summary.json" >> "$RESULTS_DIR/ab.jsonl"
}
for mix in $MIXES; do
  for c in $CLIENTS; do
    for run in $(seq 1 "$RUNS"); do
      if [ $((run % 2)) = 1 ]; then point before "$A" "$mix" "$c" "$run"; point after "$B" "$mix" "$c" "$run"
      else point after "$B" "$mix" "$c" "$run"; point before "$A" "$mix" "$c" "$run"; fi
    done
  done
done
python3 - "$RESULTS_DIR/ab.jsonl" <<'PY'
import json, statistics, sys
from collections import defaultdict
pts = defaultdict(list)
for l in open(sys.argv[1]):
    r = json.loads(l); pts[(r["mix"], r["clients"], r["peer"])].append(r)
print("| mix | clients | before ops/s (runs) | after ops/s (runs) | after/before | before p99 ms | after p99 ms | before server µs/op | after server µs/op | failed before/after |")
print("|---|---:|---|---|---:|---:|---:|---:|---:|---|")
for mix, c in sorted({(k[0], k[1]) for k in pts}):
    b, a = pts[(mix, c, "before")], pts[(mix, c, "after")]
    mb, ma = statistics.median(r["ops_per_s"] for r in b), statistics.median(r["ops_per_s"] for r in a)
    print(f"| {mix} | {c} | {mb:,.0f} ({', '.join(format(r['ops_per_s'], ',.0f') for r in b)}) | {ma:,.0f} ({', '.join(format(r['ops_per_s'], ',.0f') for r in a)}) | "
          f"{ma / mb:.2f}× | {statistics.median(r['p99_ms'] for r in b):.1f} | {statistics.median(r['p99_ms'] for r in a):.1f} | "
          f"{statistics.median(r['server_cpu_us_per_op'] for r in b):.1f} | {statistics.median(r['server_cpu_us_per_op'] for r in a):.1f} | "
          f"{sum(r['failed'] for r in b)}/{sum(r['failed'] for r in a)} |")
PY
