"""Charts: for each experiment of a results folder, a gnuplot data file and
script in a temporary folder, drawn into OUT/NAME.png and OUT/NAME.svg.

    from analysis import charts, claims, data, tables
    results = data.Results.load("results/2026-12-01-vm")
    regimes = tables.regimes(results, claims.load_table())
    for name, title, caption in charts.draw_all(results, "results/2026-12-01-vm", regimes):
        print(f"![{title}]({name}.svg)\\n{caption}")

Every chart shows each valid run as a small dot beside the median of its
configuration (the median a line or a large marker); runs that failed are
not figures: the chart names their configurations instead. n is the number
of rounds (one run of every configuration per round) behind each median.

Colours are derived, never assigned per model: the models' order comes from
`cbench list` (results.models), each base model (a series' part before the
first '-') takes the palette entry of its index, and a variant of it
(threads-gil, async-percore) the same hue, lighter or darker, with its own
dash and point type. A series no list knows comes after the listed ones, in
the order the data first names it.

Redrawing the same data gives byte-identical SVGs: gnuplot runs inside the
temporary folder and names its data files relatively, so no temporary path
(and no date: gnuplot's SVG has none) ends up in a file.
"""
import math
import os
import shutil
import subprocess
import tempfile

from . import claims, data, stats, tables

GNUPLOT = "gnuplot"
TIMEOUT_S = 60
FONT = "Sans,10"

# Base models take these by their index in `cbench list` (the first model,
# the baseline, takes the grey).
PALETTE = ("#666666", "#d62728", "#1f77b4", "#2ca02c", "#9467bd",
           "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22")
VARIANT_SHADES = (0.40, -0.35, 0.65, -0.55)     # >0: towards white, <0: towards black
VARIANT_POINTS = (6, 4, 8, 12, 10)              # open circle, square, triangles, diamond
VARIANT_DASHES = (2, 4, 5, 3)


class ChartError(RuntimeError):
    """gnuplot is missing, failed or timed out."""


# --- text and numbers ------------------------------------------------------------

