# shellcheck shell=bash
# cli_bench.sh - the benchmark harness end to end, against a stand-in for
# cbench (tests/fixtures/fake-cbench, which answers at once with plausible
# figures) and for wrk: scripts/bench.sh runs the rounds and writes a results
# folder; scripts/analyze.py turns it into REPORT.md, regenerates it byte for
# byte and compares two folders. Also the bench's guards (lock, stale
# folders, bad settings, interruption) and lint of every script.
# Sourced by tests/cli.sh: uses $TMP, pass and fail; names are prefixed bn_.
# Asserts nothing about timing.

bn_fake=tests/fixtures/fake-cbench
bn_wrk=tests/fixtures/fake-wrk
# bn_bench ROOT OUT [VAR=VALUE...] : scripts/bench.sh (QUICK) with the fakes,
# results under ROOT, output in OUT; sets bn_status
bn_bench() {
    local root=$1 out=$2
    shift 2
    env QUICK=1 CBENCH=$bn_fake WRK=$bn_wrk RESULTS_ROOT="$root" "$@" scripts/bench.sh >"$out" 2>&1
    bn_status=$?
}
bn_newest() { find "$1" -mindepth 1 -maxdepth 1 -type d -name '2*' | sort -V | tail -n 1; }

# --- a run: rounds, schema, meta, the report ---------------------------------------
bn_root="$TMP/bench"
bn_bench "$bn_root" "$TMP/bench.out" FAKE_FORK_MAX=1 EXPERIMENTS="sleep cpu net-fast net-wrk" SEED=7
if [ "$bn_status" -eq 0 ]; then pass "bench.sh: completes, with failing runs among them"
else fail "bench.sh: completes, with failing runs among them" "exit $bn_status" "$(tail -n 5 "$TMP/bench.out")"; fi
bn_out=$(bn_newest "$bn_root")
[ -n "$bn_out" ] || bn_out=/nonexistent
case ${bn_out##*/} in "$(date +%F)-$(hostname -s)") pass "bench.sh: folder <date>-<host>" ;;
    *) fail "bench.sh: folder <date>-<host>" "got ${bn_out##*/}" ;; esac
bn_header=$(head -n 1 "$bn_out/runs.csv" 2>/dev/null)
case $bn_header in
    experiment,round,model,*,metrics,config,exit,process_s,steal_pct,idle_pct,server_cpu_s,placement)
        pass "bench.sh: runs.csv columns" ;;
    *) fail "bench.sh: runs.csv columns" "got: $bn_header" ;;
esac
# Every configuration ran once in each of the 3 rounds.
bn_counts=$(python3 -c 'import csv,sys,collections
c = collections.Counter((r["experiment"], r["config"]) for r in csv.DictReader(open(sys.argv[1])))
print(" ".join(sorted({str(v) for v in c.values()})))' "$bn_out/runs.csv" 2>&1)
if [ "$bn_counts" = 3 ]; then pass "bench.sh: every configuration once per round (3 rounds)"
else fail "bench.sh: every configuration once per round (3 rounds)" "counts: $bn_counts"; fi
if python3 -c 'import csv,sys
rows = [r for r in csv.DictReader(open(sys.argv[1]))
        if r["model"] == "fork" and r["experiment"] == "cpu" and r["tasks"] != "1"]
sys.exit(not rows or any(r["exit"] != "1" or r["errors"] in ("", "0") for r in rows))' "$bn_out/runs.csv"; then
    pass "bench.sh: failed runs recorded with exit 1 and their errors"
else fail "bench.sh: failed runs recorded with exit 1 and their errors"; fi
for bn_key in date host kernel cpu cores memory cbench git rounds seed experiments placement "load at start" \
    "other cbench processes at start" "calibration before" "calibration after" "worker cost" commands; do
    if grep -q "^$bn_key:" "$bn_out/meta.txt" 2>/dev/null; then pass "bench.sh: meta.txt has $bn_key"
    else fail "bench.sh: meta.txt has $bn_key"; fi
done
if grep -q '^seed: 7$' "$bn_out/meta.txt" 2>/dev/null; then pass "bench.sh: the seed is recorded"
else fail "bench.sh: the seed is recorded" "$(grep '^seed' "$bn_out/meta.txt" 2>&1)"; fi
if python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); sys.exit(not d["models"])' "$bn_out/list.json" 2>/dev/null; then
    pass "bench.sh: list.json is cbench's model list"
