#!/usr/bin/env bash
# The machine's request/response ceiling: how many round trips per second the fastest server
# at hand (Redis, C, plaintext, no durability, no work: PING and an in-memory SET) manages
# with its C load generator on the same cores, one request in flight per connection — the
# same closed loop as seatload. No server doing TLS, a commit and its own logic per request
# can exceed it on this machine, so it bounds what "3x Redis" can mean (docs/performance.md).
#   bench/ceiling.sh [CLIENTS...]   (default: 64 256)
set -euo pipefail
port="${CEILING_PORT:-56400}"
clients=("${@:-64 256}")
redis-server --port "$port" --save "" --appendonly no --daemonize no > /tmp/seatd-ceiling-redis.log 2>&1 &
server=$!
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
for c in ${clients[*]}; do
    redis-benchmark -p "$port" -t ping_mbulk,set -c "$c" -P 1 -n 1000000 -q --threads 1 2>&1 | tr '\r' '\n' \
        | grep -E 'requests per second' | sed "s/^/clients=$c  /"
done
