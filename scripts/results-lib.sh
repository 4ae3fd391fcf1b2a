#!/bin/bash
# results-lib.sh - reading a results folder, shared by plot.sh and report.sh.
# Sourced, not run. Everything here derives from the folder's runs.csv and
# hyperfine-*.json (written by bench.sh); nothing is assumed.
#
# results_summary DIR   one TSV line per (experiment, config) -> stdout
# results_winners FILE  per regime, the model with the most ops/s -> stdout
#
# Missing values are "-" everywhere (gnuplot: set datafile missing "-").

# Columns of results_summary, in order.
# series    the config's first word (serial fork threads threads-gil async
#           async-percore); tasks and delay_ms come from the config too, so
#           failed runs (empty metrics) still land in the right place
# samples / ok / failed   direct runs, those with exit 0 and a row, the rest
# ops_*     ops_per_s over the ok runs: mean, sample σ, min, max
# wall_*    cbench's own wall_s over the ok runs: mean, min, max
# p99_*     lat_p99_us mean and σ;  rss_* maxrss_kib mean and σ
# hf_*      hyperfine: mean and σ of the wall time (s), timed runs, failures
# exits     distinct non-zero exit statuses of the direct runs ("-" if none)
# params    cbench's params column of the first ok run (else the first run)
# checksum  the checksum of the first ok run
RESULTS_SUMMARY_COLUMNS="experiment config series tasks delay_ms samples ok failed ops_mean ops_sd ops_min ops_max wall_mean wall_min wall_max p99_mean p99_sd rss_mean rss_sd hf_mean hf_sd hf_runs hf_failed exits params checksum"

results_summary() {
    local dir=$1 f exp
    {
        for f in "$dir"/hyperfine-*.json; do
            [ -e "$f" ] || continue
            exp=${f##*/hyperfine-}
            exp=${exp%.json}
            jq -r --arg e "$exp" '.results[] | [ $e, .command, .mean, (.stddev // 0),
                (.times | length), ([ .exit_codes[]? | select(. != 0) ] | length) ] | @tsv' "$f"
        done
    } | awk -F'\t' -v OFS='\t' -v columns="$RESULTS_SUMMARY_COLUMNS" '
    # First input (phase 1): hyperfine rows, keyed by experiment and config.
    phase == 1 { hf[$1 SUBSEP $2] = $3 OFS $4 OFS $5 OFS $6; next }
    FNR == 1 {
        FS = ","; $0 = $0              # runs.csv: split this line again by commas
        for (i = 1; i <= NF; i++) col[$i] = i
        n = split(columns, head, " "); line = head[1]
        for (i = 2; i <= n; i++) line = line OFS head[i]
        print line
        next
    }
    function v(name) { return (name in col) ? $(col[name]) : "" }
    function mean(s, k) { return k ? s / k : "-" }
    function sd(s, q, k) { return k > 1 ? sqrt((q - s * s / k) > 0 ? (q - s * s / k) / (k - 1) : 0) : (k ? 0 : "-") }
    function f(x) { return x == "-" ? x : sprintf("%.6g", x) }
    {
        key = v("experiment") SUBSEP v("config")
        if (!(key in samples)) {
            order[++keys] = key
            split(v("config"), w, " "); series[key] = w[1]; delay[key] = "-"
            tasks[key] = v("tasks")
            for (i = 2; i in w; i++) {
                if (w[i] ~ /^n=/) tasks[key] = substr(w[i], 3)
                if (w[i] ~ /^delay=/) { delay[key] = substr(w[i], 7); sub(/ms$/, "", delay[key]) }
            }
            params[key] = v("params"); checksum[key] = v("checksum"); exits[key] = ""
        }
        samples[key]++
        if (v("exit") == 0 && v("ops_per_s") != "") {
            if (!ok[key]) { params[key] = v("params"); checksum[key] = v("checksum") }
            ok[key]++
            x = v("ops_per_s"); os[key] += x; oq[key] += x * x
            if (ok[key] == 1 || x < omin[key]) omin[key] = x
            if (ok[key] == 1 || x > omax[key]) omax[key] = x
            x = v("wall_s"); ws[key] += x
            if (ok[key] == 1 || x < wmin[key]) wmin[key] = x
            if (ok[key] == 1 || x > wmax[key]) wmax[key] = x
            x = v("lat_p99_us"); ps[key] += x; pq[key] += x * x
            x = v("maxrss_kib"); rs[key] += x; rq[key] += x * x
        } else if (index(" " exits[key] " ", " " v("exit") " ") == 0) {
            exits[key] = exits[key] (exits[key] == "" ? "" : " ") v("exit")
        }
    }
    END {
        for (j = 1; j <= keys; j++) {
            key = order[j]; k = ok[key] + 0
            split(key, e, SUBSEP)
            h = (key in hf) ? hf[key] : "-" OFS "-" OFS "-" OFS "-"
            print e[1], e[2], series[key], tasks[key], delay[key], samples[key], k, samples[key] - k,
                f(mean(os[key], k)), f(sd(os[key], oq[key], k)), (k ? omin[key] : "-"), (k ? omax[key] : "-"),
                f(mean(ws[key], k)), (k ? wmin[key] : "-"), (k ? wmax[key] : "-"),
                f(mean(ps[key], k)), f(sd(ps[key], pq[key], k)), f(mean(rs[key], k)), f(sd(rs[key], rq[key], k)),
                h, (exits[key] == "" ? "-" : exits[key]), (params[key] == "" ? "-" : params[key]),
                (checksum[key] == "" ? "-" : checksum[key])
        }
    }' phase=1 - phase=2 "$dir/runs.csv"
}

