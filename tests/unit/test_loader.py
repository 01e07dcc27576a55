"""Ingest: every rule of contract §1 on small hand-written folders."""

from __future__ import annotations

import json

import duckdb
import polars as pl
import pytest

from ingest.errors import InputError
from ingest.loader import load_all, loaded_files, read_inputs
from ingest.settings import Settings
from tests.support.inputs import MINIMAL, write_table


def load(folder, con=None, settings=None):
    con = con or duckdb.connect()
    report = load_all(con, read_inputs(folder), settings or Settings(), str(folder), None)
    return con, report


def rejected(con, source=None):
    sql = "select source, file, row_number, reason, raw from raw.rejected_rows"
    rows = con.execute(sql + " order by source, file, row_number").fetchall()
    return [r for r in rows if source is None or r[0] == source]


def counts(report):
    return {c.table: (c.rows_in, c.accepted, c.rejected, c.warnings) for c in report.counts}


def test_a_clean_folder_loads_every_row_with_types(make_inputs):
    con, report = load(make_inputs())
    assert report.rejected == 0 and report.warnings == 0
    row = con.execute(
        "select monthly_price, start_fee, tax_rate, retail_billed_by, valid_from from raw.products"
    ).fetchone()
    assert str(row[0]) == "60.00" and str(row[1]) == "99.00" and str(row[2]) == "0.000000"
    assert row[3] == "operator" and str(row[4]) == "1970-01-01"
    assert con.execute("select collection_method from raw.customers").fetchone()[0] == "manual"
    # recorded_at defaults to occurred_at
    assert (
        con.execute("select recorded_at = occurred_at from raw.activation_events").fetchone()[0]
        is True
    )


@pytest.mark.parametrize(
    ("table", "row", "reason"),
    [
        ("orders", {"ordered_at": "2026-02-30"}, "ordered_at: not an ISO-8601 timestamp"),
        ("orders", {"ordered_at": "yesterday"}, "ordered_at: not an ISO-8601 timestamp"),
        ("orders", {"customer_id": ""}, "customer_id: missing value"),
        ("orders", {"customer_id": "C404"}, "unknown or rejected customer_id: 'C404'"),
        ("orders", {"product_id": "PR404"}, "unknown or rejected product_id: 'PR404'"),
        ("products", {"monthly_price": "-1.00"}, "monthly_price: negative amount: '-1.00'"),
        ("products", {"monthly_price": "6O.00"}, "monthly_price: not a decimal number"),
        ("products", {"monthly_price": "1,50"}, "monthly_price: not a decimal number"),
        ("products", {"start_fee": "9.999"}, "start_fee: more than 2 decimal places"),
        ("products", {"billing_cycle": "weekly"}, "billing_cycle: unknown value 'weekly'"),
        ("products", {"tax_rate": "25"}, "tax_rate: above 1"),
        ("products", {"valid_from": "01/02/2026"}, "valid_from: not a date (YYYY-MM-DD)"),
        ("products", {"provider_id": "P404"}, "unknown or rejected provider_id: 'P404'"),
        ("providers", {"currency": "EURO"}, "currency: not an ISO 4217 currency code"),
        ("activation_events", {"event": "paused"}, "event: unknown value 'paused'"),
        ("activation_events", {"order_id": "O404"}, "unknown or rejected order_id: 'O404'"),
        ("providers", {"provider_id": "../x"}, "provider_id: not a safe id"),
        ("providers", {"provider_id": "a/b"}, "provider_id: not a safe id"),
        ("providers", {"provider_id": "/etc/p"}, "provider_id: not a safe id"),
        ("providers", {"provider_id": "P 1"}, "provider_id: not a safe id"),
        ("orders", {"ordered_at": "2026-01-05T09:00:00+15:00"}, "ordered_at: not an ISO-8601"),
        ("orders", {"ordered_at": "2026-01-05T09:00:00+14:30"}, "ordered_at: not an ISO-8601"),
        ("orders", {"ordered_at": "2026-01-05 09:00 Europe/Oslo"}, "ordered_at: not an ISO"),
        ("orders", {"ordered_at": "2026-01-05T09:00:00UTC"}, "ordered_at: not an ISO-8601"),
        (
            "products",
            {"monthly_price": "1000000000.00"},
            "monthly_price: above the largest amount accepted (999999999.99)",
        ),
    ],
)
def test_each_kind_of_bad_row_is_quarantined_with_a_precise_reason(make_inputs, table, row, reason):
    good = MINIMAL[table][0]
    extra = {**good, **row}
    key = {
        "orders": "order_id",
        "products": "product_id",
        "providers": "provider_id",
        "activation_events": "event_id",
    }[table]
    extra[key] = extra[key] + "X"  # a second row, so the good one still loads
    con, report = load(make_inputs(**{table: [good, extra]}))
    rows = rejected(con, table)
    assert len(rows) == 1
    source, file, row_number, text, raw = rows[0]
    assert (file, row_number) == (f"{table}.csv", 2)
    assert text.startswith(reason), text
    assert json.loads(raw)[key] == extra[key]  # the raw row, as read
    c = counts(report)[table]
    assert c[0] == c[1] + c[2] == 2


