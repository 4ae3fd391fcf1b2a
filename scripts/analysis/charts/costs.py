"""The charts of what a worker costs: spawn (time), spawn-mem (memory), cancel and
pingpong.
"""

from .. import data
from .blocks import (
    Chart, DataFile, N_CAPTION, Points, categories, category_clauses, counts, dots_caption,
    failed_caption, failed_label, line_clauses, lines_chart, median, q, rounds_text,
    run_key, series_label, value_of, xtics_of)


def chart_spawn(results, sty):
    exp = "spawn"
    model = Points(results, exp, value_of("us_per_worker"))
    if not model:
        return None
    bare = Points(results, exp, value_of("bare_us_per_worker"))
    df = DataFile(f"{exp}.dat")
    n = rounds_text(model.counts())
    clauses = line_clauses(df, sty, model, dt=1)
    if bare:
        clauses += line_clauses(df, sty, bare, suffix=": bare C loop", dt=2)
    clauses.append(run_key())
    body = "\n".join(b for b in [
        f"set title {q(f'spawn: time to create and destroy one worker (lower is better; {n} rounds per point)' + chr(10) + 'solid: cbench’s model; dashed: a bare C loop doing the same')}",
        "set xlabel 'workers created (N)'", "set ylabel 'µs per worker'",
        "set logscale x", "set logscale y", "set format x '%.0f'",
        "set offsets graph 0.05, graph 0.05, 0, 0",
        failed_label(model.failed),
        "plot " + ", \\\n     ".join(clauses)])
    return Chart(exp, "spawn: cost of a worker against workers",
                 "Time to create and destroy one worker (µs, log scale) against the number of "
                 "workers N; dashed: a bare C loop creating the same workers, where the run "
                 f"measured one. {dots_caption(n)}{failed_caption(model.failed)}",
                 body, df, 1100, 600)


def chart_spawn_mem(results, sty):
    return lines_chart(
        results, sty, "spawn-mem", "spawn-mem", value_of("kib_per_worker"),
        "spawn-mem: memory per live worker against workers",
        "workers alive at once (N)", "KiB per worker",
        "spawn --hold-ms: memory per worker while all are alive (lower is better)",
        "Memory each worker holds while N of them are alive at once (KiB, log scale; "
        "lower is better).", logx=True, logy=True, width=1100, height=600)


def chart_cancel(results, sty):
    # A cancel run fails on purpose (a task fails, cbench exits 1): it counts
    # when it stopped the others (cancelled > 0) and timed it.
    def cancelled(run):
        return (run.exit in (0, 1) and (run.value("cancelled") or 0) > 0
                and (run.value("cancel_ms") or 0) > 0
                and run.checksum not in data.INVALID_CHECKSUMS)
    return lines_chart(
        results, sty, "cancel", "cancel", value_of("cancel_ms"),
        "cancel: time to stop every task after one fails",
        "tasks (N)", "failure → all stopped (ms)",
        "cancel: the last task fails at once, the others (waiting) are cancelled: time to stop them all (lower is better)",
        "Time from one task's failure to every other (waiting) task stopped, against N "
        "(ms, log-log; lower is better). These runs exit 1 by design: a run counts when it "
        "cancelled tasks.", logx=True, logy=True, accept=cancelled)


def chart_pingpong(results, sty):
    exp = "pingpong"
    items, pts = categories(results, sty, exp, value_of("round_trip_us"),
                            label=series_label(results, exp))
    if not items:
        return None
    df = DataFile(f"{exp}.dat")
    n = rounds_text(pts.counts())
    body = "\n".join(b for b in [
        f"set title {q(f'pingpong: one round trip of a token between two tasks (lower is better; {n} rounds per bar)')}",
        "set ylabel 'µs per round trip'", xtics_of(items),
        f"set xrange [-0.6:{len(items) - 0.4}]", "set yrange [0:*]", "set offsets 0, 0, graph 0.1, 0",
        "set boxwidth 0.6", "unset key", failed_label(pts.failed),
        "plot " + ", \\\n     ".join(category_clauses(df, items))])
    return Chart(exp, "pingpong: round trip between two tasks",
                 "Round trip of a token between two tasks (µs), per model and means of passing "
                 f"it (lower is better). Bar: the median; dots: each valid run. {N_CAPTION}here {n}."
                 f"{failed_caption(pts.failed)}", body, df, 900, 520)
