#!/bin/bash
# bench_scenarios.sh - the classic scenarios and async caveats (issue 7):
# mixed, chess, queue, chain and cancel, planned in the style of bench.sh.
#
# Two ways to use it:
#
#  1. Sourced by scripts/bench.sh once its plan helpers exist (add, want,
#     fcalc, QUICK, cores), before the plan is counted:
#
#         # shellcheck source=scripts/bench_scenarios.sh
#         . scripts/bench_scenarios.sh && plan_scenarios
#
#     with "mixed chess queue chain cancel" added to the default EXPERIMENTS.
#
#  2. Run on its own (until bench.sh sources it, or for these experiments
#     alone): it runs each configuration SAMPLES times (no hyperfine: every
#     figure here is one cbench measures itself) and writes
#       RESULTS_ROOT/<date>-<host>-scenarios[-K]/runs.csv   bench.sh's format
#       .../summary.txt   medians per configuration, and the verdicts below
#     scripts/bench_scenarios.sh            full (about 3 min on 2 cores)
#     QUICK=1 scripts/bench_scenarios.sh    reduced (under 1 min)
#     env: CBENCH, RESULTS_ROOT, EXPERIMENTS (a subset), SAMPLES (default 3;
#     2 quick)
#
# Configurations are "SERIES n=N knob=value" strings as bench.sh's are.
# What each experiment answers, and the figure to read:
#
#   mixed   Does CPU work delay I/O? 10 I/O tasks (1 ms waits) beside one
#           CPU task per core; chunk = CPU work between two yields (1, 5,
#           10, 20 ms). Series async, hybrid, threads, threads-gil (if
#           cbench has --gil), and async-io / hybrid-io: the same I/O tasks
#           without CPU tasks (the floor).
#           Figure: lat_p99_us (lateness of the I/O waits) against chunk.
#           Expected: async p99 >= chunk; hybrid and threads near the floor.
#   chess   One expert, 24 boards, 30 move pairs, 0.5 ms moves, 5.5 ms
#           replies. Series serial fork threads threads-gil async hybrid.
#           Figure:
#           wall_s, and serial / async (theory 12x; the note gives the
#           theoretical times).
#   queue   2 producers, 5 consumers, 10,000 items through a bounded pipe.
#           Series fork threads async hybrid (serial is refused: exit 2).
#           Figures: ops_per_s (items/s) and lat_p50/p99_us (hand-off).
#   chain   10 tasks x 20 dependent waits of 1-20 ms (seeded). Series serial
#           fork threads async hybrid. Figure: wall_s / longest chain (in
#           the note): concurrent models ~1, serial ~ the sum / longest.
#   cancel  Task n-1 fails at once (--fail-task) while the others wait;
#           the run cancels them. Figure: cancel_ms (failure to all
#           stopped, fds closed, workers joined/reaped) against n. These
#           runs exit 1 by design: read them regardless of `exit`.

if [ "${QUICK:-0}" = 1 ]; then
    SCEN_MIXED_CHUNKS="10"
    SCEN_MIXED_REQUESTS=30
    SCEN_CHESS_MOVES=10
    SCEN_CANCEL_N="threads:1000 async:10000"
    SCEN_CHAIN_N="10"
else
    SCEN_MIXED_CHUNKS="1 5 10 20"
    SCEN_MIXED_REQUESTS=40
    SCEN_CHESS_MOVES=30
    SCEN_CANCEL_N="fork:100 fork:1000 threads:100 threads:1000 async:1000 async:10000 hybrid:1000 hybrid:10000"
    SCEN_CHAIN_N="10 100"
fi
SCEN_IO_TASKS=10
SCEN_IO_MS=1