def q(text):
    """A gnuplot double-quoted string (titles and labels; noenhanced text)."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def fmt(value):
    """A number for a data file: short, stable, exact enough."""
    return "%.9g" % value


def short(value):
    """A number for a label: 3 significant figures, no exponent below 1e6."""
    if value == 0:
        return "0"
    if value == int(value) and abs(value) < 1e6:
        return f"{value:,.0f}"
    if abs(value) >= 1e6:
        return "%.3g" % value
    digits = max(0, 2 - int(math.floor(math.log10(abs(value)))))
    return f"{value:,.{digits}f}"


def knob_number(text):
    """'1000' -> 1000.0, '50ms' -> 50.0, else None."""
    if text is None:
        return None
    text = text[:-2] if text.endswith("ms") else text
    try:
        return float(text)
    except ValueError:
        return None


def spans(values, factor=20.0):
    """True when the positive values span more than `factor` (a log scale)."""
    pos = [v for v in values if v is not None and v > 0]
    return bool(pos) and max(pos) / min(pos) > factor


def rounds_text(counts):
    """'n = 3' or 'n = 2–3' from the run counts behind each median."""
    if not counts:
        return "n = 0"
    lo, hi = min(counts), max(counts)
    return f"n = {lo}" if lo == hi else f"n = {lo}–{hi}"


def median(values):
    return stats.median(values)


def mix(color, t):
    """color moved towards white (t > 0) or black (t < 0) by |t|."""
    rgb = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    end = 255 if t > 0 else 0
    return "#" + "".join("%02x" % round(c + (end - c) * abs(t)) for c in rgb)


def rgb_int(color):
    return int(color[1:], 16)


# --- series styles -----------------------------------------------------------------

def base_of(series):
    return series.split("-", 1)[0]


class Styles:
    """Colour, dash and point type of every series, derived from the model
    list and the data (see the module's docstring)."""

    def __init__(self, results):
        self.bases = list(results.models)
        self.variants = {}              # base -> its variants, in first-seen order
        for run in results.runs:
            base = base_of(run.series)
            if base not in self.bases:
                self.bases.append(base)
            if run.series != base:
                seen = self.variants.setdefault(base, [])
                if run.series not in seen:
                    seen.append(run.series)

    def _index(self, series):
        base = base_of(series)
        if base not in self.bases:      # not in the data either (called directly)
            self.bases.append(base)
        return self.bases.index(base)

    def _variant(self, series):
        """0 for a base model, k for its k-th variant."""
        base = base_of(series)
        if series == base:
            return 0
        seen = self.variants.setdefault(base, [])
        if series not in seen:
            seen.append(series)
        return seen.index(series) + 1

    def color(self, series):
        i = self._index(series)
        color = PALETTE[i % len(PALETTE)]
        k = self._variant(series)
        if k:
            color = mix(color, VARIANT_SHADES[(k - 1) % len(VARIANT_SHADES)])
        return color

    def dash(self, series):
        k = self._variant(series)
        cycle = self._index(series) // len(PALETTE)     # past the palette: dashed
        if k:
            return VARIANT_DASHES[(k - 1 + cycle) % len(VARIANT_DASHES)]
        return 1 if cycle == 0 else VARIANT_DASHES[(cycle - 1) % len(VARIANT_DASHES)]

    def point(self, series):
        k = self._variant(series)
        return 7 if k == 0 else VARIANT_POINTS[(k - 1) % len(VARIANT_POINTS)]

    def order(self, series):
        """The series sorted: by model order, each base before its variants."""
        return sorted(series, key=lambda s: (self._index(s), self._variant(s), s))


# --- data --------------------------------------------------------------------------

def n_of(run):
    return float(run.tasks)


def counts(run):
    """A run that counts as a figure: a valid one."""
    return run.valid


class Points:
    """The figures of one experiment: series -> x -> [(round, y)], over the
    runs that count, and the configurations none of whose runs did. only:
    a test on the configuration's text, for a chart of part of an
    experiment (the others are neither drawn nor failed)."""

    def __init__(self, results, experiment, y, x=n_of, accept=counts, only=None):
        self.by = {}
        self.failed = []
        for (exp, config), runs in results.configs.items():
            if exp != experiment or (only and not only(config)):
                continue
            ok = [r for r in runs if accept(r)]
            if not ok:
                self.failed.append(config)
            for run in ok:
                xv, yv = x(run), y(run)
                if xv is not None and yv is not None and math.isfinite(yv):
                    self.by.setdefault(run.series, {}).setdefault(xv, []).append((run.round, yv))

    def __bool__(self):
        return bool(self.by)

    def without(self, series):
        """The same figures but those of `series`."""
        out = Points.__new__(Points)
        out.by = {s: v for s, v in self.by.items() if s not in series}
        out.failed = self.failed
        return out

    def counts(self):
        return [len(v) for pts in self.by.values() for v in pts.values()]

    def xs(self):
        return sorted({x for pts in self.by.values() for x in pts})

    def ys(self):
        return [y for pts in self.by.values() for v in pts.values() for _, y in v]

    def medians(self, series):
        return [(x, median([y for _, y in v])) for x, v in sorted(self.by[series].items())]


def value_of(name, scale=1.0):
    def y(run):
        v = run.value(name)
        return None if v is None else v * scale
    return y


def ratio_of(a, b, scale=1.0):
    def y(run):
        va, vb = run.value(a), run.value(b)
        return None if va is None or not vb else va * scale / vb
    return y


class DataFile:
    """One chart's data file: blocks separated by two blank lines (gnuplot's
    `index`), each introduced by a comment."""

    def __init__(self, name):
        self.name = name
        self.blocks = []

    def add(self, comment, rows):
        self.blocks.append((comment, [tuple(r) for r in rows]))
        return f"'{self.name}' index {len(self.blocks) - 1}"

    def text(self):
        out = []
        for comment, rows in self.blocks:
            lines = [f"# {comment}"]
            for row in rows:
                lines.append("\t".join(fmt(c) if isinstance(c, (int, float)) else str(c) for c in row))
            out.append("\n".join(lines))
        return "\n\n\n".join(out) + "\n"


def median_value(results, experiment, name, accept=counts):
    """The median of `name` over the counted runs of an experiment, or None."""
    vals = [r.value(name) for r in results.runs if r.experiment == experiment and accept(r)]
    vals = [v for v in vals if v is not None]
    return median(vals) if vals else None


def first_param(results, experiment, key):
    for run in results.runs:
        if run.experiment == experiment and run.valid:
            value = data.parse_pairs(run.row.get("params", "")).get(key)
            if value:
                return value
    return None


# --- plot clauses ------------------------------------------------------------------

RUN_DOT = "pt 7 ps 0.4"


def run_key():
    return f"keyentry with points {RUN_DOT} lc rgb '#444444' title 'one run'"


def line_clauses(df, sty, pts, suffix="", dt=None, key=True):
    """A median line per series and a dot per run."""
    out = []
    for s in sty.order(pts.by):
        color = sty.color(s)
        med = df.add(f"{s}{suffix}: x, median", pts.medians(s))
        runs = df.add(f"{s}{suffix}: x, each run", [(x, y) for x, v in sorted(pts.by[s].items())
                                                    for _, y in sorted(v)])
        title = f"title {q(s + suffix)}" if key else "notitle"
        out.append(f"{med} using 1:2 with linespoints lw 2 pt {sty.point(s)} ps 0.9 "
                   f"dt {dt or sty.dash(s)} lc rgb '{color}' {title}")
        out.append(f"{runs} using 1:2 with points {RUN_DOT} lc rgb '{color}' notitle")
    return out


def jitter(k, m, width=0.3):
    return 0.0 if m < 2 else (k - (m - 1) / 2) * width / (m - 1)


def category_clauses(df, items, bars=True, label_fmt=short, offset=0.0, point=7, title=None):
    """items: [(x, colour, values, what)]: a bar (or a large marker) at the
    median with its value, and a dot per run beside it."""
    out = []
    for k, (x, color, values, what) in enumerate(items):
        m = median(values)
        med = df.add(f"{what}: position, median, label, highest run",
                     [(x + offset, m, label_fmt(m) if label_fmt else "-", max(values))])
        runs = df.add(f"{what}: each run", [(x + offset + jitter(i, len(values), 0.24 if bars else 0.1), v)
                                            for i, v in enumerate(values)])
        t = f"title {q(title)}" if title and k == 0 else "notitle"
        if bars:
            out.append(f"{med} using 1:2 with boxes fs solid 0.75 noborder lc rgb '{color}' {t}")
            out.append(f"{runs} using 1:2 with points {RUN_DOT} lc rgb '#222222' notitle")
            out.append(f"{med} using 1:4:3 with labels offset 0, 0.8 font ',9' notitle")
        else:
            out.append(f"{med} using 1:2 with points pt {point} ps 1.8 lw 2 lc rgb '{color}' {t}")
            out.append(f"{runs} using 1:2 with points {RUN_DOT} lc rgb '{color}' notitle")
            if label_fmt:
                out.append(f"{med} using 1:2:3 with labels left offset 1.6, 0 font ',9' notitle")
    return out


def failed_label(failed, where="at screen 0.01, screen 0.015"):
    if not failed:
        return ""
    text = "no valid run, not drawn: " + "; ".join(failed)
    return f"set label 99 {q(text)} {where} left font ',8' textcolor rgb '#888888'"


def failed_caption(failed):
    return f" Not drawn (no valid run): {'; '.join(failed)}." if failed else ""


N_CAPTION = ("n is the number of rounds behind each median (a round runs every "
             "configuration once, in turn); ")


def dots_caption(n):
    return (f"Line and large marker: the median of each configuration; small dots: "
            f"each valid run. {N_CAPTION}here {n}.")


# --- the charts --------------------------------------------------------------------

class Chart:
    def __init__(self, name, title, caption, body, df, width=1000, height=560):
        self.name, self.title, self.caption = name, title, caption
        self.body, self.df, self.width, self.height = body, df, width, height


def lines_chart(results, sty, name, experiment, y, title, xlabel, ylabel, heading, caption,
                logx=None, logy=None, yzero=True, extra="", extra_plot=(), x=n_of,
                accept=counts, width=1000, height=560, logx_base=10, xtics_measured=False, only=None):
    """A chart of one figure against x, a line per series."""
    pts = Points(results, experiment, y, x=x, accept=accept, only=only)
    if not pts:
        return None
    df = DataFile(f"{name}.dat")
    n = rounds_text(pts.counts())
    lx = spans(pts.xs()) if logx is None else logx
    ly = spans(pts.ys()) if logy is None else logy
    rounds = f"{n} rounds per point"
    heading = heading[:-1] + f"; {rounds})" if heading.endswith(")") else f"{heading} ({rounds})"
    body = [f"set title {q(heading)}",
            f"set xlabel {q(xlabel)}", f"set ylabel {q(ylabel)}"]
    if lx:
        body.append(f"set logscale x {logx_base}")
    if xtics_measured and len(pts.xs()) <= 16:
        body.append(f"set xtics ({', '.join(fmt(v) for v in pts.xs())})")
    if ly:
        body.append("set logscale y")
    elif yzero:
        body.append("set yrange [0:*]")
    if lx:
        body.append("set format x '%.0f'")
    body.append("set offsets graph 0.03, graph 0.03, 0, 0" if ly
                else "set offsets graph 0.03, graph 0.03, graph 0.05, 0")
    body.append(extra)
    body.append(failed_label(pts.failed))
    clauses = line_clauses(df, sty, pts) + list(extra_plot) + [run_key()]
    body.append("plot " + ", \\\n     ".join(clauses))
    return Chart(name, title, f"{caption} {dots_caption(n)}{failed_caption(pts.failed)}",
                 "\n".join(b for b in body if b), df, width, height)


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
        results, sty, "net-fast", "net-fast", value_of("ops_per_s"),
        "net, fast I/O: requests/s against connections",
        "concurrent connections", "requests/s",
        f"net, fast I/O (server delay {delay or '0ms'}): throughput (higher is better)",
        "Requests per second served over N keep-alive connections to a server that answers "
        "at once (higher is better).", logx=True, logy=False, logx_base=2, xtics_measured=True)


