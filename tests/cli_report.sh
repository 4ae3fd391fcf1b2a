# shellcheck shell=bash
# cli_report.sh - the benchmark harness: plot.sh and report.sh on a fixed
# results folder (tests/fixtures/results-small; its claim verdicts checked
# against rules recomputed here, also on a copy with changed numbers),
# bench.sh against a fake
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

# Redrawing the same data gives the same SVGs and report (make plot is reproducible).
mkdir -p "$TMP/redraw" && cp "$rep_dir"/*.svg "$rep_dir/REPORT.md" "$TMP/redraw/"
scripts/plot.sh "$rep_dir" >/dev/null 2>&1
rep_changed=$(for rep_f in "$TMP"/redraw/*; do cmp -s "$rep_f" "$rep_dir/${rep_f##*/}" || echo "${rep_f##*/}"; done)
if [ -z "$rep_changed" ]; then pass "plot.sh: a redraw gives identical SVGs and REPORT.md"
else fail "plot.sh: a redraw gives identical SVGs and REPORT.md" "changed: $rep_changed"; fi

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

for rep_g in G1 G2 G3 G4 G5 G6 G7 G8; do
    if awk -v g="### $rep_g " 'index($0, g) == 1 { found = 1; next }
            found && NF { exit !($0 ~ /^\*\*(reproduced|refuted|not measured)\.\*\*/) }
            END { if (!found) exit 1 }' "$rep_md"; then
        pass "report: claim $rep_g has a verdict"
    else fail "report: claim $rep_g has a verdict"; fi
done
# Every config with a failed run is listed under Failures (cancel: below).
awk -F, 'NR > 1 && $NF != 0 && $1 != "cancel" { print $(NF - 1) }' "$rep_dir/runs.csv" | sort -u >"$TMP/failed.txt"
while read -r rep_cfg; do
    if sed -n '/^## Failures/,/^## /p' "$rep_md" | grep -qF "| $rep_cfg |"; then pass "report: failure of $rep_cfg listed"
    else fail "report: failure of $rep_cfg listed"; fi
done <"$TMP/failed.txt"

# --- cost and scenario charts, claims G5-G8 ---------------------------------------
for rep_chart in spawn spawn-mem pingpong mixed chess queue chain cancel; do
    rep_f="$rep_dir/$rep_chart.png"
    if [ -s "$rep_f" ] && [ "$(od -An -tx1 -N4 "$rep_f" | tr -d ' \n')" = 89504e47 ] && grep -q '<svg' "$rep_dir/$rep_chart.svg"; then
        pass "plot.sh: $rep_chart.png and .svg"
    else fail "plot.sh: $rep_chart.png and .svg" "$(ls -l "$rep_f" "$rep_dir/$rep_chart.svg" 2>&1)"; fi
    if grep -qF "($rep_chart.png)" "$rep_md"; then pass "report: links $rep_chart.png"
    else fail "report: links $rep_chart.png"; fi
done
if grep -q 'G5–G8 need' "$rep_md"; then fail "report: G5–G8 are judged, not deferred"
else pass "report: G5–G8 are judged, not deferred"; fi

# rep_med DIR EXP KNOB FIELD : "series<TAB>x<TAB>median" per configuration of
# EXP over its runs with exit 0, computed here from runs.csv (another route
# than results-lib.sh). x is the config's KNOB value ("chunk=20ms" -> 20);
# FIELD is a CSV column, note:KEY (a key=value word of the note), or chain
# (wall_s in ms over the note's "longest chain N ms").
rep_med() {
    awk -F, -v OFS='\t' -v e="$2" -v knob="$3" -v f="$4" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $1 != e || $NF != 0 || $c["wall_s"] == "" { next }
        {
            n = split($(NF - 1), w, " "); x = "-"
            for (i = 2; i <= n; i++) if (index(w[i], knob "=") == 1) { x = substr(w[i], length(knob) + 2); sub(/ms$/, "", x) }
            note = $c["note"]
            if (f ~ /^note:/) {
                k = substr(f, 6)
                if (!match(note, k "=[0-9.]+")) next
                y = substr(note, RSTART + length(k) + 1, RLENGTH - length(k) - 1)
            } else if (f == "chain") {
                if (!match(note, /longest chain [0-9.]+/)) next
                y = $c["wall_s"] * 1000 / substr(note, RSTART + 14, RLENGTH - 14)
            } else y = $c[f]
            print w[1], x, y
        }' "$1/runs.csv" | sort -t "$(printf '\t')" -k1,1 -k2,2g -k3,3g | awk -F'\t' -v OFS='\t' '
        function out() { if (k) print s, x, (k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2) }
        $1 != s || $2 != x { out(); s = $1; x = $2; k = 0 }
        { v[++k] = $3 }
        END { out() }'
}
# rep_expected_claims DIR : "G5 verdict" ... "G8 verdict", by the rules the
# report states, from DIR/runs.csv
rep_expected_claims() {
    local d=$1
    # G5: µs per worker; a thread >= 5x an async task, a process >= 5x a
    # thread; all at the largest n every model has, else each at its largest
    rep_med "$d" spawn n note:worker_us | awk -F'\t' '
        { m[$1, $2] = $3; has[$1] = 1; if (!($1 in top) || $2 + 0 > top[$1] + 0) top[$1] = $2; xs[$2] }
        END {
            if (!has["threads"] || !has["async"]) { print "G5 not measured"; exit }
            for (x in xs) if ((("threads", x) in m) && (("async", x) in m) && (!has["fork"] || (("fork", x) in m)))
                if (best == "" || x + 0 > best + 0) best = x
            t = m["threads", best == "" ? top["threads"] : best]; a = m["async", best == "" ? top["async"] : best]
            v = t / a >= 5
            if (has["fork"]) v = v && m["fork", best == "" ? top["fork"] : best] / t >= 5
            print "G5", (v ? "reproduced" : "refuted")
        }'
    # G6: at 10 ms chunks (else the largest), async p99 >= the chunk, hybrid p99 <= 2x hybrid-io
    rep_med "$d" mixed chunk lat_p99_us | awk -F'\t' '
        { m[$1, $2] = $3; if ($1 == "async" && $2 + 0 > c + 0) c = $2; if ($1 == "async" && $2 + 0 == 10) ten = $2 }
        END {
            if (ten != "") c = ten
            if (c == "" || !(("hybrid", c) in m) || !(("hybrid-io", 0) in m)) { print "G6 not measured"; exit }
            print "G6", (m["async", c] >= c * 1000 && m["hybrid", c] <= 2 * m["hybrid-io", 0] ? "reproduced" : "refuted")
        }'
    # G7: serial / async within 10 % of the note's theory (12 without one)
    { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $1 == "chess" && $NF == 0 && match($c["note"], /theory: serial [0-9.]+ s; one loop [0-9.]+ s/) {
            split(substr($c["note"], RSTART, RLENGTH), w, " "); print "theory", w[3] / w[7]; exit }' "$d/runs.csv"
      rep_med "$d" chess n wall_s; } | awk -F'\t' '
        /^theory / { split($0, t, " "); th = t[2]; next }
        { m[$1] = $3 }
        END {
            if (!("serial" in m) || !("async" in m)) { print "G7 not measured"; exit }
            r = m["serial"] / m["async"] / (th == "" ? 12 : th)
            print "G7", (r >= 0.9 && r <= 1.1 ? "reproduced" : "refuted")
        }'
    # G8: every concurrent chain run <= 1.05 x the longest chain, every queue run exit 0
    { rep_med "$d" chain n chain | awk '$1 != "serial" { print "chain", $3 }'
      awk -F, '$1 == "queue" { print "queue", $NF }' "$d/runs.csv"; } | awk '
        $1 == "chain" { chain = 1; if ($2 > 1.05) bad = 1 }
        $1 == "queue" { queue = 1; if ($2 != 0) bad = 1 }
        END { print "G8", (!chain && !queue ? "not measured" : bad ? "refuted" : "reproduced") }'
    # Latency hiding: median over rounds of (delayed req/s) / min(n / delay,
    # that round's delay-0 req/s) >= 0.9; the k-th delay-0 run pairs with the
    # k-th delayed one
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $1 == "net-hide" {
            split($(NF - 1), w, " "); n = substr(w[2], 3); d = substr(w[3], 7) + 0
            if (d == 0) zero[++z] = ($NF == 0 ? $c["ops_per_s"] : "x"); else { late[++l] = ($NF == 0 ? $c["ops_per_s"] : "x"); dl = d }
        }
        END { for (k = 1; k <= z && k <= l; k++) if (zero[k] != "x" && late[k] != "x") {
                ideal = n * 1000 / dl; if (zero[k] + 0 < ideal) ideal = zero[k]; print late[k] / ideal } }' "$d/runs.csv" |
        sort -g | awk '{ v[++k] = $1 } END { if (!k) { print "HIDE not measured"; exit }
            r = k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
            print "HIDE", (r >= 0.9 ? "met" : "missed") }'
    # Reference client: median over rounds of cbench / wrk >= 0.9 (round k of
    # wrk.csv against the k-th net-wrk run; rounds where either failed drop out)
    if [ ! -f "$d/wrk.csv" ]; then echo "WRK not measured"; return; fi
    paste -d' ' <(awk -F, 'NR > 1 { print ($4 == 0 ? $2 : "x") }' "$d/wrk.csv") \
        <(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
            $1 == "net-wrk" { print ($NF == 0 ? $c["ops_per_s"] : "x") }' "$d/runs.csv") |
        awk '$1 != "x" && $2 != "x" && $1 > 0 { print $2 / $1 }' | sort -g |
        awk '{ v[++k] = $1 } END { if (!k) { print "WRK not measured"; exit }
            r = k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
            print "WRK", (r >= 0.9 ? "met" : "missed") }'
}
# rep_got_claims MD : "Gk verdict" as REPORT.md states it
rep_got_claims() {
    awk 'match($0, /^### G[5-8] /) { g = substr($0, 5, 2); next }
        /^### Latency hiding / { g = "HIDE"; next }
        /^### Reference client / { g = "WRK"; next }
        g != "" && NF { v = $0; sub(/^\*\*/, "", v); sub(/\.\*\*.*/, "", v); print g, v; g = "" }' "$1"
}
# rep_check_claims DIR LABEL : the verdicts in DIR/REPORT.md match the rules
rep_check_claims() {
    local d=$1 label=$2 g want got
    rep_expected_claims "$d" >"$TMP/claims.expected"
    rep_got_claims "$d/REPORT.md" >"$TMP/claims.got"
    while read -r g want; do
        got=$(awk -v g="$g" '$1 == g { $1 = ""; sub(/^ /, ""); print }' "$TMP/claims.got")
        if [ "$got" = "$want" ]; then pass "report$label: $g $want"
        else fail "report$label: $g verdict" "expected \"$want\" (computed from runs.csv), got \"$got\""; fi
    done <"$TMP/claims.expected"
}
rep_check_claims "$rep_dir" ""
# The unhidable tail: the delay over the delayed runs' duration (median
# requests / median requests/s), recomputed from runs.csv.
rep_tail=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $1 == "net-hide" && $(NF - 1) !~ /delay=0ms/ { print $c["ops_per_s"], $c["ops"] }' "$rep_dir/runs.csv" |
    sort -g | awk '{ r[++k] = $1; o = $2 } END { m = (k % 2 ? r[(k + 1) / 2] : (r[k / 2] + r[k / 2 + 1]) / 2)
        printf "%.2f s run here, %.1f %%", o / m, 100 * 0.05 * m / o }')