else fail "bench.sh: list.json is cbench's model list"; fi
# Net runs: client and server on their own CPUs (2 cores or more), the
# server stopped at the end.
if [ "$(nproc)" -ge 2 ]; then
    if grep -q '^placement: client=0-0 server=1-' "$bn_out/meta.txt" &&
            grep -q "^  round 1: taskset -c 0-0 .*fake-cbench run .* net .*--connect 127.0.0.1:9" "$bn_out/meta.txt"; then
        pass "bench.sh: net clients pinned apart from the server"
    else fail "bench.sh: net clients pinned apart from the server" "$(grep -m2 'placement\|net ' "$bn_out/meta.txt")"; fi
fi
if [ -z "$(pgrep -f 'fake-cbench serve' 2>/dev/null)" ]; then pass "bench.sh: the server is stopped"
else fail "bench.sh: the server is stopped" "$(pgrep -af 'fake-cbench serve')"; fi
if grep -q '^net-wrk,[0-9]*,wrk,' "$bn_out/runs.csv" && grep -q '^net-wrk,[0-9]*,async,' "$bn_out/runs.csv"; then
    pass "bench.sh: wrk and cbench take turns in net-wrk"
else fail "bench.sh: wrk and cbench take turns in net-wrk"; fi
# The A/A control: in every group of a which-model-when family, async~2
# beside async, with the same command (the k-th "round" command ran the
# k-th row), and decisions.csv beside REPORT.md.
if python3 - "$bn_out" <<'EOF'
import csv, sys
folder = sys.argv[1]
rows = list(csv.DictReader(open(f"{folder}/runs.csv")))
lines = [l.strip().split(": ", 1)[1] for l in open(f"{folder}/meta.txt") if l.startswith("  round ")]
families = {"sleep", "cpu", "net-fast"}
groups = {(r["experiment"], r["config"].split(" ", 1)[1]) for r in rows if r["experiment"] in families}
cmd = {}
for r, line in zip(rows, lines):
    cmd.setdefault((r["experiment"], r["config"]), line)
if not groups or len(rows) != len(lines):
    sys.exit("no family groups, or rows and commands differ")
for exp, knobs in groups:
    a, c = cmd.get((exp, f"async {knobs}")), cmd.get((exp, f"async~2 {knobs}"))
    if a is None or c is None or a != c:
        sys.exit(f"{exp} {knobs}: async {a!r} control {c!r}")
EOF
then pass "bench.sh: the A/A control async~2 beside async in every family group, the same command"
else fail "bench.sh: the A/A control async~2 beside async in every family group, the same command"; fi
if head -n 1 "$bn_out/decisions.csv" 2>/dev/null | grep -qx 'regime,question,outcome,best,runner_up,ratio,low,high,confidence,n,rounds_needed' &&
        grep -q ',control,' "$bn_out/decisions.csv"; then
    pass "report: decisions.csv with its header and the control rows"
else fail "report: decisions.csv with its header and the control rows" "$(head -n 3 "$bn_out/decisions.csv" 2>&1)"; fi
if grep -q '^budget_s: 0$' "$bn_out/meta.txt" && grep -q '^extra rounds: 0 ' "$bn_out/meta.txt"; then
    pass "bench.sh: QUICK spends no budget on extra rounds"
else fail "bench.sh: QUICK spends no budget on extra rounds" "$(grep -E '^(budget_s|extra rounds)' "$bn_out/meta.txt")"; fi
if grep -q '^| G1 — CPU-bound → processes | ' "$bn_out/REPORT.md" 2>/dev/null &&
        grep -q '^| H2 — ' "$bn_out/REPORT.md"; then pass "bench.sh: REPORT.md with the claims"
else fail "bench.sh: REPORT.md with the claims" "$(head -n 20 "$bn_out/REPORT.md" 2>&1)"; fi
if grep -q '^## Equal work and failed runs' "$bn_out/REPORT.md" && grep -q '| cpu fork n=' "$bn_out/REPORT.md"; then
    pass "report: failed configurations listed"
