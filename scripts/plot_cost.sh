# shellcheck shell=bash disable=SC2154  # sourced by plot.sh: dir, work, SERIES are its own
# plot_cost.sh - charts of the "what a worker costs" experiments (issue 6,
# planned by scripts/bench_cost.sh). Sourced by scripts/plot.sh once its
# helpers exist (draw, nodata, color, title, $dir, $work), then:
#
#     # shellcheck source=scripts/plot_cost.sh
#     . "$here/plot_cost.sh" && plot_cost
#
# The figures are in runs.csv's `note` column as key=value words, so they are
# read from there, not from summary.tsv. Each point is the median over the
# configuration's successful runs; error bars span the fastest to the slowest
# run (a noisy 2-core VM: medians, not means).
#
#   spawn.png      cost to create and destroy a worker vs workers, log-log;
#                  solid the model, dashed a bare C loop with all alive,
#                  dotted a bare loop one at a time
#   spawn-mem.png  memory per worker while all are alive, log-log; solid
#                  Pss (user memory), dashed kernel memory (system-wide)
#   pingpong.png   round trip of a token between two tasks, per series

# cost_values EXP KEY : "series<TAB>n<TAB>value" for each ok run of EXP whose
# note has KEY=value
cost_values() {
    awk -F, -v OFS='\t' -v want="$1" -v key="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["experiment"] != want || $c["exit"] != 0 { next }
        match($c["note"], "(^|[ ;])" key "=-?[0-9.]+") {
            v = substr($c["note"], RSTART, RLENGTH); sub(/.*=/, "", v)
            split($c["config"], w, " "); n = w[2]; sub(/^n=/, "", n)
            print w[1], n, v
        }' "$dir/runs.csv"
}

# cost_stats : "series n value" lines -> "series n median min max"
cost_stats() {
    sort -t "$(printf '\t')" -k1,1 -k2,2g -k3,3g | awk -F'\t' -v OFS='\t' '
        function flush() { if (k) print s, n, (k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2), v[1], v[k] }
        $1 != s || $2 != n { flush(); s = $1; n = $2; k = 0 }
        { v[++k] = $3 }
        END { flush() }'
}

# cost_split EXP KEY : $work/cost.EXP.KEY.SERIES.dat with "n median min max",
# positive values only (log scales)
cost_split() {
    rm -f "$work/cost.$1.$2".*.dat
    cost_values "$1" "$2" | cost_stats | awk -F'\t' -v OFS='\t' -v out="$work/cost.$1.$2" \
        '$3 > 0 { print $2, $3, ($4 > 0 ? $4 : $3), $5 > (out "." $1 ".dat") }'
}

# cost_lines EXP KEY DASHTYPE SUFFIX : ", clause" for every series file
cost_lines() {
    local s f
    for s in $SERIES; do
        f="$work/cost.$1.$2.$s.dat"
        [ -s "$f" ] || continue
        printf ", '%s' using 1:2:3:4 with yerrorlines dt %s lw 2 pt 7 ps 0.7 lc rgb '%s' title '%s%s'" \
            "$f" "$3" "$(color "$s")" "$(title "$s")" "$4"
    done
}

cost_plot_spawn() {
    local k p
    for k in worker_us bare_us bare_seq_us; do cost_split spawn "$k"; done
    p=$(cost_lines spawn worker_us 1 "")
    [ -n "$p" ] || { nodata spawn "spawn: cost per worker"; return 0; }
    p="$p$(cost_lines spawn bare_us 2 ': bare, all alive')$(cost_lines spawn bare_seq_us 3 ': bare, one at a time')"
    draw spawn 1100 600 <<EOF
set title "spawn: time to create and destroy one worker (lower is better)\nsolid: cbench's model; dashed: bare C loop, all alive at once; dotted: bare loop, one at a time"
set xlabel "workers created (N)"
set ylabel "µs per worker (median of runs; bars: min–max)"
set logscale x
set logscale y
set offsets graph 0.05, graph 0.05, 0, 0
plot ${p#, }
EOF
}

cost_plot_memory() {
    local k p
    for k in worker_kib kernel_kib; do cost_split spawn-mem "$k"; done
    p=$(cost_lines spawn-mem worker_kib 1 ": user (Pss)")
    [ -n "$p" ] || { nodata spawn-mem "spawn: memory per worker"; return 0; }
    p="$p$(cost_lines spawn-mem kernel_kib 2 ": kernel")"
    draw spawn-mem 1100 600 <<EOF
set title "spawn --hold-ms: memory per worker while all are alive (lower is better)\nsolid: Pss of all processes (shared pages counted once); dashed: kernel stacks, page tables, slab (system-wide)"
set xlabel "workers alive at once (N)"
set ylabel "KiB per worker (median of runs; bars: min–max)"
set logscale x
set logscale y
set offsets graph 0.05, graph 0.05, 0, 0
plot ${p#, }
EOF
}

cost_plot_pingpong() {
    local s i=0 xt=""
    cost_values pingpong round_trip_us | cost_stats >"$work/cost.pingpong.tsv"
    [ -s "$work/cost.pingpong.tsv" ] || { nodata pingpong "pingpong: round trip"; return 0; }
    : >"$work/cost.pingpong.dat"
    for s in fork fork-condvar threads threads-condvar threads-gil async; do
        awk -F'\t' -v OFS='\t' -v s="$s" -v i="$i" '$1 == s { print i, $3, $4, $5, "\"" s "\"" }' \
            "$work/cost.pingpong.tsv" >>"$work/cost.pingpong.dat"
        grep -q "^$i	" "$work/cost.pingpong.dat" && { xt="$xt${xt:+, }\"$s\" $i"; i=$((i + 1)); }
    done
    draw pingpong 900 520 <<EOF
set title "pingpong: one round trip of a token between two tasks (lower is better)"
set ylabel "µs per round trip (median of runs; bars: min–max)"
set xtics ($xt)
set xrange [-0.6:$i - 0.4]
set yrange [0:*]
unset key
set style fill solid 0.7 border rgb 'white'
set boxwidth 0.6
plot '$work/cost.pingpong.dat' using 1:2 with boxes lc rgb '#1f77b4', \
     '' using 1:2:3:4 with yerrorbars lc rgb '#333333' pt 7 ps 0, \
     '' using 1:(0):(sprintf("%.1f", \$2)) with labels offset 0, 0.8 textcolor rgb 'white' notitle
EOF
}

plot_cost() {
    cost_plot_spawn
    cost_plot_memory
    cost_plot_pingpong
}
