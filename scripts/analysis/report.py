"""REPORT.md and the README's results section, from a results folder.

Every figure in them is computed here from the folder's raw data; the
prose is fixed and only chooses between sentences. Nothing depends on the
time or the place it is generated, so the same folder always gives the
same bytes.
"""
import math
import os
import re

from . import claims, data, decide, instrument, python, stats, tables

STEAL_FLAG_PCT = 10.0       # a run losing more than this to steal is flagged
SERVER_BOUND_PCT = 90.0     # server busy this much of its cores: it was the limit

OUTCOME_WORD = {
    claims.REPRODUCED: "**reproduced**",
    claims.REFUTED: "**refuted**",
    claims.INCONCLUSIVE: "inconclusive",
    claims.NOT_TESTABLE: "not testable here",
    claims.NOT_MEASURED: "not measured",
}


def _fmt_finite(x, unit=""):
    if x is None:
        return "–"
    ax = abs(x)
    if ax >= 100:
        text = f"{x:,.0f}"
    elif ax >= 10:
        text = f"{x:.1f}"
    else:
        text = f"{x:.3g}"
    return f"{text} {unit}".rstrip() if unit else text


def fmt_ratio(interval):
    if interval is None:
        return "–"
    return f"{fmt_bound(interval.mid)}× [{fmt_bound(interval.low)}–{fmt_bound(interval.high)}]"


def fmt_bound(x):
    """A ratio's end: a side that failed every round makes it infinite."""
    return "∞" if x == float("inf") else f"{x:.2f}"


def fmt_interval(i):
    """'1.96 [1.91–2.00], n=5, 93.75 %': a figure with its interval, its
    rounds and the interval's true confidence."""
    return f"{fmt(i.mid)} [{fmt(i.low)}–{fmt(i.high)}], n={i.n}, {i.confidence_text()}"


def fmt(x, unit=""):
    """A figure rounded for reading: 3 significant digits, no exponent;
    an infinite ratio (one side failed every round) is ∞."""
    if x is not None and math.isinf(x):
        return f"∞ {unit}".rstrip()
    return _fmt_finite(x, unit)


def verdict_lines(verdict):
    """A claim's section: the claim, the scenario, each check and the outcome."""
    c = verdict.claim
    out = [f"### {c['id']} — {c['claim']}", "",
           f"Scenario: {c.get('scenario', '')}.", "",
           f"Verdict: {OUTCOME_WORD[verdict.outcome]}.", ""]
    if verdict.findings:
        out += ["| check | where | compared | median [interval], n, confidence | result |",
                "|---|---|---|---|---|"]
        for f in verdict.findings:
            where = f"{f.group[0]} {f.group[1]}".strip()
            compared = f"{f.a} / {f.b}" if f.b else f.a
            metric = f.check.get("metric", "ops_per_s")
            if f.check.get("divide_by"):
                metric += f" ÷ {f.check['divide_by']}"
            if f.check.get("reference"):
                ref = f.check["reference"]
                metric += f" ÷ {ref['experiment']}'s {ref['metric']}"
            if f.interval is None:
                figure, result = "no valid rounds", "no data"
            else:
                figure = fmt_interval(f.interval)
                result = f"{f.result} ({f.why})" if f.why else f.result
            out.append(f"| {f.check.get('says', '')} | {where} | {compared} ({metric}) | {figure} | {result} |")
        out.append("")
    else:
        out += ["No configuration of this claim was measured in this folder.", ""]
    for inform, group, interval in verdict.informs:
        out += [f"Also measured (not judged): {inform.get('says', '')}, {group[0]} {group[1]}: "
                f"{inform['a']} / {inform['b']} = {fmt_ratio(interval)}"
                + (f", n={interval.n}, {interval.confidence_text()}" if interval else "") + ".", ""]
    if c.get("note"):
        out += [c["note"], ""]
    return out


