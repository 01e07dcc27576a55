"""Invoice lifecycle without Stripe: late status and late fees, the status history,
finalizing drafts, writing off, marts.customers and the receivables ageing.

Every customer below has Monthly 60.00 with a start fee of 99.00, activated Jan 10 2026:
the first invoice (Jan 10) is 99.00 + 22/31 x 60 = 141.58, due Jan 24 (14 days); with
grace_days 7 it turns late on Feb 1 if it still owes money then. The Feb 1 invoice (60.00)
is due Feb 15 and turns late on Feb 23.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from fiberbill.cli import main
from tests.support.inputs import MINIMAL, write_table
from tests.support.marts import Marts, run

CUSTOMERS = {
    "LA": "never pays",
    "LB": "pays 100.00 on Jan 20: 41.58 still owed when it turns late",
    "LC": "pays in full on Feb 1, the day it would turn late",
    "LD": "pays in full on Feb 2, a day after it turned late",
    "LE": "terminated Feb 1 (recorded Jan 10): its only later invoice is the late fee",
}
PAYMENTS = [
    ("LB", "100.00", "2026-01-20"),
    ("LC", "141.58", "2026-02-01"),
    ("LD", "141.58", "2026-02-02"),
]


def write_network(folder, settings: str, payments=PAYMENTS, methods=()):
    folder.mkdir(parents=True, exist_ok=True)
    write_table(folder, "providers", MINIMAL["providers"])
    write_table(folder, "products", MINIMAL["products"])
    write_table(
        folder,
        "customers",
        [
            {"customer_id": c, "name": note, "collection_method": "auto" if c == "LA" else "manual"}
            for c, note in CUSTOMERS.items()
        ],
    )
    write_table(
        folder,
        "orders",
        [
            {
                "order_id": f"O{c}",
                "customer_id": c,
                "product_id": "PR1",
                "connection_id": f"K{c}",
                "ordered_at": "2026-01-05",
            }
            for c in CUSTOMERS
        ],
    )
    write_table(
        folder,
        "activation_events",
        [
            {
                "event_id": f"E{c}",
                "order_id": f"O{c}",
                "event": "activated",
                "occurred_at": "2026-01-10",
            }
            for c in CUSTOMERS
        ],
    )
    write_table(
        folder,
        "order_events",
        [
            {
                "order_id": "OLE",
                "event": "terminated",
                "effective_at": "2026-02-01",
                "recorded_at": "2026-01-10",
            }
        ],
    )
    # invoice numbers of Jan 10 follow customer_id order: LA 000001 ... LE 000005
    number = {c: f"INV-2026-{i:06d}" for i, c in enumerate(CUSTOMERS, 1)}
    if payments:
        write_table(
            folder,
            "payments",
            [
                {
                    "payment_id": f"PAY-{c}",
                    "invoice_number": number[c],
                    "amount": amount,
                    "currency": "EUR",
                    "received_at": at,
                    "method": "bank_transfer",
                }
                for c, amount, at in payments
            ],
        )
    if methods:
        write_table(folder, "payment_methods", list(methods))
    (folder / "settings.toml").write_text(settings, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def fixed(tmp_path_factory) -> Marts:
    base = tmp_path_factory.mktemp("fixed")
    folder = write_network(base / "data", 'late_fee = { kind = "fixed", value = 5.00 }\n')
    run(folder, base / "wh.duckdb", through="2026-03-10")
    return Marts(base / "wh.duckdb")


def history(marts: Marts, customer: str, number: str) -> list[tuple]:
    return marts.rows(
        "select h.status_date, h.status, h.cause from ledger.invoice_status_history h "
        "join ledger.invoice_documents d using (invoice_id) "
        "where d.customer_id = ? and d.invoice_number = ? order by h.history_id",
        [customer, number],
    )


def test_an_unpaid_invoice_turns_late_after_grace_and_gets_one_fixed_fee(fixed):
    """LA: late on Feb 1; a 5.00 late_fee line, untaxed, on the Feb 1 invoice (60.00 +
    5.00). The Feb 1 invoice turns late on Feb 23 and gets its own fee invoice (5.00)."""
    assert fixed.invoices("LA") == [
        ("2026-01-10", "141.58", "0.00", "0.00", "141.58", "late"),
        ("2026-02-01", "65.00", "0.00", "0.00", "65.00", "late"),
        ("2026-02-23", "5.00", "0.00", "0.00", "5.00", "open"),
        ("2026-03-01", "60.00", "0.00", "0.00", "60.00", "open"),
    ]
    fees = fixed.rows(
        "select invoice_number, kind, amount, tax_rate, ref_invoice_number, order_id "
        "from marts.invoice_lines where customer_id = 'LA' and kind = 'late_fee' "
        "order by invoice_number"
    )
    assert fees == [
        ("INV-2026-000006", "late_fee", "5.00", "0.000000", "INV-2026-000001", None),
        ("INV-2026-000011", "late_fee", "5.00", "0.000000", "INV-2026-000006", None),
    ]
    assert history(fixed, "LA", "INV-2026-000001") == [
        ("2026-01-10", "open", "issued"),
        ("2026-02-01", "late", "overdue"),
    ]


def test_partial_payment_still_turns_late(fixed):
    assert fixed.invoices("LB")[0] == ("2026-01-10", "141.58", "0.00", "0.00", "141.58", "late")
    assert fixed.rows(
        "select amount_paid, amount_due from marts.invoices where invoice_number = ?",
        ["INV-2026-000002"],
    ) == [("100.00", "41.58")]


def test_paid_on_the_day_it_would_turn_late_is_never_late(fixed):
    assert history(fixed, "LC", "INV-2026-000003") == [
        ("2026-01-10", "open", "issued"),
        ("2026-02-01", "paid", "payment"),
    ]
    assert fixed.rows(
        "select count(*) from marts.invoice_lines where ref_invoice_number = 'INV-2026-000003'"
    ) == [("0",)]


def test_paid_after_turning_late_is_paid_and_keeps_its_fee(fixed):
    assert history(fixed, "LD", "INV-2026-000004") == [
        ("2026-01-10", "open", "issued"),
        ("2026-02-01", "late", "overdue"),
        ("2026-02-02", "paid", "payment"),
    ]
    assert [r for r in fixed.lines("LD") if r[1] == "late_fee"][0] == (
        "2026-02-01",
        "late_fee",
        None,
        None,
        None,
        None,
        "5.00",
    )


def test_an_invoice_of_only_late_fees_gets_no_late_fee(fixed):
    """LE's service ended Feb 1, so its Feb 1 invoice holds only the 5.00 fee; that invoice
    turns late on Feb 23 without a fee of its own."""
    assert fixed.invoices("LE") == [
        ("2026-01-10", "141.58", "0.00", "0.00", "141.58", "late"),
        ("2026-02-01", "5.00", "0.00", "0.00", "5.00", "late"),
    ]
    assert fixed.rows(
        "select w.reason from ledger.late_fee_waivers w join ledger.invoice_documents d "
        "using (invoice_id) where d.customer_id = 'LE'"
    ) == [("the invoice holds only late fees",)]


def test_customers_mart_and_ageing(fixed):
    """As of Mar 10, LA owes 141.58 (due Jan 24: 45 days past) and 65.00 (due Feb 15: 23
    days), both late, and 5.00 (due Mar 9: 1 day) and 60.00 (due Mar 15), both open."""
    rows = fixed.rows(
        "select customer_id, currency, open_invoices, late_invoices, outstanding_amount, "
        "credit_balance, payment_status from marts.customers order by customer_id"
    )
    assert rows[0] == ("LA", "EUR", "2", "2", "271.58", "0.00", "late")
    assert rows[2] == ("LC", "EUR", "2", "1", "125.00", "0.00", "late")
    ageing = fixed.rows(
        "select as_of_date, current_amount, past_due_1_30, past_due_31_60, past_due_61_90, "
        "past_due_over_90, total_outstanding from marts.receivables_ageing "
        "where customer_id = 'LA'"
    )
    assert ageing == [("2026-03-10", "60.00", "70.00", "141.58", "0.00", "0.00", "271.58")]


def test_percent_late_fee_is_a_share_of_what_is_still_owed(tmp_path):
    """2.5 % of LB's 41.58 = 1.0395 -> 1.04; of 141.58 (LA, LD, LE) = 3.5395 -> 3.54."""
    folder = write_network(tmp_path / "data", 'late_fee = { kind = "percent", value = 2.5 }\n')
    run(folder, tmp_path / "wh.duckdb", through="2026-02-01")
    marts = Marts(tmp_path / "wh.duckdb")
    assert marts.rows(
        "select customer_id, amount, ref_invoice_number from marts.invoice_lines "
        "where kind = 'late_fee' order by customer_id"
    ) == [
        ("LA", "3.54", "INV-2026-000001"),
        ("LB", "1.04", "INV-2026-000002"),
        ("LD", "3.54", "INV-2026-000004"),
        ("LE", "3.54", "INV-2026-000005"),
    ]