def chart_net_slow(results, sty):
    exp = "net-slow"
    mem = "mem_kib" if any(r.experiment == exp and "mem_kib" in r.metrics for r in results.runs) \
        else "maxrss_kib"
    panels = [("requests/s", "throughput (higher is better)", value_of("ops_per_s")),
              ("p99 latency (ms)", "p99 latency (lower is better)", value_of("lat_p99_us", 1e-3)),
              ("peak memory (MiB)", f"peak memory, {mem} (lower is better)", value_of(mem, 1 / 1024))]
    pts = [Points(results, exp, y) for _, _, y in panels]
    if not pts[0]:
        return None
    df = DataFile(f"{exp}.dat")
    delay = next((r.knobs.get("delay") for r in results.runs if r.experiment == exp), None)
    n = rounds_text(pts[0].counts())
    heading = (f"net, slow I/O: every request waits {delay or '?'} at the server "
               f"({n} rounds per point; dots: each run)")
    body = [f"set multiplot layout 1,3 title {q(heading)}",
            "set xlabel 'concurrent connections'",
            "set key at screen 0.5, screen 0.01 center bottom horizontal maxrows 1 noreverse Right box",
            "set bmargin 6",
            failed_label(pts[0].failed, "at screen 0.01, screen 0.08")]
    for k, ((ylabel, title, _), p) in enumerate(zip(panels, pts)):
        body.append(f"set title {q(title)}")
        body.append(f"set ylabel {q(ylabel)}")
        body.append("unset logscale")
        body.append("set logscale x\nset format x '%.0f'" if spans(p.xs()) else "")
        body.append("set logscale y" if spans(p.ys()) else "set yrange [0:*]")
        body.append("set offsets graph 0.03, graph 0.03, 0, 0")
        clauses = line_clauses(df, sty, p, key=(k == 0)) + ([run_key()] if k == 0 else [])
        body.append("plot " + ", \\\n     ".join(clauses))
        if k == 0:
            body.append("unset key")
            body.append("unset label 99")
    body.append("unset multiplot")
    return Chart(exp, "net, slow I/O: throughput, p99 latency and memory against connections",
                 f"Requests/s, p99 latency and peak memory over N connections to a server that "
                 f"delays every request by {delay or '?'}. {dots_caption(n)}"
                 f"{failed_caption(pts[0].failed)}",
                 "\n".join(b for b in body if b), df, 1500, 540)


