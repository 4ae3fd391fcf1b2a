# shellcheck shell=bash
# cli_report.sh - the benchmark harness: plot.sh and report.sh on a fixed
# results folder (tests/fixtures/results-small), bench.sh against a fake
# cbench (tests/fixtures/fake-cbench), and lint of every script in scripts/.
# Sourced by tests/cli.sh: uses $TMP, pass and fail; variables and helpers
# are prefixed rep_ so that they do not collide with other suites. It does
# not need build/cbench, and asserts nothing about timing.

rep_dir="$TMP/results-small"
rm -rf "$rep_dir"
cp -r tests/fixtures/results-small "$rep_dir"

# --- plot.sh: every chart, as PNG and SVG ---------------------------------------
if scripts/plot.sh "$rep_dir" >"$TMP/plot.out" 2>&1; then pass "plot.sh draws the fixture"
else fail "plot.sh draws the fixture" "$(tail -n 5 "$TMP/plot.out")"; fi
for rep_chart in sleep cpu net-slow net-fast crossover; do
    rep_f="$rep_dir/$rep_chart.png"
    if [ -s "$rep_f" ] && [ "$(od -An -tx1 -N4 "$rep_f" | tr -d ' \n')" = 89504e47 ]; then
        pass "plot.sh: $rep_chart.png is a PNG"
    else fail "plot.sh: $rep_chart.png is a PNG" "$(ls -l "$rep_f" 2>&1)"; fi
    rep_f="$rep_dir/$rep_chart.svg"
    if [ -s "$rep_f" ] && grep -q '<svg' "$rep_f"; then pass "plot.sh: $rep_chart.svg is an SVG"
    else fail "plot.sh: $rep_chart.svg is an SVG" "$(ls -l "$rep_f" 2>&1)"; fi
done

# --- REPORT.md ---------------------------------------------------------------------
rep_md="$rep_dir/REPORT.md"
if [ -s "$rep_md" ]; then pass "report: REPORT.md written"; else fail "report: REPORT.md written"; fi
if grep -Eiq -- '(^|[^a-z])-?(nan|inf)([^a-z]|$)' "$rep_md"; then
    fail "report: no NaN or inf" "$(grep -Ein -- '(^|[^a-z])-?(nan|inf)([^a-z]|$)' "$rep_md" | head -n 3)"
else pass "report: no NaN or inf"; fi
for rep_chart in sleep cpu net-slow net-fast crossover; do
    if grep -qF "($rep_chart.png)" "$rep_md"; then pass "report: links $rep_chart.png"
    else fail "report: links $rep_chart.png"; fi
done

# Expected winners, computed here from runs.csv alone (another route than
# scripts/results-lib.sh: delay from cbench's params, series from config):
# per regime, the series with the highest mean ops_per_s over runs with
# exit 0, threads-gil excluded; margin = its mean over the runner-up's.
# Prints: experiment tasks delay winner runner margin
rep_expected() {
    awk -F, '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["exit"] != 0 || $c["ops_per_s"] == "" { next }
        {
            split($c["config"], w, " "); s = w[1]
            if (s == "threads-gil") next
            d = "-"
            if ($c["params"] ~ /delay_ms=/) { d = $c["params"]; sub(/.*delay_ms=/, "", d); sub(/;.*/, "", d) }
            k = $c["experiment"] " " $c["tasks"] " " d
            if (!(k in seen)) { seen[k]; keys[++n] = k }
            if (!((k, s) in cnt)) list[k] = list[k] " " s
            sum[k, s] += $c["ops_per_s"]; cnt[k, s]++
        }
        END {
            for (j = 1; j <= n; j++) {
                k = keys[j]; m = split(list[k], ss, " "); best = ""; second = ""
                for (i = 1; i <= m; i++) {
                    x = sum[k, ss[i]] / cnt[k, ss[i]]
                    if (best == "" || x > bx) { second = best; sx = bx; best = ss[i]; bx = x }
                    else if (second == "" || x > sx) { second = ss[i]; sx = x }
                }
                print k, best, (second == "" ? "-" : second), (second == "" ? "-" : bx / sx)
            }
        }' "$rep_dir/runs.csv"
}
rep_expected >"$TMP/expected.txt"
rep_cores=$(awk -F': ' '$1 == "cores" { print $2 }' "$rep_dir/meta.txt")
rep_cells=0
rep_cpu_max=$(awk '$1 == "cpu" { print $2 }' "$TMP/expected.txt" | sort -n | tail -n 1)
# rep_check_row LABEL WINNER RUNNER MARGIN : the table row LABEL names the
# winner and runner-up, and its margin is within 0.01 of MARGIN
rep_check_row() {
    local label=$1 winner=$2 runner=$3 margin=$4 line
    line=$(grep -F "| $label | " "$rep_md" | head -n 1)
    if [ -z "$line" ]; then fail "report table: row \"$label\"" "no such row"; return; fi
    if ! awk -F' [|] ' -v w="$winner" -v r="$runner" -v m="$margin" '{
            got = $3; sub(/×$/, "", got)
            exit !($2 == w && $5 == r && (m == "-" || (got - m < 0.0101 && m - got < 0.0101))) }' <<<"$line"; then
        fail "report table: row \"$label\"" "expected winner $winner, runner-up $runner, margin $margin" "got: $line"
    else pass "report table: $label -> $winner"; fi
}
while read -r rep_exp rep_n rep_d rep_win rep_run rep_margin; do
    rep_s=s
    [ "$rep_n" = 1 ] && rep_s=""
    case $rep_exp in
        crossover)
            rep_cells=$((rep_cells + 1))
            rep_check_row "net: $rep_n connection$rep_s, $rep_d ms delay" "$rep_win" "$rep_run" "$rep_margin" ;;
        cpu)
            # the table has the smallest and the largest task counts
            if [ "$rep_n" = "$rep_cpu_max" ]; then
                rep_check_row "CPU-bound: $rep_n task$rep_s on $rep_cores cores (cpu)" "$rep_win" "$rep_run" "$rep_margin"
            fi ;;
    esac