else fail "report: failed configurations listed"; fi
if grep -q '^Capacity at SLO: not measured' "$bn_out/REPORT.md"; then
    pass "report: latency under load not measured when net-rate did not run"
else fail "report: latency under load not measured when net-rate did not run" "$(grep -A2 'Latency under load' "$bn_out/REPORT.md")"; fi
if grep -Eiq -- '(^|[^a-z])-?(nan|inf)([^a-z]|$)' "$bn_out/REPORT.md"; then
    fail "report: no NaN or inf" "$(grep -Ein -- '(^|[^a-z])-?(nan|inf)([^a-z]|$)' "$bn_out/REPORT.md" | head -n 3)"
else pass "report: no NaN or inf"; fi

# The same seed gives the same order of runs.
bn_bench "$bn_root" "$TMP/bench-seed.out" FAKE_FORK_MAX=1 EXPERIMENTS="sleep cpu net-fast net-wrk" SEED=7
bn_out2=$(bn_newest "$bn_root")
# bn_order DIR : the runs in the order they ran (sizes probed at start left out)
bn_order() {
    sed -n 's/^  round \([0-9]*\): .*fake-cbench run \(.*\) --format csv$/\1 \2/p' "$1/meta.txt" |
        sed -E 's/--(connect|work|requests) [^ ]*//g'
}
if [ "$bn_out2" = "$bn_out-2" ] && [ -n "$(bn_order "$bn_out")" ] && [ "$(bn_order "$bn_out")" = "$(bn_order "$bn_out2")" ]; then
    pass "bench.sh: the same seed, the same order of runs (second folder <date>-<host>-2)"
else fail "bench.sh: the same seed, the same order of runs" "folders: $bn_out $bn_out2"; fi
# The next folder is one past the highest number there, so the newest run is
# always the last in version order (make plot's default), even after -9.
mv "$bn_out2" "$bn_out-9" && bn_out2="$bn_out-9"
bn_bench "$bn_root" "$TMP/bench-seed2.out" FAKE_FORK_MAX=1 EXPERIMENTS="sleep cpu net-fast net-wrk" SEED=8
if [ "$(bn_newest "$bn_root")" = "$bn_out-10" ]; then
    pass "bench.sh: the next folder after -9 is -10, the last in version order"
else fail "bench.sh: the next folder after -9 is -10" "$(ls "$bn_root")"; fi
if [ "$(bn_order "$bn_out")" != "$(bn_order "$(bn_newest "$bn_root")")" ]; then
    pass "bench.sh: another seed, another order"
else fail "bench.sh: another seed, another order"; fi
if [ -z "$(find "$bn_root" -maxdepth 1 -name '.tmp-*')" ]; then pass "bench.sh: no temporary folder left"
else fail "bench.sh: no temporary folder left"; fi

# --- make plot: REPORT.md regenerated byte for byte from the raw data ---------------
bn_copy="$TMP/bench-copy"
rm -rf "$bn_copy" && cp -r "$bn_out" "$bn_copy" && rm -f "$bn_copy/REPORT.md"
if python3 scripts/analyze.py report "$bn_copy" >"$TMP/analyze.out" 2>&1 && cmp -s "$bn_out/REPORT.md" "$bn_copy/REPORT.md"; then
    pass "analyze.py report: REPORT.md regenerated byte for byte"
else fail "analyze.py report: REPORT.md regenerated byte for byte" "$(tail -n 3 "$TMP/analyze.out")" \
    "$(diff "$bn_out/REPORT.md" "$bn_copy/REPORT.md" | head -n 5)"; fi
bn_svgs=$(find "$bn_out" -name '*.svg' | wc -l)
if [ "$bn_svgs" -gt 0 ] && for f in "$bn_out"/*.svg; do cmp -s "$f" "$bn_copy/${f##*/}" || exit 1; done; then
    pass "analyze.py report: identical charts ($bn_svgs SVGs)"
else fail "analyze.py report: identical charts" "$bn_svgs SVGs in the bench folder"; fi