def test_no_late_fee_when_kind_is_none_but_still_late(tmp_path):
    folder = write_network(tmp_path / "data", 'late_fee = { kind = "none" }\n')
    run(folder, tmp_path / "wh.duckdb", through="2026-02-01")
    marts = Marts(tmp_path / "wh.duckdb")
    assert marts.rows("select count(*) from marts.invoice_lines where kind = 'late_fee'") == [
        ("0",)
    ]
    assert marts.rows("select count(*) from marts.invoices where status = 'late'") == [("4",)]


def cli(*args) -> int:
    return main([str(a) for a in args])


def test_drafts_are_finalized_with_gapless_numbers_then_written_off(tmp_path, capsys):
    folder = write_network(
        tmp_path / "data", "auto_finalize = false\n", payments=[("LB", "10.00", "2026-01-20")]
    )
    warehouse = tmp_path / "wh.duckdb"
    run(folder, warehouse, through="2026-01-15")
    marts = Marts(warehouse)
    drafts = marts.rows(
        "select draft_id, customer_id, status, invoice_number from marts.invoices "
        "order by customer_id"
    )
    assert [(c, s, n) for _, c, s, n in drafts] == [(c, "draft", None) for c in CUSTOMERS]
    # finalize two named drafts, then the rest; numbers follow (customer_id, currency)
    assert cli("invoices", "finalize", drafts[3][0], drafts[1][0], "--warehouse", warehouse) == 0
    assert cli("invoices", "finalize", "--all", "--warehouse", warehouse) == 0
    assert marts.rows(
        "select customer_id, invoice_number, issue_date, due_date, status from marts.invoices "
        "order by invoice_number"
    ) == [
        ("LB", "INV-2026-000001", "2026-01-15", "2026-01-29", "open"),
        ("LD", "INV-2026-000002", "2026-01-15", "2026-01-29", "open"),
        ("LA", "INV-2026-000003", "2026-01-15", "2026-01-29", "open"),
        ("LC", "INV-2026-000004", "2026-01-15", "2026-01-29", "open"),
        ("LE", "INV-2026-000005", "2026-01-15", "2026-01-29", "open"),
    ]
    assert history(marts, "LB", "INV-2026-000001") == [
        ("2026-01-10", "draft", "created"),
        ("2026-01-15", "open", "finalized"),
    ]
    assert cli("invoices", "finalize", "DRAFT-00000999", "--warehouse", warehouse) == 2
    assert "DRAFT-00000999: no such draft" in capsys.readouterr().err

    assert (
        cli(
            "invoices",
            "write-off",
            "INV-2026-000003",
            "--reason",
            "moved away",
            "--warehouse",
            warehouse,
        )
        == 0
    )
    assert marts.rows(
        "select status, amount_due from marts.invoices where invoice_number = 'INV-2026-000003'"
    ) == [("uncollectible", "0.00")]
    assert history(marts, "LA", "INV-2026-000003")[-1] == (
        "2026-01-15",
        "uncollectible",
        "written off: moved away",
    )
    assert (
        cli(
            "invoices",
            "write-off",
            "INV-2026-000003",
            "--reason",
            "again",
            "--warehouse",
            warehouse,
        )
        == 2
    )
    assert "is uncollectible; only open or late" in capsys.readouterr().err

    # the next run goes on: the written-off invoice never turns late and gets no fee; the
    # others turn late on Feb 6 (due Jan 29 + 7). The 10.00 payment names INV-2026-000002,
    # which finalization gave to LD.
    run(folder, warehouse, through="2026-02-06")
    assert marts.rows(
        "select invoice_number, status, amount_paid, amount_due from marts.invoices "
        "where issue_date = '2026-01-15' order by invoice_number"
    ) == [
        ("INV-2026-000001", "late", "0.00", "141.58"),
        ("INV-2026-000002", "late", "10.00", "131.58"),
        ("INV-2026-000003", "uncollectible", "0.00", "0.00"),
        ("INV-2026-000004", "late", "0.00", "141.58"),
        ("INV-2026-000005", "late", "0.00", "141.58"),
    ]
    assert marts.rows(
        "select ref_invoice_number from marts.invoice_lines where kind = 'late_fee' "
        "order by ref_invoice_number"
    ) == [("INV-2026-000001",), ("INV-2026-000002",), ("INV-2026-000004",), ("INV-2026-000005",)]

    # several numbers are written off together, or none: one that is not late or open
    # refuses the lot
    off = ("invoices", "write-off", "--reason", "bankrupt", "--warehouse", warehouse)
    assert cli(*off, "INV-2026-000004", "INV-2026-000003") == 2
    assert "INV-2026-000003: is uncollectible" in capsys.readouterr().err
    assert cli(*off, "INV-2026-000004", "INV-2026-000005") == 0
    assert marts.rows(
        "select invoice_number, status, amount_due from marts.invoices "
        "where invoice_number in ('INV-2026-000004', 'INV-2026-000005', 'INV-2026-000001') "
        "order by invoice_number"
    ) == [
        ("INV-2026-000001", "late", "141.58"),
        ("INV-2026-000004", "uncollectible", "0.00"),
        ("INV-2026-000005", "uncollectible", "0.00"),
    ]


