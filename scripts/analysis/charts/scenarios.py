"""The charts of the classic scenarios (mixed, chess, queue, chain) and the generic
bar chart of any other experiment (net-hide, net-wrk).
"""

from .blocks import (
    Chart, DataFile, N_CAPTION, Points, RUN_DOT, categories, category_clauses, counts,
    dots_caption, failed_caption, failed_label, fmt, jitter, knob_number, line_clauses,
    median, median_value, q, ratio_of, rounds_text, run_key, series_label, short, spans,
    value_of, xtics_of)


def chart_mixed(results, sty):
    exp = "mixed"
    name = "io_p99_late_us"
    if not any(r.experiment == exp and name in r.metrics for r in results.runs):
        name = "lat_p99_us"
    pts = Points(results, exp, value_of(name, 1e-3), x=lambda r: knob_number(r.knobs.get("chunk")))
    if not pts:
        return None
    # Series measured only without CPU chunks (chunk 0: the I/O tasks alone)
    # are floors, drawn as horizontal lines.
    floors = {s: v for s, v in pts.by.items() if set(v) == {0.0}}
    lines = pts.without(floors)
    df = DataFile(f"{exp}.dat")
    n = rounds_text(pts.counts())
    clauses = line_clauses(df, sty, lines) if lines.by else []
    for s in sty.order(floors):
        m = median([y for _, y in floors[s][0.0]])
        clauses.append(f"{fmt(m)} with lines dt 2 lw 1.5 lc rgb '{sty.color(s)}' "
                       f"title {q(f'{s}: no CPU tasks (the floor)')}")
    clauses.append("x with lines dt 3 lw 1.5 lc rgb '#999999' title 'one chunk (p99 = chunk)'")
    clauses.append(run_key())
    cpu = median_value(results, exp, "cpu_tasks", accept=lambda r: r.valid and r.value("cpu_tasks"))
    what = f"I/O tasks beside {cpu:.0f} CPU tasks" if cpu else "I/O tasks beside CPU tasks"
    body = "\n".join(b for b in [
        f"set title {q(f'mixed: {what}: how late do the I/O waits end? (lower is better; {n} rounds per point)' + chr(10) + 'CPU tasks compute in chunks and yield between them; dotted: p99 = one chunk')}",
        "set xlabel 'CPU chunk between two yields (ms)'",
        "set ylabel 'p99 lateness of the I/O waits (ms)'",
        "set logscale y" if spans(pts.ys()) else "set yrange [0:*]",
        "set xrange [0:*]", "set offsets 0, graph 0.05, graph 0.05, graph 0.05",
        failed_label(pts.failed),
        "plot " + ", \\\n     ".join(clauses)])
    return Chart(exp, "mixed: lateness of I/O waits beside CPU work",
                 f"p99 lateness of the I/O tasks' waits (ms) against the CPU chunk that CPU tasks "
                 f"compute between two yields (lower is better); dashed: the same I/O tasks with "
                 f"no CPU tasks. {dots_caption(n)}{failed_caption(pts.failed)}",
                 body, df, 1100, 600)


