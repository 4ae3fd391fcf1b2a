"""Two results folders side by side (make compare OLD=... NEW=...).

First how the two machines differ (CPU, kernel, steal, and the calibrations
every run records: a CPU loop's time and one connection's round trip), so
that a reader can tell the machine's changes from the code's. Then, per
configuration present in both, the ratio of NEW's median rate to OLD's with
a bootstrap 95 % interval (each side resampled on its own: the rounds of two
folders are not paired); changed beyond noise when that interval lies wholly
outside ±5 %. Then the which-model-when answers, the A/A control and the
claims' verdicts of both, and which of them contradict each other: a regime
with winner X in one and winner Y ≠ X in the other, a claim reproduced in one
and refuted in the other.
"""
import re

from . import claims, decide, instrument, stats, tables
from .report import fmt, fmt_ratio

MACHINE_DRIFT = 0.05        # calibrations further apart than this: the machine differs


def calibration_ms(meta):
    """meta.txt's 'calibration before: 167.0 ms (...)' as a number, or None."""
    m = re.match(r"\s*([\d.]+) ms", meta.get("calibration before", ""))
    return float(m.group(1)) if m else None


def round_trip_us(meta):
    """One connection's round trip from 'net rate estimate: ..., one
    connection's round trip 8.0862e-05 s', in µs, or None."""
    m = re.search(r"round trip ([\d.eE+-]+) s", meta.get("net rate estimate", ""))
    try:
        return float(m.group(1)) * 1e6 if m else None
    except ValueError:
        return None


def median_steal(results):
    steals = [r.value("steal_pct") for r in results.runs if r.value("steal_pct") is not None]
    return stats.median(steals) if steals else None


def machine_lines(old, new):
    """The machines side by side, and whether they differ enough that a
    change may be the machine's rather than the code's."""
    rows, differs = [], []
    for key in ("host", "cpu", "cores", "kernel", "git", "mode", "rounds", "load at start"):
        a, b = old.meta.get(key, "–"), new.meta.get(key, "–")
        rows.append(f"| {key} | {a} | {b} |")
        if key in ("cpu", "cores", "kernel") and a != b:
            differs.append(key)
    figures = (("CPU calibration (one cpu task, median)", calibration_ms, "ms"),
               ("one connection's round trip (probe)", round_trip_us, "µs"))
    for label, fn, unit in figures:
        a, b = fn(old.meta), fn(new.meta)
        rows.append(f"| {label} | {fmt(a, unit)} | {fmt(b, unit)} |")
        if a and b and abs(b / a - 1) > MACHINE_DRIFT:
            differs.append(f"{label} {b / a:.2f}×")
    sa, sb = median_steal(old), median_steal(new)
    rows.append(f"| CPU steal per run (median) | {fmt(sa, '%')} | {fmt(sb, '%')} |")
    verdict = (f"**The machines differ** ({'; '.join(differs)}): a change below may be the machine's, "
               "not the code's; compare on one machine to tell." if differs else
               "The machines match on CPU, kernel and calibrations (within 5 %): a change below is "
               "more likely the code's.")
    return ["## The machines", "", "| | OLD | NEW |", "|---|---|---|"] + rows + ["", verdict, ""]


def config_rows(old, new, metric="ops_per_s", skip=()):
    """(experiment, config, Interval or None, decision) for shared configs
    but those of the experiments in `skip`."""
    rows = []
    for key in old.configs:
        if key not in new.configs or key[0] in skip:
            continue
        o = tables.Summary(old, *key).values(metric)
        n = tables.Summary(new, *key).values(metric)
        ratio = stats.unpaired_ratio(n, o, f"compare|{key}")
        rows.append((key[0], key[1], ratio, stats.decide(ratio)))
    return rows


def classic_answers(results, table):
    """Every classic answer of a folder: the regimes', then capacity at SLO."""
    return [r.classic for r in decide.regimes(results, table)] + tables.capacity_regimes(results, table)


