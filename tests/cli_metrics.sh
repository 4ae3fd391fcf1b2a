# shellcheck shell=bash disable=SC2154  # sourced by tests/cli.sh, which sets $status
# Issue 13's output contract: `cbench list --format json`; the `metrics`
# field (the last JSON key and the last CSV column) with each workload's
# keys, all plain numbers; the same checksum under every model of `cbench
# list` for every workload; checksums that differ between workloads; and a
# response sooner than the delay asked for counted as an error (a fake
# server). Sourced by tests/cli.sh; names are metrics_*.

# ---- cbench list --format json ----

run_cbench list --format json
metrics_listed=$("$CBENCH" list | awk '$1 == "model" { print $2 }' | sort | tr '\n' ' ')
metrics_json_models=$(python3 -c '
import json, sys
doc = json.load(sys.stdin)
for m in doc["models"]:
    assert isinstance(m["summary"], str) and m["summary"]
    for k in ("sequential", "workers", "event_loop"):
        assert isinstance(m[k], bool), k
    assert all(isinstance(o, str) for o in m["options"])
for w in doc["workloads"]:
    assert isinstance(w["summary"], str) and all(isinstance(o, str) for o in w["options"])
print(" ".join(sorted(m["name"] for m in doc["models"])) + " ")
' <"$TMP/out" 2>"$TMP/py.err")
if [ "$status" -eq 0 ] && [ -n "$metrics_json_models" ] && [ "$metrics_json_models" = "$metrics_listed" ] &&
   [ "$(wc -l <"$TMP/out")" -eq 1 ]; then
    pass "list --format json: one JSON document with every model of cbench list and its traits"
else
    fail "list --format json" "exit $status; json: $metrics_json_models; list: $metrics_listed" "$(head -c 300 "$TMP/py.err")"
fi
if python3 -c 'import json,sys; d=json.load(sys.stdin); m={x["name"]:x for x in d["models"]}
assert m["serial"]["sequential"] and not m["serial"]["event_loop"]
assert m["async"]["event_loop"] and not m["async"]["workers"]
assert m["threads"]["workers"] and "gil" in m["threads"]["options"]
assert "hold-ms" in {w["name"]:w for w in d["workloads"]}["spawn"]["options"]' <"$TMP/out" 2>/dev/null; then
    pass "list --format json: traits and options as the models declare them"
else
    fail "list --format json: traits and options" "$(head -c 400 "$TMP/out")"
fi
expect_usage "list --format xml -> exit 2" 'not one of human, json' list --format xml

# ---- metrics, and the same checksum under every model ----

# metrics_keys WORKLOAD : the keys its metrics must have (any model)
metrics_keys() {
    case $1 in
        chess) echo "boards moves move_ms reply_ms theory_serial_s theory_async_s theory_ratio" ;;
        chain) echo "chains longest_chain_ms slowest_chain_ms gate_ms" ;;
        queue) echo "producers consumers items" ;;
        spawn) echo "us_per_worker kib_per_worker alive" ;;
        pingpong) echo "round_trip_us" ;;
        net) echo "connect_ms steady_s steady_req_per_s delay_ms requests" ;;
        mixed) echo "io_p99_late_us cpu_tasks" ;;
        *) echo "" ;;
    esac
}

# metrics_check_row NAME WORKLOAD KEYS : $TMP/out is one JSON row whose last
# key is metrics, holding at least KEYS (any order), every value a plain number
metrics_check_row() {
    local name=$1 workload=$2 want=$3 last got bad
    last=$(jq -r 'keys_unsorted | last' "$TMP/out" 2>/dev/null)
    got=$(jq -r '.metrics' "$TMP/out" 2>/dev/null)
    bad=$(tr ';' '\n' <<<"$got" | grep -v '^$' | grep -Evx '[a-z0-9_]+=-?[0-9]+(\.[0-9]+)?')
    local keys
    keys=$(tr ';' '\n' <<<"$got" | sed -n 's/=.*//p' | sort | tr '\n' ' ')
    local missing="" k
    for k in $want; do grep -qw -- "$k" <<<"$keys" || missing+=" $k"; done
    if [ "$last" != metrics ]; then
        fail "$name" "the last JSON key is \"$last\", not metrics"
    elif [ -n "$bad" ] || [ -n "$missing" ]; then
        fail "$name" "metrics \"$got\": missing:${missing:- none}, not numbers: ${bad:-none}"
    elif [ -z "$want" ] && [ -n "$got" ]; then
        fail "$name" "$workload has no figures, but metrics is \"$got\""
    else
        return 0
    fi
    return 1
}