def chart_chess(results, sty):
    exp = "chess"
    items, pts = categories(results, sty, exp, value_of("wall_s"), label=series_label(results, exp))
    if not items:
        return None
    df = DataFile(f"{exp}.dat")
    n = rounds_text(pts.counts())
    theory = []
    serial = median_value(results, exp, "theory_serial_s")
    loop = median_value(results, exp, "theory_async_s")
    ratio = median_value(results, exp, "theory_ratio")
    if serial:
        theory.append(f"{fmt(serial)} with lines dt 2 lw 1.5 lc rgb '#666666' "
                      f"title {q(f'theory: one board after another, {short(serial)} s')}")
    if loop:
        theory.append(f"{fmt(loop)} with lines dt 4 lw 1.5 lc rgb '#333333' "
                      f"title {q(f'theory: one expert, waits overlapped, {short(loop)} s')}")
    boards = median_value(results, exp, "tasks")
    ys = pts.ys() + [v for v in (serial, loop) if v]
    heading = (f"chess: one expert plays {boards:.0f} boards (moves: CPU work; replies: waits), "
               f"wall time (lower is better; {n} rounds per marker)") if boards else \
        f"chess: wall time (lower is better; {n} rounds per marker)"
    heading += "\ndashed: the theoretical times from the run's own move and reply times"
    if ratio:
        heading += f" (ratio {ratio:.1f}×)"
    body = "\n".join(b for b in [
        f"set title {q(heading)}", "set ylabel 'wall time (s)'", xtics_of(items),
        f"set xrange [-0.6:{len(items) - 0.2}]",
        "set logscale y" if spans(ys) else "set yrange [0:*]",
        "set offsets 0, 0, 0, 0", failed_label(pts.failed),
        "plot " + ", \\\n     ".join(category_clauses(df, items, bars=False) + theory + [run_key()])])
    return Chart(exp, "chess: one expert against many boards",
                 "Wall time of one expert playing every board, per model (s; lower is better); "
                 "dashed: the theoretical times computed from the run's own move and reply times. "
                 f"Large marker: the median; dots: each valid run. {N_CAPTION}here {n}."
                 f"{failed_caption(pts.failed)}", body, df, 1100, 560)


def chart_queue(results, sty):
    exp = "queue"
    label = series_label(results, exp)
    items, pts = categories(results, sty, exp, value_of("ops_per_s"), label=label)
    if not items:
        return None
    df = DataFile(f"{exp}.dat")
    n = rounds_text(pts.counts())
    p50n = "handoff_p50_us" if any("handoff_p50_us" in r.metrics for r in results.runs) else "lat_p50_us"
    p99n = "handoff_p99_us" if any("handoff_p99_us" in r.metrics for r in results.runs) else "lat_p99_us"
    lat = []
    ys = []
    for pct, name, point, off in (("p50", p50n, 6, -0.13), ("p99", p99n, 7, 0.13)):
        its, _ = categories(results, sty, exp, value_of(name, 1e-3), label=label)
        pos = {what: x for x, _, _, what in items}
        its = [(pos[w], c, v, f"{w} {pct}") for _, c, v, w in its if w in pos]
        ys += [y for _, _, v, _ in its for y in v]
        lat += category_clauses(df, its, bars=False, offset=off, point=point,
                                label_fmt=None)
        lat.append(f"keyentry with points pt {point} ps 1.4 lc rgb '#333333' title {q(pct)}")
    prod = median_value(results, exp, "producers")
    cons = median_value(results, exp, "consumers")
    what = f"{prod:.0f} producers, {cons:.0f} consumers" if prod and cons else "producers and consumers"
    body = "\n".join(b for b in [
        f"set multiplot layout 1,2 title {q(f'queue: {what} through a bounded pipe ({n} rounds per bar; dots: each run)')}",
        xtics_of(items), f"set xrange [-0.6:{len(items) - 0.4}]", "unset key",
        "set title 'throughput (higher is better)'", "set ylabel 'items taken per second'",
        "set yrange [0:*]", "set offsets 0, 0, graph 0.1, 0", "set boxwidth 0.6",
        failed_label(pts.failed),
        "plot " + ", \\\n     ".join(category_clauses(df, items)),
        "unset label 99",
        "set title 'hand-off latency, put to take (lower is better)'",
        "set ylabel 'latency (ms): open circle p50, filled p99'",
        "set autoscale y", "set logscale y" if spans(ys) else "set yrange [0:*]",
        "set offsets 0, 0, graph 0.05, 0" if not spans(ys) else "set offsets 0, 0, 0, 0",
        "set key inside top left box",
        "plot " + ", \\\n     ".join(lat),
        "unset multiplot"])
    return Chart(exp, "queue: throughput and hand-off latency",
                 "Items per second through a bounded queue (a pipe) and the hand-off latency "
                 "from put to take (ms; open circles p50, filled p99), per model. Bar or large "
                 f"marker: the median; dots: each valid run. {N_CAPTION}here {n}."
                 f"{failed_caption(pts.failed)}", body, df, 1300, 540)


