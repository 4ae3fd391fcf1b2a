"""Building blocks of every chart: numbers and labels, the colours and styles derived
from `cbench list`, the points of a series, data files, plot clauses and the Chart
record. No chart is drawn here.
"""
import math

from .. import data, stats


FONT = "Sans,10"


# Base models take these by their index in `cbench list` (the first model,
# the baseline, takes the grey).
PALETTE = ("#666666", "#d62728", "#1f77b4", "#2ca02c", "#9467bd",
           "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22")


VARIANT_SHADES = (0.40, -0.35, 0.65, -0.55)     # >0: towards white, <0: towards black


VARIANT_POINTS = (6, 4, 8, 12, 10)              # open circle, square, triangles, diamond


VARIANT_DASHES = (2, 4, 5, 3)


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


def steady_rate(run):
    """A net run's requests/s in its steady phase (connecting left out),
    the figure the which-model-when table decides on; ops_per_s for a run
    from before cbench reported it."""
    v = run.value("steady_req_per_s")
    return v if v is not None else run.value("ops_per_s")


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
