"""A call undone without a copy (fiberbill/journal.py): rows cut back to the counts the call
began with, a crashed call undone by the next, a finished one never."""

from __future__ import annotations

import duckdb
import pytest

from fiberbill import journal


def make_warehouse(path, rows=3):
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create schema ops; create schema marts")
        con.execute("create table raw.orders (order_id VARCHAR)")
        con.execute("insert into raw.orders select 'O' || range from range(?)", [rows])
        con.execute("create table ops.dbt_build_stamps (build VARCHAR, stamp VARCHAR)")
        con.execute("insert into ops.dbt_build_stamps values ('derive', 'x')")
        con.execute("create table marts.invoices as select 1 as n")


def orders(path):
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("select order_id from raw.orders order by rowid").fetchall()
        return [r[0] for r in rows]


def calls(path):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select state, steps, rows_undone from ops.calls").fetchall()


def append(path, *values, table="raw.orders"):
    with duckdb.connect(str(path)) as con:
        con.executemany(f"insert into {table} values (?)", [[v] for v in values])


class Rebuilds(list):
    def __call__(self, warehouse):
        self.append(warehouse.name)


def test_cut_back_deletes_exactly_the_rows_appended_since(tmp_path):
    path = tmp_path / "wh.duckdb"
    make_warehouse(path, rows=5)
    with duckdb.connect(str(path)) as con:
        counts = journal.row_counts(con)
        assert counts == {"raw.orders": 5}  # build stamps are no facts
        con.execute("delete from raw.orders where order_id = 'O1'")
        con.execute("checkpoint")
        con.execute("insert into raw.orders values ('N1'), ('N2')")
        con.execute("create table raw.waiting (x INTEGER)")
        con.execute("insert into raw.waiting values (1)")
        # the deleted row makes one fewer: cutting back to 5 keeps N1, and says nothing
        assert journal.cut_back(con, {"raw.orders": 5}) == 2
        assert journal.row_counts(con) == {"raw.orders": 5, "raw.waiting": 0}
    assert orders(path) == ["O0", "O2", "O3", "O4", "N1"]
    with duckdb.connect(str(path)) as con, pytest.raises(RuntimeError, match="fewer than"):
        journal.cut_back(con, {"raw.orders": 9})


def test_a_failed_call_is_cut_back_and_its_derived_tables_rebuilt(tmp_path):
    path, rebuilds = tmp_path / "wh.duckdb", Rebuilds()
    make_warehouse(path)
    with pytest.raises(ValueError, match="bad"):
        with journal.atomic(path, "fiberbill run", rebuilds) as record:
            with journal.step(path, record, "load"):
                append(path, "N1", "N2")
            with journal.step(path, record, "derive"):
                raise ValueError("bad")
    assert orders(path) == ["O0", "O1", "O2"]
    assert calls(path) == [("undone", "['load', 'derive']", 2)]
    assert rebuilds == ["wh.duckdb"]
    assert not journal.record_path(path).exists()
    with duckdb.connect(str(path), read_only=True) as con:  # every stamp forgotten
        assert con.execute("select count(*) from ops.dbt_build_stamps").fetchone() == (0,)


def test_a_load_that_failed_in_its_transaction_leaves_the_file_as_it_was(tmp_path):
    path, rebuilds = tmp_path / "wh.duckdb", Rebuilds()
    make_warehouse(path)
    before = path.read_bytes()
    with pytest.raises(ValueError):
        with journal.atomic(path, "fiberbill run", rebuilds) as record:
            with journal.step(path, record, "load"), duckdb.connect(str(path)) as con:
                con.execute("begin transaction")
                con.execute("insert into raw.orders values ('N1')")
                con.execute("rollback")
                raise ValueError("bad input")
    assert path.read_bytes() == before
    assert rebuilds == []


def test_a_failed_call_on_a_new_warehouse_leaves_no_file(tmp_path):
    path = tmp_path / "new.duckdb"
    with pytest.raises(ValueError):
        with journal.atomic(path, "fiberbill run", Rebuilds()):
            make_warehouse(path)
            raise ValueError("bad")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_crashed_call_is_undone_by_the_next_and_a_finished_one_never(tmp_path):
    path, rebuilds = tmp_path / "wh.duckdb", Rebuilds()
    make_warehouse(path)
    # killed in the issue step: its record stays on disk, its rows in the warehouse
    record = journal.begin(path, "dagster issue")
    with journal.step(path, record, "issue"):
        append(path, "K1")
    with journal.atomic(path, "fiberbill run", rebuilds) as record:
        assert orders(path) == ["O0", "O1", "O2"]
        append(path, "N1")
        with duckdb.connect(str(path)) as con:
            journal.finished(con, record)
    assert calls(path) == [("undone", "['issue']", 1), ("finished", "[]", 0)]
    assert rebuilds == ["wh.duckdb"]
    # killed after its last transaction recorded it finished, before removing its record
    record.save(path)
    with journal.atomic(path, "fiberbill run", rebuilds):
        pass
    assert orders(path) == ["O0", "O1", "O2", "N1"]
    assert len(calls(path)) == 2 and rebuilds == ["wh.duckdb"]