# --- net-rate: latency under load (open loop) ---------------------------------------
# hybrid refuses --rate (as the C side may for a model): dropped, not fatal.
bn_root="$TMP/bench-rate"
bn_bench "$bn_root" "$TMP/bench-rate.out" EXPERIMENTS=net-rate SEED=5 FAKE_RATE_REFUSE=hybrid
bn_out=$(bn_newest "$bn_root")
[ -n "$bn_out" ] || bn_out=/nonexistent
if [ "$bn_status" -eq 0 ] && grep -q 'dropped from later rounds: net-rate hybrid n=1000 delay=1ms load=10%' "$bn_out/bench.log"; then
    pass "bench.sh net-rate: a model that refuses --rate is dropped, the bench completes"
else fail "bench.sh net-rate: a model that refuses --rate is dropped" "exit $bn_status" "$(tail -n 3 "$TMP/bench-rate.out")"; fi
# Planned per model, from the probe: every step of a model is the same
# share of one rate, the one meta.txt records for it from its closed-loop
# probe (the fake's: async 22,000 req/s, threads 38,000); the baseline,
# which serves one connection after another, is offered no rate.
bn_plan=$(python3 - "$bn_out" 2>&1 <<'PY'
import csv, re, sys
folder = sys.argv[1]
rows = [r for r in csv.DictReader(open(folder + "/runs.csv")) if r["experiment"] == "net-rate"]
line = re.search(r"^net-rate closed-loop req/s.*$", open(folder + "/meta.txt").read(), re.M).group(0)
probed = {m: float(v) for m, v in re.findall(r"(\w+) n=1000 (\d+)", line)}
shares, steps = {}, {}
for r in rows:
    series, knobs = r["config"].split()[0], dict(w.split("=") for w in r["config"].split()[1:])
    assert (knobs["n"], knobs["delay"]) == ("1000", "1ms"), r["config"]
    steps.setdefault(series, set()).add(knobs["load"])
    if r["exit"] == "0":
        offered = float(dict(kv.split("=") for kv in r["metrics"].split(";"))["offered_req_per_s"])
        shares.setdefault(series, set()).add(round(offered * 100 / float(knobs["load"].rstrip("%")), -1))
        assert r["lat_p999_us"] and r["lat_p9999_us"], "no p99.9 or p99.99"
assert "serial" not in steps, "the baseline was offered a rate"
# QUICK's steps, as scripts/bench_plan.sh defines them (defined once there)
quick = re.search(r'RATE_STEPS="([\d ]+)"', open("scripts/bench_plan.sh").read()).group(1)
for s in ("threads", "async"):
    assert steps[s] == {f"{x}%" for x in quick.split()}, (s, steps[s], quick)
    assert shares[s] == {round(probed[s], -1)}, (s, shares[s], probed[s])
assert abs(probed["async"] - 22000) < 100 and abs(probed["threads"] - 38000) < 100, probed
print("ok")
PY
)
if [ "$bn_plan" = ok ]; then pass "bench.sh net-rate: each model's steps are shares of its own probed rate"
else fail "bench.sh net-rate: each model's steps are shares of its own probed rate" "$bn_plan"; fi
if grep -q '^## Latency under load' "$bn_out/REPORT.md" &&
        grep -q '^| threads | n=1000 delay=1ms | 38,000 req/s | [0-9,]* req/s (' "$bn_out/REPORT.md" &&
        grep -q '^| hybrid | n=1000 delay=1ms | – | failed' "$bn_out/REPORT.md" &&
        grep -q '^| net-rate n=1000 delay=1ms capacity at p99 ≤ 10 ms | ' "$bn_out/REPORT.md" &&
        grep -q '^| net-rate n=1000 delay=1ms capacity at p99 ≤ 100 ms | ' "$bn_out/REPORT.md"; then
    pass "report: the capacity-at-SLO table and its which-model-when rows"
else fail "report: the capacity-at-SLO table and its which-model-when rows" "$(grep -A 12 'Capacity at SLO' "$bn_out/REPORT.md" | tail -n 4)"; fi
# The fake's threads queue at 1,000 connections: within 10 ms they hold
# less than the one event loop. bn_cap MODEL : its capacity at 10 ms (req/s)
bn_cap() { grep "^| $1 | n=1000" "$bn_out/REPORT.md" | awk -F' [|] ' '{ print $4 }' | sed 's/ req.*//; s/,//g'; }
bn_threads=$(bn_cap threads) bn_async=$(bn_cap async)
if [[ $bn_threads =~ ^[0-9]+$ && $bn_async =~ ^[0-9]+$ ]] && [ "$bn_threads" -lt "$bn_async" ]; then
    pass "report: capacity at 10 ms follows the latencies (threads $bn_threads < async $bn_async req/s)"
