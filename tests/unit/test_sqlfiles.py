"""Named SQL files are split into statements, and their parameters found, only outside what
is quoted: a literal holding `--`, `;` or `$name` is text."""

from __future__ import annotations

import duckdb
import pytest

from fiberbill.sqlfiles import SqlFiles, Statement, split

FILE = """-- Reads: nothing. Writes: t.
create table t as select 'a--b' as dashes, 'x;y' as semicolon, '$day' as dollars, $n as n; -- end
/* a block comment; with a semicolon */
insert into t select 'it''s; fine -- really', "odd--name", 'z', $n + 1
from (select 1 as "odd--name");
select count(*), max(n) from t where dashes = 'a--b' and semicolon = 'x;y';
"""


def test_comments_and_ends_are_found_only_outside_quotes():
    statements = split(FILE)
    assert [s.params for s in statements] == [frozenset({"n"})] * 2 + [frozenset()]
    assert statements[0] == Statement(
        "create table t as select 'a--b' as dashes, 'x;y' as semicolon, '$day' as dollars, $n as n",
        frozenset({"n"}),
    )
    assert statements[1].sql.startswith("insert into t select 'it''s; fine -- really', \"odd")
    assert "block comment" not in " ".join(s.sql for s in statements)


def test_a_file_with_quoted_dashes_semicolons_and_dollars_runs_as_written(tmp_path):
    (tmp_path / "10_step.sql").write_text(FILE)
    con = duckdb.connect()
    # `$day` is text inside quotes: asking for it would fail with a missing parameter
    assert SqlFiles(tmp_path).rows(con, "10_step", {"n": 7}) == [(1, 7)]
    assert con.execute("select * from t order by n").fetchall() == [
        ("a--b", "x;y", "$day", 7),
        ("it's; fine -- really", "1", "z", 8),  # the column "odd--name" holds 1
    ]


@pytest.mark.parametrize("text", ["select 'open", 'select "open', "select /* open"])
def test_an_unclosed_quote_or_comment_is_a_clear_error(text):
    with pytest.raises(ValueError, match="step.sql: a (quote|comment) opened at offset 7"):
        split(text, "step.sql")
