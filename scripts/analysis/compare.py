"""Two results folders side by side (make compare OLD=... NEW=...).

Per configuration present in both: the ratio of NEW's median rate to OLD's,
with a bootstrap 95 % interval (each side resampled on its own: the rounds
of two folders are not paired). A configuration changed beyond noise when
that interval lies wholly outside ±5 %. Then the which-model-when winners
and the claims' verdicts of both, and which of them differ.
"""
import random

from . import claims, stats, tables
from .report import fmt, fmt_ratio


def unpaired_ratio(new, old, name, resamples=stats.BOOTSTRAP_RESAMPLES):
    """Median(new) / median(old) with a percentile bootstrap interval."""
    if not new or not old:
        return None
    rng = random.Random(stats.seed_of(name))
    ratios = []
    for _ in range(resamples):
        a = stats.median([new[rng.randrange(len(new))] for _ in new])
        b = stats.median([old[rng.randrange(len(old))] for _ in old])
        if b:
            ratios.append(a / b)
    if not ratios or not stats.median(old):
        return None
    ratios.sort()
    tail = (1 - stats.CONFIDENCE) / 2
    return stats.Interval(stats.median(new) / stats.median(old), stats.quantile(ratios, tail),
                          stats.quantile(ratios, 1 - tail), min(len(new), len(old)))


def config_rows(old, new, metric="ops_per_s", skip=()):
    """(experiment, config, Interval or None, decision) for shared configs
    but those of the experiments in `skip`."""
    rows = []
    for key in old.configs:
        if key not in new.configs or key[0] in skip:
            continue
        o = tables.Summary(old, *key).values(metric)
        n = tables.Summary(new, *key).values(metric)
        ratio = unpaired_ratio(n, o, f"compare|{key}")
        rows.append((key[0], key[1], ratio, stats.decide(ratio)))
    return rows


def winner_conflicts(old_regimes, new_regimes):
    """Regimes where one folder names a winner and the other a different
    winner, or a winner where the other has a tie that excludes it."""
    new_by_group = {r.group: r for r in new_regimes}
    out = []
    for o in old_regimes:
        n = new_by_group.get(o.group)
        if n is None:
            continue
        for a, b in ((o, n), (n, o)):
            if a.winner and not (b.winner == a.winner or (not b.winner and a.winner in b.tied)):
                out.append((o, n))
                break
    return out


def compare(old, new, table):
    """The comparison as Markdown text, and whether verdicts/winners conflict."""
    out = [f"# cbench compare: {old.folder} → {new.folder}", "",
           f"OLD: {old.meta.get('date', '?')}, {old.meta.get('mode', '?')}, git {old.meta.get('git', '?')}, "
           f"{old.meta.get('rounds', '?')} rounds", 
           f"NEW: {new.meta.get('date', '?')}, {new.meta.get('mode', '?')}, git {new.meta.get('git', '?')}, "
           f"{new.meta.get('rounds', '?')} rounds", "",
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
    old_regimes, new_regimes = tables.regimes(old, table), tables.regimes(new, table)
    new_by_group = {r.group: r for r in new_regimes}
    conflicts = winner_conflicts(old_regimes, new_regimes)
    out += ["## Which model when", "",
            f"{len(conflicts)} regimes where a named winner is contradicted by the other folder.", "",
            "| regime | OLD | NEW | agree |", "|---|---|---|---|"]
    conflict_groups = {o.group for o, _ in conflicts}
    for o in old_regimes:
        n = new_by_group.get(o.group)
        if n is None:
            continue
        out.append(f"| {o.group[0]} {o.group[1]} | {o.label()} | {n.label()} | "
                   f"{'**no**' if o.group in conflict_groups else 'yes'} |")
    out.append("")
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
