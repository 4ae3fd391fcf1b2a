# shellcheck shell=bash disable=SC2154  # sourced by tests/cli.sh, which sets $status
# Hostile users and servers (issue 22): a stack the option accepts, a server
# that answers wrongly, a reader that goes away, a server that never answers
# a pool, and more workers than the machine allows. Every case must end with
# its exit status and a message, never a signal, and leave nothing running.
# Sourced by tests/cli.sh.

hostile_tag="hostile-$$"
export CBENCH_TEST_TAG="$hostile_tag"
hostile_models=$("$CBENCH" list | awk '$1 == "model" { print $2 }')
hostile_workloads=$("$CBENCH" list | awk '$1 == "workload" { print $2 }')

# hostile_no_leftovers NAME : no cbench process of this suite is alive
hostile_no_leftovers() {
    local pids
    pids=$(tagged_pids "$hostile_tag" | tr '\n' ' ')
    if [ -z "$pids" ]; then pass "$1"
    else fail "$1" "left alive: $pids" "$(ps -o pid,ppid,stat,args -p "${pids// /,}0" 2>/dev/null)"; fi
}

# ---- A. every --stack-kib the option accepts works or is refused ----

# A signal (139: SIGSEGV) is neither: each N from the option's smallest to
# past net's minimum, and the smallest under every workload.
hostile_bad=""
for kib in $(seq 16 40); do
    timeout -s KILL 30 "$CBENCH" run threads net -n 2 --requests 2 --stack-kib "$kib" >/dev/null 2>"$TMP/err"
    status=$?
    if [ "$status" -eq 2 ] && ! grep -q -- "--stack-kib $kib is below the [0-9]* KiB a net task needs" "$TMP/err"; then
        hostile_bad+=" $kib:exit-2-without-the-minimum"
    elif [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then
        hostile_bad+=" $kib:exit-$status"
    fi
done
if [ -z "$hostile_bad" ]; then pass "threads net --stack-kib 16..40: each runs or is refused (exit 2, the minimum named)"
else fail "threads net --stack-kib N" "$hostile_bad" "stderr: $(head -c 300 "$TMP/err")"; fi
hostile_min=$("$CBENCH" --help | sed -n 's/.*a task needs \([0-9]*\) KiB of stack.*/\1/p' | head -n1)
if [ -n "$hostile_min" ]; then
    expect_status 0 "threads net --stack-kib $hostile_min (the minimum --help states) runs" \
        run threads net -n 2 --requests 2 --stack-kib "$hostile_min"
    expect_usage "threads net --stack-kib $((hostile_min - 1)): refused, the minimum named" \
        "below the $hostile_min KiB a net task needs" run threads net --stack-kib "$((hostile_min - 1))"
else
    fail "--help states net's minimum stack" "$("$CBENCH" --help | grep -i stack)"
fi
hostile_bad=""
for workload in $hostile_workloads; do
    for gil in "" --gil; do
        timeout -s KILL 60 "$CBENCH" run threads "$workload" -n 4 --stack-kib 16 $gil >/dev/null 2>&1
        status=$?
        [ "$status" -ne 0 ] && [ "$status" -ne 2 ] && hostile_bad+=" $workload$gil:exit-$status"
    done
done
if [ -z "$hostile_bad" ]; then pass "threads --stack-kib 16 under every workload: runs or is refused, no signal"
else fail "threads --stack-kib 16 under every workload" "$hostile_bad"; fi

# ---- C. a reader that went away: exit 1 and a message, not SIGPIPE ----

# hostile_closed_pipe ARGS... : cbench ARGS with stdout a pipe whose read end
# is already closed (so the first write fails, whatever the timing); leaves
# $status (128 + N for signal N) and $TMP/err
hostile_closed_pipe() {
    python3 - "$CBENCH" "$@" >"$TMP/err" 2>&1 <<'EOF'
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE, timeout=60)
sys.stdout.write(p.stderr.decode(errors="replace"))
sys.exit(p.returncode if p.returncode >= 0 else 128 - p.returncode)
EOF
    status=$?
}
for model in $hostile_models; do
    hostile_closed_pipe run "$model" sleep -n 3 --ms 1
    if [ "$status" -eq 1 ] && grep -q 'write error on standard output: Broken pipe' "$TMP/err"; then
        pass "closed pipe: $model sleep: exit 1, 'write error ... Broken pipe'"
    else
        fail "closed pipe: $model sleep" "exit $status (141 = SIGPIPE)" "$(head -c 300 "$TMP/err")"
    fi
done
for args in "list" "list --format json" "--help" "run serial sleep -n 1 --ms 1 -f json"; do
    # shellcheck disable=SC2086  # the words are the arguments
    hostile_closed_pipe $args
    if [ "$status" -eq 1 ] && [ "$(grep -c 'write error' "$TMP/err")" -eq 1 ]; then
        pass "closed pipe: cbench $args: exit 1, one message"
    else
        fail "closed pipe: cbench $args" "exit $status (141 = SIGPIPE)" "$(head -c 300 "$TMP/err")"
    fi
done
# as the issue saw it: a pipe into head
"$CBENCH" list | head -c 1 >/dev/null
status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ] || [ "$status" -eq 1 ]; then pass "cbench list | head -c 1: exit $status, no signal"
else fail "cbench list | head -c 1" "exit $status"; fi