if grep -qF "50 ms of a $rep_tail of it" "$rep_md"; then pass "report: the latency-hiding tail ($rep_tail)"
else fail "report: the latency-hiding tail" "expected \"$rep_tail\"" "$(grep -o 'no client can hide.*' "$rep_md")"; fi
for rep_g in G5 G6 G7 G8; do
    if sed -n "/^### $rep_g /,/^### /p" "$rep_md" | grep -q 'Rule: '; then pass "report: $rep_g states its rule"
    else fail "report: $rep_g states its rule"; fi
done

# Cancel runs exit 1 by design: those that cancelled tasks are not failures
# and are in the Cancellation table; a cancel config with another outcome is.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $1 == "cancel" { k = $(NF - 1); seen[k] = 1; if (!($NF == 1 && $c["cancelled"] > 0) && $NF != 0) bad[k] = 1
        else if ($NF == 1) good[k] = $c["model"] " | " $c["tasks"] }
    END { for (k in seen) print (k in bad ? "bad" : "good"), (k in good ? good[k] : "-"), "|", k }' \
    "$rep_dir/runs.csv" >"$TMP/cancel.txt"
if [ -s "$TMP/cancel.txt" ]; then pass "fixture: has cancel runs"; else fail "fixture: has cancel runs"; fi
while read -r rep_state rep_row; do
    rep_cfg=${rep_row##*| }
    rep_listed=0
    sed -n '/^## Failures/,/^## /p' "$rep_md" | grep -qF "| cancel | $rep_cfg |" && rep_listed=1
    if [ "$rep_state" = bad ] && [ "$rep_listed" = 1 ]; then pass "report: cancel $rep_cfg (not cancelled) under Failures"
    elif [ "$rep_state" = good ] && [ "$rep_listed" = 0 ]; then pass "report: cancel $rep_cfg (exit 1 by design) not a failure"
    else fail "report: cancel $rep_cfg is $rep_state, listed under Failures: $rep_listed"; fi
    if [ "$rep_state" = good ]; then
        if sed -n '/^### Cancellation/,/^## /p' "$rep_md" | grep -qF "| ${rep_row%% |*} |"; then
            pass "report: cancel $rep_cfg in the Cancellation table"
        else fail "report: cancel $rep_cfg in the Cancellation table"; fi
    fi
done <"$TMP/cancel.txt"

# The verdicts follow the data: the same fixture with numbers moved across
# each rule's threshold (threads as cheap as async tasks, hybrid's I/O tail
# 10x its floor, async chess 1.5x slower, every chain at 1.02x the longest,
# half the requests/s at the hidden delay, wrk twice as fast).
rep_mut="$TMP/results-mutated"
rm -rf "$rep_mut"
cp -r "$rep_dir" "$rep_mut"
awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; print; next }
    $1 == "spawn" && $c["model"] == "threads" { sub(/worker_us=[0-9.]+/, "worker_us=1.00", $c["note"]) }
    $1 == "mixed" && $(NF - 1) ~ /^hybrid / && $c["lat_p99_us"] != "" { $c["lat_p99_us"] = 5000 }
    $1 == "chess" && $c["model"] == "async" && $c["wall_s"] != "" { $c["wall_s"] *= 1.5 }
    $1 == "net-hide" && $(NF - 1) !~ /delay=0ms/ && $c["ops_per_s"] != "" { $c["ops_per_s"] *= 0.5 }
    $1 == "chain" && $c["model"] != "serial" && match($c["note"], /longest chain [0-9.]+/) {
        $c["wall_s"] = substr($c["note"], RSTART + 14, RLENGTH - 14) * 1.02 / 1000 }
    { print }' "$rep_dir/runs.csv" >"$rep_mut/runs.csv"
