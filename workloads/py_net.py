"""py_net.py - workloads/net.c's closed loop in Python: each task opens one
HTTP/1.1 keep-alive connection to `cbench serve` and makes --requests
sequential requests for a body of --bytes after --delay-ms.

Checked as net.c checks them: status 200; the Content-Length is the size
asked, which alternates between --bytes (a connection's even requests) and
one byte more (odd ones), so an answer to another request has the wrong
length ("mismatch"); nothing after the response; a delayed answer that
came sooner than --delay-ms is "early"; every request, connecting included,
has --timeout-ms (default 10000 + --delay-ms). The body must be the one
cbench serve sends ('a' + i % 26), compared whole (a C-speed compare, where
folding every byte in Python would cost more than the request); its FNV-1a
hash is folded into the task's checksum per response, as net.c folds it, so
the checksum equals the C models'. Any error ends the task, counts, and
voids the run (exit 1, no checksum). --rate (the open loop) is C's only.

Metrics as net.c's: delay_ms, requests, connect_ms, steady_s,
steady_req_per_s (the requests answered once the last connection was open,
over that time, when all connections run at once; otherwise the wall time
less connect_ms, and every request)."""

import asyncio
import os
import socket
import subprocess
import sys
import time

from lib.py_checksum import FNV1A_OFFSET, checksum_mix, fnv1a
from workloads.py_workload import Option, TaskFailed, TaskResult, ended_early, now_ns

NAME = "net"
SUMMARY = "each task is an HTTP/1.1 keep-alive connection making --requests requests"
OPTIONS = [
    Option("delay-ms", int, 0, 0, 60000, "server-side delay per request in ms (default 0: fast I/O)"),
    Option("requests", int, 10, 1, 1000000, "sequential requests per connection, closed loop (default 10)"),
    Option("bytes", int, 1024, 0, 16 * 1024 * 1024, "response body size in bytes (default 1024)"),
    Option("connect", str, "", help_text="HOST:PORT of a running HTTP/1.1 server (default: start cbench serve)"),
    Option("timeout-ms", int, 0, 0, 3600000, "a request (connect included) failing after N ms (default 0: 10000 + --delay-ms)"),
]
HEADER_ROOM = 16384            # response bytes allowed beyond --bytes (net.c)
SERVER_MAX_BYTES = 16 * 1024 * 1024
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def default_tasks():
    return 10


def _body(size):
    return bytes(97 + i % 26 for i in range(size))   # http_server_body_byte


def bytes_asked(params, k):
    """Request k of a connection asks for --bytes (even k) or one more (odd)."""
    b = params["bytes"]
    if k % 2 == 0:
        return b
    return b + 1 if b < SERVER_MAX_BYTES else b - 1


# ---- setup: the target, cbench serve if none, the expected answers -------

