#!/bin/bash
# bench.sh - run the cbench experiment matrix and keep every number it makes.
#
#   scripts/bench.sh              full matrix (about 20 min on 2 cores)
#   QUICK=1 scripts/bench.sh      reduced matrix (under 3 min)
#   env: CBENCH (default build/cbench), RESULTS_ROOT (default results),
#        EXPERIMENTS (default: all of sleep cpu net-slow net-fast crossover
#        net-hide net-wrk spawn spawn-mem pingpong mixed chess queue chain
#        cancel; a subset
#        runs only those), DRY_RUN=1 (print the plan with predicted seconds,
#        run nothing)
#
# Writes RESULTS_ROOT/<YYYY-MM-DD>-<host>[-K]/ :
#   runs.csv              one row per direct cbench run: `experiment`, then
#                         cbench's own CSV row (its header, unchanged), then
#                         `config` (the series and its knobs, e.g.
#                         "threads n=1000 delay=50ms"; joins with hyperfine)
#                         and `exit` (cbench's exit status; 124 = timed out)
#   hyperfine-EXP.json    hyperfine's export, one result per config, named
#                         by the same `config` string
#   wrk.csv               the reference client's rounds (bench_rounds.sh)
#   meta.txt              machine, versions, settings, every command run
#   bench.log             hyperfine's output, stderr of failed runs, skips
# Then `scripts/plot.sh DIR` (make plot) draws the charts and REPORT.md.
#
# How a configuration is measured (two separate sets of runs, on purpose):
#  1. cbench is run SAMPLES times directly with --format csv; every run's row
#     goes to runs.csv with its exit status. A failed run (exit 1: errors,
#     fork refused...) is a data point, never an abort. These rows carry
#     cbench's own metrics: ops/s, latency percentiles, peak memory.
#  2. hyperfine then times the same command from outside (-N: no shell,
#     WARMUP + RUNS runs, -i: failures recorded in exit_codes), giving the
#     wall time mean ± σ that the charts use for error bars.
# hyperfine discards the output of the runs it times, hence step 1. It is
# called once per configuration rather than with --parameter-list so that the
# progress line and the time-left estimate advance per configuration; the
# per-configuration exports are merged into one file per experiment.
set -eu -o pipefail
cd "$(dirname "$0")/.."

QUICK=${QUICK:-0}
RESULTS_ROOT=${RESULTS_ROOT:-results}
CBENCH=${CBENCH:-build/cbench}
EXPERIMENTS=${EXPERIMENTS:-sleep cpu net-slow net-fast crossover net-hide net-wrk spawn spawn-mem pingpong mixed chess queue chain cancel}

die() { echo "bench.sh: $*" >&2; exit 2; }
[ -x "$CBENCH" ] || die "$CBENCH is not an executable (run make first, or set CBENCH)"
for tool in hyperfine jq awk timeout; do
    command -v "$tool" >/dev/null || die "$tool is not installed (see scripts/deps.sh)"
done

cores=$(nproc)
day=$(date +%F)   # the folder is named after the day the bench started
if [ "$QUICK" = 1 ]; then
    mode=quick
    SAMPLES=2 RUNS=2 WARMUP=0      # direct runs, hyperfine runs, warmups
    TARGET_S=0.15                  # aim for runs this long (cpu, net)
    SERIAL_CAP_S=1                 # skip serial net runs predicted longer
    RUN_TIMEOUT=120                # a run longer than this is killed (exit 124)
    SLEEP_N="3 1000"
    CPU_N="1 $cores $((2 * cores))"
    SLOW_C="10 100 1000"
    FORK_MAX=100 THREADS_MAX=1000   # largest task counts (see max_tasks)
    FAST_C="1 4 16 64"
    GRID_C="1 100 1000" GRID_D="0 10 50"
else
    mode=full
    SAMPLES=3 RUNS=3 WARMUP=1
    TARGET_S=0.3
    SERIAL_CAP_S=3.5
    RUN_TIMEOUT=600
    SLEEP_N="3 10 100 1000 10000 100000"
    CPU_N=$(printf '%s\n' 1 $((cores / 2)) "$cores" $((cores + 1)) $((2 * cores)) $((4 * cores)) |
        awk '$1 >= 1' | sort -nu | tr '\n' ' ')
    SLOW_C="10 100 1000 3000 10000"
    FORK_MAX=1000 THREADS_MAX=10000
    FAST_C="1 2 4 8 16 32 64"
    GRID_C="1 10 100 1000" GRID_D="0 1 10 50"
