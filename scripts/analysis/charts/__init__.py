"""Charts: for each experiment of a results folder, a gnuplot data file and
script in a temporary folder, drawn into OUT/NAME.png and OUT/NAME.svg.

    from analysis import charts, claims, data, tables
    results = data.Results.load("results/2026-12-01-vm")
    regimes = tables.regimes(results, claims.load_table())
    for name, title, caption in charts.draw_all(results, "results/2026-12-01-vm", regimes):
        print(f"![{title}]({name}.svg)\n{caption}")

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

The package, by concern: blocks.py (numbers, styles, points, data files, plot
clauses), gnuplot.py (drawing), and a module per family of charts: scaling.py,
costs.py, scenarios.py, latency.py. This file holds the table of charts and
draws them.
"""
import os
import tempfile

from .. import claims, data, decide, python, tables
# The package's API (tests and scripts use these names from `charts`).
from .blocks import (  # noqa: F401
    Chart, DataFile, PALETTE, Points, Styles, fmt, median, q, short, steady_rate, value_of)
from .gnuplot import ChartError, GNUPLOT, TIMEOUT_S, run_gnuplot  # noqa: F401
from .scaling import (
    chart_cpu, chart_crossover, chart_net_fast, chart_net_slow, chart_python_cpu, chart_serve, chart_sleep)
from .costs import chart_cancel, chart_pingpong, chart_spawn, chart_spawn_mem
from .scenarios import chart_chain, chart_chess, chart_generic, chart_mixed, chart_queue
from .latency import chart_net_rate


CHARTS = (
    ("sleep", chart_sleep), ("cpu", chart_cpu), ("net-slow", chart_net_slow),
    ("net-fast", chart_net_fast), ("crossover", None), ("spawn", chart_spawn),
    ("spawn-mem", chart_spawn_mem), ("pingpong", chart_pingpong), ("mixed", chart_mixed),
    ("chess", chart_chess), ("queue", chart_queue), ("chain", chart_chain),
    ("cancel", chart_cancel), ("net-rate", chart_net_rate), ("serve", chart_serve),
)


def default_regimes(results):
    return tables.regimes(results, claims.load_table())


def without_control(results):
    """The folder without the A/A control's runs (async~2): a second line on
    top of its base model's would only hide it; the report shows the control."""
    suffix, _ = decide.control_name(claims.load_table())
    runs = [r for r in results.runs if suffix not in r.series]
    if len(runs) == len(results.runs):
        return results
    return data.Results(results.folder, runs, results.meta, results.listing, results.meta_commands)


def plan_all(results, regimes=None, names=None):
    """Every chart whose experiment has data, not drawn: [Chart] in
    drawing order (draw_all's arguments)."""
    if regimes is None:
        regimes = default_regimes(results)
    elif isinstance(regimes, dict):
        regimes = list(regimes.values())
    everything = without_control(results)
    sty = Styles(everything)
    results = python.without_python(everything)   # the C charts: C series only
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
    # the Python row's one chart: C and Python together
    table = claims.load_table()
    shown = set(decide.rule(table).get("classic", [])) | {
        (table.get("python", {}).get("gil_check", {}).get("c", {}).get("a", ""))}
    charts.append(chart_python_cpu(everything, sty, python.series(everything), shown))
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
