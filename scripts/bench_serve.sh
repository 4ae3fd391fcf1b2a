# shellcheck shell=bash disable=SC2154,SC2034  # add, fcalc, note, tmp...: set by bench.sh, which sources this file
# bench_serve.sh - the serve experiment (issue 23): the other side of the
# socket. Each model that serves (`cbench list --format json`: "serves")
# runs `cbench serve --model M`, started afresh for every run, and wrk
# loads it; the models take turns in each group as everywhere else. No
# model is named here.
#
# Groups (config "M n=C delay=Dms" or "M n=C cpu=Uus"):
#   delay 0      fast requests at SERVE_C connections: the classic models,
#                and the refinements at SERVE_REFINE_C (S1)
#   delay 50 ms  slow requests at SERVE_SLOW_C connections, classic models:
#                memory per connection (S2)
#   cpu=U us     CPU work per request (cpu_us=), classic models: the
#                server unpinned, on every core, so that processes and
#                threads can use them (S3)
# The server is pinned to SERVER_CPUS (but for cpu=), wrk to CLIENT_CPUS.
# A run's row in runs.csv (workload "serve"): wrk's requests/s (ops_per_s
# and steady_req_per_s: wrk times its requests only, connections are open
# before), its p99, socket errors + non-2xx + timeouts in errors; the
# server's mem_kib (run.c's one method over the server and every worker it
# made, printed by the server when it stops) and, in metrics,
# mem_kib_per_conn = (mem_kib - mem_base_kib) / C and
# server_cpu_us_per_req. checksum "external": wrk checks no bodies; the
# same answers under every model are checked by tests/cli_serve.sh
# (cbench's client, --connect, one checksum for every server model).

# SERVE_C: delay 0, the classic models; SERVE_REFINE_C: where the
# refinements (uring, hybrid) join them
if [ "$QUICK" = 1 ]; then
    SERVE_C="100" SERVE_REFINE_C="" SERVE_SLOW_C="" SERVE_CPU_C="" SERVE_S=1
else
    SERVE_C="100 1000" SERVE_REFINE_C="1000" SERVE_SLOW_C="1000" SERVE_CPU_C="100" SERVE_S=1
fi
SERVE_DELAY_SLOW=50
SERVE_CPU_US=500
SERVE_PLANNED_S=0   # predicted seconds of one round of the serve runs
SERVE_MODELS=""

# plan_serve : the serve groups, every model that serves in each
plan_serve() {
    want serve || return 0
    if ! command -v "$WRK" >/dev/null; then
        note "$WRK is not installed: experiment serve is skipped (scripts/deps.sh installs it)"
        return 0
    fi
    SERVE_MODELS=$(models_where 'm.get("serves", False)' | xargs)
    [ -n "$SERVE_MODELS" ] || { note "no model serves (cbench list): experiment serve is skipped"; return 0; }
    # the classic question's models that serve (fork, threads, async): the
    # refinements (uring, hybrid) join only at SERVE_REFINE_C; time is short
    local m c classic=""
    for m in $("${ANALYZE[@]}" classic); do
        case " $SERVE_MODELS " in *" $m "*) classic+="$m " ;; esac
    done
    for c in $SERVE_C; do
        for m in $SERVE_MODELS; do
            # a classic model everywhere, a refinement at SERVE_REFINE_C
            case " $classic " in *" $m "*) ;; *)
                case " $SERVE_REFINE_C " in *" $c "*) ;; *) continue ;; esac ;; esac
            serve_add "$m" "$c" 0 0
        done
    done
    for c in $SERVE_SLOW_C; do
        for m in $classic; do serve_add "$m" "$c" "$SERVE_DELAY_SLOW" 0; done
    done
    for c in $SERVE_CPU_C; do
        for m in $classic; do serve_add "$m" "$c" 0 "$SERVE_CPU_US"; done
    done
}

