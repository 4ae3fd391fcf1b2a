# shellcheck shell=bash disable=SC2154  # has_net, net_rate, tmp...: set by bench.sh, which sources this file
# bench_wrk.sh - the reference-client experiment, net-wrk; sourced by
# bench.sh, whose helpers it uses (bg_run, record, note, log, csv_field).
#
# Is cbench's HTTP client a fair one? Every net figure is measured with it,
# so it must not be the bottleneck a well-known load generator would avoid.
# wrk (the client wrk's README and most HTTP servers are measured with) and
# `cbench run async net --connect` take turns against one `cbench serve`:
# WRK_ROUNDS rounds, each a wrk run of WRK_S seconds and a cbench run of
# about as many requests, both with WRK_CONNS connections, delay 0 and the
# net workload's 1024-byte body. Taking turns spreads the machine's noise
# over both clients.
#
# cbench's runs go to runs.csv (experiment net-wrk, one config for all
# rounds, in round order); wrk's to wrk.csv: round,requests_per_s,errors,exit
# (errors: wrk's socket errors plus non-2xx answers).

WRK=${WRK:-wrk}
WRK_CONNS=100

# wrk_plan : sets WRK_ROUNDS and WRK_S (0 rounds: skipped, with a note)
wrk_plan() {
    WRK_ROUNDS=0
    if ! want net-wrk || [ "$has_net" != 1 ]; then return 0; fi
    if ! command -v "$WRK" >/dev/null; then
        note "$WRK is not installed: experiment net-wrk is skipped (scripts/deps.sh installs it)"
        return 0
    fi
    if [ "$QUICK" = 1 ]; then WRK_ROUNDS=2 WRK_S=2; else WRK_ROUNDS=5 WRK_S=5; fi
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

# run_wrk_reference : the experiment; nothing when WRK_ROUNDS is 0
run_wrk_reference() {
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
