"""The charts of the scaling experiments: sleep, cpu, net-fast, net-slow, and the
crossover map of which-model-when answers.
"""
import math

from .. import claims, data, decide, stats
from .blocks import (
    Chart, DataFile, N_CAPTION, Points, counts, dots_caption, failed_caption, failed_label,
    first_param, fmt, knob_number, line_clauses, lines_chart, median, mix, q, rgb_int,
    rounds_text, run_key, short, spans, steady_rate, value_of)


def chart_sleep(results, sty):
    ms = first_param(results, "sleep", "ms")
    extra = ""
    if ms and knob_number(ms) is not None:
        s = knob_number(ms) / 1000
        extra = (f"set arrow 1 from graph 0, first {fmt(s)} to graph 1, first {fmt(s)} nohead "
                 f"dt 2 lc rgb '#999999'\nset label 1 'one wait' at graph 0.99, first {fmt(s)} "
                 f"right offset 0, -0.8 textcolor rgb '#777777'")
    wait = f"{ms} ms" if ms else "a fixed time"
    return lines_chart(
        results, sty, "sleep", "sleep", value_of("wall_s"),
        "sleep: wall time against tasks",
        "tasks (N)", "wall time (s)",
        f"sleep: N tasks each waiting {wait}, wall time (lower is better)",
        f"Wall time of N tasks that each wait {wait}, per model (lower is better; the dashed "
        f"line is one wait).", extra=extra)


def chart_cpu(results, sty):
    """Speedup over the baseline (the first model of the list), per round."""
    base = next((m for m in results.models
                 if any(r.experiment == "cpu" and r.series == m for r in results.runs)), None)
    if base is None:
        return None
    ref = {}
    for run in results.runs:
        if run.experiment == "cpu" and run.series == base and run.valid and run.value("wall_s"):
            ref[(run.tasks, run.round)] = run.value("wall_s")

    def speedup(run):
        w, r = run.value("wall_s"), ref.get((run.tasks, run.round))
        return r / w if w and r else None

    xs = sorted({float(t) for t, _ in ref})
    cores = results.cores
    df_extra = []
    extra = f"set xtics ({', '.join(fmt(x) for x in xs)})" if xs and len(xs) <= 12 else ""
    extra += "\nset xrange [0.5:*]"
    if cores and xs:
        extra += "\n$ideal << EOD\n" + "\n".join(f"{fmt(x)}\t{fmt(min(x, cores))}" for x in xs) + "\nEOD"
        df_extra.append(f"$ideal using 1:2 with lines dt 2 lw 1.5 lc rgb '#999999' "
                        f"title {q(f'ideal: min(tasks, {cores} cores)')}")
    return lines_chart(
        results, sty, "cpu", "cpu", speedup,
        f"cpu: speedup over {base}",
        "CPU-bound tasks (N)", f"speedup over {base} (×), per round",
        f"cpu: speedup over {base} for the same tasks (higher is better)",
        f"Speedup of each model over {base} for the same N CPU-bound tasks: {base}'s wall time "
        f"over the model's, in the same round (higher is better; dashed: the ideal on "
        f"{cores or '?'} cores).",
        logx=False, logy=False, extra=extra, extra_plot=df_extra)


def chart_net_fast(results, sty):
    delay = next((r.knobs.get("delay") for r in results.runs if r.experiment == "net-fast"), None)
    return lines_chart(
        results, sty, "net-fast", "net-fast", steady_rate,
        "net, fast I/O: requests/s (steady phase) against connections",
        "concurrent connections", "requests/s",
        f"net, fast I/O (server delay {delay or '0ms'}): throughput (higher is better)",
        "Requests per second served over N keep-alive connections to a server that answers "
        "at once (higher is better).", logx=True, logy=False, logx_base=2, xtics_measured=True)