def chart_crossover(results, sty, regimes):
    exp = "crossover"
    mine = [r for r in regimes if r.group[0] == exp]
    if not mine:            # not among the regimes given: every series competes
        mine = [tables.Regime(results, g) for g in results.groups(exp)]
    if not mine:
        return None
    cells = []
    for r in mine:
        knobs = data.parse_pairs(r.group[1], sep=" ")
        cells.append((knob_number(knobs.get("delay")), knob_number(knobs.get("n")), r))
    delays = sorted({c[0] for c in cells if c[0] is not None})
    conns = sorted({c[1] for c in cells if c[1] is not None})
    if not delays or not conns:
        return None
    df = DataFile(f"{exp}.dat")
    wins, ties, empty, big, small, tiny, winners, ns = [], [], [], [], [], [], [], []
    for delay, conn, r in cells:
        if delay is None or conn is None:
            continue
        x, y = delays.index(delay), conns.index(conn)
        if r.best is None:
            empty.append((x, y))
            big.append((x, y + 0.08, "no valid run"))
            continue
        m = r.margin
        if m is not None:
            ns.append(m.n)
        if r.winner or r.runner_up is None:
            mid = m.mid if m else 1.0
            strength = min(1.0, math.log(max(mid, 1.0)) / math.log(2.0))
            color = mix(sty.color(r.best), 0.75 * (1 - strength))
            wins.append((x, y, rgb_int(color)))
            if r.best not in winners:
                winners.append(r.best)
            big.append((x, y + 0.12, r.best))
            if m:
                small.append((x, y - 0.08, f"{m.mid:.2f}× vs {r.runner_up}"))
                tiny.append((x, y - 0.25, f"(95 % interval {m.low:.2f}–{m.high:.2f})"))
            else:
                small.append((x, y - 0.08, "alone"))
        else:
            ties.append((x, y))
            big.append((x, y + 0.12, "tie"))
            small.append((x, y - 0.08, ", ".join(r.tied)))
            if m:
                tiny.append((x, y - 0.25, f"{r.best} {m.mid:.2f}× ({m.low:.2f}–{m.high:.2f})"))
    n = rounds_text(ns)
    clauses = []
    if wins:
        clauses.append(f"{df.add('x, y, colour of the winning cells', wins)} using 1:2:(0.5):(0.5):3 "
                       "with boxxyerror fs solid 1.0 border rgb 'white' lc rgb variable notitle")
    if ties:
        ref = df.add("x, y of the tied cells", ties)
        clauses.append(f"{ref} using 1:2:(0.5):(0.5) with boxxyerror fs solid 1.0 border rgb 'white' "
                       "lc rgb '#e4e4e4' notitle")
        clauses.append(f"{ref} using 1:2:(0.5):(0.5) with boxxyerror fs transparent pattern 4 noborder "
                       "lc rgb '#b0b0b0' notitle")
    if empty:
        clauses.append(f"{df.add('x, y of the cells without a valid run', empty)} using 1:2:(0.5):(0.5) "
                       "with boxxyerror fs solid 1.0 border rgb 'white' lc rgb '#ffffff' notitle")
    for rows, font, what in ((big, "',11'", "first line"), (small, "',8'", "second line"),
                             (tiny, "',7'", "third line")):
        if rows:
            clauses.append(f"{df.add(f'x, y, {what} of the cell labels', rows)} using 1:2:3 "
                           f"with labels font {font} notitle")
    for s in sty.order(winners):
        clauses.append(f"keyentry with boxes fs solid 1.0 lc rgb '{sty.color(s)}' title {q(s + ' wins')}")
    if ties:
        clauses.append("keyentry with boxes fs pattern 4 lc rgb '#b0b0b0' "
                       f"title {q(f'tie (within {stats.EFFECT * 100:.0f} %)')}")
    xt = ", ".join(f"{q(short(d))} {k}" for k, d in enumerate(delays))
    yt = ", ".join(f"{q(short(c))} {k}" for k, c in enumerate(conns))
    body = "\n".join([
        f"set title {q(f'crossover: which model serves the most requests/s ({n} rounds per cell)' + chr(10) + 'shade: the winner’s margin over the runner-up, median of per-round ratios (paler = closer; full colour at ≥ 2×)')}",
        "set xlabel 'server delay per request (ms)'",
        "set ylabel 'concurrent connections'",
        f"set xtics ({xt})", f"set ytics ({yt})",
        f"set xrange [-0.5:{len(delays) - 0.5}]", f"set yrange [-0.5:{len(conns) - 0.5}]",
        "unset grid", "set tics scale 0",
        "plot " + ", \\\n     ".join(clauses)])
    return Chart(exp, "crossover: which model wins, per connections and server delay",
                 "Each cell is a regime (N connections, a server delay per request): the model "
                 "with the most requests/s, and its margin over the runner-up as the median of "
                 "the per-round ratios with its bootstrap 95 % interval. A winner needs the "
                 f"whole interval above {1 + stats.EFFECT:.2f}; otherwise the cell is a tie (hatched grey) between "
                 f"the models it names. {N_CAPTION}here {n}.",
                 body, df, 1150, 680)


