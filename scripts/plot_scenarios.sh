# shellcheck shell=bash disable=SC2154  # sourced by plot.sh: dir, work are its own
# plot_scenarios.sh - charts of the classic scenarios (issue 7, planned by
# scripts/bench_scenarios.sh). Sourced by scripts/plot.sh once its helpers
# exist (draw, color, title, logscale, $dir, $work) and results-lib.sh is
# loaded, then:
#
#     # shellcheck source=scripts/plot_scenarios.sh
#     . "$here/plot_scenarios.sh" && plot_scenarios
#
# Every figure is cbench's own, from runs.csv (results_values): each point is
# the median over the configuration's runs, error bars span the lowest to
# the highest run. Only runs with exit 0 count, except in cancel, whose runs
# exit 1 by design (a task fails on purpose): there the runs with exit 1
# that cancelled at least one task count. A chart whose experiment has no
# usable run is not drawn (REPORT.md then has no section for it).
#
#   mixed.png   p99 lateness of the I/O waits vs CPU chunk, per series; the
#               I/O-only runs (async-io, hybrid-io) as horizontal floors
#   chess.png   wall time per series, with the theoretical times from the note
#   queue.png   items/s, and hand-off latency p50 / p99, per series
#   chain.png   wall time / longest chain (from the note) per series and n
#   cancel.png  time from the failure to every task stopped vs tasks, log-log

SCEN_SERIES="serial fork threads threads-gil async hybrid"

# scen_split NAME EXP KNOB YEXPR [EXITS] : $work/scen.NAME.SERIES.dat, lines
# "x median min max runs" (see results_values for KNOB, YEXPR, EXITS)
scen_split() {
    local name=$1
    shift
    rm -f "$work/scen.$name".*.dat
    results_values "$dir" "$@" | results_medians |
        awk -F'\t' -v OFS='\t' -v out="$work/scen.$name" '{ print $2, $3, $4, $5, $6 > (out "." $1 ".dat") }'
}
scen_has() { [ -s "$work/scen.$1.$2.dat" ]; }   # scen_has NAME SERIES
# scen_first EXP YEXPR : YEXPR of the first successful run of EXP ("" if none)
# (reads to the end: an early exit would break the pipe under pipefail)
scen_first() { results_values "$dir" "$1" n "$2" | awk -F'\t' 'NR == 1 { v = $3 } END { print v }'; }

# scen_categories NAME : $work/scen.NAME.cat with "position median min max
# series colour" for each series of SCEN_SERIES that has data (its first x
# only; colour as an integer, for gnuplot's "lc rgb variable"); sets
# scen_xtics (gnuplot xtics) and scen_count
scen_categories() {
    local s c i=0
    : >"$work/scen.$1.cat"
    scen_xtics=""
    for s in $SCEN_SERIES; do
        scen_has "$1" "$s" || continue
        c=$(color "$s")
        awk -F'\t' -v OFS='\t' -v i="$i" -v s="$s" -v c="$((16#${c#\#}))" 'NR == 1 { print i, $2, $3, $4, s, c }' \
            "$work/scen.$1.$s.dat" >>"$work/scen.$1.cat"
        scen_xtics="$scen_xtics${scen_xtics:+, }\"$s\" $i"
        i=$((i + 1))
    done
    scen_count=$i
}

