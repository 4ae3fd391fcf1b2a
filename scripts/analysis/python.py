"""The Python row: which series are CPython's (list-py.json, saved by
scripts/bench_python.sh beside list.json), the folder without them (what
the claims, the which-model-when table and the C charts read), and the
report's section "Python beside C": G1–G5 asked in both languages and the
check of the GIL emulation, by the rules in docs/claims.toml [python],
with decide.Answer (the four outcomes) and stats' intervals."""
import json
import os

from . import claims, data, decide, stats, tables

LIST_FILE = "list-py.json"


def listing(results):
    """The Python entry's `list --format json` of this folder, or None."""
    path = os.path.join(results.folder or "", LIST_FILE)
    if not results.folder or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def series(results):
    """The Python series' names (py-serial, ...), in the list's order."""
    doc = listing(results)
    return [m["name"] for m in doc["models"]] if doc else []


def without_python(results):
    """The folder as the C analysis sees it: no Python series."""
    names = set(series(results))
    if not names:
        return results
    runs = [r for r in results.runs if r.series not in names]
    return data.Results(results.folder, runs, results.meta, results.listing, results.meta_commands)


def rules(table):
    return table.get("python", {})


# --- the questions ------------------------------------------------------------

def group_for(results, experiment, knobs, a, b):
    """The first group of the experiment whose knobs match and where both
    a and b ran (the Python cpu groups carry their own work knob)."""
    check = {"experiment": experiment, "knobs": knobs, "a": a, "b": b}
    for group in claims.matching_groups(results, check):
        names = results.series_of(group)
        if a in names and b in names:
            return group
    return None


def answer(results, table, question, pair):
    """(group, decide.Answer) of one pair, or (None, None) when not measured."""
    group = group_for(results, question["experiment"], question.get("knobs", {}), pair["a"], pair["b"])
    if group is None:
        return None, None
    fam = decide.family_of(table, question["experiment"]) or {}
    metric = pair.get("metric", fam.get("metric", "ops_per_s"))
    better = pair.get("better", fam.get("better", "higher"))
    limit = decide.steal_limit(table)
    rounds = {s: decide.scores(results, group, s, metric, better, limit)[0] for s in (pair["a"], pair["b"])}
    unit = fam.get("unit", "") if metric == fam.get("metric") else metric
    return group, decide.Answer(group, question["id"], rounds, decide.planned_rounds(results), unit, metric)


def outcome_text(ans):
    if ans is None or ans.outcome is None:
        return "not measured" if ans is None else ans.label()
    return ans.outcome


def question_lines(results, table):
    out = ["| claim | language | compared (metric) | where | answer | outcome |", "|---|---|---|---|---|---|"]
    for q in rules(table).get("question", []):
        for pair in q.get("pairs", []):
            group, ans = answer(results, table, q, pair)
            metric = pair.get("metric", (decide.family_of(table, q["experiment"]) or {}).get("metric", "ops_per_s"))
            where = f"{group[0]} {group[1]}".strip() if group else f"{q['experiment']} (not measured)"
            said = ans.sentence() if ans else "–"
            out.append(f"| {q['id']} | {pair['language']} | {pair['a']} / {pair['b']} ({metric}) | {where} | "
                       f"{said} | {outcome_text(ans)} |")
    return out


# --- the GIL emulation against the GIL ----------------------------------------------

def speedups(results, table, group, side):
    """round -> a's speedup over b (ops_per_s ratio) in the group, valid rounds only."""
    limit = decide.steal_limit(table)
    a, _ = decide.scores(results, group, side["a"], "ops_per_s", "higher", limit)
    b, _ = decide.scores(results, group, side["b"], "ops_per_s", "higher", limit)
    return {r: a[r] / b[r] for r in set(a) & set(b)
            if a[r] not in (stats.FAILED, None) and b[r] not in (stats.FAILED, None) and b[r] > 0}


def gil_rows(results, table):
    """[(n, C speedup Interval, Python speedup Interval, ratio Interval)]
    at each task count both languages ran, the ratio paired by round."""
    rule = rules(table).get("gil_check")
    if not rule:
        return []
    rows = []
    for n in claims._wanted(rule.get("knobs", {}).get("n", []), results.cores):
        knobs = {"n": n}
        cg = group_for(results, rule["experiment"], knobs, rule["c"]["a"], rule["c"]["b"])
        pg = group_for(results, rule["experiment"], knobs, rule["py"]["a"], rule["py"]["b"])
        if cg is None or pg is None:
            continue
        c, p = speedups(results, table, cg, rule["c"]), speedups(results, table, pg, rule["py"])
        common = sorted(set(c) & set(p))
        if not common:
            continue
        rows.append((n, stats.interval(list(c.values())), stats.interval(list(p.values())),
                     stats.interval([c[r] / p[r] for r in common])))
    return rows