done <"$TMP/expected.txt"
if [ "$rep_cells" -gt 0 ] && [ "$(grep -c '^| net: ' "$rep_md")" -eq "$rep_cells" ]; then
    pass "report table: one row per crossover cell ($rep_cells)"
else fail "report table: one row per crossover cell" "expected $rep_cells, got $(grep -c '^| net: ' "$rep_md")"; fi

for rep_g in G1 G2 G3 G4; do
    if awk -v g="### $rep_g " 'index($0, g) == 1 { found = 1; next }
            found && NF { exit !($0 ~ /^\*\*(reproduced|refuted|not measured)\.\*\*/) }
            END { if (!found) exit 1 }' "$rep_md"; then
        pass "report: claim $rep_g has a verdict"
    else fail "report: claim $rep_g has a verdict"; fi
done
# Every config with a failed run is listed under Failures.
awk -F, 'NR > 1 && $NF != 0 { print $(NF - 1) }' "$rep_dir/runs.csv" | sort -u >"$TMP/failed.txt"
while read -r rep_cfg; do
    if sed -n '/^## Failures/,/^## /p' "$rep_md" | grep -qF "| $rep_cfg |"; then pass "report: failure of $rep_cfg listed"
    else fail "report: failure of $rep_cfg listed"; fi
done <"$TMP/failed.txt"

# --- bench.sh against the fake cbench -----------------------------------------------
rep_root="$TMP/bench-results"
rm -rf "$rep_root"
# fork fails above 1 task: failures must be recorded, not abort the bench
if FAKE_FORK_MAX=1 QUICK=1 EXPERIMENTS=cpu CBENCH=tests/fixtures/fake-cbench RESULTS_ROOT="$rep_root" \
        scripts/bench.sh >"$TMP/bench.out" 2>&1; then pass "bench.sh: completes with failing runs"
else fail "bench.sh: completes with failing runs" "$(tail -n 5 "$TMP/bench.out")"; fi
rep_out=$(find "$rep_root" -mindepth 1 -maxdepth 1 -type d -name '2*' | head -n 1)
if [ -n "$rep_out" ] && [ -f "$rep_out/runs.csv" ]; then pass "bench.sh: results folder <date>-<host>"
else fail "bench.sh: results folder <date>-<host>" "$(ls -la "$rep_root" 2>&1)"; rep_out=/nonexistent; fi
rep_header="experiment,$(tests/fixtures/fake-cbench run serial sleep -n 1 --ms 1 --format csv | head -n 1),config,exit"
if [ "$(head -n 1 "$rep_out/runs.csv" 2>/dev/null)" = "$rep_header" ]; then pass "bench.sh: runs.csv header"
else fail "bench.sh: runs.csv header" "got: $(head -n 1 "$rep_out/runs.csv" 2>&1)"; fi
if awk -F, 'NR > 1 { n[$(NF - 1)]++ } END { for (k in n) if (n[k] != 2) exit 1; exit !length(n) }' "$rep_out/runs.csv" 2>/dev/null; then
    pass "bench.sh: two direct runs per config"