def chart_spawn(results, sty):
    exp = "spawn"
    model = Points(results, exp, value_of("us_per_worker"))
    if not model:
        return None
    bare = Points(results, exp, value_of("bare_us_per_worker"))
    df = DataFile(f"{exp}.dat")
    n = rounds_text(model.counts())
    clauses = line_clauses(df, sty, model, dt=1)
    if bare:
        clauses += line_clauses(df, sty, bare, suffix=": bare C loop", dt=2)
    clauses.append(run_key())
    body = "\n".join(b for b in [
        f"set title {q(f'spawn: time to create and destroy one worker (lower is better; {n} rounds per point)' + chr(10) + 'solid: cbench’s model; dashed: a bare C loop doing the same')}",
        "set xlabel 'workers created (N)'", "set ylabel 'µs per worker'",
        "set logscale x", "set logscale y", "set format x '%.0f'",
        "set offsets graph 0.05, graph 0.05, 0, 0",
        failed_label(model.failed),
        "plot " + ", \\\n     ".join(clauses)])
    return Chart(exp, "spawn: cost of a worker against workers",
                 "Time to create and destroy one worker (µs, log scale) against the number of "
                 "workers N; dashed: a bare C loop creating the same workers, where the run "
                 f"measured one. {dots_caption(n)}{failed_caption(model.failed)}",
                 body, df, 1100, 600)


def chart_spawn_mem(results, sty):
    return lines_chart(
        results, sty, "spawn-mem", "spawn-mem", value_of("kib_per_worker"),
        "spawn-mem: memory per live worker against workers",
        "workers alive at once (N)", "KiB per worker",
        "spawn --hold-ms: memory per worker while all are alive (lower is better)",
        "Memory each worker holds while N of them are alive at once (KiB, log scale; "
        "lower is better).", logx=True, logy=True, width=1100, height=600)


