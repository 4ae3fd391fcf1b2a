# shellcheck shell=bash disable=SC2154,SC2034  # add, fcalc, note, tmp...: set by bench.sh, which sources this file
# bench_python.sh - the Python row (issue 24): CPython's own models run
# beside the C models in the sleep, cpu, net-slow, net-fast and spawn
# families, under the same rounds. `cbench list --format json` names the
# Python entry ("python": {"entry": ...}); its own `list --format json`
# names its models and their traits, saved as list-py.json. No model is
# named here: the baseline is the sequential one, the rest concurrent.
# PYTHON=0 leaves the row out; PYTHON_BIN is the interpreter: by default
# the system's CPython (/usr/bin/python3, whose packages Debian's
# python3-uvloop joins; it starts without a version manager's shim), else
# python3 on PATH.
#
# A Python series joins the C models' group wherever it can do the same
# work in a reasonable time (same options, so the same checksum): sleep
# n=3 (G4), net-slow at 1,000 connections (G3), net-fast at 1 connection
# (G2), spawn at 100 workers (G5: a forked interpreter costs milliseconds).
# cpu is the exception: pure Python runs the kernel ~100-150x slower, so the
# Python series run PY_WORK million iterations per task (the least --work,
# 1) in groups of their own ("n=N work=1"): equal work among them, and with
# C at the same --work (tests/test_python_models.py). They never join the
# classic question (docs/claims.toml: `classic`); the report compares them
# in "Python beside C" ([python] in docs/claims.toml).

PYTHON=${PYTHON:-1}
if [ -z "${PYTHON_BIN:-}" ]; then
    PYTHON_BIN=python3
    [ -x /usr/bin/python3 ] && PYTHON_BIN=/usr/bin/python3
fi
PY_ENTRY="" PY_MODELS="" PY_BASELINE="" PY_CONCURRENT="" PY_VERSION=""
PY_WORK=1
PY_PLANNED_S=0         # predicted seconds of one round of the Python series
declare -A PY_WORKER_S=()
if [ "$QUICK" = 1 ]; then
    PY_CPU_N="$((2 * cores))" PY_SLEEP_N="3" PY_SLOW_C="1000" PY_FAST_C="1" PY_SPAWN_N="100"
else
    PY_CPU_N=$(printf '%s\n' "$cores" $((2 * cores)) | sort -nu | tr '\n' ' ')
    PY_SLEEP_N="3" PY_SLOW_C="1000" PY_FAST_C="1" PY_SPAWN_N="100"
fi

# py_models_where EXPR : as models_where, over the Python entry's list
py_models_where() {
    python3 - "$tmp/list-py.json" "$1" <<'PYEOF'
import json, sys
for m in json.load(open(sys.argv[1]))["models"]:
    if m.get("available", True) and eval(sys.argv[2], {}, {"m": m}):
        print(m["name"])
PYEOF
}

# py_discover : the entry, its interpreter and models (after list.json)
py_discover() {
    [ "$PYTHON" = 1 ] || { note "PYTHON=0: the Python series are left out"; return 0; }
    PY_ENTRY=$(jq -r '.python.entry // empty' "$tmp/list.json")
    if [ -z "$PY_ENTRY" ]; then note "cbench list names no Python entry: the Python series are left out"; return 0; fi
    if ! command -v "$PYTHON_BIN" >/dev/null ||
        ! "$PYTHON_BIN" "$PY_ENTRY" list --format json >"$tmp/list-py.json" 2>"$tmp/probe.err"; then
        note "$PYTHON_BIN $PY_ENTRY list failed ($(head -c 200 "$tmp/probe.err" | tr '\n' ' ')): the Python series are left out"
        PY_ENTRY=""
        rm -f "$tmp/list-py.json"
        return 0
    fi
    PY_VERSION="$(jq -r '"\(.implementation) \(.version) (\(.interpreter))"' "$tmp/list-py.json")"
    jq -r '.models[] | select(.available == false) | "\(.name) is not available here (\(.unavailable)): it is skipped"' \
        "$tmp/list-py.json" | while IFS= read -r line; do note "$line"; done
    PY_MODELS=$(py_models_where 'True' | tr '\n' ' ')
    PY_BASELINE=$(py_models_where 'm["sequential"]' | sed -n 1p)
    PY_CONCURRENT=$(py_models_where 'not m["sequential"]' | tr '\n' ' ')
}

# py_probe ARGS... : one Python run (csv in $tmp/probe.out); prints its wall_s, or nothing
py_probe() {
    printf 'probe: %s %s run %s\n' "$PYTHON_BIN" "$PY_ENTRY" "$*" >>"$tmp/commands"
    bg_run "$tmp/probe.out" "$tmp/probe.err" 120 "$PYTHON_BIN" "$PY_ENTRY" run "$@" --format csv
    [ "$status" -eq 0 ] && csv_field "$tmp/probe.out" wall_s
    return 0
}

# py_measure : a task's time at PY_WORK, each model's cost per worker, and
# an interpreter's start: what the plan's estimates use
py_measure() {
    [ -n "$PY_ENTRY" ] || return 0
    local m w t0
    PY_TASK_S=$(py_probe "$PY_BASELINE" cpu -n 1 --work "$PY_WORK")
    [ -n "$PY_TASK_S" ] || PY_TASK_S=0.5
    t0=$(date +%s%N)
    py_probe "$PY_BASELINE" sleep -n 1 --ms 0 >/dev/null
    PY_START_S=$(fcalc '(b - a) / 1e9' a="$t0" b="$(date +%s%N)")
    for m in $PY_CONCURRENT; do
        w=$(py_probe "$m" spawn -n 20)
        PY_WORKER_S[$m]=$(fcalc 'w / 20' w="${w:-2}")
    done
    PY_WORKER_S[$PY_BASELINE]=0
}

