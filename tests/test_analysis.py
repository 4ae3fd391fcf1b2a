"""Unit tests of scripts/analysis: statistics, the claim rules, the
which-model-when decision, the report and compare.

Fixtures are small results built in memory. Two kinds of rule tests:
  - every check of every claim in docs/claims.toml is driven to each of
    its outcomes (data built from the check's own spec), so no rule is
    unable to fail or to pass;
  - boundary fixtures with concrete numbers just inside and just outside
    each claim's documented threshold, so a threshold broken in the table
    fails a test.
Run: python3 -m unittest discover -s tests -p 'test_*.py'
"""
import copy
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from analysis import charts, claims, compare, data, decide, instrument, report, stats, tables  # noqa: E402

TABLE = claims.load_table()
LISTING = {"models": [{"name": m, "sequential": m == "serial"} for m in
                      ("serial", "fork", "threads", "async", "hybrid")], "workloads": []}
CORES = 2


def run_row(experiment, config, rnd, metrics, exit_code=0, errors=0, checksum="abcd"):
    row = {"experiment": experiment, "round": str(rnd), "model": config.split()[0].split("-")[0],
           "errors": str(errors), "checksum": checksum, "config": config, "exit": str(exit_code),
           "metrics": ";".join(f"{k}={v}" for k, v in metrics.items())}
    return data.Run(row)


def results_of(runs, meta=None):
    meta = {"cores": str(CORES), "rounds": "5", "seed": "1", **(meta or {})}
    return data.Results("fixture", runs, meta, LISTING)


def knobs_text(check):
    """The knob words of a group the check matches."""
    words = []
    for key, spec in check.get("knobs", {}).items():
        if spec == "max":
            spec = max(1000, check.get("min_n", 0))
        elif isinstance(spec, list):
            spec = spec[0]
        elif isinstance(spec, str) and "cores" in spec:
            spec = int(float(spec.replace("cores", "").replace("*", "") or 1) * CORES)
        words.append(f"{key}={spec}")
    return " ".join(words)


def target_values(check, where):
    """Per-round values of the judged quantity: 'holds', 'fails' or
    'unclear' (straddling the threshold)."""
    expect, value = check["expect"], check["value"]
    if expect == "within":
        low, high = value
        mid = (low + high) / 2
        return {"holds": [mid] * 5, "fails": [high * 1.5] * 5,
                "unclear": [mid, high * 1.5, mid, high * 1.5, mid]}[where]
    inside = value * 1.2 if expect == "above" else value * 0.8
    outside = value * 0.8 if expect == "above" else value * 1.2
    return {"holds": [inside] * 5, "fails": [outside] * 5,
            "unclear": [inside, outside, inside, outside, inside]}[where]


def add_check(values, check, where):
    """Put one check in state `where` (holds/fails/unclear): fills `values`,
    (experiment, config, round) -> {metric: value}. A side an earlier check
    already set is kept, and the other side is derived from it, so checks
    sharing a series (G1's fork, G6's async) compose."""
    metric = check.get("metric", "ops_per_s")
    divide_by = check.get("divide_by")
    knobs = knobs_text(check)
    b = check.get("b")
    a_series = ["fork", "threads"] if check["a"] == "*" else [check["a"]]
    a_series = [s for s in a_series if s not in check.get("exclude", []) and s != b]
    theory = 2.0
    for rnd, target in enumerate(target_values(check, where), start=1):
        for a in a_series:
            a_key = (check["experiment"], f"{a} {knobs}".strip(), rnd)
            a_metrics = values.setdefault(a_key, {})
            if not b:
                a_metrics[metric] = target * (theory if divide_by else 1.0)
                if divide_by:
                    a_metrics[divide_by] = theory
                ref = check.get("reference")
                if ref:        # the same series measured in the reference experiment
                    a_metrics[metric] = target * theory
                    ref_knobs = " ".join(f"{k}={v}" for k, v in ref.get("knobs", {}).items())
                    values.setdefault((ref["experiment"], f"{a} {ref_knobs}".strip(), rnd), {})[ref["metric"]] = theory
                continue
            b_metrics = values.setdefault((check["experiment"], f"{b} {knobs}".strip(), rnd), {})
            scale = target * (theory if divide_by else 1.0)
            if metric in b_metrics and metric not in a_metrics:
                a_metrics[metric] = b_metrics[metric] * scale
            else:
                b_metrics[metric] = a_metrics.setdefault(metric, 100.0) / scale
            if divide_by:
                b_metrics[divide_by] = theory


def runs_of_values(values):
    return [run_row(exp, config, rnd, m) for (exp, config, rnd), m in values.items()]


def claim_runs(claim, where_by_check):
    values = {}
    for i, check in enumerate(claim.get("check", [])):
        add_check(values, check, where_by_check(i))
    return runs_of_values(values)


def series_fixture(experiment, knobs, by_series, metric="ops_per_s", extra=None):
    """Five rounds of runs, each series at its value (with a 0.1 % jitter)."""
    return [run_row(experiment, f"{s} {knobs}".strip(), rnd,
                    {metric: v * (1 + 0.001 * (rnd - 3)), **(extra or {})})
            for rnd in range(1, 6) for s, v in by_series.items()]


class StatsTest(unittest.TestCase):
    def test_median(self):
        self.assertEqual(stats.median([3, 1, 2]), 2)
        self.assertEqual(stats.median([4, 1, 3, 2]), 2.5)
        with self.assertRaises(ValueError):
            stats.median([])

    def test_order_statistic_interval_states_its_confidence(self):
        values = [1.0, 1.1, 0.9, 1.3, 1.05]
        i = stats.interval(values)
        self.assertEqual((i.mid, i.low, i.high, i.n), (1.05, 0.9, 1.3, 5))
        self.assertAlmostEqual(i.confidence, 0.9375)        # min-max of 5: 1 - 2/32
        self.assertAlmostEqual(stats.interval(values[:3]).confidence, 0.75)
        wide = stats.interval(list(range(20)), 0.95)
        self.assertGreaterEqual(wide.confidence, 0.95)
        self.assertGreater(wide.low, 0)                      # not min-max: an inner pair

    def test_paired_ratios_use_common_rounds_only(self):
        self.assertEqual(stats.paired_ratios({1: 2.0, 2: 4.0, 3: 9.0}, {1: 1.0, 2: 2.0, 4: 1.0}), [2.0, 2.0])

    def test_a_failed_round_is_lost_not_dropped(self):
        self.assertEqual(stats.paired_ratios({1: 2.0, 2: stats.FAILED}, {1: 1.0, 2: 1.0}), [2.0, 0.0])
        self.assertEqual(stats.paired_ratios({1: 2.0}, {1: stats.FAILED}), [float("inf")])
        self.assertEqual(stats.paired_ratios({1: stats.FAILED}, {1: stats.FAILED}), [])

    def test_decide_needs_the_whole_interval_beyond_the_effect(self):
        self.assertEqual(stats.decide(stats.Interval(1.2, 1.06, 1.3, 5)), "a")
        self.assertIsNone(stats.decide(stats.Interval(1.2, 1.04, 1.3, 5)))
        self.assertEqual(stats.decide(stats.Interval(0.8, 0.7, 0.94, 5)), "b")
        self.assertIsNone(stats.decide(stats.Interval(0.8, 0.7, 0.96, 5)))

    def test_four_outcomes(self):
        self.assertEqual(stats.outcome(stats.Interval(1.2, 1.06, 1.3, 5)), stats.WINNER)
        self.assertEqual(stats.outcome(stats.Interval(1.0, 0.97, 1.04, 5)), stats.EQUIVALENT)
        self.assertEqual(stats.outcome(stats.Interval(1.02, 1.01, 1.04, 5)), stats.EQUIVALENT)
        self.assertEqual(stats.outcome(stats.Interval(1.1, 1.01, 1.3, 5)), stats.AHEAD)
        self.assertEqual(stats.outcome(stats.Interval(1.1, 0.9, 1.3, 5)), stats.UNDECIDED)