def test_a_row_with_several_bad_values_lists_them_all(make_inputs):
    bad = {
        **MINIMAL["products"][0],
        "product_id": "PR2",
        "monthly_price": "x",
        "billing_cycle": "daily",
    }
    con, _ = load(make_inputs(products=[MINIMAL["products"][0], bad]))
    (row,) = rejected(con, "products")
    assert "billing_cycle: unknown value 'daily'" in row[3]
    assert "monthly_price: not a decimal number: 'x'" in row[3]


def test_rows_of_a_rejected_parent_are_rejected_too(make_inputs):
    """O1's customer is rejected (bad collection_method), so O1 and its event are too."""
    con, report = load(
        make_inputs(customers=[{"customer_id": "C1", "name": "Ann", "collection_method": "cheque"}])
    )
    assert [r[0] for r in rejected(con)] == ["activation_events", "customers", "orders"]
    assert rejected(con, "orders")[0][3] == "unknown or rejected customer_id: 'C1'"
    assert report.rejected == 3


def test_the_first_row_of_a_duplicate_key_wins_in_file_name_order(make_inputs, tmp_path):
    folder = make_inputs()
    # activation_events.a.csv sorts before activation_events.csv ('.a' < '.c')
    write_table(
        folder,
        "activation_events",
        [
            {
                "event_id": "E1",
                "order_id": "O1",
                "event": "deactivated",
                "occurred_at": "2026-01-20",
            },
            {"event_id": "E1", "order_id": "O1", "event": "activated", "occurred_at": "2026-01-21"},
        ],
        file_name="activation_events.a.csv",
    )
    con, report = load(folder)
    assert con.execute("select event from raw.activation_events").fetchall() == [("deactivated",)]
    reasons = [(r[1], r[2], r[3]) for r in rejected(con, "activation_events")]
    assert reasons == [
        (
            "activation_events.a.csv",
            2,
            "duplicate key (event_id=E1): first row is activation_events.a.csv row 1",
        ),
        (
            "activation_events.csv",
            1,
            "duplicate key (event_id=E1): first row is activation_events.a.csv row 1",
        ),
    ]
    assert counts(report)["activation_events"] == (3, 1, 2, 0)


def test_products_are_keyed_by_product_and_valid_from(make_inputs):
    base = MINIMAL["products"][0]
    con, report = load(
        make_inputs(
            products=[
                base,
                {**base, "valid_from": "2026-03-01", "monthly_price": "65.00"},
                {**base, "valid_from": "2026-03-01", "monthly_price": "70.00"},
            ]
        )
    )
    assert con.execute("select count(*) from raw.products").fetchone()[0] == 2
    assert rejected(con, "products")[0][3].startswith(
        "duplicate key (product_id=PR1, valid_from=2026-03-01)"
    )


def test_loading_the_same_files_twice_adds_nothing(make_inputs):
    folder = make_inputs(orders=MINIMAL["orders"] + [{"order_id": "O2"}])
    con, first = load(folder)
    before = {
        t: con.execute(f"select count(*) from raw.{t}").fetchone()[0]
        for t in ("orders", "activation_events", "rejected_rows", "load_batches")
    }
    _, second = load(folder, con)
    after = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in before}
    assert after == before
    assert second.changed is False
    assert counts(second)["orders"] == counts(first)["orders"] == (2, 1, 1, 0)


