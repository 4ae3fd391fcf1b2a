"""The analysis of the Python row (scripts/analysis/python.py): the Python
series never join the claims or the classic question, "Python beside C"
answers G1-G5 per language with the four outcomes, the GIL check's ratio
and outcome, the one chart, and a folder without the row is unchanged.
Fixtures in memory, with a list-py.json in a temporary folder."""
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scripts"))

from analysis import charts, claims, data, decide, python, report  # noqa: E402

TABLE = claims.load_table()
C_MODELS = ("serial", "fork", "threads", "async")
PY_MODELS = ("py-serial", "py-processes", "py-threads", "py-asyncio")
LISTING = {"models": [{"name": m, "sequential": m == "serial"} for m in C_MODELS], "workloads": []}
PY_LISTING = {"models": [{"name": m, "sequential": m == "py-serial", "workers": False, "event_loop": False,
                          "available": True, "options": []} for m in PY_MODELS]
              + [{"name": "py-uvloop", "sequential": False, "available": False,
                  "unavailable": "uvloop is not importable", "options": []}],
              "workloads": [], "version": "3.11.2", "interpreter": "/usr/bin/python3"}
ROUNDS = 5


def run(experiment, config, rnd, **metrics):
    return data.Run({"experiment": experiment, "round": str(rnd), "model": config.split()[0],
                     "errors": "0", "checksum": "abcd", "config": config, "exit": "0",
                     "tasks": config.split("n=")[1].split()[0] if "n=" in config else "1",
                     "metrics": ";".join(f"{k}={v}" for k, v in metrics.items())})


def cpu_runs(c_gil_speedup=0.98, py_threads_speedup=0.98, py_processes_speedup=1.8):
    runs = []
    for r in range(1, ROUNDS + 1):
        wobble = 1 + 0.002 * r   # a little spread, the same in every series
        c = {"serial": 1.0, "fork": 1.9, "threads": 1.9, "threads-gil": c_gil_speedup, "async": 1.0}
        for s, speed in c.items():
            runs.append(run("cpu", f"{s} n=4", r, ops_per_s=10 * speed * wobble, wall_s=0.4 / (speed * wobble)))
        p = {"py-serial": 1.0, "py-processes": py_processes_speedup, "py-threads": py_threads_speedup,
             "py-asyncio": 0.99}
        for s, speed in p.items():
            runs.append(run("cpu", f"{s} n=4 work=1", r, ops_per_s=3 * speed * wobble,
                            wall_s=1.2 / (speed * wobble)))
    return runs


def sleep_runs(py_wall=1.05):
    runs = []
    for r in range(1, ROUNDS + 1):
        for s, wall in (("serial", 3.0), ("threads", 1.0), ("async", 1.0), ("fork", 1.001),
                        ("py-serial", 3.01), ("py-threads", py_wall), ("py-asyncio", py_wall)):
            runs.append(run("sleep", f"{s} n=3", r, wall_s=wall, ops_per_s=3 / wall))
    return runs


class PythonRowTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = self.tmp.name
        with open(os.path.join(self.folder, python.LIST_FILE), "w") as f:
            json.dump(PY_LISTING, f)

    def tearDown(self):
        self.tmp.cleanup()

    def results(self, runs, folder=None):
        meta = {"cores": "2", "rounds": str(ROUNDS), "seed": "1",
                "python plan": "cpu --work 1 per task (C: --work 20); one round ≈ 30 s"}
        return data.Results(self.folder if folder is None else folder, runs, meta, LISTING)

    def test_python_series_are_named_by_the_list(self):
        res = self.results(cpu_runs())
        self.assertEqual(python.series(res), list(PY_MODELS) + ["py-uvloop"])
        self.assertFalse(any(r.series.startswith("py-") for r in python.without_python(res).runs))

    def test_never_in_the_classic_question_nor_its_regimes(self):
        regs = decide.regimes(self.results(cpu_runs() + sleep_runs()), TABLE)
        self.assertEqual(sorted(r.name() for r in regs), ["cpu n=4", "sleep n=3"])
        for reg in regs:
            self.assertFalse(any(s.startswith("py-") for s in reg.scores))

    def test_never_in_the_claims(self):
        # py-threads taking 1.05 s would fail G4's "every concurrent model ≤ 1.01 s"
        verdicts = {v.id: v for v in claims.evaluate(self.results(sleep_runs(py_wall=1.05)), TABLE)}
        self.assertEqual(verdicts["G4"].outcome, claims.REPRODUCED)
        for f in verdicts["G4"].findings:
            self.assertFalse(f.a.startswith("py-"))

    def test_each_question_in_both_languages(self):
        res = self.results(cpu_runs() + sleep_runs())
        q = next(q for q in TABLE["python"]["question"] if q["id"] == "G1")
        pair = next(p for p in q["pairs"] if p["language"] == "Python")
        group, ans = python.answer(res, TABLE, q, pair)
        self.assertEqual(group, ("cpu", "n=4 work=1"))
        self.assertEqual((ans.best, ans.runner_up, ans.outcome), ("py-processes", "py-threads", "winner"))
        c_pair = next(p for p in q["pairs"] if p["language"] == "C, threads --gil")
        group, ans = python.answer(res, TABLE, q, c_pair)
        self.assertEqual(group, ("cpu", "n=4"))
        self.assertEqual((ans.best, ans.outcome), ("fork", "winner"))

    def test_section_shows_outcomes_never_ties(self):
        text = "\n".join(python.section_lines(self.results(cpu_runs() + sleep_runs()), TABLE))
        self.assertIn("## Python beside C", text)
        self.assertIn("| G1 | Python | py-processes / py-threads", text)
        self.assertIn("py-uvloop (uvloop is not importable)", text)
        self.assertIn("not measured", text)          # G2, G3, G5: no net or spawn runs here
        self.assertNotIn("tie", text.lower())
        for row in [line for line in text.splitlines() if line.startswith("| G")]:
            self.assertRegex(row.rsplit("|", 2)[1], r"winner|equivalent|ahead|undecided|not measured|alone|–")

    def test_every_python_series_shows_its_median(self):
        text = "\n".join(python.section_lines(self.results(cpu_runs() + sleep_runs()), TABLE))
        self.assertIn("### Every Python series", text)
        for name in PY_MODELS:
            self.assertRegex(text, rf"\| cpu n=4 work=1 \| {name} \| [0-9.]+")
        self.assertIn("| sleep n=3 | py-threads |", text)
        self.assertNotIn("| threads |", text)   # the C series are the tables above

    def test_gil_check_equivalent_when_sizes_agree(self):
        rows = python.gil_rows(self.results(cpu_runs(0.98, 0.98)), TABLE)
        self.assertEqual([r[0] for r in rows], ["4"])
        n, c, p, ratio = rows[0]
        self.assertAlmostEqual(ratio.mid, 1.0, places=6)
        self.assertEqual(python.ratio_outcome(ratio), "equivalent")

    def test_gil_check_names_who_gains_more(self):
        rows = python.gil_rows(self.results(cpu_runs(0.80, 1.0)), TABLE)
        self.assertAlmostEqual(rows[0][3].mid, 0.8, places=6)
        self.assertEqual(python.ratio_outcome(rows[0][3]), "winner (CPython gains more)")

    def test_one_chart_with_both_languages(self):
        res = self.results(cpu_runs())
        made = {c.name: c for c in charts.plan_all(res)}
        self.assertIn("cpu-python", made)
        both = made["cpu-python"].df.text()
        self.assertIn("py-threads", both)
        self.assertIn("threads-gil", both)
        self.assertNotIn("py-", made["cpu"].df.text())   # the C chart stays C's
        # speedups over each language's own serial: py-processes 1.8x, threads-gil 0.98x
        self.assertRegex(both, r"4\t1\.8\b")
        self.assertRegex(both, r"4\t0\.98\b")

    def test_readme_shows_both_languages_and_the_gil_check(self):
        text = report.readme_section(self.results(cpu_runs() + sleep_runs()), TABLE, "results/x")
        self.assertIn("### Python beside C", text)
        self.assertIn("| G1 | Python | py-processes / py-threads", text)
        self.assertIn("| G1 | C |", text)
        self.assertIn("#### The GIL emulation against CPython's GIL", text)
        self.assertNotIn("\n## ", text)   # no heading above the README's own

    def test_folder_without_the_row_is_unchanged(self):
        with tempfile.TemporaryDirectory() as empty:
            runs = [r for r in cpu_runs() + sleep_runs() if not r.series.startswith("py-")]
            res = self.results(runs, folder=empty)
            self.assertEqual(python.section_lines(res, TABLE), [])
            self.assertNotIn("cpu-python", [c.name for c in charts.plan_all(res)])
            self.assertNotIn("Python beside C", report.write_report(res, TABLE))
            self.assertNotIn("Python beside C", report.readme_section(res, TABLE, "results/x"))


if __name__ == "__main__":
    unittest.main()
