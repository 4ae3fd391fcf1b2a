"""The latency-under-load charts of the open-loop experiment (net-rate): corrected p99
against offered load, and what coordinated omission hides.
"""

from .. import claims, data, tables
from .blocks import (
    Chart, DataFile, Points, counts, dots_caption, failed_caption, failed_label, fmt,
    line_clauses, lines_chart, median, q, rounds_text, run_key, value_of)


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
