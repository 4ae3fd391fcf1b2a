"""The cost of the instrument: what cbench adds to what it measures.

Each target (`[[instrument]]` in docs/claims.toml) is a per-round ratio of a
run's figure to its reference, measured in the same run: a constant (the
sleep asked for, a latency budget), another figure of the same run (the bare
C loop beside the workers), or another model's run in the same round. The
median ratio with its order-statistic interval is set against the target:
met (the whole interval at or under it), missed (the whole interval above
it) or unclear. `make compare` shows a change of these ratios like any
other figure, so a regression shows the day it happens.
"""

from . import decide, stats

MET, MISSED, UNCLEAR, NOT_MEASURED = "met", "missed", "unclear", "not measured"


def figure(run, metric):
    """A run's figure by name; `X_per_task` divides X by the run's tasks."""
    if metric.endswith("_per_task"):
        total, tasks = run.value(metric[: -len("_per_task")]), run.tasks
        return total / tasks if total is not None and tasks else None
    return run.value(metric)


def _usable_by_round(results, experiment, config, steal_limit):
    """round -> run, the valid runs that lost at most steal_limit % to steal
    (the rule the answers use)."""
    return {r.round: r for r in results.runs_of(experiment, config)
            if r.valid and (r.value("steal_pct") or 0) <= steal_limit}


def ratios(results, target, steal_limit=100.0):
    """The per-round ratios of a target, in round order."""
    runs = _usable_by_round(results, target["experiment"], target["config"], steal_limit)
    ref = target["reference"]
    others = (_usable_by_round(results, target["experiment"], ref["config"], steal_limit)
              if "config" in ref else {})
    out = []
    for rnd in sorted(runs):
        value = figure(runs[rnd], target["metric"])
        if "value" in ref:
            base = ref["value"]
        elif "metric" in ref:
            base = figure(runs[rnd], ref["metric"])
        else:
            base = figure(others[rnd], target["metric"]) if rnd in others else None
        if value is not None and base:
            out.append(value / base)
    return out


class Cost:
    """One target's measured ratio and whether the target is met."""

    def __init__(self, target, values):
        self.target = target
        self.values = values
        self.ratio = stats.interval(values) if values else None
        limit = target["target"]
        if self.ratio is None:
            self.outcome = NOT_MEASURED
        elif self.ratio.high <= limit:
            self.outcome = MET
        elif self.ratio.low > limit:
            self.outcome = MISSED
        else:
            self.outcome = UNCLEAR


def costs(results, table):
    """The cost of every target the folder has runs for."""
    limit = decide.steal_limit(table)
    return [Cost(t, ratios(results, t, limit)) for t in table.get("instrument", [])]


def compare_lines(old, new, table):
    """`make compare`'s section: each target's ratio in both folders, and
    the targets met in OLD and missed in NEW (a regression)."""
    pairs = [(a, b) for a, b in zip(costs(old, table), costs(new, table)) if a.ratio or b.ratio]
    if not pairs:
        return []
    def cell(c):
        return "–" if c.ratio is None else f"{c.ratio.mid:.3f} [{c.ratio.low:.3f}–{c.ratio.high:.3f}] {c.outcome}"
    regressed = [b.target["id"] for a, b in pairs if a.outcome == MET and b.outcome == MISSED]
    out = ["## The cost of the instrument", "",
           f"{len(regressed)} targets met in OLD and missed in NEW{': ' + ', '.join(regressed) if regressed else ''}.", "",
           "| id | OLD | NEW | target ratio |", "|---|---|---|---|"]
    for a, b in pairs:
        out.append(f"| {a.target['id']} | {cell(a)} | {cell(b)} | ≤ {a.target['target']:g} |")
    return out + [""]


def lines(results, table):
    """REPORT.md's section."""
    found = costs(results, table)
    if not any(c.ratio for c in found):
        return []
    out = ["## The cost of the instrument", "",
           "What cbench adds to what it measures, each as the median of per-round ratios to a",
           "reference measured in the same run (a constant, the bare C loop of the same run, or",
           "another model in the same round), with its order-statistic interval. Met: the whole",
           "interval is at or under the target; missed: the whole interval is above it.", "",
           "| id | target | ratio [interval] | n, confidence | target ratio | outcome |", "|---|---|---|---|---|---|"]
    for c in found:
        t = c.target
        if c.ratio is None:
            out.append(f"| {t['id']} | {t['says']} | – | – | ≤ {t['target']:g} | {NOT_MEASURED} |")
            continue
        r = c.ratio
        out.append(f"| {t['id']} | {t['says']} | {r.mid:.3f} [{r.low:.3f}–{r.high:.3f}] | "
                   f"n={r.n}, {r.confidence_text()} | ≤ {t['target']:g} | {c.outcome} |")
    return out + [""] + explained_lines(found)


def explained_lines(found):
    """For each target measured and not met, where the time goes: the
    `explained` pointer of its [[instrument]] entry (a measurement of it)."""
    # REPORT.md is in results/<folder>/: the link climbs to the repository
    pointers = [f"- {c.target['id']}: [{c.target['explained']}](../../{c.target['explained']})"
                for c in found if c.outcome in (MISSED, UNCLEAR) and c.target.get("explained")]
    if not pointers:
        return []
    return ["Where the time goes, for the targets not met:", ""] + pointers + [""]
