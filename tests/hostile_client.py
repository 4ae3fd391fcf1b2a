#!/usr/bin/env python3
"""Hostile HTTP clients for tests/cli_serve_faults.sh (python3 stdlib only).

Every mode talks to HOST:PORT (the tests use 127.0.0.1 only), prints one
line of key=value results on stdout and exits 0, or 2 on a usage or connect
error. Deciding pass or fail is the test's job.

  slowloris HOST PORT [--interval S] [--max S]
      sends a request one byte every S seconds (default 0.3) and never ends
      its headers; reports when the server closed the connection:
      closed=1 after=SECONDS bytes=N (closed=0 if still open after --max)
  trickle HOST PORT [--pieces N] [--interval S]
      sends one complete request in N pieces S seconds apart, reads the
      answer: status=CODE after=SECONDS
  idle HOST PORT [--requests N] [--pause S] [--max S]
      sends N requests one after the other on one connection with a pause
      of S seconds of silence before each but the first (default 1 request),
      then stays silent: answered=N closed=1 after=SECONDS (time from the
      last answer to the close; closed=0 if still open after --max)
  pipeline HOST PORT [--conns N] [--bytes B] [--stall S] [--max S]
      on N connections, writes pipelined `GET /?bytes=B` requests as fast as
      the socket takes them and never reads; stops when no connection has
      taken a byte for S seconds (default 1.5) or after --max seconds.
      Reports blocked=K (connections whose sends stopped), sent_max=BYTES
      (the most one connection got to send), unsent_max=BYTES (the largest
      output queue of the server's side of these connections, from
      /proc/net/tcp: what the server's kernel holds for a client that does
      not read), with --pid PID also rss_before and rss_during (the server's
      VmRSS in KiB before connecting and once stalled), then holds them open
      for --hold seconds before closing.
  crowd HOST PORT [--conns N] [--max S]
      opens N connections and sends one `GET /?bytes=1` on each, then waits
      up to S seconds in all for each to be answered or refused:
      answered=A (a 200) refused=R (another status, or closed or reset
      without one) silent=S (nothing by then): a server out of descriptors
      must refuse at once, not leave a client waiting.
"""
import argparse
import errno
import os
import select
import socket
import sys
import time


def connect(host, port):
    try:
        return socket.create_connection((host, port), timeout=5)
    except OSError as e:
        print(f"error=connect {e}", flush=True)
        sys.exit(2)


def closed_by_peer(sock, timeout):
    """True if the peer closes (EOF or reset) within timeout seconds."""
    r, _, _ = select.select([sock], [], [], timeout)
    if not r:
        return False
    try:
        data = sock.recv(65536, socket.MSG_PEEK)
    except OSError:
        return True
    if data:
        sock.recv(len(data))   # an answer we did not expect: drop it
        return closed_by_peer(sock, timeout)
    return True


def slowloris(a):
    s = connect(a.host, a.port)
    request = b"GET /?bytes=1 HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 10000
    start = time.monotonic()
    sent = 0
    for byte in request:
        try:
            s.send(bytes([byte]))
        except OSError:
            break
        sent += 1
        if closed_by_peer(s, a.interval):
            break
        if time.monotonic() - start > a.max:
            print(f"closed=0 after={time.monotonic() - start:.2f} bytes={sent}")
            return
    print(f"closed=1 after={time.monotonic() - start:.2f} bytes={sent}")


def read_response(s, timeout):
    """Reads one response with a Content-Length body; returns the status or 0."""
    s.settimeout(timeout)
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                return 0
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                return 0
            body += chunk
        return status
    except (OSError, ValueError, IndexError):
        return 0


