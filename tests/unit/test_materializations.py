"""The project's own view and table materializations (dbt/macros/materializations.sql): a
model is dropped and made again in one statement, whatever stood under its name, with its
contract's column types, and nothing is left behind under a temporary or backup name."""

from __future__ import annotations

import duckdb

from fiberbill.cli import main
from fiberbill.dbt import run_dbt
from tests.support.inputs import MINIMAL, run_args

VIEW = ("staging", "stg_inputs__orders")
TABLE = ("intermediate", "int_orders__billing")


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


def test_a_model_replaces_whatever_stands_under_its_name_and_leaves_nothing_behind(
    make_inputs, tmp_path
):
    folder = make_inputs(**MINIMAL)
    warehouse = tmp_path / "wh.duckdb"
    assert main(run_args(folder, warehouse, through="2026-02-01")) == 0
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


def test_a_contracted_mart_keeps_its_declared_types(make_inputs, tmp_path):
    folder = make_inputs(**MINIMAL)
    warehouse = tmp_path / "wh.duckdb"
    assert main(run_args(folder, warehouse, through="2026-02-01")) == 0
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
