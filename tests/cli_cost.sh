# shellcheck shell=bash disable=SC2154  # sourced by tests/cli.sh, which sets $status
# What a worker costs (issue 6): the spawn and pingpong workloads and
# threads --gil. Every new workload gives the same checksum under every
# model, --gil changes timing only (the serial checksum for cpu, sleep and
# net), spawn leaves no process behind, bad values exit 2 with a message.
# No timing assertions. Sourced by tests/cli.sh; names are cost_*.
#
# Leftovers are found as cli_basic.sh finds them: by an environment tag
# every cbench run of this suite inherits (and so would a leaked worker).

cost_tag="cbench-cost-$$-$RANDOM"
export CBENCH_TEST_TAG="$cost_tag"

# cost_run NAME ARGS... : a run that must succeed silently; JSON in $TMP/out
cost_run() {
    local name=$1
    shift
    run_cbench "$@" -f json
    if [ "$status" -ne 0 ] || [ -s "$TMP/err" ] || ! jq -e . "$TMP/out" >/dev/null 2>&1; then
        fail "$name" "exit $status (expected 0, nothing on stderr)" "stderr: $(head -c 300 "$TMP/err")"
        return 1
    fi
}

# cost_same_checksum LABEL OPS REFERENCE-ARGS -- VARIANT... : every variant
# ("MODEL [model options]") of the workload run gives the reference's
# checksum, OPS operations and no error
cost_same_checksum() {
    local label=$1 ops=$2 reference variant got want
    shift 2
    local -a args=()
    while [ "$1" != -- ]; do args+=("$1"); shift; done
    shift
    cost_run "checksum: ${args[*]}" run "${args[@]}" || return
    reference=$(jq -r .checksum "$TMP/out")
    want="$reference $ops 0"
    for variant in "$@"; do
        local -a v
        read -r -a v <<<"$variant"
        cost_run "checksum: $variant $label" run "${v[0]}" "${args[@]:1}" "${v[@]:1}" || continue
        got=$(jq -r '[.checksum, .ops, .errors] | join(" ")' "$TMP/out")
        if [ "$got" = "$want" ]; then pass "checksum: $variant = ${args[0]} ($label)"
        else fail "checksum: $variant ($label)" "expected checksum ops errors = $want" "got $got"; fi
    done
}

# cost_note NAME REGEX ARGS... : the run succeeds and its note matches REGEX
cost_note() {
    local name=$1 regex=$2
    shift 2
    cost_run "$name" "$@" || return
    if jq -e --arg re "$regex" '.note | test($re)' "$TMP/out" >/dev/null; then pass "$name"
    else fail "$name" "note does not match /$regex/" "note: $(jq -r .note "$TMP/out")"; fi
}

# ---- spawn ----

cost_same_checksum "spawn -n 20" 20 serial spawn -n 20 -- \
    fork "fork -w 3" threads "threads -w 3" "threads --gil" async "async --loops 2" hybrid "hybrid -w 1"
cost_same_checksum "spawn -n 6 --hold-ms 20" 6 serial spawn -n 6 --hold-ms 20 -- \
    fork threads "threads --gil" async hybrid
cost_sums=""
for cost_config in "-n 20" "-n 21" "-n 20 --hold-ms 1"; do
    # shellcheck disable=SC2086  # options split into words
    cost_sums+="$(json_field checksum run threads spawn $cost_config)"$'\n'
done
if [ "$(sort -u <<<"$cost_sums" | grep -c '^[0-9a-f]\{16\}$')" -eq 3 ]; then
    pass "checksum: spawn's differs when -n or --hold-ms differ"
else
    fail "checksum: spawn's differs with the options" "$cost_sums"
fi

for cost_model in $CONCURRENT_MODELS; do
    cost_note "spawn: $cost_model: cost per worker in the note" '(^|[ ;])worker_us=[0-9.]+' \
        run "$cost_model" spawn -n 50