def chart_net_slow(results, sty):
    exp = "net-slow"
    # mem_kib: the one memory measure of every table and claim (the whole
    # run's resident memory, fork's children included)
    mem = "mem_kib" if any(r.experiment == exp and r.value("mem_kib") is not None for r in results.runs) \
        else "maxrss_kib"
    panels = [("requests/s (steady phase)", "throughput (higher is better)", steady_rate, None),
              ("p99 latency (ms)", "p99 latency (lower is better)", value_of("lat_p99_us", 1e-3), None),
              ("peak memory (MiB)", f"peak memory, {mem} (lower is better)", value_of(mem, 1 / 1024), None)]
    delay = next((r.knobs.get("delay") for r in results.runs if r.experiment == exp), None)
    return panels_chart(
        results, sty, exp, panels,
        lambda n: f"net, slow I/O: every request waits {delay or '?'} at the server "
                  f"({n} rounds per point; dots: each run)",
        "net, slow I/O: throughput, p99 latency and memory against connections",
        lambda n, failed: f"Requests/s, p99 latency and peak memory over N connections to a server that "
                          f"delays every request by {delay or '?'}. {dots_caption(n)}{failed_caption(failed)}")


def chart_serve(results, sty):
    """The server models (the serve experiment): throughput and server CPU per
    request at delay 0, memory per connection with slow requests (delay 50
    ms; delay 0 when the run had none), against connections."""
    exp = "serve"
    slow = next((r.knobs.get("delay") for r in results.runs
                 if r.experiment == exp and r.knobs.get("delay") not in (None, "0ms")), None)
    mem_delay = slow or "0ms"
    panels = [("requests/s (wrk)", "throughput, delay 0 (higher is better)", steady_rate,
               lambda c: "delay=0ms" in c.split()),
              ("KiB per connection", f"server memory per connection, delay {mem_delay} (lower is better)",
               value_of("mem_kib_per_conn"), lambda c: f"delay={mem_delay}" in c.split()),
              ("server CPU µs per request", "server CPU per request, delay 0 (lower is better)",
               value_of("server_cpu_us_per_req"), lambda c: "delay=0ms" in c.split())]
    return panels_chart(
        results, sty, exp, panels,
        lambda n: f"serve: cbench serve --model M under wrk, server and wrk on their own cores "
                  f"({n} rounds per point; dots: each run)",
        "serve: the server models' throughput, memory per connection and CPU per request against connections",
        lambda n, failed: "Each server model (cbench serve --model M, started afresh for each run) under "
                          "wrk: requests/s and the server's CPU time per request with requests answered at "
                          f"once, and the server's memory per connection (run.c's one method over the server "
                          f"and all its workers, less its memory before serving, ÷ connections) with requests "
                          f"delayed {mem_delay}. {dots_caption(n)}{failed_caption(failed)}")


def panels_chart(results, sty, exp, panels, heading, title, caption):
    """Side-by-side panels of one experiment against connections: panels are
    (ylabel, title, y, only) as Points takes them; heading(n) the chart's
    heading, caption(n, failed) its caption (n: the rounds per point)."""
    pts = [Points(results, exp, y, only=only) for _, _, y, only in panels]
    if not pts[0]:
        return None
    df = DataFile(f"{exp}.dat")
    n = rounds_text(pts[0].counts())
    body = [f"set multiplot layout 1,{len(panels)} title {q(heading(n))}",
            "set xlabel 'concurrent connections'",
            "set key at screen 0.5, screen 0.01 center bottom horizontal maxrows 1 noreverse Right box",
            "set bmargin 6",
            failed_label(pts[0].failed, "at screen 0.01, screen 0.08")]
    for k, ((ylabel, panel_title, _, _), p) in enumerate(zip(panels, pts)):
        body.append(f"set title {q(panel_title)}")
        body.append(f"set ylabel {q(ylabel)}")
        body.append("unset logscale")
        if not p:
            body.append("set label 98 'not measured' at graph 0.5, graph 0.5 center")
            body.append("plot NaN notitle")
            body.append("unset label 98")
            continue
        body.append("set logscale x\nset format x '%.0f'" if spans(p.xs()) else "")
        body.append("set logscale y" if spans(p.ys()) else "set yrange [0:*]")
        body.append("set offsets graph 0.03, graph 0.03, 0, 0")
        clauses = line_clauses(df, sty, p, key=(k == 0)) + ([run_key()] if k == 0 else [])
        body.append("plot " + ", \\\n     ".join(clauses))
        if k == 0:
            body.append("unset key")
            body.append("unset label 99")
    body.append("unset multiplot")
    return Chart(exp, title, caption(n, pts[0].failed), "\n".join(b for b in body if b), df, 1500, 540)