def chart_chain(results, sty):
    exp = "chain"
    wall = Points(results, exp, ratio_of("wall_s", "longest_chain_ms", 1000.0))
    if not wall:
        return None
    timed = Points(results, exp, ratio_of("slowest_chain_ms", "longest_chain_ms"))
    df = DataFile(f"{exp}.dat")
    n = rounds_text(wall.counts())
    ns = wall.xs()
    point_of = {x: (7, 5, 9, 13, 11)[k % 5] for k, x in enumerate(ns)}
    open_of = {7: 6, 5: 4, 9: 8, 13: 12, 11: 10}
    # Series far above 1 (one chain after another) get their own panel on the
    # left, so that the few percent that matter on the right stay readable.
    seq = [s for s in wall.by if median([y for v in wall.by[s].values() for _, y in v]) > 1.5]
    conc = [s for s in wall.by if s not in seq]

    def panel(series, left):
        series = sty.order(series)
        clauses, lo, hi = [], [], []
        for i, s in enumerate(series):
            color = sty.color(s)
            for k, x in enumerate(ns):
                if x not in wall.by[s]:
                    continue
                off = jitter(k, len(ns), 0.5)
                vals = [y for _, y in sorted(wall.by[s][x])]
                lo += vals
                hi += vals
                med = df.add(f"{s} n={fmt(x)}: position, median wall/longest, label",
                             [(i + off, median(vals), "%.3f" % median(vals))])
                runs = df.add(f"{s} n={fmt(x)}: each run", [(i + off + jitter(j, len(vals), 0.1), v)
                                                             for j, v in enumerate(vals)])
                clauses.append(f"{med} using 1:2 with points pt {point_of[x]} ps 1.6 lc rgb '{color}' notitle")
                clauses.append(f"{runs} using 1:2 with points {RUN_DOT} lc rgb '{color}' notitle")
                clauses.append(f"{med} using 1:2:3 with labels offset 0, 1.1 font ',8' notitle")
                if timed and s in timed.by and x in timed.by[s]:
                    tv = [y for _, y in sorted(timed.by[s][x])]
                    hi += tv
                    ref = df.add(f"{s} n={fmt(x)}: position, median slowest/longest", [(i + off, median(tv))])
                    clauses.append(f"{ref} using 1:2 with points pt {open_of[point_of[x]]} ps 1.6 lw 1.5 "
                                   f"lc rgb '{color}' notitle")
        xt = ", ".join(f"{q(s)} {i}" for i, s in enumerate(series))
        out = [f"set xtics ({xt})", f"set xrange [-0.6:{len(series) - 0.4}]"]
        if left:
            out.append("set yrange [0:*]")
            out.append("set offsets 0, 0, graph 0.12, 0")
        else:
            out.append(f"set yrange [{fmt(min(min(lo) - 0.02, 0.98))}:{fmt(max(max(hi) * 1.03, 1.08))}]")
            out.append("set offsets 0, 0, 0, 0")
            clauses.append("1 with lines lw 1 lc rgb '#333333' title 'the longest chain'")
            clauses.append("1.05 with lines dt 3 lw 1.5 lc rgb '#333333' title '+5 %'")
        return out, clauses

    keys = [f"keyentry with points pt {point_of[x]} ps 1.4 lc rgb '#333333' "
            f"title {q(f'{fmt(x)} chains: wall time')}" for x in ns]
    if timed:
        keys += [f"keyentry with points pt {open_of[point_of[x]]} ps 1.4 lc rgb '#333333' "
                 f"title {q(f'{fmt(x)} chains: slowest, as timed')}" for x in ns]
    keys.append(run_key())
    body = [f"set multiplot title {q(f'chain: every task waits a chain of dependent steps: wall time over the longest chain ({n} rounds per marker)' + chr(10) + '1 = the run took as long as its longest chain, the most a concurrent model can do')}",
            "set key at screen 0.5, screen 0.01 center bottom horizontal maxcols 3 maxrows 3 noreverse Right box",
            "set ylabel 'wall time / longest chain (×)'",
            failed_label(wall.failed, "at screen 0.01, screen 0.19")]
    if seq:
        p, c = panel(seq, True)
        body += ["set origin 0, 0.2", "set size %s, 0.7" % ("0.26" if conc else "1"),
                 "set title 'one chain after another'"] + p
        if not conc:
            c += keys
        else:
            body.append("unset key")
        body.append("plot " + ", \\\n     ".join(c))
        body.append("unset label 99")
        body.append("set key at screen 0.5, screen 0.01 center bottom horizontal maxcols 3 maxrows 3 noreverse Right box")
    if conc:
        p, c = panel(conc, False)
        body += ["set origin %s, 0.2" % ("0.26" if seq else "0"),
                 "set size %s, 0.7" % ("0.74" if seq else "1"), "set title 'concurrent'"] + p
        body.append("plot " + ", \\\n     ".join(c + keys))
    body.append("unset multiplot")
    return Chart(exp, "chain: wall time over the longest chain",
                 "Wall time of N tasks that each wait a chain of dependent steps, over the longest "
                 "chain (1 = as fast as concurrency allows; open markers: the slowest chain as the "
                 "tasks timed it), per model; models that ran the chains one after another are on "
                 f"the left, on their own scale. Large marker: the median; dots: each valid run. "
                 f"{N_CAPTION}here {n}.{failed_caption(wall.failed)}",
                 "\n".join(b for b in body if b), df, 1100, 640)


