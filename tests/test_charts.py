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

from analysis import charts, claims, data, tables  # noqa: E402

FIXTURE = os.path.join(REPO, "tests", "fixtures", "charts-small")
EXPECTED = ("sleep", "cpu", "net-slow", "net-fast", "crossover", "spawn", "spawn-mem",
            "pingpong", "mixed", "chess", "queue", "chain", "cancel")
# The which-model-when families, classic models and metrics the crossover
# map is decided with: docs/claims.toml's (decide.py reads them from there).
TABLE = claims.load_table()


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

    def test_net_runs_carry_the_steady_rate_the_decisions_use(self):
        # every valid run of a family decided on steady_req_per_s has it,
        # so each crossover cell is a measured comparison, not a blank
        steady = {f["experiment"] for f in TABLE["which_model_when"]["family"]
                  if f["metric"] == "steady_req_per_s"}
        runs = [r for r in self.results.runs if r.experiment in steady and r.valid]
        self.assertEqual({r.experiment for r in runs}, steady & set(self.results.experiments()))
        self.assertTrue(all(r.value("steady_req_per_s") is not None for r in runs))
        cross = [reg for reg in tables.regimes(self.results, TABLE) if reg.group[0] == "crossover"]
        self.assertTrue(cross)
        self.assertTrue(all(reg.classic.margin is not None for reg in cross))
        chart = next(c for c in charts.plan_all(self.results, tables.regimes(self.results, TABLE))
                     if c.name == "crossover")
        self.assertNotIn("no valid run", chart.df.text())

    def test_net_slow_plots_mem_kib(self):
        # the one memory measure of the tables and claims (the fixture's
        # mem_kib equals its maxrss: doubled here, so the two differ)
        folder = os.path.join(self.tmp, "memkib")
        os.makedirs(folder)
        copy_fixture(folder)
        fields, rows = read_rows(folder)
        for row in rows:
            if row["experiment"] == "net-slow" and row["maxrss_kib"]:
                row["metrics"] = ";".join(p for p in row["metrics"].split(";") if not p.startswith("mem_kib="))
                row["metrics"] += f";mem_kib={int(row['maxrss_kib']) * 2}"
        write_rows(folder, fields, rows)
        results = data.Results.load(folder)
        chart = next(c for c in charts.plan_all(results, names=["net-slow"]))
        title = [line for line in chart.body.splitlines() if "peak memory," in line][0]
        self.assertIn("mem_kib", title)
        self.assertNotIn("maxrss", title)
        mem = [r.value("mem_kib") for r in results.runs
               if r.experiment == "net-slow" and r.valid and r.series == "threads"]
        cells = set(chart.df.text().split())
        self.assertTrue(mem)
        self.assertTrue(all(charts.fmt(v / 1024) in cells for v in mem))

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


RATE_FIXTURE = os.path.join(REPO, "tests", "fixtures", "rate-small")
RATE_CHARTS = ["net-rate-n100", "net-rate-n1000", "net-rate-omission"]


def dat_blocks(path):
    """A chart's data file: [(comment, [[cell, ...], ...])] in file order."""
    with open(path, encoding="utf-8") as f:
        blocks = f.read().split("\n\n\n")
    out = []
    for block in blocks:
        lines = block.strip("\n").splitlines()
        out.append((lines[0][2:], [line.split("\t") for line in lines[1:]]))
    return out