def test_a_file_with_more_rows_adds_only_those(make_inputs):
    folder = make_inputs()
    con, _ = load(folder)
    write_table(
        folder,
        "activation_events",
        MINIMAL["activation_events"]
        + [
            {
                "event_id": "E2",
                "order_id": "O1",
                "event": "deactivated",
                "occurred_at": "2026-02-01",
            }
        ],
    )
    _, report = load(folder, con)
    assert counts(report)["activation_events"] == (2, 2, 0, 0)
    assert [c.new for c in report.counts if c.table == "activation_events"] == [1]
    assert con.execute("select count(*) from raw.activation_events").fetchone()[0] == 2


def test_an_unchanged_file_is_not_read_again(make_inputs):
    folder = make_inputs()
    con, _ = load(folder)
    (folder / "orders.csv").write_text("order_id\nbroken but never read again\n")
    # orders.csv changed, so it is read again (and fails: missing columns); restore it
    with pytest.raises(InputError, match="orders.csv: missing required column"):
        read_inputs(folder, loaded_files(con))
    write_table(folder, "orders", MINIMAL["orders"])
    again = read_inputs(folder, loaded_files(con))
    assert all(f.skipped for f in again.files)
    report = load_all(con, again, Settings(), str(folder), None)
    assert report.files_skipped == 5 and report.changed is False and report.counts == []


def test_a_changed_row_under_a_loaded_key_is_a_duplicate(make_inputs):
    folder = make_inputs()
    con, _ = load(folder)
    write_table(folder, "orders", [{**MINIMAL["orders"][0], "connection_id": "K9"}])
    _, report = load(folder, con)
    assert rejected(con, "orders")[0][3] == (
        "duplicate key (order_id=O1): already loaded from orders.csv row 1"
    )
    assert con.execute("select connection_id from raw.orders").fetchall() == [("K1",)]
    assert report.rejected == 1


@pytest.mark.parametrize(
    ("code", "warning"),
    [
        ("NOPE", "promotion: unknown code 'NOPE'"),
        ("OLD", "promotion: code 'OLD' expired 2025-12-31, order placed 2026-01-05"),
        ("LATER", "promotion: code 'LATER' is valid from 2026-02-01, order placed 2026-01-05"),
        ("OTHER", "promotion: code 'OTHER' is for product 'PR2', not 'PR1'"),
    ],
)
def test_an_order_with_a_promotion_that_does_not_apply_is_accepted_with_a_warning(
    make_inputs, code, warning
):
    promos = [
        {
            "promotion_code": "OLD",
            "kind": "percent",
            "value": "50",
            "duration_months": "3",
            "valid_to": "2025-12-31",
        },
        {
            "promotion_code": "LATER",
            "kind": "percent",
            "value": "50",
            "duration_months": "3",
            "valid_from": "2026-02-01",
        },
        {
            "promotion_code": "OTHER",
            "kind": "fixed",
            "value": "10",
            "duration_months": "3",
            "product_id": "PR2",
        },
    ]
    products = MINIMAL["products"] + [{**MINIMAL["products"][0], "product_id": "PR2"}]
    con, report = load(
        make_inputs(
            promotions=promos,
            products=products,
            orders=[{**MINIMAL["orders"][0], "promotion_code": code}],
        )
    )
    assert rejected(con, "orders")[0][2:4] == (1, warning)
    assert counts(report)["orders"] == (1, 1, 0, 1)  # accepted, and counted as a warning
    assert con.execute("select count(*) from raw.orders").fetchone()[0] == 1


def test_a_valid_promotion_gives_no_warning(make_inputs):
    promos = [
        {
            "promotion_code": "HALF",
            "kind": "percent",
            "value": "50",
            "duration_months": "3",
            "valid_from": "2026-01-05",
            "valid_to": "2026-01-05",
            "product_id": "PR1",
        }
    ]
    con, report = load(
        make_inputs(promotions=promos, orders=[{**MINIMAL["orders"][0], "promotion_code": "HALF"}])
    )
    assert report.warnings == 0 and rejected(con) == []


