#!/usr/bin/env python3
"""py_cbench.py - cbench's Python row: the same workloads (sleep, cpu,
net, spawn) under CPython's own models (py-serial, py-processes,
py-threads, py-asyncio, py-uvloop when importable), with cbench's CLI
shape, output schema (human, CSV with the same header, JSON with
`metrics`), checksums and exit status: 0 the run completed with no
errors; 1 it failed (a message, the errors counted, checksum "-" / null);
2 bad usage (a message naming the bad value, nothing run).

    python3 bench/py_cbench.py run MODEL WORKLOAD [options]
    python3 bench/py_cbench.py list [--format json]

`cbench list --format json` names this file (its "python" entry), so
scripts find it, and its models, without naming either. Standard library
only; one file per model in models/py_*.py, per workload in
workloads/py_*.py (docs/DESIGN.md, "The Python row")."""

import json
import os
import platform
import resource
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from lib.py_checksum import run_checksum  # noqa: E402
from models import py_asyncio, py_processes, py_serial, py_threads, py_uvloop  # noqa: E402
from workloads import py_cpu, py_net, py_sleep, py_spawn  # noqa: E402
from workloads.py_workload import TaskFailed, now_ns  # noqa: E402

VERSION = "cbench-py 0.1.0"
MODELS = [py_serial, py_processes, py_threads, py_asyncio, py_uvloop]
WORKLOADS = [py_sleep, py_cpu, py_net, py_spawn]
# cbench's output keys, in order (bench/output.c, docs/DESIGN.md)
OUTPUT_KEYS = ("model,workload,tasks,workers,wall_s,user_s,sys_s,maxrss_kib,ops,ops_per_s,"
               "lat_p50_us,lat_p90_us,lat_p99_us,lat_max_us,errors,checksum,workers_started,params,note,"
               "cancelled,cancel_ms,mem_kib,lat_p999_us,lat_p9999_us,metrics").split(",")
MAX_TASKS = 1000000


class Usage(Exception):
    """Bad usage: exit 2 with this message, nothing run."""


def interpreter():
    return "CPython %s (%s)" % (platform.python_version(), sys.executable)


# ---- list -----------------------------------------------------------------

def listing():
    models = []
    for m in MODELS:
        ok, why = m.available()
        entry = {"name": m.NAME, "summary": m.SUMMARY, "sequential": m.SEQUENTIAL,
                 "workers": m.WORKERS, "event_loop": m.EVENT_LOOP,
                 "processes": getattr(m, "PROCESSES", False), "available": ok, "options": []}
        if not ok:
            entry["unavailable"] = why
        models.append(entry)
    workloads = [{"name": w.NAME, "summary": w.SUMMARY, "options": [o.name for o in w.OPTIONS]}
                 for w in WORKLOADS]
    return {"models": models, "workloads": workloads, "language": "python",
            "interpreter": sys.executable, "version": platform.python_version(),
            "implementation": platform.python_implementation()}


def print_list(fmt):
    data = listing()
    if fmt == "json":
        print(json.dumps(data, separators=(",", ":")))
        return
    print("Models (%s):" % interpreter())
    for m in data["models"]:
        print("  %-13s %s%s" % (m["name"], m["summary"],
                                "" if m["available"] else " [not available: %s]" % m["unavailable"]))
    print("Workloads:")
    for w in WORKLOADS:
        print("  %-13s %s" % (w.NAME, w.SUMMARY))
        for o in w.OPTIONS:
            print("          --%-18s %s" % (o.name + " N", o.help))


# ---- run: options ------------------------------------------------------------

def find(items, name, what):
    for item in items:
        if getattr(item, "NAME") == name:
            return item
    raise Usage('unknown %s "%s" (known: %s)' % (what, name, ", ".join(i.NAME for i in items)))


def whole(text, name, low, high):
    try:
        v = int(text, 10)
    except ValueError:
        raise Usage('%s: "%s" is not a whole number' % (name, text))
    if not low <= v <= high:
        raise Usage("%s: %d is outside %d..%d" % (name, v, low, high))
    return v


