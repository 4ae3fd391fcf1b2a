"""The answers: which model, per regime, with one of four outcomes.

A regime is a group (an experiment and its knobs: "net-slow n=1000
delay=50ms") of a family listed in docs/claims.toml [which_model_when].
Three kinds of question are asked of it, each answered with the outcomes
of stats.outcome (winner, ahead, equivalent, undecided):

  classic      the seeds' question, among the classic models only (serial,
               fork, threads, async: data in claims.toml): which is best?
  refinements  each refinement against the classic model it refines
               (uring-vs-async, hybrid-vs-async, threads-gil-vs-threads...)
  control      the A/A control: the control model run under a second name
               (async~2) against itself; it must never be called a winner

Every figure is a per-round "score", higher is better: the family's metric,
or its reciprocal when lower is better (time per worker, lateness), so a
ratio of scores always reads "times better". The best of a regime is the
series whose smallest median ratio over any other is largest (it beats
every other one in median when any series does); the runner-up is the
closest of the others, the one with the smallest median ratio under the
best. Ranking and deciding use the same per-round ratios.

Runs that lost more than the family's steal limit to the hypervisor are
left out (and counted); a run that failed counts as a lost round for its
series. Decisions are taken at the looks of stats.look_schedule only.
"""
import math

from . import stats

CLASSIC, CONTROL = "classic", "control"
PENDING_MAX_ROUNDS = 100   # extra rounds go to regimes that need at most this many


def rule(table):
    """docs/claims.toml's [which_model_when] section."""
    return table.get("which_model_when", {})


def families(table):
    """The experiments whose groups are regimes, in table order."""
    return [f["experiment"] for f in rule(table).get("family", [])]


def family_of(table, experiment):
    for f in rule(table).get("family", []):
        if f["experiment"] == experiment:
            return f
    return None


def control_name(table):
    """(suffix, base): the A/A control series is base + suffix."""
    ctl = rule(table).get("control", {})
    return ctl.get("suffix", "~2"), ctl.get("model")


def steal_limit(table):
    return float(rule(table).get("steal_limit_pct", 10.0))


def planned_rounds(results):
    """The rounds every configuration was planned for (meta.txt)."""
    try:
        return max(1, int(results.meta.get("rounds", "5")))
    except ValueError:
        return 5


# --- per-round scores -----------------------------------------------------------

def score_of(run, metric, better):
    """A valid run's score (higher is better), or None."""
    v = run.value(metric)
    if v is None:
        return None
    if better == "lower":
        return math.inf if v == 0 else 1 / v
    return v


def scores(results, group, series, metric, better, steal_pct):
    """round -> score or stats.FAILED for one series of a group; runs that
    lost more than steal_pct % to steal are left out. Also how many were."""
    out, stolen = {}, 0
    for run in results.runs_of(group[0], f"{series} {group[1]}".strip()):
        if (run.value("steal_pct") or 0) > steal_pct:
            stolen += 1
        elif not run.valid:
            out[run.round] = stats.FAILED
        else:            # a valid run without the figure (an older cbench) has no say
            value = score_of(run, metric, better)
            if value is not None:
                out[run.round] = value
    return out, stolen


# --- one question on one regime --------------------------------------------------