def machine_lines(results):
    meta = results.meta
    keys = ["host", "kernel", "cpu", "cores", "memory", "cc", "cbench", "git", "mode", "experiments", "rounds",
            "seed", "placement", "server", "load at start", "load at end",
            "calibration before", "calibration after", "duration_s"]
    out = ["## The machine and the run", "", "| | |", "|---|---|"]
    for k in keys:
        if k in meta:
            out.append(f"| {k} | {meta[k]} |")
    valid = sum(1 for r in results.runs if r.valid)
    out.append(f"| runs | {len(results.runs)} ({valid} valid) |")
    steals = [r.value("steal_pct") for r in results.runs if r.value("steal_pct") is not None]
    if steals:
        out.append(f"| CPU steal per run | median {fmt(stats.median(steals))} %, max {fmt(max(steals))} % |")
    out.append("")
    notes = meta.get("note")
    if notes:
        out += ["Notes from the run:", ""] + [f"- {n}" for n in notes.split("\n")] + [""]
    return out


def regime_lines(results, table, regs, capacity):
    """The which-model-when section: the classic answer per regime, the
    refinements, the A/A control, all from decide.py's answers."""
    cfg = decide.rule(table)
    decided, asked, counts = decide.summary(regs)
    planned = decide.planned_rounds(results)
    looks = stats.look_schedule(planned)[:6]
    stolen = sum(r.stolen for r in regs)
    out = ["## Which model when", "",
           f"The seeds' question, per regime: **{', '.join(cfg.get('classic', []))}?** Only these classic "
           "models compete here; each refinement is answered against the model it refines (below).",
           f"**Decided: {decided} of {asked} regimes** ({counts[stats.WINNER]} winners, "
           f"{counts[stats.EQUIVALENT]} equivalent, {counts[stats.AHEAD]} ahead; "
           f"{counts[stats.UNDECIDED]} undecided).", "",
           "How to read it. The best is the model whose smallest median ratio over any other is",
           "largest; the runner-up is the closest of the others. The figure is the best's median",
           "per-round ratio over the runner-up (higher is better in every family: a time is",
           "compared by its reciprocal) with an order-statistic interval of that median, whose",
           "true confidence is printed (it depends on n: 5 rounds give 93.75 %, 3 give 75 %).", "",
           "| outcome | the interval of best / runner-up | a speaker may say |", "|---|---|---|",
           f"| winner | wholly above {1 + stats.EFFECT:.2f} | \"X beats Y by R× [lo–hi]\" |",
           f"| equivalent | wholly inside {1 / (1 + stats.EFFECT):.3f}–{1 + stats.EFFECT:.2f} | "
           "\"X and Y are within 5 % here\" |",
           f"| ahead | above 1, reaching past {1 + stats.EFFECT:.2f} | \"X is faster; by 5 % or more is not shown\" |",
           "| undecided | crosses 1 and reaches past the 5 % band | \"not measurable here with n rounds; "
           "needs ≈M\" |", "",
           f"Rounds: {planned} planned for every configuration; then `make bench` spends its time budget "
           f"on extra interleaved rounds of the undecided regimes (their contenders only), most promising "
           f"first ({results.meta.get('extra rounds', 'none in this folder')}). Decisions are taken "
           f"only at the looks n = {', '.join(map(str, looks))}, … (×{stats.LOOK_GROWTH} each); look j ≥ 2 "
           f"uses the stricter confidence 1 − {stats.EXTRA_ALPHA}·6/(π²(j−1)²), so that all later looks "
           f"together spend at most {stats.EXTRA_ALPHA:.0%} (alpha spending): looking again cannot "
           "manufacture a winner. A regime with fewer valid rounds than planned is never decided.",
           f"Runs that lost more than {decide.steal_limit(table):g} % of CPU time to steal are left out of "
           f"every decision: {stolen} runs here.", "",
           "| regime | answer | best / runner-up [interval] | n | confidence | the others (best / each) | "
           "best's figure | rounds needed |",
           "|---|---|---|---|---|---|---|---|"]
    for reg in regs:
        ans = reg.classic
        if not ans.best:
            continue
        out.append(answer_row(reg.name(), ans, reg.rate(ans.best)))
    if capacity:
        out += ["", "Capacity at SLO (see *Latency under load*), compared round by round among the classic "
                "models the same way; a model that held not even its lowest step has lost its rounds.", "",
                "| regime | answer | best / runner-up [interval] | n | confidence | the others (best / each) | "
                "best's figure | rounds needed |", "|---|---|---|---|---|---|---|---|"]
        for ans in capacity:
            if ans.best:
                held = [v for v in ans.rounds[ans.best].values() if v != stats.FAILED]
                out.append(answer_row(f"{ans.group[0]} {ans.group[1]}", ans, stats.median(held)))
    out += [""] + refinement_lines(regs) + control_lines(regs)
    return out


