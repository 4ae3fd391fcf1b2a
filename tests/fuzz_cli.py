#!/usr/bin/env python3
"""Seeded CLI fuzzer for cbench (python3 stdlib only).

    tests/fuzz_cli.py [--cbench build/cbench] [--seed S] [--cases N] [--jobs 2]
    tests/fuzz_cli.py --seed S --only K [-v]      re-run case K of seed S

Generates hostile command lines for `cbench run MODEL WORKLOAD ...`,
`cbench list`, `cbench serve` and `cbench --help/--version`: models and
workloads from `cbench list`, options parsed from `cbench --help` and
`cbench serve --help` (nothing is hard-coded but --tasks and --duration,
which set the cost of a run, net's --rate that --duration goes with, and
--port, which must stay 0), values such as "", "-1",
"0x10", "99999999999999999999", " 5", "abc", a 10,000-character string,
duplicate options, missing values and odd orders.

Every case must end within --deadline seconds (10) with exit 0, 1 or 2, not
by a signal, and leave no process behind: each case runs with its own
CBENCH_FUZZ_TAG in the environment, which every process it starts inherits,
and no process holding that tag may outlive it (1 s of grace). A serve case
is sent SIGTERM after 0.5 s and must then exit 0. Cases are cheap by
construction (small sizes; a run with a large --tasks gets only small
values), so a timeout is a hang, not a slow run.

Prints one line per violation (with the case number and its command line)
and a summary line:
    fuzz: 300 cases, 0 hangs, 0 signals, 0 leftovers, 0 bad exits (seed 1)
Exit status 0 when no case broke a rule, 1 otherwise, 2 on bad usage.
"""
import argparse
import concurrent.futures
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

# Values for an option that takes a number: mostly small and valid (cases
# must stay cheap), the rest malformed or out of any range. No valid value
# is large, so a valid case never runs long.
SMALL = ["0", "1", "1", "2", "2", "3", "5", "10"]
HOSTILE_NUMBERS = [
    "", "-1", "-0", "+3", "0x10", "0x1p3", "1e1", "1e0", "1e308", "1.5", "0.5", ".5", "5.",
    " 5", "5 ", "\t5", "5\n", "05", "007", "1,000", "1_000", "abc", "5abc", "nan", "NaN", "inf",
    "-inf", "99999999999999999999", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "18446744073709551616", "4294967296", "2147483648", "1e30",
    "--", "-", "=", "%s%n", "\u0665", "\uff15", "1" * 400, "x" * 10000,
]
# For options that take a word; the help text's own words are added per option.
HOSTILE_WORDS = ["", " ", "-", "--", "abc", "HUMAN", "json ", "x" * 10000, "%s", "\u00e9", "a,b", "0", "-1"]
# For an option whose help mentions HOST:PORT or an address: loopback only,
# and every host part numeric or refused before any lookup (a name, even a
# malformed one such as "[::1", would be a DNS query), never a port that
# could be someone's server (1 is refused at once).
ADDRESSES_HOST_PORT = [
    "127.0.0.1:1", "[::1]:1", "127.0.0.1", "127.0.0.1:", ":1", "127.0.0.1:0", "127.0.0.1:65536",
    "127.0.0.1:-1", "127.0.0.1:+1", "127.0.0.1:0x1", "::1:1", "[::1]",
    "", ":", "127.0.0.1:99999999999999999999", "127.0.0.1: 1",
]
ADDRESSES_HOST = ["127.0.0.1", "::1", "127.0.0.2", "127.1", "::ffff:127.0.0.1"]
PORTS = ["0", "0", "", "-1", "65536", "99999999999999999999", "abc", "0x10", "1.5", "+0", "-0", "00"]
GARBAGE_ARGS = ["--nope", "-x", "--", "-", "---tasks", "--tasks=", "--=", "-n5", "--TASKS", "extra",
                "x" * 10000, "", " ", "--help", "-h", "--version", "-V", "help", "list", "run", "serve"]

# --duration sets how long a run lasts (net's open loop): valid values stay
# short, the rest are malformed or out of range. It goes with --rate and
# replaces --requests, so a cheap case sets the pair or --requests, never
# both, and so covers the open and the closed loop alike.
SHORT_DURATIONS = ["0.1", "0.2", "0.05"]
OPEN_LOOP = ("--rate", "--duration")
CLOSED_LOOP = "--requests"

