"""The verdict rules: docs/claims.toml, evaluated against a results folder.

See the header of docs/claims.toml for the rule language. This module only
interprets it: every threshold, series and wording lives in the table, so a
rule is changed by editing data, and tests/test_analysis.py checks that each
rule can give each outcome.
"""
import os
import tomllib

from . import stats

REPRODUCED, REFUTED, INCONCLUSIVE, NOT_MEASURED = "reproduced", "refuted", "inconclusive", "not measured"
HOLDS, FAILS, UNCLEAR = "holds", "fails", "unclear"

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
                  and all(results.by_round(g[0], _config(s, g), "ops_per_s") for s in sides)]
    return [max(candidates, key=size)] if candidates else []


def _config(series, group):
    return f"{series} {group[1]}".strip()


class Finding:
    """One check on one group: what was compared, its interval, its result."""

    def __init__(self, check, group, a, b, interval, result):
        self.check, self.group, self.a, self.b = check, group, a, b
        self.interval, self.result = interval, result


def _side(results, group, series, metric):
    """round -> value of `metric` for one series of a group (valid runs)."""
    return results.by_round(group[0], _config(series, group), metric)


def _divided(values, divisor):
    return {r: v / divisor[r] for r, v in values.items() if divisor.get(r)}


def evaluate_check(results, check):
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
            sides = [s for s in results.series_of(group) if s not in skip]
        else:
            sides = [check["a"]]
        for a in sides:
            name = f"{check.get('says', '')}|{group}|{a}|{b}"
            av = _side(results, group, a, metric)
            if b:
                bv = _side(results, group, b, metric)
                if divide_by:
                    theory = _side(results, group, b, divide_by)
                    bv = {r: v * theory[r] for r, v in bv.items() if theory.get(r)}
                interval = stats.ratio_interval(av, bv, name)
            else:
                if divide_by:
                    av = _divided(av, _side(results, group, a, divide_by))
                interval = stats.interval(av.values(), name)
            result = judge(interval, check["expect"], check["value"]) if interval else None
            findings.append(Finding(check, group, a, b, interval, result))
    return findings


def outcome(findings):
    """A claim's outcome from all its findings."""
    judged = [f.result for f in findings if f.result is not None]
    if not judged:
        return NOT_MEASURED
    if FAILS in judged:
        return REFUTED
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


def evaluate_inform(results, inform):
    """Informative comparisons: a over b with its interval, not judged."""
    out = []
    spec = dict(inform, expect="above", value=1.0)
    for group in matching_groups(results, spec):
        name = f"inform|{inform.get('says', '')}|{group}"
        av = results.by_round(group[0], _config(inform["a"], group), inform.get("metric", "ops_per_s"))
        bv = results.by_round(group[0], _config(inform["b"], group), inform.get("metric", "ops_per_s"))
        out.append((inform, group, stats.ratio_interval(av, bv, name)))
    return out


def evaluate(results, table):
    """A Verdict per claim of the table, in table order."""
    verdicts = []
    for claim in table.get("claim", []):
        findings = []
        for check in claim.get("check", []):
            found = evaluate_check(results, check)
            if not found and check.get("required"):
                # not measured: the claim cannot be reproduced without it
                found = [Finding(check, (check["experiment"], "not measured"),
                                 check["a"], check.get("b"), None, None)]
            findings += found
        informs = [i for inform in claim.get("inform", []) for i in evaluate_inform(results, inform)]
        verdicts.append(Verdict(claim, findings, informs))
    return verdicts