def answer_row(name, ans, best_figure):
    others = "; ".join(f"{s} {fmt_ratio(v)}" for s, v in ans.vs.items() if s != ans.runner_up and v)
    m = ans.margin
    need = ans.rounds_needed()
    return (f"| {name} | {ans.label()} | {fmt_ratio(m) if m else '–'} | {m.n if m else '–'} | "
            f"{m.confidence_text() if m else '–'} | {others or '–'} | {fmt(best_figure, ans.unit)} | "
            f"{f'≈{need}' if need else '–'} |")


def refinement_lines(regs):
    rows = [(reg, a) for reg in regs for a in reg.refinements if a.margin]
    if not rows:
        return []
    out = ["### Refinements", "",
           "Each refinement against the classic model it refines, in every regime where both ran, "
           "with the same outcomes.", "",
           "| regime | question | outcome | answer |", "|---|---|---|---|"]
    for reg, a in rows:
        out.append(f"| {reg.name()} | {a.question} | {a.outcome} | {a.sentence()} |")
    return out + [""]


def control_lines(regs):
    pairs = [r.control for r in regs if r.control and r.control.margin]
    if not pairs:
        return ["### A/A control", "", "No control series in this folder (it predates the A/A control).", ""]
    counts = {o: sum(1 for a in pairs if a.outcome == o) for o in stats.OUTCOMES}
    name = f"{pairs[0].candidates[0]} against {pairs[0].candidates[1]}" if len(pairs[0].candidates) > 1 else ""
    out = ["### A/A control", "",
           f"One model run twice under two names ({name}), interleaved like every series and never a "
           "candidate: any winner between them is noise called a result. "
           f"**False winners: {counts[stats.WINNER]} of {len(pairs)} regimes** "
           f"({counts[stats.AHEAD]} ahead, {counts[stats.EQUIVALENT]} equivalent, "
           f"{counts[stats.UNDECIDED]} undecided).", "",
           "| family | regimes | winner | ahead | equivalent | undecided | widest interval |",
           "|---|---|---|---|---|---|---|"]
    by_family = {}
    for a in pairs:
        by_family.setdefault(a.group[0], []).append(a)
    for family, answers in by_family.items():
        c = {o: sum(1 for a in answers if a.outcome == o) for o in stats.OUTCOMES}
        widest = max(answers, key=lambda a: a.margin.high / a.margin.low if a.margin.low else float("inf"))
        out.append(f"| {family} | {len(answers)} | {c[stats.WINNER]} | {c[stats.AHEAD]} | "
                   f"{c[stats.EQUIVALENT]} | {c[stats.UNDECIDED]} | {fmt_ratio(widest.margin)} |")
    return out + [""]


def citation_lines(results, verdicts, regs):
    """A one-line citation for every winner and every judged verdict: the
    figure, interval, n, the machine, the commit and a command that
    reproduces the configuration alone."""
    meta = results.meta
    machine = (f"{meta.get('cpu', '?')}, {meta.get('cores', '?')} cores, "
               f"Linux {(meta.get('kernel', '').split() + ['?', '?', '?'])[2]}")
    where = f"{machine}, cbench git {meta.get('git', '?')}, {meta.get('date', '?')[:10]}"
    commands = results.commands()
    out = ["## Citations", "",
           "One line per winner and per verdict, to quote as it stands: the figure, its interval and",
           "rounds, the machine, the commit, and one command that reproduces the configuration",
           "(the net runs against `taskset -c 1 build/cbench serve --port PORT --loops 1 --idle-timeout 0`,",
           "pinned as the bench pinned them).", ""]
    for reg in regs:
        ans = reg.classic
        if ans.outcome != stats.WINNER:
            continue
        cmd = commands.get((reg.group[0], f"{ans.best} {reg.group[1]}".strip()), "–")
        out.append(f"- {reg.name()}: {ans.sentence()} ({ans.margin.confidence_text()}, {reg.unit}); "
                   f"{where}; `{cmd}`")
    for v in verdicts:
        if v.outcome not in (claims.REPRODUCED, claims.REFUTED, claims.NOT_TESTABLE):
            continue
        figures = "; ".join(f"{f.a}{' / ' + f.b if f.b else ''} {fmt_interval(f.interval)} in "
                            f"{f.group[0]} {f.group[1]}" for f in v.findings if f.interval)
        first = next((f for f in v.findings if f.interval), None)
        cmd = commands.get((first.group[0], f"{first.a} {first.group[1]}".strip()), "–") if first else "–"
        out.append(f"- {v.id} {v.outcome}: \"{v.claim['claim']}\" — {figures}; {where}; `{cmd}`")
    return out + [""]


