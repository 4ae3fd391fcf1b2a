# shellcheck shell=bash disable=SC2154  # sourced by tests/cli.sh, which sets $status
# The foundation: --help/--version/list, the same checksum under every model
# for sleep and cpu, the JSON/CSV/human output contract, bad usage (exit 2,
# a message naming the value, nothing run), resource failures (exit 1), and
# no process left behind. Sourced by tests/cli.sh; names are basic_*.
#
# Leftover processes are found by an environment tag that every cbench run of
# this suite inherits (and so would any worker it leaks): other cbench
# processes on the machine (another engineer's server, other builds) never
# match, whatever their name or path.

basic_tag="cbench-basic-$$-$RANDOM"
export CBENCH_TEST_TAG="$basic_tag"

# basic_zombies : defunct cbench processes of this session. A zombie has no
# readable environment, so it cannot be told by the tag; but it keeps its
# session, which fork workers inherit from cbench and so from this shell
# (other shells on the machine are other sessions). We compare counts.
basic_session=$(ps -o sess= -p $$ | tr -d ' ')
basic_zombies() {
    ps -eo stat=,sess=,comm= | awk -v s="$basic_session" '$1 ~ /^Z/ && $2 == s && $3 == "cbench"' | wc -l
}
basic_zombies_before=$(basic_zombies)