def trickle(a):
    s = connect(a.host, a.port)
    request = b"GET /?bytes=10 HTTP/1.1\r\nHost: t\r\nX-Pad: abcdefghij\r\n\r\n"
    step = -(-len(request) // a.pieces)
    start = time.monotonic()
    for i in range(0, len(request), step):
        if i:
            time.sleep(a.interval)
        try:
            s.sendall(request[i:i + step])
        except OSError:
            break
    status = read_response(s, 5)
    print(f"status={status} after={time.monotonic() - start:.2f}")


def idle(a):
    s = connect(a.host, a.port)
    answered = 0
    for i in range(a.requests):
        if i:
            time.sleep(a.pause)
        try:
            s.sendall(b"GET /?bytes=5 HTTP/1.1\r\nHost: t\r\n\r\n")
        except OSError:
            break
        if read_response(s, 5) != 200:
            break
        answered += 1
    start = time.monotonic()
    closed = closed_by_peer(s, a.max)
    print(f"answered={answered} closed={int(closed)} after={time.monotonic() - start:.2f}")


def server_unsent(port, client_ports):
    """Largest tx_queue of the server side of our connections (/proc/net/tcp)."""
    biggest = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    local, remote = fields[1], fields[2]
                    if int(local.rsplit(":", 1)[1], 16) != port:
                        continue
                    if int(remote.rsplit(":", 1)[1], 16) not in client_ports:
                        continue
                    tx = int(fields[4].split(":")[0], 16)
                    biggest = max(biggest, tx)
        except OSError:
            pass
    return biggest


def vmrss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def pipeline(a):
    rss_before = vmrss_kib(a.pid) if a.pid else -1
    socks = []
    for _ in range(a.conns):
        # A small send buffer on our side, so that what the kernel holds for
        # us stays small too: the server's receive buffer does the blocking.
        family = socket.AF_INET6 if ":" in a.host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32768)
        s.settimeout(5)
        try:
            s.connect((a.host, a.port))
        except OSError as e:
            print(f"error=connect {e}", flush=True)
            sys.exit(2)
        s.setblocking(False)
        socks.append(s)
    request = f"GET /?bytes={a.bytes} HTTP/1.1\r\nHost: t\r\n\r\n".encode() * 64
    sent = {s.fileno(): 0 for s in socks}
    last_progress = {s.fileno(): time.monotonic() for s in socks}
    start = time.monotonic()
    while time.monotonic() - start < a.max:
        _, writable, _ = select.select([], socks, [], 0.1)
        now = time.monotonic()
        for s in writable:
            try:
                n = s.send(request)
            except BlockingIOError:
                continue
            except OSError as e:
                print(f"error=send {errno.errorcode.get(e.errno, e.errno)}", flush=True)
                sys.exit(2)
            sent[s.fileno()] += n
            last_progress[s.fileno()] = now
        if all(now - t >= a.stall for t in last_progress.values()):
            break
    now = time.monotonic()
    blocked = sum(1 for t in last_progress.values() if now - t >= a.stall)
    ports = {s.getsockname()[1] for s in socks}
    unsent = server_unsent(a.port, ports)
    rss = f" rss_before={rss_before} rss_during={vmrss_kib(a.pid)}" if a.pid else ""
    print(f"blocked={blocked} conns={a.conns} sent_max={max(sent.values())} unsent_max={unsent}{rss}",
          flush=True)
    time.sleep(a.hold)
    for s in socks:
        s.close()


def crowd_outcome(sock, deadline):
    """'answered', 'refused' or 'silent': what one connection got."""
    data = b""
    while b"\r\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            return "silent"
        try:
            chunk = sock.recv(4096)
        except OSError:
            return "refused"   # reset
        if not chunk:
            return "refused"   # closed
        data += chunk
    return "answered" if data.startswith(b"HTTP/1.1 200") else "refused"


def crowd(a):
    socks = []
    for _ in range(a.conns):
        s = connect(a.host, a.port)
        try:
            s.sendall(b"GET /?bytes=1 HTTP/1.1\r\nHost: t\r\n\r\n")
        except OSError:
            pass   # reset already: counted as refused below
        socks.append(s)
    deadline = time.monotonic() + a.max
    outcomes = [crowd_outcome(s, deadline) for s in socks]
    print(" ".join(f"{k}={outcomes.count(k)}" for k in ("answered", "refused", "silent")), flush=True)
    for s in socks:
        s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    for name in ("slowloris", "trickle", "idle", "pipeline", "crowd"):
        q = sub.add_parser(name)
        q.add_argument("host")
        q.add_argument("port", type=int)
        q.add_argument("--interval", type=float, default=0.3)
        q.add_argument("--max", type=float, default=10)
        q.add_argument("--pieces", type=int, default=3)
        q.add_argument("--requests", type=int, default=1)
        q.add_argument("--pause", type=float, default=0)
        q.add_argument("--conns", type=int, default=10)
        q.add_argument("--bytes", type=int, default=65536)
        q.add_argument("--stall", type=float, default=1.5)
        q.add_argument("--hold", type=float, default=0)
        q.add_argument("--pid", type=int, default=0)
    a = p.parse_args()
    if a.host not in ("127.0.0.1", "::1", "localhost"):
        p.error("only loopback addresses")
    {"slowloris": slowloris, "trickle": trickle, "idle": idle, "pipeline": pipeline,
     "crowd": crowd}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