def parse_run(args):
    """(model, workload, params, tasks, workers, format) from run's words."""
    if len(args) < 2:
        raise Usage("run needs MODEL and WORKLOAD")
    model, workload = find(MODELS, args[0], "model"), find(WORKLOADS, args[1], "workload")
    params = {o.name: o.default for o in workload.OPTIONS}
    options = {o.name: o for o in workload.OPTIONS}
    tasks, workers, fmt = workload.default_tasks(), 0, "human"
    words = list(args[2:])
    while words:
        word = words.pop(0)
        name, eq, value = word.partition("=")
        if not word.startswith("-"):
            raise Usage('unexpected argument "%s"' % word)
        if not eq:
            if not words:
                raise Usage("%s needs a value" % word)
            value = words.pop(0)
        if name in ("-n", "--tasks"):
            tasks = whole(value, "--tasks", 1, MAX_TASKS)
        elif name in ("-w", "--workers"):
            workers = whole(value, "--workers", 1, MAX_TASKS)
        elif name in ("-f", "--format"):
            if value not in ("human", "csv", "json"):
                raise Usage('--format: "%s" is not one of human, csv, json' % value)
            fmt = value
        elif name.startswith("--") and name[2:] in options:
            try:
                params[name[2:]] = options[name[2:]].parse(value)
            except ValueError as e:
                raise Usage("%s: %s" % (name, e))
        else:
            raise Usage('%s %s: unknown option "%s" (see --help)' % (model.NAME, workload.NAME, name))
    if workers and not model.WORKERS:
        raise Usage("%s has no workers: -w applies to py-processes and py-threads" % model.NAME)
    ok, why = model.available()
    if not ok:
        raise Usage("%s is not available here: %s" % (model.NAME, why))
    return model, workload, params, tasks, workers, fmt


# ---- run: measure --------------------------------------------------------

class RunContext:
    """What a model and a workload's setup and metrics know of the run."""

    def __init__(self, model, workers):
        self.name = model.NAME
        self.sequential = model.SEQUENTIAL
        self.workers = workers
        self.pool = bool(workers)
        self.counter = model.counter
        self.workers_started = 0
        self.started_ns = 0
        self.peak_rss_kib = 0


def percentile(sorted_us, q):
    """Nearest rank, as lib/stats.c: the ceil(q * n)-th smallest."""
    if not sorted_us:
        return 0
    import math
    rank = min(max(int(math.ceil(q * len(sorted_us))), 1), len(sorted_us))
    return sorted_us[rank - 1]


def usage_now():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + kids.ru_utime, me.ru_stime + kids.ru_stime


def measure(model, workload, params, tasks, workers):
    """Run once; the result as a dict of OUTPUT_KEYS, and the first error."""
    ctx = RunContext(model, workers)
    run_state = workload.setup(params, tasks, ctx)
    try:
        u0, s0 = usage_now()
        ctx.started_ns = now_ns()
        results = model.run(workload, params, run_state, tasks, ctx)
        wall = (now_ns() - ctx.started_ns) / 1e9
        u1, s1 = usage_now()
    finally:
        if hasattr(workload, "teardown"):
            workload.teardown(run_state)
    ctx.peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    done = [r for r in results if r is not None]
    errors = sum(r.errors for r in done)
    lat = sorted(us for r in done for us in r.latencies_us)
    ops = sum(r.ops for r in done)
    first_error = next((r.extra["error"] for r in done if "error" in r.extra), None)
    valid = errors == 0 and len(done) == tasks
    metrics = workload.metrics(params, run_state, done, wall, ctx) if hasattr(workload, "metrics") else ""
    note = workload.note(params, run_state, done) if hasattr(workload, "note") else ""
    child_kib = sum(r.extra.get("private_kib", 0) for r in done)
    return {
        "model": model.NAME, "workload": workload.NAME, "tasks": tasks, "workers": workers,
        "wall_s": wall, "user_s": u1 - u0, "sys_s": s1 - s0, "maxrss_kib": ctx.peak_rss_kib,
        "ops": ops, "ops_per_s": ops / wall if wall > 0 else 0.0,
        "lat_p50_us": percentile(lat, 0.5), "lat_p90_us": percentile(lat, 0.9),
        "lat_p99_us": percentile(lat, 0.99), "lat_max_us": lat[-1] if lat else 0,
        "errors": errors, "checksum": run_checksum(workload.NAME, [r.checksum for r in results]) if valid else None,
        "workers_started": ctx.workers_started,
        "params": ";".join("%s=%s" % (o.key, o.show(params[o.name])) for o in workload.OPTIONS),
        "note": "; ".join(x for x in (interpreter(), note) if x),
        "cancelled": tasks - len(done), "cancel_ms": 0.0, "mem_kib": ctx.peak_rss_kib + child_kib,
        "lat_p999_us": percentile(lat, 0.999), "lat_p9999_us": percentile(lat, 0.9999),
        "metrics": metrics,
    }, first_error


