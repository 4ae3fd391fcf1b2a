#!/bin/bash
# plot.sh RESULTS_DIR - draw every chart of a bench.sh results folder with
# gnuplot (NAME.png and NAME.svg beside runs.csv), then write REPORT.md
# (scripts/report.sh). Called by `make plot RESULTS=...`.
#
# Sources, per chart:
#   sleep      wall time per model: hyperfine mean ± σ
#   cpu        speedup over serial: ratio of hyperfine means, σ propagated
#   net-slow   requests/s, p99 latency, peak memory: cbench's own metrics
#   net-fast   requests/s       (runs.csv, mean ± sample σ over the runs)
#   crossover  winning model per (connections, delay): scripts/results-lib.sh
#   spawn, spawn-mem, pingpong   what a worker costs: scripts/plot_cost.sh
#   mixed, chess, queue, chain, cancel   the scenarios: scripts/plot_scenarios.sh
# Also writes summary.tsv (per-config statistics the charts and the report
# are drawn from; derived from runs.csv and hyperfine-*.json, see
# results-lib.sh).
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/results-lib.sh disable=SC1091
. "$here/results-lib.sh"

[ $# -eq 1 ] || { echo "usage: scripts/plot.sh RESULTS_DIR" >&2; exit 2; }
dir=${1%/}
[ -f "$dir/runs.csv" ] || { echo "plot.sh: $dir/runs.csv not found" >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot is not installed (see scripts/deps.sh)" >&2; exit 2; }

work=$(mktemp -d /tmp/cbench-plot.XXXXXX)
trap 'rm -rf "$work"' EXIT

results_summary "$dir" >"$dir/summary.tsv"
results_winners "$dir/summary.tsv" >"$work/winners.tsv"
cores=$(meta_value "$dir" cores)

if gnuplot -e 'set terminal pngcairo' 2>/dev/null; then
    png_term="pngcairo enhanced font 'Sans,10'"
else
    png_term="png enhanced"
fi

# Fixed colour and name per series, so a model looks the same on every chart.
color() {
    case $1 in
        serial) echo '#666666' ;; fork) echo '#d62728' ;; threads) echo '#1f77b4' ;;
        threads-gil) echo '#ff7f0e' ;; async) echo '#2ca02c' ;; async-percore) echo '#17606b' ;;
        hybrid) echo '#9467bd' ;; *) echo '#8c564b' ;;
    esac
}
title() {
    case $1 in
        serial) echo 'serial' ;; fork) echo 'fork (process per task)' ;;
        threads) echo 'threads (pthread per task)' ;; threads-gil) echo 'threads --gil (Python-like lock)' ;;
        async) echo 'async (one libev loop)' ;; async-percore) echo "async (one loop per core${cores:+, $cores})" ;;
        hybrid) echo 'hybrid (loop + CPU thread pool)' ;; *) echo "$1" ;;
    esac
}
SERIES="serial fork threads threads-gil async async-percore hybrid"

