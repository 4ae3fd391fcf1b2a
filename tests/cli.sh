#!/bin/bash
# CLI tests: runs every tests/cli_*.sh suite against build/cbench and ends
# with "N passed, N failed, N skipped" (a skip is never a pass). Each suite is a file of calls to the helpers
# below; a suite must clean up whatever it starts (servers, children).
#
#   tests/cli.sh               all suites
#   tests/cli.sh tests/cli_basic.sh   one suite
set -u
cd "$(dirname "$0")/.." || exit 2
CBENCH=${CBENCH:-build/cbench}
TMP=$(mktemp -d /tmp/cbench-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0
skipped=0

# pass NAME / fail NAME [DETAIL...] / skip NAME WHY : the outcome of one
# test. A skip is counted apart: it is neither a pass nor a failure.
pass() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1"; shift; [ $# -gt 0 ] && printf '     %s\n' "$@"; }
skip() { skipped=$((skipped + 1)); printf 'skip %s: %s\n' "$1" "$2"; }

# run_cbench ARGS... : runs cbench, leaves $TMP/out, $TMP/err and $status
run_cbench() {
    "$CBENCH" "$@" >"$TMP/out" 2>"$TMP/err"
    status=$?
}

# expect_status CODE NAME ARGS... : cbench ARGS exits with CODE
expect_status() {
    local code=$1 name=$2
    shift 2
    run_cbench "$@"
    if [ "$status" -eq "$code" ]; then pass "$name"
    else fail "$name" "expected exit $code, got $status" "stderr: $(head -c 300 "$TMP/err")"; fi
}

# expect_error CODE PATTERN NAME ARGS... : exits CODE and stderr matches PATTERN (grep -E)
expect_error() {
    local code=$1 pattern=$2 name=$3
    shift 3
    run_cbench "$@"
    if [ "$status" -ne "$code" ]; then
        fail "$name" "expected exit $code, got $status" "stderr: $(head -c 300 "$TMP/err")"
    elif ! grep -Eq -- "$pattern" "$TMP/err"; then
        fail "$name" "stderr does not match /$pattern/" "stderr: $(head -c 300 "$TMP/err")"
    else
        pass "$name"
    fi
}

# expect_usage NAME PATTERN ARGS... : bad usage -> exit 2, stderr matches
# PATTERN (grep -E), nothing on stdout (nothing was run)
expect_usage() {
    local name=$1 pattern=$2
    shift 2
    run_cbench "$@"
    if [ "$status" -ne 2 ]; then
        fail "$name" "expected exit 2, got $status" "stderr: $(head -c 300 "$TMP/err")"
    elif ! grep -Eq -- "$pattern" "$TMP/err"; then
        fail "$name" "stderr does not match /$pattern/" "stderr: $(head -c 300 "$TMP/err")"
    elif [ -s "$TMP/out" ]; then
        fail "$name" "bad usage printed a result" "stdout: $(head -c 300 "$TMP/out")"
    else
        pass "$name"
    fi
}

# tagged_pids TAG : live cbench processes whose environment has
# CBENCH_TEST_TAG=TAG (a suite exports its own tag, so runs by anyone else on
# the machine never count as its leftovers)
tagged_pids() {
    local pid
    for pid in $(pgrep -x cbench); do
        grep -qzx "CBENCH_TEST_TAG=$1" "/proc/$pid/environ" 2>/dev/null && echo "$pid"
    done
}

# json_field FIELD ARGS... : prints FIELD of `cbench ARGS --format json`
json_field() {
    local field=$1
    shift
    "$CBENCH" "$@" --format json 2>/dev/null | jq -r ".$field"
}

# cbench_processes : live processes running this build's binary ($CBENCH),
# found by executable path so that other cbench builds on the machine do not
# count. Leaked children (a server, a fork worker) would show up here.
cbench_processes() {
    local exe pid count=0
    exe=$(readlink -f "$CBENCH")
    for pid in $(pgrep -x cbench); do
        [ "$(readlink -f "/proc/$pid/exe" 2>/dev/null)" = "$exe" ] && count=$((count + 1))
    done
    echo "$count"
}

# Servers a suite starts: serve_start ARGS... starts `cbench serve --port 0
# ARGS` in the background (output in $TMP/serve.out and serve.err), sets
# serve_pid, and serve_port once it says "listening on HOST:PORT" (10 s at
# most); returns 1 if it never does. serve_cleanup kills every server started
# so far that still runs; each suite calls it before it ends.
serve_pids=()
serve_pid=""
serve_port=""
serve_start() {
    local _
    : >"$TMP/serve.out"      # emptied first: see port_server_start
    "$CBENCH" serve --port 0 "$@" >>"$TMP/serve.out" 2>"$TMP/serve.err" &
    serve_pid=$!
    serve_pids+=("$serve_pid")
    serve_port=""
    for _ in $(seq 100); do
        serve_port=$(sed -n 's/^cbench serve: listening on .*:\([0-9][0-9]*\)$/\1/p' "$TMP/serve.out")
        [ -n "$serve_port" ] && return 0
        kill -0 "$serve_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
serve_cleanup() {
    local pid
    for pid in "${serve_pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        fi
    done
    serve_pids=()
}

# serve_args_for MODEL LOOPS : `cbench serve` arguments for MODEL ("": the
# libev server) with LOOPS loops where the model has --loops
serve_args_for() {
    if [ -z "$1" ]; then
        echo "--loops $2"
    elif "$CBENCH" list --format json |
         jq -e --arg m "$1" '.models[] | select(.name == $m) | .options | index("loops")' >/dev/null; then
        echo "--model $1 --loops $2"
    else
        echo "--model $1"
    fi
}

# Test servers of our own (python3 fixtures) print their port first:
# port_server_start CMD... starts one in the background, sets port_server_pid,
# and port_server_port once the port is printed (5 s at most; empty if never);
# port_server_stop stops it.
port_server_start() {
    local _
    # Emptied here, not by the background job's redirection: on a loaded
    # machine the loop below could otherwise read the previous server's port
    # before the new job truncates the file.
    : >"$TMP/port_server.out"
    "$@" >>"$TMP/port_server.out" 2>/dev/null &
    port_server_pid=$!
    port_server_port=
    for _ in $(seq 50); do
        port_server_port=$(head -n1 "$TMP/port_server.out" 2>/dev/null)
        [ -n "$port_server_port" ] && break
        sleep 0.1
    done
}
port_server_stop() {
    kill "$port_server_pid" 2>/dev/null
    wait "$port_server_pid" 2>/dev/null
}

# The models of this build, from `cbench list` (never spelled out in a suite):
# models_where JQ_FILTER : the available models for which the filter holds.
models_where() {
    "$CBENCH" list --format json | jq -r ".models[] | select(.available != false) | select($1) | .name" | tr '\n' ' '
}
ALL_MODELS=$(models_where 'true')
# shellcheck disable=SC2034  # read by the suites sourced below
CONCURRENT_MODELS=$(models_where '.sequential | not')
# shellcheck disable=SC2034
EVENT_LOOP_MODELS=$(models_where '.event_loop')
# shellcheck disable=SC2034
SERVE_MODELS=$(models_where '.serves')
# shellcheck disable=SC2034
PROCESS_MODELS=$(models_where '.processes')
# shellcheck disable=SC2034  # a thread per connection under cbench serve
THREAD_CONN_MODELS=$(models_where '.serves and (.event_loop | not) and (.processes | not)')
[ -n "$ALL_MODELS" ] || { echo "cli.sh: $CBENCH list --format json named no model" >&2; exit 2; }

suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(tests/cli_*.sh)
for suite in "${suites[@]}"; do
    printf '# %s\n' "$suite"
    # shellcheck source=/dev/null
    . "$suite"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