awk -F, -v OFS=, 'NR > 1 && $2 != "" { $2 *= 2 } { print }' "$rep_dir/wrk.csv" >"$rep_mut/wrk.csv"
if scripts/report.sh "$rep_mut" >"$TMP/report-mut.out" 2>&1; then pass "report.sh: the changed fixture"
else fail "report.sh: the changed fixture" "$(tail -n 5 "$TMP/report-mut.out")"; fi
rep_check_claims "$rep_mut" " (changed data)"
rep_got_claims "$rep_md" >"$TMP/claims.orig"
rep_got_claims "$rep_mut/REPORT.md" >"$TMP/claims.mut"
for rep_g in G5 G6 G7 G8 HIDE WRK; do
    if [ "$(grep "^$rep_g " "$TMP/claims.orig")" != "$(grep "^$rep_g " "$TMP/claims.mut")" ]; then
        pass "report: $rep_g verdict changes with the data"
    else fail "report: $rep_g verdict changes with the data" "$(grep "^$rep_g " "$TMP/claims.orig")"; fi
done

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
# plot.sh (run by bench.sh) draws no chart for a scenario that was not run
rep_extra=$(for rep_chart in mixed chess queue chain cancel; do [ -e "$rep_out/$rep_chart.png" ] && echo "$rep_chart"; done)
if [ -z "$rep_extra" ] && [ -f "$rep_out/REPORT.md" ] && ! grep -q '^## Scenarios' "$rep_out/REPORT.md"; then
    pass "plot.sh: no scenario chart or section without scenario runs"
