"""Reading a results folder: runs.csv, meta.txt and list.json.

runs.csv (written by scripts/bench.sh) has one row per cbench run:
  experiment, round      which experiment, and the round it ran in
  <cbench's CSV keys>    model ... metrics, exactly as `cbench run --format csv`
  config                 "SERIES k=v k=v": the series (a model, or a model with
                         an option: threads-gil, async-percore) and its knobs
  exit                   cbench's exit status (124: killed by the deadline)
  process_s              hyperfine's wall time of the whole process
  steal_pct, idle_pct    CPU time stolen by the hypervisor / idle, during the run
  server_cpu_s           CPU time the HTTP server used during the run (net)
  placement              where client and server ran ("client=0 server=1")
Columns are always read by name. list.json is `cbench list --format json` of
the binary that made the runs: the model and workload lists come from it.
"""
import csv
import json
import os
import re
import subprocess

INVALID_CHECKSUMS = ("", "-", "null")
# What a run by a client cbench does not own (wrk) carries as its checksum:
# valid, but nothing to compare (bench_plan.sh, bench_serve.sh write it)
EXTERNAL_CHECKSUM = "external"


def parse_number(text):
    """A float from a CSV cell, or None when empty or not a number."""
    if text is None:
        return None
    text = text.strip()
    if text in ("", "-", "null"):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def parse_pairs(text, sep=";"):
    """'k=v;k=v' -> dict of strings (an empty or missing text is {})."""
    out = {}
    for item in (text or "").split(sep):
        if "=" in item:
            key, value = item.split("=", 1)
            out[key.strip()] = value.strip()
    return out


class Run:
    """One row of runs.csv."""

    def __init__(self, row):
        self.row = row
        self.experiment = row.get("experiment", "")
        self.round = int(row.get("round") or 0)
        self.config = row.get("config", "")
        words = self.config.split()
        self.series = words[0] if words else ""
        self.knobs = parse_pairs(" ".join(words[1:]), sep=" ")
        self.group = (self.experiment, " ".join(words[1:]))
        self.exit = int(row.get("exit") or -1)
        self.metrics = parse_pairs(row.get("metrics", ""))
        self.checksum = (row.get("checksum") or "").strip()

    def value(self, name):
        """A number by name: a CSV column first, then a metrics key, then a
        figure derived from the columns (DERIVED)."""
        if name in self.row and name != "metrics":
            return parse_number(self.row[name])
        if name in DERIVED and name not in self.metrics:
            return DERIVED[name](self)
        return parse_number(self.metrics.get(name))

    def cpu_us_per_op(self):
        """The client's CPU time (user + system) per operation, in µs."""
        user, system, ops = self.value("user_s"), self.value("sys_s"), self.value("ops")
        if user is None or system is None or not ops:
            return None
        return (user + system) / ops * 1e6

    def cpus_of(self, side):
        """How many CPUs the run's placement gives a side ('client' or
        'server'), 0 when unknown."""
        return cpus_in_placement(self.row.get("placement", ""), side)

    def client_busy_pct(self):
        """How busy the client's CPUs were: its user + system time over the
        wall time and its CPUs, in % (100: saturated)."""
        user, system, wall = self.value("user_s"), self.value("sys_s"), self.value("wall_s")
        cpus = self.cpus_of("client")
        if user is None or system is None or not wall or not cpus:
            return None
        return (user + system) / wall / cpus * 100

    def server_busy_pct(self):
        """How busy the server's CPUs were during the run, in %."""
        server, wall = self.value("server_cpu_s"), self.value("wall_s")
        cpus = self.cpus_of("server")
        if server is None or not wall or not cpus:
            return None
        return server / wall / cpus * 100

    @property
    def errors(self):
        return self.value("errors")

    @property
    def valid(self):
        """A run that completed: exit 0, no errors, a checksum."""
        return (self.exit == 0 and self.errors == 0
                and self.checksum not in INVALID_CHECKSUMS)

    @property
    def tasks(self):
        n = self.knobs.get("n")
        return int(n) if n and n.isdigit() else int(self.value("tasks") or 0)


# Figures a rule or chart may name that no column holds: name -> Run method.
DERIVED = {
    "cpu_us_per_op": Run.cpu_us_per_op,
    "client_busy_pct": Run.client_busy_pct,
    "server_busy_pct": Run.server_busy_pct,
}


def cpus_in_placement(placement, side):
    """How many CPUs 'client=0 server=1-3' gives a side (0 if unknown)."""
    for word in placement.split():
        if word.startswith(side + "="):
            n = 0
            for part in word.split("=", 1)[1].split(","):
                lo, _, hi = part.partition("-")
                if lo.isdigit():
                    n += int(hi or lo) - int(lo) + 1
            return n
    return 0