def ratio_outcome(i):
    """The four outcomes for emulation / CPython, oriented to whichever is
    faster (an interval wholly within 1/1.05..1.05 is 'equivalent')."""
    if i is None:
        return "not measured"
    if i.mid >= 1:
        o = stats.outcome(i)
        who = "the emulation"
    else:
        o = stats.outcome(i.inverted())
        who = "CPython"
    if o in (stats.WINNER, stats.AHEAD):
        return f"{o} ({who} gains more)"
    return o


def _fmt(i):
    return f"{i.mid:.2f}× [{i.low:.2f}–{i.high:.2f}], n={i.n}, {i.confidence_text()}"


def gil_lines(results, table):
    rule = rules(table).get("gil_check", {})
    rows = gil_rows(results, table)
    out = ["### The GIL emulation against CPython's GIL", "",
           f"`threads --gil`'s speedup over {rule.get('c', {}).get('b', 'serial')} (C, the cbench cpu work) "
           f"against CPython threading's over {rule.get('py', {}).get('b', 'py-serial')} (its own, smaller "
           "work), each per round, and their ratio paired by round (emulation / CPython): within 5 % is "
           "*equivalent*, the emulation's size confirmed.", ""]
    if not rows:
        return out + ["Not measured in this folder (no cpu group with both).", ""]
    out += ["| tasks | threads --gil / serial (C) | py-threads / py-serial | emulation / CPython | outcome |",
            "|---|---|---|---|---|"]
    for n, c, p, r in rows:
        out.append(f"| {n} | {_fmt(c)} | {_fmt(p)} | {_fmt(r)} | {ratio_outcome(r)} |")
    return out + [""]


def _plan_words(results):
    """'cpu --work 1 per task (C: --work 23)' from meta.txt's python plan."""
    return results.meta.get("python plan", "").split(";")[0] or "fewer kernel iterations per task"


def _figure(x):
    """3 significant digits, never an exponent (12,300 rather than 1.23e+04)."""
    return f"{float(f'{x:.3g}'):,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def series_lines(results, table):
    """Every Python series' median of its family's metric in each group it
    ran, so each series shows (py-uvloop too, which no question asks)."""
    names = set(series(results))
    rows = []
    for experiment in sorted({r.experiment for r in results.runs if r.series in names}):
        fam = decide.family_of(table, experiment) or {}
        metric, unit = fam.get("metric", "ops_per_s"), fam.get("unit", "")
        for group in results.groups(experiment):
            for name in [s for s in results.series_of(group) if s in names]:
                summary = tables.Summary(results, experiment, f"{name} {group[1]}".strip())
                mid = summary.median(metric)
                figure = f"{_figure(mid)} {unit}".strip() if mid is not None else f"failed ({summary.failed} runs)"
                rows.append(f"| {experiment} {group[1]} | {name} | {figure} ({metric}) | {len(summary.valid)} |")
    if not rows:
        return []
    return (["### Every Python series", "", "Medians over the rounds of each group a Python series ran in:", "",
             "| group | series | median | rounds |", "|---|---|---|---|"] + rows + [""])


def section_lines(results, table):
    """REPORT.md's "Python beside C", or nothing for a folder without the row."""
    doc = listing(results)
    if doc is None:
        return []
    names = series(results)
    absent = [f"{m['name']} ({m.get('unavailable', 'not available')})" for m in doc["models"] if not m["available"]]
    ran = [s for s in names if any(r.series == s for r in results.runs)]
    meta_py = results.meta.get("python", "").split(";")[0]   # "CPython 3.11.2 (/usr/bin/python3)"
    out = ["## Python beside C", "",
           f"CPython's own models ({', '.join(ran) or 'none ran'}; {meta_py or doc.get('version', '')}) ran "
           "the same workloads in the same rounds: the C models' groups for sleep, net and spawn (the "
           "same options, so the same checksum: *Equal work*), groups of their own for cpu, where pure "
           f"Python runs {_plan_words(results)}. "
           "Each question is answered in each language by one comparison in the same rounds, with the "
           "four outcomes; these series never join the classic question or the claims above."]
    if absent:
        out += ["", f"Not available here, not run (never replaced): {', '.join(absent)}."]
    out += [""] + question_lines(results, table) + [""] + gil_lines(results, table)
    return out + series_lines(results, table)


def readme_lines(results, table):
    """The README's short form: the questions in both languages and the
    GIL check, one heading level below the report's; nothing without the row."""
    if listing(results) is None:
        return []
    gil = [line.replace("### ", "#### ", 1) if line.startswith("### ") else line for line in gil_lines(results, table)]
    return (["### Python beside C", "",
             f"CPython's models in the same rounds ({_plan_words(results)} for cpu); each question answered in "
             "each language with the four outcomes:", ""]
            + question_lines(results, table) + [""] + gil)
