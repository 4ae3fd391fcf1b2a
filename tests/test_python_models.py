"""The Python row (bench/py_cbench.py) against the C models: the cpu
kernel bit for bit, every Python model's checksum equal to the C model's
for sleep, cpu and net at two sizes each, the output schema, the exit
status and failure rules, and no process left behind. Asserts behaviour,
never timing. Needs build/cbench (make test builds it first): without it
the tests fail, they do not skip."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from lib.py_checksum import run_checksum  # noqa: E402
from workloads import py_cpu_kernel  # noqa: E402

CBENCH = os.environ.get("CBENCH", os.path.join(ROOT, "build", "cbench"))
ENTRY = os.path.join(ROOT, "bench", "py_cbench.py")
TIMEOUT = 120


def cbench(*args):
    out = subprocess.run([CBENCH, *args], capture_output=True, text=True, timeout=TIMEOUT)
    return out


def py(*args, **kw):
    return subprocess.run([sys.executable, ENTRY, *args], capture_output=True, text=True,
                          timeout=TIMEOUT, **kw)


def json_row(out):
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1, out.stdout
    return json.loads(lines[0])


def py_listing():
    return json.loads(py("list", "--format", "json").stdout)


def available_models():
    return [m["name"] for m in py_listing()["models"] if m["available"]]


def c_models():
    return [m["name"] for m in json.loads(cbench("list", "--format", "json").stdout)["models"]
            if m.get("available", True)]


class Server:
    """cbench serve on an ephemeral port, stopped at the end."""

    def __enter__(self):
        self.proc = subprocess.Popen([CBENCH, "serve", "--port", "0", "--idle-timeout", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        self.target = "127.0.0.1:" + line.strip().rsplit(":", 1)[1]
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(10)
        self.proc.stdout.close()


class HostileServer:
    """An HTTP server that answers wrongly: 'body' (a body of the right
    length but the wrong bytes) or 'silent' (reads, never answers)."""

    def __init__(self, kind):
        self.kind = kind
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.target = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.stop = False
        self.conns = []

    def _serve(self, conn):
        try:
            while not self.stop:
                req = conn.recv(4096)
                if not req:
                    return
                if self.kind == "silent":
                    continue
                size = int(req.split(b"bytes=")[1].split(b" ")[0])
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + b"x" * size)
        except OSError:
            pass

    def _accept(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def __enter__(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        for c in self.conns:
            c.close()
        self.sock.close()


def session_processes(sid):
    """Pids of live processes in session sid (zombies included)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:   # field 6 of stat: the session
            out.append(int(pid))
    return out


class KernelBitEquality(unittest.TestCase):
    """A divergence of the pure-Python kernel from workloads/cpu_kernel.h
    fails here."""

    def test_known_answer(self):
        # cbench run serial cpu -n 1 --work 1: a golden value, so the test
        # also fails if C and Python drifted together
        x, h = py_cpu_kernel.seed_of_task(0)
        _, h = py_cpu_kernel.run(x, h, 1000000)
        self.assertEqual(run_checksum("cpu", [h]), "c34743580c3826f7")

    def test_against_c_at_several_sizes(self):
        for tasks, work in ((1, 1), (3, 1), (2, 2)):
            hashes = []
            for tid in range(tasks):
                x, h = py_cpu_kernel.seed_of_task(tid)
                for _ in range(work):
                    x, h = py_cpu_kernel.run(x, h, 1000000)
                hashes.append(h)
            c = json_row(cbench("run", "serial", "cpu", "-n", str(tasks), "--work", str(work), "-f", "json"))
            self.assertEqual(run_checksum("cpu", hashes), c["checksum"], (tasks, work))

    def test_wraps_at_64_bits(self):
        # the product and the left shifts must wrap as uint64_t does
        x, h = py_cpu_kernel.run((1 << 64) - 1, (1 << 64) - 1, 3)
        self.assertLess(x, 1 << 64)
        self.assertLess(h, 1 << 64)


