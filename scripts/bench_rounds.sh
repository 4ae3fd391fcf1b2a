# shellcheck shell=bash disable=SC2154  # has_net, net_rate, tmp...: set by bench.sh, which sources this file
# bench_rounds.sh - the two checks on the net workload's own tools, net-hide
# and net-wrk; sourced by bench.sh, whose helpers it uses (bg_run, record,
# note, log, fcalc). Both compare two runs, so both run in rounds taking
# turns, A then B, A then B...: a machine whose speed drifts (shared, noisy)
# then moves both sides of each round alike, and the report judges the
# median of the rounds' ratios.
#
# net-hide: does one loop hide a server's delay? async with HIDE_C
# connections x HIDE_REQUESTS requests at delay 0, then at NET_DELAY_SLOW;
# ideally the delay costs nothing while HIDE_C / delay exceeds the delay-0
# rate. Both runs go to runs.csv (experiment net-hide), in round order.
#
# net-wrk: is cbench's HTTP client a fair one? Every net figure is measured
# with it, so it must not be the bottleneck a well-known load generator
# would avoid. wrk (the usual HTTP load generator) and `cbench run async
# net --connect` take turns against one `cbench serve`: each round a wrk run
# of WRK_S seconds and a cbench run of about as many requests, both with
# WRK_CONNS connections, delay 0 and the net workload's 1024-byte body.
# cbench's runs go to runs.csv (experiment net-wrk, in round order); wrk's
# to wrk.csv: round,requests_per_s,errors,exit (errors: wrk's socket errors
# plus non-2xx answers).

HIDE_REQUESTS=10
WRK=${WRK:-wrk}
WRK_CONNS=100

# rounds_plan : sets HIDE_ROUNDS, HIDE_C, WRK_ROUNDS, WRK_S and ROUNDS_S,
# the predicted seconds of both (0 rounds: skipped, with a note for wrk)
rounds_plan() {
    HIDE_ROUNDS=0 WRK_ROUNDS=0 WRK_S=0 ROUNDS_S=0
    [ "$has_net" = 1 ] || return 0
    if want net-hide; then
        # connections / delay must exceed the delay-0 rate, or the
        # connections bound the rate instead of the loop
        if [ "$QUICK" = 1 ]; then HIDE_ROUNDS=2 HIDE_C=5000; else HIDE_ROUNDS=5 HIDE_C=10000; fi
        ROUNDS_S=$(fcalc 'int(k * (e0 + e1))' k="$HIDE_ROUNDS" \
            e0="$(net_est async "$HIDE_C" 0 "$HIDE_REQUESTS" 1)" e1="$(net_est async "$HIDE_C" "$NET_DELAY_SLOW" "$HIDE_REQUESTS" 1)")
    fi
    if want net-wrk; then
        if ! command -v "$WRK" >/dev/null; then
            note "$WRK is not installed: experiment net-wrk is skipped (scripts/deps.sh installs it)"
        else
            if [ "$QUICK" = 1 ]; then WRK_ROUNDS=2 WRK_S=2; else WRK_ROUNDS=5 WRK_S=5; fi
            ROUNDS_S=$((ROUNDS_S + WRK_ROUNDS * WRK_S * 2))   # a wrk run and a cbench run per round
        fi
    fi
}

# rounds_dry_run : the plan lines for DRY_RUN=1
rounds_dry_run() {
    [ "$HIDE_ROUNDS" -gt 0 ] && printf '%6s  %-10s %s\n' "" net-hide \
        "$HIDE_ROUNDS rounds: async net -n $HIDE_C --requests $HIDE_REQUESTS at delay 0, then ${NET_DELAY_SLOW} ms"
    [ "$WRK_ROUNDS" -gt 0 ] && printf '%6s  %-10s %s\n' "" net-wrk "$WRK_ROUNDS rounds: $WRK against cbench async net --connect"
    return 0
}

# run_rounds : both experiments, in rounds
run_rounds() {
    run_hide_rounds
    run_wrk_rounds
}