# column EXP X Y ERR [FILTER] : TSV rows "x y err" of experiment EXP per
# series into $work/EXP.SERIES.dat, sorted by x. X, Y and ERR are awk
# expressions over the summary row, whose fields are named v["column"].
# Rows where any of them is "-" are left out (no data, e.g. failed runs).
columns() {
    local exp=$1 x=$2 y=$3 err=$4
    rm -f "$work/$exp".*.dat
    awk -F'\t' -v OFS='\t' -v want="$exp" -v out="$work/$exp" '
        NR == 1 { for (i = 1; i <= NF; i++) name[i] = $i; next }
        { for (i = 1; i <= NF; i++) v[name[i]] = $i }
        v["experiment"] != want { next }
        { X = '"$x"'; Y = '"$y"'; E = '"$err"' }
        X == "-" || Y == "-" || E == "-" || X == "" || Y == "" || E == "" { next }
        { print X, Y, E | ("sort -g > \"" out "." v["series"] ".dat\"") }
    ' "$dir/summary.tsv"
}
# plot_cmd EXP STYLE [short] : the gnuplot plot clauses for every series
# file of EXP (short: titles are the bare series names)
plot_cmd() {
    local exp=$1 style=$2 s sep="" out="" t
    for s in $SERIES; do
        [ -s "$work/$exp.$s.dat" ] || continue
        if [ "${3:-}" = short ]; then t=$s; else t=$(title "$s"); fi
        out="$out$sep'$work/$exp.$s.dat' using 1:2:3 with $style lw 2 pt 7 ps 0.8 lc rgb '$(color "$s")' title '$t'"
        sep=", "
    done
    echo "$out"
}
# logscale AXIS FILES... : "set logscale AXIS" when the values in column 1
# (x) or 2 (y) of the files span more than a factor of 20
logscale() {
    local axis=$1 c=1
    shift
    [ "$axis" = y ] && c=2
    [ $# -gt 0 ] || return 0
    cat "$@" | awk -v c="$c" -v axis="$axis" '$c > 0 { if (!n++ || $c < lo) lo = $c; if ($c > hi) hi = $c }
        END { if (n && hi / lo > 20) print "set logscale " axis }'
}
files() { local f; for f in "$work/$1".*.dat; do [ -s "$f" ] && echo "$f"; done; return 0; }

# draw NAME W H : gnuplot commands on stdin -> DIR/NAME.png and DIR/NAME.svg
draw() {
    local name=$1 w=$2 h=$3 body term
    body=$(cat)
    for term in png svg; do
        {
            if [ "$term" = png ]; then echo "set terminal $png_term size $w,$h"
            else echo "set terminal svg enhanced size $w,$h font 'Sans,10' background rgb 'white'"; fi
            echo "set output '$dir/$name.$term'"
            echo "set encoding utf8"
            echo "set grid lc rgb '#dddddd'"
            # The legend goes beside the plot, never over the data.
            echo "set key outside right top vertical Left reverse box"
            echo "set datafile separator tab"
            echo "$body"
        } | gnuplot || { echo "plot.sh: gnuplot failed on $name.$term" >&2; return 1; }
    done
    # An SVG names the data file of an untitled series; without our temporary
    # folder in it, redrawing the same data gives the same file.
    sed -i "s|$work/||g" "$dir/$name.svg"
    echo "plot.sh: $dir/$name.png, $name.svg"
}
nodata() {  # nodata NAME TITLE : a chart that says why it is empty
    draw "$1" 800 500 <<EOF
set title "$2"
unset border; unset tics; unset key; unset grid
set label 1 "not measured in this run (see meta.txt notes)" at graph 0.5, graph 0.5 center
plot [0:1][0:1] NaN notitle
EOF
}

# --- 1. sleep: wall time vs tasks --------------------------------------------
columns sleep 'v["tasks"]' 'v["hf_mean"]' 'v["hf_sd"]'
mapfile -t f < <(files sleep)
# the wait, from cbench's params ("ms=1000;...")
ms=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["experiment"] == "sleep" && match($c["params"], /(^|;)ms=[0-9.]+/) {
        s = substr($c["params"], RSTART, RLENGTH); sub(/.*ms=/, "", s); print s; exit }' "$dir/summary.tsv")
if [ ${#f[@]} -gt 0 ]; then
    draw sleep 1000 560 <<EOF
set title "sleep: N tasks each waiting ${ms:-?} ms — wall time (lower is better)"
set xlabel "tasks (N)"
set ylabel "wall time (s), hyperfine mean ± σ"
$(logscale x "${f[@]}")
$(logscale y "${f[@]}")
set yrange [0:*]
$( [ -n "$ms" ] && echo "set arrow from graph 0, first $ms/1000.0 to graph 1, first $ms/1000.0 nohead dt 2 lc rgb '#999999'
set label 'one wait' at graph 0.99, first $ms/1000.0 right offset 0, -0.8 textcolor rgb '#777777'" )
plot $(plot_cmd sleep yerrorlines)
EOF
else nodata sleep "sleep: wall time"; fi

# --- 2. cpu: speedup over serial ---------------------------------------------
# Join each series with serial at the same task count: speedup = serial mean /
# model mean, σ propagated from both (relative errors added in quadrature).
awk -F'\t' -v OFS='\t' -v out="$work/cpu" '
    NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["experiment"] != "cpu" || $c["hf_mean"] == "-" { next }
    { m[$c["series"], $c["tasks"]] = $c["hf_mean"]; s[$c["series"], $c["tasks"]] = $c["hf_sd"]
      series[$c["series"]]; tasks[$c["tasks"]] }
    END {
        for (k in series) for (n in tasks) if (((k, n) in m) && (("serial", n) in m)) {
            a = m["serial", n]; b = m[k, n]; r = a / b
            e = r * sqrt((s["serial", n] / a) ^ 2 + (s[k, n] / b) ^ 2)
            print n, r, e | ("sort -g > \"" out "." k ".dat\"")
        }
    }' "$dir/summary.tsv"
mapfile -t f < <(files cpu)
if [ ${#f[@]} -gt 0 ]; then
    ideal=""
    if [ -n "$cores" ]; then
        awk -F'\t' -v c="$cores" '{ print $1 "\t" ($1 < c ? $1 : c) "\t0" }' "${f[0]}" >"$work/ideal.dat"
        ideal=", '$work/ideal.dat' using 1:2 with lines dt 2 lw 1.5 lc rgb '#999999' title 'ideal: min(tasks, $cores cores)'"
    fi
    draw cpu 1000 560 <<EOF
set title "cpu: speedup over serial for the same tasks (higher is better)"
set xlabel "CPU-bound tasks"
set ylabel "speedup over serial (×), from hyperfine means ± σ"
set xrange [0.5:*]
set yrange [0:*]
set offsets 0, 0, graph 0.08, 0
set xtics 1
plot $(plot_cmd cpu yerrorlines)$ideal
EOF
else nodata cpu "cpu: speedup over serial"; fi

# --- 3. net-slow: requests/s, p99, memory vs connections ---------------------
columns net-slow 'v["tasks"]' 'v["ops_mean"]' 'v["ops_sd"]'
mkdir -p "$work/ops" "$work/p99" "$work/rss"
for s in "$work"/net-slow.*.dat; do [ -e "$s" ] && mv "$s" "$work/ops/"; done
columns net-slow 'v["tasks"]' '(v["p99_mean"] == "-" ? "-" : v["p99_mean"] / 1000)' '(v["p99_sd"] == "-" ? "-" : v["p99_sd"] / 1000)'
for s in "$work"/net-slow.*.dat; do [ -e "$s" ] && mv "$s" "$work/p99/"; done
columns net-slow 'v["tasks"]' '(v["rss_mean"] == "-" ? "-" : v["rss_mean"] / 1024)' '(v["rss_sd"] == "-" ? "-" : v["rss_sd"] / 1024)'
for s in "$work"/net-slow.*.dat; do [ -e "$s" ] && mv "$s" "$work/rss/"; done
mapfile -t f < <(files ops/net-slow)
if [ ${#f[@]} -gt 0 ]; then
    delay=$(awk -F'\t' 'NR > 1 && $1 == "net-slow" { print $5; exit }' "$dir/summary.tsv")
    panel() {  # panel SUBDIR YLABEL TITLE
        mapfile -t pf < <(files "$1/net-slow")
        echo "set title '$3'"
        echo "set ylabel '$2'"
        echo "unset logscale y"
        logscale x "${pf[@]}"
        logscale y "${pf[@]}"
        echo "plot $(plot_cmd "$1/net-slow" yerrorlines short)"
    }
    draw net-slow 1500 520 <<EOF
set multiplot layout 1,3 title "net, slow I/O: every request waits ${delay:-?} ms at the server (cbench metrics, mean ± σ over runs)"
set xlabel "concurrent connections"
# One legend for the three panels, centred under them.
set key at screen 0.5, screen 0.01 center bottom horizontal maxrows 1 noreverse Right box
set bmargin 5
$(panel ops "requests/s" "throughput (higher is better)")
unset key
$(panel p99 "p99 latency (ms)" "p99 latency (lower is better)")
$(panel rss "peak RSS (MiB)" "peak memory, maxrss (lower is better)")
unset multiplot
EOF
else nodata net-slow "net, slow I/O"; fi

# --- 4. net-fast: requests/s vs connections ----------------------------------
columns net-fast 'v["tasks"]' 'v["ops_mean"]' 'v["ops_sd"]'
mapfile -t f < <(files net-fast)
if [ ${#f[@]} -gt 0 ]; then
    draw net-fast 1000 560 <<EOF
set title "net, fast I/O (no server delay): throughput (higher is better)"
set xlabel "concurrent connections"
set ylabel "requests/s (cbench, mean ± σ over runs)"
set logscale x 2
set yrange [0:*]
plot $(plot_cmd net-fast yerrorlines)
EOF
else nodata net-fast "net, fast I/O"; fi

# --- 5. crossover: winner per (connections, delay) ---------------------------
# One cell per (connections, delay): coloured by the winning model, labelled
# with its margin over the runner-up (ratio of mean requests/s).
awk -F'\t' -v OFS='\t' '
    NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["experiment"] == "crossover" { print $c["tasks"], $c["delay_ms"], $c["winner"], $c["ratio"], $c["runner"], $c["lo"] }
' "$work/winners.tsv" >"$work/cells.tsv"
if [ -s "$work/cells.tsv" ]; then
    # Positions on categorical axes, colours as integers for "lc rgb variable".
    cut -f1 "$work/cells.tsv" | sort -gu | awk '{ print $1 "\t" NR - 1 }' >"$work/ypos.tsv"
    cut -f2 "$work/cells.tsv" | sort -gu | awk '{ print $1 "\t" NR - 1 }' >"$work/xpos.tsv"
    colors=""
    for s in $SERIES; do colors="$colors $s=$(color "$s")"; done
    awk -F'\t' -v OFS='\t' -v colors="$colors" '
        FILENAME ~ /ypos/ { y[$1] = $2; next }
        FILENAME ~ /xpos/ { x[$1] = $2; next }
        BEGIN { n = split(colors, a, " "); for (i = 1; i <= n; i++) { split(a[i], kv, "=")
                rgb[kv[1]] = kv[2] } }
        function hex(h,   i, v) { v = 0; h = tolower(substr(h, 2))
            for (i = 1; i <= 6; i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1; return v }
        {
            col = ($3 in rgb) ? hex(rgb[$3]) : hex("#ffffff")
            margin = $4 == "-" ? "only model" : sprintf("%.2fx vs %s", $4, $5)
            if ($6 != "-" && $6 + 0 <= 1) margin = margin " (overlap)"
            print x[$2], y[$1], col, "\"" $3 "\"", "\"" margin "\""
        }' "$work/ypos.tsv" "$work/xpos.tsv" "$work/cells.tsv" >"$work/grid.dat"
    xt=$(awk -F'\t' '{ printf "%s\"%s\" %s", (NR > 1 ? ", " : ""), $1, $2 }' "$work/xpos.tsv")
    yt=$(awk -F'\t' '{ printf "%s\"%s\" %s", (NR > 1 ? ", " : ""), $1, $2 }' "$work/ypos.tsv")
    nx=$(wc -l <"$work/xpos.tsv")
    ny=$(wc -l <"$work/ypos.tsv")
    keys=""
    for s in $SERIES; do
        cut -f3 "$work/cells.tsv" | grep -qx -- "$s" || continue
        keys="$keys, keyentry with boxes fs solid 0.75 lc rgb '$(color "$s")' title '$(title "$s")'"
    done
    draw crossover 1100 640 <<EOF
set title "crossover: which model serves the most requests/s\n(cell label: winner, and its margin over the runner-up as a ratio of means)"
set xlabel "server delay per request (ms)"
set ylabel "concurrent connections"
set xtics ($xt)
set ytics ($yt)
set xrange [-0.5:$nx - 0.5]
set yrange [-0.5:$ny - 0.5]
unset grid
set style fill solid 0.75 border rgb 'white'
plot '$work/grid.dat' using 1:2:(0.5):(0.5):3 with boxxyerror lc rgb variable notitle, \
     '' using 1:(\$2 + 0.1):4 with labels font ',11' notitle, \
     '' using 1:(\$2 - 0.15):5 with labels font ',8' notitle$keys
EOF
else nodata crossover "crossover: which model wins"; fi

# shellcheck source=scripts/plot_cost.sh
. "$here/plot_cost.sh" && plot_cost
# shellcheck source=scripts/plot_scenarios.sh
. "$here/plot_scenarios.sh" && plot_scenarios
"$here/report.sh" "$dir"