SERVE = "serve"   # the server models' experiment (scripts/bench_serve.sh)


def serve_lines(results, regs):
    """Which server model when: the classic answer of every serve group (as
    in *Which model when*) and each server model's figures, medians over the
    valid rounds."""
    mine = [reg for reg in regs if reg.group[0] == SERVE and reg.classic.best]
    configs = [(config, runs) for (exp, config), runs in results.configs.items() if exp == SERVE]
    if not configs:
        return []
    out = ["## Which server model when", "",
           "The same question for the other side of the socket: `cbench serve --model M`, the server "
           "written once as tasks and driven by each model, started afresh for each run, under wrk "
           f"({results.meta.get('serve', 'see meta.txt')}). Equal work: the same answers under every "
           "server model (tests/cli_serve.sh, cbench's client, one checksum). The claims S1–S3 above "
           "judge it; the answers are in `decisions.csv` like every other.", ""]
    if mine:
        out += ["| regime | answer | best / runner-up [interval] | n | confidence | the others (best / each) | "
                "best's figure | rounds needed |", "|---|---|---|---|---|---|---|---|"]
        out += [answer_row(reg.name(), reg.classic, reg.rate(reg.classic.best)) for reg in mine]
        out.append("")
    out += ["Each server model's figures (medians over the valid runs): wrk's requests/s and p99, the "
            "server's memory per connection (its memory less what it held before serving, ÷ "
            "connections) and its CPU time per request.", "",
            "| configuration | valid runs | requests/s | p99 | KiB per connection | server CPU per request |",
            "|---|---|---|---|---|---|"]
    for config, runs in configs:
        valid = [r for r in runs if r.valid]

        def med(name):
            values = [r.value(name) for r in valid if r.value(name) is not None]
            return stats.median(values) if values else None
        p99 = med("lat_p99_us")
        out.append(f"| {config} | {len(valid)} of {len(runs)} | {fmt(med('steady_req_per_s'), 'req/s')} | "
                   f"{fmt(p99 / 1e3 if p99 is not None else None, 'ms')} | "
                   f"{fmt(med('mem_kib_per_conn'), 'KiB')} | {fmt(med('server_cpu_us_per_req'), 'µs')} |")
    return out + [""]


def server_lines(results):
    """Server CPU per request, and whether the server was the limit."""
    rows = []
    server_cpus = data.cpus_in_placement(results.meta.get("placement", ""), "server")
    for experiment in results.experiments():
        for (exp, config), runs in results.configs.items():
            if exp != experiment:
                continue
            valid = [r for r in runs if r.valid and r.value("server_cpu_s") is not None
                     and r.value("ops") and r.value("wall_s")]
            if not valid:
                continue
            per_req = stats.median([r.value("server_cpu_s") / r.value("ops") * 1e6 for r in valid])
            busy = stats.median([r.value("server_cpu_s") / r.value("wall_s") * 100 for r in valid])
            bound = server_cpus and busy / server_cpus >= SERVER_BOUND_PCT
            rows.append(f"| {exp} {config} | {fmt(per_req, 'µs')} | {fmt(busy, '%')} | "
                        f"{'**server-bound**' if bound else 'no'} |")
    if not rows:
        return []
    return ["## The HTTP server", "",
            f"The server ran on its own CPUs ({results.meta.get('placement', 'unknown')}). Its CPU time "
            "per request and how busy it was during each run (100 % = one core); a row where it was "
            f"busy ≥ {SERVER_BOUND_PCT:.0f} % of its cores measured the server, not the client's model.", "",
            "| configuration | server CPU per request | server busy | server the limit? |",
            "|---|---|---|---|"] + rows + [""]


