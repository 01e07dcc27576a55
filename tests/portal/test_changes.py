"""Changes recorded by the customer portal, or delivered as files, reach billing from the
day they were recorded; the latest recorded change wins; bad change rows are quarantined
with their reason; the portal's snapshot holds what it shows (docs/portal.md)."""

from __future__ import annotations

from datetime import date

import duckdb

from fiberbill.cli import main
from fiberbill.portal.snapshot import snapshot_path
from fiberbill.portal.store import Store, store_path
from tests.support.inputs import MINIMAL, run_args, write_table

PRODUCT = {**MINIMAL["products"][0], "tax_rate": "0.25"}
CUSTOMERS = [
    {"customer_id": "C1", "name": "Ann", "collection_method": "manual", "email": "ann@x.org"},
    {"customer_id": "C2", "name": "Bob", "collection_method": "manual"},
]
METHODS = [
    {
        "payment_method_id": "PM1",
        "customer_id": "C1",
        "type": "card",
        "status": "active",
        "is_default": "true",
        "stripe_payment_method_id": "pm_card_1",
        "last4": "4242",
    },
    {
        "payment_method_id": "PM3",
        "customer_id": "C2",
        "type": "card",
        "status": "active",
        "is_default": "true",
        "stripe_payment_method_id": "pm_card_3",
    },
]
PREFERENCES = [
    {
        "change_id": "CH1",
        "customer_id": "C1",
        "field": "collection_method",
        "new_value": "AUTO",
        "recorded_at": "2026-01-20T10:00:00Z",
        "old_value": "manual",
    },
    {
        "change_id": "CH2",
        "customer_id": "C1",
        "field": "invoice_email",
        "new_value": "not-an-address",
        "recorded_at": "2026-01-21T10:00:00Z",
    },
    {
        "change_id": "CH3",
        "customer_id": "C1",
        "field": "collection_method",
        "new_value": "sometimes",
        "recorded_at": "2026-01-21T10:00:00Z",
    },
]
METHOD_CHANGES = [
    {
        "change_id": "M1",
        "customer_id": "C1",
        "payment_method_id": "PM2",
        "action": "added",
        "recorded_at": "2026-01-25T08:00:00Z",
        "type": "sepa_debit",
        "stripe_payment_method_id": "pm_sepa_2",
        "last4": "3000",
    },
    {
        "change_id": "M2",
        "customer_id": "C1",
        "payment_method_id": "PM2",
        "action": "set_default",
        "recorded_at": "2026-01-26T08:00:00Z",
    },
    {
        "change_id": "M3",
        "customer_id": "C1",
        "payment_method_id": "PM3",
        "action": "removed",
        "recorded_at": "2026-01-26T08:00:00Z",
    },
    {
        "change_id": "M4",
        "customer_id": "C1",
        "payment_method_id": "PM9",
        "action": "set_default",
        "recorded_at": "2026-01-26T08:00:00Z",
    },
    {
        "change_id": "M5",
        "customer_id": "C1",
        "payment_method_id": "PM5",
        "action": "added",
        "recorded_at": "2026-01-26T08:00:00Z",
        "type": "card",
    },
]


def _network(folder):
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        **MINIMAL,
        "products": [PRODUCT],
        "customers": CUSTOMERS,
        "payment_methods": METHODS,
        "preference_changes": PREFERENCES,
        "payment_method_changes": METHOD_CHANGES,
    }
    for name, rows in tables.items():
        write_table(folder, name, rows)
    return folder