done
cost_note "spawn --bare: fork: bare loops, all alive and one at a time" \
    'worker_us=[0-9.]+ bare_us=[0-9.]+ bare_seq_us=[0-9.]+' run fork spawn -n 30 --bare
cost_note "spawn --bare: threads: bare loops, all alive and one at a time" \
    'worker_us=[0-9.]+ bare_us=[0-9.]+ bare_seq_us=[0-9.]+' run threads spawn -n 30 --bare
cost_note "spawn --bare: async: a bare libev loop" 'worker_us=[0-9.]+ bare_us=[0-9.]+' \
    run async spawn -n 30 --bare
# A generous hold, so that all are alive even on a loaded machine.
# Memory per worker is in the metrics (the one method of bench/run.c); a
# fork worker or a thread pins at least its kernel stack (16 KiB).
for cost_model in $CONCURRENT_MODELS; do
    cost_note "spawn --hold-ms: $cost_model: all alive" \
        'alive=10/10$' run "$cost_model" spawn -n 10 --hold-ms 1000
    cost_kib=$(jq -r '.metrics | capture("kib_per_worker=(?<k>-?[0-9.]+)").k' "$TMP/out" 2>/dev/null)
    cost_floor=16
    case " $EVENT_LOOP_MODELS " in *" $cost_model "*) cost_floor=-8 ;; esac   # tasks, not workers
    if awk -v k="$cost_kib" -v f="$cost_floor" 'BEGIN { exit !(k != "" && k + 0 >= f && k + 0 < 1024) }'; then
        pass "spawn --hold-ms: $cost_model: kib_per_worker=$cost_kib in the metrics"
    else
        fail "spawn --hold-ms: $cost_model: kib_per_worker" "got \"$cost_kib\" (at least $cost_floor)" "$(jq -r .metrics "$TMP/out")"
    fi
done
cost_note "spawn --hold-ms: serial says its tasks were never alive together" \
    'alive=1/3 \(not all alive' run serial spawn -n 3 --hold-ms 1
cost_run "spawn: threads: one thread per task" run threads spawn -n 40 &&
    if jq -e '.workers_started == 40 and .ops == 40' "$TMP/out" >/dev/null; then
        pass "spawn: threads -n 40 started 40 threads, 40 ops"
    else fail "spawn: threads -n 40" "$(head -c 300 "$TMP/out")"; fi