def work_lines(results, own_rates=()):
    """Equal work: checksum agreement, failed runs, noisy configurations.
    own_rates: experiments whose series are each offered their own rate
    (open loop): their work agrees per configuration, not per group."""
    out = ["## Equal work and failed runs", ""]
    problems = []
    for experiment in results.experiments():
        if experiment == "cancel":      # these runs stop early by design
            continue
        for group in results.groups(experiment):
            configs = [f"{s} {group[1]}".strip() for s in results.series_of(group)] \
                if experiment in own_rates else [None]
            for config in configs:
                p = results.checksum_problems(group, config)
                if p:
                    problems.append(f"- {group[0]} {config or group[1]}: checksums differ ({p})")
    if problems:
        out += ["Checksums that differ within a group (these comparisons are not equal work):", ""] + problems + [""]
    else:
        out += ["Every valid run of every group carries the same checksum: each model did the same work.", ""]
    own = [e for e in results.experiments() if e in own_rates]
    if own:
        out += [f"In {', '.join(f'`{e}`' for e in own)} each model is offered its own rate, so the runs "
                "of a configuration, not of a group, must agree.", ""]
    failed = {}
    for r in results.runs:
        if not r.valid and r.experiment != "cancel":
            failed.setdefault((r.experiment, r.config), []).append(r)
    if failed:
        out += ["Runs that failed (left out of every figure):", "",
                "| configuration | failed rounds | exit codes | errors |", "|---|---|---|---|"]
        for (exp, config), runs in failed.items():
            codes = sorted({r.exit for r in runs})
            errors = sorted({int(r.errors) for r in runs if r.errors is not None})
            out.append(f"| {exp} {config} | {len(runs)} | {', '.join(map(str, codes))} | "
                       f"{', '.join(map(str, errors)) or '–'} |")
        out.append("")
    noisy = []
    for (exp, config), runs in results.configs.items():
        worst = max((r.value("steal_pct") or 0 for r in runs), default=0)
        if worst > STEAL_FLAG_PCT:
            noisy.append(f"{exp} {config} ({fmt(worst)} %)")
    if noisy:
        out += [f"Configurations with a run that lost more than {STEAL_FLAG_PCT:.0f} % of CPU time to steal: "
                + "; ".join(noisy) + ".", ""]
    return out


def _steps_text(loads):
    words = [f"{p:g}" for p in loads]
    return ", ".join(words[:-1]) + f" and {words[-1]} %" if len(words) > 1 else f"{words[0]} %"


def _capacity_cell(curve, rule, slo):
    """'15,400 req/s (70 %) [15,400–18,700], n=5', or why there is none."""
    if not curve.valid_runs():
        return f"failed ({curve.all_runs()} runs, none valid)"
    cap = curve.capacity(rule["metric"], slo)
    lowest = curve.offered(curve.loads()[0])
    if cap.mid == 0:
        return f"below the lowest step ({fmt(lowest, 'req/s')})" if lowest else "below the lowest step"
    closed = curve.closed_loop()
    share = f" ({cap.mid / closed * 100:.0f} %)" if closed else ""
    top = curve.offered(curve.loads()[-1])
    at_least = "≥ " if top and cap.mid >= top else ""
    return f"{at_least}{fmt(cap.mid, 'req/s')}{share} [{fmt(cap.low)}–{fmt(cap.high)}], n={cap.n}"


def latency_lines(results, table):
    """The latency-under-load section: the open-loop experiment and the
    capacity-at-SLO table. A folder from before the experiment existed
    (its meta.txt names no experiments) gets no section."""
    rule = tables.slo_rule(table)
    if not rule:
        return []
    exp = rule["experiment"]
    curves = tables.rate_curves(results, exp)
    if not curves and "experiments" not in results.meta:
        return []
    out = ["## Latency under load", ""]
    if not curves:
        return out + [f"Capacity at SLO: not measured (this folder has no run of the `{exp}` experiment).", ""]
    loads = sorted({p for c in curves for p in c.loads()})
    out += [f"Open loop (`{exp}`, `net --rate`): every model was offered fixed rates,",
            f"{_steps_text(loads)} of its own closed-loop requests/s (probed at the start of the run with the same",
            "connections and server delay), the models taking turns in each round. Latency is",
            "timed from each request's intended send time, so a model that falls behind is charged",
            "for the wait (corrected for coordinated omission); a run is *saturated* when it",
            "achieved less than 95 % of the offered rate. The charts (below, *Charts*) draw the",
            "corrected p99 against the offered load, and what coordinated omission hides.", "",
            "### Capacity at SLO", "",
            "Per model and configuration, the highest offered rate held, in each round: corrected",
            "p99 within the SLO and not saturated, ramping up from the lowest step and stopping",
            "at the first step that misses (a later step that passes does not count). The median",
            "over the rounds, its share of the model's closed-loop rate, the order-statistic",
            "interval and n rounds; \"≥\": even the highest step held. The which-model-when table",
            "compares these capacities round by round.", "",
            ]
    return out + capacity_table(curves, rule)