class SameChecksumAsC(unittest.TestCase):
    """Every available Python model gives the C models' checksum for the
    same work, at two sizes of each workload."""

    def check(self, workload, sizes, extra=()):
        models = available_models()
        self.assertGreaterEqual(len(models), 4)
        for size in sizes:
            args = [workload, *size, *extra]
            want = {json_row(cbench("run", m, *args, "-f", "json"))["checksum"] for m in ("serial", "threads")}
            self.assertEqual(len(want), 1, args)
            for m in models:
                out = py("run", m, *args, "-f", "json")
                self.assertEqual(out.returncode, 0, (m, args, out.stderr))
                row = json_row(out)
                self.assertEqual(row["checksum"], next(iter(want)), (m, args))
                self.assertEqual(row["errors"], 0)
                self.assertEqual(row["model"], m)

    def test_sleep(self):
        self.check("sleep", (("-n", "2", "--ms", "5"), ("-n", "5", "--ms", "20")))

    def test_cpu(self):
        self.check("cpu", (("-n", "1", "--work", "2"), ("-n", "3", "--work", "1")))

    def test_net(self):
        with Server() as s:
            self.check("net", (("-n", "2", "--requests", "3"),
                               ("-n", "5", "--requests", "4", "--bytes", "100", "--delay-ms", "5")),
                       extra=("--connect", s.target))

    def test_pools(self):
        c = json_row(cbench("run", "serial", "cpu", "-n", "3", "--work", "1", "-f", "json"))["checksum"]
        for m in ("py-processes", "py-threads"):
            row = json_row(py("run", m, "cpu", "-n", "3", "--work", "1", "-w", "2", "-f", "json"))
            self.assertEqual(row["checksum"], c, m)
            self.assertEqual(row["workers"], 2)

    def test_spawn(self):
        c = json_row(cbench("run", "threads", "spawn", "-n", "20", "--hold-ms", "5", "-f", "json"))
        for m in available_models():
            if m == "py-serial":
                continue
            row = json_row(py("run", m, "spawn", "-n", "20", "--hold-ms", "5", "-f", "json"))
            self.assertEqual(row["checksum"], c["checksum"], m)
            metrics = dict(kv.split("=") for kv in row["metrics"].split(";"))
            self.assertIn("us_per_worker", metrics)
            self.assertIn("kib_per_worker", metrics)


class Schema(unittest.TestCase):
    def test_csv_header_is_cbench_header(self):
        c = cbench("run", "serial", "sleep", "-n", "1", "--ms", "1", "-f", "csv").stdout.splitlines()
        p = py("run", "py-serial", "sleep", "-n", "1", "--ms", "1", "-f", "csv").stdout.splitlines()
        self.assertEqual(p[0], c[0])
        self.assertEqual(len(p), 2)
        self.assertEqual(len(p[1].split(",")), len(c[0].split(",")))

    def test_json_keys_and_types(self):
        c = json_row(cbench("run", "serial", "sleep", "-n", "1", "--ms", "1", "-f", "json"))
        p = json_row(py("run", "py-threads", "sleep", "-n", "2", "--ms", "1", "-f", "json"))
        self.assertEqual(list(p), list(c))
        self.assertEqual(list(p)[-1], "metrics")
        for k, v in c.items():
            self.assertIsInstance(p[k], (int, float) if isinstance(v, (int, float)) else type(v), k)

    def test_list(self):
        doc = py_listing()
        names = [m["name"] for m in doc["models"]]
        self.assertEqual(names[:4], ["py-serial", "py-processes", "py-threads", "py-asyncio"])
        self.assertEqual([w["name"] for w in doc["workloads"]], ["sleep", "cpu", "net", "spawn"])
        self.assertEqual(sum(m["sequential"] for m in doc["models"]), 1)
        # cbench list names this entry, so scripts never spell it
        self.assertEqual(json.loads(cbench("list", "--format", "json").stdout)["python"]["entry"],
                         os.path.realpath(ENTRY))

    def test_uvloop_reported_never_faked(self):
        uv = [m for m in py_listing()["models"] if m["name"] == "py-uvloop"][0]
        out = py("run", "py-uvloop", "sleep", "-n", "1", "--ms", "1", "-f", "json")
        if uv["available"]:
            self.assertEqual(out.returncode, 0)
        else:
            self.assertIn("uvloop", uv["unavailable"])
            self.assertEqual(out.returncode, 2)
            self.assertIn("not available", out.stderr)
            self.assertEqual(out.stdout, "")


