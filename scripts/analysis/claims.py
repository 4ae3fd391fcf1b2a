"""The verdict rules: docs/claims.toml, evaluated against a results folder.

See the header of docs/claims.toml for the rule language. This module only
interprets it: every threshold, series and wording lives in the table, so a
rule is changed by editing data, and tests/test_analysis.py checks that each
rule can give each outcome.
"""
import os
import tomllib

from . import decide, stats

REPRODUCED, REFUTED, INCONCLUSIVE, NOT_MEASURED = "reproduced", "refuted", "inconclusive", "not measured"
NOT_TESTABLE = "not testable here"
HOLDS, FAILS, UNCLEAR, UNTESTABLE = "holds", "fails", "unclear", "not testable"

DEFAULT_TABLE = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "claims.toml")


def load_table(path=DEFAULT_TABLE):
    with open(path, "rb") as f:
        return tomllib.load(f)


def judge(interval, expect, value):
    """HOLDS / FAILS / UNCLEAR for an interval against an expectation."""
    if expect == "above":
        return HOLDS if interval.above(value) else FAILS if interval.below(value) else UNCLEAR
    if expect == "below":
        return HOLDS if interval.below(value) else FAILS if interval.above(value) else UNCLEAR
    if expect == "within":
        low, high = value
        if interval.within(low, high):
            return HOLDS
        return FAILS if interval.high < low or interval.low > high else UNCLEAR
    raise ValueError(f"unknown expectation {expect!r}")


def _knob_number(text):
    """'1000' -> 1000.0, '50ms' -> 50.0, else None."""
    digits = text[:-2] if text.endswith("ms") else text
    try:
        return float(digits)
    except ValueError:
        return None


def _wanted(spec_value, cores):
    """A knob's wanted values as strings, or 'max'."""
    if spec_value == "max":
        return "max"
    values = spec_value if isinstance(spec_value, list) else [spec_value]
    out = []
    for v in values:
        if isinstance(v, str) and "cores" in v:
            factor = v.replace("cores", "").replace("*", "").strip()
            v = int(float(factor or 1) * cores)
        out.append(str(v))
    return out


def _knobs(group):
    """A group's knobs: 'n=10 delay=0ms' -> {'n': '10', 'delay': '0ms'}."""
    return dict(w.split("=", 1) for w in group[1].split() if "=" in w)


def matching_groups(results, check):
    """The groups of the check's experiment whose knobs match. A knob asked
    as "max" keeps only the group with its largest value (not below min_n)
    at which every named side has valid runs."""
    fixed, largest = {}, None
    for key, spec in check.get("knobs", {}).items():
        wanted = _wanted(spec, results.cores)
        if wanted == "max":
            largest = key
        else:
            fixed[key] = wanted
    groups = [g for g in results.groups(check["experiment"])
              if all(_knobs(g).get(k) in wanted for k, wanted in fixed.items())]
    if largest is None:
        return groups
    sides = [s for s in (check["a"], check.get("b")) if s and s != "*"]

    def size(group):
        return _knob_number(_knobs(group).get(largest, "")) or 0

    candidates = [g for g in groups if size(g) >= check.get("min_n", 0)
                  and all(results.by_round(g[0], _config(s, g), check.get("metric", "ops_per_s")) for s in sides)]
    return [max(candidates, key=size)] if candidates else []


def _config(series, group):
    return f"{series} {group[1]}".strip()


class Finding:
    """One check on one group: what was compared, its interval, its result."""

    def __init__(self, check, group, a, b, interval, result):
        self.check, self.group, self.a, self.b = check, group, a, b
        self.interval, self.result = interval, result
        self.why = None             # why it is not testable here


def _side(results, group, series, metric, table):
    """round -> value of `metric` (or stats.FAILED) for one series of a
    group; runs lost to steal are left out, as in every decision."""
    values, _ = decide.scores(results, group, series, metric, "higher", decide.steal_limit(table))
    return values


def _valid(values):
    return {r: v for r, v in values.items() if v != stats.FAILED}


def _combine(values, other, fn):
    """Per round fn(value, other's value); FAILED where either failed or
    the other side has no figure."""
    return {r: stats.FAILED if v == stats.FAILED or other.get(r) in (None, stats.FAILED, 0) else fn(v, other[r])
            for r, v in values.items()}


