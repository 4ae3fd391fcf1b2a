# shellcheck shell=bash
# bench_cost.sh - the "what a worker costs" experiments (issue 6), planned in
# the style of bench.sh's own. Sourced by scripts/bench.sh once its plan
# helpers exist (add, want, fcalc, TARGET_S, QUICK, cores), before the plan
# is counted:
#
#     # shellcheck source=scripts/bench_cost.sh
#     . scripts/bench_cost.sh && plan_cost
#
# with "spawn spawn-mem pingpong" added to the default EXPERIMENTS. Each
# configuration is a config string "SERIES n=N" as bench.sh's are; what the
# charts need beyond cbench's columns is in the `note` column as key=value
# words (scripts/plot_cost.sh reads them):
#
#   spawn      workers that only start and finish, run with --bare:
#              worker_us   the run's wall time per worker (cbench's timing)
#              bare_us     a bare C loop, same process, same pattern: all
#                          workers created, then all reaped (fork, threads);
#                          n libev timers started and fired (async)
#              bare_seq_us a bare loop creating and reaping one at a time
#              series fork threads async
#   spawn-mem  the same with --hold-ms, so that all are alive at once:
#              worker_kib  Pss per worker (smaps_rollup, this process and
#                          every worker process, minus the start)
#              kernel_kib  KernelStack + PageTables + SUnreclaim per worker
#                          (/proc/meminfo: system-wide, approximate)
#              alive=A/N   A < N means the hold was too short
#   pingpong   one pair passing a token --count times: round_trip_us, and
#              lat_p50/p99 per round trip; series fork fork-condvar threads
#              threads-condvar threads-gil async
#
# CPU speedup with and without --gil is bench.sh's cpu experiment (series
# threads-gil); nothing to add here.

if [ "${QUICK:-0}" = 1 ]; then
    COST_SPAWN_N="fork:100 threads:1000 async:100000"
    COST_MEM_N="fork:100 threads:1000 async:100000"
else
    COST_SPAWN_N="fork:100 fork:1000 threads:100 threads:1000 threads:10000 async:1000 async:100000 async:1000000"
    COST_MEM_N="fork:100 fork:1000 threads:100 threads:1000 threads:10000 async:1000 async:100000 async:1000000"
fi
COST_PINGPONG="fork fork-condvar threads threads-condvar threads-gil async"
COST_ROUND_TRIP_S=0.00003   # a guess, only to size --count

# cost_worker_s MODEL : seconds to create and reap one worker, for estimates
cost_worker_s() {
    case $1 in fork) echo 0.003 ;; threads) echo 0.0003 ;; *) echo 0.000001 ;; esac
}

# cost_hold_ms MODEL N : long enough that every worker is still alive when
# the last one has been created and the memory sampled (fork reads one
# smaps_rollup per worker)
cost_hold_ms() {
    case $1 in
        fork) fcalc 'n * 3 > 1000 ? int(n * 3) : 1000' n="$2" ;;
        *) echo 1000 ;;
    esac
}

plan_cost() {
    local entry model n hold est count series extra
    if want spawn; then
        for entry in $COST_SPAWN_N; do
            model=${entry%%:*} n=${entry#*:}
            # the run, a bare loop with all alive and (not async) one at a time
            est=$(fcalc 'n * s * (m == "async" ? 2 : 3)' n="$n" s="$(cost_worker_s "$model")" m="$model")
            add spawn "$model n=$n" "spawn $model n=$n --bare" "$est" "$model" spawn -n "$n" --bare
        done
    fi
    if want spawn-mem; then
        for entry in $COST_MEM_N; do
            model=${entry%%:*} n=${entry#*:}
            hold=$(cost_hold_ms "$model" "$n")
            est=$(fcalc 'n * s + h / 1000' n="$n" s="$(cost_worker_s "$model")" h="$hold")
            add spawn-mem "$model n=$n" "spawn-mem $model n=$n hold=${hold}ms" "$est" \
                "$model" spawn -n "$n" --hold-ms "$hold"
        done
    fi
    if want pingpong; then
        count=$(fcalc 'int(t / r) < 1000 ? 1000 : int(t / r)' t="$TARGET_S" r="$COST_ROUND_TRIP_S")
        for series in $COST_PINGPONG; do
            model=${series%%-*} extra=""
            case $series in *-condvar) extra="--via condvar" ;; *-gil) extra="--gil" ;; esac
            # shellcheck disable=SC2086 # extra is option words or empty
            add pingpong "$series n=2" "pingpong $series count=$count" "$TARGET_S" \
                "$model" pingpong -n 2 --count "$count" $extra
        done
    fi
}