def chart_cancel(results, sty):
    # A cancel run fails on purpose (a task fails, cbench exits 1): it counts
    # when it stopped the others (cancelled > 0) and timed it.
    def cancelled(run):
        return (run.exit in (0, 1) and (run.value("cancelled") or 0) > 0
                and (run.value("cancel_ms") or 0) > 0
                and run.checksum not in data.INVALID_CHECKSUMS)
    return lines_chart(
        results, sty, "cancel", "cancel", value_of("cancel_ms"),
        "cancel: time to stop every task after one fails",
        "tasks (N)", "failure → all stopped (ms)",
        "cancel: the last task fails at once, the others (waiting) are cancelled: time to stop them all (lower is better)",
        "Time from one task's failure to every other (waiting) task stopped, against N "
        "(ms, log-log; lower is better). These runs exit 1 by design: a run counts when it "
        "cancelled tasks.", logx=True, logy=True, accept=cancelled)


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


def config_key(config):
    """Configurations of a series in the order of their knobs' numbers."""
    words = config.split()[1:]
    return [(knob_number(w.split("=", 1)[-1]) or 0.0, w) for w in words]


def categories(results, sty, exp, y, accept=counts, label=None):
    """[(position, colour, values, label)] per configuration of an experiment
    (one x per series when every series has one configuration), and the
    failed configurations."""
    pts = Points(results, exp, y, x=lambda r: r.config, accept=accept)
    items = []
    for s in sty.order(pts.by):
        for config in sorted(pts.by[s], key=config_key):
            values = [v for _, v in sorted(pts.by[s][config])]
            items.append((len(items), sty.color(s), values, label(config) if label else config))
    return items, pts


def xtics_of(items):
    return "set xtics (" + ", ".join(f"{q(what)} {x}" for x, _, _, what in items) + ")"


def series_label(results, exp):
    """Labels: the series alone when each has one configuration, else the config."""
    configs = [c for (e, c) in results.configs if e == exp]
    unique = len({c.split()[0] for c in configs}) == len(configs)
    return (lambda c: c.split()[0]) if unique else (lambda c: c)


def chart_pingpong(results, sty):
    exp = "pingpong"
    items, pts = categories(results, sty, exp, value_of("round_trip_us"),
                            label=series_label(results, exp))
    if not items:
        return None
    df = DataFile(f"{exp}.dat")
    n = rounds_text(pts.counts())
    body = "\n".join(b for b in [
        f"set title {q(f'pingpong: one round trip of a token between two tasks (lower is better; {n} rounds per bar)')}",
        "set ylabel 'µs per round trip'", xtics_of(items),
        f"set xrange [-0.6:{len(items) - 0.4}]", "set yrange [0:*]", "set offsets 0, 0, graph 0.1, 0",
        "set boxwidth 0.6", "unset key", failed_label(pts.failed),
        "plot " + ", \\\n     ".join(category_clauses(df, items))])
    return Chart(exp, "pingpong: round trip between two tasks",
                 "Round trip of a token between two tasks (µs), per model and means of passing "
                 f"it (lower is better). Bar: the median; dots: each valid run. {N_CAPTION}here {n}."
                 f"{failed_caption(pts.failed)}", body, df, 900, 520)


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


# --- latency under load (open loop) ----------------------------------------------

SATURATED_POINT = "pt 2 ps 2.2 lw 2 lc rgb '#000000'"     # a black cross over the median


def slo_rule():
    return tables.slo_rule(claims.load_table()) or {}


def knob_of(config, key):
    """A knob's text in a configuration ('async n=100 load=10%', 'n') or None."""
    return data.parse_pairs(" ".join(config.split()[1:]), sep=" ").get(key)


def offered_x(results, exp):
    """x of a run: its configuration's offered rate (the median over its
    valid runs: one --rate in every round, so one x per configuration)."""
    rates = {}
    for (e, config), runs in results.configs.items():
        values = [r.value(tables.OFFERED) for r in runs if r.valid and r.value(tables.OFFERED) is not None]
        if e == exp and values:
            rates[config] = median(values)
    return lambda run: rates.get(run.config)


def saturated_block(results, exp, y, x, only, name):
    """An inline data block of the medians of the configurations (those
    `only` keeps) that most of their runs saturated, and its plot clause;
    ("", []) when none did."""
    rows = []
    for (e, config), runs in results.configs.items():
        ok = [r for r in runs if counts(r)]
        if e != exp or not only(config) or not ok or x(ok[0]) is None:
            continue
        ys = [y(r) for r in ok if y(r) is not None]
        if ys and median([r.value(tables.SATURATED) or 0 for r in ok]) >= 0.5:
            rows.append((x(ok[0]), median(ys)))
    if not rows:
        return "", []
    block = f"${name} << EOD\n" + "\n".join(f"{fmt(a)}\t{fmt(b)}" for a, b in sorted(rows)) + "\nEOD"
    return block, [f"${name} using 1:2 with points {SATURATED_POINT} "
                   f"title 'saturated (achieved < 95 % of offered)'"]


def slo_clauses(rule):
    return [f"{fmt(ms)} with lines dt 3 lw 1.5 lc rgb '#888888' title {q(f'SLO: p99 {ms:g} ms')}"
            for ms in rule.get("slo_ms", [])]