def saturate(runs, experiment, what, pct):
    """Make one side's CPU `pct` % busy in every run of `experiment` (one
    CPU each side, as placement "client=0-0 server=1-1" gives them, in a
    1 s run): what data.Run derives client_busy_pct (user + system time)
    and server_busy_pct (the server's CPU time) from."""
    for run in runs:
        if run.experiment != experiment:
            continue
        run.row.update(placement="client=0-0 server=1-1", wall_s="1.0")
        if what == "client_busy_pct":
            run.row.update(user_s=str(pct / 200), sys_s=str(pct / 200))
        elif what == "server_busy_pct":
            run.row.update(server_cpu_s=str(pct / 100))
        else:
            raise AssertionError(f"no fixture for not_testable_if {what}")
    return runs


class RuleOutcomesTest(unittest.TestCase):
    """Every claim can be reproduced, refuted, inconclusive and not measured;
    a claim whose check names the side that must not be the limit
    (not_testable_if) can also be not testable here."""

    def outcome(self, claim, where_by_check):
        table = {"claim": [claim]}
        return claims.evaluate(results_of(claim_runs(claim, where_by_check)), table)[0].outcome

    def test_every_claim_gives_every_outcome(self):
        for claim in TABLE["claim"]:
            with self.subTest(claim=claim["id"]):
                self.assertEqual(self.outcome(claim, lambda i: "holds"), claims.REPRODUCED)
                self.assertEqual(self.outcome(claim, lambda i: "fails" if i == 0 else "holds"), claims.REFUTED)
                self.assertEqual(self.outcome(claim, lambda i: "unclear" if i == 0 else "holds"),
                                 claims.INCONCLUSIVE)
                table = {"claim": [claim]}
                self.assertEqual(claims.evaluate(results_of([]), table)[0].outcome, claims.NOT_MEASURED)

    def test_every_check_can_fail_on_its_own(self):
        for claim in TABLE["claim"]:
            for i, _ in enumerate(claim.get("check", [])):
                with self.subTest(claim=claim["id"], check=i):
                    self.assertEqual(self.outcome(claim, lambda j, i=i: "fails" if j == i else "holds"),
                                     claims.REFUTED)

    def test_a_saturated_side_is_not_testable_here(self):
        """Driven from each check's not_testable_if: at or above the limit the
        claim is not testable here whether its figures hold or fail (the
        test would measure the saturated side); below it, they decide."""
        claimed = set()
        for claim in TABLE["claim"]:
            for i, check in enumerate(claim.get("check", [])):
                for what, limit in check.get("not_testable_if", {}).items():
                    claimed.add(claim["id"])
                    for where, decided in (("holds", claims.REPRODUCED), ("fails", claims.REFUTED)):
                        for busy, expected in ((limit + 8, claims.NOT_TESTABLE), (limit, claims.NOT_TESTABLE),
                                               (limit - 30, decided)):
                            with self.subTest(claim=claim["id"], check=i, where=where, busy=busy):
                                runs = claim_runs(claim, lambda j, i=i, where=where: where if j == i else "holds")
                                saturate(runs, check["experiment"], what, busy)
                                self.assertAlmostEqual(next(r for r in runs if r.experiment == check["experiment"])
                                                       .value(what), busy)
                                v = claims.evaluate(results_of(runs), {"claim": [claim]})[0]
                                self.assertEqual(v.outcome, expected)
                                if expected == claims.NOT_TESTABLE:
                                    side = what.split("_")[0]
                                    self.assertTrue(any(f"{side} CPU {busy} % busy" in (f.why or "")
                                                        for f in v.findings))
        self.assertLessEqual({"G2", "H2"}, claimed)
        self.assertEqual(claims.NOT_TESTABLE, "not testable here")

    def test_failed_runs_are_not_figures(self):
        claim = next(c for c in TABLE["claim"] if c["id"] == "G1")
        runs = claim_runs(claim, lambda i: "holds")
        broken = [run_row(r.experiment, r.config, r.round, r.metrics, exit_code=1, errors=1,
                          checksum="-") for r in runs]
        self.assertEqual(claims.evaluate(results_of(broken), {"claim": [claim]})[0].outcome,
                         claims.NOT_MEASURED)


STEADY = "steady_req_per_s"     # the net claims compare the steady rate


def ratio_fixture(experiment, knobs, a, b, ratio, metric="ops_per_s", extra_b=None):
    runs = []
    for rnd in range(1, 6):
        jitter = 1 + 0.002 * (rnd - 3)
        ma = {metric: 100 * ratio * jitter}
        mb = {metric: 100.0, **(extra_b or {})}
        runs += [run_row(experiment, f"{a} {knobs}".strip(), rnd, ma),
                 run_row(experiment, f"{b} {knobs}".strip(), rnd, mb)]
    return runs


def value_fixture(experiment, knobs, series, value, metric, extra=None):
    return [run_row(experiment, f"{s} {knobs}".strip(), rnd,
                    {metric: value * (1 + 0.001 * (rnd - 3)), **(extra or {})})
            for rnd in range(1, 6) for s in series]


def verdict(claim_id, runs):
    claim = next(c for c in TABLE["claim"] if c["id"] == claim_id)
    return claims.evaluate(results_of(runs), {"claim": [claim]})[0]


