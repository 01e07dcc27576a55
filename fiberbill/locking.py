"""One writer at a time per warehouse.

Every command that writes a warehouse (run, finalize, write-off, the Dagster assets that
write) holds an exclusive `flock` on `<warehouse>.lock` for the whole command. A second
writer fails at once with one line naming the holder (pid, command, start time). The lock
belongs to the process: the kernel releases it when the process ends, however it ends, so
a killed writer never leaves a stale lock (what it wrote is undone by the next writer,
fiberbill/journal.py). Readers take no lock: the portal and the lists read the published
snapshot, which a writer never holds (fiberbill/portal/snapshot.py).

Under the lock, staged copies that writers of earlier versions left when killed
(`<warehouse>.tmp-<pid>`) are removed: no other writer can be using them. No Dagster
import.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

# warehouses this process holds the lock of, with their depth (the lock is re-entrant)
_HELD: dict[Path, int] = {}


class WarehouseBusy(RuntimeError):
    """Another process is writing the warehouse."""


def lock_path(warehouse: Path) -> Path:
    warehouse = Path(warehouse).resolve()
    return warehouse.with_name(f"{warehouse.name}.lock")


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f"pid {info['pid']} ({info['command']}, started {info['started_at']})"
    except (OSError, ValueError, KeyError):
        return "another process"


def remove_leftovers(warehouse: Path) -> list[Path]:
    """Staged copies a killed writer of an earlier version left beside the warehouse. Call
    under the lock."""
    warehouse = Path(warehouse).resolve()
    removed = []
    for leftover in sorted(warehouse.parent.glob(f"{warehouse.name}.tmp-*")):
        if not leftover.is_file():
            continue
        leftover.unlink(missing_ok=True)
        removed.append(leftover)
    return removed


@contextlib.contextmanager
def writer_lock(warehouse: Path, command: str | None = None) -> Iterator[None]:
    """Hold the warehouse's writer lock, or raise WarehouseBusy naming the holder."""
    warehouse = Path(warehouse).resolve()
    if _HELD.get(warehouse):
        _HELD[warehouse] += 1
        try:
            yield
        finally:
            _HELD[warehouse] -= 1
        return
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseBusy(
                f"{warehouse.name} is being written by {_holder(path)}; try again when it "
                "has finished"
            ) from None
        holder = {
            "pid": os.getpid(),
            "command": command or " ".join(["fiberbill", *sys.argv[1:3]]),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        remove_leftovers(warehouse)
        _HELD[warehouse] = 1
        try:
            yield
        finally:
            del _HELD[warehouse]
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the flock
