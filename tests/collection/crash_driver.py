"""`fiberbill run` in a child process that is killed (os._exit, like kill -9: no cleanup,
no finally) at one named point of the call. Test seams only: this module patches the
engine's functions from outside; nothing in the product knows about it.

The tests start one driver that imports the engine and parses the dbt project once, then
forks a child per call (`--serve`), so no child pays for a new interpreter. By hand:

    python -m tests.collection.crash_driver POINT run --data ... --through ...
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path

from exports import wholesale
from fiberbill import ledger
from fiberbill import run as runner
from fiberbill.cli import main
from fiberbill.collection import collector as collection
from fiberbill.dbt import run_dbt

STRIPE_PHASES = set(collection.PHASES)
KILL_DAY = date(2026, 1, 20)  # the issue step is killed after this run day


def die() -> None:
    sys.stdout.flush()
    os._exit(137)


def after(function, predicate=lambda *a, **k: True):
    """`function`, then death when `predicate` holds for its arguments."""

    def wrapped(*args, **kwargs):
        result = function(*args, **kwargs)
        if predicate(*args, **kwargs):
            die()
        return result

    return wrapped


def arm(point: str) -> None:
    if point in STRIPE_PHASES:
        collection.persisted = lambda phase: die() if phase == point else None
    elif point == "load":
        runner.load_inputs = after(runner.load_inputs)
    elif point == "derive":  # the dbt build before the ledger
        runner.run_dbt = after(runner.run_dbt, lambda *a, **k: "exclude" in k)
    elif point == "issue":
        ledger.run_day = after(ledger.run_day, lambda con, day, *a, **k: day == KILL_DAY)
    elif point == "marts":  # the dbt build after the ledger
        runner.run_dbt = after(runner.run_dbt, lambda *a, **k: "exclude" not in k)
    elif point == "export":  # one spec file written, the others and the manifest not
        wholesale._copy = after(wholesale._copy)
    else:
        raise SystemExit(f"unknown crash point {point}")


def warm(folder: Path) -> None:
    """Parse the dbt project for warehouses named wh.duckdb, as the tests name them, so that
    every child starts with it in memory. Nothing here may leave a thread or a native
    thread pool behind (polars' or DuckDB's would hang a forked child): dbt `ls` neither
    opens the warehouse nor touches polars."""
    run_dbt("ls", folder / "wh.duckdb", {})
    if threading.active_count() != 1:
        raise SystemExit(f"crash driver: {threading.active_count()} threads before forking")


def serve() -> None:
    """Read one request per line on stdin, {"point", "argv", "env", "output"}; fork a child
    that runs it with that environment, its output to `output`; answer {"status"}: the
    child's exit status, 137 when it was killed at the point."""
    with tempfile.TemporaryDirectory(prefix="crash-driver-") as folder:
        warm(Path(folder))
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            child(request)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"status": os.waitstatus_to_exitcode(status)}), flush=True)


def child(request: dict) -> None:
    """Arm the point and run the call; never returns."""
    code = 70
    try:
        os.environ.clear()
        os.environ.update(request["env"])
        fd = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        arm(request["point"])
        code = main(request["argv"])
    except BaseException as error:  # noqa: BLE001 - reported through the exit status
        print(f"crash driver: {error!r}", file=sys.stderr)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        arm(sys.argv[1])
        sys.exit(main(sys.argv[2:]))