def capacity_table(curves, rule):
    """The capacity-at-SLO table: a row per model and configuration."""
    slos = rule["slo_ms"]
    out = ["| model | configuration | closed loop (100 %) | " + " | ".join(f"p99 ≤ {s:g} ms" for s in slos) + " |",
           "|---|---|---|" + "---|" * len(slos)]
    for c in curves:
        cells = " | ".join(_capacity_cell(c, rule, s) for s in slos)
        out.append(f"| {c.series} | {c.where} | {fmt(c.closed_loop(), 'req/s')} | {cells} |")
    return out + [""]


def latency_chart_names(folder, table):
    """The latency-under-load charts drawn in FOLDER, in name order."""
    rule = tables.slo_rule(table)
    if not rule:
        return []
    return sorted(f[:-len(".png")] for f in os.listdir(folder)
                  if f.startswith(rule["experiment"] + "-") and f.endswith(".png"))


def readme_latency_lines(results, table, folder_name, chart_names):
    """The README's latency-under-load part: the capacity table and the
    experiment's charts (CHART_NAMES: those drawn in the folder)."""
    rule = tables.slo_rule(table)
    curves = tables.rate_curves(results, rule["experiment"]) if rule else []
    if not curves:
        return []
    out = ["Latency under load (open loop, `net --rate`; latency timed from each request's intended",
           "send time): the highest offered rate each model held with corrected p99 within the SLO,",
           "median over the rounds [order-statistic interval].", ""]
    out += capacity_table(curves, rule)
    for name in chart_names:
        out += [f"![{name}]({folder_name}/{name}.png)", ""]
    return out


def chart_lines(charts):
    out = ["## Charts", ""]
    for name, title, caption in charts:
        out += [f"### {title}", "", f"![{title}]({name}.png)", "", caption, ""]
    return out


def write_report(results, table, charts=()):
    """REPORT.md's text."""
    verdicts = claims.evaluate(results, table)
    regs = decide.regimes(results, table)
    capacity = tables.capacity_regimes(results, table)
    meta = results.meta
    out = [f"# cbench results: {meta.get('host', 'unknown host')}, {meta.get('date', 'unknown date')}", "",
           "Generated by `scripts/analyze.py report` from `runs.csv`, `meta.txt` and `list.json` in",
           "this folder; regenerate with `make plot RESULTS=<this folder>`. Models took turns in",
           f"{meta.get('rounds', '?')} planned rounds (order shuffled, seed {meta.get('seed', '?')}), then in extra rounds",
           "where the answer was undecided. A comparison is the median of its per-round ratios with",
           "an order-statistic interval whose true confidence is printed beside it. Every answer is",
           "one of four outcomes (winner, equivalent, ahead, undecided; *Which model when*), and every",
           "answer is in `decisions.csv`. The claims' rules are `docs/claims.toml`.", ""]
    out += ["## The claims", "", "| claim | verdict |", "|---|---|"]
    for v in verdicts:
        out.append(f"| {v.id} — {v.claim['claim']} | {OUTCOME_WORD[v.outcome]} |")
    out.append("")
    for v in verdicts:
        out += verdict_lines(v)
    out += regime_lines(results, table, regs, capacity)
    out += latency_lines(results, table)
    out += instrument.lines(results, table)
    out += python.section_lines(results, table)
    out += serve_lines(results, regs)
    out += server_lines(results)
    rule = tables.slo_rule(table)
    out += work_lines(results, own_rates={rule["experiment"]} if rule else ())
    out += citation_lines(results, verdicts, regs)
    out += machine_lines(results)
    out += chart_lines(charts)
    return "\n".join(out).rstrip("\n") + "\n"


