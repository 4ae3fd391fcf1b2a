# shellcheck shell=bash disable=SC2154  # sourced by tests/cli.sh, which sets $status
# net --rate: the open loop. Bad usage, the same checksum under every model
# (and whatever the timing), the new fields, a run far beyond capacity that
# ends on time, and the correction itself: a server paused for 1 s in the
# middle of a run shows in the corrected p99 and not in the uncorrected
# one; far below capacity the two agree. Sourced by tests/cli.sh; names are
# rate_*.
#
# Timing is only ever asserted with wide margins: the pause is 1 s and is
# compared with hundreds of ms, never with a tight figure. Every run has a
# deadline (timeout), and the server of the pause test is resumed and
# killed on every path (serve_cleanup).

# rate_metric KEY : KEY's value in the metrics of the JSON row in $TMP/out
rate_metric() {
    jq -r '.metrics' "$TMP/out" 2>/dev/null | tr ';' '\n' | sed -n "s/^$1=//p"
}

# rate_true EXPR VAR=VALUE... : awk decides a comparison of decimals
rate_true() {
    local expr=$1
    shift
    awk "$@" "BEGIN { exit !($expr) }" </dev/null
}

# rate_run ARGS... : run_cbench under a deadline (a run that hangs fails)
rate_run() {
    timeout -k 5 60 "$CBENCH" "$@" >"$TMP/out" 2>"$TMP/err"
    status=$?
}

# --- bad usage: exit 2, a message naming the problem, nothing run ----------
expect_usage "rate: --rate 0 -> exit 2" 'rate.*0 is out of range' \
    run async net --rate 0 --duration 1
expect_usage "rate: --rate -5 -> exit 2" 'rate.*-5 is out of range' \
    run async net --rate -5 --duration 1
expect_usage "rate: --rate abc -> exit 2" 'rate.*"abc" is not a number' \
    run async net --rate abc --duration 1
expect_usage "rate: --rate without a value -> exit 2" 'rate needs a value' \
    run async net --rate
expect_usage "rate: --duration 0 -> exit 2" 'duration.*0 is out of range' \
    run async net --rate 10 --duration 0
expect_usage "rate: --rate without --duration -> exit 2" 'rate needs --duration' \
    run async net --rate 100
expect_usage "rate: --duration without --rate -> exit 2" 'duration times an open-loop run' \
    run async net --duration 1
expect_usage "rate: --rate with --requests -> exit 2" 'requests sizes a closed-loop run' \
    run async net --rate 100 --duration 1 --requests 5
expect_usage "rate: serial with 3 connections cannot keep a rate -> exit 2" \
    'serial runs 1 of the 3 connections at a time' run serial net -n 3 --rate 100 --duration 1
expect_usage "rate: a pool of 2 threads for 4 connections -> exit 2" \
    'threads runs 2 of the 4 connections at a time' run threads net -n 4 -w 2 --rate 100 --duration 1

# --- equal work: the same checksum under every model, whatever the timing ---
rate_small=(-n 4 --rate 200 --duration 0.3)
rate_run run async net "${rate_small[@]}" -f json
rate_expected=$(jq -r .checksum "$TMP/out" 2>/dev/null)
if [ "$status" -eq 0 ] && [ "${#rate_expected}" -eq 16 ]; then pass "rate: async open-loop run"
else fail "rate: async open-loop run" "exit $status" "$(head -c 300 "$TMP/err")"; fi
for variant in "fork" "threads" "threads --gil" "async --loops 2" "hybrid" "hybrid -w 1" \
               "uring" "uring --loops 2"; do
    read -r rate_model rate_model_options <<<"$variant"
    # shellcheck disable=SC2086  # the model's options split into words
    rate_run run "$rate_model" net "${rate_small[@]}" $rate_model_options -f json
    got=$(jq -r '"\(.checksum) \(.errors)"' "$TMP/out" 2>/dev/null)
    if [ "$status" -eq 0 ] && [ "$got" = "$rate_expected 0" ]; then
        pass "rate checksum: $variant = async"
    else
        fail "rate checksum: $variant" "exit $status, async $rate_expected, got $got" "$(head -c 300 "$TMP/err")"
    fi
