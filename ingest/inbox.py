"""Deliveries dropped in an inbox folder, moved into the input folder.

A delivery is a file named like an input table (`orders.csv`, `activation_events.2026-03-05.csv`,
any table of the contract). Uploaders write a file under a hidden or `.part`/`.tmp` name and
rename it when complete; such files are left alone until then. Each accepted delivery is
moved (one rename, never a copy) into the input folder as `<table>.inbox-<stamp>-<name>`,
so it never replaces a file already there and sorts after the folder's own files of that
table. A file that names no input table stays in the inbox and is reported.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ingest.reader import EXTENSIONS
from ingest.schema import TABLES

PATTERN = re.compile(
    rf"^(?P<table>{'|'.join(re.escape(t.name) for t in TABLES)})(\.[^/]+)?"
    rf"\.(?P<ext>{'|'.join(EXTENSIONS)})$"
)


@dataclass(frozen=True)
class Deliveries:
    accepted: list[Path]  # where each delivery now is, in the input folder
    unrecognized: list[str]  # names left in the inbox


def pending(inbox: Path) -> tuple[list[Path], list[str]]:
    """Complete deliveries waiting in the inbox, and the names that are not deliveries."""
    if not inbox.is_dir():
        return [], []
    found, other = [], []
    for path in sorted(inbox.iterdir(), key=lambda p: p.name):
        if not path.is_file() or path.name.startswith(".") or path.suffix in (".part", ".tmp"):
            continue
        (found if PATTERN.match(path.name) else other).append(path)
    return found, [p.name for p in other]


def accept(inbox: Path, data_dir: Path, now: datetime) -> Deliveries:
    """Move every complete delivery from the inbox into the input folder."""
    found, unrecognized = pending(inbox)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    accepted = []
    for path in found:
        table = PATTERN.match(path.name)["table"]
        target = Path(data_dir) / f"{table}.inbox-{stamp}-{path.name}"
        if target.exists():
            raise FileExistsError(f"{target}: already in the input folder")
        os.replace(path, target)
        accepted.append(target)
    return Deliveries(accepted, unrecognized)