declare -A metrics_opts=(
    [sleep]="-n 3 --ms 5" [cpu]="-n 3 --work 1" [net]="-n 4 --requests 3 --delay-ms 1"
    [spawn]="-n 6 --hold-ms 30" [pingpong]="-n 2 --count 100"
    [mixed]="-n 4 --cpu-tasks 1 --requests 5 --io-ms 1 --chunk-ms 1"
    [chess]="-n 4 --moves 3" [queue]="-n 4 --items 500" [chain]="-n 4 --steps 3"
)
metrics_models=$("$CBENCH" list | awk '$1 == "model" { print $2 }')
metrics_sequential=$("$CBENCH" list --format json | jq -r '.models[] | select(.sequential) | .name')
for metrics_w in $("$CBENCH" list | awk '$1 == "workload" { print $2 }'); do
    [ -n "${metrics_opts[$metrics_w]+x}" ] || { fail "metrics: $metrics_w has no small options in cli_metrics.sh"; continue; }
    metrics_sums="" metrics_ran=0 metrics_ok=1
    for metrics_m in $metrics_models; do
        # shellcheck disable=SC2086  # options split into words
        run_cbench run "$metrics_m" "$metrics_w" ${metrics_opts[$metrics_w]} -f json
        if [ "$status" -eq 2 ]; then   # refused (pingpong needs two tasks at once)
            continue
        fi
        metrics_want=$(metrics_keys "$metrics_w")
        if [ "$metrics_w" = queue ] && ! grep -qx "$metrics_m" <<<"$metrics_sequential"; then
            metrics_want+=" handoff_p50_us handoff_p99_us handoff_probes probe_ms items_per_s"
        fi
        if [ "$status" -ne 0 ] || [ "$(jq -r .errors "$TMP/out")" != 0 ]; then
            fail "metrics: $metrics_m $metrics_w" "exit $status" "$(head -c 300 "$TMP/err")" "$(head -c 300 "$TMP/out")"
            metrics_ok=0
            continue
        fi
        metrics_check_row "metrics: $metrics_m $metrics_w" "$metrics_w" "$metrics_want" || metrics_ok=0
        metrics_sums+="$metrics_m $(jq -r .checksum "$TMP/out")"$'\n'
        metrics_ran=$((metrics_ran + 1))
    done
    [ "$metrics_ok" -eq 1 ] && pass "metrics: $metrics_w: last JSON key, keys [$(metrics_keys "$metrics_w")] as numbers, no errors, under $metrics_ran models"
    if [ "$metrics_ran" -ge 4 ] && [ "$(awk '{ print $2 }' <<<"$metrics_sums" | sort -u | grep -c .)" -eq 1 ]; then
        pass "checksum: $metrics_w: the same under all $metrics_ran models that run it"
    else
        fail "checksum: $metrics_w: differs between models (or fewer than 4 ran)" "$metrics_sums"
    fi
done