fi
SLEEP_MS=1000
NET_DELAY_SLOW=50
# Largest task counts per model: serial takes n x 1 s to sleep; fork pays
# ~3 ms per process here and threads ~0.25 ms per thread, so they stop at
# FORK_MAX and THREADS_MAX; async goes to the end of every range.
max_tasks() {  # max_tasks EXPERIMENT MODEL
    case $1:$2 in
        sleep:serial) echo 3 ;; *:fork) echo "$FORK_MAX" ;; *:threads) echo "$THREADS_MAX" ;;
        *) echo 1000000 ;;
    esac
}

# Many connections need many descriptors (client and server side).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

mkdir -p "$RESULTS_ROOT"
tmp=$(mktemp -d "$RESULTS_ROOT/.tmp-XXXXXX")
chmod 755 "$tmp"
# Every run goes through bg_run: in the background, under timeout (its own
# process group, so a hung run or a leftover fork child is killed with it),
# and waited for with `wait`, which a trapped signal interrupts at once.
child="" server_pid=""
bg_run() {  # bg_run OUT ERR SECONDS CMD... : sets status
    local out=$1 err=$2 secs=$3
    shift 3
    status=0
    timeout -k 5 "$secs" "$@" >"$out" 2>"$err" &
    child=$!
    wait "$child" || status=$?
    child=""
}
stop_server() {  # the server net-wrk started, if it runs
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
stop_child() {
    if [ -n "$child" ]; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    stop_server
}
# Interrupted or failed: the run is stopped and nothing half-written is left.
trap 'stop_child; if [ -n "$tmp" ]; then rm -rf "$tmp"; fi' EXIT
trap 'echo; echo "bench.sh: interrupted, removing $tmp" >&2; exit 130' INT
trap 'echo "bench.sh: terminated, removing $tmp" >&2; exit 143' TERM
mkdir "$tmp/parts"
log() { printf '%s\n' "$*" >>"$tmp/bench.log"; }
note() { printf 'note: %s\n' "$*"; printf 'note: %s\n' "$*" >>"$tmp/notes"; }
: >"$tmp/notes"
: >"$tmp/commands"

# fcalc EXPR [VAR=VALUE...] : floating-point arithmetic via awk
fcalc() {
    local expr=$1 assign
    local -a vars=()
    shift
    for assign in "$@"; do vars+=(-v "$assign"); done
    awk "${vars[@]}" "BEGIN { print ($expr) }" </dev/null
}
# csv_field FILE NAME : NAME's value in the data row of cbench CSV output FILE
csv_field() {
    awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
        NR == 2 && c { print $c }' "$1"
}
# param FILE KEY : KEY's value in the params column (key=value;key=value)
param() {
    csv_field "$1" params | tr ';' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'
}
probe() {  # probe ARGS... : run cbench once, output in $tmp/probe.out, sets probe_status
    printf 'probe: %s %s\n' "$CBENCH" "$*" >>"$tmp/commands"
    bg_run "$tmp/probe.out" "$tmp/probe.err" 60 "$CBENCH" "$@"
    probe_status=$status
}

# --- probes: CSV header, workloads, calibration -----------------------------
echo "bench.sh: $mode matrix with $CBENCH, $cores cores; probing..."
# Other work on the machine skews every figure: say so (also in meta.txt).
if awk -v c="$cores" '{ exit !($1 > c / 2) }' /proc/loadavg; then
    note "load average at start is $(cut -d' ' -f1 /proc/loadavg) on $cores cores: results will be noisy"
fi
probe run serial sleep -n 1 --ms 1 --format csv
[ "$probe_status" -eq 0 ] || die "$CBENCH run serial sleep failed ($probe_status): $(head -c 300 "$tmp/probe.err")"
HEADER=$(head -n 1 "$tmp/probe.out")
for column in model workload tasks wall_s maxrss_kib ops ops_per_s lat_p99_us errors checksum params; do
    case ",$HEADER," in *",$column,"*) ;; *) die "cbench CSV header lacks \"$column\": $HEADER" ;; esac
done
NF_HEADER=$(awk -F, '{ print NF }' <<<"$HEADER")
NOTE_COLUMN=$(awk -F, '{ for (i = 1; i <= NF; i++) if ($i == "note") { print i; exit } print NF }' <<<"$HEADER")
printf 'experiment,%s,config,exit\n' "$HEADER" >"$tmp/runs.csv"