class Answer:
    """One question's answer: best over runner-up, its interval and outcome.

    rounds: series -> {round: score or FAILED}, for the candidates only."""

    def __init__(self, group, question, rounds, planned, unit="", metric="ops_per_s"):
        self.group, self.question, self.unit, self.metric = group, question, unit, metric
        self.planned = planned
        self.rounds = rounds
        self.failed = [s for s, r in rounds.items() if r and all(v == stats.FAILED for v in r.values())]
        self.candidates = [s for s, r in rounds.items() if any(v != stats.FAILED for v in r.values())]
        self.vs = {}                    # series -> Interval of best / series, at the look
        self.best = self.runner_up = None
        self._rank()

    def _pair(self, a, b):
        """(Interval of a/b at the pair's last look, the ratios it used)."""
        common = sorted(set(self.rounds[a]) & set(self.rounds[b]))
        ratios = stats.paired_ratios({r: self.rounds[a][r] for r in common},
                                     {r: self.rounds[b][r] for r in common})
        n = len(ratios)
        j, at = stats.current_look(n, self.planned)
        if j == 0:       # fewer rounds than planned (runs left out): shown, never decided
            j, at = 1, n
        used = ratios[:at]
        return stats.interval(used, stats.look_confidence(j)), used, j

    def _rank(self):
        cands = self.candidates
        if not cands:
            return
        if len(cands) == 1:
            self.best = cands[0]
            return
        pair = {(a, b): self._pair(a, b) for a in cands for b in cands if a != b}

        def worst_median(s):
            meds = [pair[(s, x)][0].mid for x in cands if x != s and pair[(s, x)][0] is not None]
            return min(meds) if meds else -math.inf
        # the maximin series; ties broken by the order given (cbench list's)
        self.best = max(cands, key=lambda s: (worst_median(s), -cands.index(s)))
        others = [x for x in cands if x != self.best]
        for x in others:
            self.vs[x], _, _ = pair[(self.best, x)]
        judged = [x for x in others if self.vs[x] is not None]
        if judged:
            self.runner_up = min(judged, key=lambda x: (self.vs[x].mid, others.index(x)))
            _, self._margin_ratios, self.look = pair[(self.best, self.runner_up)]

    @property
    def margin(self):
        return self.vs.get(self.runner_up)

    @property
    def outcome(self):
        """One of stats.OUTCOMES, or None (nothing to compare)."""
        if self.margin is None:
            return None
        if self.margin.n < self.planned:
            return stats.UNDECIDED
        return stats.outcome(self.margin)

    @property
    def decided(self):
        return self.outcome in stats.DECIDED

    def rounds_needed(self):
        """For an undecided answer: about how many rounds would decide it."""
        if self.outcome != stats.UNDECIDED:
            return None
        need = stats.rounds_needed(self._margin_ratios, stats.look_confidence(self.look + 1))
        return max(need or 0, self.planned) if self.margin.n < self.planned else need

    def contenders(self):
        """The series that could still be best or runner-up: the best and
        every one the best has not beaten beyond the effect."""
        if self.best is None:
            return []
        return [self.best] + [x for x, v in self.vs.items() if v is None or stats.outcome(v) != stats.WINNER]

    def label(self):
        """The table's words: 'async', 'async ≈ threads', 'async (ahead)',
        'undecided: async, threads', 'fork (alone)', '–'."""
        if self.best is None:
            return "–" if not self.failed else f"all failed ({', '.join(self.failed)})"
        if self.runner_up is None:
            return f"{self.best} (alone)"
        o = self.outcome
        if o == stats.WINNER:
            return self.best
        if o == stats.AHEAD:
            return f"{self.best} ahead of {self.runner_up}"
        if o == stats.EQUIVALENT:
            return f"{self.best} ≈ {self.runner_up}"
        return f"undecided: {self.best}, {self.runner_up}"

    def sentence(self):
        """What a speaker may say, with the figure."""
        m = self.margin
        if m is None:
            return self.label()
        fig = f"{m.mid:.2f}× [{m.low:.2f}–{m.high:.2f}], n={m.n}"
        o = self.outcome
        if o == stats.WINNER:
            return f"{self.best} beats {self.runner_up} by {fig}"
        if o == stats.AHEAD:
            return f"{self.best} is faster than {self.runner_up} ({fig}); by 5 % or more is not shown"
        if o == stats.EQUIVALENT:
            return f"{self.best} and {self.runner_up} are within 5 % here ({fig})"
        need = self.rounds_needed()
        more = f"; needs ≈{need} rounds" if need else ""
        return f"not measurable here with {m.n} rounds ({self.best} / {self.runner_up} {fig}){more}"


# --- the regimes of a folder -------------------------------------------------------

class Regime:
    """A group of a which-model-when family and its answers."""

    def __init__(self, results, table, group):
        self.group = group
        fam = family_of(table, group[0]) or {}
        self.metric = fam.get("metric", "ops_per_s")
        self.better = fam.get("better", "higher")
        self.unit = fam.get("unit", "ops/s")
        self.planned = planned_rounds(results)
        limit = steal_limit(table)
        series = results.series_of(group)
        self.stolen = 0
        self.scores = {}
        for s in series:
            self.scores[s], stolen = scores(results, group, s, self.metric, self.better, limit)
            self.stolen += stolen
        cfg = rule(table)
        classic = [s for s in cfg.get("classic", []) if s in self.scores]
        self.classic = self._answer(CLASSIC, classic)
        self.refinements = []
        for ref in cfg.get("refinement", []):
            if ref["a"] in self.scores and ref["b"] in self.scores:
                self.refinements.append(self._answer(ref["question"], [ref["a"], ref["b"]]))
        suffix, base = control_name(table)
        self.control = None
        if base and base in self.scores and base + suffix in self.scores:
            self.control = self._answer(CONTROL, [base + suffix, base])

    def _answer(self, question, series):
        return Answer(self.group, question, {s: self.scores[s] for s in series}, self.planned,
                      self.unit, self.metric)

    def name(self):
        return f"{self.group[0]} {self.group[1]}".strip()

    def answers(self):
        out = [self.classic] + self.refinements
        return out + ([self.control] if self.control else [])

    def rate(self, series):
        """The median of a series' valid figures (in the family's metric)."""
        values = [v for v in self.scores.get(series, {}).values() if v != stats.FAILED]
        if not values:
            return None
        m = stats.median(values)
        return (1 / m if m else math.inf) if self.better == "lower" else m