def test_promotion_validity_uses_the_local_ordered_date(make_inputs):
    """23:30Z on Jan 4 is Jan 5 in Oslo, inside a one-day window on Jan 5."""
    promos = [
        {
            "promotion_code": "DAY",
            "kind": "percent",
            "value": "10",
            "duration_months": "1",
            "valid_from": "2026-01-05",
            "valid_to": "2026-01-05",
        }
    ]
    folder = make_inputs(
        promotions=promos,
        orders=[
            {**MINIMAL["orders"][0], "ordered_at": "2026-01-04T23:30:00Z", "promotion_code": "DAY"}
        ],
    )
    _, utc = load(folder)
    _, oslo = load(folder, settings=Settings(timezone="Europe/Oslo"))
    assert (utc.warnings, oslo.warnings) == (1, 0)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-03-01T10:00:00+02:00", "2026-03-01 08:00:00+00"),
        ("2026-03-01T10:00:00Z", "2026-03-01 10:00:00+00"),
        ("2026-03-01 10:00:00", "2026-03-01 10:00:00+00"),  # naive is UTC
        ("2026-03-01", "2026-02-28 23:00:00+00"),  # a date is local midnight (Oslo, CET)
        ("2026-03-01T10:00:00+14:00", "2026-02-28 20:00:00+00"),  # the widest offset
        ("2026-03-01T10:00:00-1200", "2026-03-01 22:00:00+00"),
        ("2026-03-01T10:00:00.123456+05:30", "2026-03-01 04:30:00+00"),
    ],
)
def test_timestamps_are_read_per_the_contract(make_inputs, text, utc):
    folder = make_inputs(
        activation_events=[{**MINIMAL["activation_events"][0], "occurred_at": text}]
    )
    con, _ = load(folder, settings=Settings(timezone="Europe/Oslo"))
    con.execute("set TimeZone = 'UTC'")
    assert str(
        con.execute("select occurred_at from raw.activation_events").fetchone()[0]
    ).startswith(utc.replace(" ", " ")[:19])


def test_a_row_with_the_wrong_number_of_fields_is_rejected_not_the_file(make_inputs):
    folder = make_inputs()
    (folder / "customers.csv").write_text(
        "customer_id,name\nC1,Ann\nC2,Bob,extra\n", encoding="utf-8"
    )
    con, report = load(folder)
    assert rejected(con, "customers")[0][2:4] == (2, "expected 2 fields, got 3")
    assert counts(report)["customers"] == (2, 1, 1, 0)


def test_parquet_and_jsonl_files_are_read_like_csv(make_inputs):
    folder = make_inputs()
    (folder / "customers.csv").unlink()
    pl.DataFrame({"customer_id": ["C1"], "name": ["Ann"]}).write_parquet(
        folder / "customers.parquet"
    )
    (folder / "orders.csv").unlink()
    (folder / "orders.jsonl").write_text(json.dumps(MINIMAL["orders"][0]) + "\n")
    con, report = load(folder)
    assert report.rejected == 0
    assert con.execute("select count(*) from raw.orders").fetchone()[0] == 1