def _start_server():
    """cbench serve on an ephemeral port, as net.c starts it; (process, port)."""
    cbench = os.environ.get("CBENCH", os.path.join(ROOT, "build", "cbench"))
    proc = subprocess.Popen([cbench, "serve", "--port", "0", "--idle-timeout", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        proc.wait()
        raise TaskFailed("could not start the HTTP server (%s): it did not report a port" % cbench)
    return proc, int(line.rsplit(":", 1)[1])


def setup(params, tasks, model):
    target = params["connect"]
    server = None
    if target:
        host, sep, port = target.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError('--connect: "%s" is not HOST:PORT' % target)
        host = host.strip("[]")
    else:
        server, port = _start_server()
        host, target = "127.0.0.1", "127.0.0.1:%d" % port
    timeout_ms = params["timeout-ms"] or 10000 + params["delay-ms"]
    run = {"host": host, "port": int(port), "server": server, "timeout_s": timeout_ms / 1000.0,
           "timeout_ms": timeout_ms, "sequential": model.sequential or model.pool}
    requests, bodies = [], []
    for odd in (0, 1):
        size = bytes_asked(params, odd)
        requests.append(("GET /?delay_ms=%d&bytes=%d HTTP/1.1\r\nHost: %s\r\n\r\n"
                         % (params["delay-ms"], size, target)).encode())
        body = _body(size)
        bodies.append((body, fnv1a(FNV1A_OFFSET, body)))
    run["requests"], run["bodies"] = requests, bodies
    _probe(run)
    return run


def _probe(run):
    """Fail early, with one clear line, when nothing listens at the target."""
    try:
        socket.create_connection((run["host"], run["port"]), timeout=run["timeout_s"]).close()
    except OSError as e:
        teardown(run)
        raise TaskFailed("cannot connect to %s:%d: %s (is the server running?)"
                         % (run["host"], run["port"], e.strerror or e))


def teardown(run):
    server = run.get("server")
    if server is not None:
        server.terminate()
        try:
            server.wait(2)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        run["server"] = None


# ---- one response, checked ---------------------------------------------

def _parse_head(head, params, k):
    """The Content-Length of a response head, checked; raises TaskFailed."""
    lines = head.split(b"\r\n")
    status = lines[0].split(b" ", 2)
    if len(status) < 2 or not status[0].startswith(b"HTTP/1."):
        raise TaskFailed("malformed: not an HTTP/1.x status line")
    if status[1] != b"200":
        raise TaskFailed("malformed: status %s (expected 200)" % status[1].decode("latin-1"))
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        raise TaskFailed("malformed: no Content-Length")
    asked = bytes_asked(params, k)
    if length != asked:
        largest = max(params["bytes"], bytes_asked(params, 1))
        if length > largest:
            raise TaskFailed("too_large: response larger than the %d bytes asked for (%d bytes)" % (asked, length))
        raise TaskFailed("mismatch: request %d of the connection asked for %d bytes and the response "
                         "has %d: an answer to another request" % (k + 1, asked, length))
    return length


def _check_body(params, run, k, body, sent_ns, checksum):
    """The body and its timing checked; the task's checksum with it folded."""
    expected, body_hash = run["bodies"][k % 2]
    if body != expected:
        raise TaskFailed("malformed: the body is not the one cbench serve sends for %d bytes" % len(expected))
    if params["delay-ms"] > 0 and ended_early(sent_ns, params["delay-ms"] / 1000.0):
        raise TaskFailed("early: the response came sooner than --delay-ms %d" % params["delay-ms"])
    return checksum_mix(checksum, body_hash)


def _record(result, sent_ns, checksum):
    done = now_ns()
    result.checksum = checksum
    result.ops += 1
    result.latencies_us.append((done - sent_ns) // 1000)
    result.extra["done_ns"].append(done)


def _new_result(tid):
    result = TaskResult(tid)
    result.extra.update(done_ns=[], connect_ns=0, connected_at=0)
    return result


def _fail(result, error):
    result.errors += 1
    result.extra["error"] = str(error)
    return result


# ---- blocking (serial, processes, threads) -------------------------------

class _Deadline:
    """A request's deadline; the first one's began with the connect."""

    def __init__(self, seconds, begun=None):
        self.end = (time.monotonic() if begun is None else begun) + seconds

    def left(self):
        left = self.end - time.monotonic()
        if left <= 0:
            raise TaskFailed("timeout: no complete response within the deadline")
        return left


def _recv(sock, deadline):
    sock.settimeout(deadline.left())
    try:
        data = sock.recv(65536)
    except socket.timeout:
        raise TaskFailed("timeout: no complete response within the deadline")
    if not data:
        raise TaskFailed("closed: connection closed by the server during the response")
    return data


def _one_request(sock, params, run, k, result, begun):
    deadline = _Deadline(run["timeout_s"], begun if k == 0 else None)
    sent_ns = now_ns()
    sock.settimeout(deadline.left())
    sock.sendall(run["requests"][k % 2])
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += _recv(sock, deadline)
        if len(buf) > HEADER_ROOM + bytes_asked(params, k):
            raise TaskFailed("too_large: response head larger than %d bytes" % HEADER_ROOM)
    head, _, body = buf.partition(b"\r\n\r\n")
    length = _parse_head(head, params, k)
    while len(body) < length:
        body += _recv(sock, deadline)
    if len(body) > length:
        raise TaskFailed("malformed: data after the response")
    _record(result, sent_ns, _check_body(params, run, k, body, sent_ns, result.checksum))


def task(params, run, tid):
    result = _new_result(tid)
    start, begun = now_ns(), time.monotonic()
    try:
        sock = socket.create_connection((run["host"], run["port"]), timeout=run["timeout_s"])
    except OSError as e:
        return _fail(result, "connect: %s" % (e.strerror or e))
    result.extra.update(connect_ns=now_ns() - start, connected_at=now_ns())
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for k in range(params["requests"]):
            _one_request(sock, params, run, k, result, begun)
    except TaskFailed as e:
        _fail(result, e)
    except OSError as e:
        _fail(result, "%s: %s" % ("reset" if isinstance(e, ConnectionResetError) else "other", e))
    finally:
        sock.close()
    return result


# ---- asyncio (asyncio, uvloop) --------------------------------------------

def _timeout(seconds):
    """asyncio.timeout (3.11) where there is one: no task per request."""
    if hasattr(asyncio, "timeout"):
        return asyncio.timeout(seconds)
    return _WaitFor(seconds)


class _WaitFor:   # Python < 3.11: the deadline is checked per await instead
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        if time.monotonic() > self.end and exc[0] is None:
            raise asyncio.TimeoutError()
        return False


async def _one_request_async(reader, writer, params, run, k, result, left_s):
    sent_ns = now_ns()
    async with _timeout(left_s):
        writer.write(run["requests"][k % 2])
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            raise TaskFailed("too_large: response head larger than the reader's limit")
        except asyncio.IncompleteReadError:
            raise TaskFailed("closed: connection closed by the server during the response")
        length = _parse_head(head[:-4], params, k)
        try:
            body = await reader.readexactly(length)
        except asyncio.IncompleteReadError:
            raise TaskFailed("closed: connection closed by the server during the response")
    _record(result, sent_ns, _check_body(params, run, k, body, sent_ns, result.checksum))


async def task_async(params, run, tid):
    result = _new_result(tid)
    start = now_ns()
    try:
        async with _timeout(run["timeout_s"]):   # the first request's deadline includes it
            reader, writer = await asyncio.open_connection(run["host"], run["port"])
    except (OSError, asyncio.TimeoutError) as e:
        return _fail(result, "connect: %s" % (getattr(e, "strerror", None) or e or "timeout"))
    result.extra.update(connect_ns=now_ns() - start, connected_at=now_ns())
    try:
        for k in range(params["requests"]):
            left = run["timeout_s"] - ((now_ns() - start) / 1e9 if k == 0 else 0)
            await _one_request_async(reader, writer, params, run, k, result, max(left, 0))
    except TaskFailed as e:
        _fail(result, e)
    except asyncio.TimeoutError:
        _fail(result, "timeout: no complete response within %d ms" % run["timeout_ms"])
    except OSError as e:
        _fail(result, "%s: %s" % ("reset" if isinstance(e, ConnectionResetError) else "other", e))
    finally:
        writer.close()
    return result


# ---- figures --------------------------------------------------------------

def metrics(params, run, results, wall_s, model):
    connected = [r.extra.get("connected_at", 0) for r in results]
    ops = sum(r.ops for r in results)
    if run["sequential"] or not results or not all(connected):
        concurrency = 1 if model.sequential else max(1, min(len(results), model.workers or len(results)))
        connect_ms = sum(r.extra.get("connect_ns", 0) for r in results) / 1e6 / concurrency
        steady_s = max(wall_s - connect_ms / 1000.0, 1e-9)
        steady_ops = ops
    else:   # every connection at once: from the last one open to the end
        start = max(connected)
        end = max([d for r in results for d in r.extra["done_ns"]] or [start])
        connect_ms = (start - model.started_ns) / 1e6
        steady_s = max((end - start) / 1e9, 1e-9)
        steady_ops = sum(1 for r in results for d in r.extra["done_ns"] if d >= start)
    return ("delay_ms=%d;requests=%d;connect_ms=%.6f;steady_s=%.6f;steady_req_per_s=%.5f"
            % (params["delay-ms"], params["requests"], connect_ms, steady_s, steady_ops / steady_s))


def note(params, run, results):
    errors = [r.extra["error"] for r in results if "error" in r.extra]
    return ("errors: %d (first: %s)" % (len(errors), errors[0])) if errors else ""