# How the crossover map draws each outcome (decide.py's words, the legend's too).
CELL_STYLE = {
    stats.EQUIVALENT: ("#dcdcdc", "fs solid 1.0", "equivalent: within 5 %"),
    stats.AHEAD: ("#b0b0b0", "fs transparent pattern 2", "ahead: faster, 5 % not shown"),
    stats.UNDECIDED: ("#b0b0b0", "fs transparent pattern 4", "undecided: needs more rounds"),
}


def crossover_label(ans):
    """A cell's three lines: the answer, the figure, the interval or the need."""
    m, o = ans.margin, ans.outcome
    if m is None:
        return ans.best, "alone", ""
    fig = f"{m.mid:.2f}× vs {ans.runner_up}"
    span = f"[{m.low:.2f}–{m.high:.2f}], n={m.n}"
    if o == stats.WINNER:
        return ans.best, fig, span
    if o == stats.EQUIVALENT:
        return f"{ans.best} ≈ {ans.runner_up}", "equivalent", span
    if o == stats.AHEAD:
        return f"{ans.best} ahead", fig, span
    need = ans.rounds_needed()
    return "undecided", f"{ans.best} / {ans.runner_up} {m.mid:.2f}×", f"needs ≈{need} rounds" if need else span


def chart_crossover(results, sty, regimes):
    exp = "crossover"
    mine = [r for r in regimes if r.group[0] == exp]
    if not mine:            # not among the regimes given: decide them here
        mine = [r for r in decide.regimes(results, claims.load_table()) if r.group[0] == exp]
    if not mine:
        return None
    cells = []
    for r in mine:
        knobs = data.parse_pairs(r.group[1], sep=" ")
        cells.append((knob_number(knobs.get("delay")), knob_number(knobs.get("n")), r.classic))
    delays = sorted({c[0] for c in cells if c[0] is not None})
    conns = sorted({c[1] for c in cells if c[1] is not None})
    if not delays or not conns:
        return None
    df = DataFile(f"{exp}.dat")
    wins, empty, big, small, tiny, winners, ns = [], [], [], [], [], [], []
    others = {o: [] for o in CELL_STYLE}
    for delay, conn, ans in cells:
        if delay is None or conn is None:
            continue
        x, y = delays.index(delay), conns.index(conn)
        if ans.best is None:
            empty.append((x, y))
            big.append((x, y + 0.08, "no valid run"))
            continue
        m = ans.margin
        if m is not None:
            ns.append(m.n)
        if ans.outcome in (stats.WINNER, None):
            mid = m.mid if m else 1.0
            strength = min(1.0, math.log(max(mid, 1.0)) / math.log(2.0))
            wins.append((x, y, rgb_int(mix(sty.color(ans.best), 0.75 * (1 - strength)))))
            if ans.best not in winners:
                winners.append(ans.best)
        else:
            others[ans.outcome].append((x, y))
        first, second, third = crossover_label(ans)
        big.append((x, y + 0.12, first))
        small.append((x, y - 0.08, second))
        if third:
            tiny.append((x, y - 0.25, third))
    n = rounds_text(ns)
    clauses = []
    if wins:
        clauses.append(f"{df.add('x, y, colour of the winning cells', wins)} using 1:2:(0.5):(0.5):3 "
                       "with boxxyerror fs solid 1.0 border rgb 'white' lc rgb variable notitle")
    for outcome, where in others.items():
        if where:
            color, fill, _ = CELL_STYLE[outcome]
            clauses.append(f"{df.add(f'x, y of the {outcome} cells', where)} using 1:2:(0.5):(0.5) "
                           f"with boxxyerror {fill} border rgb 'white' lc rgb '{color}' notitle")
    if empty:
        clauses.append(f"{df.add('x, y of the cells without a valid run', empty)} using 1:2:(0.5):(0.5) "
                       "with boxxyerror fs solid 1.0 border rgb 'white' lc rgb '#ffffff' notitle")
    for rows, font, what in ((big, "',11'", "first line"), (small, "',8'", "second line"),
                             (tiny, "',7'", "third line")):
        if rows:
            clauses.append(f"{df.add(f'x, y, {what} of the cell labels', rows)} using 1:2:3 "
                           f"with labels font {font} notitle")
    for s in sty.order(winners):
        clauses.append(f"keyentry with boxes fs solid 1.0 lc rgb '{sty.color(s)}' title {q('winner: ' + s)}")
    for outcome, where in others.items():
        if where:
            color, fill, words = CELL_STYLE[outcome]
            clauses.append(f"keyentry with boxes {fill} lc rgb '{color}' title {q(words)}")
    xt = ", ".join(f"{q(short(d))} {k}" for k, d in enumerate(delays))
    yt = ", ".join(f"{q(short(c))} {k}" for k, c in enumerate(conns))
    classic = ", ".join(decide.rule(claims.load_table()).get("classic", []))
    body = "\n".join([
        f"set title {q(f'crossover: which of {classic} serves the most requests/s ({n} rounds per cell)' + chr(10) + 'shade: the winner’s margin over the runner-up, median of per-round ratios (paler = closer; full colour at ≥ 2×)')}",
        "set xlabel 'server delay per request (ms)'",
        "set ylabel 'concurrent connections'",
        f"set xtics ({xt})", f"set ytics ({yt})",
        f"set xrange [-0.5:{len(delays) - 0.5}]", f"set yrange [-0.5:{len(conns) - 0.5}]",
        "unset grid", "set tics scale 0",
        "plot " + ", \\\n     ".join(clauses)])
    return Chart(exp, "crossover: which model wins, per connections and server delay",
                 f"Each cell is a regime (N connections, a server delay per request) and its answer "
                 f"among the classic models ({classic}), as in the which-model-when table and "
                 "decisions.csv: the best by steady requests/s and its margin over the runner-up, the "
                 "median of the per-round ratios with its order-statistic interval. *winner*: the whole "
                 f"interval above {1 + stats.EFFECT:.2f}; *equivalent* (grey): inside ±5 %; *ahead* "
                 "(cross-hatched): above 1 but not shown to be 5 %; *undecided* (hatched): crosses 1 and "
                 f"reaches past 5 %, with the rounds it would need. {N_CAPTION}here {n}.",
                 body, df, 1150, 680)


