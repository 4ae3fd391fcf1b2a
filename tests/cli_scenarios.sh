# shellcheck shell=bash disable=SC2154  # sourced by tests/cli.sh, which sets $status
# The classic scenarios and the async caveats (issue 7): the mixed, chess,
# queue and chain workloads give the same checksum under every model, the
# hybrid model included; queue delivers every item exactly once; --fail-task
# cancels the other tasks under every model, exits 1 and leaves no process,
# thread or descriptor behind. No timing assertions. Sourced by
# tests/cli.sh; names are scen_*.
#
# Leftovers are found as cli_basic.sh finds them: by an environment tag
# every cbench run of this suite inherits (and so would a leaked worker).
# Descriptors and threads are checked by cbench itself after a cancelled
# run (it compares /proc/self before and after and exits 1 if any remain).

scen_tag="cbench-scen-$$-$RANDOM"
export CBENCH_TEST_TAG="$scen_tag"
SCEN_MODELS=("serial" "fork" "fork -w 2" "threads" "threads -w 3" "threads --gil" "async"
             "async --loops 2" "hybrid" "hybrid -w 1" "uring" "uring --loops 2")

# scen_run ARGS... : like run_cbench, but a hang fails instead of blocking
scen_run() {
    timeout -k 5 120 "$CBENCH" "$@" >"$TMP/out" 2>"$TMP/err"
    status=$?
}

# scen_same_checksum LABEL OPS ARGS... : the workload run (ARGS, without a
# model) gives serial's checksum, OPS operations and no error under every
# model of SCEN_MODELS
scen_same_checksum() {
    local label=$1 ops=$2 variant model got want="" all_ok=1
    shift 2
    for variant in "${SCEN_MODELS[@]}"; do
        read -r model opts <<<"$variant"
        # shellcheck disable=SC2086  # the model's options split into words
        scen_run run "$model" "$@" $opts -f json
        got=$(jq -r '"\(.checksum) \(.ops) \(.errors)"' "$TMP/out" 2>/dev/null)
        [ -z "$want" ] && want="${got%% *} $ops 0"
        if [ "$status" -ne 0 ] || [ "$got" != "$want" ]; then
            fail "scen: $label under $variant" "exit $status; got \"$got\", want \"$want\" (checksum ops errors)" \
                "stderr: $(head -c 300 "$TMP/err")"
            all_ok=0
        fi
    done
    [ "$all_ok" = 1 ] && pass "scen: $label: same checksum and ops under ${#SCEN_MODELS[@]} model variants"
}

scen_same_checksum "mixed" 15 mixed -n 4 --cpu-tasks 1 --requests 5 --io-ms 1 --chunk-ms 0.5
scen_same_checksum "chess" 12 chess -n 4 --moves 3 --move-ms 0.1
scen_same_checksum "queue" 1000 queue -n 5 --producers 2 --items 1000
scen_same_checksum "chain" 20 chain -n 5 --steps 4 --max-ms 3
scen_same_checksum "cpu (first step yields)" 4 cpu -n 4 --work 2
scen_same_checksum "sleep" 3 sleep -n 3 --ms 1

# The checksum depends on the options: a different seed, other waits.
a=$(json_field checksum run async chain -n 3 --steps 3 --max-ms 2 --seed 1)
b=$(json_field checksum run async chain -n 3 --steps 3 --max-ms 2 --seed 2)
if [ -n "$a" ] && [ "$a" != "$b" ]; then pass "scen: chain --seed changes the checksum"
else fail "scen: chain --seed changes the checksum" "seed 1: $a, seed 2: $b"; fi

# queue: more items than the pipe holds, so producers wait for room.
# Every item arrives exactly once (the workload checks a bitmap of ids and
# counts an error otherwise): ops = items, one hand-off latency each.
queue_want=""
for variant in "fork" "threads" "async" "hybrid" "threads -w 4" "uring" "threads --gil"; do
    read -r model opts <<<"$variant"
    # shellcheck disable=SC2086
    scen_run run "$model" queue --producers 3 --consumers 4 -n 7 --items 20000 $opts -f json
    got=$(jq -r '"\(.ops) \(.errors) \(.checksum)"' "$TMP/out" 2>/dev/null)
    [ -z "$queue_want" ] && queue_want="20000 0 ${got##* }"
    if [ "$status" -eq 0 ] && [ "$got" = "$queue_want" ]; then
        pass "scen: queue 20,000 items through a full pipe under $variant: each once"
    else
        fail "scen: queue 20,000 items under $variant" "exit $status; got \"$got\", want \"$queue_want\"" \
            "stderr: $(head -c 300 "$TMP/err")"
    fi
done
scen_run run async queue --items 3 -f json
if [ "$status" -eq 0 ] && [ "$(jq -r .ops "$TMP/out")" = 3 ]; then
    pass "scen: queue with fewer items than consumers"
else fail "scen: queue with fewer items than consumers" "exit $status" "$(head -c 300 "$TMP/err")"; fi

expect_error 2 'queue needs a concurrent model' "scen: queue under serial with a full queue -> exit 2" \
    run serial queue --items 10000
expect_error 2 'queue needs a concurrent model' "scen: queue with -w <= producers -> exit 2" \
    run threads queue --items 10000 -w 2
expect_error 2 'queue: -n 6 must be --producers 2 plus --consumers 5' "scen: queue -n mismatch -> exit 2" \
    run async queue -n 6 --consumers 5