class ThresholdTest(unittest.TestCase):
    """Concrete numbers on both sides of each documented threshold: a
    threshold changed in docs/claims.toml makes one of these fail."""

    def g1(self, fork_over_serial, fork_over_gil=2.0, fork_over_async=2.0):
        return series_fixture("cpu", "n=4", {"fork": 100.0, "serial": 100 / fork_over_serial,
                                             "threads-gil": 100 / fork_over_gil,
                                             "async": 100 / fork_over_async, "threads": 100.0})

    def test_g1_processes_need_1_3x_over_serial(self):
        self.assertEqual(verdict("G1", self.g1(1.4)).outcome, claims.REPRODUCED)
        self.assertEqual(verdict("G1", self.g1(1.2)).outcome, claims.REFUTED)

    def test_g1_compares_with_threads_under_a_gil(self):
        self.assertEqual(verdict("G1", self.g1(1.4, fork_over_gil=1.2)).outcome, claims.REFUTED)

    def test_g2_threads_within_5_percent_of_async(self):
        def runs(ratio):
            return ratio_fixture("net-fast", "n=4 delay=0ms", "threads", "async", ratio, STEADY)
        self.assertEqual(verdict("G2", runs(0.97)).outcome, claims.REPRODUCED)
        self.assertEqual(verdict("G2", runs(0.93)).outcome, claims.REFUTED)

    def test_g2_not_testable_when_the_client_core_is_saturated(self):
        def runs(ratio, busy_s):
            out = ratio_fixture("net-fast", "n=4 delay=0ms", "threads", "async", ratio, STEADY)
            for run in out:     # one client CPU, busy busy_s of the run's 1 s
                run.row.update(user_s=str(busy_s / 2), sys_s=str(busy_s / 2), wall_s="1.0",
                               placement="client=0-0 server=1-1")
            return out
        saturated = verdict("G2", runs(0.6, 0.97))
        self.assertEqual(saturated.outcome, claims.NOT_TESTABLE)
        self.assertIn("client CPU 97 % busy", saturated.findings[0].why)
        self.assertEqual(verdict("G2", runs(0.6, 0.5)).outcome, claims.REFUTED)

    def g3(self, rate_ratio, mem_ratio, n=10000):
        knobs = f"n={n} delay=50ms"
        runs = []
        for rnd in range(1, 6):
            runs.append(run_row("net-slow", f"async {knobs}", rnd, {"ops_per_s": 100 * rate_ratio, "mem_kib": 100}))
            runs.append(run_row("net-slow", f"threads {knobs}", rnd, {"ops_per_s": 100, "mem_kib": 100 * mem_ratio}))
        return runs

    def test_g3_async_faster_and_lighter_at_many_connections(self):
        self.assertEqual(verdict("G3", self.g3(1.1, 2.5)).outcome, claims.REPRODUCED)
        self.assertEqual(verdict("G3", self.g3(1.0, 2.5)).outcome, claims.REFUTED)
        self.assertEqual(verdict("G3", self.g3(1.1, 1.8)).outcome, claims.REFUTED)

    def test_g3_needs_a_thousand_connections(self):
        self.assertEqual(verdict("G3", self.g3(1.1, 2.5, n=100)).outcome, claims.NOT_MEASURED)

    def test_g3_judges_the_most_connections(self):
        runs = self.g3(1.0, 2.5, n=1000) + self.g3(1.1, 2.5, n=10000)
        self.assertEqual(verdict("G3", runs).outcome, claims.REPRODUCED)

    def test_g4_three_seconds_serially_one_concurrently(self):
        ok = value_fixture("sleep", "n=3", ["serial"], 3.001, "wall_s") + \
            value_fixture("sleep", "n=3", ["fork", "async"], 1.002, "wall_s")
        self.assertEqual(verdict("G4", ok).outcome, claims.REPRODUCED)
        slow = value_fixture("sleep", "n=3", ["serial"], 3.001, "wall_s") + \
            value_fixture("sleep", "n=3", ["fork", "async"], 1.02, "wall_s")
        self.assertEqual(verdict("G4", slow).outcome, claims.REFUTED)

    def test_g5_thread_cost_5x_async(self):
        def runs(threads_us, fork_us=500, kib=10):
            return (value_fixture("spawn", "n=1000", ["threads"], threads_us, "us_per_worker")
                    + value_fixture("spawn", "n=1000", ["async"], 1.0, "us_per_worker")
                    + value_fixture("spawn", "n=1000", ["fork"], fork_us, "us_per_worker")
                    + value_fixture("spawn-mem", "n=1000", ["threads"], kib, "mem_kib")
                    + value_fixture("spawn-mem", "n=1000", ["async"], 1.0, "mem_kib"))
        self.assertEqual(verdict("G5", runs(6.0)).outcome, claims.REPRODUCED)
        self.assertEqual(verdict("G5", runs(4.0)).outcome, claims.REFUTED)
        self.assertEqual(verdict("G5", runs(60.0, fork_us=60.0)).outcome, claims.REFUTED)
        self.assertEqual(verdict("G5", runs(60.0, kib=4.0)).outcome, claims.REFUTED)

    def test_g6_loop_late_by_half_a_chunk(self):
        def runs(async_us, hybrid_us):
            return (value_fixture("mixed", "n=12 chunk=10ms", ["async"], async_us, "io_p99_late_us")
                    + value_fixture("mixed", "n=12 chunk=10ms", ["hybrid"], hybrid_us, "io_p99_late_us"))
        self.assertEqual(verdict("G6", runs(9000, 300)).outcome, claims.REPRODUCED)
        self.assertEqual(verdict("G6", runs(4000, 300)).outcome, claims.REFUTED)
        self.assertEqual(verdict("G6", runs(9000, 5000)).outcome, claims.REFUTED)

    def test_g7_against_the_measured_theory(self):
        def runs(measured_ratio, theory):
            return ratio_fixture("chess", "n=24 moves=30", "async", "serial", measured_ratio,
                                 extra_b={"theory_ratio": theory})
        self.assertEqual(verdict("G7", runs(11.0, 12.0)).outcome, claims.REPRODUCED)
        self.assertEqual(verdict("G7", runs(8.0, 12.0)).outcome, claims.REFUTED)
        # the theory comes from the run, not from a constant
        self.assertEqual(verdict("G7", runs(8.0, 8.5)).outcome, claims.REPRODUCED)

    def test_g8_chains_and_queue(self):
        def runs(slowest, handoff):
            return (value_fixture("chain", "n=10 steps=20", ["fork", "async"], slowest, "slowest_chain_ms",
                                  {"longest_chain_ms": 200})
                    + value_fixture("queue", "n=7 producers=2", ["threads", "async"], handoff, "handoff_p50_us")
                    # the reference: each model's pingpong round trip, 50 µs
                    + value_fixture("pingpong", "n=2", ["threads", "async"], 50, "round_trip_us"))
        self.assertEqual(verdict("G8", runs(205, 40)).outcome, claims.REPRODUCED)
        self.assertEqual(verdict("G8", runs(215, 40)).outcome, claims.REFUTED)
        # slower than a round trip fails, far below the old 1 ms constant
        self.assertEqual(verdict("G8", runs(205, 60)).outcome, claims.REFUTED)

    def g9(self, many, few, n_many=10000):
        return (ratio_fixture("net-loops", f"n={n_many} delay=0ms", "uring", "async", many, STEADY)
                + ratio_fixture("net-loops", "n=1 delay=0ms", "uring", "async", few, STEADY))

    def test_g9_uring_faster_with_many_connections_not_with_one(self):
        self.assertEqual(verdict("G9", self.g9(1.10, 1.00)).outcome, claims.REPRODUCED)
        # not 5 % faster at the most connections
        self.assertEqual(verdict("G9", self.g9(1.02, 1.00)).outcome, claims.REFUTED)
        # faster with one connection too: not the claim
        self.assertEqual(verdict("G9", self.g9(1.10, 1.08)).outcome, claims.REFUTED)

    def test_g9_needs_a_thousand_connections_and_judges_the_most(self):
        # only 100 connections: the many-connections check finds nothing
        partial = verdict("G9", self.g9(1.10, 1.00, n_many=100))
        self.assertEqual(partial.outcome, claims.INCONCLUSIVE)
        both = self.g9(1.00, 1.00, n_many=1000) + \
            ratio_fixture("net-loops", "n=10000 delay=0ms", "uring", "async", 1.10, STEADY)
        self.assertEqual(verdict("G9", both).outcome, claims.REPRODUCED)

    def test_g9_ignores_delay_and_percore_series(self):
        runs = self.g9(1.10, 1.00) + ratio_fixture("net-loops", "n=10000 delay=1ms", "uring", "async", 0.5, STEADY) + \
            ratio_fixture("net-loops", "n=10000 delay=0ms", "uring-percore", "async-percore", 0.5, STEADY)
        self.assertEqual(verdict("G9", runs).outcome, claims.REPRODUCED)

    def test_g9_reports_cpu_time_per_request(self):
        runs = self.g9(1.10, 1.00)
        for run in runs:   # 30 µs of CPU per request for uring, 40 for async
            cpu = 0.3 if run.series == "uring" else 0.4
            run.row.update(user_s=str(cpu / 2), sys_s=str(cpu / 2), ops="10000")
        found = [interval for spec, _, interval in verdict("G9", runs).informs
                 if "CPU time per request" in spec["says"]]
        self.assertEqual(len(found), 1)
        self.assertAlmostEqual(found[0].mid, 0.75, places=3)

    def test_h1_h2(self):
        hide = ratio_fixture("net-hide", "n=10000 requests=10", "async-delayed", "async", 0.92, STEADY)
        self.assertEqual(verdict("H1", hide).outcome, claims.REPRODUCED)
        hide = ratio_fixture("net-hide", "n=10000 requests=10", "async-delayed", "async", 0.85, STEADY)
        self.assertEqual(verdict("H1", hide).outcome, claims.REFUTED)
        self.assertEqual(verdict("H2", ratio_fixture("net-wrk", "n=100 delay=0ms", "async", "wrk", 0.95)).outcome,
                         claims.REPRODUCED)
        self.assertEqual(verdict("H2", ratio_fixture("net-wrk", "n=100 delay=0ms", "async", "wrk", 0.85)).outcome,
                         claims.REFUTED)
        busy = ratio_fixture("net-wrk", "n=100 delay=0ms", "async", "wrk", 0.85)
        for run in busy:       # the server's one CPU 95 % busy: it was the limit
            run.row.update(server_cpu_s="0.95", wall_s="1.0", placement="client=0-0 server=1-1")
        self.assertEqual(verdict("H2", busy).outcome, claims.NOT_TESTABLE)