METHODS = [
    {
        "payment_method_id": "PM-LA",
        "customer_id": "LA",
        "type": "card",
        "status": "active",
        "is_default": "true",
        "stripe_payment_method_id": "pm_la",
    },
    {
        "payment_method_id": "PM-LB",
        "customer_id": "LB",
        "type": "sepa_debit",
        "status": "expired",
        "is_default": "true",
        "stripe_payment_method_id": "pm_lb",
    },
    {
        "payment_method_id": "PM-LC1",
        "customer_id": "LC",
        "type": "card",
        "status": "revoked",
        "is_default": "true",
        "stripe_payment_method_id": "pm_lc1",
    },
    {
        "payment_method_id": "PM-LC2",
        "customer_id": "LC",
        "type": "us_bank_account",
        "status": "active",
        "is_default": "false",
        "stripe_payment_method_id": "pm_lc2",
    },
]


@pytest.fixture(scope="module")
def listed(tmp_path_factory):
    base = tmp_path_factory.mktemp("listed")
    folder = write_network(base / "data", 'late_fee = { kind = "none" }\n', methods=METHODS)
    write_table(
        folder,
        "customers",
        [
            {"customer_id": c, "name": note, "collection_method": "auto" if c == "LA" else "manual"}
            for c, note in CUSTOMERS.items()
        ]
        + [{"customer_id": "LZ", "name": "no orders", "collection_method": "auto"}],
    )
    run(folder, base / "wh.duckdb", through="2026-02-05")
    return base / "wh.duckdb"