expect_error 2 'mixed: --cpu-tasks 4 leaves no I/O task' "scen: mixed without I/O task -> exit 2" \
    run async mixed -n 4 --cpu-tasks 4
expect_error 2 'chain: --max-ms 1 is less than --min-ms 5' "scen: chain --max-ms < --min-ms -> exit 2" \
    run async chain --min-ms 5 --max-ms 1
expect_error 2 'fail-task: 3 is not a task \(tasks are 0..2\)' "scen: --fail-task out of range -> exit 2" \
    run async sleep -n 3 --fail-task 3
expect_error 2 'chunk-ms' "scen: mixed --chunk-ms 0 -> exit 2" run async mixed --chunk-ms 0

# The notes give the figures to compare with: theory, the longest chain.
note=$(json_field note run async chess -n 24 --moves 1 --move-ms 0.01)
if grep -q 'theory: serial .* s, one loop .* s' <<<"$note"; then pass "scen: chess note gives the theoretical times"
else fail "scen: chess note" "$note"; fi
note=$(json_field note run hybrid chain -n 2 --steps 2 --max-ms 2)
if grep -q 'longest chain [0-9.]* ms (task [01])' <<<"$note"; then pass "scen: chain note gives the longest chain"
else fail "scen: chain note" "$note"; fi

# The CSV contract: new keys only at the end.
"$CBENCH" run async sleep -n 1 --ms 0 -f csv >"$TMP/csv" 2>/dev/null
if head -n 1 "$TMP/csv" | grep -q ',params,note,cancelled,cancel_ms' &&
   [ "$(head -n 1 "$TMP/csv" | awk -F, '{ print NF }')" = "$(sed -n 2p "$TMP/csv" | awk -F, '{ print NF }')" ]; then
    pass "scen: CSV ends with cancelled,cancel_ms, one value per key"
else fail "scen: CSV keys" "$(cat "$TMP/csv")"; fi

# --fail-task: the failing task counts one error, every other task that had
# not finished is cancelled, exit 1, and cbench itself reports nothing left
# over ("... remain" on stderr otherwise). Long waits: without cancellation
# these runs would take minutes.
# scen_cancel LABEL CANCELLED ARGS... : a --fail-task run as described
scen_cancel() {
    local label=$1 want=$2
    shift 2
    # every wait below is minutes long: 30 s means cancellation did not stop it
    timeout -k 5 30 "$CBENCH" "$@" -f json >"$TMP/out" 2>"$TMP/err"
    status=$?
    local got
    got=$(jq -r '"\(.errors) \(.cancelled)"' "$TMP/out" 2>/dev/null)
    if [ "$status" -eq 1 ] && [ "$got" = "1 $want" ] && grep -q 'failed (--fail-task)' "$TMP/err" &&
       ! grep -q 'remain' "$TMP/err"; then
        pass "scen: --fail-task: $label"
    else
        fail "scen: --fail-task: $label" "exit $status (want 1), errors+cancelled \"$got\" (want \"1 $want\")" \
            "stderr: $(head -c 300 "$TMP/err")"
    fi
}
for model in $CONCURRENT_MODELS; do
    scen_cancel "$model sleep, last task fails" 19 run "$model" sleep -n 20 --ms 600000 --fail-task 19
    scen_cancel "$model queue, producers and consumers blocked" 6 \
        run "$model" queue --items 1000000 --fail-task 6
    scen_cancel "$model net, requests in flight" 7 \
        run "$model" net -n 8 --delay-ms 60000 --requests 1 --fail-task 7
    scen_cancel "$model mixed, CPU tasks computing" 5 \
        run "$model" mixed -n 6 --cpu-tasks 2 --requests 100000 --fail-task 5
done
scen_cancel "serial: the tasks after the failing one" 4 run serial sleep -n 5 --ms 600000 --fail-task 0
scen_cancel "async --loops 3: every loop stops" 29 run async sleep -n 30 --ms 600000 --loops 3 --fail-task 29
scen_cancel "threads: 1,000 threads" 999 run threads sleep -n 1000 --ms 600000 --fail-task 999
scen_cancel "async: 10,000 tasks" 9999 run async sleep -n 10000 --ms 600000 --fail-task 9999
scen_cancel "hybrid: chess" 23 run hybrid chess --reply-ms 600000 --fail-task 23
scen_cancel "fork -w 2: tasks never started count as cancelled" 9 \
    run fork sleep -n 10 --ms 600000 -w 2 --fail-task 1

# The human format says how long cancellation took.
scen_run run async sleep -n 4 --ms 600000 --fail-task 2
if [ "$status" -eq 1 ] && grep -q 'cancelled   3 tasks, all stopped .* ms after task 2 failed' "$TMP/out"; then
    pass "scen: human output reports the cancellation"
else fail "scen: human output reports the cancellation" "exit $status" "$(cat "$TMP/out")"; fi

# Without --fail-task nothing is cancelled.
if [ "$(json_field cancelled run threads sleep -n 3 --ms 0)" = 0 ]; then pass "scen: no --fail-task, nothing cancelled"
else fail "scen: no --fail-task, nothing cancelled"; fi

pids=$(tagged_pids "$scen_tag" | tr '\n' ' ')
if [ -z "$pids" ]; then pass "scen: no cbench process left behind"
else fail "scen: no cbench process left behind" "alive: $pids" "$(ps -o pid,ppid,stat,args -p "${pids// /,}0" 2>/dev/null)"; fi