list=$("$CBENCH" list)
has() { grep -Eq "^$1[[:space:]]+$2([[:space:]]|\$)" <<<"$list"; }
for m in serial fork threads async; do has model "$m" || die "cbench list has no model $m"; done
has_net=0
if has workload net; then has_net=1
else note "cbench list has no net workload: experiments net-slow, net-fast, crossover and net-hide are skipped"; fi

# cpu: scale --work so that one task takes about TARGET_S / 3.
probe run serial cpu -n 1 --format csv
cpu_ok=0 cpu_args=""
if [ "$probe_status" -eq 0 ]; then
    cpu_ok=1
    work=$(param "$tmp/probe.out" work)
    wall=$(csv_field "$tmp/probe.out" wall_s)
    if [ -n "$work" ] && [ -n "$wall" ]; then
        work=$(fcalc 'int(w * t / 3 / s + 0.5) < 1 ? 1 : int(w * t / 3 / s + 0.5)' w="$work" t="$TARGET_S" s="$wall")
        cpu_args="--work $work"
    fi
    task_s=$(fcalc 't / 3' t="$TARGET_S")
else
    note "cbench run serial cpu failed ($probe_status): experiment cpu is skipped"
fi
# threads --gil (Python's lock, emulated) may not exist yet: exit 2 = skip.
has_gil=0
if [ "$cpu_ok" = 1 ]; then
    # shellcheck disable=SC2086 # cpu_args is "--work K" or empty
    probe run threads cpu --gil -n 1 $cpu_args --format csv
    if [ "$probe_status" -eq 2 ]; then note "cbench does not accept threads --gil: series threads-gil is skipped"
    else has_gil=1; fi
fi
# libev backend, as the async model reports it: the note names the backend
# libev chose ("1 loop; backend epoll"); params only has the option's value.
probe run async sleep -n 1 --ms 1 --format csv
backend_of() {
    local b
    b=$(csv_field "$1" note | sed -n 's/.*backend \([a-z0-9_]*\).*/\1/p')
    [ -n "$b" ] || b=$(param "$1" backend)
    echo "$b"
}
backend=$(backend_of "$tmp/probe.out")
# net: requests/s one loop reaches, to size runs (default: a guess).
net_rate=20000
if [ "$has_net" = 1 ]; then
    probe run async net -n 10 --delay-ms 0 --requests 200 --format csv
    rate=$(csv_field "$tmp/probe.out" ops_per_s)
    if [ "$probe_status" -eq 0 ] && [ -n "$rate" ]; then
        net_rate=$(fcalc 'r < 2000 ? 2000 : r > 200000 ? 200000 : int(r)' r="$rate")
    fi
    [ -n "$backend" ] || backend=$(backend_of "$tmp/probe.out")
fi