# CSV: metrics is the last column, after mem_kib and the tail percentiles
# (keys added later come before metrics); a row has as many columns as the
# header.
run_cbench run threads chain -n 3 --steps 2 -f csv
metrics_header=$(head -1 "$TMP/out")
metrics_row=$(sed -n 2p "$TMP/out")
if [ "$status" -eq 0 ] && [ "${metrics_header##*,}" = metrics ] && [[ $metrics_header == *,mem_kib,lat_p999_us,lat_p9999_us,metrics ]] &&
   [ "$(tr -cd , <<<"$metrics_header" | wc -c)" -eq "$(tr -cd , <<<"$metrics_row" | wc -c)" ] &&
   [[ ${metrics_row##*,} == chains=3\;longest_chain_ms=* ]]; then
    pass "csv: mem_kib, lat_p999_us, lat_p9999_us, then metrics are the last columns"
else
    fail "csv: metrics last column" "$metrics_header" "$metrics_row"
fi
run_cbench run threads chain -n 3 --steps 2
if grep -Eq '^  metrics     chains=3, longest_chain_ms=[0-9.]+, slowest_chain_ms=' "$TMP/out"; then
    pass "human: a metrics line"
else
    fail "human: a metrics line" "$(cat "$TMP/out")"
fi

# ---- checksums prove the work: workloads never share one ----

metrics_a=$(json_field checksum run serial sleep -n 3 --ms 1)
metrics_b=$(json_field checksum run serial spawn -n 3 --hold-ms 1)
metrics_c=$(json_field checksum run serial sleep -n 3 --ms 2)
if [ -n "$metrics_a" ] && [ "$metrics_a" != "$metrics_b" ] && [ "$metrics_a" != "$metrics_c" ]; then
    pass "checksum: sleep -n 3 --ms 1, spawn -n 3 --hold-ms 1 and sleep --ms 2 all differ"
else
    fail "checksum: sleep vs spawn" "sleep $metrics_a, spawn $metrics_b, sleep --ms 2 $metrics_c"
fi

# Many short timers under an event loop: none may end early (libev's cached
# time must not make a correct run report errors).
for metrics_m in async hybrid; do
    run_cbench run "$metrics_m" sleep -n 3000 --ms 1 -f json
    if [ "$status" -eq 0 ] && [ "$(jq -r .errors "$TMP/out")" = 0 ]; then
        pass "sleep: 3000 x 1 ms under $metrics_m: no wait ends early"
    else
        fail "sleep: 3000 x 1 ms under $metrics_m" "exit $status" "$(head -c 300 "$TMP/out")"
    fi
done
run_cbench run async mixed -n 40 --cpu-tasks 2 --requests 20 --io-ms 1 --chunk-ms 3 -f json
if [ "$status" -eq 0 ] && [ "$(jq -r .errors "$TMP/out")" = 0 ]; then
    pass "mixed: I/O waits beside CPU chunks under async: none early"
else
    fail "mixed under async: early waits" "exit $status" "$(head -c 300 "$TMP/out")"
fi

# ---- a server that answers a delayed request at once ----

python3 tests/fixtures/fast_http_server.py >"$TMP/fast.port" 2>"$TMP/fast.err" &
metrics_fast=$!
for _ in $(seq 50); do [ -s "$TMP/fast.port" ] && break; sleep 0.1; done
metrics_port=$(head -1 "$TMP/fast.port")
for metrics_m in threads async; do
    run_cbench run "$metrics_m" net -n 3 --requests 2 --delay-ms 50 --connect "127.0.0.1:$metrics_port" -f json
    metrics_errors=$(jq -r .errors "$TMP/out" 2>/dev/null)
    if [ "$status" -eq 1 ] && [ "${metrics_errors:-0}" -ge 1 ] && grep -q 'sooner than --delay-ms' "$TMP/err"; then
        pass "net: a response sooner than --delay-ms 50 is an error under $metrics_m ($metrics_errors errors, exit 1)"
    else
        fail "net: early response under $metrics_m" "exit $status, errors $metrics_errors" "$(head -c 300 "$TMP/err")"
    fi
done
# ... while the same server with no delay asked for is fine
run_cbench run async net -n 3 --requests 2 --delay-ms 0 --connect "127.0.0.1:$metrics_port" -f json
if [ "$status" -eq 0 ] && [ "$(jq -r .errors "$TMP/out")" = 0 ]; then
    pass "net: the fake server is a correct server when no delay is asked"
else
    fail "net: fake server, no delay" "exit $status" "$(head -c 300 "$TMP/err")"
fi
kill "$metrics_fast" 2>/dev/null
wait "$metrics_fast" 2>/dev/null