# ---- the hostile server (tests/hostile_server.py) ----

# hostile_server MODE : starts it; sets hostile_port
hostile_server() {
    port_server_start python3 tests/hostile_server.py "$1"
    hostile_port=$port_server_port
}
hostile_server_stop() {
    port_server_stop
}

# ---- B. an answer that is not the answer to the request just sent ----

# Two requests per connection, as the issue saw it: the stray answer is
# taken for the second one, and the real one is never read. Every model
# must count it (the size asked alternates, so the stray has the wrong
# length) and print no checksum.
for mode in twice-first early twice-every; do
    hostile_server "$mode"
    if [ -z "$hostile_port" ]; then
        fail "hostile server $mode" "it did not start"
        continue
    fi
    for model in $hostile_models; do
        timeout -s KILL 30 "$CBENCH" run "$model" net --connect "127.0.0.1:$hostile_port" -n 3 \
            --requests 2 --timeout-ms 5000 -f json >"$TMP/out" 2>"$TMP/err"
        status=$?
        if [ "$status" -eq 1 ] && grep -Eq 'mismatch|data after the response' "$TMP/err" &&
           jq -e '.errors >= 1 and .checksum == null and (.note | test("mismatch|malformed"))' \
               "$TMP/out" >/dev/null; then
            pass "server answering $mode under $model: exit 1, errors counted, no checksum"
        else
            fail "server answering $mode under $model" "exit $status" \
                "stderr: $(head -c 300 "$TMP/err")" "stdout: $(head -c 300 "$TMP/out")"
        fi
    done
    hostile_server_stop
done

# ---- D. a server that never answers: one deadline, whatever the model ----

# With the default deadline (10 s) and 10 connections, serial and pools of
# one used to wait 10 x 10 s. Once a task has failed the run is invalid, so
# no task starts after it: each run ends after about one deadline (the
# KILL at 30 s is a bound no correct run comes near). All run at once.
hostile_server silent
if [ -n "$hostile_port" ]; then
    hostile_runs=("serial" "fork -w 1" "threads -w 1" "fork -w 2" "threads" "async" "hybrid" "uring")
    for k in "${!hostile_runs[@]}"; do
        read -r -a words <<<"${hostile_runs[$k]}"   # the model, then its -w
        timeout -s KILL 30 "$CBENCH" run "${words[0]}" net "${words[@]:1}" --connect "127.0.0.1:$hostile_port" \
            -n 10 --requests 1 -f json >"$TMP/out.$k" 2>"$TMP/err.$k" &
        hostile_pids[k]=$!
    done
    for k in "${!hostile_runs[@]}"; do
        wait "${hostile_pids[$k]}"
        status=$?
        run=${hostile_runs[$k]}
        not_started='true'
        case $run in   # those that run fewer than 10 at once leave the rest unstarted
            serial|*-w*) not_started='(.note | test("[0-9]+ tasks not started after a task failed"))' ;;
        esac
        if [ "$status" -eq 1 ] && grep -q 'timeout' "$TMP/err.$k" &&
           jq -e ".errors >= 1 and .checksum == null and $not_started" "$TMP/out.$k" >/dev/null; then
            pass "silent server, $run net -n 10: exit 1 after one deadline, no task started after the failure"
        else
            fail "silent server, $run net -n 10" "exit $status (137: still waiting after 30 s)" \
                "stderr: $(head -c 300 "$TMP/err.$k")" "stdout: $(head -c 300 "$TMP/out.$k")"
        fi
    done
    hostile_server_stop
else
    fail "hostile server silent" "it did not start"
fi

hostile_no_leftovers "hostile: no process left behind by any run of this suite"
export -n CBENCH_TEST_TAG
unset CBENCH_TEST_TAG
