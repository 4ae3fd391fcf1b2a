# shellcheck shell=bash disable=SC2154  # cores: set by bench.sh, which sources this file
# bench_scenarios.sh - the classic scenarios and async caveats (issue 7):
# mixed, chess, queue, chain and cancel, planned in the style of bench.sh.
#
# Sourced by scripts/bench.sh once its plan helpers exist (add, want,
# fcalc, QUICK, cores, has_gil), before the plan is counted:
#
#     # shellcheck source=scripts/bench_scenarios.sh
#     . scripts/bench_scenarios.sh && plan_scenarios
#
# To run these experiments alone:
#     EXPERIMENTS="mixed chess queue chain cancel" scripts/bench.sh
# The charts are scripts/plot_scenarios.sh's, the verdicts (G6-G8) report.sh's.
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
