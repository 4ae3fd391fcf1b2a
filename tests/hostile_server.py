#!/usr/bin/env python3
"""A hostile HTTP/1.1 server for tests/cli_hostile.sh (python3 stdlib only).

Its answers look right - status 200, the body cbench serve sends for the
size asked (`?bytes=B`), keep-alive - but come at the wrong time, so that
a client that takes any response as the answer to its current request is
fooled. It listens on 127.0.0.1, prints its port on stdout and serves until
killed. MODE is one of:

  silent       accepts and reads, never answers
  twice-first  answers the first request of a connection twice, the copy
               COPY_MS later, then reads on and never answers again
  early        on accept, before any request, sends an answer for
               --bytes B; then answers every request once
  twice-every  answers every request twice, the copy COPY_MS later

Every answer goes out COPY_MS (default 3) after its request was read, as
from a server with a small delay, so that a stray answer reaches the client
on its own, not in the same read as the next one (which a client catches
as data after the response anyway).

usage: hostile_server.py MODE [--bytes B] [--copy-ms MS]
"""
import argparse
import re
import socket
import threading
import time

REQUEST_END = b"\r\n\r\n"


def body(size):
    """cbench serve's body: "abcd...zabcd..." (server/http_server.h)."""
    return bytes(ord("a") + i % 26 for i in range(size))


def response(size):
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (size, body(size))


def requests(conn):
    """The size each request on `conn` asks for, as they arrive."""
    pending = b""
    while True:
        while REQUEST_END not in pending:
            data = conn.recv(65536)
            if not data:
                return
            pending += data
        head, pending = pending.split(REQUEST_END, 1)
        asked = re.search(rb"[?&]bytes=(\d+)", head)
        yield int(asked.group(1)) if asked else 0


def answer_twice(conn, size, copy_s):
    conn.sendall(response(size))
    time.sleep(copy_s)
    conn.sendall(response(size))


def serve(conn, mode, args):
    copy_s = args.copy_ms / 1000
    try:
        if mode == "early":
            conn.sendall(response(args.bytes))
        for i, size in enumerate(requests(conn)):
            if mode == "silent" or (mode == "twice-first" and i > 0):
                continue
            time.sleep(copy_s)
            if mode == "early":
                conn.sendall(response(size))
            else:
                answer_twice(conn, size, copy_s)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["silent", "twice-first", "early", "twice-every"])
    parser.add_argument("--bytes", type=int, default=1024)
    parser.add_argument("--copy-ms", type=float, default=3.0)
    args = parser.parse_args()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(256)
    print(listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(conn, args.mode, args), daemon=True).start()


if __name__ == "__main__":
    main()