def listing(capsys, *args) -> list[dict]:
    assert cli(*args, "--format", "json") == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), 9),
        (("--status", "late"), 3),
        (("--status", "paid", "open"), 6),
        (("--customer", "LD"), 2),
        (("--provider", "P1"), 9),
        (("--provider", "P9"), 0),
        (("--method", "card"), 2),
        (("--method", "us_bank_account"), 2),
        (("--method", "sepa_debit"), 0),
        (("--method", "none"), 5),
        (("--issued-from", "2026-02-01"), 4),
        (("--issued-to", "2026-01-31"), 5),
        (("--issued-from", "2026-01-11", "--issued-to", "2026-01-31"), 0),
        (("--status", "late", "--customer", "LA"), 1),
    ],
)
def test_invoices_list_filters(listed, capsys, args, expected):
    """As of Feb 5: the Jan 10 invoices of LA, LB and LE are late, LC's and LD's paid; four
    Feb 1 invoices are open (LE's service ended Feb 1)."""
    rows = listing(capsys, "invoices", "list", *args, "--warehouse", listed)
    assert len(rows) == expected
    if "--customer" in args:
        assert {r["customer_id"] for r in rows} == {args[args.index("--customer") + 1]}
    if "--status" in args:
        wanted = set(args[args.index("--status") + 1 :]) - {"--customer", "LA"}
        assert {r["status"] for r in rows} <= wanted


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), ["LA", "LB", "LC", "LD", "LE", "LZ"]),
        (("--payment-status", "late"), ["LA", "LB", "LE"]),
        (("--payment-status", "outstanding"), ["LC", "LD"]),
        (("--payment-status", "no_invoices"), ["LZ"]),
        (("--payment-status", "current", "no_invoices"), ["LZ"]),
        (("--has-payment-method", "yes"), ["LA", "LC"]),
        (("--has-payment-method", "no"), ["LB", "LD", "LE", "LZ"]),
        (("--collection", "auto"), ["LA", "LZ"]),
        (("--collection", "manual", "--has-payment-method", "yes"), ["LC"]),
    ],
)
def test_customers_list_filters(listed, capsys, args, expected):
    rows = listing(capsys, "customers", "list", *args, "--warehouse", listed)
    assert [r["customer_id"] for r in rows] == expected


