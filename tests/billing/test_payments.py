"""Manual payments: seen on their received day, checked against the ledger that day."""

from __future__ import annotations

from fiberbill.cli import main
from tests.support.inputs import run_args, write_table
from tests.support.marts import Marts, run
from tests.support.scenario import write_scenario

# CA's first invoice INV-2026-000001 (Jan 10, 141.58 EUR); CH's Feb invoice (25.03 EUR)
PAYMENTS = [
    {
        "payment_id": "PAY1",
        "invoice_number": "INV-2026-000001",
        "amount": "141.58",
        "currency": "EUR",
        "received_at": "2026-01-20",
        "method": "bank_transfer",
    },
    {
        "payment_id": "PAY2",
        "invoice_number": "INV-2026-000999",
        "amount": "10.00",
        "currency": "EUR",
        "received_at": "2026-01-20",
        "method": "bank_transfer",
    },
    {
        "payment_id": "PAY3",
        "invoice_number": "INV-2026-000002",
        "amount": "141.58",
        "currency": "USD",
        "received_at": "2026-01-20",
        "method": "bank_transfer",
    },
    {
        "payment_id": "PAY4",
        "invoice_number": "INV-2026-000003",
        "amount": "100.00",
        "currency": "EUR",
        "received_at": "2026-01-05",
        "method": "bank_transfer",
    },
    {
        "payment_id": "PAY5",
        "invoice_number": "INV-2026-000003",
        "amount": "100.00",
        "currency": "EUR",
        "received_at": "2026-01-25",
        "method": "bank_transfer",
    },
]


def test_payments_pay_invoices_and_bad_ones_are_rejected(tmp_path):
    """PAY1 pays CA's 141.58 in full: paid. PAY5 pays 100.00 of CC's 141.58: open, 41.58
    due. PAY2 names no invoice, PAY3 is in the wrong currency and PAY4 arrives before its
    invoice was issued (Jan 10): all three are rejected."""
    folder = write_scenario(tmp_path / "data")
    write_table(folder, "payments", PAYMENTS)
    run(folder, tmp_path / "wh.duckdb", through="2026-01-31")
    marts = Marts(tmp_path / "wh.duckdb")
    assert marts.rows(
        "select invoice_number, customer_id, amount_paid, amount_due, status "
        "from marts.invoices where invoice_number in "
        "('INV-2026-000001', 'INV-2026-000003') order by 1"
    ) == [
        ("INV-2026-000001", "CA", "141.58", "0.00", "paid"),
        ("INV-2026-000003", "CC", "100.00", "41.58", "open"),
    ]
    assert marts.rows("select payment_id, amount, source from marts.payments order by 1") == [
        ("PAY1", "141.58", "manual"),
        ("PAY5", "100.00", "manual"),
    ]
    assert marts.rows(
        "select file, row_number, reason from marts.rejected_rows order by row_number"
    ) == [
        ("payments.csv", "2", "invoice_number: no invoice 'INV-2026-000999' issued by 2026-01-20"),
        ("payments.csv", "3", "currency: 'USD' differs from invoice 'INV-2026-000002' in EUR"),
        ("payments.csv", "4", "invoice_number: no invoice 'INV-2026-000003' issued by 2026-01-05"),
    ]


def test_a_payment_received_after_the_last_run_day_is_not_seen_yet(tmp_path):
    folder = write_scenario(tmp_path / "data")
    write_table(folder, "payments", [{**PAYMENTS[0], "received_at": "2026-02-05"}])
    run(folder, tmp_path / "wh.duckdb", through="2026-01-31")
    marts = Marts(tmp_path / "wh.duckdb")
    assert marts.rows("select count(*) from marts.payments") == [("0",)]
    assert marts.rows("select count(*) from marts.rejected_rows") == [("0",)]