class RegimeTest(unittest.TestCase):
    """decide.Regime on a net family: the classic question on the steady rate."""

    def regime(self, async_values, threads_values):
        runs = []
        for rnd, (a, t) in enumerate(zip(async_values, threads_values), start=1):
            runs += [run_row("net-slow", "async n=100 delay=50ms", rnd, {"steady_req_per_s": a}),
                     run_row("net-slow", "threads n=100 delay=50ms", rnd, {"steady_req_per_s": t}),
                     run_row("net-slow", "threads-gil n=100 delay=50ms", rnd, {"steady_req_per_s": 10 * a})]
        return decide.Regime(results_of(runs), TABLE, ("net-slow", "n=100 delay=50ms"))

    def test_clear_winner(self):
        r = self.regime([120, 121, 119, 122, 120], [100, 100, 101, 99, 100])
        self.assertEqual(r.classic.outcome, stats.WINNER)
        self.assertEqual(r.classic.label(), "async")

    def test_undecided_when_one_round_is_within_the_effect(self):
        r = self.regime([120, 121, 97, 122, 120], [100, 100, 101, 99, 100])
        self.assertEqual(r.classic.outcome, stats.UNDECIDED)
        self.assertEqual(r.classic.label(), "undecided: async, threads")
        self.assertIn("needs ≈", r.classic.sentence())

    def test_refinements_never_compete_in_the_classic_question(self):
        r = self.regime([100] * 5, [90] * 5)
        self.assertEqual(r.classic.best, "async")
        self.assertNotIn("threads-gil", r.classic.candidates)
        gil = [a for a in r.refinements if a.question == "threads-gil-vs-threads"]
        self.assertEqual(gil[0].best, "threads-gil")

    def test_failed_series_are_listed(self):
        runs = [run_row("cpu", "fork n=4", rnd, {"ops_per_s": 10}, exit_code=1, errors=1, checksum="-")
                for rnd in range(1, 6)] + [run_row("cpu", "threads n=4", rnd, {"ops_per_s": 10}) for rnd in range(1, 6)]
        r = decide.Regime(results_of(runs), TABLE, ("cpu", "n=4"))
        self.assertEqual(r.classic.failed, ["fork"])
        self.assertEqual(r.classic.label(), "threads (alone)")