else fail "plot.sh: no scenario chart or section without scenario runs" "drawn: $rep_extra"; fi
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

# net-wrk: wrk and cbench take turns against a server bench.sh starts and
# stops; without wrk, or when the server does not start, it is skipped.
rep_root="$TMP/bench-wrk"
rm -rf "$rep_root"
if QUICK=1 EXPERIMENTS=net-wrk CBENCH=tests/fixtures/fake-cbench WRK=tests/fixtures/fake-wrk RESULTS_ROOT="$rep_root" \
        scripts/bench.sh >"$TMP/bench-wrk.out" 2>&1; then pass "bench.sh net-wrk: completes"
else fail "bench.sh net-wrk: completes" "$(tail -n 5 "$TMP/bench-wrk.out")"; fi
if grep -q '^bench.sh: done in .*(0 configurations, 2 net-wrk rounds, 0 failed runs)' "$TMP/bench-wrk.out"; then
    pass "bench.sh net-wrk: the closing line counts the rounds"
else fail "bench.sh net-wrk: the closing line counts the rounds" "$(grep 'done in' "$TMP/bench-wrk.out")"; fi
rep_out=$(find "$rep_root" -mindepth 1 -maxdepth 1 -type d -name '2*' | head -n 1)
if [ -n "$rep_out" ] && [ "$(head -n 1 "$rep_out/wrk.csv")" = "round,requests_per_s,errors,exit" ] &&
        [ "$(awk -F, 'NR > 1 && $4 == 0 && $2 > 0' "$rep_out/wrk.csv" | wc -l)" -eq 2 ] &&
        [ "$(awk -F, '$1 == "net-wrk" && $NF == 0' "$rep_out/runs.csv" | wc -l)" -eq 2 ]; then
    pass "bench.sh net-wrk: 2 rounds in wrk.csv and runs.csv"