def inline_block(path, name):
    """The rows of a gnuplot inline data block ($name << EOD ... EOD)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    body = text.split(f"${name} << EOD\n", 1)[1].split("\nEOD", 1)[0]
    return [tuple(float(c) for c in line.split("\t")) for line in body.splitlines()]


class RateChartsTest(unittest.TestCase):
    """Latency under load, from tests/fixtures/rate-small (net-rate alone)."""

    @classmethod
    def setUpClass(cls):
        if shutil.which(charts.GNUPLOT) is None:
            raise unittest.SkipTest("gnuplot is not installed")
        cls.tmp = tempfile.mkdtemp(prefix="test-rate-charts.")
        cls.out, cls.keep = os.path.join(cls.tmp, "out"), os.path.join(cls.tmp, "keep")
        cls.results = data.Results.load(RATE_FIXTURE)
        cls.drawn = charts.draw_all(cls.results, cls.out, tables.regimes(cls.results, TABLE), keep=cls.keep)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def configs(self, n, series=None):
        """{config: runs} of net-rate at n connections (of one series)."""
        return {c: [r for r in runs if r.valid] for (e, c), runs in self.results.configs.items()
                if e == "net-rate" and f" n={n} " in c and (series is None or c.split()[0] == series)}

    def expected(self, n, series, metric):
        """[(offered, median of metric in ms)] of a series' steps, by offered rate."""
        out = []
        for runs in self.configs(n, series).values():
            offered = charts.median([r.value("offered_req_per_s") for r in runs])
            out.append((offered, charts.median([r.value(metric) / 1000 for r in runs])))
        return sorted(out)

    def medians(self, chart, block):
        return [(float(x), float(y)) for x, y in dict(dat_blocks(os.path.join(self.keep, f"{chart}.dat")))[block]]

    def test_readme_shows_the_capacity_table_and_the_charts(self):
        folder = os.path.join(self.tmp, "results", "run")
        shutil.copytree(RATE_FIXTURE, folder)
        for name in RATE_CHARTS:
            shutil.copy(os.path.join(self.out, f"{name}.png"), folder)
        readme = os.path.join(self.tmp, "README.md")
        with open(readme, "w", encoding="utf-8") as f:
            f.write("intro\n<!-- results: generated by `make readme`, do not edit -->\nSTALE SECTION\n"
                    "<!-- end of results -->\nafter\n")
        done = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "analyze.py"), "readme", folder, readme],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(readme, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("| model | configuration | closed loop (100 %) | p99 ≤ 10 ms | p99 ≤ 100 ms |", text)
        for c in tables.rate_curves(self.results, "net-rate"):
            self.assertIn(f"| {c.series} | {c.where} |", text)
        for name in RATE_CHARTS:
            self.assertIn(f"![{name}](results/run/{name}.png)", text)
        self.assertNotIn("STALE SECTION", text)
        self.assertNotIn("\n\n\n", text)
        self.assertTrue(text.startswith("intro\n") and text.endswith("after\n"))

    def test_three_charts_drawn_with_rounds_in_captions(self):
        self.assertEqual([d[0] for d in self.drawn], RATE_CHARTS)
        for name, _, caption in self.drawn:
            for ext in ("png", "svg"):
                self.assertGreater(os.path.getsize(os.path.join(self.out, f"{name}.{ext}")), 1000)
            self.assertIn("n = 3.", caption)
            self.assertIn("intended send time", caption)
        self.assertNotIn("net-rate-n100", [c.name for c in charts.plan_all(data.Results.load(FIXTURE),
                                                                             tables.regimes(self.results, TABLE))])

    def test_one_chart_per_connection_count_corrected_p99_against_offered_load(self):
        for n in (100, 1000):
            for model in ("fork", "threads", "async", "hybrid"):
                self.assertEqual(self.medians(f"net-rate-n{n}", f"{model}: x, median"),
                                 [(float(charts.fmt(x)), float(charts.fmt(y)))
                                  for x, y in self.expected(n, model, "lat_p99_us")], (n, model))
        with open(os.path.join(self.keep, "net-rate-n100.gp"), encoding="utf-8") as f:
            script = f.read()
        self.assertIn("set logscale y", script)
        self.assertIn('set xlabel "offered load (requests/s)"', script)
        self.assertIn("corrected p99 latency (ms, log scale)", script)
        for slo in ("SLO: p99 10 ms", "SLO: p99 100 ms"):
            self.assertIn(slo, script)

    def test_saturated_steps_are_marked(self):
        for n in (100, 1000):
            want = []
            for runs in self.configs(n).values():
                if charts.median([r.value("saturated") for r in runs]) >= 0.5:
                    want.append((charts.median([r.value("offered_req_per_s") for r in runs]),
                                 charts.median([r.value("lat_p99_us") / 1000 for r in runs])))
            got = inline_block(os.path.join(self.keep, f"net-rate-n{n}.gp"), "saturated")
            self.assertTrue(want)                          # the fixture saturates at its top steps
            self.assertEqual(got, [(float(charts.fmt(x)), float(charts.fmt(y))) for x, y in sorted(want)])

    def test_omission_chart_one_model_corrected_and_uncorrected(self):
        loop = [m["name"] for m in self.results.listing["models"] if m["event_loop"] and not m["workers"]]
        self.assertEqual(loop, ["async"])
        blocks = dat_blocks(os.path.join(self.keep, "net-rate-omission.dat"))
        self.assertEqual({name.split(":")[0] for name, _ in blocks}, {"async"})
        for what, metric in (("corrected (from the intended send)", "lat_p99_us"),
                             ("uncorrected (from the actual send)", "uncorrected_p99_us")):
            # a panel per connection count, in order
            self.assertEqual([rows for name, rows in blocks if name == f"async: {what}: x, median"],
                             [[[charts.fmt(x), charts.fmt(y)] for x, y in self.expected(n, "async", metric)]
                              for n in (100, 1000)])
        # what the chart is for: the uncorrected p99 hides the wait at the top
        top = self.expected(1000, "async", "lat_p99_us")[-1][1]
        self.assertGreater(top, self.expected(1000, "async", "uncorrected_p99_us")[-1][1] * 2)

    def test_colours_are_the_models(self):
        sty = charts.Styles(self.results)
        with open(os.path.join(self.out, "net-rate-n1000.svg"), encoding="utf-8") as f:
            svg = f.read()
        for i, model in enumerate(self.results.models[1:], start=1):       # the baseline ran no rate
            self.assertEqual(sty.color(model), charts.PALETTE[i])
            self.assertIn(svg_rgb(sty.color(model)), svg, model)

    def test_same_data_same_svgs(self):
        again = os.path.join(self.tmp, "again")
        charts.draw_all(self.results, again, tables.regimes(self.results, TABLE))
        for name in RATE_CHARTS:
            with open(os.path.join(self.out, f"{name}.svg"), "rb") as a, \
                    open(os.path.join(again, f"{name}.svg"), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)

    def test_a_model_that_refused_rate_is_named_not_drawn(self):
        folder = os.path.join(self.tmp, "refused")
        os.makedirs(folder)
        for name in ("runs.csv", "list.json", "meta.txt"):
            shutil.copy(os.path.join(RATE_FIXTURE, name), os.path.join(folder, name))
        fields, rows = read_rows(folder)
        for row in rows:
            if row["model"] == "hybrid":
                row.update(exit="2", errors="0", checksum="", metrics="", lat_p99_us="", ops_per_s="")
        write_rows(folder, fields, rows)
        results = data.Results.load(folder)
        out = os.path.join(self.tmp, "refused-out")
        drawn = dict((n, c) for n, _, c in charts.draw_all(results, out, tables.regimes(results, TABLE),
                                                           names=["net-rate-n100"]))
        self.assertIn("Not drawn (no valid run): hybrid n=100 delay=1ms load=10%;", drawn["net-rate-n100"])
        self.assertNotIn("n=1000", drawn["net-rate-n100"])
        with open(os.path.join(out, "net-rate-n100.svg"), encoding="utf-8") as f:
            self.assertNotIn(svg_rgb(charts.Styles(results).color("hybrid")), f.read())


if __name__ == "__main__":
    unittest.main()