class EqualWorkTest(unittest.TestCase):
    def test_checksums_must_agree_across_every_run_of_a_group(self):
        runs = [run_row("sleep", "fork n=3", 1, {}, checksum="aa"), run_row("sleep", "async n=3", 1, {}, checksum="aa"),
                run_row("sleep", "fork n=3", 2, {}, checksum="ab")]
        res = results_of(runs)
        self.assertIn("ab", res.checksum_problems(("sleep", "n=3")))
        self.assertIn("checksums differ", "\n".join(report.work_lines(res)))

    def test_agreeing_checksums(self):
        runs = [run_row("sleep", f"{m} n=3", r, {}, checksum="aa") for m in ("fork", "async") for r in (1, 2)]
        self.assertIsNone(results_of(runs).checksum_problems(("sleep", "n=3")))

    def test_an_external_client_has_no_checksum_to_disagree_with(self):
        runs = [run_row("net-wrk", f"{m} n=100 delay=0ms", 1, {}, checksum=c)
                for m, c in (("async", "aa"), ("wrk", "external"))]
        self.assertIsNone(results_of(runs).checksum_problems(("net-wrk", "n=100 delay=0ms")))

    def test_an_invalid_checksum_is_not_a_valid_run(self):
        for bad in ("", "-", "null"):
            self.assertFalse(run_row("sleep", "fork n=3", 1, {}, checksum=bad).valid)
        self.assertFalse(run_row("sleep", "fork n=3", 1, {}, errors=2).valid)
        self.assertFalse(run_row("sleep", "fork n=3", 1, {}, exit_code=1).valid)


class CompareTest(unittest.TestCase):
    def folder(self, async_rate, threads_rate):
        runs = []
        for rnd in range(1, 6):
            runs += [run_row("net-slow", "async n=1000 delay=50ms", rnd,
                             {"ops_per_s": async_rate + rnd, STEADY: async_rate + rnd}),
                     run_row("net-slow", "threads n=1000 delay=50ms", rnd,
                             {"ops_per_s": threads_rate + rnd, STEADY: threads_rate + rnd})]
        return results_of(runs)

    def test_same_data_agrees(self):
        text, conflict = compare.compare(self.folder(200, 100), self.folder(200, 100), TABLE)
        self.assertFalse(conflict)
        self.assertIn("0 configurations changed beyond noise", text)

    def test_a_flipped_winner_is_a_conflict(self):
        text, conflict = compare.compare(self.folder(200, 100), self.folder(100, 200), TABLE)
        self.assertTrue(conflict)
        self.assertIn("| net-slow n=1000 delay=50ms | async 1.97× [1.95–1.99] | threads 1.97× [1.95–1.99] | **no** |",
                      text)
        self.assertIn("1 regimes where one folder's winner is another model", text)
        self.assertIn("2 configurations changed beyond noise", text)



class InstrumentTest(unittest.TestCase):
    """The cost of the instrument: per-round ratios to a same-run reference,
    set against the targets of docs/claims.toml."""

    def target(self, tid):
        return next(t for t in TABLE["instrument"] if t["id"] == tid)

    def cost(self, tid, runs):
        return instrument.Cost(self.target(tid), instrument.ratios(results_of(runs), self.target(tid)))

    def spawn(self, worker_over_bare, rounds=5):
        return [run_row("spawn", "async n=100000", rnd,
                        {"us_per_worker": 0.5 * worker_over_bare * (1 + 0.001 * rnd), "bare_us_per_worker": 0.5})
                for rnd in range(1, rounds + 1)]

    def test_a_reference_in_the_same_run(self):
        self.assertEqual(self.cost("P6", self.spawn(1.02)).outcome, instrument.MET)
        self.assertEqual(self.cost("P6", self.spawn(1.8)).outcome, instrument.MISSED)
        self.assertAlmostEqual(self.cost("P6", self.spawn(1.8)).ratio.mid, 1.8 * 1.003, places=6)

    def test_an_interval_across_the_target_is_unclear(self):
        runs = [run_row("spawn", "async n=100000", rnd, {"us_per_worker": u, "bare_us_per_worker": 1.0})
                for rnd, u in enumerate([1.0, 1.01, 1.02, 1.08, 1.1], start=1)]
        self.assertEqual(self.cost("P6", runs).outcome, instrument.UNCLEAR)

    def test_another_model_in_the_same_round(self):
        runs = []
        for rnd in range(1, 6):
            runs += [run_row("net-loops", "uring n=1000 delay=0ms", rnd, {}, ),
                     run_row("net-loops", "async n=1000 delay=0ms", rnd, {})]
            for r, cpu in ((runs[-2], 0.9), (runs[-1], 1.0)):
                r.row.update({"user_s": str(cpu * rnd), "sys_s": "0", "ops": str(1000 * rnd)})
        cost = self.cost("P8", runs)
        self.assertEqual(len(cost.values), 5)
        self.assertAlmostEqual(cost.ratio.mid, 0.9)
        self.assertEqual(cost.outcome, instrument.MET)

    def test_per_task_figures_and_constants(self):
        runs = [run_row("instrument", "async n=1000000 sleep", rnd, {}) for rnd in range(1, 6)]
        for r in runs:
            r.row.update({"mem_kib": "300000", "wall_s": "1.9"})
        self.assertAlmostEqual(self.cost("P3 memory", runs).ratio.mid, 0.3 / 0.15)
        self.assertEqual(self.cost("P3 time", runs).outcome, instrument.MISSED)

    def test_failed_and_stolen_runs_are_left_out(self):
        runs = self.spawn(1.0)
        runs[0].row["exit"], runs[0].exit = "1", 1
        runs[1].row["steal_pct"] = "40"
        self.assertEqual(len(self.cost("P6", runs).values), 4)   # no steal limit given
        costs = instrument.costs(results_of(runs), TABLE)
        self.assertEqual(len(next(c for c in costs if c.target["id"] == "P6").values), 3)

    def test_report_and_compare_show_a_regression(self):
        old, new = results_of(self.spawn(1.02)), results_of(self.spawn(1.8))
        text = "\n".join(instrument.lines(new, TABLE))
        self.assertIn("## The cost of the instrument", text)
        self.assertIn("| P6 |", text)
        self.assertIn("| P1 | fork sleep -n 3 --ms 1000: wall ÷ the 1 s asked for | – | – | ≤ 1.003 | not measured |", text)
        self.assertIn("1 targets met in OLD and missed in NEW: P6.", "\n".join(instrument.compare_lines(old, new, TABLE)))
        self.assertIn("0 targets met in OLD and missed in NEW.", "\n".join(instrument.compare_lines(new, old, TABLE)))

    def test_a_missed_target_points_to_where_the_time_goes(self):
        runs = [run_row("sleep", "fork n=3", rnd, {}) for rnd in range(1, 6)]
        for r in runs:
            r.row["wall_s"] = "1.02"
        text = "\n".join(instrument.lines(results_of(runs), TABLE))
        self.assertIn("| P1 |", text)
        self.assertIn("- P1: [docs/INSTRUMENT.md#p1](../../docs/INSTRUMENT.md#p1)", text)
        for r in runs:
            r.row["wall_s"] = "1.001"
        text = "\n".join(instrument.lines(results_of(runs), TABLE))
        self.assertNotIn("INSTRUMENT.md", text)   # met: no pointer
        self.assertTrue(all(t.get("explained", "docs/INSTRUMENT.md#").startswith("docs/INSTRUMENT.md#")
                            for t in TABLE["instrument"]))