done
# serial holds one connection: -n 1 runs, and agrees with async's -n 1
rate_one=$(json_field checksum run async net -n 1 --rate 50 --duration 0.2)
got=$(json_field checksum run serial net -n 1 --rate 50 --duration 0.2)
if [ "${#rate_one}" -eq 16 ] && [ "$got" = "$rate_one" ]; then pass "rate checksum: serial -n 1 = async -n 1"
else fail "rate checksum: serial -n 1" "async $rate_one, serial $got"; fi
# How many requests complete depends on the model's speed; the checksum must
# not: a server that takes 50 ms per request leaves most of this schedule
# unsent (saturated), and the checksum is the one of the run that sent all.
rate_run run async net "${rate_small[@]}" --delay-ms 50 -f json
if [ "$status" -eq 0 ] && [ "$(jq -r .checksum "$TMP/out")" = "$rate_expected" ] &&
   [ "$(jq -r .ops "$TMP/out")" -lt 60 ] && [ "$(rate_metric saturated)" = 1 ]; then
    pass "rate checksum: a saturated run (fewer requests done) has the same checksum"
else
    fail "rate checksum: saturated run" "exit $status, expected $rate_expected" "$(head -c 300 "$TMP/out")"
fi
# ... but it does depend on the schedule and on the body
for other in "--duration 0.6" "--bytes 100"; do
    # shellcheck disable=SC2086
    got=$(json_field checksum run async net -n 4 --rate 200 --duration 0.3 $other)
    if [ "${#got}" -eq 16 ] && [ "$got" != "$rate_expected" ]; then pass "rate checksum: $other changes it"
    else fail "rate checksum: $other" "got $got, the same as $rate_expected"; fi
done

# Far below capacity every scheduled request is sent: ceil(100 x 1) = 100.
rate_run run async net -n 5 --rate 100 --duration 1 -f json
if [ "$status" -eq 0 ] && [ "$(jq -r .ops "$TMP/out")" = 100 ] && [ "$(rate_metric saturated)" = 0 ] &&
   [ "$(rate_metric achieved_req_per_s)" = 100 ]; then
    pass "rate: 100 req/s for 1 s -> 100 requests, achieved 100, not saturated"
else
    fail "rate: every scheduled request sent" "exit $status" "$(head -c 400 "$TMP/out")"
fi

# --- the output: the tail percentiles and the open-loop metrics ------------
rate_keys="offered_req_per_s achieved_req_per_s saturated uncorrected_p50_us uncorrected_p90_us \
uncorrected_p99_us uncorrected_p999_us uncorrected_max_us lag_p50_us lag_p99_us lag_max_us"
for model in threads async; do
    rate_run run "$model" net -n 3 --rate 150 --duration 0.2 -f json
    rate_missing=""
    for k in $rate_keys lat_p999_us lat_p9999_us; do
        v=$(rate_metric "$k")
        [ -n "$v" ] || v=$(jq -r ".$k" "$TMP/out" 2>/dev/null)
        [[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]] || rate_missing+=" $k=$v"
    done
    if [ "$status" -eq 0 ] && [ -z "$rate_missing" ] && [ "$(rate_metric offered_req_per_s)" = 150 ] &&
       [ "$(jq -r 'keys_unsorted | .[-3:] | join(",")' "$TMP/out")" = lat_p999_us,lat_p9999_us,metrics ]; then
        pass "rate: $model -f json has lat_p999_us, lat_p9999_us and the open-loop metrics"
    else
        fail "rate: $model -f json fields" "exit $status, missing or not numbers:${rate_missing:- none}" \
            "$(head -c 400 "$TMP/out")"
    fi
done
# a closed-loop run has the tail percentiles too, and none of the open-loop keys
rate_run run async net -n 2 --requests 3 -f json
rate_extra=""
for k in $rate_keys; do [ -n "$(rate_metric "$k")" ] && rate_extra+=" $k"; done
if [ "$status" -eq 0 ] && [ -z "$rate_extra" ] && [[ $(jq -r .lat_p9999_us "$TMP/out") =~ ^[0-9]+$ ]]; then
    pass "rate: a closed-loop run has lat_p9999_us and no open-loop keys"
else
    fail "rate: closed-loop fields" "open-loop keys:${rate_extra:- none}" "$(head -c 300 "$TMP/out")"
fi
rate_run run async net -n 2 --rate 100 --duration 0.2
if [ "$status" -eq 0 ] && grep -q '^  open loop   offered 100.0 req/s, achieved 100.0 req/s$' "$TMP/out" &&
   grep -q '^  uncorrected p50 .* (from the actual send)$' "$TMP/out" &&
   grep -q '^  send lag    p50 .* (actual - intended send time)$' "$TMP/out" &&
   grep -q "corrected: from each request's intended send time" "$TMP/out"; then
    pass "rate: the human output shows the open loop with units"
else
    fail "rate: human output" "$(head -c 600 "$TMP/out")"
fi