# serve_add MODEL C DELAY_MS CPU_US : one serve configuration
serve_add() {
    local m=$1 c=$2 d=$3 u=$4 config est
    config="$m n=$c delay=${d}ms"
    [ "$u" = 0 ] || config="$m n=$c cpu=${u}us"
    # wrk's seconds, the server's start and stop, connections opened
    est=$(fcalc 's + 0.3 + c * w' s="$SERVE_S" c="$c" w="${WORKER_S[$m]}")
    SERVE_PLANNED_S=$(fcalc 'a + e + 0.05' a="$SERVE_PLANNED_S" e="$est")
    add serve "$config" "$est" "@serve" "$m" "$c" "$d" "$u"
}

# serve_start MODEL CPU_US : a fresh server for one run; sets serve_pid and
# serve_port (empty when it did not start within 10 s)
serve_start() {
    local m=$1 u=$2
    local -a pin=()
    [ -n "$SERVER_CPUS" ] && [ "$u" = 0 ] && pin=(taskset -c "$SERVER_CPUS")
    : >"$tmp/serve-run.out"
    "${pin[@]}" "$CBENCH" serve --model "$m" --port 0 --idle-timeout 0 >"$tmp/serve-run.out" 2>"$tmp/serve-run.err" &
    serve_pid=$!
    printf '%s serve --model %s --port 0 --idle-timeout 0 (%s)\n' "$CBENCH" "$m" "${pin[*]:-unpinned}" >>"$tmp/commands"
    serve_port=$(listening_port "$serve_pid" "$tmp/serve-run.out")
}

# serve_stop : SIGTERM, 10 s to finish (it prints its figures), then SIGKILL
serve_stop() {
    [ -n "${serve_pid:-}" ] || return 0
    kill -TERM "$serve_pid" 2>/dev/null || true
    local _
    for _ in $(seq 100); do
        kill -0 "$serve_pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$serve_pid" 2>/dev/null; then
        log "serve: the server (pid $serve_pid) did not stop within 10 s of SIGTERM: killed"
        kill -KILL "$serve_pid" 2>/dev/null || true
    fi
    wait "$serve_pid" 2>/dev/null || true
    serve_pid=""
}

# stop_serve_run : for bench.sh's EXIT trap
stop_serve_run() { serve_stop; }

# wrk_us TEXT : wrk's "1.23ms" / "850.00us" / "1.10s" in µs
wrk_us() {
    awk -v t="$1" 'BEGIN { v = t + 0; if (t ~ /us$/) f = 1; else if (t ~ /ms$/) f = 1e3;
        else if (t ~ /m$/) f = 6e7; else if (t ~ /s$/) f = 1e6; else f = 1; printf "%.0f", v * f }'
}