cost_pids=$(tagged_pids "$cost_tag" | tr '\n' ' ')
if [ -z "$cost_pids" ]; then pass "spawn (fork, bare loops, holds): no process left behind"
else fail "spawn: processes left behind" "$cost_pids" "$(ps -o pid,ppid,stat,args -p "${cost_pids// /,}0")"; fi

# ---- pingpong ----

cost_same_checksum "pingpong -n 6 --count 200" 600 fork pingpong -n 6 --count 200 -- \
    "fork -w 2" "fork --via condvar" threads "threads -w 3" "threads --via condvar" "threads --gil" \
    async "async --loops 2" "async --loops 3" hybrid "hybrid -w 1" uring "uring --loops 2"
cost_sums=""
for cost_config in "-n 2 --count 200" "-n 2 --count 201" "-n 4 --count 200"; do
    # shellcheck disable=SC2086
    cost_sums+="$(json_field checksum run threads pingpong $cost_config)"$'\n'
done
if [ "$(sort -u <<<"$cost_sums" | grep -c '^[0-9a-f]\{16\}$')" -eq 3 ]; then
    pass "checksum: pingpong's differs when --count or -n differ"
else
    fail "checksum: pingpong's differs with the options" "$cost_sums"
fi
cost_run "pingpong: a latency sample per round trip" run async pingpong -n 4 --count 300 &&
    if jq -e '.ops == 600 and (.note | test("round_trip_us=[0-9.]+$"))' "$TMP/out" >/dev/null; then
        pass "pingpong: ops = pairs x count, round trip in the note"
    else fail "pingpong: ops and note" "$(head -c 400 "$TMP/out")"; fi

# A cancelled run must not leave a task blocked in a hand-off: the condvar
# wait is timed, and a killed fork worker must not hang the teardown.
if "$CBENCH" --help | grep -q -- '--fail-task'; then
    for cost_variant in "fork --via condvar" "threads --via condvar" "threads --gil" "fork" "async" "hybrid" "uring"; do
        read -r -a cost_words <<<"$cost_variant"
        timeout 30 "$CBENCH" run "${cost_words[0]}" pingpong -n 4 --count 1000000 --fail-task 1 \
            "${cost_words[@]:1}" -f json >"$TMP/out" 2>"$TMP/err"
        status=$?
        if [ "$status" -eq 1 ] && jq -e '.errors == 1 and .cancelled == 3' "$TMP/out" >/dev/null; then
            pass "pingpong $cost_variant --fail-task 1: cancelled, exit 1, no hang"
        else
            fail "pingpong $cost_variant --fail-task 1" "exit $status (124: hung)" "$(head -c 300 "$TMP/out")"
        fi
    done
fi

# ---- threads --gil: timing only, never results ----

cost_same_checksum "cpu --work 3 -n 4" 4 serial cpu --work 3 -n 4 -- "threads --gil" "threads --gil -w 2"
cost_same_checksum "sleep --ms 20 -n 4" 4 serial sleep --ms 20 -n 4 -- "threads --gil" "threads --gil -w 2"
if "$CBENCH" list | grep -q '^workload net '; then
    cost_same_checksum "net -n 4 --requests 5" 20 serial net -n 4 --requests 5 -- \
        "threads --gil" "threads --gil -w 2"
fi
cost_note "threads --gil: reported in params and note" 'GIL: [0-9]+ forced hand-overs' \
    run threads cpu --work 3 -n 4 --gil
if jq -e '.params | test("gil=1")' "$TMP/out" >/dev/null; then pass "threads --gil: gil=1 in params"
else fail "threads --gil: params" "$(jq -r .params "$TMP/out")"; fi

# ---- bad values: exit 2, a message, nothing run ----

expect_usage "usage: spawn --tasks 0" '--tasks: 0 is out of range' run fork spawn --tasks 0
expect_usage "usage: spawn --hold-ms -1" '--hold-ms: -1 is out of range' run threads spawn --hold-ms -1
expect_usage "usage: spawn --bare under serial" 'model serial has no bare loop' run serial spawn --bare
expect_usage "usage: spawn --bare with --hold-ms" '--bare .* without --hold-ms' run fork spawn --bare --hold-ms 5
expect_usage "usage: pingpong --tasks 0" '--tasks: 0 is out of range' run threads pingpong --tasks 0
expect_usage "usage: pingpong --count over the limit" '--count: 10000001 is out of range' \
    run threads pingpong --count 10000001
expect_usage "usage: pingpong --count 0" '--count: 0 is out of range' run threads pingpong --count 0
expect_usage "usage: pingpong odd tasks" '--tasks 3 is odd' run fork pingpong -n 3
expect_usage "usage: pingpong under serial" 'one task at a time' run serial pingpong
expect_usage "usage: pingpong with -w 1" 'one task at a time' run threads pingpong -n 4 -w 1
expect_usage "usage: pingpong --via bogus" '--via: "bogus" is not one of pipe, condvar' run threads pingpong --via bogus
expect_usage "usage: pingpong --via condvar under async" 'condvar blocks inside a task' run async pingpong --via condvar
expect_usage "usage: pingpong --via condvar under threads --gil" 'condvar blocks inside a task' \
    run threads pingpong --via condvar --gil
expect_usage "usage: --gil on fork names its owner" '--gil is an option of threads' run fork cpu --gil

cost_pids=$(tagged_pids "$cost_tag" | tr '\n' ' ')
if [ -z "$cost_pids" ]; then pass "no process left behind by any run of this suite"
else fail "processes left behind" "$cost_pids"; fi
export -n CBENCH_TEST_TAG
unset CBENCH_TEST_TAG
