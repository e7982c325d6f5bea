#!/usr/bin/env bash
# seatd as a peer of shared/peers: same data set, same client state machines (seatload), same
# JSON record (through the peers' tools/annotate.py). Source it after the peers' lib.sh, then:
#   seatd_start; seatd_run_point MIX CLIENTS RUN; seatd_stop
# Env: SEATD_BIN SEATLOAD_BIN SEATD_PORT SEATD_EXTRA (extra "-o key=value" words), plus lib.sh's knobs.

SEATD_ROOT="${SEATD_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
SEATD_BIN="${SEATD_BIN:-$SEATD_ROOT/.build/release/seatd}"
SEATLOAD_BIN="${SEATLOAD_BIN:-$SEATD_ROOT/.build/release/seatload}"
SEATCTL_BIN="${SEATCTL_BIN:-$SEATD_ROOT/.build/release/seatctl}"
SEATD_PORT="${SEATD_PORT:-57420}"
SEATD_DIR="$STATE_DIR/seatd"
SEATD_LOG="$SEATD_DIR/seatd.log"
SEATD_EXTRA="${SEATD_EXTRA:-}"
SEATD_HOLD_SESSIONS="${SEATD_HOLD_SESSIONS:-0}"   # extra hold-* licenses (hold scenario / restart test)
SEATD_LABEL="${SEATD_LABEL:-seatd}"   # the record's "peer" (bench/run.sh runs an older binary as seatd-before)
# SEATD_PG_URL: run seatd with storage = postgresql on that database (dropped and created
# again by every reset), e.g. the peers' own PostgreSQL (bench/run.sh --peers with SEATD_PG=1).
SEATD_PG_URL="${SEATD_PG_URL:-}"

