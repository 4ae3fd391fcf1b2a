"""Per-configuration summaries and the which-model-when table.

A regime is a group (an experiment and its knobs: "net-slow n=1000
delay=50ms"); its candidates are the series measured there. The best is
the one with the highest median rate; it is named the winner only when its
ratio over the runner-up (median of per-round ratios, bootstrap interval)
lies wholly above 1.05. Otherwise the regime is a tie between the best and
every series whose interval against it reaches into the 5 % band.

Latency under load (docs/claims.toml's [capacity_at_slo]): an open-loop
experiment offers each series fixed rates, steps of load=P% of its own
closed-loop rate. A RateCurve is one series' steps at one configuration;
its capacity at an SLO is, per round, the highest offered rate held. The
which-model-when table gains a regime per configuration and SLO that
compares these capacities round by round, as the other regimes compare
rates.
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

    unit = "ops/s"
    alone = "alone"         # the label's word for a regime only one series could enter

    def __init__(self, results, group, exclude=(), metric="ops_per_s"):
        series = [s for s in results.series_of(group) if s not in exclude]
        rounds = {}
        for s in series:
            by_round = results.by_round(group[0], f"{s} {group[1]}".strip(), metric)
            if by_round:
                rounds[s] = by_round
        self._decide(group, metric, series, rounds)

    @classmethod
    def of_rounds(cls, group, series, rounds, metric, unit, alone):
        """A regime decided on given figures: rounds = series -> {round:
        value} (higher is better); a series without figures is failed."""
        reg = cls.__new__(cls)
        reg.unit, reg.alone = unit, alone
        reg._decide(group, metric, series, rounds)
        return reg

    def _decide(self, group, metric, series, rounds):
        self.group = group
        self.metric = metric
        self.rounds = rounds
        self.rates = {s: stats.median(rounds[s].values()) for s in series if s in rounds}
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
            return f"{self.best} ({self.alone})"
        if self.winner:
            return self.winner
        widths = [stats.tie_width_pct(self.vs[s]) for s in self.tied[1:] if self.vs[s]]
        width = max([w for w in widths if w is not None], default=None)
        within = f" (within {width} %)" if width is not None else ""
        return f"tie: {', '.join(self.tied)}{within}"


def regimes(results, table):
    """Every regime of the table's which-model-when experiments, in order,
    then the capacity-at-SLO regimes (capacity_regimes)."""
    cfg = table.get("which_model_when", {})
    exclude = set(cfg.get("exclude_series", []))
    out = []
    for experiment in cfg.get("experiments", []):
        for group in results.groups(experiment):
            out.append(Regime(results, group, exclude))
    return out + capacity_regimes(results, table)


# --- latency under load --------------------------------------------------------

LOAD_KNOB = "load"                       # config word load=P%: P % of closed-loop
OFFERED = "offered_req_per_s"            # metrics keys of an open-loop run
SATURATED = "saturated"
UNCORRECTED_P99 = "uncorrected_p99_us"


def slo_rule(table):
    """docs/claims.toml's [capacity_at_slo] (experiment, metric, slo_ms), or None."""
    return table.get("capacity_at_slo")


def load_pct(run):
    """A run's offered load in % of its series' closed-loop rate, or None."""
    try:
        return float(run.knobs.get(LOAD_KNOB, "").rstrip("%"))
    except ValueError:
        return None


def slo_words(slo_ms):
    """A regime's knobs for an SLO: 'capacity at p99 ≤ 10 ms'."""
    return f"capacity at p99 ≤ {slo_ms:g} ms"


class RateCurve:
    """One series of an open-loop experiment at one configuration (its
    knobs but the load): its runs by load step and round."""

    def __init__(self, experiment, series, where):
        self.experiment, self.series, self.where = experiment, series, where
        self.steps = {}                  # load % -> {round: Run}

    def loads(self):
        return sorted(self.steps)

    def rounds(self):
        return sorted({r for runs in self.steps.values() for r in runs})

    def offered(self, load):
        """The rate offered at a step (the median over its valid runs: one
        --rate in every round), or None."""
        values = [v for v in (r.value(OFFERED) for r in self.steps[load].values() if r.valid)
                  if v is not None]
        return stats.median(values) if values else None

    def closed_loop(self):
        """The closed-loop rate the steps were derived from (100 % load)."""
        values = [self.offered(p) * 100 / p for p in self.loads() if p > 0 and self.offered(p)]
        return stats.median(values) if values else None

    def valid_runs(self):
        return sum(1 for runs in self.steps.values() for r in runs.values() if r.valid)

    def all_runs(self):
        return sum(len(runs) for runs in self.steps.values())

    @staticmethod
    def held(run, metric, slo_ms):
        """A valid run, not saturated, its `metric` (µs) within the SLO."""
        if run is None or not run.valid or run.value(SATURATED) != 0:
            return False
        p99 = run.value(metric)
        return p99 is not None and p99 <= slo_ms * 1000 and run.value(OFFERED) is not None

    def capacity_by_round(self, metric, slo_ms):
        """round -> the highest offered rate held, ramping up from the lowest
        step and stopping at the first that misses (a missing run misses);
        0 when not even the lowest step held."""
        out = {}
        for rnd in self.rounds():
            held = 0.0
            for load in self.loads():
                run = self.steps[load].get(rnd)
                if not self.held(run, metric, slo_ms):
                    break
                held = run.value(OFFERED)
            out[rnd] = held
        return out

    def capacity(self, metric, slo_ms):
        """The median capacity over the rounds with its bootstrap interval,
        or None when no round ran."""
        return stats.interval(self.capacity_by_round(metric, slo_ms).values(),
                              f"capacity|{self.experiment}|{self.series} {self.where}|{slo_ms:g}")


def _where_key(where):
    """Configurations in the order of their knobs' numbers."""
    out = []
    for word in where.split():
        value = word.split("=", 1)[-1].rstrip("ms%")
        out.append((float(value) if value.replace(".", "", 1).isdigit() else 0.0, word))
    return out


def rate_curves(results, experiment):
    """Every RateCurve of an experiment: by configuration (connections,
    delay), then series in cbench list's order."""
    curves = {}
    for run in results.runs:
        load = load_pct(run)
        if run.experiment != experiment or load is None:
            continue
        where = " ".join(w for w in run.config.split()[1:] if not w.startswith(LOAD_KNOB + "="))
        curve = curves.setdefault((where, run.series), RateCurve(experiment, run.series, where))
        curve.steps.setdefault(load, {})[run.round] = run
    order = {m: i for i, m in enumerate(results.models)}
    return sorted(curves.values(), key=lambda c: (_where_key(c.where), order.get(c.series.split("-")[0], len(order)),
                                                  c.series))


def capacity_regimes(results, table):
    """A which-model-when regime per configuration and SLO of the
    open-loop experiment: the series' capacities compared round by round.
    A series whose median capacity is 0 (not even its lowest step held)
    cannot win: it counts as failed."""
    rule = slo_rule(table)
    if not rule:
        return []
    curves = rate_curves(results, rule["experiment"])
    out = []
    for where in dict.fromkeys(c.where for c in curves):
        mine = [c for c in curves if c.where == where]
        for slo in rule["slo_ms"]:
            rounds = {c.series: c.capacity_by_round(rule["metric"], slo) for c in mine}
            rounds = {s: v for s, v in rounds.items() if v and stats.median(v.values()) > 0}
            out.append(Regime.of_rounds((rule["experiment"], f"{where} {slo_words(slo)}"),
                                        [c.series for c in mine], rounds, rule["metric"],
                                        unit="req/s", alone="the only one to hold it"))
    return out