else fail "report: capacity at 10 ms follows the latencies" "threads '$bn_threads', async '$bn_async'"; fi
if ! grep -q 'checksums differ' "$bn_out/REPORT.md"; then pass "report: open-loop work agrees per configuration"
else fail "report: open-loop work agrees per configuration" "$(grep 'checksums differ' "$bn_out/REPORT.md" | head -n 2)"; fi
if [ -s "$bn_out/net-rate-n1000.svg" ] && [ -s "$bn_out/net-rate-omission.svg" ] && [ -s "$bn_out/net-rate-n1000.png" ] &&
        grep -q '^!\[latency under load, 1,000 connections' "$bn_out/REPORT.md"; then
    pass "report: the latency-under-load charts are drawn and shown"
else fail "report: the latency-under-load charts are drawn and shown" "$(ls "$bn_out")"; fi
rm -rf "$TMP/bench-rate-copy" && cp -r "$bn_out" "$TMP/bench-rate-copy" && rm -f "$TMP/bench-rate-copy/REPORT.md"
if python3 scripts/analyze.py report "$TMP/bench-rate-copy" >"$TMP/analyze.out" 2>&1 &&
        cmp -s "$bn_out/REPORT.md" "$TMP/bench-rate-copy/REPORT.md" &&
        cmp -s "$bn_out/net-rate-omission.svg" "$TMP/bench-rate-copy/net-rate-omission.svg"; then
    pass "analyze.py report: net-rate's REPORT.md and charts regenerated byte for byte"
else fail "analyze.py report: net-rate's REPORT.md and charts regenerated byte for byte" "$(tail -n 3 "$TMP/analyze.out")"; fi

# --- make compare ------------------------------------------------------------------
python3 scripts/analyze.py compare "$bn_out" "$bn_out2" >"$TMP/compare.out" 2>&1
bn_st=$?
if [ "$bn_st" -le 1 ] && grep -q '^Summary: [0-9]* configurations changed beyond noise, [0-9]* winners contradicted, [0-9]* verdicts contradicted' "$TMP/compare.out"; then
    pass "analyze.py compare: two folders, a summary line (exit $bn_st)"
else fail "analyze.py compare: two folders, a summary line" "exit $bn_st" "$(tail -n 3 "$TMP/compare.out")"; fi
python3 scripts/analyze.py compare "$bn_out" "$bn_out" >"$TMP/compare-same.out" 2>&1
bn_st=$?
if [ "$bn_st" -eq 0 ] && grep -q 'Summary: 0 configurations changed beyond noise, 0 winners contradicted, 0 verdicts contradicted' "$TMP/compare-same.out"; then
    pass "analyze.py compare: a folder against itself changes nothing"
else fail "analyze.py compare: a folder against itself changes nothing" "exit $bn_st" "$(tail -n 3 "$TMP/compare-same.out")"; fi
if make -s compare OLD="$bn_out" NEW=/nonexistent >"$TMP/compare-bad.out" 2>&1; then
    fail "make compare: a missing folder fails"
else pass "make compare: a missing folder fails"; fi

# --- guards ----------------------------------------------------------------------
# One bench at a time: a second one refuses while the lock is held.
bn_root="$TMP/bench-lock"
mkdir -p "$bn_root"
exec 8>"$bn_root/.bench.lock"
flock -n 8
# --- extra rounds: what the analysis says is pending runs, nothing else ---
bn_extra="$TMP/bench-extra"
bn_bench "$bn_extra" "$TMP/bench-extra.out" EXPERIMENTS=sleep BUDGET=60 ANALYZE=tests/fixtures/fake-analyze \
    FAKE_PENDING="sleep	async n=3|sleep	threads n=3|sleep	nosuch n=3"