def connection_counts(results, exp):
    return sorted({int(knob_of(c, "n")) for (e, c) in results.configs
                   if e == exp and (knob_of(c, "n") or "").isdigit()})


RATE_NOTE = ("Open loop: each model is offered fixed rates (steps of its own closed-loop requests/s), "
             "and latency is timed from each request's intended send time, so a model that falls "
             "behind is charged for the wait (corrected for coordinated omission). ")


def chart_net_rate(results, sty):
    """(a) corrected p99 against offered load, a line per model, one chart
    per connection count; then (b) chart_omission."""
    rule = slo_rule()
    if not rule:
        return []
    exp = rule["experiment"]
    x = offered_x(results, exp)
    y = value_of(rule["metric"], 1e-3)
    out = []
    for n in connection_counts(results, exp):
        only = (lambda c, n=n: knob_of(c, "n") == str(n))
        pts = Points(results, exp, y, x=x, only=only)
        if not pts:
            continue
        block, sat = saturated_block(results, exp, y, x, only, "saturated")
        delay = next((knob_of(c, "delay") for (e, c) in results.configs if e == exp and only(c)), None)
        out.append(lines_chart(
            results, sty, f"{exp}-n{n}", exp, y,
            f"latency under load, {n:,} connections: corrected p99 against offered load",
            "offered load (requests/s)", "corrected p99 latency (ms, log scale)",
            f"latency under load: {n:,} connections, server delay {delay or '?'}\n"
            f"corrected p99 against offered load (lower is better)",
            f"{RATE_NOTE}Corrected p99 latency (ms, log scale) of each model against the load offered "
            f"to it (requests/s), over {n:,} connections to a server that delays every request by "
            f"{delay or '?'}; a black cross marks a step where most rounds saturated (achieved < 95 % "
            f"of offered); dotted: the SLOs of the capacity table.",
            logx=False, logy=True, x=x, only=only, extra="set xrange [0:*]\n" + block,
            extra_plot=sat + slo_clauses(rule), width=1100, height=600))
    out.append(chart_omission(results, sty, rule))
    return out


def omission_series(results, exp):
    """The model chart (b) shows, and why: the single event loop of `cbench
    list` (an event loop without a worker pool: the model the issue's own
    example runs), else the first model measured; (None, "") if none."""
    measured = {c.split()[0] for (e, c) in results.configs if e == exp}
    for m in results.listing.get("models", []):
        if m.get("event_loop") and not m.get("workers") and m["name"] in measured:
            return m["name"], "the single event loop"
    first = next((m for m in results.models if m in measured), min(measured) if measured else None)
    return first, "the first model measured"


def chart_omission(results, sty, rule):
    """(b) one model, corrected against uncorrected p99, a panel per
    connection count: what coordinated omission hides."""
    exp, metric = rule["experiment"], rule["metric"]
    model, why = omission_series(results, exp)
    if model is None:
        return None
    x = offered_x(results, exp)
    ns = connection_counts(results, exp)
    df = DataFile(f"{exp}-omission.dat")
    panels, counted, failed = [], [], []
    for n in ns:
        only = (lambda c, n=n: knob_of(c, "n") == str(n) and c.split()[0] == model)
        corrected = Points(results, exp, value_of(metric, 1e-3), x=x, only=only)
        if not corrected:
            continue
        uncorrected = Points(results, exp, value_of(tables.UNCORRECTED_P99, 1e-3), x=x, only=only)
        counted += corrected.counts()
        failed += corrected.failed
        block, sat = saturated_block(results, exp, value_of(metric, 1e-3), x, only, f"saturated{n}")
        clauses = line_clauses(df, sty, corrected, suffix=": corrected (from the intended send)", dt=1)
        if uncorrected:
            clauses += line_clauses(df, sty, uncorrected, suffix=": uncorrected (from the actual send)", dt=2)
        panels.append((n, block, clauses + sat + slo_clauses(rule) + [run_key()]))
    if not panels:
        return None
    n_text = rounds_text(counted)
    width = 1 / len(panels)
    body = [f"set multiplot title {q(f'what coordinated omission hides: {model}, p99 corrected and uncorrected against offered load ({n_text} rounds per point)')}",
            "set key at screen 0.5, screen 0.01 center bottom horizontal maxrows 2 noreverse Right box",
            "set xlabel 'offered load (requests/s)'", "set ylabel 'p99 latency (ms, log scale)'",
            "set logscale y", "set xrange [0:*]", "set offsets graph 0.03, graph 0.03, 0, 0",
            failed_label(failed, "at screen 0.01, screen 0.15")]
    for k, (n, block, clauses) in enumerate(panels):
        body += [block, f"set origin {fmt(k * width)}, 0.18", f"set size {fmt(width)}, 0.74",
                 f"set title {q(f'{n:,} connections')}",
                 "plot " + ", \\\n     ".join(clauses), "unset key", "unset label 99"]
    body.append("unset multiplot")
    return Chart(f"{exp}-omission", f"latency under load: what coordinated omission hides ({model})",
                 f"{RATE_NOTE}For one model ({model}, {why}), the p99 latency timed from "
                 f"each request's intended send time (corrected, solid) and from its actual send "
                 f"(uncorrected, dashed) against the offered load, per connection count: the gap is "
                 f"the wait a closed-loop benchmark never times. Black cross: most rounds saturated. "
                 f"{dots_caption(n_text)}{failed_caption(failed)}",
                 "\n".join(b for b in body if b), df, 600 + 500 * len(panels), 620)


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


