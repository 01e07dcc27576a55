"""Each step of a run day (fiberbill/ledger/sql/NN_*.sql) on seeded ledger tables: rows
in, expected rows out, amounts to the cent. No dbt and no files: the charge targets are a
plain table here (tests/support/ledger_tables.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fiberbill import ledger
from ingest.settings import LateFee
from tests.support.ledger_tables import (
    insert,
    issued,
    ledger_connection,
    line,
    rows,
    settings,
    target,
)

JAN10, FEB1 = date(2026, 1, 10), date(2026, 2, 1)


@pytest.fixture
def con():
    con = ledger_connection()
    yield con
    con.close()


def run(con, name, day, catch_up=False, **setting_overrides):
    params = ledger.day_params(day, settings(**setting_overrides), catch_up)
    return ledger.STEPS.run(con, name, params)


def issue_through_lines(con, day, **overrides):
    for step in ("10_owed", "20_new_lines"):
        run(con, step, day, **overrides)
    return rows(
        con,
        "select order_id, kind, amount_cents, service_start, days from _new_lines "
        "order by order_id, sort_order",
    )


def test_a_first_charge_with_a_promotion_is_a_service_line_and_a_discount_line(con):
    """22 of 31 days of 60.00 = 42.58; 50 % off those days = 21.29."""
    target(
        con, "O1", "2026-01-10", JAN10, target_cents=2129, due_charge_cents=4258,
        charge_cents=4258, discount_cents=2129, service_start_date=JAN10, active_days=22,
        promotion_service_start_date=JAN10, promotion_days=22,
    )  # fmt: skip
    assert issue_through_lines(con, JAN10) == [
        ("O1", "recurring", 4258, JAN10, 22),
        ("O1", "discount", -2129, JAN10, 22),
    ]


def test_a_100_percent_promotion_still_writes_both_lines(con):
    target(
        con, "O1", "2026-01-10", JAN10, target_cents=0, due_charge_cents=4258,
        charge_cents=4258, discount_cents=4258,
    )  # fmt: skip
    lines = issue_through_lines(con, JAN10)
    assert [(kind, cents) for _, kind, cents, _, _ in lines] == [
        ("recurring", 4258),
        ("discount", -4258),
    ]


def test_a_charge_billed_in_full_owes_nothing_and_an_increase_is_one_adjustment(con):
    issued(con, 1, "INV-2026-000001", JAN10)
    line(con, 1, "O1", "2026-01-01", 6000)
    target(con, "O1", "2026-01-01", JAN10)
    assert issue_through_lines(con, JAN10) == []
    target(con, "O1", "2026-01-01", date(2026, 1, 12), target_cents=6500)
    assert issue_through_lines(con, date(2026, 1, 12)) == [
        ("O1", "adjustment", 500, date(2026, 1, 1), 31)
    ]
    assert rows(con, "select ref_invoice_id, description from _new_lines") == [
        (1, "Adjustment: Fiber 60 (order O1), 1 Jan 2026 – 31 Jan 2026, billed on INV-2026-000001")
    ]


def test_a_credit_is_taken_from_the_newest_invoice_first(con):
    """-30.00 owed; invoice 9 holds 20.00 and invoice 7 holds 40.00 of the charge."""
    for invoice_id, cents in ((7, 4000), (9, 2000)):
        issued(con, invoice_id, f"INV-2026-00000{invoice_id}", JAN10)
        line(con, invoice_id, "O1", "2026-01-01", cents)
    target(con, "O1", "2026-01-01", date(2026, 1, 21), target_cents=3000)
    run(con, "10_owed", date(2026, 1, 21))
    assert run(con, "30_allocate", date(2026, 1, 21)) == 2
    assert rows(con, "select invoice_id, amount_cents from _alloc order by invoice_id") == [
        (7, 1000),
        (9, 2000),
    ]


def credit(con, day, **overrides):
    for step in ("10_owed", "20_new_lines", "30_allocate"):
        run(con, step, day, **overrides)
    return ledger.credit_today(con, ledger.day_params(day, settings(**overrides)))


def test_a_credit_note_gives_back_the_credit_with_its_tax_and_continues_the_year(con):
    """60.00 at 25 % = 75.00 on invoice 1; terminated, the target falls to 40.65: after the
    credit 40.65 + 10.16 tax = 50.81, so the note is 75.00 - 50.81 = 24.19."""
    issued(con, 1, "INV-2026-000001", JAN10, tax_cents=1500)
    line(con, 1, "O1", "2026-01-01", 6000)
    insert(
        con, "ledger.credit_notes", credit_note_id=3, credit_note_number="CN-2026-000003",
        invoice_id=99, customer_id="C9", issue_date=JAN10, reason="correction",
        amount_cents=100, currency="EUR",
    )  # fmt: skip
    target(con, "O1", "2026-01-01", date(2026, 1, 21), target_cents=4065, is_ended=True)
    assert credit(con, date(2026, 1, 21)) == {"voids": 0, "credit_notes": 1}
    assert rows(
        con,
        "select credit_note_id, credit_note_number, invoice_id, reason, amount_cents "
        "from ledger.credit_notes where invoice_id = 1",
    ) == [(4, "CN-2026-000004", 1, "termination_refund", 2419)]
    assert rows(con, "select credit_note_id, amount_cents from ledger.credit_allocations") == [
        (4, 1935)
    ]


def test_an_unpaid_invoice_credited_to_zero_is_voided_not_credited(con):
    issued(con, 1, "INV-2026-000001", JAN10, tax_cents=1500)
    line(con, 1, "O1", "2026-01-01", 6000)
    target(con, "O1", "2026-01-01", date(2026, 1, 21), target_cents=0, is_ended=True)
    assert credit(con, date(2026, 1, 21)) == {"voids": 1, "credit_notes": 0}
    assert rows(con, "select invoice_id, void_date from ledger.invoice_voids") == [
        (1, date(2026, 1, 21))
    ]
    assert rows(con, "select count(*) from ledger.credit_notes") == [(0,)]


def test_a_paid_invoice_credited_to_zero_gets_a_credit_note_instead_of_a_void(con):
    issued(con, 1, "INV-2026-000001", JAN10, tax_cents=1500)
    line(con, 1, "O1", "2026-01-01", 6000)
    insert(
        con, "staging.stg_inputs__payments", payment_id="P1",
        invoice_number="INV-2026-000001", amount_cents=7500, currency="EUR",
        received_date=date(2026, 1, 15),
    )  # fmt: skip
    target(con, "O1", "2026-01-01", date(2026, 1, 21), target_cents=0, is_ended=True)
    assert credit(con, date(2026, 1, 21)) == {"voids": 0, "credit_notes": 1}
    assert rows(con, "select amount_cents from ledger.credit_notes") == [(7500,)]


def test_invoices_are_numbered_on_from_the_year_in_customer_order_with_tax_per_rate(con):
    """Tax per rate, rounded once: (42.58 - 21.29) x 25 % = 5.3225 -> 5.32."""
    issued(con, 41, "INV-2026-000041", JAN10)
    issued(con, 42, "INV-2025-000077", date(2025, 12, 1))
    target(
        con, "O2", "2026-01-10", JAN10, customer_id="C2", target_cents=2129,
        due_charge_cents=4258, charge_cents=4258, discount_cents=2129,
        service_start_date=JAN10, active_days=22, promotion_code="HALF3",
        promotion_kind="percent", promotion_value="50", promotion_service_start_date=JAN10,
        promotion_service_end_date=date(2026, 1, 31), promotion_days=22,
    )  # fmt: skip
    target(con, "O1", "2026-01-10", JAN10, customer_id="C1")
    issue_through_lines(con, JAN10)
    assert run(con, "60_invoices", JAN10) == 2
    assert rows(
        con,
        "select invoice_id, invoice_number, customer_id, issue_date, due_date, tax_cents "
        "from ledger.invoices where invoice_id > 42 order by invoice_id",
    ) == [
        (43, "INV-2026-000042", "C1", JAN10, date(2026, 1, 24), 1500),
        (44, "INV-2026-000043", "C2", JAN10, date(2026, 1, 24), 532),
    ]
    assert rows(
        con,
        "select invoice_id, line_number, kind, amount_cents, description from "
        "ledger.invoice_lines where invoice_id = 44 order by line_number",
    ) == [
        (
            44,
            1,
            "recurring",
            4258,
            "Fiber 60 (order O2), 10 Jan 2026 – 31 Jan 2026, prorated: 22 of 31 days",
        ),
        (
            44,
            2,
            "discount",
            -2129,
            "Promotion HALF3, 50 % off: Fiber 60 (order O2), 10 Jan 2026 – 31 Jan 2026",
        ),
    ]


def test_without_auto_finalize_invoices_are_drafts_without_number_or_issue_day(con):
    target(con, "O1", "2026-01-10", JAN10)
    issue_through_lines(con, JAN10, auto_finalize=False)
    run(con, "60_invoices", JAN10, auto_finalize=False)
    assert rows(con, "select invoice_number, issue_date, due_date from ledger.invoices") == [
        (None, None, None)
    ]


def test_finalizing_drafts_numbers_them_on_from_the_year(con):
    issued(con, 1, "INV-2026-000041", JAN10)
    issued(con, 2, None, JAN10, customer="C2")
    issued(con, 3, None, JAN10, customer="C1")
    con.execute("create temp table _chosen as select unnest([2, 3]) as invoice_id")
    run(con, "65_finalize", date(2026, 3, 3))
    assert rows(
        con,
        "select invoice_id, invoice_number, issue_date, due_date "
        "from ledger.invoice_finalizations order by invoice_id",
    ) == [
        (2, "INV-2026-000043", date(2026, 3, 3), date(2026, 3, 17)),
        (3, "INV-2026-000042", date(2026, 3, 3), date(2026, 3, 17)),
    ]


def late_invoice(con, paid_cents=10000):
    """141.58 issued Jan 10, due Jan 24; `paid_cents` paid on Jan 20."""
    issued(con, 1, "INV-2026-000001", JAN10, due_date=date(2026, 1, 24))
    line(con, 1, "O1", "2026-01-10", 14158, tax_rate="0")
    insert(
        con, "staging.stg_inputs__payments", payment_id="P1",
        invoice_number="INV-2026-000001", amount_cents=paid_cents, currency="EUR",
        received_date=date(2026, 1, 20),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("day", "late"),
    [(date(2026, 1, 31), 0), (FEB1, 1), (date(2026, 2, 2), 0)],
    ids=["within grace", "the day after grace", "a day later without catching up"],
)
def test_an_invoice_turns_late_the_day_after_its_grace_days(con, day, late):
    late_invoice(con)
    run(con, "50_turning_late", day)
    assert run(con, "51_late", day) == late


def test_a_paid_invoice_never_turns_late(con):
    late_invoice(con, paid_cents=14158)
    assert run(con, "50_turning_late", FEB1) == 1
    assert run(con, "51_late", FEB1) == 0


@pytest.mark.parametrize(
    ("fee", "fee_cents", "waiver"),
    [
        (LateFee("percent", Decimal("2")), 83, None),  # 41.58 x 2 % = 0.8316
        (LateFee("fixed", Decimal("5.00")), 500, None),
        (LateFee("none", Decimal("0")), None, "late_fee kind is none"),
        (LateFee("percent", Decimal("0.01")), None, "the fee rounds to 0.00"),
    ],
    ids=["percent", "fixed", "none", "rounds to zero"],
)
def test_a_late_invoice_gets_its_fee_once_or_a_waiver(con, fee, fee_cents, waiver):
    late_invoice(con)
    run(con, "50_turning_late", FEB1, late_fee=fee)
    run(con, "51_late", FEB1, late_fee=fee)
    run(con, "10_owed", FEB1, late_fee=fee)
    run(con, "20_new_lines", FEB1, late_fee=fee)
    assert run(con, "55_fee_pending", FEB1, late_fee=fee) == 1
    run(con, "56_late_fees", FEB1, late_fee=fee)
    fees = rows(con, "select kind, amount_cents, ref_invoice_id, description from _new_lines")
    described = (
        "Late fee: invoice INV-2026-000001, due 24 Jan 2026, was still unpaid after the grace "
        "period"
    )
    assert fees == ([("late_fee", fee_cents, 1, described)] if fee_cents else [])
    assert rows(con, "select reason from ledger.late_fee_waivers") == (
        [(waiver,)] if waiver else []
    )


def test_an_overpayment_becomes_credit_balance_that_pays_the_next_invoices_in_order(con):
    """100.00 paid on 75.00 leaves 25.00; it pays 20.00 of the first new invoice and 5.00
    of the second."""
    issued(con, 1, "INV-2026-000001", JAN10, tax_cents=1500)
    line(con, 1, "O1", "2026-01-01", 6000)
    insert(
        con, "staging.stg_inputs__payments", payment_id="P1",
        invoice_number="INV-2026-000001", amount_cents=10000, currency="EUR",
        received_date=date(2026, 1, 12),
    )  # fmt: skip
    day = date(2026, 1, 12)
    assert run(con, "70_arising_scope", day) == 1
    run(con, "71_balance_arising", day)
    assert rows(con, "select customer_id, invoice_id, amount_cents from ledger.balance_events") == [
        ("C1", 1, 2500)
    ]
    feb = date(2026, 2, 1)
    for invoice_id, cents in ((2, 2000), (3, 3000)):
        issued(con, invoice_id, f"INV-2026-00000{invoice_id}", feb)
        line(con, invoice_id, "O1", f"2026-02-0{invoice_id}", cents, tax_rate="0")
    run(con, "75_balance_applied", feb)
    assert rows(
        con, "select application_id, invoice_id, amount_cents from ledger.balance_applications"
    ) == [(1, 2, 2000), (2, 3, 500)]


def test_statuses_are_recorded_only_when_they_change_with_their_cause(con):
    issued(con, 1, "INV-2026-000001", JAN10, tax_cents=1500)
    line(con, 1, "O1", "2026-01-01", 6000)
    issued(con, 2, "INV-2026-000002", JAN10)
    line(con, 2, "O2", "2026-01-01", 6000, tax_rate="0")
    line(con, 2, "O2", "2026-01-01", -6000, kind="discount", tax_rate="0")
    scope = "select invoice_id from ledger.invoices"
    ledger.record_statuses(con, JAN10, scope)
    ledger.record_statuses(con, date(2026, 1, 11), scope)
    insert(
        con, "ledger.collected_payments", payment_id="pi_1", invoice_id=1, amount_cents=7500,
        currency="EUR", received_date=date(2026, 1, 12),
    )  # fmt: skip
    ledger.record_statuses(con, date(2026, 1, 12), scope)
    assert rows(
        con,
        "select history_id, invoice_id, status_date, status, cause "
        "from ledger.invoice_status_history order by history_id",
    ) == [
        (1, 1, JAN10, "open", "issued"),
        (2, 2, JAN10, "paid", "zero total"),
        (3, 1, date(2026, 1, 12), "paid", "payment"),
    ]


def test_every_sql_file_is_run_by_the_engine_and_documented():
    """A SQL file nothing runs is a rule nobody applies; each names what it reads and
    writes."""
    from fiberbill import admin, documents, summary
    from fiberbill.collection import collector
    from fiberbill.portal import snapshot
    from fiberbill.samples import generator
    from tests.support.inputs import REPO

    engine = "\n".join(p.read_text() for p in (REPO / "fiberbill").rglob("*.py"))
    folders = {p.parent for p in (REPO / "fiberbill").rglob("*.sql")}
    every = (
        ledger.STEPS,
        collector.SQL,
        admin.SQL,
        generator.SQL,
        documents.SQL,
        summary.SQL,
        snapshot.SQL,
    )
    assert folders == {files.folder for files in every}
    for files in every:
        assert files.names()
        for name in files.names():
            assert f'"{name}"' in engine, name
            header = (files.folder / f"{name}.sql").read_text().split("\n\n")[0]
            assert "Reads:" in header and "Writes:" in header, name


@pytest.mark.parametrize(("catch_up", "status"), [(True, "paid"), (False, "open")])
def test_the_first_day_of_a_call_catches_up_payments_received_before_it(con, catch_up, status):
    """A payment received Jan 12 but loaded by a call whose first day is Jan 15 is seen on
    Jan 15 only when that day catches up."""
    issued(con, 1, "INV-2026-000001", JAN10)
    line(con, 1, "O1", "2026-01-10", 5000, tax_rate="0")
    ledger.record_statuses(con, JAN10, "select invoice_id from ledger.invoices")
    insert(
        con, "staging.stg_inputs__payments", payment_id="P1",
        invoice_number="INV-2026-000001", amount_cents=5000, currency="EUR",
        received_date=date(2026, 1, 12),
    )  # fmt: skip
    con.execute("create or replace temp table _invoices (invoice_id bigint)")
    ledger.record_statuses(con, date(2026, 1, 15), "80_touched_today", catch_up=catch_up)
    assert rows(
        con, "select status from ledger.invoice_status_history order by history_id desc limit 1"
    ) == [(status,)]


def test_a_manual_payment_counts_only_for_an_invoice_issued_by_then_in_its_currency(con):
    """One rule for the run days and for marts.rejected_rows (ledger.manual_payment_checks)."""
    issued(con, 1, "INV-2026-000001", JAN10)
    for payment_id, currency, received in (
        ("P1", "EUR", date(2026, 1, 12)),
        ("P2", "EUR", date(2026, 1, 5)),
        ("P3", "USD", date(2026, 1, 12)),
    ):
        insert(
            con, "staging.stg_inputs__payments", payment_id=payment_id,
            invoice_number="INV-2026-000001", amount_cents=1000, currency=currency,
            received_date=received,
        )  # fmt: skip
    assert rows(
        con, "select payment_id, rejection_reason from ledger.manual_payment_checks order by 1"
    ) == [
        ("P1", None),
        ("P2", "invoice_number: no invoice 'INV-2026-000001' issued by 2026-01-05"),
        ("P3", "currency: 'USD' differs from invoice 'INV-2026-000001' in EUR"),
    ]
    assert (
        rows(con, "select invoice_id, amount_cents from ledger.valid_payments(DATE '2026-01-11')")
        == []
    )
    assert rows(
        con, "select invoice_id, amount_cents from ledger.valid_payments(DATE '2026-01-12')"
    ) == [(1, 1000)]