# basic_no_leftovers NAME : no tagged process alive, no new cbench zombie
basic_no_leftovers() {
    local pids zombies
    pids=$(tagged_pids "$basic_tag" | tr '\n' ' ')
    zombies=$(basic_zombies)
    if [ -z "$pids" ] && [ "$zombies" -le "$basic_zombies_before" ]; then
        pass "$1"
    else
        fail "$1" "left alive: ${pids:-none}" "cbench zombies in session $basic_session: $zombies (before: $basic_zombies_before)" \
            "$(ps -o pid,ppid,stat,args -p "${pids// /,}0" 2>/dev/null)"
    fi
}

# ---- --help, --version, list ----

basic_models=(serial fork threads async)
basic_workloads=(sleep cpu)

run_cbench list
basic_listed_models=$(awk '$1 == "model" { print $2 }' "$TMP/out")
basic_listed_workloads=$(awk '$1 == "workload" { print $2 }' "$TMP/out")
basic_missing=""
for name in "${basic_models[@]}"; do
    grep -qx "$name" <<<"$basic_listed_models" || basic_missing+=" model:$name"
done
for name in "${basic_workloads[@]}"; do
    grep -qx "$name" <<<"$basic_listed_workloads" || basic_missing+=" workload:$name"
done
if [ "$status" -eq 0 ] && [ "$(wc -l <<<"$basic_listed_models")" -ge 4 ] &&
   [ "$(wc -l <<<"$basic_listed_workloads")" -ge 2 ] && [ -z "$basic_missing" ] &&
   ! grep -Evq '^(model|workload|python) +[a-z0-9_-]+ +[^ ]' "$TMP/out"; then
    pass "list: 4+ models and 2+ workloads, one per line (and the Python row's entry)"
else
    fail "list" "exit $status, missing:${basic_missing:- none}" "$(head -c 500 "$TMP/out")"
fi

for basic_help in --help -h help "run --help"; do
    # shellcheck disable=SC2086  # "run --help" is two words
    run_cbench $basic_help
    basic_missing=""
    # every name of the contract and every name `list` printed
    for name in "${basic_models[@]}" "${basic_workloads[@]}" $basic_listed_models $basic_listed_workloads; do
        grep -qw -- "$name" "$TMP/out" || basic_missing+=" $name"
    done
    if [ "$status" -eq 0 ] && [ -z "$basic_missing" ] && grep -q 'usage: cbench run MODEL WORKLOAD' "$TMP/out" &&
       grep -q -- '--tasks' "$TMP/out" && grep -q -- '--format' "$TMP/out" && [ ! -s "$TMP/err" ]; then
        pass "cbench $basic_help: exit 0, names every model, workload and common option"
    else
        fail "cbench $basic_help" "exit $status, missing:${basic_missing:- none}" "stderr: $(head -c 300 "$TMP/err")"
    fi
done

for basic_version in --version -V; do
    run_cbench "$basic_version"
    if [ "$status" -eq 0 ] && grep -Eqx 'cbench [0-9]+\.[0-9]+\.[0-9]+' "$TMP/out" && [ ! -s "$TMP/err" ]; then
        pass "cbench $basic_version: exit 0, one version line"
    else
        fail "cbench $basic_version" "exit $status" "stdout: $(head -c 300 "$TMP/out")"
    fi
done

# ---- the same checksum under every model ----

# basic_json_run NAME ARGS... : a run that must succeed silently; leaves the
# JSON in $TMP/out. Returns nonzero (after fail) otherwise.
basic_json_run() {
    local name=$1
    shift
    run_cbench "$@" -f json
    if [ "$status" -ne 0 ] || [ -s "$TMP/err" ] || ! jq -e . "$TMP/out" >/dev/null 2>&1; then
        fail "$name" "exit $status (a run without errors exits 0 and prints nothing on stderr)" \
            "stderr: $(head -c 300 "$TMP/err")" "stdout: $(head -c 300 "$TMP/out")"
        return 1
    fi
}

basic_configs=("sleep --ms 10 -n 5" "cpu --work 2 -n 4")
# Every model `cbench list` shows (so a new model is tested without being
# named here), then the pool and loop variants.
basic_variants=()
for name in $basic_listed_models; do
    [ "$name" = serial ] || basic_variants+=("$name")
done
basic_variants+=("fork -w 2" "threads -w 2" "async --loops 2" "hybrid -w 1"
                 "async --backend poll" "async --backend select" "async --backend epoll")
for basic_config in "${basic_configs[@]}"; do
    read -r basic_workload basic_options <<<"$basic_config"
    basic_tasks=${basic_options##*-n }
    # shellcheck disable=SC2086  # options split into words
    basic_json_run "checksum: serial $basic_config" run serial "$basic_workload" $basic_options || continue
    basic_serial=$(jq -r .checksum "$TMP/out")
    for basic_variant in "${basic_variants[@]}"; do
        read -r basic_model basic_model_options <<<"$basic_variant"
        # shellcheck disable=SC2086
        basic_json_run "checksum: $basic_variant $basic_config" \
            run "$basic_model" "$basic_workload" $basic_options $basic_model_options || continue
        basic_got=$(jq -r '[.checksum, .ops, .errors, .tasks] | join(" ")' "$TMP/out")
        if [ "$basic_got" = "$basic_serial $basic_tasks 0 $basic_tasks" ]; then
            pass "checksum: $basic_variant = serial ($basic_config)"
        else
            fail "checksum: $basic_variant ($basic_config)" \
                "expected checksum ops errors tasks = $basic_serial $basic_tasks 0 $basic_tasks" \
                "got $basic_got"
        fi
    done
done

basic_no_leftovers "checksum runs: no worker left behind"

# Equal checksums prove something only if the checksum follows the work.
basic_sums=""
for basic_config in "sleep --ms 10 -n 5" "sleep --ms 11 -n 5" "sleep --ms 10 -n 4" \
                    "cpu --work 2 -n 4" "cpu --work 3 -n 4" "cpu --work 2 -n 3"; do
    # shellcheck disable=SC2086
    basic_sums+="$(json_field checksum run serial $basic_config)"$'\n'
done
if [ "$(grep -Ec '^[0-9a-f]{16}$' <<<"$basic_sums")" -eq 6 ] &&
   [ "$(sort -u <<<"$basic_sums" | grep -c .)" -eq 6 ]; then
    pass "checksum: differs when --ms, --work or -n differ"
else
    fail "checksum: differs with the options" "$basic_sums"
fi

# What the pool options change is visible in workers_started (not timing).
for basic_case in "fork -w 2:2" "fork:5" "threads -w 2:2" "threads:5" "async --loops 2:2" \
                  "async:1" "serial:1" "fork -w 9:5" "threads -w 9:5" "hybrid -w 1:1" "hybrid -w 3:3"; do
    basic_variant=${basic_case%:*}
    read -r basic_model basic_model_options <<<"$basic_variant"
    # shellcheck disable=SC2086
    basic_json_run "workers_started: $basic_variant" run "$basic_model" sleep --ms 1 -n 5 $basic_model_options || continue
    basic_got=$(jq -r .workers_started "$TMP/out")
    if [ "$basic_got" = "${basic_case##*:}" ]; then pass "workers_started: $basic_variant -n 5 -> ${basic_case##*:}"
    else fail "workers_started: $basic_variant -n 5" "expected ${basic_case##*:}, got $basic_got"; fi
done

for basic_backend in poll select epoll; do
    run_cbench run async sleep --ms 1 -n 2 --backend "$basic_backend" -f json
    if [ "$status" -eq 0 ] && jq -e --arg b "$basic_backend" '.note | test("backend " + $b + "$")' "$TMP/out" >/dev/null &&
       jq -e --arg b "$basic_backend" '.params | test("backend=" + $b)' "$TMP/out" >/dev/null; then
        pass "async --backend $basic_backend: used and reported"
    else
        fail "async --backend $basic_backend" "exit $status" "$(head -c 300 "$TMP/out")"
    fi
done

# ---- output contract ----

# The keys DESIGN.md promises (at least these; more may follow). JSON and CSV
# carry the same keys in the same order.
basic_keys="model,workload,tasks,workers,wall_s,user_s,sys_s,maxrss_kib,ops,ops_per_s,lat_p50_us,lat_p90_us,lat_p99_us,lat_max_us,errors,checksum,workers_started,params,note"
basic_string_keys="model workload checksum params note"
for basic_model in $basic_listed_models; do
    basic_json_run "json: $basic_model" run "$basic_model" sleep --ms 1 -n 3 || continue
    basic_problems=""
    [ "$(jq -s length "$TMP/out")" = 1 ] || basic_problems+=" not-one-object"
    [ "$(wc -l <"$TMP/out")" = 1 ] || basic_problems+=" not-one-line"
    # keys as printed, duplicates kept (a parsed object would merge them)
    basic_json_keys=$(jq -r --stream 'select(length == 2) | .[0][0]' "$TMP/out" | paste -sd, -)
    [ -z "$(tr , '\n' <<<"$basic_json_keys" | sort | uniq -d)" ] || basic_problems+=" repeated-key"
    for key in ${basic_keys//,/ }; do
        want=number
        [[ " $basic_string_keys " == *" $key "* ]] && want=string
        got=$(jq -r --arg k "$key" 'if has($k) then (.[$k] | type) else "missing" end' "$TMP/out")
        [ "$got" = "$want" ] || basic_problems+=" $key:$got"
    done
    jq -e '.checksum | test("^[0-9a-f]{16}$")' "$TMP/out" >/dev/null || basic_problems+=" checksum-format"
    jq -e --arg m "$basic_model" '.model == $m and .workload == "sleep" and .tasks == 3 and .ops == 3 and .errors == 0' \
        "$TMP/out" >/dev/null || basic_problems+=" values"
    if [ -z "$basic_problems" ]; then pass "json: $basic_model: one object, every contract key, right types"
    else fail "json: $basic_model" "problems:$basic_problems" "$(head -c 500 "$TMP/out")"; fi

    run_cbench run "$basic_model" sleep --ms 1 -n 3 -f csv
    basic_header=$(head -n 1 "$TMP/out")
    basic_columns=$(awk -F, 'NR == 2 { print NF }' "$TMP/out")
    if [ "$status" -eq 0 ] && [ "$(wc -l <"$TMP/out")" = 2 ] && [ "$basic_header" = "$basic_json_keys" ] &&
       [ "$basic_columns" = "$(awk -F, '{ print NF }' <<<"$basic_header")" ] &&
       [ "$(awk -F, 'NR == 2 { print $1 "," $2 "," $3 }' "$TMP/out")" = "$basic_model,sleep,3" ]; then
        pass "csv: $basic_model: header = json keys in order, one row, same column count"
    else
        fail "csv: $basic_model" "exit $status, $basic_columns columns" "$(head -c 600 "$TMP/out")"
    fi
done

# One run, three formats: the same checksum everywhere.
basic_checksum=$(json_field checksum run serial cpu --work 1 -n 2)
run_cbench run serial cpu --work 1 -n 2 -f csv
basic_csv_checksum=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "checksum") c = i } NR == 2 { print $c }' "$TMP/out")
run_cbench run serial cpu --work 1 -n 2
if [ "$status" -eq 0 ] && grep -q 'wall time' "$TMP/out" && grep -Eq "checksum +$basic_checksum\$" "$TMP/out" &&
   [ "$basic_csv_checksum" = "$basic_checksum" ] && [ -n "$basic_checksum" ]; then
    pass "human: wall time and the same checksum as json and csv (default format)"
else
    fail "human output" "json $basic_checksum, csv $basic_csv_checksum" "$(head -c 600 "$TMP/out")"
fi
run_cbench run serial cpu --work 1 -n 2 --format=human
if [ "$status" -eq 0 ] && grep -Eq "checksum +$basic_checksum\$" "$TMP/out"; then
    pass "--format=human, the = form"
else
    fail "--format=human" "exit $status" "$(head -c 300 "$TMP/err")"
fi
run_cbench run serial sleep --tasks=2 --ms=1 -f json
if [ "$status" -eq 0 ] && jq -e '.tasks == 2 and .params == "ms=1"' "$TMP/out" >/dev/null; then
    pass "--tasks=2 --ms=1: the = forms are parsed"
else
    fail "--tasks=2 --ms=1" "exit $status" "$(head -c 300 "$TMP/out") $(head -c 300 "$TMP/err")"
fi

# ---- bad usage: exit 2, a message naming the value, nothing run ----

expect_usage "usage: unknown model" 'unknown model "nosuch"' run nosuch sleep
expect_usage "usage: unknown workload" 'unknown workload "nosuch"' run serial nosuch
expect_usage "usage: unknown command" 'unknown command "frobnicate"' frobnicate
expect_usage "usage: --tasks 0" '--tasks: 0 is out of range' run serial sleep --tasks 0
expect_usage "usage: --tasks abc" '--tasks: "abc" is not a whole number' run serial sleep --tasks abc
expect_usage "usage: --tasks=abc" '--tasks: "abc" is not a whole number' run serial sleep --tasks=abc
expect_usage "usage: -n 1.5" '--tasks: "1\.5" is not a whole number' run serial sleep -n 1.5
expect_usage "usage: -n -3" '--tasks: -3 is out of range' run serial sleep -n -3
expect_usage "usage: -n 99999999999999999999" '--tasks: 99999999999999999999 is out of range' \
    run serial sleep -n 99999999999999999999
expect_usage "usage: --ms -5" '--ms: -5 is out of range' run serial sleep --ms -5
expect_usage "usage: --ms abc" '--ms: "abc" is not a number' run serial sleep --ms abc
expect_usage "usage: --ms nan" '--ms: "nan" is not a number' run serial sleep --ms nan
expect_usage "usage: --ms inf" '--ms: "inf" is not a number' run serial sleep --ms inf
expect_usage "usage: --work 0" '--work: 0 is out of range' run serial cpu --work 0
expect_usage "usage: --ms on cpu names its owner" '--ms is an option of sleep' run serial cpu --ms 5
expect_usage "usage: --work on sleep names its owner" '--work is an option of cpu' run serial sleep --work 5
expect_usage "usage: --loops on threads names its owner" '--loops is an option of async' run threads sleep --loops 2
expect_usage "usage: --stack-kib on fork names its owner" '--stack-kib is an option of threads' run fork sleep --stack-kib 64
expect_usage "usage: unknown option" 'unknown option "--bogus"' run serial sleep --bogus
expect_usage "usage: an option's prefix is not the option" 'unknown option "--tasksx"' run serial sleep --tasksx 3
expect_usage "usage: -n with no value" '--tasks needs a value' run serial sleep -n
expect_usage "usage: --ms with no value" '--ms needs a value' run serial sleep --ms
expect_usage "usage: stray argument" 'unexpected argument "extra"' run serial sleep extra
expect_usage "usage: --format xml" '--format: "xml" is not one of human, csv, json' run serial sleep --format xml
expect_usage "usage: --format=" '--format: "" is not one of' run serial sleep --format=
expect_usage "usage: --workers on async" '--workers: model async has no worker pool' run async sleep --workers 2
expect_usage "usage: --workers on serial" '--workers: model serial has no worker pool' run serial sleep -w 2
expect_usage "usage: --workers 0" '--workers: 0 is out of range' run fork sleep -w 0
expect_usage "usage: --backend kqueue" '--backend: "kqueue" is not one of' run async sleep --backend kqueue
expect_usage "usage: --loops 0" '--loops: 0 is out of range' run async sleep --loops 0
expect_usage "usage: --loops more than tasks" '--loops: 3 is more than the 2 tasks' run async sleep -n 2 --loops 3
expect_usage "usage: --stack-kib 1" '--stack-kib: 1 is out of range' run threads sleep --stack-kib 1
expect_usage "usage: no arguments" 'usage: cbench run MODEL WORKLOAD'
expect_usage "usage: run with only a model" 'run needs a MODEL and a WORKLOAD' run serial
expect_usage "usage: run with nothing" 'run needs a MODEL and a WORKLOAD' run

# ---- resources exhausted: exit 1, reported, nothing left behind ----

# fork beyond RLIMIT_NPROC. Root ignores RLIMIT_NPROC (CAP_SYS_RESOURCE), so
# as root the run drops to the user nobody, whose processes we count: the
# limit is what nobody already runs plus 20, so a 200-worker run cannot fit
# and is refused before the first worker starts (exit 2, nothing printed;
# tests/cli_faults.sh checks the -n it suggests).
# nobody may not be able to reach the checkout (a clone in /root or in a
# `mktemp -d` folder is 0700), so it runs a copy of the binary from a
# world-readable folder of its own, with / as its working directory.
basic_exe_dir=$(mktemp -d /tmp/cbench-basic.XXXXXX)
chmod 755 "$basic_exe_dir"
cp "$CBENCH" "$basic_exe_dir/cbench"
chmod 755 "$basic_exe_dir/cbench"
if [ "$(id -u)" -eq 0 ]; then
    basic_as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
    basic_uid=65534
else
    basic_as_user=()
    basic_uid=$(id -u)
fi
if (cd / && "${basic_as_user[@]}" "$basic_exe_dir/cbench" --version) >/dev/null 2>&1; then
    basic_nproc=$(( $(ps -u "$basic_uid" --no-headers | wc -l) + 20 ))
    # shellcheck disable=SC2016  # $1 and $2 belong to the inner bash
    (cd / && "${basic_as_user[@]}" bash -c 'ulimit -u "$1" && exec "$2" run fork sleep -n 200 --ms 50 -f json' \
        _ "$basic_nproc" "$basic_exe_dir/cbench") >"$TMP/out" 2>"$TMP/err"
    status=$?
    if [ "$status" -eq 2 ] && grep -q 'fork would create 200 worker processes, but RLIMIT_NPROC' "$TMP/err" &&
       [ ! -s "$TMP/out" ]; then
        pass "fork beyond ulimit -u: refused up front, exit 2, the limit named"
    else
        fail "fork beyond ulimit -u ($basic_nproc)" "exit $status" "stderr: $(head -c 300 "$TMP/err")" \
            "stdout: $(head -c 300 "$TMP/out")"
    fi
    basic_no_leftovers "fork beyond ulimit -u: every started worker was reaped"
else
    skip "fork beyond ulimit -u" "${basic_as_user[*]:-this user} cannot run a copy of $CBENCH in $basic_exe_dir"
fi
rm -rf "$basic_exe_dir"

# pthread_create beyond RLIMIT_AS, which binds root too: 1 GiB stacks under a
# 1.5 GiB address-space limit, so the second thread cannot be created.
# Sanitizer builds reserve terabytes of shadow memory and cannot start under
# any such limit: the test is skipped when even --version fails.
if ( ulimit -v 1572864 && exec "$CBENCH" --version ) >/dev/null 2>&1; then
    ( ulimit -v 1572864 && exec "$CBENCH" run threads sleep -n 4 --ms 1 --stack-kib 1048576 -f json ) \
        >"$TMP/out" 2>"$TMP/err"
    status=$?
    if [ "$status" -eq 1 ] && grep -q 'threads: could not start thread 2 of 4' "$TMP/err" &&
       jq -e '.workers_started == 1 and (.note | test("pthread_create failed"))' "$TMP/out" >/dev/null; then
        pass "threads beyond ulimit -v: exit 1, reported on stderr and in the result"
    else
        fail "threads beyond ulimit -v" "exit $status" "stderr: $(head -c 300 "$TMP/err")" \
            "stdout: $(head -c 300 "$TMP/out")"
    fi
else
    skip "threads beyond ulimit -v" "$CBENCH cannot start under the limit (a sanitizer build?)"
fi

# Nothing any run of this suite started is still alive. (File descriptors
# are not checked: after exit there is nothing left to inspect, and no
# workload here opens any; the net suite covers connections.)
basic_no_leftovers "no process left behind by any run of this suite"
export -n CBENCH_TEST_TAG
unset CBENCH_TEST_TAG