# --- mixed: does CPU work delay the I/O? ----------------------------------------
scen_plot_mixed() {
    local s p="" f floors="" what
    local -a fs
    scen_split mixed mixed chunk '(col("lat_p99_us") == "" ? "" : col("lat_p99_us") / 1000)'
    for s in $SCEN_SERIES; do
        f="$work/scen.mixed.$s.dat"
        [ -s "$f" ] || continue
        p="$p, '$f' using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.9 lc rgb '$(color "$s")' title '$(title "$s")'"
    done
    [ -n "$p" ] || return 0
    # The floors: the same I/O tasks without CPU tasks (config chunk=0ms).
    for s in async hybrid; do
        f="$work/scen.mixed.$s-io.dat"
        [ -s "$f" ] || continue
        floors="$floors, $(awk 'NR == 1 { print $2 }' "$f") with lines dt 2 lw 1.5 lc rgb '$(color "$s")' title '$s-io: no CPU tasks (the floor)'"
    done
    mapfile -t fs < <(for s in $SCEN_SERIES; do scen_has mixed "$s" && echo "$work/scen.mixed.$s.dat"; done
        for s in async-io hybrid-io; do scen_has mixed "$s" && echo "$work/scen.mixed.$s.dat"; done)
    # "10 I/O tasks (1 ms waits) beside 2 CPU tasks", from a run with CPU tasks
    what='match(note, /lateness of [0-9]+ I\/O tasks. [0-9.]+ ms waits; [0-9]+ CPU tasks/) ? substr(note, RSTART, RLENGTH) : ""'
    what=$(scen_first mixed "(col(\"config\") ~ /-io / ? \"\" : ($what))" | awk '{ printf "%s I/O tasks (%s ms waits) beside %s CPU tasks", $3, $6, $9 }')
    draw mixed 1100 600 <<EOF
set title "mixed: ${what:-I/O tasks beside CPU tasks} — how late do the I/O waits end? (lower is better)\nCPU tasks compute in chunks and yield between them; dotted: p99 = one chunk"
set xlabel "CPU chunk between two yields (ms)"
set ylabel "p99 lateness of the I/O waits (ms; median of runs, bars: min–max)"
$(logscale y "${fs[@]}")
set xrange [0:*]
set offsets 0, graph 0.05, 0, 0
plot ${p#, }$floors, x with lines dt 3 lw 1.5 lc rgb '#999999' title 'one chunk (p99 = chunk)'
EOF
}

# --- chess: one expert against 24 boards -----------------------------------------
scen_plot_chess() {
    local theory="" serial loop multi cores_n ymax ymin logy="" boards ratio
    scen_split chess chess n 'col("wall_s")'
    scen_categories chess
    [ "$scen_count" -gt 0 ] || return 0
    serial=$(scen_first chess 'after("theory: serial ")')
    loop=$(scen_first chess 'after("one loop ")')
    multi=$(scen_first chess 'after(" cores ")')
    cores_n=$(scen_first chess '(match(note, /[0-9]+ cores /) ? substr(note, RSTART, RLENGTH) + 0 : "")')
    [ -n "$serial" ] && theory="$theory, $serial with lines dt 2 lw 1.5 lc rgb '#666666' title 'theory: serial, $serial s'"
    [ -n "$loop" ] && theory="$theory, $loop with lines dt 2 lw 1.5 lc rgb '#2ca02c' title 'theory: one expert (one loop), $loop s'"
    [ -n "$multi" ] && theory="$theory, $multi with lines dt 4 lw 1.5 lc rgb '#1f77b4' title 'theory: ${cores_n:-C} experts (cores), $multi s'"
    # Log scale when the times, theory included, span more than 20x.
    ymax=$(awk -F'\t' -v a="$serial" -v b="$loop" -v c="$multi" '{ m = $4 > m ? $4 : m }
        END { if (a > m) m = a; if (b > m) m = b; if (c > m) m = c; print m }' "$work/scen.chess.cat")
    ymin=$(awk -F'\t' -v a="$serial" -v b="$loop" -v c="$multi" 'NR == 1 || $3 < m { m = $3 }
        END { if (a != "" && a < m) m = a; if (b != "" && b < m) m = b; if (c != "" && c < m) m = c; print m }' "$work/scen.chess.cat")
    awk -v a="$ymax" -v b="$ymin" 'BEGIN { exit !(b > 0 && a / b > 20) }' && logy="set logscale y"
    boards=$(scen_first chess 'col("tasks")')
    ratio=$(awk -F'\t' '$5 == "serial" { s = $2 } $5 == "async" { a = $2 }
        END { if (s && a) printf "serial / async %.2f×", s / a }' "$work/scen.chess.cat")
    [ -n "$ratio" ] && [ -n "$serial" ] && [ -n "$loop" ] &&
        ratio="$ratio (theory $(awk -v a="$serial" -v b="$loop" 'BEGIN { printf "%.2f", a / b }')×, the seed's 12×)"
    draw chess 1100 560 <<EOF
set title "chess: one expert plays ${boards:-?} boards; her moves are CPU work, the replies waits — wall time (lower is better)\n${ratio:+$ratio — }dashed: the theoretical times in the workload's note"
set ylabel "wall time (s; median of runs, bars: min–max)"
set xtics ($scen_xtics)
set xrange [-0.6:$scen_count - 0.25]
${logy:-set yrange [0:*]}
set style textbox opaque noborder
plot '$work/scen.chess.cat' using 1:2:3:4:6 with yerrorbars pt 7 ps 1.6 lw 2 lc rgb variable notitle, \
     '' using 1:2:(sprintf('%.3f s', \$2)) with labels boxed offset 5, 0 font ',9' notitle$theory
EOF
}

# --- queue: producers and consumers through a bounded pipe -----------------------
scen_plot_queue() {
    local s q n xt what
    scen_split queue queue n 'col("ops_per_s")'
    scen_categories queue
    [ "$scen_count" -gt 0 ] || return 0
    # Hand-off latency, p50 and p99 in ms, beside each other per series.
    for q in 50 99; do
        scen_split "queue-p$q" queue n "(col(\"lat_p${q}_us\") == \"\" ? \"\" : col(\"lat_p${q}_us\") / 1000)"
        awk -F'\t' -v OFS='\t' -v q="$q" -v dir="$work/scen.queue-p$q" '{ s = $5; c = $6
            if ((getline line < (dir "." s ".dat")) <= 0) next
            split(line, v, "\t"); print $1 + (q == 50 ? -0.13 : 0.13), v[2], v[3], v[4], s, c }' \
            "$work/scen.queue.cat" >"$work/scen.queue-p$q.cat"
    done
    xt=$scen_xtics n=$scen_count
    what='(match(note, /[0-9]+ producers; [0-9]+ consumers; [0-9]+ items through a pipe of [0-9]+/) ? substr(note, RSTART, RLENGTH) : "")'
    what=$(scen_first queue "$what" | sed 's/;/,/g')
    draw queue 1300 540 <<EOF
set multiplot layout 1,2 title "queue: ${what:-producers put items into a bounded pipe, consumers take them} (median of runs, bars: min–max)"
set xtics ($xt)
set xrange [-0.6:$n - 0.4]
unset key
set title "throughput (higher is better)"
set ylabel "items taken per second"
set yrange [0:*]
set style fill solid 0.7 border rgb 'white'
set boxwidth 0.6
plot '$work/scen.queue.cat' using 1:2:6 with boxes lc rgb variable, \
     '' using 1:2:3:4 with yerrorbars lc rgb '#333333' pt 7 ps 0, \
     '' using 1:(\$2 / 2):(sprintf("%.0fk", \$2 / 1000)) with labels textcolor rgb 'white' font ',10'
set title "hand-off latency, put to take (lower is better)"
set ylabel "latency (ms): open circle p50, filled p99"
set autoscale y
$(logscale y "$work/scen.queue-p50.cat" "$work/scen.queue-p99.cat")
set key inside top left box
plot '$work/scen.queue-p50.cat' using 1:2:3:4:6 with yerrorbars pt 6 ps 1.4 lw 2 lc rgb variable notitle, \
     '$work/scen.queue-p99.cat' using 1:2:3:4:6 with yerrorbars pt 7 ps 1.4 lw 2 lc rgb variable notitle, \
     NaN with points pt 6 lc rgb '#333333' title 'p50', NaN with points pt 7 lc rgb '#333333' title 'p99'
unset multiplot
EOF
}

# --- chain: chains of dependent waits ------------------------------------------
scen_plot_chain() {
    local s n i=0 k=0 off m xt="" p="" sum longest lo hi sp="" st="" left=0
    local -a ns colors=('#1f77b4' '#d62728' '#2ca02c' '#9467bd' '#8c564b')
    scen_split chain chain n 'ratio(col("wall_s") * 1000, after("longest chain "))'
    scen_split chain-timed chain n 'ratio(col("lat_max_us") / 1000, after("longest chain "))'
    # Concurrent models on the right, positions 0.. per series, one slot per
    # chain count inside; serial (~ the sum) on its own panel on the left,
    # so that the 5 % that matter on the right stay readable.
    : >"$work/scen.chain.all"
    for s in $SCEN_SERIES; do
        if [ "$s" = serial ] || ! scen_has chain "$s"; then continue; fi
        awk -F'\t' -v OFS='\t' -v i="$i" '{ print i, $1, $2, $3, $4, "wall" }' "$work/scen.chain.$s.dat" >>"$work/scen.chain.all"
        if [ -s "$work/scen.chain-timed.$s.dat" ]; then
            awk -F'\t' -v OFS='\t' -v i="$i" '{ print i, $1, $2, $3, $4, "timed" }' "$work/scen.chain-timed.$s.dat" >>"$work/scen.chain.all"
        fi
        xt="$xt${xt:+, }\"$s\" $i"
        i=$((i + 1))
    done
    [ "$i" -gt 0 ] || scen_has chain serial || return 0
    mapfile -t ns < <({ cut -f2 "$work/scen.chain.all"; cut -f1 "$work/scen.chain.serial.dat" 2>/dev/null; } | sort -gu)
    m=${#ns[@]}
    for n in "${ns[@]}"; do
        off=$(awk -v k="$k" -v m="$m" 'BEGIN { print (k - (m - 1) / 2) * 0.25 }')
        awk -F'\t' -v OFS='\t' -v n="$n" -v o="$off" '$2 == n && $6 == "wall" { print $1 + o, $3, $4, $5 }' \
            "$work/scen.chain.all" >"$work/scen.chain.n$n"
        awk -F'\t' -v OFS='\t' -v n="$n" -v o="$off" '$2 == n && $6 == "timed" { print $1 + o, $3, $4, $5 }' \
            "$work/scen.chain.all" >"$work/scen.chain.t$n"
        if [ -s "$work/scen.chain.n$n" ]; then
            p="$p, '$work/scen.chain.n$n' using 1:2:3:4 with yerrorbars pt 7 ps 1.3 lw 2 lc rgb '${colors[k % 5]}' title '$n chains: wall time / longest chain'"
            p="$p, '' using 1:4:(sprintf('%.3f', \$2)) with labels boxed offset 0, 0.8 font ',8' textcolor rgb '${colors[k % 5]}' notitle"
        fi
        if [ -s "$work/scen.chain.t$n" ]; then
            p="$p, '$work/scen.chain.t$n' using 1:2 with points pt 6 ps 1.3 lw 1.5 lc rgb '${colors[k % 5]}' title '$n chains: its slowest chain as the tasks timed it'"
        fi
        # serial: measured, and in theory all chains in a row / the longest
        if awk -F'\t' -v n="$n" '$1 == n { f = 1 } END { exit !f }' "$work/scen.chain.serial.dat" 2>/dev/null; then
            sum=$(results_values "$dir" chain n 'after("all chains in a row ")' | awk -F'\t' -v n="$n" '$2 == n && v == "" { v = $3 } END { print v }')
            longest=$(results_values "$dir" chain n 'after("longest chain ")' | awk -F'\t' -v n="$n" '$2 == n && v == "" { v = $3 } END { print v }')
            awk -F'\t' -v OFS='\t' -v n="$n" -v l="$left" -v a="$sum" -v b="$longest" -v c="${colors[k % 5]}" \
                '$1 == n { print l, $2, $3, $4, (a != "" && b + 0 > 0 ? a / b : "NaN"), n " chains", c }' \
                "$work/scen.chain.serial.dat" >"$work/scen.chain.s$n"
            sp="$sp, '$work/scen.chain.s$n' using 1:2:3:4 with yerrorbars pt 7 ps 1.3 lw 2 lc rgb '${colors[k % 5]}' notitle"
            sp="$sp, '' using 1:5 with points pt 5 ps 1.1 lc rgb '#999999' notitle"
            sp="$sp, '' using 1:2:(sprintf('%.2f', \$2)) with labels offset 4, 0 font ',8' notitle"
            st="$st${st:+, }\"$n chains\" $left"
            left=$((left + 1))
        fi
        k=$((k + 1))
    done
    lo=$(awk -F'\t' 'NR == 1 || $4 < m { m = $4 } END { print (m < 0.98 ? m - 0.02 : 0.98) }' "$work/scen.chain.all")
    hi=$(awk -F'\t' '$5 > m { m = $5 } END { print (m < 1.08 ? 1.08 : m * 1.03) }' "$work/scen.chain.all")
    draw chain 1100 620 < <(
        printf '%s\n' 'set multiplot title "chain: every task waits a chain of dependent steps (seeded 1–20 ms): wall time over the longest chain\n1 = the run took as long as its longest chain, the most a concurrent model can do; serial takes the sum (median of runs, bars: min–max)"'
        echo "set key at screen 0.5, screen 0.01 center bottom horizontal maxrows 3 noreverse Right box"
        echo "set style textbox opaque noborder"
        if [ "$left" -gt 0 ]; then
            echo "set origin 0, 0.17; set size 0.24, 0.73"
            echo "set title 'serial (square: sum / longest, theory)'"
            echo "set ylabel 'wall time / longest chain (×)'"
            echo "set xtics ($st)"
            echo "set xrange [-0.6:$left - 0.4]"
            echo "set yrange [0:*]"
            echo "set offsets 0, 0, graph 0.12, 0"
            echo "plot ${sp#, }"
            echo "set offsets 0, 0, 0, 0"
            echo "set origin 0.24, 0.17; set size 0.76, 0.73"
        else
            echo "set origin 0, 0.17; set size 1, 0.73"
        fi
        echo "set ylabel 'wall time / longest chain (×)'"
        if [ "$i" -gt 0 ]; then
            echo "set title 'concurrent models'"
            echo "set xtics ($xt)"
            echo "set xrange [-0.6:$i - 0.4]"
            echo "set yrange [$lo:$hi]"
            echo "plot ${p#, }, 1 with lines lw 1 lc rgb '#333333' title 'the longest chain', 1.05 with lines dt 3 lw 1.5 lc rgb '#333333' title '+5 %'"
        fi
        echo "unset multiplot"
    )
}

# --- cancel: one task fails, the others are cancelled ------------------------------
scen_plot_cancel() {
    local s p="" f
    scen_split cancel cancel n '(col("cancelled") + 0 > 0 && col("cancel_ms") + 0 > 0 ? col("cancel_ms") : "")' 1
    for s in $SCEN_SERIES; do
        f="$work/scen.cancel.$s.dat"
        [ -s "$f" ] || continue
        p="$p, '$f' using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.9 lc rgb '$(color "$s")' title '$(title "$s")'"
    done
    [ -n "$p" ] || return 0
    draw cancel 1000 560 <<EOF
set title "cancel: the last task fails at once, the others (waiting) are cancelled — time to stop them all (lower is better)\nthese runs exit 1 by design"
set xlabel "tasks (N)"
set ylabel "failure → all stopped (ms; median of runs, bars: min–max)"
set logscale x
set logscale y
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot ${p#, }
EOF
}

plot_scenarios() {
    scen_plot_mixed
    scen_plot_chess
    scen_plot_queue
    scen_plot_chain
    scen_plot_cancel
}
