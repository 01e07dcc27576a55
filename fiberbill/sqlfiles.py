"""Named SQL files: the ledger's and collection's rules live in `.sql` files (linted by
SQLFluff, each with a header comment), never in Python strings. A file holds one or more
statements, each ending with `;`, and uses DuckDB named parameters (`$day`); each statement
gets exactly the parameters it uses. Comments (`--` and `/* */`) are removed, and the
statements split, only outside string literals and quoted identifiers: `'a--b'`, `';'` and
`'$day'` inside quotes are text, not a comment, an end or a parameter."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import NamedTuple

import duckdb

from ingest.loader import fetch

_PARAM = re.compile(r"\$([a-z_]+)")
_QUOTES = "'\""


class Statement(NamedTuple):
    sql: str
    params: frozenset[str]


def split(text: str, source: str = "SQL") -> tuple[Statement, ...]:
    """The statements of `text`, without comments, each with the parameters it uses.
    Raises ValueError for a literal, identifier or comment that is not closed."""
    statements: list[Statement] = []
    sql: list[str] = []  # the statement as it runs
    code: list[str] = []  # the same without what is quoted: where parameters are
    i = 0
    while i < len(text):
        char = text[i]
        if char in _QUOTES:
            end = i + 1
            while True:  # a quote doubled inside is the quote itself
                end = text.find(char, end)
                if end == -1:
                    raise ValueError(f"{source}: a quote opened at offset {i} is not closed")
                if text.startswith(char * 2, end):
                    end += 2
                    continue
                break
            sql.append(text[i : end + 1])
            code.append(" ")
            i = end + 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end == -1 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end == -1:
                raise ValueError(f"{source}: a comment opened at offset {i} is not closed")
            sql.append(" ")
            i = end + 2
        elif char == ";":
            statements.append(_statement(sql, code))
            sql, code = [], []
            i += 1
        else:
            sql.append(char)
            code.append(char)
            i += 1
    statements.append(_statement(sql, code))
    return tuple(s for s in statements if s.sql)


def _statement(sql: list[str], code: list[str]) -> Statement:
    return Statement("".join(sql).strip(), frozenset(_PARAM.findall("".join(code))))


class SqlFiles:
    def __init__(self, folder: Path):
        self.folder = folder

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.sql"))

    @functools.cache  # noqa: B019 (one instance per folder, for the life of the process)
    def parsed(self, name: str) -> tuple[Statement, ...]:
        path = self.folder / f"{name}.sql"
        if not path.is_file():
            raise KeyError(f"{path}: no such SQL file")
        return split(path.read_text(), str(path))

    def statements(self, name: str) -> tuple[str, ...]:
        return tuple(statement.sql for statement in self.parsed(name))

    def rows(
        self, con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None
    ) -> list[tuple]:
        """Run file `name` statement by statement; returns the last statement's rows."""
        params = params or {}
        result: list[tuple] = []
        for sql, used in self.parsed(name):
            missing = used - params.keys()
            if missing:
                raise KeyError(f"{name}.sql needs parameter(s) {sorted(missing)}")
            result = fetch(con, sql, {k: params[k] for k in used})
        return result

    def records(
        self, con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None
    ) -> list[dict]:
        """Run file `name`; returns the last statement's rows as dictionaries by column."""
        params = params or {}
        *before, (sql, used) = self.parsed(name)
        for earlier, earlier_used in before:
            fetch(con, earlier, {k: params[k] for k in earlier_used})
        result = con.execute(sql, {k: params[k] for k in used})
        columns = [c[0] for c in result.description]
        return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]

    def run(self, con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> int:
        """Run file `name`. Returns the first value of the last statement's result: the rows
        a `create table as` or an `insert` wrote."""
        result = self.rows(con, name, params)
        return result[0][0] if result and result[0] and isinstance(result[0][0], int) else 0