def decisions_csv(results, table):
    """decisions.csv's text: every answer of the folder."""
    regs = decide.regimes(results, table)
    return decide.csv_text(decide.decision_rows(regs, tables.capacity_regimes(results, table)))


def readme_section(results, table, folder_name, chart_names=()):
    """The README's results section: verdicts, the classic answers,
    large-scale figures, latency under load (with CHART_NAMES, the charts
    of that experiment)."""
    verdicts = claims.evaluate(results, table)
    regs = decide.regimes(results, table)
    decided, asked, counts = decide.summary(regs)
    meta = results.meta
    out = [f"Measured with `make bench` ({meta.get('mode', '?')} matrix, {meta.get('rounds', '?')} planned rounds) on "
           f"{meta.get('cores', '?')} cores ({meta.get('cpu', 'unknown CPU')}), {meta.get('date', '')[:10]}"
           f"{run_length_words(meta)}. "
           f"Generated from [`{folder_name}`]({folder_name}/REPORT.md) by `make readme`; nothing here is typed.", "",
           "| claim | verdict here |", "|---|---|"]
    for v in verdicts:
        out.append(f"| {v.id} — {v.claim['claim']} | {v.outcome} |")
    out += ["", f"Which model when, among {', '.join(decide.rule(table).get('classic', []))}: decided "
            f"{decided} of {asked} regimes ({counts[stats.WINNER]} winners, {counts[stats.EQUIVALENT]} "
            f"equivalent, {counts[stats.AHEAD]} ahead, {counts[stats.UNDECIDED]} undecided; every answer in "
            f"[`decisions.csv`]({folder_name}/decisions.csv)).", "",
            "| regime | answer | best / runner-up [interval], n, confidence |", "|---|---|---|"]
    for reg in regs:
        m = reg.classic.margin
        if reg.classic.best:
            out.append(f"| {reg.name()} | {reg.classic.label()} | "
                       f"{f'{fmt_ratio(m)}, n={m.n}, {m.confidence_text()}' if m else '–'} |")
    out += [""] + scale_lines(results)
    out += python.readme_lines(results, table)
    out += readme_latency_lines(results, table, folder_name, chart_names)   # out ends blank
    return "\n".join(out).rstrip("\n") + "\n"


def mmss(seconds):
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def run_length_words(meta):
    """', in M:SS (...)' from meta.txt: total_s (start to folder, analysis
    included) when the bench wrote it, else probing + rounds."""
    phases = dict(re.findall(r"(probing|planned rounds|extra rounds) (\d+) s", meta.get("phases", "")))
    if not phases:
        return ""
    parts = ", ".join(f"{k} {mmss(int(v))}" for k, v in phases.items())
    if meta.get("total_s", "").isdigit():
        return f", in {mmss(int(meta['total_s']))} end to end ({parts}, then the analysis)"
    total = int(phases.get("probing", 0)) + int(meta.get("duration_s", "0") or 0)
    return f", in {mmss(total)} before the analysis ({parts})"


def scale_lines(results):
    """The most connections of net-slow: requests/s, memory and p99 per model."""
    groups = results.groups("net-slow")
    if not groups:
        return []
    group = max(groups, key=lambda g: int(dict(w.split("=", 1) for w in g[1].split()).get("n", 0)))
    rows = []
    order = {m: i for i, m in enumerate(results.models)}   # cbench list's order
    for series in sorted(results.series_of(group), key=lambda x: (order.get(x.split("-")[0], len(order)), x)):
        s = tables.Summary(results, group[0], f"{series} {group[1]}")
        if not s.valid:
            rows.append(f"| {series} | failed ({s.failed} of {len(s.runs)} runs) | – | – | – |")
            continue
        mem = s.median("mem_kib")
        rows.append(f"| {series} | {fmt(s.median('ops_per_s'), 'req/s')} | "
                    f"{fmt(mem / 1024 if mem is not None else None, 'MiB')} | "
                    f"{fmt((s.median('lat_p99_us') or 0) / 1000, 'ms')} | {len(s.valid)} |")
    return [f"At the most connections measured ({group[0]} {group[1]}), medians over the rounds:", "",
            "| model | requests/s | memory (mem_kib) | p99 latency | rounds |", "|---|---|---|---|---|"] + rows + [""]