def load_runs(folder):
    """Every row of FOLDER/runs.csv, as Run objects, in file order."""
    path = os.path.join(folder, "runs.csv")
    with open(path, newline="", encoding="utf-8") as f:
        return [Run(row) for row in csv.DictReader(f)]


def load_meta(folder):
    """meta.txt's 'key: value' lines (up to 'commands:') as a dict; a key
    that repeats (note:) keeps every value, joined by newlines."""
    meta = {}
    path = os.path.join(folder, "meta.txt")
    if not os.path.exists(path):
        return meta
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line == "commands:":
                break
            if ": " in line and not line.startswith(" "):
                key, value = line.split(": ", 1)
                meta[key] = value if key not in meta else meta[key] + "\n" + value
    return meta


def load_commands(folder):
    """meta.txt's command lines (after 'commands:'), without their indent."""
    path = os.path.join(folder, "meta.txt")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if "commands:" not in lines:
        return []
    return [line.strip() for line in lines[lines.index("commands:") + 1:] if line.strip()]


def load_list(folder, cbench="build/cbench"):
    """The models and workloads: FOLDER/list.json, else `cbench list
    --format json` of the current build."""
    path = os.path.join(folder, "list.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    out = subprocess.run([cbench, "list", "--format", "json"], capture_output=True,
                         text=True, timeout=30, check=True)
    return json.loads(out.stdout)


def model_names(listing):
    return [m["name"] for m in listing.get("models", [])]


class Results:
    """A results folder: its runs indexed by configuration and round."""

    def __init__(self, folder, runs, meta, listing, meta_commands=()):
        self.folder = folder
        self.meta_commands = list(meta_commands)
        self.runs = runs
        self.meta = meta
        self.listing = listing
        self.models = model_names(listing)
        self.configs = {}      # (experiment, config) -> [Run], in file order
        for run in runs:
            self.configs.setdefault((run.experiment, run.config), []).append(run)

    @classmethod
    def load(cls, folder):
        return cls(folder, load_runs(folder), load_meta(folder), load_list(folder), load_commands(folder))

    @property
    def cores(self):
        return int(self.meta.get("cores", "0") or 0)

    def experiments(self):
        seen = []
        for run in self.runs:
            if run.experiment not in seen:
                seen.append(run.experiment)
        return seen

    def groups(self, experiment):
        """The groups of an experiment (configurations compared with each
        other: the same knobs, different series), in file order."""
        seen = []
        for run in self.runs:
            if run.experiment == experiment and run.group not in seen:
                seen.append(run.group)
        return seen

    def series_of(self, group):
        """The series measured in a group, in file order."""
        seen = []
        for run in self.runs:
            if run.group == group and run.series not in seen:
                seen.append(run.series)
        return seen

    def runs_of(self, experiment, config):
        return self.configs.get((experiment, config), [])

    def by_round(self, experiment, config, name):
        """round -> value of `name` over the valid runs of a configuration."""
        out = {}
        for run in self.runs_of(experiment, config):
            v = run.value(name)
            if run.valid and v is not None:
                out[run.round] = v
        return out

    def commands(self):
        """(experiment, config) -> the command that ran it first, from
        meta.txt's commands (the k-th "round" line ran the k-th row of
        runs.csv), with the server's port replaced by PORT and the output
        format left out: a command a reader can run."""
        out = {}
        lines = [line.split(": ", 1)[1] for line in self.meta_commands if line.startswith("round ")]
        if len(lines) != len(self.runs):
            return out
        for run, line in zip(self.runs, lines):
            line = re.sub(r"--connect \S+:\d+", "--connect 127.0.0.1:PORT", line)
            line = re.sub(r" --format csv\b", "", line)
            out.setdefault((run.experiment, run.config), line)
        return out

    def checksum_problems(self, group, config=None):
        """Describes runs of a group (or of one configuration of it) whose
        checksum differs from the others' (every valid run of every series
        must agree), or None."""
        sums = {}
        for run in self.runs:
            # "external": a client cbench does not own (wrk) proves nothing;
            # its work is the same server and request as cbench's client's
            if run.checksum == EXTERNAL_CHECKSUM:
                continue
            if run.group == group and run.valid and config in (None, run.config):
                sums.setdefault(run.checksum, []).append(f"{run.series} round {run.round}")
        if len(sums) <= 1:
            return None
        return "; ".join(f"{c}: {', '.join(w)}" for c, w in sorted(sums.items()))