CHARTS = (
    ("sleep", chart_sleep), ("cpu", chart_cpu), ("net-slow", chart_net_slow),
    ("net-fast", chart_net_fast), ("crossover", None), ("spawn", chart_spawn),
    ("spawn-mem", chart_spawn_mem), ("pingpong", chart_pingpong), ("mixed", chart_mixed),
    ("chess", chart_chess), ("queue", chart_queue), ("chain", chart_chain),
    ("cancel", chart_cancel), ("net-rate", chart_net_rate),
)


# --- drawing -----------------------------------------------------------------------

HEADER = """set encoding utf8
set termoption noenhanced
set datafile separator tab
set grid lc rgb '#dddddd'
set key outside right top vertical Left reverse box
"""


def script(chart):
    """One gnuplot script drawing the chart twice: PNG, then SVG."""
    out = []
    for ext, term in (("png", f"pngcairo noenhanced font '{FONT}' size {chart.width},{chart.height}"),
                      ("svg", f"svg noenhanced size {chart.width},{chart.height} font '{FONT}' "
                              "background rgb 'white'")):
        out += [f"set terminal {term}", f"set output '{chart.name}.{ext}'", HEADER, chart.body,
                "unset output", "reset"]
    return "\n".join(out) + "\n"


def run_gnuplot(chart, work, out_dir, timeout):
    with open(os.path.join(work, chart.df.name), "w", encoding="utf-8") as f:
        f.write(chart.df.text())
    gp = f"{chart.name}.gp"
    with open(os.path.join(work, gp), "w", encoding="utf-8") as f:
        f.write(script(chart))
    try:
        done = subprocess.run([GNUPLOT, gp], cwd=work, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except FileNotFoundError as e:
        raise ChartError("gnuplot is not installed (see scripts/deps.sh)") from e
    except subprocess.TimeoutExpired as e:
        raise ChartError(f"gnuplot took more than {timeout} s on {chart.name}") from e
    if done.returncode != 0:
        raise ChartError(f"gnuplot failed on {chart.name} ({work}/{gp}):\n{done.stderr.strip()}")
    for ext in ("png", "svg"):
        src = os.path.join(work, f"{chart.name}.{ext}")
        if not os.path.getsize(src):
            raise ChartError(f"gnuplot wrote an empty {chart.name}.{ext}")
        shutil.copyfile(src, os.path.join(out_dir, f"{chart.name}.{ext}"))


def default_regimes(results):
    return tables.regimes(results, claims.load_table())


def plan_all(results, regimes=None, names=None):
    """Every chart whose experiment has data, not drawn: [Chart] in
    drawing order (draw_all's arguments)."""
    if regimes is None:
        regimes = default_regimes(results)
    elif isinstance(regimes, dict):
        regimes = list(regimes.values())
    sty = Styles(results)
    present = results.experiments()
    charts = []
    for exp, fn in CHARTS:
        if exp in present:
            made = chart_crossover(results, sty, regimes) if fn is None else fn(results, sty)
            charts += made if isinstance(made, list) else [made]    # some experiments draw several
    known = {exp for exp, _ in CHARTS}
    for exp in present:
        if exp not in known:
            charts.append(chart_generic(results, sty, exp))
    return [c for c in charts if c is not None and (names is None or c.name in names)]


def draw_all(results, out_dir, regimes=None, names=None, timeout=TIMEOUT_S, keep=None):
    """Draw every chart whose experiment has data into OUT_DIR/NAME.png and
    NAME.svg; return [(name, title, caption)] in drawing order.

    regimes: the which-model-when decisions (tables.regimes; a list, or a
    dict whose values are Regimes), for the crossover map; None computes them
    from docs/claims.toml. names: only these charts. keep: a folder to write
    the data files and gnuplot scripts into instead of a temporary one."""
    charts = plan_all(results, regimes, names)
    os.makedirs(out_dir, exist_ok=True)
    out = []
    with tempfile.TemporaryDirectory(prefix="cbench-charts.") as tmp:
        work = keep or tmp
        os.makedirs(work, exist_ok=True)
        for chart in charts:
            run_gnuplot(chart, work, out_dir, timeout)
            out.append((chart.name, chart.title, chart.caption))
    return out
