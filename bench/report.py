#!/usr/bin/env python3
"""One table from a raw.jsonl holding seatd and (optionally) peer records: per point the
median ops/s and median transaction p99 of each system over its runs, and seatd's ratio to
each peer (ratio of medians).  usage: report.py raw.jsonl [more.jsonl ...]"""
import json, statistics, sys
from collections import defaultdict

recs = []
for path in sys.argv[1:]:
    recs += [json.loads(l) for l in open(path) if l.strip()]
pts = defaultdict(list)
for r in recs:
    if r.get("peer") in ("seatd", "seatd-before", "seatd-pg", "pg", "redis"):
        pts[(r["mix"], r["clients"], r["peer"])].append(r)
med = statistics.median
names = {"seatd": "seatd", "seatd-before": "seatd before", "seatd-pg": "seatd on PostgreSQL", "redis": "Redis", "pg": "PostgreSQL"}
peers = [p for p in ("seatd-before", "seatd-pg", "redis", "pg") if any(k[2] == p for k in pts)]

def cell(rs, key):
    return med([r[key] for r in rs]) if rs else None

def f(x, nd=0):
    return "–" if x is None else f"{x:,.{nd}f}"

head = "| mix | clients | " + " | ".join(f"{names[p]} ops/s | {names[p]} p99 ms | {names[p]} server µs/op" for p in ["seatd"] + peers)
head += "".join(f" | seatd / {names[p]}" for p in peers) + " | seatd failed | runs |"
print(head)
print("|" + "---|" * (head.count("|") - 1))
for mix, c in sorted({(k[0], k[1]) for k in pts}):
    row = [mix, str(c)]
    seatd = pts.get((mix, c, "seatd"), [])
    for p in ["seatd"] + peers:
        rs = pts.get((mix, c, p), [])
        cpu = [r["server_cpu_us_per_op"] for r in rs if r.get("server_cpu_us_per_op") is not None]
        row += [f(cell(rs, "ops_per_s")), f(cell(rs, "p99_ms"), 2), f(med(cpu) if cpu else None, 1)]
    for p in peers:
        a, b = cell(seatd, "ops_per_s"), cell(pts.get((mix, c, p), []), "ops_per_s")
        row.append(f"{a / b:.2f}×" if a and b else "–")
    row.append(str(sum(r.get("failed", 0) for r in seatd)))
    row.append("/".join(str(len(pts.get((mix, c, p), []))) for p in ["seatd"] + peers))
    print("| " + " | ".join(row) + " |")
if any(k[2] == "seatd-pg" for k in pts) and any(k[2] == "pg" for k in pts):
    print("\n| mix | clients | seatd on PostgreSQL / PostgreSQL reference design |")
    print("|---|---|---|")
    for mix, c in sorted({(k[0], k[1]) for k in pts}):
        a, b = cell(pts.get((mix, c, "seatd-pg"), []), "ops_per_s"), cell(pts.get((mix, c, "pg"), []), "ops_per_s")
        print(f"| {mix} | {c} | {a / b:.2f}× |" if a and b else f"| {mix} | {c} | – |")
print("\nops/s: operations per second (acquire calls + heartbeats + releases), median of runs; "
      "p99: transaction p99 (churn: acquire[+repeat]+release; steady: one op), median of runs; "
      "server µs/op: the server process's own CPU time per operation (tools/proc_cpu.py before and after), median of runs.")
