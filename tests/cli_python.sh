# shellcheck shell=bash
# cli_python.sh - the Python row in the harness: `make bench` plans the
# Python series (from `cbench list`'s python entry and the entry's own
# list) beside the C models, and PYTHON=0 leaves them out. DRY_RUN: the
# real cbench and Python entry are probed, nothing is measured or kept.
# Sourced by tests/cli.sh: uses $TMP, $CBENCH, pass and fail; names are
# prefixed py_. Asserts nothing about timing.

py_plan() {  # py_plan OUT [VAR=VALUE...] : a quick dry run of sleep, cpu and spawn
    local out=$1
    shift
    # the interpreter this suite asks, so both see the same models
    env QUICK=1 DRY_RUN=1 EXPERIMENTS="sleep cpu spawn" CBENCH="$CBENCH" RESULTS_ROOT="$TMP/bench-py" \
        PYTHON_BIN="$(command -v python3)" "$@" scripts/bench.sh >"$out" 2>&1
    py_status=$?
}
py_models=$(python3 bench/py_cbench.py list --format json |
    jq -r '.models[] | select(.available) | .name' | tr '\n' ' ')

py_plan "$TMP/py-plan.out"
py_missing=""
for m in $py_models; do
    grep -Eq "^ *[0-9.]+s +cpu +$m n=[0-9]+ work=1 +@py $m cpu -n [0-9]+ --work 1\$" "$TMP/py-plan.out" ||
        py_missing+=" cpu:$m"
done
grep -Eq '@py py-serial sleep -n 3 --ms 1000$' "$TMP/py-plan.out" || py_missing+=" sleep:py-serial"
grep -Eq '@py py-threads spawn -n 100$' "$TMP/py-plan.out" || py_missing+=" spawn:py-threads"
if [ "$py_status" -eq 0 ] && [ -z "$py_missing" ] && [ -n "$py_models" ]; then
    pass "bench.sh: plans the Python series ($py_models) beside the C models"
else fail "bench.sh: plans the Python series" "exit $py_status, missing:$py_missing" "$(tail -n 5 "$TMP/py-plan.out")"; fi
# A model the entry lists as not available is said, and never planned:
# uvloop hidden (a stand-in package that fails to import) whether or not
# python3-uvloop is installed here; installed, the plan above has it.
mkdir -p "$TMP/no-uvloop/uvloop"
echo 'raise ImportError("hidden by tests/cli_python.sh")' >"$TMP/no-uvloop/uvloop/__init__.py"
py_plan "$TMP/py-plan-nouv.out" PYTHONPATH="$TMP/no-uvloop"
py_absent=$(PYTHONPATH="$TMP/no-uvloop" python3 bench/py_cbench.py list --format json |
    jq -r '.models[] | select(.available | not) | .name')
[ -n "$py_absent" ] || fail "bench.sh: a model not available" "hiding uvloop left every model available"
for m in $py_absent; do
    if [ "$py_status" -eq 0 ] && grep -q "^note: $m is not available here" "$TMP/py-plan-nouv.out" &&
        ! grep -q "@py $m " "$TMP/py-plan-nouv.out"; then
        pass "bench.sh: $m not available: said once, not run"
    else fail "bench.sh: $m not available: said once, not run" "$(grep -c "$m" "$TMP/py-plan-nouv.out") lines name it"; fi
done
# The C groups keep their C series: no Python series in a C model's config.
if ! grep -Eq '^ *[0-9.]+s +[a-z-]+ +py-[a-z]+ .* @py' "$TMP/py-plan.out" ||
    ! grep -Eq '^ *[0-9.]+s +cpu +(serial|fork|threads|async)[a-z-]* n=[0-9]+ +(serial|fork|threads|async)' "$TMP/py-plan.out"; then
    fail "bench.sh: Python and C configurations apart" "$(grep -m 3 'cpu' "$TMP/py-plan.out")"
else pass "bench.sh: C configurations unchanged beside the Python ones"; fi

py_plan "$TMP/py-plan0.out" PYTHON=0
if [ "$py_status" -eq 0 ] && ! grep -q '@py' "$TMP/py-plan0.out" && grep -q '^note: PYTHON=0' "$TMP/py-plan0.out"; then
    pass "bench.sh: PYTHON=0 leaves the Python series out, and says so"
else fail "bench.sh: PYTHON=0 leaves the Python series out" "exit $py_status; $(grep -c '@py' "$TMP/py-plan0.out") @py lines"; fi
# The Python series' time comes out of the default BUDGET, never into
# QUICK's, which has none.
if grep -q 'then up to 0:00 of extra rounds' "$TMP/py-plan.out"; then
    pass "bench.sh: QUICK with the Python series still spends no budget on extra rounds"
else fail "bench.sh: QUICK with the Python series still spends no budget" "$(grep 'extra rounds' "$TMP/py-plan.out")"; fi
