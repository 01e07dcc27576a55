"""The finance marts on the golden scenario (tests/support/scenario.py), to the cent.

MRR is the monthly list price of each operator-billed order in service, as known that day:
- Jan 31: OA, OB, OC, OD (promotion not deducted), OE (from Jan 31), OF, OM: 7 × 60.00.
- February: CH new (+10.01 + 10.01) Feb 1; CK new (+60.00) Feb 10, its termination of Feb
  10 known Feb 12: churn −60.00 that day; CM's service off Feb 10 (churn −60.00) and on
  again Feb 20 (reactivation +60.00); CF terminated Feb 20 (churn −60.00). Feb 28:
  420.00 + 80.02 − 180.00 + 60.00 = 380.02, 8 subscriptions (CH has two).
- OL activated Mar 5 but recorded Mar 15: as known, new on Mar 15, not Mar 5.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb


def one(warehouse, sql, *params):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_mrr_and_subscriptions_at_month_ends(golden):
    rows = one(
        golden,
        "select day, mrr, active_subscriptions from marts.finance_daily "
        "where day in ('2026-01-31', '2026-02-28') order by day",
    )
    assert [(str(d), m, n) for d, m, n in rows] == [
        ("2026-01-31", Decimal("420.00"), 7),
        ("2026-02-28", Decimal("380.02"), 8),
    ]


def test_february_mrr_movement_closes_the_waterfall(golden):
    (row,) = one(
        golden,
        "select mrr_new, mrr_expansion, mrr_contraction, mrr_churn, mrr_reactivation, mrr "
        "from marts.finance_monthly where month = '2026-02' and currency = 'EUR'",
    )
    assert row == (
        Decimal("80.02"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("-180.00"),
        Decimal("60.00"),
        Decimal("380.02"),
    )


def test_late_knowledge_moves_mrr_on_the_day_it_was_known(golden):
    """OL's activation of Mar 5 was recorded Mar 15: MRR as known on Mar 5..14 is without
    it; the change is dated Mar 15."""
    rows = one(
        golden,
        "select change_date, movement, delta_cents from intermediate.int_customers__mrr_changes "
        "where customer_id = 'CL'",
    )
    assert [(str(d), m, c) for d, m, c in rows] == [("2026-03-15", "new", 6000)]


def test_invoiced_minus_credited_equals_the_documents_of_each_month(golden):
    finance = one(
        golden,
        "select month, invoiced - credited from marts.finance_monthly order by month",
    )
    documents = one(
        golden,
        "select m, sum(a) from ("
        " select strftime(issue_date, '%Y-%m') m, total a from marts.invoices"
        " where invoice_number is not null"
        " union all select strftime(issue_date, '%Y-%m'), -amount from marts.credit_notes"
        ") group by m order by m",
    )
    assert finance == documents and len(finance) == 4


def test_ageing_of_a_past_day_is_what_stood_that_day(golden):
    """The ageing of Jan 31 is the sum of the invoices that stood open or late that day in
    the as-of history; as nothing was paid by then, it is everything invoiced in January."""
    (ageing,) = one(
        golden,
        "select total_outstanding, past_due_1_30, invoices from marts.receivables_ageing_daily "
        "where as_of_date = '2026-01-31'",
    )
    (history,) = one(
        golden,
        "select sum(amount_due), count(*) from marts.invoice_standing_history "
        "where status in ('open', 'late') and amount_due > 0 and valid_from <= '2026-01-31' "
        "and (valid_to is null or '2026-01-31' < valid_to)",
    )
    assert ageing[0] == history[0] and ageing[2] == history[1]
    # nothing issued in January was paid: everything invoiced in January is still owed
    (january,) = one(golden, "select invoiced from marts.finance_monthly where month = '2026-01'")
    assert ageing[0] == january[0] == Decimal("806.61")
