#!/usr/bin/env bash
# Runs the test suite N times on the current tree while another process keeps one core
# busy, to show whether any test can flake. One line per run (pass/fail, duration,
# failing tests), then "N passed, M failed"; exits non-zero if any run failed.
#
#   scripts/soak-tests.sh [N]           N runs, default 10
#   SOAK_TEST_COMMAND='swift test --skip-build --filter LeaseKeepingTests' scripts/soak-tests.sh 3
#                                       another command per run (default: make test)
#   SOAK_LOG_DIRECTORY=dir              where each run's output is kept (default: a new temporary directory)
#
# The load is stress-ng --cpu 1 (installed with apt-get when missing and possible), or
# else a busy shell loop; it is stopped however the script ends.
set -euo pipefail

runs="${1:-10}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [number of runs, default 10]" >&2
    exit 64
fi
test_command="${SOAK_TEST_COMMAND:-make test}"
cd "$(dirname "$0")/.."
logs="${SOAK_LOG_DIRECTORY:-$(mktemp -d "${TMPDIR:-/tmp}/seatd-soak.XXXXXX")}"
mkdir -p "$logs"

# The load and each run are started in process groups of their own (setsid), so that
# stopping one stops its children too (stress-ng's workers, swift test's daemons).
load_pid=""
run_pid=""
stop_group() {
    kill -TERM -- "-$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
clean_up() {
    if [[ -n "$run_pid" ]]; then stop_group "$run_pid"; fi
    if [[ -n "$load_pid" ]]; then stop_group "$load_pid"; fi
}
trap clean_up EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

install_stress_ng() {
    command -v stress-ng >/dev/null && return 0
    command -v apt-get >/dev/null || return 1
    local sudo=""
    if [[ "$(id -u)" -ne 0 ]]; then
        command -v sudo >/dev/null || return 1
        sudo="sudo -n"
    fi
    echo "installing stress-ng for the CPU load" >&2
    $sudo apt-get install -y -qq stress-ng >/dev/null 2>&1 \
        || { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq stress-ng >/dev/null 2>&1; }
}

start_load() {
    if install_stress_ng; then
        echo "load: stress-ng --cpu 1" >&2
        setsid stress-ng --cpu 1 --timeout 0 --quiet >/dev/null 2>&1 &
    else
        echo "load: a busy shell loop (stress-ng unavailable)" >&2
        setsid bash -c 'while :; do :; done' &
    fi
    load_pid=$!
}

# The names of the tests a run's output reports as failed (Swift Testing, then XCTest).
failing_tests() {
    {
        sed -n 's/^.*✘ Test \(.*\) failed after .*$/\1/p' "$1"
        sed -n "s/^Test Case '\(.*\)' failed .*$/\1/p" "$1"
    } | sort -u | paste -sd ',' - | sed 's/,/, /g'
}

start_load
echo "running '$test_command' $runs times; logs in $logs" >&2
passed=0
failed=0
for run in $(seq 1 "$runs"); do
    log="$logs/run-$run.log"
    started=$(date +%s)
    # In the background, so that a signal to this script is handled at once.
    setsid bash -c "$test_command" >"$log" 2>&1 &
    run_pid=$!
    if wait "$run_pid"; then
        status=PASS
        passed=$((passed + 1))
    else
        status=FAIL
        failed=$((failed + 1))
    fi
    run_pid=""
    took=$(( $(date +%s) - started ))
    line="run $run/$runs: $status in ${took}s"
    if [[ "$status" == FAIL ]]; then
        names="$(failing_tests "$log")"
        line="$line: ${names:-no failing test named (see $log)}"
    fi
    echo "$line"
done
echo "$passed passed, $failed failed"
[[ "$failed" -eq 0 ]]