bn_dir=$(bn_newest "$bn_extra")
bn_rounds=$(python3 -c 'import csv,sys
rows = list(csv.DictReader(open(sys.argv[1])))
by = {}
for r in rows:
    by.setdefault(r["config"], []).append(r["round"])
print(";".join(c + ":" + ",".join(v) for c, v in sorted(by.items()) if c.endswith(" n=3")))' "$bn_dir/runs.csv" 2>&1)
case $bn_rounds in
    *"async n=3:1,2,3,4,5;"*"serial n=3:1,2,3;"*"threads n=3:1,2,3,4,5"*)
        if grep -q '^extra rounds: 2 (4 runs, ' "$bn_dir/meta.txt"; then
            pass "bench.sh: extra rounds run exactly the pending configurations, recorded in meta.txt"
        else fail "bench.sh: extra rounds recorded in meta.txt" "$(grep '^extra rounds' "$bn_dir/meta.txt")"; fi ;;
    *) fail "bench.sh: extra rounds run exactly the pending configurations" "$bn_rounds" ;;
esac
if grep -q 'pending: no such configuration in the plan: sleep nosuch n=3' "$bn_dir/bench.log"; then
    pass "bench.sh: an unknown pending configuration is logged, not run"
else fail "bench.sh: an unknown pending configuration is logged, not run"; fi
bn_bench "$TMP/bench-extra-fail" "$TMP/bench-extra-fail.out" EXPERIMENTS=sleep BUDGET=60 \
    ANALYZE=tests/fixtures/fake-analyze FAKE_PENDING_FAIL=1
bn_dir=$(bn_newest "$TMP/bench-extra-fail")
if [ "$bn_status" -eq 0 ] && grep -q 'could not say which regimes are undecided' "$bn_dir/meta.txt"; then
    pass "bench.sh: a failing analysis stops the extra rounds, not the bench"
else fail "bench.sh: a failing analysis stops the extra rounds, not the bench" "exit $bn_status"; fi
bn_bench "$TMP/bench-badbudget" "$TMP/bench-badbudget.out" EXPERIMENTS=sleep BUDGET=abc
if [ "$bn_status" -eq 2 ] && grep -q 'BUDGET: "abc"' "$TMP/bench-badbudget.out"; then
    pass "bench.sh: BUDGET=abc -> exit 2 naming it"
else fail "bench.sh: BUDGET=abc -> exit 2" "exit $bn_status"; fi

bn_bench "$bn_root" "$TMP/bench-lock.out" EXPERIMENTS=sleep
exec 8>&-
if [ "$bn_status" -eq 1 ] && grep -q 'another make bench is running' "$TMP/bench-lock.out" && [ -z "$(bn_newest "$bn_root")" ]; then
    pass "bench.sh: a second bench at once refuses with a message"
else fail "bench.sh: a second bench at once refuses with a message" "exit $bn_status" "$(tail -n 2 "$TMP/bench-lock.out")"; fi
# A folder left by a killed bench is removed, and said so.
mkdir -p "$bn_root/.tmp-stale"
bn_bench "$bn_root" "$TMP/bench-stale.out" EXPERIMENTS=sleep
if [ "$bn_status" -eq 0 ] && [ ! -e "$bn_root/.tmp-stale" ] && grep -q 'removing .*\.tmp-stale' "$TMP/bench-stale.out"; then
    pass "bench.sh: a stale temporary folder is removed, with a message"
else fail "bench.sh: a stale temporary folder is removed" "exit $bn_status" "$(head -n 3 "$TMP/bench-stale.out")"; fi
# Bad settings: exit 2, a message naming the value, nothing written.
for bn_case in "EXPERIMENTS=bogus:bogus" "ROUNDS=0:ROUNDS" "ROUNDS=x:ROUNDS" "SEED=-1:SEED" \
    "SERVER=nocolon:SERVER" "CLIENT_CPUS=a-b:CLIENT_CPUS"; do
    bn_bench "$TMP/bench-bad" "$TMP/bench-bad.out" "${bn_case%%:*}"
    if [ "$bn_status" -eq 2 ] && grep -q "${bn_case#*:}" "$TMP/bench-bad.out" && [ -z "$(bn_newest "$TMP/bench-bad" 2>/dev/null)" ]; then
        pass "bench.sh: ${bn_case%%:*} -> exit 2 with a message"
    else fail "bench.sh: ${bn_case%%:*} -> exit 2 with a message" "exit $bn_status" "$(tail -n 2 "$TMP/bench-bad.out")"; fi