# --- far beyond capacity: ends on time, saturated, exit 0, no errors -------
# A million requests in 1 s would take this machine many seconds; a run that
# does not stop sending at the schedule's end (and its 10 % grace) would too.
rate_run run threads net -n 50 --rate 1000000 --duration 1 -f json
if [ "$status" -eq 0 ] && [ "$(jq -r .errors "$TMP/out")" = 0 ] && [ "$(rate_metric saturated)" = 1 ] &&
   rate_true 'w < 5' -v w="$(jq -r .wall_s "$TMP/out")"; then
    pass "rate: 1,000,000 req/s offered for 1 s -> saturated, ends on time ($(jq -r .wall_s "$TMP/out") s), exit 0"
else
    fail "rate: far beyond capacity" "exit $status" "$(head -c 400 "$TMP/out")" "$(head -c 300 "$TMP/err")"
fi

# --- the correction: a server that stops for 1 s in the middle of a 4 s run --
# 1,000 req/s over 10 connections. While the server is stopped, each
# connection has one request out (the kernel takes it), so 10 of the 4,000
# requests wait out the pause from their actual send: too few (0.25 %) to
# move the uncorrected p99. The 1,000 requests due during the pause wait up
# to 1 s from their intended time: the corrected p99 must show it.
if ! serve_start --loops 1; then
    fail "rate: pause test: the server starts" "$(head -c 300 "$TMP/serve.err")"
else
    rate_server=$serve_pid
    ( sleep 1.5; kill -STOP "$rate_server"; sleep 1; kill -CONT "$rate_server" ) 2>/dev/null &
    rate_pauser=$!
    rate_run run async net -n 10 --rate 1000 --duration 4 --connect "127.0.0.1:$serve_port" -f json
    wait "$rate_pauser"
    kill -CONT "$rate_server" 2>/dev/null   # never left stopped, whatever happened
    rate_c99=$(jq -r .lat_p99_us "$TMP/out" 2>/dev/null)
    rate_u99=$(rate_metric uncorrected_p99_us)
    rate_said="corrected p99 ${rate_c99:-?} µs, uncorrected p99 ${rate_u99:-?} µs"
    if [ "$status" -eq 0 ] && [ "$(jq -r .errors "$TMP/out")" = 0 ] &&
       rate_true 'c >= 300000 && u <= 100000 && c >= 5 * u' -v c="$rate_c99" -v u="$rate_u99"; then
        pass "rate: a 1 s server pause shows in the corrected p99, not the uncorrected ($rate_said)"
    else
        fail "rate: pause test" "exit $status; $rate_said (want >= 300 ms and <= 100 ms)" \
            "$(head -c 600 "$TMP/out")" "$(head -c 300 "$TMP/err")"
    fi
    serve_cleanup
fi

# --- far below capacity the correction changes (almost) nothing ------------
# 500 req/s over 400 connections, each answered after 200 ms: a connection
# is busy a quarter of the time and never behind, so corrected =
# uncorrected + the schedule's lag, which must stay small next to the
# latency. A shared VM wakes any model's sleeper a few ms late now and then
# (lag p99 up to ~3 ms measured under uring, threads and async alike), so
# the latency is 200 ms and 10 % of it is far beyond that noise.
rate_run run async net -n 400 --rate 500 --duration 3 --delay-ms 200 -f json
rate_c50=$(jq -r .lat_p50_us "$TMP/out" 2>/dev/null)
rate_c99=$(jq -r .lat_p99_us "$TMP/out" 2>/dev/null)
rate_u50=$(rate_metric uncorrected_p50_us)
rate_u99=$(rate_metric uncorrected_p99_us)
rate_said="p50 ${rate_c50:-?} vs ${rate_u50:-?} µs, p99 ${rate_c99:-?} vs ${rate_u99:-?} µs"
if [ "$status" -eq 0 ] && [ "$(rate_metric saturated)" = 0 ] &&
   rate_true 'c50 <= 1.1 * u50 && c50 >= 0.9 * u50 && c99 <= 1.1 * u99 && c99 >= 0.9 * u99 && u50 >= 200000' \
       -v c50="$rate_c50" -v u50="$rate_u50" -v c99="$rate_c99" -v u99="$rate_u99"; then
    pass "rate: far below capacity corrected and uncorrected agree within 10 % ($rate_said)"
else
    fail "rate: below capacity agreement" "exit $status; corrected vs uncorrected: $rate_said" \
        "$(head -c 300 "$TMP/err")"
fi

serve_cleanup
sleep 0.2
if [ "$(cbench_processes)" -eq 0 ]; then pass "rate: no cbench process (server or client) left"
else fail "rate: leftover processes" "$(pgrep -ax cbench)"; fi