# add_py EXP CONFIG EST_S ARGS... : plan one Python configuration (run_one
# sees "@py" and runs the Python entry); its predicted time is counted
add_py() {
    local exp=$1 config=$2 est
    est=$(fcalc 'e + s' e="$3" s="$PY_START_S")
    shift 3
    add "$exp" "$config" "$est" "@py" "$@"
    PY_PLANNED_S=$(fcalc 'a + e + 0.05' a="$PY_PLANNED_S" e="$est")
}

# py_fits MODEL N : N workers of MODEL start within CAP_S
py_fits() { awk -v n="$2" -v s="${PY_WORKER_S[$1]}" -v c="$CAP_S" 'BEGIN { exit !(n * s <= c) }'; }
# Pure Python's sleep and cpu runs are long by nature (the baseline's three
# 1 s waits, a kernel ~100x slower): they may take up to PY_CAP_S
PY_CAP_S=$(fcalc 'c < 8 ? 8 : c * 2' c="$CAP_S")

plan_python() {
    [ -n "$PY_ENTRY" ] || return 0
    local m n c q est
    if want sleep; then
        for n in $PY_SLEEP_N; do
            for m in $PY_MODELS; do
                py_fits "$m" "$n" || continue
                est=$(fcalc 'ms / 1000 * (b ? n : 1) + n * s' ms="$SLEEP_MS" n="$n" s="${PY_WORKER_S[$m]}" \
                    b="$([ "$m" = "$PY_BASELINE" ] && echo 1 || echo 0)")
                ADD_CAP=$PY_CAP_S add_py sleep "$m n=$n" "$est" "$m" sleep -n "$n" --ms "$SLEEP_MS"
            done
        done
    fi
    if want cpu; then
        for n in $PY_CPU_N; do
            for m in $PY_MODELS; do
                # only processes run Python code in parallel (one GIL each)
                if py_parallel "$m"; then est=$(fcalc 'int((n + c - 1) / c) * t' n="$n" c="$cores" t="$PY_TASK_S")
                else est=$(fcalc 'n * t' n="$n" t="$PY_TASK_S"); fi
                ADD_CAP=$PY_CAP_S add_py cpu "$m n=$n work=$PY_WORK" "$est" "$m" cpu -n "$n" --work "$PY_WORK"
            done
        done
    fi
    if [ "$has_net" = 1 ]; then
        want net-slow || PY_SLOW_C=""
        want net-fast || PY_FAST_C=""
        for c in $PY_SLOW_C; do
            q=$(requests "$c" "$NET_DELAY_SLOW")
            [ "$q" -ge "$SLOW_REQUESTS" ] || q=$SLOW_REQUESTS
            for m in $PY_CONCURRENT; do ADD_CAP=$(fcalc "c * 3" c="$CAP_S") py_add_net net-slow "$m" "$c" "$NET_DELAY_SLOW" "$q"; done
        done
        for c in $PY_FAST_C; do
            for m in $PY_MODELS; do py_add_net net-fast "$m" "$c" 0 "$(requests "$c" 0)"; done
        done
    fi
    if want spawn; then
        for n in $PY_SPAWN_N; do
            for m in $PY_CONCURRENT; do
                # room for forked interpreters, milliseconds each
                ADD_CAP=$PY_CAP_S add_py spawn "$m n=$n" "$(fcalc 'n * s' n="$n" s="${PY_WORKER_S[$m]}")" "$m" spawn -n "$n"
            done
        done
    fi
    echo "bench.sh: the Python series ($PY_VERSION): about $(fcalc 'int(s + 0.5)' s="$PY_PLANNED_S") s per round (PYTHON=0 leaves them out)"
}

# py_parallel MODEL : a model whose workers are processes, each with its
# own GIL (the list's trait "processes"): CPU work runs in parallel
py_parallel() { [ "$(jq -r --arg m "$1" '.models[] | select(.name == $m) | .processes // false' "$tmp/list-py.json")" = true ]; }

# py_add_net EXP MODEL C DELAY_MS REQUESTS : as add_net, the same options
# (the same checksum) as the C models of the group; Python's client is
# slower, so the estimate takes three times C's rate's time
py_add_net() {
    local exp=$1 m=$2 c=$3 d=$4 q=$5 conc=$3 est
    [ "$m" = "$PY_BASELINE" ] && conc=1
    py_fits "$m" "$c" || return 0
    est=$(awk -v c="$c" -v k="$conc" -v d="$d" -v q="$q" -v l=1 -v r="$net_rate" -v rtt="$net_rtt_s" -v s="${PY_WORKER_S[$m]}" \
        "$NET_RATE_AWK"' BEGIN { print 3 * c * q / rate(k, d, l) + c * s }')
    add_py "$exp" "$m n=$c delay=${d}ms" "$est" "$m" net -n "$c" --delay-ms "$d" --requests "$q"
}

py_meta() {
    if [ -n "$PY_ENTRY" ]; then
        echo "python: $PY_VERSION; entry $PY_ENTRY; models: $PY_MODELS"
        echo "python plan: cpu --work $PY_WORK per task (C: ${cpu_args:-default}); one round of the Python series ≈ $(fcalc 'int(s + 0.5)' s="$PY_PLANNED_S") s"
    else
        echo "python: not run"
    fi
}
