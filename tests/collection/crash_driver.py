"""`fiberbill run` in a child process that is killed (os._exit, like kill -9: no cleanup,
no finally) at one named point of the call. Test seams only: this module patches the
engine's functions from outside; nothing in the product knows about it.

    python -m tests.collection.crash_driver POINT run --data ... --through ...
"""

from __future__ import annotations

import os
import sys
from datetime import date

from exports import wholesale
from fiberbill import ledger
from fiberbill import run as runner
from fiberbill.cli import main
from fiberbill.collection import collector as collection

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


if __name__ == "__main__":
    arm(sys.argv[1])
    sys.exit(main(sys.argv[2:]))
