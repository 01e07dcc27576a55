"""The ledger's steps: the named SQL files in sql/, one rule each (docs/architecture.md)."""

from pathlib import Path

from fiberbill.sqlfiles import SqlFiles

STEPS = SqlFiles(Path(__file__).with_name("sql"))