def _reference(results, check, series, table):
    """The median of `reference` (another experiment's figure for the same
    series: {experiment, metric, knobs}), or None."""
    ref = check.get("reference")
    if not ref:
        return None
    spec = {"experiment": ref["experiment"], "knobs": ref.get("knobs", {}), "a": series}
    values = []
    for group in matching_groups(results, spec):
        values += _valid(_side(results, group, series, ref["metric"], table)).values()
    return stats.median(values) if values else None


def untestable(results, check, group, sides):
    """Why a check cannot test its claim here (the client's or the server's
    CPU saturated: the test would measure that, not the model), or None.
    check["not_testable_if"] = {client_busy_pct = P} or {server_busy_pct = P}."""
    limits = check.get("not_testable_if", {})
    for what, limit in sorted(limits.items()):
        for series in sides:
            busy = [v for v in (r.value(what) for r in results.runs_of(group[0], _config(series, group))
                                if r.valid) if v is not None]
            if busy and stats.median(busy) >= limit:
                side = what.split("_")[0]
                return f"{side} CPU {stats.median(busy):.0f} % busy under {series}"
    return None


def evaluate_check(results, check, table):
    """Findings of one check: one per matching group and series. A ratio
    check with divide_by compares (a / b) / theory, the theory taken from
    b's run of the same round; a value check divides by a's own."""
    metric = check.get("metric", "ops_per_s")
    divide_by = check.get("divide_by")
    b = check.get("b")
    findings = []
    for group in matching_groups(results, check):
        if check["a"] == "*":
            skip = set(check.get("exclude", [])) | ({b} if b else set())
            suffix, _ = decide.control_name(table)
            sides = [s for s in results.series_of(group) if s not in skip and suffix not in s]
        else:
            sides = [check["a"]]
        for a in sides:
            why = untestable(results, check, group, [a] + ([b] if b else []))
            av = _side(results, group, a, metric, table)
            if b:
                bv = _side(results, group, b, metric, table)
                if divide_by:
                    bv = _combine(bv, _side(results, group, b, divide_by, table), lambda v, t: v * t)
                interval = stats.ratio_interval(av, bv)
            else:
                if divide_by:
                    av = _combine(av, _side(results, group, a, divide_by, table), lambda v, t: v / t)
                reference = _reference(results, check, a, table)
                if check.get("reference"):
                    av = {r: v / reference for r, v in av.items() if v != stats.FAILED} if reference else {}
                interval = stats.interval(_valid(av).values())
            if why:
                result = UNTESTABLE
            else:
                result = judge(interval, check["expect"], check["value"]) if interval else None
            finding = Finding(check, group, a, b, interval, result)
            finding.why = why
            findings.append(finding)
    return findings


def outcome(findings):
    """A claim's outcome from all its findings: refuted when a testable
    check fails; not testable here when a check could not test it (its
    client or server was the limit); reproduced when every check holds."""
    judged = [f.result for f in findings if f.result is not None]
    if not judged:
        return NOT_MEASURED
    if FAILS in judged:
        return REFUTED
    if UNTESTABLE in judged:
        return NOT_TESTABLE
    if all(r == HOLDS for r in judged) and len(judged) == len(findings):
        return REPRODUCED
    return INCONCLUSIVE


class Verdict:
    def __init__(self, claim, findings, informs):
        self.claim = claim
        self.findings = findings
        self.informs = informs          # [(inform spec, group, Interval or None)]
        self.outcome = outcome(findings)

    @property
    def id(self):
        return self.claim["id"]


def evaluate_inform(results, inform, table):
    """Informative comparisons: a over b with its interval, not judged."""
    out = []
    spec = dict(inform, expect="above", value=1.0)
    metric = inform.get("metric", "ops_per_s")
    for group in matching_groups(results, spec):
        av = _side(results, group, inform["a"], metric, table)
        bv = _side(results, group, inform["b"], metric, table)
        out.append((inform, group, stats.ratio_interval(av, bv)))
    return out


def evaluate(results, table):
    """A Verdict per claim of the table, in table order. The claims are C's:
    the Python row's series are left out (their section asks G1-G5 apart)."""
    from . import python
    results = python.without_python(results)
    verdicts = []
    for claim in table.get("claim", []):
        findings = []
        for check in claim.get("check", []):
            found = evaluate_check(results, check, table)
            if not found and check.get("required"):
                # not measured: the claim cannot be reproduced without it
                found = [Finding(check, (check["experiment"], "not measured"),
                                 check["a"], check.get("b"), None, None)]
            findings += found
        informs = [i for inform in claim.get("inform", []) for i in evaluate_inform(results, inform, table)]
        verdicts.append(Verdict(claim, findings, informs))
    return verdicts