# run_serve I ROUND : one serve run (plan entry I): a fresh server, wrk, the
# server stopped; the row recorded as run_wrk records wrk's
run_serve() {
    local i=$1 round=$2 m c d u url rps errors requests p99 mem base cpu row
    local -a pin=()
    [ -z "$CLIENT_CPUS" ] || pin=(taskset -c "$CLIENT_CPUS")
    read -r _ m c d u <<<"${P_ARGS[$i]}"
    serve_start "$m" "$u"
    if [ -z "$serve_port" ]; then
        status=1 process_s=""
        log "serve: cbench serve --model $m did not start"
        serve_stop
        cp "$tmp/serve-run.err" "$tmp/err"   # record puts its head in bench.log
        printf '%s\n%s\n' "$HEADER" "$EMPTY_ROW" >"$tmp/out"
        record serve "$round" "${P_CONFIG[$i]}" "$status" 1
        return
    fi
    url="http://127.0.0.1:$serve_port/?delay_ms=$d&bytes=1024&cpu_us=$u"
    printf 'round %s: %s %s -t1 -c%s -d%ss --latency %s\n' "$round" "${pin[*]}" "$WRK" "$c" "$SERVE_S" "$url" >>"$tmp/commands"
    cpu_ticks ticks0
    bg_run "$tmp/wrk.out" "$tmp/err" $((SERVE_S + 60)) "${pin[@]}" "$WRK" -t1 -c"$c" -d"${SERVE_S}s" --latency "$url"
    cpu_ticks ticks1
    serve_stop
    rps=$(awk '$1 == "Requests/sec:" { print $2 }' "$tmp/wrk.out")
    requests=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$tmp/wrk.out")
    errors=$(awk '/^ *Socket errors:/ { gsub(/[^0-9 ]/, " "); for (i = 1; i <= NF; i++) e += $i }
        /^ *Non-2xx or 3xx responses:/ { e += $NF } END { print e + 0 }' "$tmp/wrk.out")
    p99=$(awk '$1 == "99%" { print $2 }' "$tmp/wrk.out")
    [ -z "$p99" ] || p99=$(wrk_us "$p99")
    read -r mem base cpu < <(sed -n 's/^cbench serve: stopped:.*mem_kib=\([0-9]*\) mem_base_kib=\([0-9]*\) cpu_s=\([0-9.]*\)$/\1 \2 \3/p' \
        "$tmp/serve-run.out") || true
    # no figure from wrk or from the server is a failed run
    if [ -z "$rps" ] || [ -z "$requests" ] || [ -z "$mem" ]; then
        [ "$status" -ne 0 ] || status=1
        log "serve: no figures (wrk: ${rps:-none} req/s; server: ${mem:-no} stop line): $(tail -n 2 "$tmp/serve-run.err" "$tmp/err" | tr '\n' ' ')"
    fi
    process_s=$SERVE_S
    row=$(awk -F, -v m="$m" -v rps="$rps" -v q="$requests" -v e="$errors" -v n="$c" -v s="$SERVE_S" \
        -v p99="$p99" -v mem="$mem" -v base="$base" -v cpu="$cpu" -v d="$d" -v u="$u" '{
        ok = rps != "" && q != "" && mem != ""
        metrics = ""
        if (ok) metrics = sprintf("delay_ms=%s;cpu_us=%s;steady_req_per_s=%s;mem_kib_per_conn=%.3f;server_cpu_us_per_req=%.3f", \
            d, u, rps, (mem - base) / n, q > 0 ? cpu * 1e6 / q : 0)
        for (i = 1; i <= NF; i++) {
            v = ""
            if ($i == "model") v = m; else if ($i == "workload") v = "serve"
            else if ($i == "tasks") v = n
            else if (!ok) v = ""
            else if ($i == "wall_s") v = s; else if ($i == "ops") v = q
            else if ($i == "ops_per_s") v = rps; else if ($i == "errors") v = e
            else if ($i == "lat_p99_us") v = p99; else if ($i == "mem_kib") v = mem
            else if ($i == "checksum") v = (e == 0 ? "external" : "")
            else if ($i == "metrics") v = metrics
            printf "%s%s", (i > 1 ? "," : ""), v
        }
        print "" }' <<<"$HEADER")
    printf '%s\n%s\n' "$HEADER" "$row" >"$tmp/out"
    # server_cpu_s: this run's server, as it counted itself
    srv0="" srv1=""
    [ -z "$cpu" ] || { srv0=0; srv1=$(fcalc 'int(c * h + 0.5)' c="$cpu" h="$HZ"); }
    record serve "$round" "${P_CONFIG[$i]}" "$status" 1
}

# serve_meta : for meta.txt
serve_meta() {
    [ -n "$SERVE_MODELS" ] || return 0
    echo "serve: models $SERVE_MODELS; wrk -t1 ${SERVE_S} s per run, a fresh server each run, pinned to ${SERVER_CPUS:-all cores} (cpu= runs unpinned); connections $SERVE_C (delay 0), ${SERVE_SLOW_C:-none} (delay ${SERVE_DELAY_SLOW} ms), ${SERVE_CPU_C:-none} (cpu_us=$SERVE_CPU_US); one round ≈ $(fcalc 'int(s + 0.5)' s="$SERVE_PLANNED_S") s"
}