plan_scenarios() {
    local chunk series model n entry est gil
    local io_n=$SCEN_IO_TASKS cpu_n=$cores
    # threads --gil (Python's lock, emulated): the Python answer beside C's
    local threaded="threads"
    [ "${has_gil:-0}" = 1 ] && threaded="threads threads-gil"
    if want mixed; then
        for series in async-io hybrid-io; do
            est=$(fcalc 'r * (io + 0.2) / 1000' r="$SCEN_MIXED_REQUESTS" io="$SCEN_IO_MS")
            add mixed "$series n=$io_n chunk=0ms" "mixed $series (no CPU tasks)" "$est" \
                "${series%-io}" mixed -n "$io_n" --cpu-tasks 0 --requests "$SCEN_MIXED_REQUESTS" --io-ms "$SCEN_IO_MS"
        done
        for chunk in $SCEN_MIXED_CHUNKS; do
            for series in async hybrid $threaded; do
                # async (and the GIL): every I/O wait also waits for CPU chunks
                est=$(fcalc 'r * (io + (s ~ /async|gil/ ? c * k : 0.2)) / 1000' r="$SCEN_MIXED_REQUESTS" \
                    io="$SCEN_IO_MS" s="$series" c="$cpu_n" k="$chunk")
                gil=""
                [ "$series" = threads-gil ] && gil="--gil"
                # shellcheck disable=SC2086 # gil is an option word or empty
                add mixed "$series n=$((io_n + cpu_n)) chunk=${chunk}ms" "mixed $series chunk=${chunk}ms" "$est" \
                    "${series%-gil}" mixed -n "$((io_n + cpu_n))" --cpu-tasks "$cpu_n" --chunk-ms "$chunk" \
                    --requests "$SCEN_MIXED_REQUESTS" --io-ms "$SCEN_IO_MS" $gil
            done
        done
    fi
    if want chess; then
        for series in serial fork $threaded async hybrid; do
            est=$(fcalc 'm * (s == "serial" ? 24 * 6 : 12) / 1000' m="$SCEN_CHESS_MOVES" s="$series")
            gil=""
            [ "$series" = threads-gil ] && gil="--gil"
            # shellcheck disable=SC2086 # gil is an option word or empty
            add chess "$series n=24 moves=$SCEN_CHESS_MOVES" "chess $series" "$est" \
                "${series%-gil}" chess -n 24 --moves "$SCEN_CHESS_MOVES" $gil
        done
    fi
    if want queue; then
        for series in fork threads async hybrid; do
            add queue "$series n=7 producers=2 items=10000" "queue $series" 0.3 \
                "$series" queue -n 7 --producers 2 --items 10000
        done
    fi
    if want chain; then
        for n in $SCEN_CHAIN_N; do
            for series in serial fork threads async hybrid; do
                [ "$series" = serial ] && [ "$n" -gt 10 ] && continue
                est=$(fcalc '(s == "serial" ? n : 1) * 0.21' s="$series" n="$n")
                add chain "$series n=$n steps=20" "chain $series n=$n" "$est" \
                    "$series" chain -n "$n" --steps 20
            done
        done
    fi
    if want cancel; then
        for entry in $SCEN_CANCEL_N; do
            model=${entry%%:*} n=${entry#*:}
            add cancel "$model n=$n" "cancel $model n=$n" 0.5 \
                "$model" sleep -n "$n" --ms 600000 --fail-task $((n - 1))
        done
    fi
}

# ---- standalone mode: only when run, not when sourced ----------------------
if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    return 0
fi
set -eu -o pipefail
cd "$(dirname "$0")/.."
QUICK=${QUICK:-0}
RESULTS_ROOT=${RESULTS_ROOT:-results}
CBENCH=${CBENCH:-build/cbench}
EXPERIMENTS=${EXPERIMENTS:-mixed chess queue chain cancel}
SAMPLES=${SAMPLES:-$([ "$QUICK" = 1 ] && echo 2 || echo 3)}
RUN_TIMEOUT=300
cores=$(nproc)

die() { echo "bench_scenarios.sh: $*" >&2; exit 2; }
[ -x "$CBENCH" ] || die "$CBENCH is not an executable (run make first, or set CBENCH)"
for tool in awk timeout; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
for w in mixed chess queue chain; do
    "$CBENCH" list | grep -Eq "^workload +$w " || die "cbench list has no workload $w"
done
"$CBENCH" list | grep -Eq "^model +hybrid " || die "cbench list has no model hybrid"

has_gil=0   # bench.sh sets it the same way when it sources this file
"$CBENCH" run threads sleep -n 1 --ms 0 --gil >/dev/null 2>&1 && has_gil=1
fcalc() {
    local expr=$1 assign
    local -a vars=()
    shift
    for assign in "$@"; do vars+=(-v "$assign"); done
    awk "${vars[@]}" "BEGIN { print ($expr) }" </dev/null
}
want() { case " $EXPERIMENTS " in *" $1 "*) return 0 ;; esac; return 1; }
P_EXP=() P_CONFIG=() P_LABEL=() P_ARGS=() P_EST=()
add() {  # add EXP CONFIG LABEL EST_S ARGS... (as bench.sh's)
    P_EXP+=("$1") P_CONFIG+=("$2") P_LABEL+=("$3") P_EST+=("$4")
    shift 4
    P_ARGS+=("$*")
}
plan_scenarios

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p "$RESULTS_ROOT"
tmp=$(mktemp -d "$RESULTS_ROOT/.tmp-scenarios-XXXXXX")
child=""
trap 'if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; fi; if [ -n "$tmp" ]; then rm -rf "$tmp"; fi' EXIT
trap 'echo "bench_scenarios.sh: interrupted" >&2; exit 130' INT TERM