# --- the plan: one entry per configuration -----------------------------------
P_EXP=() P_CONFIG=() P_LABEL=() P_ARGS=() P_WEIGHT=()
# add EXP CONFIG LABEL EST_S ARGS... : plan one configuration; EST_S is the
# predicted seconds of one run, used only for the time-left estimate.
add() {
    local runs=$((SAMPLES + WARMUP + RUNS))
    P_EXP+=("$1") P_CONFIG+=("$2") P_LABEL+=("$3")
    P_WEIGHT+=("$(fcalc 'int((e + 0.06) * r * 1000)' e="$4" r="$runs")")
    shift 4
    P_ARGS+=("$*")
}
spawn_s() {  # cost per worker, as measured with cbench on a 2-core VM
    case $1 in fork) echo 0.003 ;; threads) echo 0.00025 ;; *) echo 0.000005 ;; esac
}
# net_rate_of MODEL C DELAY_MS LOOPS : predicted requests/s: each of the
# C connections (1 for serial) waits DELAY_MS plus a round trip per request,
# and the server tops out near net_rate per loop.
NET_RATE_AWK='function rate(conc, d, l) { x = conc / (d / 1000 + 1 / r); return x < r * l ? x : r * l }'
# requests C DELAY_MS : requests per connection so that a concurrent run
# lasts about TARGET_S; at least 3, so every connection is reused.
requests() {
    awk -v t="$TARGET_S" -v c="$1" -v d="$2" -v r="$net_rate" "$NET_RATE_AWK"'
        BEGIN { q = int(t * rate(c, d, 1) / c + 0.999); print (q < 3 ? 3 : q > 1000 ? 1000 : q) }'
}
# net_est MODEL C DELAY_MS REQUESTS LOOPS : predicted seconds of one run
net_est() {
    awk -v m="$1" -v c="$2" -v d="$3" -v q="$4" -v l="$5" -v r="$net_rate" -v s="$(spawn_s "$1")" \
        "$NET_RATE_AWK"' BEGIN { print c * q / rate(m == "serial" ? 1 : c, d, l) + c * s }'
}
# add_net EXP SERIES C DELAY_MS : plan a net run unless the model cannot take C
add_net() {
    local exp=$1 series=$2 c=$3 d=$4 model=${2%%-*} q est extra="" loops
    [ "$c" -le "$(max_tasks "$exp" "$model")" ] || return 0
    q=$(requests "$c" "$d")
    loops=1
    # One loop per core, but never more loops than connections (cbench refuses).
    case $series in
        async-percore)
            loops=$((c < cores ? c : cores)) extra="--loops $loops"
            [ "$loops" -gt 1 ] || return 0 ;;  # same as async
        async) extra="--loops 1" ;;
    esac
    est=$(net_est "$model" "$c" "$d" "$q" "$loops")
    if [ "$model" = serial ] && awk -v e="$est" -v cap="$SERIAL_CAP_S" 'BEGIN { exit !(e > cap) }'; then
        log "skip: $exp $series n=$c delay=${d}ms (predicted ${est}s per run > $SERIAL_CAP_S s)"
        return 0
    fi
    # shellcheck disable=SC2086 # extra is "--loops L" or empty
    add "$exp" "$series n=$c delay=${d}ms" "net $series n=$c delay=${d}ms" "$est" \
        "$model" net -n "$c" --delay-ms "$d" --requests "$q" $extra
}

# want EXP : EXP is among $EXPERIMENTS
want() { case " $EXPERIMENTS " in *" $1 "*) return 0 ;; esac; return 1; }
want sleep || SLEEP_N=""
want cpu || cpu_ok=0
want net-slow || SLOW_C=""
want net-fast || FAST_C=""
want crossover || GRID_C=""
for n in $SLEEP_N; do
    for m in serial fork threads async; do
        [ "$n" -le "$(max_tasks sleep "$m")" ] || continue
        est=$(fcalc 'ms / 1000 * (m == "serial" ? n : 1) + n * s' ms="$SLEEP_MS" m="$m" n="$n" s="$(spawn_s "$m")")
        add sleep "$m n=$n" "sleep $m n=$n ms=$SLEEP_MS" "$est" "$m" sleep -n "$n" --ms "$SLEEP_MS"
    done
done
if [ "$cpu_ok" = 1 ]; then
    series="serial fork threads async"
    [ "$has_gil" = 1 ] && series="$series threads-gil"
    for n in $CPU_N; do
        for s in $series; do
            case $s in fork|threads) est=$(fcalc 'int((n + c - 1) / c) * t' n="$n" c="$cores" t="$task_s") ;;
                *) est=$(fcalc 'n * t' n="$n" t="$task_s") ;; esac
            gil=""
            [ "$s" = threads-gil ] && gil="--gil"
            # shellcheck disable=SC2086 # cpu_args / gil are option words or empty
            add cpu "$s n=$n" "cpu $s n=$n" "$est" "${s%-gil}" cpu -n "$n" $cpu_args $gil
        done
    done
fi
if [ "$has_net" = 1 ]; then
    for c in $SLOW_C; do
        for s in serial fork threads async; do add_net net-slow "$s" "$c" "$NET_DELAY_SLOW"; done
    done
    for c in $FAST_C; do
        for s in serial fork threads async async-percore; do add_net net-fast "$s" "$c" 0; done
    done
    for c in $GRID_C; do
        for d in $GRID_D; do
            for s in serial fork threads async; do add_net crossover "$s" "$c" "$d"; done
        done
    done
fi

# What a worker costs (spawn, pingpong) and the classic scenarios (mixed,
# chess, queue, chain, cancel): planned by their own files, same helpers.
# shellcheck source=scripts/bench_cost.sh
. scripts/bench_cost.sh && plan_cost
# shellcheck source=scripts/bench_scenarios.sh
. scripts/bench_scenarios.sh && plan_scenarios
# net-hide and net-wrk compare two runs each: they run after the matrix, in
# rounds taking turns, outside the plan.
# shellcheck source=scripts/bench_rounds.sh
. scripts/bench_rounds.sh && rounds_plan
rounds_words=""   # rounds are not hyperfine configurations: count them apart
[ "$HIDE_ROUNDS" -gt 0 ] && rounds_words+=", $HIDE_ROUNDS net-hide rounds"
[ "$WRK_ROUNDS" -gt 0 ] && rounds_words+=", $WRK_ROUNDS net-wrk rounds"

