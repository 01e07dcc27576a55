"""The project's own view and table materializations (dbt/macros/materializations.sql): a
model is dropped and made again in one statement, whatever stood under its name, with its
contract's column types and check constraints, and nothing is left behind under a
temporary or backup name. And its generic `key` test (dbt/macros/key.sql)."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from fiberbill.cli import main
from fiberbill.dbt import DbtError, run_dbt
from tests.support.inputs import MINIMAL, run_args, write_tables

VIEW = ("staging", "stg_inputs__orders")
TABLE = ("intermediate", "int_orders__billing")


@pytest.fixture(scope="module")
def billed(tmp_path_factory):
    """MINIMAL billed through Feb 1 (each test works on its own copy)."""
    base = tmp_path_factory.mktemp("billed")
    folder = write_tables(base / "data", MINIMAL)
    assert main(run_args(folder, base / "wh.duckdb", through="2026-02-01")) == 0
    return base / "wh.duckdb"


@pytest.fixture
def warehouse(billed, tmp_path):
    copy = tmp_path / "wh.duckdb"  # the same name: dbt-duckdb names the catalog after it
    shutil.copyfile(billed, copy)
    return copy


def relations(warehouse) -> dict[tuple[str, str], str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            (schema, name): kind
            for schema, name, kind in con.execute(
                "select schema_name, table_name, 'table' from duckdb_tables() "
                "union all select schema_name, view_name, 'view' from duckdb_views() "
                "where not internal"
            ).fetchall()
        }


def rows(warehouse, relation: tuple[str, str]) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select * from {relation[0]}.{relation[1]} order by all").fetchall()


def test_a_model_replaces_whatever_stands_under_its_name_and_leaves_nothing_behind(warehouse):
    before = relations(warehouse)
    assert before[VIEW] == "view" and before[TABLE] == "table"
    orders, billing = rows(warehouse, VIEW), rows(warehouse, TABLE)
    assert len(orders) == 1 and len(billing) == 1

    # the other kind of relation, with other columns, under each model's name
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"drop view {VIEW[0]}.{VIEW[1]}")
        con.execute(f"create table {VIEW[0]}.{VIEW[1]} as select 1 as stray")
        con.execute(f"drop table {TABLE[0]}.{TABLE[1]}")
        con.execute(f"create view {TABLE[0]}.{TABLE[1]} as select 2 as stray")

    built = run_dbt("run", warehouse, {}, select=[VIEW[1], TABLE[1]])
    assert built == 2
    assert relations(warehouse) == before  # same names and kinds, nothing extra
    assert rows(warehouse, VIEW) == orders and rows(warehouse, TABLE) == billing

    run_dbt("run", warehouse, {}, select=[VIEW[1], TABLE[1]])  # and again over itself
    assert relations(warehouse) == before
    assert not [name for _, name in before if "__dbt_" in name]


def test_a_contracted_mart_keeps_its_declared_types(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'invoices'"
            ).fetchall()
        )
        totals = con.execute("select total from marts.invoices order by issue_date").fetchall()
    assert types["total"] == "DECIMAL(18,2)" and types["issue_date"] == "DATE"
    # Jan 10-31 is 22 of 31 days of 60.00 (42.58) plus the 99.00 start fee; then February
    # with the 5.00 late fee of the unpaid first invoice
    assert [str(t) for (t,) in totals] == ["141.58", "65.00"]


def test_a_mart_refuses_a_value_its_contract_does_not_allow(warehouse):
    """marts.invoices.status is checked as the table is written (DECISIONLOG 78)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update ledger.invoice_status_history set status = 'disputed'")
    with pytest.raises(DbtError, match=r"(?i)model invoices.*CHECK constraint failed"):
        run_dbt("run", warehouse, {}, select=["int_invoices__standing", "invoices"])
    # the failed build left the mart as it was: its drop was rolled back with the insert
    with duckdb.connect(str(warehouse), read_only=True) as con:
        statuses = con.execute("select status from marts.invoices order by all").fetchall()
    assert statuses == [("late",), ("open",)]


def test_the_contracted_marts_carry_their_constraints(warehouse):
    """Never-null columns and allowed values are constraints of the tables themselves, in
    the table and the incremental marts alike (DECISIONLOG 78, 84, 85)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = {
            (table, kind, tuple(columns))
            for table, kind, columns in con.execute(
                "select table_name, constraint_type, constraint_column_names "
                "from duckdb_constraints() where schema_name = 'marts'"
            ).fetchall()
        }
    expected = {
        ("revenue_assurance", "NOT NULL", ("finding",)),
        ("revenue_assurance", "CHECK", ("finding",)),
        ("revenue_assurance", "NOT NULL", ("connection_id",)),
        ("revenue_assurance", "NOT NULL", ("days",)),
        ("wholesale_spec_lines", "CHECK", ("kind",)),
        ("wholesale_spec_lines", "NOT NULL", ("amount",)),
        ("wholesale_spec_lines", "NOT NULL", ("original_month",)),
        ("wholesale_specs", "NOT NULL", ("total",)),
        ("invoices", "CHECK", ("status",)),
    }
    assert expected <= found, expected - found


def test_the_key_test_fails_on_a_repeated_or_a_missing_key(warehouse):
    assert run_dbt("test", warehouse, {}, select=["stg_inputs__providers"]) >= 2
    name = "key_stg_inputs__providers_provider_id"
    for stray in ("'P1'", "null"):  # the view's row again, then a row without its key
        kind = relations(warehouse)[("staging", "stg_inputs__providers")]
        with duckdb.connect(str(warehouse)) as con:
            con.execute(f"drop {kind} staging.stg_inputs__providers")
            con.execute(
                "create table staging.stg_inputs__providers as "
                f"select 'P1' as provider_id, 'EUR' as currency union all select {stray}, 'EUR'"
            )
        with pytest.raises(DbtError, match=rf"Fail in test {name}: Got 1 result"):
            run_dbt("test", warehouse, {}, select=[name])
