"""scripts/analysis/charts.py: the charts of a results folder, drawn with
gnuplot from tests/fixtures/charts-small (the 2026-11-24 results converted to
the runs.csv schema of scripts/analysis/data.py, see its convert.py).

    python3 -m unittest discover -s tests -p 'test_*.py'
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "scripts"))

from analysis import charts, data, tables  # noqa: E402

FIXTURE = os.path.join(REPO, "tests", "fixtures", "charts-small")
EXPECTED = ("sleep", "cpu", "net-slow", "net-fast", "crossover", "spawn", "spawn-mem",
            "pingpong", "mixed", "chess", "queue", "chain", "cancel")
# The which-model-when table's part the crossover map needs, without
# docs/claims.toml (the map shows whatever regimes it is given).
TABLE = {"which_model_when": {"experiments": ["crossover"], "exclude_series": []}}


def svg_rgb(color):
    """How gnuplot's SVG terminal writes a colour."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return "rgb(%3d, %3d, %3d)" % (r, g, b)


def copy_fixture(dest):
    for name in ("runs.csv", "list.json", "meta.txt"):
        shutil.copy(os.path.join(FIXTURE, name), os.path.join(dest, name))


def read_rows(folder):
    with open(os.path.join(folder, "runs.csv"), newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def write_rows(folder, fields, rows):
    with open(os.path.join(folder, "runs.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def draw(folder, out, names=None):
    results = data.Results.load(folder)
    return results, charts.draw_all(results, out, tables.regimes(results, TABLE), names=names)


class ChartsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which(charts.GNUPLOT) is None:
            raise unittest.SkipTest("gnuplot is not installed")
        cls.tmp = tempfile.mkdtemp(prefix="test-charts.")
        cls.first = os.path.join(cls.tmp, "first")
        cls.results, cls.drawn = draw(FIXTURE, cls.first)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_chart_is_drawn(self):
        names = [name for name, _, _ in self.drawn]
        for name in EXPECTED + ("net-hide", "net-wrk"):
            self.assertIn(name, names)
            for ext in ("png", "svg"):
                path = os.path.join(self.first, f"{name}.{ext}")
                self.assertTrue(os.path.exists(path), path)
                self.assertGreater(os.path.getsize(path), 1000, path)
        with open(os.path.join(self.first, "sleep.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        for name, title, caption in self.drawn:
            self.assertTrue(title, name)
            self.assertRegex(caption, r"n = [35]\.", name)     # 3 rounds, net-hide/net-wrk 5
            self.assertIn("n is the number of rounds", caption, name)

    def test_same_data_same_svgs(self):
        second = os.path.join(self.tmp, "second")
        _, drawn = draw(FIXTURE, second)
        self.assertEqual(drawn, self.drawn)
        for name, _, _ in drawn:
            with open(os.path.join(self.first, f"{name}.svg"), "rb") as a, \
                    open(os.path.join(second, f"{name}.svg"), "rb") as b:
                text = a.read()
                self.assertEqual(text, b.read(), f"{name}.svg differs between two drawings")
            self.assertNotIn(self.tmp.encode(), text)
            self.assertNotIn(b"cbench-charts.", text)

    def test_same_svgs_from_another_process(self):
        # another hash seed: no set order may leak into a chart
        third = os.path.join(self.tmp, "third")
        names = ["crossover", "mixed", "chain", "net-wrk"]
        code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_charts; "
                "test_charts.draw(test_charts.FIXTURE, sys.argv[2], sys.argv[3:])")
        subprocess.run([sys.executable, "-c", code, os.path.dirname(__file__), third] + names,
                       check=True, timeout=60, env=dict(os.environ, PYTHONHASHSEED="12345"))
        for name in names:
            with open(os.path.join(self.first, f"{name}.svg"), "rb") as a, \
                    open(os.path.join(third, f"{name}.svg"), "rb") as b:
                self.assertEqual(a.read(), b.read(), f"{name}.svg differs in another process")

    def test_every_run_and_the_median_are_drawn(self):
        keep = os.path.join(self.tmp, "keep")
        results = data.Results.load(FIXTURE)
        charts.draw_all(results, os.path.join(self.tmp, "kept-out"),
                        tables.regimes(results, TABLE), names=["sleep"], keep=keep)
        with open(os.path.join(keep, "sleep.dat"), encoding="utf-8") as f:
            text = f.read()
        # serial n=3: three runs, each a point, and their median
        walls = sorted(r.value("wall_s") for r in results.runs_of("sleep", "serial n=3"))
        block = text.split("# serial: x, each run\n")[1].split("\n\n")[0].splitlines()
        self.assertEqual(sorted(float(line.split("\t")[1]) for line in block), walls)
        medians = text.split("# serial: x, median\n")[1].split("\n\n")[0].splitlines()
        self.assertEqual(medians, [f"3\t{charts.fmt(walls[1])}"])
        self.assertTrue(os.path.exists(os.path.join(keep, "sleep.gp")))

    def test_colours_derive_from_the_model_list(self):
        sty = charts.Styles(self.results)
        models = self.results.models
        for i, m in enumerate(models):
            self.assertEqual(sty.color(m), charts.PALETTE[i])
        # a variant: its base's hue, but its own colour, dash and point
        self.assertNotEqual(sty.color("threads-gil"), sty.color("threads"))
        self.assertNotEqual(sty.dash("threads-gil"), sty.dash("threads"))
        self.assertNotEqual(sty.point("threads-gil"), sty.point("threads"))
        # a series nobody listed (wrk, in net-wrk) still gets one
        self.assertEqual(sty.color("wrk"), charts.PALETTE[len(models)])
        with open(charts.__file__, encoding="utf-8") as f:
            source = f.read()
        for m in models:
            self.assertNotIn(f'"{m}"', source)
            self.assertNotIn(f"'{m}'", source)

    def test_a_model_not_known_in_advance_gets_a_colour(self):
        folder = os.path.join(self.tmp, "newmodel")
        os.makedirs(folder)
        copy_fixture(folder)
        with open(os.path.join(folder, "list.json"), encoding="utf-8") as f:
            listing = json.load(f)
        listing["models"].append({"name": "greenlet", "description": "a model from the future"})
        with open(os.path.join(folder, "list.json"), "w", encoding="utf-8") as f:
            json.dump(listing, f)
        fields, rows = read_rows(folder)
        extra = []
        for row in rows:
            if row["experiment"] in ("pingpong", "sleep") and row["config"].split()[0] == "async":
                new = dict(row, model="greenlet")
                new["config"] = "greenlet " + " ".join(row["config"].split()[1:])
                new["ops_per_s"] = str(float(row["ops_per_s"]) * 1.5)
                extra.append(new)
                # and a variant of it that no list names
                extra.append(dict(new, config="greenlet-pooled " + " ".join(row["config"].split()[1:])))
        write_rows(folder, fields, rows + extra)
        out = os.path.join(self.tmp, "newmodel-out")
        results, drawn = draw(folder, out, names=["pingpong", "sleep"])
        self.assertEqual([d[0] for d in drawn], ["sleep", "pingpong"])
        sty = charts.Styles(results)
        color = sty.color("greenlet")
        self.assertEqual(color, charts.PALETTE[len(results.models) - 1])
        others = {sty.color(s) for s in ("serial", "fork", "threads", "async", "hybrid")}
        self.assertNotIn(color, others)
        self.assertNotIn(sty.color("greenlet-pooled"), others | {color})
        for name in ("pingpong", "sleep"):
            with open(os.path.join(out, f"{name}.svg"), encoding="utf-8") as f:
                svg = f.read()
            self.assertIn(svg_rgb(color), svg, name)
            self.assertIn(svg_rgb(sty.color("greenlet-pooled")), svg, name)

    def test_failed_runs_are_not_figures(self):
        # The fixture's net-slow has fork n=3000, killed by the deadline in
        # every round: named in the caption, no point.
        caption = dict((n, c) for n, _, c in self.drawn)["net-slow"]
        self.assertIn("Not drawn (no valid run): fork n=3000 delay=50ms", caption)
        pts = charts.Points(self.results, "net-slow", charts.value_of("ops_per_s"))
        self.assertNotIn(3000.0, pts.by["fork"])
        self.assertIn(3000.0, pts.by["threads"])

    def test_an_experiment_whose_runs_all_failed_is_not_drawn(self):
        folder = os.path.join(self.tmp, "failed")
        os.makedirs(folder)
        copy_fixture(folder)
        fields, rows = read_rows(folder)
        for row in rows:
            if row["experiment"] in ("pingpong", "chess") or row["config"] == "threads n=3":
                row.update(exit="124", checksum="", metrics="", wall_s="", ops_per_s="")
        write_rows(folder, fields, rows)
        out = os.path.join(self.tmp, "failed-out")
        _, drawn = draw(folder, out, names=["pingpong", "chess", "sleep"])
        self.assertEqual([d[0] for d in drawn], ["sleep"])
        self.assertFalse(os.path.exists(os.path.join(out, "pingpong.svg")))
        self.assertIn("Not drawn (no valid run): threads n=3.", drawn[0][2])


if __name__ == "__main__":
    unittest.main()