def _rows(warehouse, sql, params=()):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_change_files_take_effect_from_their_day_and_bad_rows_are_quarantined(tmp_path):
    folder = _network(tmp_path / "data")
    warehouse = tmp_path / "w.duckdb"
    assert main(run_args(folder, warehouse, through="2026-02-01")) == 0

    rejected = _rows(
        warehouse,
        "select source, file, row_number, reason from marts.rejected_rows "
        "where source like '%changes' order by source, row_number",
    )
    assert rejected == [
        (
            "payment_method_changes",
            "payment_method_changes.csv",
            3,
            "payment_method_id: belongs to another customer: 'PM3'",
        ),
        (
            "payment_method_changes",
            "payment_method_changes.csv",
            4,
            "payment_method_id: unknown payment method: 'PM9'",
        ),
        (
            "payment_method_changes",
            "payment_method_changes.csv",
            5,
            "stripe_payment_method_id: missing value (required when action is added)",
        ),
        (
            "preference_changes",
            "preference_changes.csv",
            2,
            "new_value: not an e-mail address: 'not-an-address'",
        ),
        (
            "preference_changes",
            "preference_changes.csv",
            3,
            "new_value: unknown value 'sometimes' (expected auto | manual)",
        ),
    ]
    # manual through Jan 19, auto from the day it was recorded (UTC is the timezone here)
    assert _rows(
        warehouse,
        "select valid_from_date, valid_to_date, preference_value, change_source "
        "from intermediate.int_customers__preference_ranges "
        "where customer_id = 'C1' and preference_field = 'collection_method' "
        "order by valid_from_date",
    ) == [
        (date(1900, 1, 1), date(2026, 1, 20), "manual", "customers"),
        (date(2026, 1, 20), date(9999, 12, 31), "auto", "operator"),
    ]
    # PM1 until PM2 is made default on Jan 26
    assert _rows(
        warehouse,
        "select valid_from_date, payment_method_id, payment_method_type "
        "from intermediate.int_customers__payment_method_ranges where customer_id = 'C1' "
        "order by valid_from_date",
    ) == [
        (date(1900, 1, 1), "PM1", "card"),
        (date(2026, 1, 25), "PM1", "card"),
        (date(2026, 1, 26), "PM2", "sepa_debit"),
    ]
    assert _rows(
        warehouse,
        "select customer_id, collection_method, default_payment_method_type, email "
        "from marts.customers order by customer_id",
    ) == [("C1", "auto", "sepa_debit", "ann@x.org"), ("C2", "manual", "card", None)]
    # the invoices say auto once the change is in force
    assert _rows(warehouse, "select distinct collection_method from marts.invoices") == [("auto",)]
    history = _rows(
        warehouse,
        "select source, change_id, changed_field, old_value, new_value, effective_date, "
        "in_force from marts.customer_history where customer_id = 'C1' "
        "order by recorded_at, changed_field, change_id",
    )
    assert [row for row in history if row[0] == "operator"] == [
        ("operator", "CH1", "collection_method", "manual", "auto", date(2026, 1, 20), True),
        (
            "operator",
            "M1",
            "payment_method_added",
            None,
            "sepa_debit 3000",
            date(2026, 1, 25),
            True,
        ),
        ("operator", "M2", "default_payment_method", None, "PM2", date(2026, 1, 26), True),
    ]
    assert ("customers", None, "collection_method", None, "manual", None, False) in history
    assert (
        "payment_methods",
        None,
        "payment_method",
        None,
        "card 4242 active default",
        None,
        True,
    ) in history