def regimes(results, table):
    """Every regime of the families measured in the folder, in table order
    (the Python row's series left out: they have their own section)."""
    from . import python
    results = python.without_python(results)
    out = []
    for experiment in families(table):
        for group in results.groups(experiment):
            out.append(Regime(results, table, group))
    return out


def pending(results, table):
    """The configurations to run in the next extra round: [(experiment,
    config)], most promising regime first. A regime is pending while its
    classic answer is undecided and would need at most PENDING_MAX_ROUNDS
    rounds; its contenders run again (with the A/A control when its base
    is one of them)."""
    suffix, base = control_name(table)
    queue = []
    for reg in regimes(results, table):
        ans = reg.classic
        need = ans.rounds_needed()
        if ans.outcome != stats.UNDECIDED or need is None or need > PENDING_MAX_ROUNDS:
            continue
        series = ans.contenders()
        if base in series and base + suffix in reg.scores:
            series.append(base + suffix)
        queue.append((need - ans.margin.n, reg, series))
    queue.sort(key=lambda q: q[0])
    return [(reg.group[0], f"{s} {reg.group[1]}".strip()) for _, reg, series in queue for s in series]


# --- decisions.csv --------------------------------------------------------------

COLUMNS = ["regime", "question", "outcome", "best", "runner_up", "ratio", "low", "high",
           "confidence", "n", "rounds_needed"]


def _num(x):
    if x is None:
        return ""
    if math.isinf(x):
        return "inf"
    return f"{x:.4g}"


def answer_row(regime_name, ans):
    m = ans.margin
    return {"regime": regime_name, "question": ans.question, "outcome": ans.outcome,
            "best": ans.best or "", "runner_up": ans.runner_up or "",
            "ratio": _num(m.mid if m else None), "low": _num(m.low if m else None),
            "high": _num(m.high if m else None),
            "confidence": f"{m.confidence:.4f}" if m and m.confidence is not None else "",
            "n": str(m.n) if m else "", "rounds_needed": str(ans.rounds_needed() or "")}


def control_family_rows(regs):
    """One row per family: the A/A control over all its regimes. The
    outcome is the most alarming one found (winner, then ahead, undecided,
    equivalent); ratio is the median of the control medians, low / high
    the extremes of their intervals, n the number of regimes."""
    rows = []
    severity = [stats.WINNER, stats.AHEAD, stats.UNDECIDED, stats.EQUIVALENT]
    by_family = {}
    for reg in regs:
        if reg.control and reg.control.margin:
            by_family.setdefault(reg.group[0], []).append(reg.control)
    for family, answers in by_family.items():
        worst = min(answers, key=lambda a: severity.index(a.outcome))
        mids = [a.margin.mid for a in answers]
        rows.append({"regime": f"{family} (all regimes)", "question": CONTROL, "outcome": worst.outcome,
                     "best": worst.best, "runner_up": worst.runner_up, "ratio": _num(stats.median(mids)),
                     "low": _num(min(a.margin.low for a in answers)),
                     "high": _num(max(a.margin.high for a in answers)),
                     "confidence": "", "n": str(len(answers)), "rounds_needed": ""})
    return rows


def decision_rows(regs, capacity=()):
    """decisions.csv's rows: per regime its classic answer and refinements,
    the capacity-at-SLO answers, then one control row per family. A question
    with one series or none (the others exceed the run cap) is not asked,
    so it has no row: every row's outcome is one of the four."""
    rows = []
    for reg in regs:
        rows += [answer_row(reg.name(), a) for a in [reg.classic] + reg.refinements if a.runner_up]
    for ans in capacity:
        rows.append(answer_row(f"{ans.group[0]} {ans.group[1]}", ans))
    return rows + control_family_rows(regs)


def csv_text(rows):
    lines = [",".join(COLUMNS)]
    for row in rows:
        lines.append(",".join(_csv_cell(row[c]) for c in COLUMNS))
    return "\n".join(lines) + "\n"


def _csv_cell(text):
    text = str(text)
    return f'"{text}"' if any(ch in text for ch in ',"\n') else text


def summary(regs):
    """(decided, total, counts by outcome) of the classic answers with a
    runner-up (a regime with one series or none is not a question)."""
    asked = [r.classic for r in regs if r.classic.runner_up]
    counts = {o: sum(1 for a in asked if a.outcome == o) for o in stats.OUTCOMES}
    return sum(counts[o] for o in stats.DECIDED), len(asked), counts