TAG_VAR = "CBENCH_FUZZ_TAG"


class Option:
    def __init__(self, long, short, takes, words, address):
        self.long, self.short, self.takes, self.words, self.address = long, short, takes, words, address


OPTION_LINE = re.compile(r"^(\s+)(?:(-[A-Za-z]), )?(--[a-z][a-z0-9-]*)(?: ([A-Z]))?\s{2,}(.*)$")
OWNER_LINE = re.compile(r"^  ([a-z][a-z0-9_-]*)\s{2,}\S")


def parse_help(text):
    """Options of a --help text, grouped by owner: 'common' for those
    before the first model/workload line, else the model or workload
    named on the line above them."""
    groups = {"common": []}
    owner = "common"
    for line in text.splitlines():
        m = OPTION_LINE.match(line)
        if m:
            _, short, long, placeholder, desc = m.groups()
            if long in ("--help", "--version"):
                continue
            words = [w for w in re.findall(r"\b([a-z][a-z0-9]+)\b", desc)
                     if w not in ("or", "and", "default", "a", "the", "of", "per", "in")]
            address = bool(re.search(r"HOST:PORT|address", desc))
            host_port = "HOST:PORT" in desc
            opt = Option(long, short, placeholder, words, "host_port" if host_port else ("host" if address else None))
            groups.setdefault(owner, []).append(opt)
            continue
        m = OWNER_LINE.match(line)
        if m and not line.strip().startswith("-"):
            owner = m.group(1)
            groups.setdefault(owner, [])
    return groups


def discover(cbench):
    def out(*args):
        return subprocess.run([cbench, *args], capture_output=True, text=True, timeout=10).stdout
    models, workloads = [], []
    for line in out("list").splitlines():
        kind, _, rest = line.partition(" ")
        name = rest.split()[0] if rest.split() else ""
        (models if kind == "model" else workloads if kind == "workload" else []).append(name)
    run_opts = parse_help(out("--help"))
    serve_opts = parse_help(out("serve", "--help"))
    if not models or not workloads or not run_opts["common"] or not serve_opts["common"]:
        sys.exit("fuzz: cannot read models, workloads or options from " + cbench)
    return models, workloads, run_opts, serve_opts


def short_or_invalid(value):
    """A --duration value: kept if it is no valid number above 0.2 s."""
    try:
        return value if float(value) <= 0.2 or not re.fullmatch(r"-?[0-9]*\.?[0-9]*", value) else "0.1"
    except ValueError:
        return value


def value_for(rng, opt, cheap=True):
    if opt.long == "--duration":
        return rng.choice(SHORT_DURATIONS) if rng.random() < 0.5 else short_or_invalid(rng.choice(HOSTILE_NUMBERS))
    if opt.address == "host_port":
        return rng.choice(ADDRESSES_HOST_PORT)
    if opt.address == "host":
        return rng.choice(ADDRESSES_HOST)
    if opt.long == "--port":
        return rng.choice(PORTS)
    if opt.takes == "N":
        return rng.choice(SMALL) if rng.random() < 0.5 else rng.choice(HOSTILE_NUMBERS)
    if opt.words and rng.random() < 0.6:
        return rng.choice(opt.words)
    return rng.choice(HOSTILE_WORDS + HOSTILE_NUMBERS[:12])


def render(rng, opt, value, last):
    """The words for one option: --opt V, --opt=V, -s V, or no value at all."""
    name = opt.short if opt.short and rng.random() < 0.3 else opt.long
    if opt.takes is None:   # a flag
        r = rng.random()
        if r < 0.8:
            return [name]
        return [name + "=" + (value or "1")] if r < 0.9 else [name, value]
    r = rng.random()
    if last and r < 0.05:
        return [name]                     # the value is missing
    if r < 0.25 and name.startswith("--"):
        return [name + "=" + value]
    return [name, value]


