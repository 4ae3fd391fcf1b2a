"""Per-configuration summaries and latency under load.

The which-model-when regimes themselves are decide.py's. Latency under load (docs/claims.toml's [capacity_at_slo]): an open-loop
experiment offers each series fixed rates, steps of load=P% of its own
closed-loop rate. A RateCurve is one series' steps at one configuration;
its capacity at an SLO is, per round, the highest offered rate held. The
which-model-when table gains a regime per configuration and SLO that
compares these capacities round by round among the classic models, with
the same four outcomes as every other regime.
"""
from . import decide, stats


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
        return stats.interval(self.values(name))

    def noisy(self, steal_pct=10.0):
        """True when a run of it lost more than steal_pct % to steal."""
        return any((r.value("steal_pct") or 0) > steal_pct for r in self.runs)


def regimes(results, table):
    """Every which-model-when regime (decide.regimes), for charts and the
    report; the capacity-at-SLO answers are capacity_regimes'."""
    return decide.regimes(results, table)


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
        """The median capacity over the rounds with its order-statistic
        interval, or None when no round ran."""
        return stats.interval(self.capacity_by_round(metric, slo_ms).values())


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
    """A which-model-when answer per configuration and SLO of the open-loop
    experiment: the classic models' capacities compared round by round. A
    model whose median capacity is 0 (not even its lowest step held)
    cannot win: its rounds count as failed."""
    rule = slo_rule(table)
    if not rule:
        return []
    classic = decide.rule(table).get("classic", [])
    curves = [c for c in rate_curves(results, rule["experiment"]) if c.series in classic]
    out = []
    for where in dict.fromkeys(c.where for c in curves):
        mine = [c for c in curves if c.where == where]
        for slo in rule["slo_ms"]:
            rounds = {}
            for c in mine:
                caps = c.capacity_by_round(rule["metric"], slo)
                held = caps and stats.median(caps.values()) > 0
                rounds[c.series] = caps if held else {r: stats.FAILED for r in caps}
            out.append(decide.Answer((rule["experiment"], f"{where} {slo_words(slo)}"), decide.CLASSIC,
                                     rounds, decide.planned_rounds(results), unit="req/s",
                                     metric=rule["metric"]))
    return out
