"""Per-configuration summaries and the which-model-when table.

A regime is a group (an experiment and its knobs: "net-slow n=1000
delay=50ms"); its candidates are the series measured there. The best is
the one with the highest median rate; it is named the winner only when its
ratio over the runner-up (median of per-round ratios, bootstrap interval)
lies wholly above 1.05. Otherwise the regime is a tie between the best and
every series whose interval against it reaches into the 5 % band.
"""
from . import stats


class Summary:
    """One configuration: its runs and the medians of its valid ones."""

    def __init__(self, results, experiment, config):
        self.experiment, self.config = experiment, config
        self.runs = results.runs_of(experiment, config)
        self.valid = [r for r in self.runs if r.valid]
        self.failed = len(self.runs) - len(self.valid)
        self.series = self.runs[0].series if self.runs else config.split()[0]

    def values(self, name):
        return [v for v in (r.value(name) for r in self.valid) if v is not None]

    def median(self, name):
        v = self.values(name)
        return stats.median(v) if v else None

    def interval(self, name):
        return stats.interval(self.values(name), f"{self.experiment}|{self.config}|{name}")

    def noisy(self, steal_pct=10.0):
        """True when a run of it lost more than steal_pct % to steal."""
        return any((r.value("steal_pct") or 0) > steal_pct for r in self.runs)


class Regime:
    """The which-model-when decision for one group."""

    def __init__(self, results, group, exclude=(), metric="ops_per_s"):
        self.group = group
        self.metric = metric
        series = [s for s in results.series_of(group) if s not in exclude]
        self.rates = {}
        self.rounds = {}
        for s in series:
            by_round = results.by_round(group[0], f"{s} {group[1]}".strip(), metric)
            if by_round:
                self.rounds[s] = by_round
                self.rates[s] = stats.median(by_round.values())
        self.failed = [s for s in series if s not in self.rates]
        ranked = sorted(self.rates, key=lambda s: -self.rates[s])
        self.best = ranked[0] if ranked else None
        self.runner_up = ranked[1] if len(ranked) > 1 else None
        self.vs = {}                     # series -> Interval of best / series
        for s in ranked[1:]:
            self.vs[s] = stats.ratio_interval(self.rounds[self.best], self.rounds[s],
                                              f"regime|{group}|{self.best}|{s}")
        margin = self.vs.get(self.runner_up)
        self.decision = stats.decide(margin) if margin else None
        self.winner = self.best if self.decision == "a" else None
        self.tied = [self.best] + [s for s in ranked[1:]
                                   if self.vs[s] is None or stats.decide(self.vs[s]) != "a"] \
            if self.best and not self.winner else []

    @property
    def margin(self):
        return self.vs.get(self.runner_up)

    def label(self):
        """'async' or 'tie: async, threads (within 4 %)' or '-'."""
        if self.best is None:
            return "-"
        if self.runner_up is None:
            return f"{self.best} (alone)"
        if self.winner:
            return self.winner
        widths = [stats.tie_width_pct(self.vs[s]) for s in self.tied[1:] if self.vs[s]]
        width = max([w for w in widths if w is not None], default=None)
        within = f" (within {width} %)" if width is not None else ""
        return f"tie: {', '.join(self.tied)}{within}"


def regimes(results, table):
    """Every regime of the table's which-model-when experiments, in order."""
    cfg = table.get("which_model_when", {})
    exclude = set(cfg.get("exclude_series", []))
    out = []
    for experiment in cfg.get("experiments", []):
        for group in results.groups(experiment):
            out.append(Regime(results, group, exclude))
    return out