def winner_conflicts(old_answers, new_answers):
    """Answers that name winner X in one folder and a different winner Y in
    the other (same regime)."""
    new_by_group = {a.group: a for a in new_answers}
    out = []
    for a in old_answers:
        b = new_by_group.get(a.group)
        if b is not None and a.outcome == stats.WINNER and b.outcome == stats.WINNER and a.best != b.best:
            out.append((a, b))
    return out


def control_line(name, regs):
    pairs = [r.control for r in regs if r.control and r.control.margin]
    if not pairs:
        return f"{name}: no A/A control in this folder."
    wins = sum(1 for a in pairs if a.outcome == stats.WINNER)
    return f"{name}: the A/A control was called a winner in {wins} of {len(pairs)} regimes."


def compare(old, new, table):
    """The comparison as Markdown text, and whether answers or verdicts
    contradict each other."""
    out = [f"# cbench compare: {old.folder} → {new.folder}", ""]
    out += machine_lines(old, new)
    out += ["## Configurations", "",
            "Rates (ops/s): NEW median / OLD median with a bootstrap 95 % interval; *changed* when the",
            "interval lies wholly beyond ±5 %.", ""]
    # An open-loop run's rate is the rate it was offered, not a result:
    # those folders are compared by their capacity rows (which model when).
    rule = tables.slo_rule(table)
    rows = config_rows(old, new, skip={rule["experiment"]} if rule else ())
    changed = [r for r in rows if r[3] in ("a", "b")]
    out += [f"{len(rows)} configurations in both; {len(changed)} changed beyond noise.", ""]
    if changed:
        out += ["| configuration | NEW / OLD [95 % interval] | change |", "|---|---|---|"]
        for exp, config, ratio, decision in changed:
            out.append(f"| {exp} {config} | {fmt_ratio(ratio)} | {'faster' if decision == 'a' else 'slower'} |")
        out.append("")
    old_answers, new_answers = classic_answers(old, table), classic_answers(new, table)
    new_by_group = {a.group: a for a in new_answers}
    conflicts = winner_conflicts(old_answers, new_answers)
    conflict_groups = {a.group for a, _ in conflicts}
    out += ["## Which model when", "",
            f"{len(conflicts)} regimes where one folder's winner is another model than the other's winner.",
            f"{control_line('OLD', decide.regimes(old, table))} {control_line('NEW', decide.regimes(new, table))}", "",
            "| regime | OLD | NEW | agree |", "|---|---|---|---|"]
    for a in old_answers:
        b = new_by_group.get(a.group)
        if b is None or not a.best:
            continue
        if a.group in conflict_groups:
            agree = "**no**"
        elif a.outcome == b.outcome and a.best == b.best:
            agree = "yes"
        else:
            agree = "no contradiction"
        name = f"{a.group[0]} {a.group[1]}".strip()
        out.append(f"| {name} | {a.label()} {fmt_ratio(a.margin)} | {b.label()} {fmt_ratio(b.margin)} | {agree} |")
    out.append("")
    out += instrument.compare_lines(old, new, table)
    old_v = {v.id: v for v in claims.evaluate(old, table)}
    new_v = claims.evaluate(new, table)
    verdict_conflicts = 0
    out += ["## Verdicts", "", "| claim | OLD | NEW | agree |", "|---|---|---|---|"]
    for v in new_v:
        o = old_v.get(v.id)
        if o is None:
            continue
        judged = {o.outcome, v.outcome} <= {claims.REPRODUCED, claims.REFUTED}
        clash = judged and o.outcome != v.outcome
        verdict_conflicts += clash
        same = "yes" if o.outcome == v.outcome else ("**no**" if clash else "one is not decided")
        out.append(f"| {v.id} — {v.claim['claim']} | {o.outcome} | {v.outcome} | {same} |")
    out += ["", f"Summary: {len(changed)} configurations changed beyond noise, {len(conflicts)} winners "
            f"contradicted, {verdict_conflicts} verdicts contradicted.", ""]
    return "\n".join(out), bool(conflicts or verdict_conflicts)