class ReportTest(unittest.TestCase):
    def test_report_is_deterministic_and_names_every_claim(self):
        runs = []
        for claim in TABLE["claim"]:
            runs += claim_runs(claim, lambda i: "holds")
        res = results_of(runs)
        first = report.write_report(res, TABLE)
        self.assertEqual(first, report.write_report(res, TABLE))
        for claim in TABLE["claim"]:
            self.assertIn(f"| {claim['id']} — {claim['claim']} | **reproduced** |", first)

    def test_server_bound_rows(self):
        rows = [data.Run({"experiment": "net-fast", "round": str(r), "config": "async n=1 delay=0ms",
                          "exit": "0", "errors": "0", "checksum": "aa", "ops": "10000", "wall_s": "1.0",
                          "server_cpu_s": "0.95", "metrics": ""}) for r in (1, 2, 3)]
        text = "\n".join(report.server_lines(results_of(rows, {"placement": "client=0 server=1"})))
        self.assertIn("95.0 µs", text)
        self.assertIn("**server-bound**", text)


RULE = TABLE["capacity_at_slo"]


def rate_run(series, n, load, rnd, closed, p99_ms, saturated=0, exit_code=0, checksum=None):
    """One open-loop run: `series` offered load % of its closed-loop rate."""
    offered = closed * load / 100
    row = {"experiment": RULE["experiment"], "round": str(rnd), "model": series.split("-")[0],
           "errors": "0" if exit_code == 0 else "1", "exit": str(exit_code),
           "checksum": checksum or f"{series}{load}" if exit_code == 0 else "-",
           "config": f"{series} n={n} delay=1ms load={load}%", RULE["metric"]: str(p99_ms * 1000),
           "ops_per_s": str(offered),
           "metrics": f"offered_req_per_s={offered};saturated={saturated};uncorrected_p99_us={p99_ms * 500}"}
    return data.Run(row)


LOADS = (10, 40, 70, 100, 120)


def rate_curve(series, closed, p99_ms, saturated_from=120, n=1000, rounds=5, loads=LOADS):
    """Every round alike: p99_ms[k] at loads[k], saturated from that load on."""
    return [rate_run(series, n, load, rnd, closed, ms, int(load >= saturated_from))
            for rnd in range(1, rounds + 1) for load, ms in zip(loads, p99_ms)]


def only_curve(runs):
    curves = tables.rate_curves(results_of(runs), RULE["experiment"])
    assert len(curves) == 1, curves
    return curves[0]


class CapacityTest(unittest.TestCase):
    """Capacity at SLO (docs/claims.toml [capacity_at_slo], tables.py)."""

    def test_the_rule_is_read_from_the_table_and_names_a_planned_experiment(self):
        self.assertEqual(sorted(RULE["slo_ms"]), [10, 100])
        with open(os.path.join(ROOT, "scripts", "bench.sh"), encoding="utf-8") as f:
            planned = next(line for line in f if line.startswith("ALL_EXPERIMENTS="))
        self.assertIn(f" {RULE['experiment']} ", planned.replace('"', " "))

    def test_the_highest_step_held_within_each_slo(self):
        curve = only_curve(rate_curve("async", 20000, [1, 5, 9, 30, 200]))
        self.assertEqual(curve.capacity_by_round(RULE["metric"], 10), {r: 14000 for r in range(1, 6)})
        self.assertEqual(curve.capacity_by_round(RULE["metric"], 100)[1], 20000)
        self.assertEqual(curve.closed_loop(), 20000)
        # the SLO is inclusive: p99 of exactly 10 ms holds
        curve = only_curve(rate_curve("async", 20000, [1, 5, 10, 30, 200]))
        self.assertEqual(curve.capacity_by_round(RULE["metric"], 10)[1], 14000)

    def test_a_saturated_step_is_not_held_however_low_its_p99(self):
        curve = only_curve(rate_curve("async", 20000, [1, 1, 1, 1, 1], saturated_from=100))
        self.assertEqual(curve.capacity_by_round(RULE["metric"], 10)[1], 14000)

    def test_the_ramp_stops_at_the_first_step_that_misses(self):
        curve = only_curve(rate_curve("async", 20000, [1, 20, 5, 5, 5]))
        self.assertEqual(curve.capacity_by_round(RULE["metric"], 10)[1], 2000)

    def test_a_failed_or_missing_run_misses(self):
        runs = [r for r in rate_curve("async", 20000, [1, 2, 3, 4, 5], saturated_from=1000)
                if not (r.round == 2 and r.knobs["load"] == "70%")]          # round 2: not run
        runs = [rate_run("async", 1000, 40, 3, 20000, 2, exit_code=1) if (r.round, r.knobs["load"]) == (3, "40%")
                else r for r in runs]                                        # round 3: failed
        by_round = only_curve(runs).capacity_by_round(RULE["metric"], 10)
        self.assertEqual(by_round, {1: 24000, 2: 8000, 3: 2000, 4: 24000, 5: 24000})

    def test_median_and_interval_over_the_rounds(self):
        runs = []
        for rnd, ms in enumerate(([1, 2, 3, 50, 50], [1, 2, 50, 50, 50], [1, 2, 3, 4, 50],
                                  [1, 2, 3, 50, 50], [1, 2, 50, 50, 50]), start=1):
            runs += [rate_run("async", 1000, load, rnd, 20000, p) for load, p in zip(LOADS, ms)]
        cap = only_curve(runs).capacity(RULE["metric"], 10)
        self.assertEqual((cap.mid, cap.n), (14000, 5))
        self.assertLessEqual(cap.low, cap.mid)
        self.assertGreaterEqual(cap.high, cap.mid)
        self.assertGreater(cap.high, cap.low)         # the rounds disagree: a real interval

    def test_not_even_the_lowest_step(self):
        curve = only_curve(rate_curve("threads", 30000, [20, 50, 90, 200, 300]))
        self.assertEqual(set(curve.capacity_by_round(RULE["metric"], 10).values()), {0.0})
        self.assertEqual(report._capacity_cell(curve, RULE, 10), "below the lowest step (3,000 req/s)")
        self.assertTrue(report._capacity_cell(curve, RULE, 100).startswith("21,000 req/s (70 %) ["))

    def regime(self, runs, slo):
        found = [r for r in tables.capacity_regimes(results_of(runs), TABLE)
                 if r.group == (RULE["experiment"], f"n=1000 delay=1ms {tables.slo_words(slo)}")]
        self.assertEqual(len(found), 1)
        return found[0]

    def test_which_model_when_compares_capacities_round_by_round(self):
        runs = rate_curve("async", 20000, [1, 2, 3, 50, 200]) + rate_curve("threads", 20000, [1, 20, 30, 50, 200])
        reg = self.regime(runs, 10)
        self.assertEqual(reg.label(), "async")
        self.assertEqual(reg.runner_up, "threads")
        self.assertAlmostEqual(reg.margin.mid, 7.0)
        self.assertEqual(reg.unit, "req/s")
        # at 100 ms both hold the 100 % step: equivalent, not a winner
        self.assertEqual(self.regime(runs, 100).outcome, stats.EQUIVALENT)

    def test_a_model_that_held_nothing_cannot_win_or_tie(self):
        runs = rate_curve("async", 20000, [1, 2, 3, 50, 200]) + rate_curve("threads", 90000, [20, 20, 30, 50, 200])
        reg = self.regime(runs, 10)
        self.assertEqual(reg.label(), "async (alone)")
        self.assertIn("threads", reg.failed)

    def test_regimes_come_after_the_which_model_when_experiments(self):
        runs = rate_curve("async", 20000, [1, 2, 3, 50, 200]) + \
            series_fixture("cpu", "n=4", {"fork": 100.0, "threads": 90.0})
        results = results_of(runs)
        self.assertEqual([r.group for r in tables.regimes(results, TABLE)], [("cpu", "n=4")])
        self.assertEqual([a.group for a in tables.capacity_regimes(results, TABLE)],
                         [(RULE["experiment"], f"n=1000 delay=1ms {tables.slo_words(s)}") for s in RULE["slo_ms"]])


