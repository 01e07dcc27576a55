"""Named SQL files: the ledger's and collection's rules live in `.sql` files (linted by
SQLFluff, each with a header comment), never in Python strings. A file holds one or more
statements ending with `;` at the end of a line, and uses DuckDB named parameters (`$day`);
each statement gets exactly the parameters it uses. `--` comments are removed before the
split, so a string literal must not contain `--`."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import duckdb

from ingest.loader import fetch

_COMMENT = re.compile(r"--[^\n]*")
_END = re.compile(r";[ \t]*$", re.M)
_PARAM = re.compile(r"\$([a-z_]+)")


class SqlFiles:
    def __init__(self, folder: Path):
        self.folder = folder

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.sql"))

    @functools.cache  # noqa: B019 (one instance per folder, for the life of the process)
    def statements(self, name: str) -> tuple[str, ...]:
        path = self.folder / f"{name}.sql"
        if not path.is_file():
            raise KeyError(f"{path}: no such SQL file")
        text = _COMMENT.sub("", path.read_text())
        return tuple(s.strip() for s in _END.split(text) if s.strip())

    def rows(
        self, con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None
    ) -> list[tuple]:
        """Run file `name` statement by statement; returns the last statement's rows."""
        params = params or {}
        result: list[tuple] = []
        for sql in self.statements(name):
            used = set(_PARAM.findall(sql))
            missing = used - params.keys()
            if missing:
                raise KeyError(f"{name}.sql needs parameter(s) {sorted(missing)}")
            result = fetch(con, sql, {k: params[k] for k in used})
        return result

    def run(self, con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> int:
        """Run file `name`. Returns the first value of the last statement's result: the rows
        a `create table as` or an `insert` wrote."""
        result = self.rows(con, name, params)
        return result[0][0] if result and result[0] and isinstance(result[0][0], int) else 0