# Production settings: TLS (development CA kept across restarts), durability = fsync.
seatd_start() {
  mkdir -p "$SEATD_DIR"
  "$SEATLOAD_BIN" licenses --hold-sessions "$SEATD_HOLD_SESSIONS" --out "$SEATD_DIR/licenses.json"
  cat > "$SEATD_DIR/seatd.conf" <<CONF
listen_address = 127.0.0.1
port = $SEATD_PORT
state_directory = $SEATD_DIR/state
licenses_file = $SEATD_DIR/licenses.json
# seatload writes unsigned licenses; signature checks happen only at load, not per request.
development_mode = true
durability = fsync
lease_seconds = $LEASE_S
log_level = info
# The load generator is one address opening up to 256 connections at once.
max_unauthenticated_per_address = 1024
CONF
  if [ -n "$SEATD_PG_URL" ]; then
    printf 'storage = postgresql\npostgresql_url = %s\ncluster_node_name = bench\n' "$SEATD_PG_URL" >> "$SEATD_DIR/seatd.conf"
  fi
  # Room for the hold test's 50,000 connections (seatd raises its soft limit to the hard one;
  # in production that is systemd's LimitNOFILE).
  # shellcheck disable=SC2086
  ( ulimit -Hn 131072 2>/dev/null || true; ulimit -Sn 131072 2>/dev/null || true
    exec "$SEATD_BIN" --config "$SEATD_DIR/seatd.conf" $SEATD_EXTRA > "$SEATD_LOG" 2>&1 ) &
  echo $! > "$SEATD_DIR/seatd.pid"
  local i
  for i in $(seq 1 1200); do
    # With storage = postgresql the node listens as a standby first: wait for the active node.
    if [ -n "$SEATD_PG_URL" ]; then grep -q 'this node is active' "$SEATD_LOG" 2>/dev/null && sleep 0.2 && break
    else grep -q 'listening' "$SEATD_LOG" 2>/dev/null && break; fi
    kill -0 "$(cat "$SEATD_DIR/seatd.pid")" 2>/dev/null || { log "seatd exited: $(tail -3 "$SEATD_LOG")"; return 1; }
    sleep 0.05
  done
  # Clients authenticate as in production: one access key of the licenses' tenant, created
  # through the admin socket; seatload sends it after Hello on every connection.
  for i in $(seq 1 200); do
    SEATD_ACCESS_KEY="$("$SEATCTL_BIN" key create --tenant default --label bench --json --admin-socket "$SEATD_DIR/state/admin.sock" 2>/dev/null \
      | sed -E 's/.*"secret":"([^"]+)".*/\1/')" && [ -n "$SEATD_ACCESS_KEY" ] && break
    sleep 0.05
  done
  [ -n "${SEATD_ACCESS_KEY:-}" ] || { log "could not create an access key through $SEATD_DIR/state/admin.sock"; return 1; }
  export SEATD_ACCESS_KEY
  log "seatd started, pid $(cat "$SEATD_DIR/seatd.pid") on 127.0.0.1:$SEATD_PORT (durability=fsync, TLS 1.3, access key authentication${SEATD_PG_URL:+, storage=postgresql})"
}

seatd_stop() {
  if [ -s "$SEATD_DIR/seatd.pid" ]; then
    local pid; pid="$(cat "$SEATD_DIR/seatd.pid")"
    log "stopping seatd pid $pid (SIGTERM)"
    stop_pid "$pid" TERM
    rm -f "$SEATD_DIR/seatd.pid"
  fi
}

seatd_ca() { echo "$SEATD_DIR/state/tls/ca.pem"; }

# Fresh data set: stop, wipe the LMDB store (keep the CA), start, create the 27,500 live
# sessions of the peers' preload through the protocol.
seatd_reset() {
  seatd_stop
  rm -rf "$SEATD_DIR/state/data"
  if [ -n "$SEATD_PG_URL" ]; then
    local db="${SEATD_PG_URL##*/}"; db="${db%%\?*}"
    psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  fi
  seatd_start
  "$SEATLOAD_BIN" preload --set bench --port "$SEATD_PORT" --ca "$(seatd_ca)" --connections 64 --quiet
}

# seatd_run_point MIX CLIENTS RUN#
seatd_run_point() {
  local mix="$1" c="$2" run="$3" j; j="$(threads_for "$c")"
  local out="$RESULTS_DIR/$SEATD_LABEL/$mix-c$c-r$run"
  rm -rf "$out"; mkdir -p "$out"
  seatd_reset
  sleep "$COOLDOWN"
  local probe cpuprobe d0 d1 c0 c1 s0 s1 pid; pid="$(cat "$SEATD_DIR/seatd.pid")"
  cpuprobe="$(cpu_quick)"; probe="$(fsync_quick)"; d0="$(data_disk_line)"; c0="$(grep '^cpu ' /proc/stat)"
  # The server's own CPU (apart from seatload's), as the peers record it.
  s0="$(python3 "$PEERS_DIR/tools/proc_cpu.py" "$pid")"
  "$SEATLOAD_BIN" run --scenario "$mix" --clients "$c" --threads "$j" --duration "$DURATION" --run "$run" \
      --port "$SEATD_PORT" --ca "$(seatd_ca)" --quiet --json-out "$out/driver.json" > "$out/seatload.txt" 2> "$out/seatload.err" \
    || log "seatload reported failures: $(tail -c 300 "$out/driver.json" 2>/dev/null)"
  s1="$(python3 "$PEERS_DIR/tools/proc_cpu.py" "$pid")"; d1="$(data_disk_line)"; c1="$(grep '^cpu ' /proc/stat)"
  grep -E 'rss|VmRSS' "/proc/$pid/status" > "$out/seatd_status.txt" 2>/dev/null || true
  python3 "$PEERS_DIR/tools/annotate.py" --probe "$probe" --cpuprobe "$cpuprobe" --disk "$d0" "$d1" --cpu "$c0" "$c1" --server-cpu "$s0" "$s1" \
    < "$out/driver.json" | python3 -c 'import json, sys; r = json.load(sys.stdin); r["peer"] = sys.argv[1]; print(json.dumps(r))' "$SEATD_LABEL" \
    > "$out/summary.json"
  cat "$out/summary.json" >> "$RESULTS_DIR/raw.jsonl"
  python3 "$PEERS_DIR/tools/oneline.py" < "$out/summary.json"
}