def chart_python_cpu(results, sty, py_names, shown):
    """The Python row's chart: each model's speedup over its own language's
    sequential model for the same N CPU-bound tasks, C (the cbench cpu
    work) and CPython (its own, smaller work) together. shown: the C
    series drawn (the classic models and the GIL emulation)."""
    py_names = set(py_names)
    if not any(r.experiment == "cpu" and r.series in py_names for r in results.runs):
        return None
    seq = [m for m in results.models if any(r.experiment == "cpu" and r.series == m for r in results.runs)]
    listed = (results.listing or {}).get("models", [])
    base_c = next((m["name"] for m in listed if m.get("sequential") and m["name"] in seq), seq[0] if seq else None)
    base_py = next((s for s in py_names if s.endswith("serial")), None)
    ref = {}
    for run in results.runs:
        if run.experiment == "cpu" and run.series in (base_c, base_py) and run.valid and run.value("wall_s"):
            ref[(run.series in py_names, run.tasks, run.round)] = run.value("wall_s")

    def speedup(run):
        w, r = run.value("wall_s"), ref.get((run.series in py_names, run.tasks, run.round))
        return r / w if w and r else None

    def only(config):
        s = config.split()[0]
        return s in py_names or s in shown
    cores = results.cores
    xs = sorted({float(t) for _, t, _ in ref})
    extra = f"set xtics ({', '.join(fmt(x) for x in xs)})" if xs and len(xs) <= 12 else ""
    extra += "\nset xrange [0.5:*]"
    return lines_chart(
        results, sty, "cpu-python", "cpu", speedup,
        "cpu: speedup over serial, C and Python",
        "CPU-bound tasks (N)", "speedup over the language's serial (×), per round",
        "cpu: C and CPython models, speedup over each language's serial (higher is better)",
        f"Speedup of each model over its own language's serial model ({base_c}; {base_py}) for the "
        f"same N CPU-bound tasks, in the same round: C on the cbench cpu work, CPython (py-*) on its "
        f"own smaller work per task (higher is better; {cores or '?'} cores). py-threads runs under "
        f"CPython's GIL, threads-gil under cbench's emulation of it.",
        logx=False, logy=False, extra=extra, only=only)