def gen_run(rng, models, workloads, run_opts):
    model = rng.choice(models)
    workload = rng.choice(workloads)
    common = run_opts["common"]
    own = run_opts.get(model, []) + run_opts.get(workload, [])
    every = [o for group in run_opts.values() for o in group]
    tasks_opt = next((o for o in common if o.long == "--tasks"), None)
    words = []
    big = False
    # The cost: a few tasks; rarely many, and then everything else minimal.
    r = rng.random()
    if tasks_opt and r < 0.85:
        words += [tasks_opt.long, rng.choice(["1", "2", "2", "3", "4"])]
    elif tasks_opt and r < 0.90:
        words += [tasks_opt.long, rng.choice(["100", "1000"])]
        big = True
    # Keep the workload's numeric options at 1 or 2 (most cases), so that a
    # case stays cheap whatever else it gets.
    if big or rng.random() < 0.85:
        names = {o.long for o in run_opts.get(workload, [])}
        open_loop = all(n in names for n in OPEN_LOOP) and rng.random() < 0.5
        for o in run_opts.get(workload, []):
            if o.takes != "N" or o.long == (CLOSED_LOOP if open_loop else None):
                continue
            if o.long in OPEN_LOOP and not open_loop:
                continue
            value = rng.choice(SHORT_DURATIONS) if o.long == "--duration" else rng.choice(["1", "1", "2"])
            words += [o.long, value]
    # The hostile part (never with many tasks: that must stay cheap).
    hostile = [] if big else [None] * rng.choice([0, 1, 1, 2, 2, 3, 4])
    for i in range(len(hostile)):
        r = rng.random()
        last = i == len(hostile) - 1
        if r < 0.75:
            opt = rng.choice(common + own if own else common)
        elif r < 0.9:
            opt = rng.choice(every)
        else:
            words.append(rng.choice(GARBAGE_ARGS))
            continue
        if opt.long == "--tasks":   # a hostile task count: malformed or out of range, never large and valid
            value = rng.choice([v for v in HOSTILE_NUMBERS if v not in ("1e1", "0x10", "0x1p3")] + ["0", "1"])
        else:
            value = value_for(rng, opt)
        words += render(rng, opt, value, last)
    if rng.random() < 0.1 and len(words) >= 2:    # a duplicate option
        words += words[:2]
    # The order: usually run MODEL WORKLOAD options; sometimes odd.
    r = rng.random()
    if r < 0.8:
        argv = ["run", model, workload] + words
    elif r < 0.88:
        argv = ["run"] + words + [model, workload]
    elif r < 0.93:
        argv = ["run", model] + words
    elif r < 0.97:
        argv = ["run", rng.choice(["", "SERIAL", model + " ", "x" * 10000, "-n"]), workload] + words
    else:
        argv = ["run", workload, model] + words
    return "run", argv


def gen_serve(rng, serve_opts):
    opts = serve_opts["common"]
    port = next((o for o in opts if o.long == "--port"), None)
    words = [port.long, "0"] if port else []
    for i in range(rng.choice([0, 1, 1, 2, 3])):
        opt = rng.choice(opts)
        if opt.long == "--loops" and rng.random() < 0.5:
            value = rng.choice(["1", "2", "3"])
        else:
            value = value_for(rng, opt)
        words += render(rng, opt, value, False)
    if rng.random() < 0.05:
        words.append(rng.choice(GARBAGE_ARGS[:12]))
    return "serve", ["serve"] + words


def gen_other(rng, models, workloads):
    r = rng.random()
    extra = [rng.choice(GARBAGE_ARGS + models + workloads)] if rng.random() < 0.5 else []
    if r < 0.3:
        return "other", ["list"] + extra
    if r < 0.55:
        return "other", [rng.choice(["--help", "-h", "help"])] + extra
    if r < 0.75:
        return "other", [rng.choice(["--version", "-V"])] + extra
    if r < 0.85:
        return "other", ["run", rng.choice(["--help", "-h"])] + extra
    if r < 0.95:
        # (not "serve": without --port 0 it would take port 8080; serve cases are gen_serve's)
        return "other", [rng.choice([g for g in GARBAGE_ARGS if g != "serve"])] + extra
    return "other", []


def gen_case(seed, index, models, workloads, run_opts, serve_opts):
    rng = random.Random(f"{seed}:{index}")
    r = rng.random()
    if r < 0.8:
        return gen_run(rng, models, workloads, run_opts)
    if r < 0.86:
        return gen_serve(rng, serve_opts)
    return gen_other(rng, models, workloads)