class LatencyReportTest(unittest.TestCase):
    def report(self, runs, meta=None):
        return report.write_report(results_of(runs, meta), TABLE)

    def test_the_section_and_its_table(self):
        runs = rate_curve("async", 20000, [1, 2, 3, 50, 200]) + rate_curve("threads", 30000, [1, 20, 30, 50, 200]) + \
            rate_curve("fork", 30000, [1, 2, 3, 4, 5], saturated_from=1000, n=100)
        text = self.report(runs)
        self.assertIn("## Latency under load", text)
        self.assertIn("| model | configuration | closed loop (100 %) | p99 ≤ 10 ms | p99 ≤ 100 ms |", text)
        self.assertIn("| async | n=1000 delay=1ms | 20,000 req/s | 14,000 req/s (70 %) [14,000–14,000], n=5 | "
                      "20,000 req/s (100 %) [20,000–20,000], n=5 |", text)
        self.assertIn("| threads | n=1000 delay=1ms | 30,000 req/s | 3,000 req/s (10 %)", text)
        # held at every step: at least the top step
        self.assertIn("| fork | n=100 delay=1ms | 30,000 req/s | ≥ 36,000 req/s (120 %)", text)
        # fewer connections first, then cbench list's order
        self.assertLess(text.index("| fork | n=100"), text.index("| threads | n=1000"))
        self.assertLess(text.index("| threads | n=1000"), text.index("| async | n=1000"))
        self.assertIn("| net-rate n=1000 delay=1ms capacity at p99 ≤ 10 ms | async | 4.67× [4.67–4.67] | 5 | 93.75 % | "
                      "– | 14,000 req/s | – |", text)
        self.assertIn("Capacity at SLO (see *Latency under load*), compared round by round", text)

    def test_a_model_whose_every_run_failed(self):
        runs = rate_curve("async", 20000, [1, 2, 3, 50, 200]) + \
            [rate_run("hybrid", 1000, 10, 1, 20000, 1, exit_code=2)]
        self.assertIn("| hybrid | n=1000 delay=1ms | – | failed (1 runs, none valid) | failed (1 runs, none valid) |",
                      self.report(runs))

    def test_not_measured_in_a_folder_that_did_not_run_it(self):
        runs = series_fixture("cpu", "n=4", {"fork": 100.0, "threads": 90.0})
        text = self.report(runs, {"experiments": "cpu"})
        self.assertIn("## Latency under load\n\nCapacity at SLO: not measured", text)
        self.assertNotIn("capacity at p99", text)

    def test_absent_from_a_folder_older_than_the_experiment(self):
        # meta.txt names its experiments since net-rate exists
        text = self.report(series_fixture("cpu", "n=4", {"fork": 100.0, "threads": 90.0}))
        self.assertNotIn("Latency under load", text)
        self.assertNotIn("capacity at p99", text)

    def test_each_model_is_offered_its_own_rate_so_work_agrees_per_configuration(self):
        runs = rate_curve("async", 20000, [1, 2, 3, 50, 200]) + rate_curve("threads", 30000, [1, 20, 30, 50, 200])
        text = "\n".join(report.work_lines(results_of(runs), own_rates={RULE["experiment"]}))
        self.assertNotIn("checksums differ", text)
        self.assertIn("each model is offered its own rate", text)
        runs[0] = rate_run("async", 1000, 10, 1, 20000, 1, checksum="other")
        text = "\n".join(report.work_lines(results_of(runs), own_rates={RULE["experiment"]}))
        self.assertIn("- net-rate async n=1000 delay=1ms load=10%: checksums differ", text)

    def test_compare_leaves_offered_rates_out(self):
        old = results_of(rate_curve("async", 20000, [1, 2, 3, 50, 200]))
        new = results_of(rate_curve("async", 40000, [1, 2, 3, 50, 200]))
        text, conflict = compare.compare(old, new, TABLE)
        self.assertIn("0 configurations in both", text)
        self.assertIn("| net-rate n=1000 delay=1ms capacity at p99 ≤ 10 ms | async (alone) – | async (alone) – | yes |",
                      text)
        self.assertFalse(conflict)


class CommittedResultsTest(unittest.TestCase):
    """The committed results folders give their REPORT.md from the which-
    model-when table on (its rows, the latency section or its absence, the
    server, equal work, the machine, the charts listed, not drawn), and the
    README's results section, byte for byte. The claims' part above it
    quotes docs/claims.toml's wording, which may be edited after a run."""

    def folders(self):
        root = os.path.join(ROOT, "results")
        return [os.path.join(root, d) for d in sorted(os.listdir(root))
                if os.path.isfile(os.path.join(root, d, "REPORT.md"))]

    def test_reports_regenerate(self):
        self.assertTrue(self.folders())
        for folder in self.folders():
            with self.subTest(folder=folder):
                results = data.Results.load(folder)
                drawn = [(c.name, c.title, c.caption) for c in charts.plan_all(results, tables.regimes(results, TABLE))]
                with open(os.path.join(folder, "REPORT.md"), encoding="utf-8") as f:
                    committed = f.read()
                regenerated = report.write_report(results, TABLE, drawn)
                tail = "\n## Which model when\n"
                self.assertIn(tail, committed)
                self.assertEqual(regenerated[regenerated.index(tail):], committed[committed.index(tail):])

    def test_decisions_csv_regenerates(self):
        """decisions.csv, the machine-readable answer REPORT.md's table is
        made from, byte for byte (analyze.py report writes both)."""
        for folder in self.folders():
            path = os.path.join(folder, "decisions.csv")
            if not os.path.isfile(path):      # a folder analysed before decisions.csv existed
                continue
            with self.subTest(folder=folder), open(path, encoding="utf-8") as f:
                self.assertEqual(report.decisions_csv(data.Results.load(folder), TABLE), f.read())

    def test_readme_section_regenerates(self):
        import re
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        section = readme.split("<!-- results: generated by `make readme`, do not edit -->\n", 1)[1]
        section = section.split("<!-- end of results -->", 1)[0]
        folder = re.search(r"Generated from \[`([^`]+)`\]", section).group(1)
        results = data.Results.load(os.path.join(ROOT, folder))
        names = report.latency_chart_names(os.path.join(ROOT, folder), TABLE)
        self.assertEqual(report.readme_section(results, TABLE, folder, names), section)


