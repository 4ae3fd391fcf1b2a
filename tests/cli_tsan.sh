# shellcheck shell=bash disable=SC2154  # sourced by tests/cli.sh, which sets $status
# The threaded models under ThreadSanitizer: `make sanitize` runs this suite
# with CBENCH=build-tsan/cbench and TSAN_OPTIONS=halt_on_error=1, so a data
# race ends the run with a nonzero status and a report on stderr. Small sizes:
# TSan runs code 5-15x slower. Any build may run it; names are tsan_*.

# tsan_check NAME WANT ARGS... : `cbench ARGS -f json` exits 0 with checksum
# WANT and a clean stderr (no race report, no warning)
tsan_check() {
    local name=$1 want=$2 got
    shift 2
    run_cbench "$@" -f json
    got=$(jq -r .checksum "$TMP/out" 2>/dev/null)
    if [ "$status" -eq 0 ] && [ "$got" = "$want" ] && [ ! -s "$TMP/err" ]; then
        pass "tsan: $name"
    else
        fail "tsan: $name" "exit $status, checksum $got (want $want)" "stderr: $(head -c 600 "$TMP/err")"
    fi
}

for tsan_config in "sleep --ms 5 -n 4" "cpu --work 1 -n 4"; do
    read -r tsan_workload tsan_options <<<"$tsan_config"
    # shellcheck disable=SC2086  # options split into words
    run_cbench run serial "$tsan_workload" $tsan_options -f json
    tsan_serial=$(jq -r .checksum "$TMP/out" 2>/dev/null)
    if [ "$status" -ne 0 ] || [ -z "$tsan_serial" ] || [ "$tsan_serial" = null ]; then
        fail "tsan: serial $tsan_config" "exit $status" "$(head -c 300 "$TMP/err")"
        continue
    fi
    for tsan_variant in "threads" "threads -w 2" "async --loops 2" "async --loops 4" \
                        "hybrid" "hybrid -w 1"; do
        read -r tsan_model tsan_model_options <<<"$tsan_variant"
        # shellcheck disable=SC2086
        tsan_check "$tsan_variant $tsan_config: exit 0, serial checksum, no report" "$tsan_serial" \
            run "$tsan_model" "$tsan_workload" $tsan_options $tsan_model_options
    done
done

# net's request deadlines: workers (hybrid) write a task's deadline while the
# loop's sweep reads the deadlines of the tasks waiting on it. A 150 ms delay
# lets the sweep run while requests wait.
run_cbench run serial net -n 4 --requests 2 --delay-ms 150 -f json
tsan_serial=$(jq -r .checksum "$TMP/out" 2>/dev/null)
for tsan_variant in "hybrid" "async --loops 2" "threads --gil"; do
    read -r tsan_model tsan_model_options <<<"$tsan_variant"
    # shellcheck disable=SC2086
    tsan_check "$tsan_variant net with deadlines: exit 0, serial checksum, no report" "$tsan_serial" \
        run "$tsan_model" net -n 4 --requests 2 --delay-ms 150 $tsan_model_options
done

# net --rate: every task records into two histograms shared by all (relaxed
# atomics) and meets the others at the start barrier (an atomic count, an
# eventfd); the schedule's timers go through each model's timer path.
tsan_rate=(net -n 4 --rate 200 --duration 0.3)
run_cbench run async "${tsan_rate[@]}" -f json
tsan_async=$(jq -r .checksum "$TMP/out" 2>/dev/null)
for tsan_variant in "threads" "threads --gil" "async --loops 2" "hybrid"; do
    read -r tsan_model tsan_model_options <<<"$tsan_variant"
    # shellcheck disable=SC2086
    tsan_check "$tsan_variant net --rate: exit 0, async's checksum, no report" "$tsan_async" \
        run "$tsan_model" "${tsan_rate[@]}" $tsan_model_options
done