# ---- output ----------------------------------------------------------------

def csv_value(key, v):
    if v is None:
        return "-"
    if key in ("wall_s", "user_s", "sys_s"):
        return "%.6f" % v
    if key in ("ops_per_s", "cancel_ms"):
        return "%.3f" % v
    if isinstance(v, float):
        return "%.0f" % v
    text = str(v)
    bad = '_' if key == "metrics" else ';'   # never a column of its own
    return text.replace(",", bad).replace('"', bad).replace("\n", bad)


def output(res, fmt):
    if fmt == "csv":
        print(",".join(OUTPUT_KEYS))
        print(",".join(csv_value(k, res[k]) for k in OUTPUT_KEYS))
    elif fmt == "json":
        print(json.dumps({k: res[k] for k in OUTPUT_KEYS}, separators=(",", ":")))
    else:
        human(res)


def duration(us):
    if us >= 1e6:
        return "%.3f s" % (us / 1e6)
    if us >= 1e3:
        return "%.3f ms" % (us / 1e3)
    return "%.0f µs" % us


def human(r):
    print("%s %s: %d tasks%s; %s" % (r["model"], r["workload"], r["tasks"],
                                     ", %d workers" % r["workers"] if r["workers"] else "", r["note"]))
    print("  options     %s" % (r["params"] or "(none)"))
    print("  wall time   %.3f s" % r["wall_s"])
    print("  cpu time    %.3f s user, %.3f s sys" % (r["user_s"], r["sys_s"]))
    print("  memory      %.1f MiB peak RSS; %.1f MiB with workers' own (mem_kib)"
          % (r["maxrss_kib"] / 1024, r["mem_kib"] / 1024))
    print("  operations  %d, %.1f ops/s" % (r["ops"], r["ops_per_s"]))
    print("  latency     p50 %s, p90 %s, p99 %s, max %s" % tuple(
        duration(r[k]) for k in ("lat_p50_us", "lat_p90_us", "lat_p99_us", "lat_max_us")))
    print("  errors      %d" % r["errors"])
    print("  checksum    %s" % (r["checksum"] or "-"))
    if r["metrics"]:
        print("  metrics     %s" % r["metrics"].replace(";", ", "))


HELP = __doc__ + """
Models: %s
Workloads: sleep (--ms), cpu (--work), net (--delay-ms --requests --bytes
--connect --timeout-ms), spawn (--hold-ms); common: -n/--tasks N,
-w/--workers N (py-processes, py-threads), -f/--format human|csv|json.
""" % ", ".join(m.NAME for m in MODELS)


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(HELP)
        return 0 if argv else 2
    if argv[0] == "--version":
        print("%s, %s" % (VERSION, interpreter()))
        return 0
    try:
        if argv[0] == "list":
            rest = argv[1:]
            if rest not in ([], ["--format", "json"], ["--format=json"], ["--format", "human"]):
                raise Usage("list takes only --format json")
            print_list("json" if "json" in " ".join(rest) else "human")
            return 0
        if argv[0] != "run":
            raise Usage('unknown command "%s" (run, list, --help, --version)' % argv[0])
        model, workload, params, tasks, workers, fmt = parse_run(argv[1:])
        try:
            res, first_error = measure(model, workload, params, tasks, workers)
        except ValueError as e:   # a setup's verdict on an option (--connect)
            raise Usage(str(e))
    except Usage as e:
        print("cbench-py: %s" % e, file=sys.stderr)
        return 2
    except TaskFailed as e:   # setup could not run the workload (no server)
        print("cbench-py: %s: %s" % (argv[2] if len(argv) > 2 else "run", e), file=sys.stderr)
        return 1
    if first_error:
        print("cbench-py: %s: %s (further errors are only counted)" % (workload.NAME, first_error),
              file=sys.stderr)
    output(res, fmt)
    sys.stdout.flush()
    return 0 if res["checksum"] else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        print("cbench-py: write error: broken pipe", file=sys.stderr)
        sys.exit(1)