done
# A server elsewhere (SERVER=): no server started here, placement recorded.
bn_bench "$TMP/bench-remote" "$TMP/bench-remote.out" EXPERIMENTS=net-fast SERVER=127.0.0.1:9
bn_out=$(bn_newest "$TMP/bench-remote")
if [ "$bn_status" -eq 0 ] && grep -q '^placement: remote=127.0.0.1:9' "$bn_out/meta.txt" 2>/dev/null &&
        ! grep -q 'fake-cbench serve' "$bn_out/meta.txt"; then
    pass "bench.sh: SERVER=HOST:PORT runs net against it, starts no server"
else fail "bench.sh: SERVER=HOST:PORT runs net against it" "exit $bn_status" "$(tail -n 2 "$TMP/bench-remote.out")"; fi
# The server does not start: the net experiments are skipped with a note.
bn_bench "$TMP/bench-noserve" "$TMP/bench-noserve.out" EXPERIMENTS="sleep net-fast" FAKE_SERVE_FAIL=1
bn_out=$(bn_newest "$TMP/bench-noserve")
if [ "$bn_status" -eq 0 ] && grep -q 'cbench serve did not start' "$TMP/bench-noserve.out" &&
        ! grep -q '^net-fast,' "$bn_out/runs.csv" 2>/dev/null && grep -q '^sleep,' "$bn_out/runs.csv" 2>/dev/null; then
    pass "bench.sh: no server -> net skipped with a note, the rest runs"
else fail "bench.sh: no server -> net skipped with a note" "exit $bn_status" "$(tail -n 3 "$TMP/bench-noserve.out")"; fi

# The serve experiment (scripts/bench_serve.sh): every model that serves,
# a fresh server per run under wrk, stopped after it; its figures in
# runs.csv, its section, claims and decisions in the report; no server left.
# spawn-mem: one --hold-ms for every model of a size (the hold is in the
# checksum), though the fake's models start workers at different speeds
bn_bench "$TMP/bench-hold" "$TMP/bench-hold.out" EXPERIMENTS=spawn-mem DRY_RUN=1 PYTHON=0
bn_holds=$(grep -Eo 'spawn -n [0-9]+ --hold-ms [0-9]+' "$TMP/bench-hold.out" | sort -u)
bn_models=$(grep -c ' spawn -n [0-9]* --hold-ms ' "$TMP/bench-hold.out")
if [ "$bn_status" -eq 0 ] && [ "$bn_models" -ge 2 ] &&
        [ "$(echo "$bn_holds" | wc -l)" -eq "$(echo "$bn_holds" | awk '{print $3}' | sort -u | wc -l)" ]; then
    pass "bench.sh spawn-mem: every model of a size holds its workers equally long ($bn_models runs: $(echo "$bn_holds" | tr '\n' ' '))"
else fail "bench.sh spawn-mem: every model of a size holds its workers equally long" "$(grep -- '--hold-ms' "$TMP/bench-hold.out")"; fi