def test_portal_changes_are_read_once_and_the_snapshot_shows_them(tmp_path):
    """Changes the portal records reach the next run (from the day they were recorded),
    are never read twice, and the snapshot the portal reads is replaced by each run."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name, rows in {
        **MINIMAL,
        "products": [PRODUCT],
        "customers": CUSTOMERS,
        "payment_methods": METHODS,
    }.items():
        write_table(folder, name, rows)
    warehouse = tmp_path / "w.duckdb"
    today = date.today()
    assert main(run_args(folder, warehouse, through="2026-02-01")) == 0
    snap = snapshot_path(warehouse)
    assert snap.exists()
    with duckdb.connect(str(snap), read_only=True) as con:
        assert con.execute(
            "select customer_id, collection_method, default_payment_method_type, "
            "default_payment_method_last4 from customers order by customer_id"
        ).fetchall() == [("C1", "manual", "card", "4242"), ("C2", "manual", "card", None)]
        assert con.execute(
            "select order_id, product_name, monthly_price, start_date from services"
        ).fetchall() == [("O1", "Fast", 60, date(2026, 1, 10))]
        # the next invoice, Mar 1: 60.00 + 25 % tax
        assert [
            tuple(str(v) for v in row)
            for row in con.execute(
                "select customer_id, currency, expected_date, subtotal, tax_total, total "
                "from next_invoices"
            ).fetchall()
        ] == [("C1", "EUR", "2026-03-01", "60.00", "15.00", "75.00")]
        assert con.execute(
            "select invoice_number, status, total from invoices order by invoice_number"
        ).fetchall()[0][:2] == ("INV-2026-000001", "late")
        assert con.execute("select last_run_day, portal_seq from meta").fetchall() == [
            (date(2026, 2, 1), 0)
        ]

    store = Store(store_path(warehouse))
    store.record_preference("C1", "collection_method", "manual", "auto", "127.0.0.1")
    store.record_preference("C1", "invoice_email", "ann@x.org", "ann@new.org", "127.0.0.1")
    store.record_preference("C2", "invoice_email", None, "broken", "10.0.0.2")
    # before today the change is not in force; from today it is
    assert main(run_args(folder, warehouse, through=str(today))) == 0
    assert _rows(
        warehouse,
        "select customer_id, collection_method, email from marts.customers "
        "where currency is not null or customer_id = 'C2' order by customer_id",
    ) == [("C1", "auto", "ann@new.org"), ("C2", "manual", None)]
    assert _rows(
        warehouse,
        "select valid_from_date, preference_value from "
        "intermediate.int_customers__preference_ranges where customer_id = 'C1' and "
        "preference_field = 'collection_method' order by valid_from_date",
    ) == [(date(1900, 1, 1), "manual"), (today, "auto")]
    assert _rows(
        warehouse,
        "select file, row_number, reason from marts.rejected_rows "
        "where source = 'preference_changes'",
    ) == [("portal", 3, "new_value: not an e-mail address: 'broken'")]
    assert _rows(
        warehouse,
        "select source, changed_field, old_value, new_value, client_ip, effective_date, "
        "in_force from marts.customer_history where source = 'portal' order by recorded_at",
    ) == [
        ("portal", "collection_method", "manual", "auto", "127.0.0.1", today, True),
        ("portal", "invoice_email", "ann@x.org", "ann@new.org", "127.0.0.1", today, True),
    ]
    with duckdb.connect(str(snap), read_only=True) as con:
        assert con.execute("select portal_seq from meta").fetchall() == [(3,)]
        assert con.execute(
            "select collection_method, invoice_email from customers where customer_id = 'C1'"
        ).fetchall() == [("auto", "ann@new.org")]
    # a run with nothing new reads nothing again
    loaded = _rows(warehouse, "select count(*) from raw.preference_changes")
    assert main(run_args(folder, warehouse, through=str(today))) == 0
    assert _rows(warehouse, "select count(*) from raw.preference_changes") == loaded == [(2,)]
    assert _rows(warehouse, "select count(*) from raw.rejected_rows where file = 'portal'") == [
        (1,)
    ]


def test_rendering_documents_and_writing_off_publish_the_portal_snapshot_again(tmp_path):
    """Commands other than a run that change what the portal shows publish it again."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name, rows in {**MINIMAL, "customers": CUSTOMERS}.items():
        write_table(folder, name, rows)
    warehouse, exports = tmp_path / "w.duckdb", tmp_path / "exports"
    args = run_args(folder, warehouse, "--no-documents", through="2026-02-01", exports=exports)
    assert main(args) == 0

    def snapshot_rows():
        with duckdb.connect(str(snapshot_path(warehouse)), read_only=True) as con:
            return con.execute(
                "select invoice_number, status, pdf_path is not null from invoices "
                "order by invoice_number"
            ).fetchall()

    assert snapshot_rows() == [("INV-2026-000001", "late", False), ("INV-2026-000002", "open",
                                                                      False)]  # fmt: skip
    assert main(["documents", "render", "--warehouse", str(warehouse), "--exports",
                 str(exports)]) == 0  # fmt: skip
    assert snapshot_rows() == [("INV-2026-000001", "late", True), ("INV-2026-000002", "open",
                                                                     True)]  # fmt: skip
    assert main(["invoices", "write-off", "INV-2026-000001", "--reason", "gone",
                 "--warehouse", str(warehouse)]) == 0  # fmt: skip
    assert snapshot_rows()[0] == ("INV-2026-000001", "uncollectible", True)
