# shellcheck shell=bash disable=SC2154  # sourced by tests/cli.sh, which sets $status
# net workload: same checksum under every model, scale, and failures
# (server down, server dying mid-run). Sourced by tests/cli.sh.

net_small=(-n 6 --requests 3 --bytes 3000 --delay-ms 1)
run_cbench run serial net "${net_small[@]}" -f json
net_expected=$(jq -r .checksum "$TMP/out")
if [ "$status" -eq 0 ] && [ -n "$net_expected" ]; then pass "net: serial run"
else fail "net: serial run" "exit $status" "$(head -c 300 "$TMP/err")"; fi
for variant in "fork" "fork -w 2" "threads" "threads -w 3" "async" "async --loops 2" \
               "async --backend poll" "async --backend select" "hybrid" "hybrid -w 1" \
               "threads --gil" "uring" "uring --loops 2" "uring --entries 4"; do
    read -r net_model net_model_options <<<"$variant"
    # shellcheck disable=SC2086  # the model's options split into words
    run_cbench run "$net_model" net "${net_small[@]}" $net_model_options -f json
    got=$(jq -r .checksum "$TMP/out" 2>/dev/null)
    if [ "$status" -eq 0 ] && [ "$got" = "$net_expected" ]; then
        pass "net checksum: $variant = serial"
    else
        fail "net checksum: $variant" "exit $status, serial $net_expected, got $got" "$(head -c 300 "$TMP/err")"
    fi
done

# Every request is accounted for: ops = tasks x requests, one latency each.
run_cbench run async net -n 7 --requests 5 -f json
if [ "$(jq -r '.ops' "$TMP/out")" = 35 ] && [ "$(jq -r '.errors' "$TMP/out")" = 0 ]; then
    pass "net: ops = tasks x requests, no errors"
else
    fail "net: ops = tasks x requests" "$(cat "$TMP/out")"
fi

# The steady phase (lib/steady_phase.c) starts when the last connection is
# open and counts only what was answered from then on; which requests fall
# before it depends on the scheduler, so the rule itself is asserted in
# tests/unit_steady_phase.c. Here: a real run reports a phase that fits in
# the run - no longer than the wall time, no more requests than were made.
run_cbench run threads net -n 1000 --requests 10 --delay-ms 0 -f json
steady=$(jq -r '.metrics | capture("steady_s=(?<s>[0-9.e+-]+).*steady_req_per_s=(?<r>[0-9.e+-]+)") | "\(.s) \(.r)"' "$TMP/out" 2>/dev/null)
if [ "$status" -eq 0 ] && awk -v sr="$steady" -v ops="$(jq -r .ops "$TMP/out")" -v wall="$(jq -r .wall_s "$TMP/out")" \
    'BEGIN { split(sr, v, " "); n = v[1] * v[2]; exit !(v[1] > 0 && v[1] <= wall && n > 0 && n < ops + 0.5) }'; then
    pass "net: the steady phase fits in the run (no longer, no more requests)"
else
    fail "net: the steady phase fits in the run" \
        "exit $status, steady_s and rate: $steady, ops $(jq -r .ops "$TMP/out" 2>/dev/null), wall $(jq -r .wall_s "$TMP/out" 2>/dev/null)"
fi

for model in async threads uring; do
    run_cbench run "$model" net -n 1000 --requests 2 -f json
    if [ "$status" -eq 0 ] && [ "$(jq -r '.ops' "$TMP/out")" = 2000 ]; then
        pass "net: 1,000 connections under $model"
    else
        fail "net: 1,000 connections under $model" "exit $status" "$(head -c 300 "$TMP/err")"
    fi
done

expect_error 1 'cannot connect to 127.0.0.1:1' "net: server down -> exit 1" \
    run async net --connect 127.0.0.1:1
# ... and its row counts every task as an error, never "errors 0"
down=$("$CBENCH" run async net -n 7 --connect 127.0.0.1:1 --format json 2>/dev/null | jq -r '"\(.errors) \(.note)"')
if [ "$down" = "7 not run" ]; then pass "net: server down -> the row counts 7 errors, not run"
else fail "net: server down -> the row counts 7 errors, not run" "got: $down"; fi
expect_error 2 'connect.*not HOST:PORT' "net: --connect without a port -> exit 2" \
    run async net --connect localhost
expect_error 2 'connect.*out of range' "net: --connect port 0 -> exit 2" \
    run async net --connect 127.0.0.1:0
expect_error 2 'select.*FD_SETSIZE' "net: select refuses more than FD_SETSIZE fds" \
    run async net -n 2000 --backend select
expect_error 2 'delay-ms.*out of range' "net: --delay-ms -1 -> exit 2" \
    run async net --delay-ms -1

# Against a server started by hand: cbench serve --port 0 prints its port.
serve_start
net_server=$serve_pid net_port=$serve_port
for model in $ALL_MODELS; do
    got=$(json_field checksum run "$model" net "${net_small[@]}" --connect "127.0.0.1:$net_port")
    if [ "$got" = "$net_expected" ]; then pass "net --connect: $model = own server"
    else fail "net --connect: $model" "expected $net_expected, got $got"; fi
done

# A server that dies mid-run: every model reports errors and exits 1, no hang.
for model in $CONCURRENT_MODELS; do
    # In a subshell, so that bash does not report the SIGKILL below.
    ( "$CBENCH" serve --port 0 >"$TMP/dying.out" 2>&1 & echo $! >"$TMP/dying.pid"; wait ) 2>/dev/null &
    dying_shell=$!
    for _ in $(seq 50); do [ -s "$TMP/dying.pid" ] && break; sleep 0.1; done
    dying=$(cat "$TMP/dying.pid")
    for _ in $(seq 50); do grep -q listening "$TMP/dying.out" && break; sleep 0.1; done
    dying_port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/dying.out")
    ( sleep 0.5; kill -KILL "$dying" ) &
    killer=$!
    run_cbench run "$model" net -n 4 --requests 2 --delay-ms 3000 --connect "127.0.0.1:$dying_port"
    wait "$killer" "$dying_shell"
    rm -f "$TMP/dying.pid"
    if [ "$status" -eq 1 ] && grep -q 'closed by the server\|reset' "$TMP/err"; then
        pass "net: server dies mid-run under $model -> exit 1"
    else
        fail "net: server dies mid-run under $model" "exit $status" "$(head -c 300 "$TMP/err")"
    fi
done

kill -TERM "$net_server" 2>/dev/null
wait "$net_server" 2>/dev/null
sleep 0.2
if [ "$(cbench_processes)" -eq 0 ]; then pass "net: no cbench process (server or client) left"
else fail "net: leftover processes" "$(pgrep -ax cbench)"; fi