# results_winners SUMMARY_TSV : for every regime (experiment, tasks, delay),
# the series with the highest mean ops/s among those with ok runs, and its
# margin over the runner-up as a ratio of means, with the spread over runs:
# lo = winner's slowest run / runner-up's fastest, hi = fastest / slowest.
# threads-gil is not a candidate: it emulates Python's lock, it is not a
# choice a C program has. Columns:
# experiment tasks delay_ms winner win_ops runner runner_ops ratio lo hi candidates failed
results_winners() {
    awk -F'\t' -v OFS='\t' '
    NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    {
        key = $c["experiment"] SUBSEP $c["tasks"] SUBSEP $c["delay_ms"]
        if (!(key in n)) order[++keys] = key
        n[key] += 0
        if ($c["ok"] == 0) { failed[key] = failed[key] (failed[key] == "" ? "" : " ") $c["series"]; next }
        if ($c["series"] == "threads-gil") next
        m = ++n[key]
        s[key, m] = $c["series"]; mu[key, m] = $c["ops_mean"]
        lo[key, m] = $c["ops_min"]; hi[key, m] = $c["ops_max"]
    }
    END {
        print "experiment", "tasks", "delay_ms", "winner", "win_ops", "runner", "runner_ops",
            "ratio", "lo", "hi", "candidates", "failed"
        for (j = 1; j <= keys; j++) {
            key = order[j]; split(key, k, SUBSEP)
            if (n[key] == 0) {
                print k[1], k[2], k[3], "-", "-", "-", "-", "-", "-", "-", 0, (failed[key] == "" ? "-" : failed[key])
                continue
            }
            w = 0; r = 0
            for (m = 1; m <= n[key]; m++) {
                if (!w || mu[key, m] + 0 > mu[key, w] + 0) { r = w; w = m }
                else if (!r || mu[key, m] + 0 > mu[key, r] + 0) r = m
            }
            if (r) {
                ratio = sprintf("%.4g", mu[key, w] / mu[key, r])
                rlo = sprintf("%.4g", lo[key, w] / hi[key, r]); rhi = sprintf("%.4g", hi[key, w] / lo[key, r])
                print k[1], k[2], k[3], s[key, w], mu[key, w], s[key, r], mu[key, r], ratio, rlo, rhi,
                    n[key], (failed[key] == "" ? "-" : failed[key])
            } else {
                print k[1], k[2], k[3], s[key, w], mu[key, w], "-", "-", "-", "-", "-", 1,
                    (failed[key] == "" ? "-" : failed[key])
            }
        }
    }' "$1"
}

# meta_value DIR KEY : the value of "KEY: value" in DIR/meta.txt ("" if none)
meta_value() {
    awk -v k="$2: " 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' "$1/meta.txt" 2>/dev/null || true
}

# results_values DIR EXP XKNOB YEXPR [EXITS] : one line "series<TAB>x<TAB>y"
# per direct run of experiment EXP in DIR/runs.csv whose exit status is one
# of EXITS (default "0": successful runs only; the cancel experiment passes
# "1", its runs fail on purpose) and that printed a row (wall_s is set).
# series is the config's first word; x is the value of the config's knob
# XKNOB ("n", "chunk": "chunk=20ms" gives 20), "-" if it has none. YEXPR is
# an awk expression over the run, with these helpers; a run whose YEXPR is
# "" is left out:
#   col("name")       the CSV column of that name
#   kv("key")         the number in a "key=value" word of the note
#   after("text")     the number right after "text" in the note
#   ratio(a, b)       a / b, "" if either is "" or b is 0
# e.g. results_values DIR chain n 'ratio(col("wall_s") * 1000, after("longest chain "))'
results_values() {
    awk -F, -v OFS='\t' -v want="$2" -v knob="$3" -v exits=" ${5:-0} " '
        function col(name) { return (name in c) ? $(c[name]) : "" }
        function kv(key,   s) {
            if (!match(note, "(^|[ ;])" key "=-?[0-9.]+")) return ""
            s = substr(note, RSTART, RLENGTH); sub(/.*=/, "", s); return s
        }
        function after(text,   i, s) {
            i = index(note, text); if (!i) return ""
            s = substr(note, i + length(text))
            return match(s, /^-?[0-9]+(\.[0-9]+)?/) ? substr(s, 1, RLENGTH) : ""
        }
        function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "" : a / b }
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        col("experiment") != want || index(exits, " " col("exit") " ") == 0 || col("wall_s") == "" { next }
        {
            note = col("note")
            n = split(col("config"), w, " "); x = "-"
            for (i = 2; i <= n; i++) if (index(w[i], knob "=") == 1) { x = substr(w[i], length(knob) + 2); sub(/ms$/, "", x) }
            y = ('"$4"')
            if (y != "") print w[1], x, y
        }' "$1/runs.csv"
}

# results_medians : "series<TAB>x<TAB>y" lines (results_values) -> one line
# "series<TAB>x<TAB>median<TAB>min<TAB>max<TAB>runs" per (series, x), sorted
# by series, then x. Medians, not means: one slow run on a busy machine
# moves a mean, not a median.
results_medians() {
    sort -t "$(printf '\t')" -k1,1 -k2,2g -k3,3g | awk -F'\t' -v OFS='\t' '
        function flush() {
            if (k) print s, x, (k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2), v[1], v[k], k
        }
        $1 != s || $2 != x { flush(); s = $1; x = $2; k = 0 }
        { v[++k] = $3 + 0 }
        END { flush() }'
}