HEADER=$("$CBENCH" run async sleep -n 1 --ms 0 --format csv | head -n 1)
NF_HEADER=$(awk -F, '{ print NF }' <<<"$HEADER")
printf 'experiment,%s,config,exit\n' "$HEADER" >"$tmp/runs.csv"
{
    echo "date: $(date -Iseconds)"
    echo "host: $(hostname)"
    echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "cores: $cores"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "cbench: $("$CBENCH" --version) ($CBENCH)"
    echo "git: $(git rev-parse --short=12 HEAD 2>/dev/null || echo none)$([ -n "$(git status --porcelain 2>/dev/null)" ] && echo +dirty)"
    echo "mode: $([ "$QUICK" = 1 ] && echo quick || echo full); samples=$SAMPLES"
} >"$tmp/meta.txt"

total=${#P_EXP[@]}
echo "bench_scenarios.sh: $total configurations x $SAMPLES runs, experiments: $EXPERIMENTS"
SECONDS=0
for ((i = 0; i < total; i++)); do
    printf '[%d/%d] %s   (elapsed %ds)\n' $((i + 1)) "$total" "${P_LABEL[$i]}" "$SECONDS"
    read -r -a args <<<"${P_ARGS[$i]}"
    echo "$CBENCH run ${args[*]} --format csv" >>"$tmp/meta.txt"
    for ((s = 0; s < SAMPLES; s++)); do
        status=0
        timeout -k 5 "$RUN_TIMEOUT" "$CBENCH" run "${args[@]}" --format csv >"$tmp/out" 2>"$tmp/err" &
        child=$!
        wait "$child" || status=$?
        child=""
        row=$(sed -n 2p "$tmp/out" | awk -F, -v nf="$NF_HEADER" '{
            s = $1; for (i = 2; i <= NF; i++) s = s (i <= nf ? "," : ";") $i; print s }')
        [ -n "$row" ] || row=$(awk -F, '{ for (i = 2; i <= NF; i++) printf ","; print "" }' <<<"$HEADER")
        printf '%s,%s,%s,%s\n' "${P_EXP[$i]}" "$row" "${P_CONFIG[$i]}" "$status" >>"$tmp/runs.csv"
        [ "$status" -le 1 ] || { sed 's/^/    /' "$tmp/err" | head -n 3; break; }
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$tmp/meta.txt"

# Medians per configuration (a noisy VM: medians, with the range), then the
# verdicts of issue 7. Cancel runs exit 1 by design, so every row with
# values counts; elsewhere only exit 0.
awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["wall_s"] == "" || ($c["exit"] != 0 && $c["experiment"] != "cancel") { next }
    {
        k = $c["experiment"] SUBSEP $c["config"]
        if (!(k in n)) order[++keys] = k
        n[k]++
        wall[k, n[k]] = $c["wall_s"]; p50[k, n[k]] = $c["lat_p50_us"]; p99[k, n[k]] = $c["lat_p99_us"]
        ops[k, n[k]] = $c["ops_per_s"]; cms[k, n[k]] = $c["cancel_ms"]; user[k, n[k]] = $c["user_s"]
        lmax[k, n[k]] = $c["lat_max_us"]
        if (match($c["note"], /longest chain [0-9.]+ ms/)) { s = substr($c["note"], RSTART + 14); longest[k] = s + 0 }
        if (match($c["note"], /serial [0-9.]+ s; one loop [0-9.]+ s/)) {
            s = substr($c["note"], RSTART); split(s, w, " "); theory_serial = w[2]; theory_loop = w[6]
        }
    }
    function median(a, k,    m, i, j, t, v) {
        m = n[k]; for (i = 1; i <= m; i++) v[i] = a[k, i] + 0
        for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
    }
    function range(a, k,    i, lo, hi) {
        lo = hi = a[k, 1] + 0
        for (i = 2; i <= n[k]; i++) { if (a[k, i] + 0 < lo) lo = a[k, i] + 0; if (a[k, i] + 0 > hi) hi = a[k, i] + 0 }
        return sprintf("%g..%g", lo, hi)
    }
    END {
        printf "%-8s %-34s %3s %10s %9s %10s %10s %12s %10s %s\n", "exp", "config", "n", "wall_s", "user_s",
            "p50_us", "p99_us", "ops_per_s", "cancel_ms", "p99 range"
        for (q = 1; q <= keys; q++) {
            k = order[q]; split(k, e, SUBSEP)
            med_wall[k] = median(wall, k); med_p99[k] = median(p99, k); med_cms[k] = median(cms, k)
            printf "%-8s %-34s %3d %10.4f %9.3f %10.0f %10.0f %12.1f %10.3f %s\n", e[1], e[2], n[k], med_wall[k],
                median(user, k), median(p50, k), med_p99[k], median(ops, k), med_cms[k], range(p99, k)
            split(e[2], w, " "); series[k] = w[1]; exp_of[k] = e[1]
            if (e[1] == "mixed") { chunk = e[2]; sub(/.*chunk=/, "", chunk); mixed[w[1], chunk] = med_p99[k] }
            if (e[1] == "chess") chess[w[1]] = med_wall[k]
        }
        print ""
        print "verdicts (medians):"
        for (ch in mixed) {
            split(ch, x, SUBSEP)
            if (x[1] == "hybrid" && "hybrid-io" SUBSEP "0ms" in mixed)
                printf "  mixed chunk=%-5s hybrid p99 %6.0f us = %.2fx hybrid-io (%0.f us); async p99 %6.0f us; threads %6.0f us%s\n",
                    x[2], mixed[ch], mixed[ch] / (mixed["hybrid-io", "0ms"] ? mixed["hybrid-io", "0ms"] : 1),
                    mixed["hybrid-io", "0ms"], mixed["async", x[2]], mixed["threads", x[2]],
                    ("threads-gil" SUBSEP x[2]) in mixed ? sprintf("; threads --gil %.0f us", mixed["threads-gil", x[2]]) : ""
        }
        if (("serial" in chess) && ("async" in chess))
            printf "  chess serial/async %.2fx (theory %s s / %s s = %.2fx; the seed: 12x)\n", chess["serial"] / chess["async"],
                theory_serial, theory_loop, theory_loop ? theory_serial / theory_loop : 0
        for (q = 1; q <= keys; q++) {
            k = order[q]
            # wall includes creating the workers; the slowest chain as the
            # tasks timed it (lat_max) does not
            if (exp_of[k] == "chain" && longest[k])
                printf "  chain %-24s wall / longest chain = %.3f, slowest chain / longest = %.3f (longest %.1f ms)\n",
                    substr(k, index(k, SUBSEP) + 1), med_wall[k] * 1000 / longest[k],
                    median(lmax, k) / 1000 / longest[k], longest[k]
            if (exp_of[k] == "cancel")
                printf "  cancel %-23s %.3f ms from the failure to every task stopped\n", substr(k, index(k, SUBSEP) + 1), med_cms[k]
        }
    }' "$tmp/runs.csv" >"$tmp/summary.txt"
rm -f "$tmp/out" "$tmp/err"
cat "$tmp/summary.txt"

dest="$RESULTS_ROOT/$(date +%F)-$(hostname -s)-scenarios"
k=1 base=$dest
while [ -e "$dest" ]; do k=$((k + 1)); dest="$base-$k"; done
mv "$tmp" "$dest"
tmp=""
echo "bench_scenarios.sh: done in ${SECONDS}s: $dest"