def test_customers_mart_row_details(listed, capsys):
    rows = {
        r["customer_id"]: r for r in listing(capsys, "customers", "list", "--warehouse", listed)
    }
    assert rows["LZ"]["currency"] is None and rows["LZ"]["payment_status"] == "no_invoices"
    assert rows["LC"]["default_payment_method_type"] == "us_bank_account"
    assert rows["LB"]["default_payment_method_type"] is None
    assert rows["LA"]["outstanding_amount"] == "201.58"  # 141.58 late + 60.00 open


def test_list_formats(listed, capsys):
    args = ("--customer", "LA", "--sort", "number", "--format", "csv")
    assert cli("invoices", "list", *args, "--warehouse", listed) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("invoice_number,draft_id,customer_id")
    assert out[1].startswith("INV-2026-000001,DRAFT-00000001,LA,EUR,2026-01-10,2026-01-24,141.58")
    assert cli("invoices", "list", "--customer", "LA", "--warehouse", listed) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["invoice_number", "draft_id", "customer_id"]
    assert table[-1] == "(2 rows)"


def test_a_bare_list_is_the_newest_50_as_a_table_with_numbers_right_aligned(listed, capsys):
    assert cli("invoices", "list", "--limit", "2", "--warehouse", listed) == 0
    table = capsys.readouterr().out.splitlines()
    header, rows, last = table[0], table[2:-1], table[-1]
    assert last == "(2 of 9 rows; 7 more: --limit 0 shows all)"
    assert [row.split()[0] for row in rows] == ["INV-2026-000009", "INV-2026-000008"]
    end = header.index("total") + len("total")  # right-aligned: values end where it ends
    assert all(row[end - 1].isdigit() and row[end] == " " for row in rows), table
    assert cli("invoices", "list", "--warehouse", listed) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "(9 rows)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("invoices", "list", "--issued-from", "2026-02-01", "--issued-to", "2026-01-31"),
         "--issued-from 2026-02-01 is after --issued-to 2026-01-31"),
        (("invoices", "list", "--status", "overdue"), "invalid choice: 'overdue'"),
        (("invoices", "list", "--limit", "-1"), "not a whole number >= 0: '-1'"),
    ],
)  # fmt: skip
def test_list_arguments_that_cannot_be_right_exit_2_with_one_line(listed, capsys, args, message):
    try:
        code = cli(*args, "--warehouse", listed)
    except SystemExit as usage:  # argparse's own errors
        code = usage.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_filters_take_any_case_and_lists_sort_as_asked(listed, capsys):
    rows = listing(capsys, "invoices", "list", "--status", "LATE", "Paid", "--warehouse", listed)
    assert {r["status"] for r in rows} == {"late", "paid"} and len(rows) == 5
    rows = listing(capsys, "invoices", "list", "--sort", "amount_due", "--warehouse", listed)
    dues = [Decimal(r["amount_due"]) for r in rows]
    assert dues == sorted(dues, reverse=True)
    rows = listing(capsys, "customers", "list", "--collection", "AUTO", "--warehouse", listed)
    assert [r["customer_id"] for r in rows] == ["LA", "LZ"]