def tagged_pids(tag):
    want = f"{TAG_VAR}={tag}".encode()
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                if want in f.read().split(b"\0"):
                    pids.append(int(name))
        except OSError:
            pass
    return pids


def kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass


def run_case(cbench, deadline, seed, index, kind, argv):
    """Returns (index, argv, problem or None, detail)."""
    tag = f"fuzz-{os.getpid()}-{seed}-{index}"
    env = dict(os.environ, **{TAG_VAR: tag})
    start = time.monotonic()
    # Output goes to files, not pipes: a pipe would keep us waiting for any
    # process that inherited it, and the point is to see such a process.
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen([cbench] + argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=err, env=env, start_new_session=True)
    problem, detail = None, ""
    try:
        if kind == "serve":
            try:
                proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=max(0.1, deadline - (time.monotonic() - start)))
                if proc.returncode != 0:
                    problem, detail = "bad exit", f"exit {proc.returncode} after SIGTERM"
        else:
            proc.wait(timeout=deadline)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        proc.wait()
        problem, detail = "hang", f"still running after {deadline} s"
    rc = proc.returncode
    if problem is None:
        if rc < 0:
            problem, detail = "signal", f"killed by {signal.Signals(-rc).name}"
        elif rc not in (0, 1, 2):
            problem, detail = "bad exit", f"exit {rc}"
    # Nothing it started may outlive it (a server or worker gets 1 s to go).
    left = tagged_pids(tag)
    grace_end = time.monotonic() + 1.0
    while left and time.monotonic() < grace_end:
        time.sleep(0.05)
        left = tagged_pids(tag)
    if left:
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if problem is None:
            problem, detail = "leftover", f"processes still running: {left}"
        else:
            detail += f"; processes left: {left}"
    kill_group(proc)   # belt and braces: the case's session is gone
    if problem:
        err.seek(0)
        detail += f"; stderr: {err.read(200)!r}"
    err.close()
    return index, argv, problem, detail, rc


def quote(argv):
    def q(a):
        if len(a) > 60 and len(set(a)) == 1:
            return f'"$(printf "%{len(a)}s" | tr " " {shlex.quote(a[0])})"'
        return shlex.quote(a)
    return " ".join(q(a) for a in argv)


def main():
    p = argparse.ArgumentParser(description="Seeded CLI fuzzer for cbench")
    p.add_argument("--cbench", default="build/cbench")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cases", type=int, default=300)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--deadline", type=float, default=10.0)
    p.add_argument("--only", type=int, default=None, help="run only case K (as numbered in a report)")
    p.add_argument("-v", "--verbose", action="store_true", help="print every case")
    a = p.parse_args()
    cbench = os.path.abspath(a.cbench)
    if not os.access(cbench, os.X_OK):
        print(f"fuzz: {a.cbench} is not an executable (run make first)", file=sys.stderr)
        return 2
    models, workloads, run_opts, serve_opts = discover(cbench)
    indices = [a.only] if a.only is not None else list(range(a.cases))
    cases = [(i, *gen_case(a.seed, i, models, workloads, run_opts, serve_opts)) for i in indices]
    counts = {"hang": 0, "signal": 0, "leftover": 0, "bad exit": 0}
    exits = {}
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        futures = [pool.submit(run_case, cbench, a.deadline, a.seed, i, kind, argv) for i, kind, argv in cases]
        for fut in concurrent.futures.as_completed(futures):
            index, argv, problem, detail, rc = fut.result()
            exits[rc] = exits.get(rc, 0) + 1
            if problem:
                counts[problem] += 1
                print(f"fuzz: case {index} ({problem}): cbench {quote(argv)}\n      {detail}", flush=True)
            elif a.verbose:
                print(f"fuzz: case {index} ok: cbench {quote(argv)[:300]}", flush=True)
    spread = ", ".join(f"{n} x {rc}" for rc, n in sorted(exits.items()))
    print(f"fuzz: exit statuses {spread}; {time.monotonic() - started:.0f} s")
    print(f"fuzz: {len(cases)} cases, {counts['hang']} hangs, {counts['signal']} signals, "
          f"{counts['leftover']} leftovers, {counts['bad exit']} bad exits (seed {a.seed})")
    return 1 if any(counts.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