def test_typed_parquet_columns_load_as_their_text_would(make_inputs, tmp_path):
    """DuckDB reads a Parquet file's rows as text (ingest/loader.py): decimals, floats,
    dates, timestamps with and without an offset, booleans, padded and empty text load as
    the same values written as CSV do, and a bad value is rejected with the same reason."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    products = {
        "product_id": [" PR1 ", "PR2", "PR3"],
        "valid_from": [date(2026, 1, 1), None, date(2026, 2, 1)],
        "provider_id": ["P1", "P1", "P1"],
        "name": ["Fast", "Slow", "Bad"],
        "billing_cycle": ["monthly", "anniversary", "monthly"],
        "monthly_price": [Decimal("60.00"), Decimal("9.50"), Decimal("-1.00")],
        "tax_rate": [0.25, 0.0, 0.1],
        "start_fee": ["", "12.5", None],
    }
    events = {
        "event_id": ["E1", "E2"],
        "order_id": ["O1", "O1"],
        "event": ["activated", "deactivated"],
        "occurred_at": [
            datetime(2026, 1, 10, 9, 0, tzinfo=UTC),
            datetime(2026, 1, 20, 8, 30, tzinfo=UTC),
        ],
    }
    methods = {
        "payment_method_id": ["M1"],
        "customer_id": ["C1"],
        "type": ["card"],
        "status": ["active"],
        "is_default": [True],
    }
    loaded = {}
    for kind in ("csv", "parquet"):
        folder = make_inputs(f"data-{kind}")
        for name, table in (
            ("products", products),
            ("activation_events", events),
            ("payment_methods", methods),
        ):
            frame = pl.DataFrame(table)
            (folder / f"{name}.csv").unlink(missing_ok=True)
            if kind == "parquet":
                frame.write_parquet(folder / f"{name}.parquet")
            else:
                text = frame.with_columns(
                    pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    pl.col(pl.Boolean).cast(pl.String).str.to_lowercase(),
                )
                text.write_csv(folder / f"{name}.csv")
        con, report = load(folder)
        loaded[kind] = {
            name: con.execute(
                f"select * exclude (_file, _batch_id, _row_hash) from raw.{name} order by all"
            ).fetchall()
            for name in ("products", "activation_events", "payment_methods")
        } | {"rejected": [r[2:4] for r in rejected(con, "products")]}
    assert loaded["parquet"] == loaded["csv"]
    assert len(loaded["csv"]["products"]) == 2 and loaded["csv"]["rejected"] == [
        (3, "monthly_price: negative amount: '-1.00'")
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: (f / "orders.csv").unlink(), r"^orders\.csv: required table is missing"),
        (
            lambda f: (f / "orders.csv").write_text("order_id,customer_id\nO1,C1\n"),
            r"^orders\.csv: missing required column 'product_id'",
        ),
        (
            lambda f: (f / "orders.csv").write_bytes(b"order_id\n\xff\xfe\n"),
            r"^orders\.csv: unreadable file: not UTF-8",
        ),
        (
            lambda f: (f / "customers.parquet").write_bytes(b"not parquet"),
            r"^customers\.parquet: unreadable file",
        ),
        (  # a quote never closed would swallow every row after it
            lambda f: (f / "orders.csv").write_text(
                "order_id,customer_id,product_id,connection_id,ordered_at\n"
                'O1,"C1,PR1,K1,2026-01-05\nO2,C1,PR1,K2,2026-01-05\n'
            ),
            r"^orders\.csv: line 2: broken CSV",
        ),
        (
            lambda f: (f / "orders.csv").write_text(
                "order_id,customer_id,product_id,connection_id,ordered_at\n"
                'O1,C1,PR1,K1,2026-01-05\nO2,"C1"x,PR1,K2,2026-01-05\n'
            ),
            r"^orders\.csv: line 3: broken CSV",
        ),
        (
            lambda f: pl.DataFrame({"customer_id": ["C1"], "name": [["A", "B"]]}).write_parquet(
                f / "customers.parquet"
            ),
            r"^customers\.parquet: column 'name' has type List",
        ),
    ],
)
def test_whole_run_errors_name_the_file_and_column(make_inputs, change, message):
    folder = make_inputs()
    change(folder)
    with pytest.raises(InputError, match=message):
        read_inputs(folder)


@pytest.mark.parametrize("provider_id", [".", ".."])
def test_a_provider_id_that_is_a_folder_step_is_rejected(make_inputs, provider_id):
    folder = make_inputs(providers=[{**MINIMAL["providers"][0], "provider_id": provider_id}])
    con, report = load(folder)
    assert [r[3][:30] for r in rejected(con, "providers")] == ["provider_id: not a safe id (le"]
    assert counts(report)["providers"] == (1, 0, 1, 0)


def test_a_quote_inside_an_unquoted_field_is_a_character(make_inputs):
    folder = make_inputs(customers=[{**MINIMAL["customers"][0], "name": 'The 5" Cable Co'}])
    text = (folder / "customers.csv").read_text().replace('"The 5"" Cable Co"', 'The 5" Cable Co')
    (folder / "customers.csv").write_text(text)
    con, report = load(folder)
    assert con.execute("select name from raw.customers").fetchall() == [('The 5" Cable Co',)]