def test_list_help_names_every_valid_value(capsys):
    for command, values in (
        (("invoices", "list"), ["draft, open, paid, late, void, uncollectible", "sepa_debit"]),
        (("customers", "list"), ["no_invoices, current, outstanding, late", "auto"]),
    ):
        with pytest.raises(SystemExit):
            cli(*command, "--help")
        text = " ".join(capsys.readouterr().out.split())
        for value in values + ["--limit N", "--sort", "table (default), csv or json"]:
            assert value in text, (command, value)


def test_a_file_that_is_not_a_warehouse_is_exit_2_and_the_version_is_known(tmp_path, capsys):
    bogus = tmp_path / "notes.duckdb"
    bogus.write_text("not a database")
    assert cli("invoices", "list", "--warehouse", bogus) == 2
    assert capsys.readouterr().err.strip() == f"fiberbill: error: {bogus}: not a DuckDB warehouse"
    with pytest.raises(SystemExit) as done:
        cli("--version")
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == "fiberbill 0.1.0"


def test_a_list_piped_into_a_reader_that_stops_early_exits_quietly(listed):
    command = [str(Path(sys.executable).with_name("fiberbill")), "invoices", "list"]
    reader = subprocess.Popen(
        [*command, "--limit", "0", "--warehouse", str(listed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    reader.stdout.readline()  # like `| head -1`
    reader.stdout.close()
    assert reader.wait(timeout=60) == 0
    assert reader.stderr.read() == b""


def test_the_late_fee_waits_while_a_debit_is_processing(tmp_path):
    """LA's Jan 10 invoice turns late on Feb 1 while a SEPA debit for it is processing (as
    Stripe collection records it in ledger.payment_attempts): late, but no fee. The debit
    fails on Feb 4, so the fee is charged that day, on the Feb 4 invoice."""
    folder = write_network(tmp_path / "data", 'late_fee = { kind = "fixed", value = 5.00 }\n')
    warehouse = tmp_path / "wh.duckdb"
    run(folder, warehouse, through="2026-01-31")

    def attempt(event_id: int, status: str, day: str) -> None:
        with duckdb.connect(str(warehouse)) as con:
            con.execute(
                "insert into ledger.payment_attempts select ?, 'INV-2026-000001/1', "
                "invoice_id, 1, 'sepa_debit', 'pi_test', ?, null, 14158, ?, null "
                "from ledger.invoice_documents where invoice_number = 'INV-2026-000001'",
                [event_id, status, day],
            )

    attempt(1, "processing", "2026-01-25")
    run(folder, warehouse, through="2026-02-03")
    marts = Marts(warehouse)
    fees = (
        "select i.issue_date, l.amount from marts.invoice_lines l join marts.invoices i "
        "using (draft_id) where l.ref_invoice_number = 'INV-2026-000001'"
    )
    assert marts.rows(
        "select status from marts.invoices where invoice_number = 'INV-2026-000001'"
    ) == [("late",)]
    assert marts.rows(fees) == []
    attempt(2, "failed", "2026-02-04")
    run(folder, warehouse, through="2026-02-04")
    assert marts.rows(fees) == [("2026-02-04", "5.00")]