else fail "bench.sh: two direct runs per config"; fi
if awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["model"] == "fork" && $c["tasks"] > 1 { f++; if ($c["exit"] != 1 || $c["errors"] == 0) bad++ }
        END { exit !(f > 0 && !bad) }' "$rep_out/runs.csv" 2>/dev/null; then
    pass "bench.sh: failed runs recorded with exit 1 and errors"
else fail "bench.sh: failed runs recorded with exit 1 and errors"; fi
rep_ok_configs=$(awk -F, 'NR > 1 && $NF == 0 { print $(NF - 1) }' "$rep_out/runs.csv" 2>/dev/null | sort -u | wc -l)
if [ "$(jq '.results | length' "$rep_out/hyperfine-cpu.json" 2>/dev/null)" = "$rep_ok_configs" ] && [ "$rep_ok_configs" -gt 0 ]; then
    pass "bench.sh: hyperfine-cpu.json has one result per successful config"
else fail "bench.sh: hyperfine-cpu.json has one result per successful config"; fi
for rep_key in date host kernel cpu cores memory gcc libev "libev backend" git commands; do
    if grep -q "^$rep_key:" "$rep_out/meta.txt" 2>/dev/null; then pass "bench.sh: meta.txt has $rep_key"
    else fail "bench.sh: meta.txt has $rep_key"; fi
done
if QUICK=1 EXPERIMENTS=sleep CBENCH=tests/fixtures/fake-cbench RESULTS_ROOT="$rep_root" \
        scripts/bench.sh >"$TMP/bench2.out" 2>&1 && [ -d "$rep_out-2" ]; then
    pass "bench.sh: a second run the same day goes to <date>-<host>-2"
else fail "bench.sh: a second run the same day goes to <date>-<host>-2" "$(ls "$rep_root" 2>&1)"; fi
if [ -z "$(find "$rep_root" -maxdepth 1 -name '.tmp-*')" ]; then pass "bench.sh: no temporary folder left"
else fail "bench.sh: no temporary folder left"; fi

# Interrupted (SIGTERM; background jobs ignore SIGINT): the temporary folder
# goes, nothing is renamed into place.
rep_root="$TMP/bench-interrupted"
rm -rf "$rep_root"
FAKE_SLEEP=1 QUICK=1 EXPERIMENTS=sleep CBENCH=tests/fixtures/fake-cbench RESULTS_ROOT="$rep_root" \
    scripts/bench.sh >"$TMP/bench3.out" 2>&1 &
rep_pid=$!
for _ in $(seq 100); do  # until the first run has been recorded (at most ~20 s)
    [ "$(cat "$rep_root"/.tmp-*/runs.csv 2>/dev/null | wc -l)" -ge 2 ] && break
    sleep 0.2
done
kill -TERM "$rep_pid" 2>/dev/null
wait "$rep_pid" 2>/dev/null
if [ -d "$rep_root" ] && [ -z "$(find "$rep_root" -mindepth 1 -maxdepth 1)" ]; then
    pass "bench.sh: interrupted, it removes its temporary folder"
else fail "bench.sh: interrupted, it removes its temporary folder" "$(ls -la "$rep_root" 2>&1)"; fi

# --- lint ------------------------------------------------------------------------------
for rep_f in scripts/* tests/cli_report.sh tests/fixtures/fake-cbench tests/fixtures/make-results-small.sh; do
    [ -f "$rep_f" ] || continue
    if head -n 1 "$rep_f" | grep -q '^#!/bin/sh'; then rep_sh='sh'; else rep_sh='bash'; fi
    if "$rep_sh" -n "$rep_f" 2>"$TMP/lint.err"; then pass "$rep_sh -n $rep_f"
    else fail "$rep_sh -n $rep_f" "$(head -n 3 "$TMP/lint.err")"; fi
    if shellcheck -x "$rep_f" >"$TMP/lint.err" 2>&1; then pass "shellcheck $rep_f"
    else fail "shellcheck $rep_f" "$(head -n 5 "$TMP/lint.err")"; fi
done