class CommandLineTest(unittest.TestCase):
    def run_cli(self, *args):
        return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "analyze.py"), *args],
                              capture_output=True, text=True, timeout=60)

    def test_bad_usage_is_exit_2_with_a_message(self):
        for args in ([], ["frobnicate"], ["report"], ["report", "/nonexistent"], ["compare", "a"]):
            with self.subTest(args=args):
                p = self.run_cli(*args)
                self.assertEqual(p.returncode, 2)
                self.assertIn("analyze.py", p.stderr)

    def test_compare_exit_status(self):
        with tempfile.TemporaryDirectory() as tmp:
            header = "experiment,round,model,errors,checksum,ops_per_s,metrics,config,exit\n"
            for name, a, t in (("old", 200, 100), ("new", 100, 200)):
                os.mkdir(os.path.join(tmp, name))
                with open(os.path.join(tmp, name, "runs.csv"), "w") as f:
                    f.write(header)
                    for rnd in range(1, 6):
                        f.write(f"net-slow,{rnd},async,0,aa,{a + rnd},steady_req_per_s={a + rnd},"
                                "async n=1000 delay=50ms,0\n")
                        f.write(f"net-slow,{rnd},threads,0,aa,{t + rnd},steady_req_per_s={t + rnd},"
                                "threads n=1000 delay=50ms,0\n")
                with open(os.path.join(tmp, name, "list.json"), "w") as f:
                    f.write('{"models": [], "workloads": []}')
            same = self.run_cli("compare", os.path.join(tmp, "old"), os.path.join(tmp, "old"))
            self.assertEqual(same.returncode, 0, same.stderr)
            flipped = self.run_cli("compare", os.path.join(tmp, "old"), os.path.join(tmp, "new"))
            self.assertEqual(flipped.returncode, 1, flipped.stderr)
            self.assertIn("winners contradicted", flipped.stdout)


    def write_folder(self, folder, ratios_by_knobs, control=True):
        """A net-fast folder of 5 planned rounds: async at 100 × the ratio,
        threads at 100 (and the A/A control beside async)."""
        os.mkdir(folder)
        with open(os.path.join(folder, "runs.csv"), "w") as f:
            f.write("experiment,round,model,errors,checksum,ops_per_s,metrics,config,exit\n")
            for knobs, ratios in ratios_by_knobs.items():
                for rnd, r in enumerate(ratios, start=1):
                    for series, value in (("async", 100 * r), ("threads", 100.0)) + \
                            ((("async~2", 100 * r),) if control else ()):
                        f.write(f"net-fast,{rnd},{series.split('~')[0]},0,aa,{value},steady_req_per_s={value},"
                                f"{series} {knobs},0\n")
        with open(os.path.join(folder, "meta.txt"), "w") as f:
            f.write("cores: 2\nrounds: 5\n")
        with open(os.path.join(folder, "list.json"), "w") as f:
            f.write('{"models": [], "workloads": []}')

    def test_pending_lists_what_the_next_extra_round_runs(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "run")
            # n=1 undecided (ratios 0.95-1.12, a few more rounds), n=2 decided (3x)
            self.write_folder(folder, {"n=1 delay=0ms": [1.1, 0.95, 1.08, 0.97, 1.12],
                                       "n=2 delay=0ms": [3.0, 3.1, 2.9, 3.0, 3.05]})
            p = self.run_cli("pending", folder)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout, "net-fast\tasync n=1 delay=0ms\nnet-fast\tthreads n=1 delay=0ms\n"
                                       "net-fast\tasync~2 n=1 delay=0ms\n")
            expected = decide.pending(data.Results.load(folder), TABLE)
            self.assertEqual([tuple(line.split("\t")) for line in p.stdout.splitlines()], expected)
            decided = os.path.join(tmp, "decided")
            self.write_folder(decided, {"n=2 delay=0ms": [3.0, 3.1, 2.9, 3.0, 3.05]})
            p = self.run_cli("pending", decided)
            self.assertEqual((p.returncode, p.stdout), (0, ""), p.stderr)
            for args in (["pending", os.path.join(tmp, "nonexistent")], ["pending", tmp], ["pending"],
                         ["pending", folder, decided]):
                with self.subTest(args=args):
                    p = self.run_cli(*args)
                    self.assertEqual(p.returncode, 2)
                    self.assertEqual(p.stdout, "")
                    self.assertIn("analyze.py", p.stderr)

    def test_families_and_control(self):
        p = self.run_cli("families")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines(), decide.families(TABLE))
        self.assertIn("net-fast", p.stdout.splitlines())
        self.assertEqual(self.run_cli("families", "extra").returncode, 2)
        p = self.run_cli("control")
        self.assertEqual(p.returncode, 0, p.stderr)
        suffix, base = decide.control_name(TABLE)
        self.assertEqual(p.stdout, f"{base} {suffix}\n")


class TableTest(unittest.TestCase):
    def test_every_check_is_well_formed(self):
        for claim in TABLE["claim"]:
            self.assertTrue(claim.get("check"), claim["id"])
            for check in claim["check"]:
                self.assertIn(check["expect"], ("above", "below", "within"))
                self.assertIn("says", check)
                self.assertIn("experiment", check)

    def test_a_broken_threshold_changes_the_verdict(self):
        broken = copy.deepcopy(next(c for c in TABLE["claim"] if c["id"] == "G1"))
        runs = claim_runs(broken, lambda i: "holds")
        broken["check"][0]["value"] *= 10
        self.assertEqual(claims.evaluate(results_of(runs), {"claim": [broken]})[0].outcome, claims.REFUTED)


if __name__ == "__main__":
    unittest.main()
