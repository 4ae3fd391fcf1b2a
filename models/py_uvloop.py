"""py_uvloop.py - asyncio on uvloop (libuv), when Debian's python3-uvloop
is installed: the same coroutines as py-asyncio on another loop. Where it
is not importable `list` says so and `run` refuses (exit 2): never faked
with the stdlib loop."""

import asyncio

from models.py_asyncio import run_all
from models.py_model import LockedCounter

NAME = "py-uvloop"
SUMMARY = "CPython asyncio on uvloop (python3-uvloop): one libuv loop, a Task per task"
SEQUENTIAL, WORKERS, EVENT_LOOP = False, False, True
counter = LockedCounter


def available():
    try:
        import uvloop  # noqa: F401  (optional: Debian's python3-uvloop)
    except ImportError:
        return False, "uvloop is not importable (apt install python3-uvloop)"
    return True, ""


def run(workload, params, run_state, tasks, ctx):
    import uvloop
    ctx.workers_started = 1
    loop = uvloop.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(run_all(workload, params, run_state, tasks))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