else fail "bench.sh net-wrk: 2 rounds in wrk.csv and runs.csv" "$(cat "$rep_out/wrk.csv" 2>&1)"; fi
if grep -q '^### Reference client .*' "$rep_out/REPORT.md" 2>/dev/null &&
        sed -n '/^### Reference client/,/^## /p' "$rep_out/REPORT.md" | grep -q '^\*\*met\.\*\*'; then
    pass "bench.sh net-wrk: the report judges the reference client"
else fail "bench.sh net-wrk: the report judges the reference client" "$(sed -n '/^### Reference client/,+3p' "$rep_out/REPORT.md" 2>&1)"; fi
if [ -z "$(pgrep -f 'fake-cbench serve' 2>/dev/null)" ]; then pass "bench.sh net-wrk: the server is stopped"
else fail "bench.sh net-wrk: the server is stopped" "$(pgrep -af 'fake-cbench serve')"; fi
QUICK=1 EXPERIMENTS=net-wrk CBENCH=tests/fixtures/fake-cbench WRK=/nonexistent/wrk RESULTS_ROOT="$rep_root" \
    scripts/bench.sh >"$TMP/bench-wrk2.out" 2>&1
if grep -q 'wrk is not installed: experiment net-wrk is skipped' "$TMP/bench-wrk2.out" &&
        grep -q 'net-wrk is skipped' "$rep_out-2/meta.txt" 2>/dev/null && [ ! -e "$rep_out-2/wrk.csv" ]; then
    pass "bench.sh net-wrk: no wrk -> skipped with a note"
else fail "bench.sh net-wrk: no wrk -> skipped with a note" "$(tail -n 3 "$TMP/bench-wrk2.out")"; fi
FAKE_SERVE_FAIL=1 QUICK=1 EXPERIMENTS=net-wrk CBENCH=tests/fixtures/fake-cbench WRK=tests/fixtures/fake-wrk \
    RESULTS_ROOT="$rep_root" scripts/bench.sh >"$TMP/bench-wrk3.out" 2>&1
rep_st=$?
if [ "$rep_st" -eq 0 ] && grep -q 'cbench serve did not start' "$TMP/bench-wrk3.out" && [ -d "$rep_out-3" ]; then
    pass "bench.sh net-wrk: server does not start -> skipped, the bench still completes"
else fail "bench.sh net-wrk: server does not start -> skipped" "exit $rep_st" "$(tail -n 3 "$TMP/bench-wrk3.out")"; fi

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
for rep_f in scripts/* tests/cli_report.sh tests/fixtures/fake-cbench tests/fixtures/fake-wrk tests/fixtures/make-results-small.sh; do
    [ -f "$rep_f" ] || continue
    if head -n 1 "$rep_f" | grep -q '^#!/bin/sh'; then rep_sh='sh'; else rep_sh='bash'; fi
    if "$rep_sh" -n "$rep_f" 2>"$TMP/lint.err"; then pass "$rep_sh -n $rep_f"
    else fail "$rep_sh -n $rep_f" "$(head -n 3 "$TMP/lint.err")"; fi
    if shellcheck -x "$rep_f" >"$TMP/lint.err" 2>&1; then pass "shellcheck $rep_f"
    else fail "shellcheck $rep_f" "$(head -n 5 "$TMP/lint.err")"; fi
done