GENERIC_NOTES = {
    "net-hide": "One event loop at the most connections, against a server that delays every "
                "request and against one that does not, in alternating rounds: how much of the "
                "delay the loop hides. ",
    "net-wrk": "cbench's own HTTP client against wrk, the same connections against the same "
               "server, in alternating rounds: whether the client is the bottleneck. ",
}


def chart_generic(results, sty, exp):
    """Any other experiment (net-hide, net-wrk, ...): ops/s per configuration."""
    items, pts = categories(results, sty, exp, value_of("ops_per_s"), label=series_label(results, exp))
    if not items:
        return None
    df = DataFile(f"{exp}.dat")
    n = rounds_text(pts.counts())
    workloads = {r.row.get("workload") for r in results.runs if r.experiment == exp and r.valid}
    unit = "requests/s" if workloads == {"net"} else "operations/s (ops_per_s)"
    knobs = sorted({" ".join(c.split()[1:]) for (e, c) in results.configs if e == exp} - {""})
    where = f" ({'; '.join(knobs)})" if knobs else ""
    body = "\n".join(b for b in [
        f"set title {q(f'{exp}{where}: {unit} per configuration (higher is better; {n} rounds per bar)')}",
        f"set ylabel {q(unit)}", xtics_of(items),
        f"set xrange [-0.6:{len(items) - 0.4}]",
        "set logscale y" if spans(pts.ys()) else "set yrange [0:*]",
        "set offsets 0, 0, graph 0.1, 0", "set boxwidth 0.6", "unset key", failed_label(pts.failed),
        "plot " + ", \\\n     ".join(category_clauses(df, items))])
    return Chart(exp, f"{exp}: {unit} per configuration",
                 f"{GENERIC_NOTES.get(exp, '')}{unit[0].upper() + unit[1:]} of each configuration of the {exp} experiment "
                 f"(higher is better). Bar: the median; dots: each valid run, the rounds "
                 f"alternating between the configurations. {N_CAPTION}here {n}."
                 f"{failed_caption(pts.failed)}", body, df, 900, 520)