class ExitStatus(unittest.TestCase):
    def usage(self, *args, says):
        out = py(*args)
        self.assertEqual(out.returncode, 2, args)
        self.assertIn(says, out.stderr)
        self.assertEqual(out.stdout, "")

    def test_bad_usage(self):
        self.usage("run", "py-serial", "cpu", "--work", "0", says="--work")
        self.usage("run", "py-serial", "cpu", "--work", "x", says="not a whole number")
        self.usage("run", "py-serial", "cpu", "--bogus", "1", says="--bogus")
        self.usage("run", "nope", "cpu", says='"nope"')
        self.usage("run", "py-serial", "nope", says='"nope"')
        self.usage("run", "py-asyncio", "sleep", "-w", "2", says="no workers")
        self.usage("run", "py-serial", "sleep", "-n", "0", says="--tasks")
        self.usage("run", "py-serial", "net", "--connect", "nohost", says="HOST:PORT")
        self.usage("bogus", says="bogus")

    def failed(self, out, what):
        self.assertEqual(out.returncode, 1, (what, out.stderr))
        row = json_row(out)
        self.assertIsNone(row["checksum"], what)
        self.assertGreater(row["errors"], 0, what)
        self.assertTrue(out.stderr.strip(), what)

    def test_wrong_body_is_an_error(self):
        with HostileServer("body") as s:
            for m in ("py-serial", "py-processes", "py-threads", "py-asyncio"):
                self.failed(py("run", m, "net", "-n", "2", "--requests", "2", "--connect", s.target,
                               "-f", "json"), m)

    def test_missed_deadline_is_an_error(self):
        with HostileServer("silent") as s:
            for m in ("py-threads", "py-asyncio"):
                self.failed(py("run", m, "net", "-n", "2", "--requests", "2", "--timeout-ms", "300",
                               "--connect", s.target, "-f", "json"), m)

    def test_nothing_listening(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()   # a port nothing listens on
        out = py("run", "py-threads", "net", "--connect", "127.0.0.1:%d" % port, "-f", "json")
        self.assertEqual(out.returncode, 1)
        self.assertIn("cannot connect", out.stderr)


class NoLeakedProcesses(unittest.TestCase):
    def run_in_session(self, *args):
        proc = subprocess.Popen([sys.executable, ENTRY, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        proc.communicate(timeout=TIMEOUT)
        left = [p for p in session_processes(proc.pid) if p != proc.pid]
        for _ in range(20):   # a child reaped a moment after its parent exited
            if not left:
                break
            time.sleep(0.05)
            left = [p for p in session_processes(proc.pid) if p != proc.pid]
        return proc.returncode, left

    def test_processes_and_own_server_are_gone(self):
        for args in (("run", "py-processes", "cpu", "-n", "3", "--work", "1"),
                     ("run", "py-processes", "spawn", "-n", "30", "--hold-ms", "5"),
                     ("run", "py-processes", "net", "-n", "3", "--requests", "2"),
                     ("run", "py-threads", "net", "-n", "2", "--requests", "2")):
            rc, left = self.run_in_session(*args)
            self.assertEqual(rc, 0, args)
            self.assertEqual(left, [], args)

    def test_failed_run_leaves_nothing(self):
        with HostileServer("body") as s:
            rc, left = self.run_in_session("run", "py-processes", "net", "-n", "3", "--connect", s.target)
        self.assertEqual(rc, 1)
        self.assertEqual(left, [])


if __name__ == "__main__":
    unittest.main()
