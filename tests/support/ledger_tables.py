"""Seeded ledger tables for the ledger's step tests: an in-memory DuckDB with the ledger's
schema and macros, the relations the steps read (the dbt charge targets and payments, the
loader's batches) as plain tables, and helpers that add rows by column name. No dbt, no files."""

from __future__ import annotations

import dataclasses
from datetime import date

import duckdb

from fiberbill import ledger
from ingest.settings import Settings

TARGET_COLUMNS = {
    "order_id": "varchar",
    "charge_key": "varchar",
    "charge_kind": "varchar",
    "change_date": "date",
    "target_cents": "bigint",
    "due_charge_cents": "bigint",
    "charge_cents": "bigint",
    "discount_cents": "bigint",
    "period_start_date": "date",
    "period_end_date": "date",
    "period_days": "bigint",
    "service_start_date": "date",
    "service_end_date": "date",
    "active_days": "bigint",
    "promotion_service_start_date": "date",
    "promotion_service_end_date": "date",
    "promotion_days": "bigint",
    "tax_rate": "decimal(12, 6)",
    "is_ended": "boolean",
    "customer_id": "varchar",
    "currency": "varchar",
    "product_id": "varchar",
    "provider_id": "varchar",
    "promotion_code": "varchar",
    "promotion_kind": "varchar",
    "promotion_value": "decimal(18, 6)",
    "product_name": "varchar",
}

PAYMENT_COLUMNS = {
    "payment_id": "varchar",
    "invoice_number": "varchar",
    "amount_cents": "bigint",
    "currency": "varchar",
    "received_at": "timestamptz",
    "received_date": "date",
    "payment_method": "varchar",
    "batch_id": "integer",
}


def ledger_connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for schema, table, columns in (
        ("intermediate", "int_charges__targets", TARGET_COLUMNS),
        ("staging", "stg_inputs__payments", PAYMENT_COLUMNS),
        ("intermediate", "int_wholesale__by_version", {"service_start_date": "date"}),
        ("raw", "load_batches", {"batch_id": "integer", "first_run_day": "date"}),
    ):
        con.execute(f"create schema if not exists {schema}")
        body = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        con.execute(f"create table {schema}.{table} ({body})")
    ledger.ensure_ledger(con)
    return con


def insert(con: duckdb.DuckDBPyConnection, table: str, **values) -> None:
    """One row of `table`, by column name; the columns not named are null."""
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    con.execute(f"insert into {table} ({names}) values ({marks})", list(values.values()))


def target(con, order_id: str, charge_key: str, day: date, **values) -> None:
    """A charge's target as the dbt model states it; a month of 60.00 by default."""
    row = {
        "order_id": order_id,
        "charge_key": charge_key,
        "charge_kind": "recurring",
        "change_date": day,
        "target_cents": 6000,
        "due_charge_cents": 6000,
        "charge_cents": 6000,
        "discount_cents": 0,
        "period_days": 31,
        "service_start_date": date(2026, 1, 1),
        "service_end_date": date(2026, 1, 31),
        "active_days": 31,
        "tax_rate": "0.25",
        "is_ended": False,
        "customer_id": "C1",
        "currency": "EUR",
        "product_id": "P1",
        "provider_id": "OP",
        "product_name": "Fiber 60",
    } | values
    insert(con, "intermediate.int_charges__targets", **row)


def issued(con, invoice_id: int, number: str | None, day: date, customer="C1", **kw) -> None:
    """An invoice already in the ledger (header only; add its lines with `line`)."""
    insert(
        con,
        "ledger.invoices",
        invoice_id=invoice_id,
        invoice_number=number,
        customer_id=customer,
        currency=kw.get("currency", "EUR"),
        created_date=day,
        issue_date=day if number else None,
        due_date=kw.get("due_date", day) if number else None,
        tax_cents=kw.get("tax_cents", 0),
    )


def line(con, invoice_id: int, order_id: str, charge_key: str, cents: int, **kw) -> None:
    insert(
        con,
        "ledger.invoice_lines",
        invoice_id=invoice_id,
        line_number=kw.get("line_number", 1),
        order_id=order_id,
        charge_key=charge_key,
        customer_id=kw.get("customer", "C1"),
        kind=kw.get("kind", "recurring"),
        amount_cents=cents,
        tax_rate=kw.get("tax_rate", "0.25"),
        currency="EUR",
        ref_invoice_id=kw.get("ref_invoice_id"),
    )


def settings(**overrides) -> Settings:
    """The contract's defaults, with `overrides`."""
    return dataclasses.replace(Settings(), **overrides)


def rows(con, query: str) -> list[tuple]:
    return con.execute(query).fetchall()