bn_bench "$TMP/bench-serve" "$TMP/bench-serve.out" EXPERIMENTS=serve SEED=3
bn_out=$(bn_newest "$TMP/bench-serve")
bn_serve_rows=$(python3 -c 'import csv,sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["experiment"] == "serve"]
ok = [r for r in rows if r["workload"] == "serve" and r["exit"] == "0" and "mem_kib_per_conn=" in r["metrics"]
      and "steady_req_per_s=" in r["metrics"] and "server_cpu_us_per_req=" in r["metrics"] and r["lat_p99_us"] == "2500"]
print(len(rows), len(ok), " ".join(sorted({r["model"] for r in rows})))' "$bn_out/runs.csv" 2>&1)
if [ "$bn_status" -eq 0 ] && [ "$bn_serve_rows" = "12 12 async fork threads" ]; then
    pass "bench.sh: serve runs every model that serves, each row with the server's figures"
else fail "bench.sh: serve runs every model that serves" "exit $bn_status; rows, valid rows, models: $bn_serve_rows" \
    "$(tail -n 3 "$TMP/bench-serve.out")"; fi
if grep -q '^## Which server model when' "$bn_out/REPORT.md" 2>/dev/null &&
        grep '^| S1 ' "$bn_out/REPORT.md" | grep -qv 'not measured' &&
        grep -q '^serve n=100 delay=0ms,classic,' "$bn_out/decisions.csv" && grep -q '^serve: models fork threads async hybrid;' "$bn_out/meta.txt"; then
    pass "bench.sh: serve in REPORT.md (section, S1 judged), decisions.csv and meta.txt"
else fail "bench.sh: serve in REPORT.md, decisions.csv and meta.txt" \
    "$(grep -c 'server model' "$bn_out/REPORT.md" 2>&1) $(grep '^| S1' "$bn_out/REPORT.md" 2>&1) $(grep -c '^serve' "$bn_out/decisions.csv" 2>&1) $(grep '^serve:' "$bn_out/meta.txt" 2>&1)"; fi
if ! pgrep -f 'fake-cbench serve --model' >/dev/null; then pass "bench.sh: no serve run's server left running"
else fail "bench.sh: no serve run's server left running" "$(pgrep -af 'fake-cbench serve --model')"; fi
# A server model that does not start: its runs fail (exit 1), the bench completes.
bn_bench "$TMP/bench-serve-fail" "$TMP/bench-serve-fail.out" EXPERIMENTS=serve FAKE_SERVE_FAIL=1
bn_out=$(bn_newest "$TMP/bench-serve-fail")
if [ "$bn_status" -eq 0 ] && python3 -c 'import csv,sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["experiment"] == "serve"]
sys.exit(not rows or any(r["exit"] != "1" or r["checksum"] for r in rows))' "$bn_out/runs.csv" 2>/dev/null &&
        grep -q 'did not start' "$bn_out/bench.log"; then
    pass "bench.sh: a server model that does not start -> its runs recorded as failed, the bench completes"
else fail "bench.sh: a server model that does not start -> failed runs" "exit $bn_status" "$(tail -n 3 "$TMP/bench-serve-fail.out")"; fi

# Interrupted (SIGTERM; background jobs ignore SIGINT): the temporary folder
# goes, nothing is renamed into place.
bn_root="$TMP/bench-interrupted"
rm -rf "$bn_root"
env FAKE_SLEEP=1 QUICK=1 EXPERIMENTS=sleep CBENCH=$bn_fake RESULTS_ROOT="$bn_root" scripts/bench.sh >"$TMP/bench-int.out" 2>&1 &
bn_pid=$!
for _ in $(seq 100); do  # until the first run has been recorded (at most ~20 s)
    [ "$(cat "$bn_root"/.tmp-*/runs.csv 2>/dev/null | wc -l)" -ge 2 ] && break
    sleep 0.2
done
kill -TERM "$bn_pid" 2>/dev/null
wait "$bn_pid" 2>/dev/null
if [ -d "$bn_root" ] && [ -z "$(find "$bn_root" -mindepth 1 -maxdepth 1 ! -name .bench.lock)" ]; then
    pass "bench.sh: interrupted, it removes its temporary folder"
else fail "bench.sh: interrupted, it removes its temporary folder" "$(ls -la "$bn_root" 2>&1)"; fi

# --- lint ------------------------------------------------------------------------------
for bn_f in scripts/*.sh tests/cli*.sh tests/fixtures/fake-cbench tests/fixtures/fake-wrk tests/fixtures/fake-analyze .ci/run; do
    [ -f "$bn_f" ] || continue
    if head -n 1 "$bn_f" | grep -q '^#!/bin/sh'; then bn_sh='sh'; else bn_sh='bash'; fi
    if "$bn_sh" -n "$bn_f" 2>"$TMP/lint.err" && shellcheck -x "$bn_f" >"$TMP/lint.err" 2>&1; then pass "lint $bn_f"
    else fail "lint $bn_f" "$(head -n 5 "$TMP/lint.err")"; fi
done
if python3 -m py_compile scripts/analyze.py scripts/analysis/*.py scripts/analysis/charts/*.py 2>"$TMP/lint.err"; then pass "python compiles: scripts/analysis"
else fail "python compiles: scripts/analysis" "$(head -n 5 "$TMP/lint.err")"; fi