def test_payments_delivered_after_their_day_was_billed_settle_without_a_new_day(tmp_path):
    """Jan 31 is billed; then the bank's statement arrives: CA paid 150.00 on Jan 20 for
    its 141.58 invoice. A call through Jan 31 again (no new run day) settles it on Jan 31:
    paid, with 8.42 of credit balance, which pays part of the Feb 1 invoice."""
    folder = write_scenario(tmp_path / "data")
    warehouse = tmp_path / "wh.duckdb"
    run(folder, warehouse, through="2026-01-31")
    write_table(folder, "payments", [{**PAYMENTS[0], "amount": "150.00"}])
    run(folder, warehouse, through="2026-01-31")
    marts = Marts(warehouse)
    assert marts.rows(
        "select amount_paid, amount_due, status from marts.invoices "
        "where invoice_number = 'INV-2026-000001'"
    ) == [("150.00", "0.00", "paid")]
    assert marts.rows(
        "select h.status_date, h.status from ledger.invoice_status_history as h "
        "join ledger.invoice_documents as d using (invoice_id) "
        "where d.invoice_number = 'INV-2026-000001' order by h.history_id"
    ) == [("2026-01-10", "open"), ("2026-01-31", "paid")]
    run(folder, warehouse, through="2026-02-05")
    assert marts.rows(
        "select issue_date, amount_paid, amount_due, status from marts.invoices "
        "where customer_id = 'CA' order by invoice_number"
    ) == [
        ("2026-01-10", "150.00", "0.00", "paid"),
        ("2026-02-01", "8.42", "51.58", "open"),
    ]


def test_strict_fails_on_a_rejected_payment_and_writes_nothing(tmp_path):
    folder = write_scenario(tmp_path / "data")
    write_table(folder, "payments", PAYMENTS[1:2])
    warehouse = tmp_path / "wh.duckdb"
    assert main(run_args(folder, warehouse, "--strict", through="2026-01-31")) == 2
    assert not warehouse.exists()


def test_an_overpayment_becomes_credit_balance_that_pays_the_next_invoice(tmp_path):
    """CA pays 150.00 on Jan 20 for its 141.58 invoice: 8.42 of credit balance arises that
    day and pays the Feb 1 invoice (60.00) in part: a credit_balance payment of 8.42,
    51.58 still due."""
    folder = write_scenario(tmp_path / "data")
    write_table(folder, "payments", [{**PAYMENTS[0], "amount": "150.00"}])
    run(folder, tmp_path / "wh.duckdb", through="2026-02-05")
    marts = Marts(tmp_path / "wh.duckdb")
    assert marts.rows(
        "select issue_date, amount_paid, amount_due, status from marts.invoices "
        "where customer_id = 'CA' order by invoice_number"
    ) == [
        ("2026-01-10", "150.00", "0.00", "paid"),
        ("2026-02-01", "8.42", "51.58", "open"),
    ]
    assert marts.rows(
        "select invoice_number, amount, method, source from marts.payments "
        "where source = 'credit_balance'"
    ) == [("INV-2026-000008", "8.42", "credit_balance", "credit_balance")]


def test_a_credit_note_on_a_paid_invoice_and_a_payment_to_a_void_one_become_balance(tmp_path):
    """CB pays its 60.00 March invoice on Mar 10; the Mar 20 termination credits 23.23 beyond
    what it still owes: 23.23 of balance. CK pays 139.71 on Feb 15 to its invoice voided on
    Feb 12: all 139.71 becomes balance. Neither has a later invoice to pay."""
    folder = write_scenario(tmp_path / "data")
    write_table(
        folder,
        "payments",
        [
            {
                "payment_id": "PB",
                "invoice_number": "INV-2026-000019",
                "amount": "60.00",
                "currency": "EUR",
                "received_at": "2026-03-10",
                "method": "bank_transfer",
            },
            {
                "payment_id": "PK",
                "invoice_number": "INV-2026-000014",
                "amount": "139.71",
                "currency": "EUR",
                "received_at": "2026-02-15",
                "method": "bank_transfer",
            },
        ],
    )
    run(folder, tmp_path / "wh.duckdb", through="2026-03-31")
    marts = Marts(tmp_path / "wh.duckdb")
    assert marts.rows(
        "select invoice_number, customer_id, issue_date, total from marts.invoices "
        "where invoice_number in ('INV-2026-000014', 'INV-2026-000019') order by 1"
    ) == [
        ("INV-2026-000014", "CK", "2026-02-10", "139.71"),
        ("INV-2026-000019", "CB", "2026-03-01", "60.00"),
    ]
    assert marts.rows(
        "select customer_id, run_date, amount_cents from ledger.balance_events order by run_date"
    ) == [("CK", "2026-02-15", "13971"), ("CB", "2026-03-20", "2323")]