total=${#P_EXP[@]}
weight_total=0
for w in "${P_WEIGHT[@]}"; do weight_total=$((weight_total + w)); done
mmss() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

# --- meta.txt: everything needed to judge or redo the run --------------------
git_rev=$(git rev-parse --short=12 HEAD 2>/dev/null || echo "none (no commit)")
[ -n "$(git status --porcelain 2>/dev/null)" ] && git_rev="$git_rev+dirty"
{
    echo "date: $(date -Iseconds)"
    echo "host: $(hostname)"
    echo "kernel: $(uname -a)"
    echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "cores: $cores"
    echo "memory: $(awk '/^MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo)"
    echo "gcc: $(gcc --version 2>/dev/null | head -n 1)"
    echo "libev: $(awk '/define EV_VERSION_MAJOR/ { M = $3 } /define EV_VERSION_MINOR/ { m = $3 }
        END { if (M != "") print M "." m; else print "unknown" }' /usr/include/ev.h 2>/dev/null)"
    echo "libev backend: ${backend:-unknown}"
    echo "cbench: $("$CBENCH" --version 2>/dev/null | head -n 1) ($CBENCH)"
    echo "git: $git_rev"
    echo "hyperfine: $(hyperfine --version)"
    [ "$WRK_ROUNDS" -gt 0 ] && echo "wrk: $("$WRK" --version 2>&1 | head -n 1)"
    echo "mode: $mode"
    echo "settings: samples=$SAMPLES hyperfine_runs=$RUNS warmup=$WARMUP target_s=$TARGET_S serial_cap_s=$SERIAL_CAP_S timeout_s=$RUN_TIMEOUT fork_max=$FORK_MAX threads_max=$THREADS_MAX"
    echo "cpu work: ${cpu_args:-default}"
    echo "net rate estimate: $net_rate req/s (sizes --requests only)"
    echo "open files limit: $(ulimit -n)"
    echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "configurations: $total"
    cat "$tmp/notes"
} >"$tmp/meta.txt"

plan_words="$total configurations$rounds_words"
echo "bench.sh: $plan_words, about $(mmss $((weight_total / 1000 + ROUNDS_S))) predicted"
if [ "${DRY_RUN:-0}" = 1 ]; then  # show the plan, run nothing
    for ((i = 0; i < total; i++)); do
        printf '%6.1fs  %-10s %s\n' "$(fcalc 'w / 1000' w="${P_WEIGHT[$i]}")" "${P_EXP[$i]}" "${P_ARGS[$i]}"
    done
    rounds_dry_run
    exit 0
fi

# --- run ----------------------------------------------------------------------
# record EXP CONFIG STATUS ARGS... : append the run in $tmp/out to runs.csv
record() {
    local exp=$1 config=$2 status=$3 row=""
    shift 3
    if [ "$(head -n 1 "$tmp/out")" = "$HEADER" ]; then
        # A comma inside the free-text `note` column would shift the columns
        # after it: fold the extra fields back into note, joined with ';'.
        row=$(sed -n 2p "$tmp/out" | awk -F, -v nf="$NF_HEADER" -v k="$NOTE_COLUMN" '{
            extra = NF - nf; s = $1
            for (i = 2; i <= NF; i++) s = s ((extra > 0 && i > k && i <= k + extra) ? ";" : ",") $i
            print s }')
    elif [ -s "$tmp/out" ]; then
        log "unexpected output header (expected: $HEADER): $(head -n 1 "$tmp/out")"
    fi
    if [ -z "$row" ]; then
        # No row (crash, timeout, refused): keep model, workload and tasks so
        # the failure is visible where it happened; the metrics stay empty.
        row=$(awk -F, -v m="$1" -v w="$2" -v n="$4" '{
            for (i = 1; i <= NF; i++) printf "%s%s", (i > 1 ? "," : ""),
                ($i == "model" ? m : $i == "workload" ? w : $i == "tasks" ? n : "")
            print "" }' <<<"$HEADER")
    fi
    printf '%s,%s,%s,%s\n' "$exp" "$row" "$config" "$status" >>"$tmp/runs.csv"
    if [ "$status" -ne 0 ]; then
        log "exit $status: $CBENCH run $* --format csv"
        sed 's/^/    /' "$tmp/err" | head -n 5 >>"$tmp/bench.log"
    fi
}

# run_config I : the direct runs, then hyperfine, for plan entry I
run_config() {
    local i=$1 exp=${P_EXP[$1]} config=${P_CONFIG[$1]} s status ok=0 cmd
    local -a args
    read -r -a args <<<"${P_ARGS[$i]}"
    for ((s = 1; s <= SAMPLES; s++)); do
        printf '%s run %s --format csv\n' "$CBENCH" "${args[*]}" >>"$tmp/commands"
        bg_run "$tmp/out" "$tmp/err" "$RUN_TIMEOUT" "$CBENCH" run "${args[@]}" --format csv
        record "$exp" "$config" "$status" "${args[@]}"
        [ "$status" -eq 0 ] && ok=$((ok + 1))
        # Bad usage, timeout or crash will not improve on a second try.
        [ "$status" -le 1 ] || break
    done
    if [ "$ok" -eq 0 ]; then
        log "skip hyperfine: $exp $config (no successful direct run)"
        return 0
    fi
    cmd=$(printf '%q ' "$CBENCH" run "${args[@]}")
    printf 'hyperfine -N -i --warmup %s --runs %s --command-name %q %s\n' \
        "$WARMUP" "$RUNS" "$config" "$cmd" >>"$tmp/commands"
    bg_run "$tmp/out" "$tmp/err" $((RUN_TIMEOUT * (WARMUP + RUNS))) \
        hyperfine -N -i --style basic --warmup "$WARMUP" --runs "$RUNS" --command-name "$config" \
        --export-json "$tmp/parts/$exp-$(printf '%04d' "$i").json" "$cmd"
    cat "$tmp/out" "$tmp/err" >>"$tmp/bench.log"
    [ "$status" -eq 0 ] || log "hyperfine failed ($status) for $exp $config"
}

SECONDS=0
weight_done=0
for ((i = 0; i < total; i++)); do
    if [ "$weight_done" -gt 0 ]; then
        left=$((SECONDS * (weight_total - weight_done) / weight_done))
        eta="elapsed $(mmss "$SECONDS"), ~$(mmss "$left") left"
    else
        eta="elapsed $(mmss "$SECONDS")"
    fi
    printf '[%d/%d] %s   (%s)\n' $((i + 1)) "$total" "${P_LABEL[$i]}" "$eta"
    run_config "$i"
    weight_done=$((weight_done + P_WEIGHT[i]))
done

run_rounds

# One hyperfine export per experiment, in plan order.
for exp in $(printf '%s\n' "${P_EXP[@]}" | awk '!seen[$0]++'); do
    parts=("$tmp/parts/$exp"-*.json)
    [ -e "${parts[0]}" ] || continue
    jq -s '{ results: [ .[].results[] ] }' "${parts[@]}" >"$tmp/hyperfine-$exp.json"
done
rm -rf "$tmp/parts" "$tmp/out" "$tmp/err" "$tmp/probe.out" "$tmp/probe.err" "$tmp/notes" "$tmp/serve.out" "$tmp/serve.err"

{
    echo "finished: $(date -Iseconds)"
    echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "duration_s: $SECONDS"
    echo "commands:"
    sed 's/^/  /' "$tmp/commands"
} >>"$tmp/meta.txt"
rm -f "$tmp/commands"

# Charts and REPORT.md go in before the rename, so the folder appears whole.
echo "bench.sh: drawing charts and writing REPORT.md"
bash scripts/plot.sh "$tmp" >>"$tmp/bench.log" 2>&1 ||
    echo "bench.sh: plotting failed (see bench.log); the data is kept" >&2

# Final name: <date>-<host>, then -2, -3... if taken.
dest="$RESULTS_ROOT/$day-$(hostname -s)"
k=1 base=$dest
while [ -e "$dest" ]; do k=$((k + 1)); dest="$base-$k"; done
mv "$tmp" "$dest"
tmp=""
failed=$(awk -F, 'NR > 1 && $NF != 0 && $1 != "cancel"' "$dest/runs.csv" | wc -l)   # cancel runs exit 1 by design
echo "bench.sh: done in $(mmss "$SECONDS"): $dest ($plan_words, $failed failed runs)"
echo "bench.sh: report: $dest/REPORT.md (redraw with: make plot RESULTS=$dest)"
