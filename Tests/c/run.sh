#!/usr/bin/env bash
# The C tests: installs libseatclient from BUILD_DIR into a scratch prefix, compiles each
# test with the system C compiler against the installed seat.h and `pkg-config seatclient`,
# starts the real seatd (TLS on 127.0.0.1, a port it picks) and runs them against it.
#   Tests/c/run.sh [BUILD_DIR]     (default .build/debug; `make test-c` builds it)
set -euo pipefail
cd "$(dirname "$0")/../.."

build=${1:-.build/debug}
work=$(mktemp -d)
daemon=
cleanup() {
    if [ -n "$daemon" ]; then kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

PREFIX="$work/prefix" LIBDIR="$work/prefix/lib" scripts/install-lib.sh "$build" >/dev/null
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
cflags=$(pkg-config --cflags seatclient)
libs=$(pkg-config --libs seatclient)
for test in Tests/c/test_*.c; do
    name=$(basename "$test" .c)
    # The rpath is the tests' own: they run against the scratch prefix, not a system path.
    ${CC:-cc} -std=c11 -Wall -Wextra -Werror -pthread $cflags -o "$work/$name" \
        "$test" Tests/c/harness.c Tests/c/tcp_proxy.c $libs -Wl,-rpath,"$work/prefix/lib"
done

state="$work/state"
mkdir -p "$state"
"$build/seatd" -o listen_address=127.0.0.1 -o port=0 -o metrics_port=0 -o dashboard_port=0 -o state_directory="$state" \
    -o licenses_file="$PWD/Tests/c/licenses.json" -o development_mode=true -o anonymous_tenant=default \
    -o log_level=debug -o audit_aggregation_window_seconds=1 -o sweep_interval_seconds=0.5 >"$work/seatd.log" 2>&1 &
daemon=$!
port=
for _ in $(seq 1 600); do
    port=$(sed -n 's/.*msg=listening address=[^ ]*:\([0-9][0-9]*\).*/\1/p' "$work/seatd.log" | head -n 1)
    [ -n "$port" ] && grep -q 'msg="admin socket listening"' "$work/seatd.log" && break
    kill -0 "$daemon" 2>/dev/null || { cat "$work/seatd.log" >&2; echo "seatd exited" >&2; exit 1; }
    sleep 0.1
done
[ -n "$port" ] || { cat "$work/seatd.log" >&2; echo "seatd did not log its port within 60 s" >&2; exit 1; }

export SEAT_TEST_PORT=$port SEAT_TEST_CA="$state/tls/ca.pem" SEAT_TEST_ADMIN_SOCKET="$state/admin.sock" SEATCTL="$PWD/$build/seatctl"
failed=0
for test in Tests/c/test_*.c; do
    name=$(basename "$test" .c)
    echo "--- $name"
    if ! timeout 180 "$work/$name"; then
        echo "FAILED: $name" >&2
        failed=1
    fi
done
if [ "$failed" -ne 0 ]; then
    echo "--- seatd log (last 80 lines)" >&2
    tail -n 80 "$work/seatd.log" >&2
    exit 1
fi
echo "C tests: all passed"