# run_hide_rounds : net-hide; nothing when HIDE_ROUNDS is 0
run_hide_rounds() {
    local r d
    local -a args
    for ((r = 1; r <= HIDE_ROUNDS; r++)); do
        for d in 0 "$NET_DELAY_SLOW"; do
            args=(async net -n "$HIDE_C" --delay-ms "$d" --requests "$HIDE_REQUESTS" --loops 1)
            printf '[net-hide %d/%d] net async n=%s delay=%sms requests=%s\n' "$r" "$HIDE_ROUNDS" "$HIDE_C" "$d" "$HIDE_REQUESTS"
            printf '%s run %s --format csv\n' "$CBENCH" "${args[*]}" >>"$tmp/commands"
            bg_run "$tmp/out" "$tmp/err" "$RUN_TIMEOUT" "$CBENCH" run "${args[@]}" --format csv
            record net-hide "async n=$HIDE_C delay=${d}ms" "$status" "${args[@]}"
        done
    done
}

# wrk_serve_start : starts `cbench serve` on an ephemeral port; sets
# server_pid and wrk_port. Returns 1 (after saying why) if it never listens.
wrk_serve_start() {
    local _
    "$CBENCH" serve --port 0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
    server_pid=$!
    for _ in $(seq 100); do
        wrk_port=$(sed -n 's/^cbench serve: listening on .*:\([0-9][0-9]*\)$/\1/p' "$tmp/serve.out")
        [ -n "$wrk_port" ] && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    # meta.txt is written by now: the reason goes to the terminal and bench.log
    echo "bench.sh: cbench serve did not start: experiment net-wrk is skipped" >&2
    log "net-wrk skipped: cbench serve did not start: $(head -c 300 "$tmp/serve.err")"
    stop_server
    return 1
}

# wrk_record ROUND : wrk's output in $tmp/out -> a wrk.csv row
wrk_record() {
    local rps errors
    rps=$(awk '$1 == "Requests/sec:" { print $2 }' "$tmp/out")
    errors=$(awk '/^ *Socket errors:/ { gsub(/[^0-9 ]/, " "); for (i = 1; i <= NF; i++) e += $i }
        /^ *Non-2xx or 3xx responses:/ { e += $NF } END { print e + 0 }' "$tmp/out")
    [ -n "$rps" ] || [ "$status" -ne 0 ] || status=1   # no figure is a failure
    printf '%s,%s,%s,%s\n' "$1" "$rps" "$errors" "$status" >>"$tmp/wrk.csv"
    if [ "$status" -ne 0 ]; then
        log "exit $status: $WRK (round $1)"
        sed 's/^/    /' "$tmp/out" "$tmp/err" | head -n 8 >>"$tmp/bench.log"
    fi
}

# run_wrk_rounds : net-wrk; nothing when WRK_ROUNDS is 0
run_wrk_rounds() {
    [ "$WRK_ROUNDS" -gt 0 ] || return 0
    wrk_serve_start || return 0
    local url="http://127.0.0.1:$wrk_port/?delay_ms=0&bytes=1024" r requests
    local config="async n=$WRK_CONNS delay=0ms connect"
    # As many requests as wrk makes in WRK_S seconds, at the probed rate.
    requests=$(fcalc 'int(s * r / c) < 10 ? 10 : int(s * r / c)' s="$WRK_S" r="$net_rate" c="$WRK_CONNS")
    local -a cbench_args=(async net -n "$WRK_CONNS" --delay-ms 0 --requests "$requests" --loops 1
        --connect "127.0.0.1:$wrk_port")
    echo "round,requests_per_s,errors,exit" >"$tmp/wrk.csv"
    for ((r = 1; r <= WRK_ROUNDS; r++)); do
        printf '[net-wrk %d/%d] wrk -t1 -c%d -d%ss, then cbench %s\n' "$r" "$WRK_ROUNDS" "$WRK_CONNS" "$WRK_S" "$config"
        printf '%s -t1 -c%s -d%ss %s\n' "$WRK" "$WRK_CONNS" "$WRK_S" "$url" >>"$tmp/commands"
        bg_run "$tmp/out" "$tmp/err" $((WRK_S + 60)) "$WRK" -t1 -c"$WRK_CONNS" -d"${WRK_S}s" "$url"
        wrk_record "$r"
        printf '%s run %s --format csv\n' "$CBENCH" "${cbench_args[*]}" >>"$tmp/commands"
        bg_run "$tmp/out" "$tmp/err" "$RUN_TIMEOUT" "$CBENCH" run "${cbench_args[@]}" --format csv
        record net-wrk "$config" "$status" "${cbench_args[@]}"
    done
    stop_server
}
