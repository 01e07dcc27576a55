"""Golden cases: each customer of tests/support/scenario.py is one rule, computed by hand."""

from __future__ import annotations


def test_first_invoice_is_prorated_plus_start_fee_then_monthly(scenario):
    """Monthly 60.00, start fee 99.00, active from Jan 10: 99.00 + 22/31 x 60 = 42.58,
    total 141.58 on Jan 10; then 60.00 on the 1st of each month. Unpaid, each turns late
    on the first day after its due day + 7 grace days; the April one is still open."""
    assert scenario.invoices("CA") == [
        ("2026-01-10", "141.58", "0.00", "0.00", "141.58", "late"),
        ("2026-02-01", "60.00", "0.00", "0.00", "60.00", "late"),
        ("2026-03-01", "60.00", "0.00", "0.00", "60.00", "late"),
        ("2026-04-01", "60.00", "0.00", "0.00", "60.00", "open"),
    ]
    assert scenario.lines("CA")[:2] == [
        ("2026-01-10", "start_fee", "2026-01-10", "2026-01-10", None, None, "99.00"),
        ("2026-01-10", "recurring", "2026-01-10", "2026-01-31", "22", "31", "42.58"),
    ]


def test_a_termination_recorded_on_its_day_credits_the_unused_days(scenario):
    """Terminated Mar 20, recorded Mar 20: March was billed 60.00 on Mar 1; now owed
    19/31 x 60 = 36.77, so a termination_refund credit note of 23.23 against March."""
    assert scenario.credit_notes("CB") == [
        ("2026-03-20", "2026-03-01", "termination_refund", "23.23")
    ]
    assert [i[0] for i in scenario.invoices("CB")] == ["2026-01-10", "2026-02-01", "2026-03-01"]


def test_a_termination_known_in_advance_bills_only_the_days_before_it(scenario):
    """Recorded Feb 20, effective Mar 20: the Mar 1 invoice bills Mar 1-19 = 19/31 x 60 =
    36.77, and no credit note is ever written."""
    assert scenario.lines("CC")[-1] == (
        "2026-03-01",
        "recurring",
        "2026-03-01",
        "2026-03-19",
        "19",
        "31",
        "36.77",
    )
    assert scenario.credit_notes("CC") == []


def test_a_percent_promotion_covers_three_months_from_the_first_active_day(scenario):
    """50 % for 3 months from Jan 10, i.e. [Jan 10, Apr 10): -21.29 (half of 42.58 before
    rounding: 22/31 x 30 = 21.290), -30.00, -30.00, then 9/30 x 60 / 2 = -9.00 in April."""
    discounts = [row for row in scenario.lines("CD") if row[1] == "discount"]
    assert discounts == [
        ("2026-01-10", "discount", "2026-01-10", "2026-01-31", "22", "31", "-21.29"),
        ("2026-02-01", "discount", "2026-02-01", "2026-02-28", "28", "28", "-30.00"),
        ("2026-03-01", "discount", "2026-03-01", "2026-03-31", "31", "31", "-30.00"),
        ("2026-04-01", "discount", "2026-04-01", "2026-04-09", "9", "30", "-9.00"),
    ]
    assert scenario.invoices("CD")[0] == ("2026-01-10", "141.58", "21.29", "0.00", "120.29", "late")


def test_anniversary_periods_are_clamped_to_the_end_of_short_months(scenario):
    """Anchor Jan 31: periods Jan 31-Feb 27 (28 days), Feb 28-Mar 30 (31), Mar 31-Apr 29
    (30), each billed 60.00 on its first day."""
    assert scenario.lines("CE") == [
        ("2026-01-31", "recurring", "2026-01-31", "2026-02-27", "28", "28", "60.00"),
        ("2026-02-28", "recurring", "2026-02-28", "2026-03-30", "31", "31", "60.00"),
        ("2026-03-31", "recurring", "2026-03-31", "2026-04-29", "30", "30", "60.00"),
    ]


def test_anniversary_termination_keeps_the_paid_period_by_default(scenario):
    """Anchor Jan 15, terminated Feb 20 (recorded that day): the Feb 15-Mar 14 period stays
    billed at 60.00 (no credit), and nothing is billed after it."""
    assert [i[0] for i in scenario.invoices("CF")] == ["2026-01-15", "2026-02-15"]
    assert scenario.credit_notes("CF") == []


def test_an_exact_half_cent_rounds_away_from_zero(scenario):
    """5.35 a month, active Apr 16-30 = 15 of 30 days: 535 x 15 / 30 = 267.5 cents -> 2.68
    (a DOUBLE computation gives 2.67)."""
    assert scenario.lines("CG") == [
        ("2026-04-16", "recurring", "2026-04-16", "2026-04-30", "15", "30", "2.68")
    ]


def test_tax_is_rounded_once_per_invoice_and_rate(scenario):
    """Two lines of 10.01 at 25 %: round(20.02 x 0.25) = round(5.005) = 5.01, where rounding
    each line (2.50 + 2.50) would give 5.00. Total 25.03."""
    assert scenario.invoices("CH")[:2] == [
        ("2026-02-01", "20.02", "0.00", "5.01", "25.03", "late"),
        ("2026-03-01", "20.02", "0.00", "5.01", "25.03", "late"),
    ]


def test_an_order_never_active_for_a_whole_day_is_never_billed(scenario):
    """Activated and deactivated on Feb 5: no active day, so no start fee and no invoice."""
    assert scenario.invoices("CI") == []


def test_an_order_cancelled_before_activation_is_never_billed(scenario):
    assert scenario.invoices("CJ") == []


def test_an_unpaid_invoice_fully_reversed_is_voided_without_a_credit_note(scenario):
    """Activated Feb 10 and billed 99.00 + 19/28 x 60 = 40.71 (139.71); on Feb 12 a
    termination effective Feb 10 is recorded: the order was never active, all is reversed,
    and the unpaid invoice is voided (amount due 0), with no credit note."""
    assert scenario.invoices("CK") == [("2026-02-10", "139.71", "0.00", "0.00", "139.71", "void")]
    assert scenario.rows("select amount_due from marts.invoices where customer_id = 'CK'") == [
        ("0.00",)
    ]
    assert scenario.credit_notes("CK") == []


def test_a_back_dated_activation_is_billed_when_it_becomes_known(scenario):
    """Active from Mar 5 but recorded Mar 15: the Mar 15 invoice bills 99.00 and Mar 5-31,
    27/31 x 60 = 52.26 (total 151.26)."""
    assert scenario.lines("CL")[:2] == [
        ("2026-03-15", "start_fee", "2026-03-05", "2026-03-05", None, None, "99.00"),
        ("2026-03-15", "recurring", "2026-03-05", "2026-03-31", "27", "31", "52.26"),
    ]


def test_deactivation_credits_and_reactivation_adjusts(scenario):
    """February billed 60.00 on Feb 1. Deactivated Feb 10: owed Feb 1-9 = 9/28 x 60 = 19.29,
    credit 40.71. Re-activated Feb 20: owed 18/28 x 60 = 38.57, so an adjustment of
    38.57 - 19.29 = 19.28 on the Feb 20 invoice."""
    assert scenario.credit_notes("CM") == [
        ("2026-02-10", "2026-02-01", "termination_refund", "40.71")
    ]
    adjustments = [row for row in scenario.lines("CM") if row[1] == "adjustment"]
    assert adjustments == [
        ("2026-02-20", "adjustment", "2026-02-01", "2026-02-28", "18", "28", "19.28")
    ]


def test_invoice_numbers_are_gapless_in_issue_day_then_customer_order(scenario):
    rows = scenario.rows(
        "select invoice_number, issue_date, customer_id from marts.invoices order by invoice_number"
    )
    assert [r[0] for r in rows] == [f"INV-2026-{n:06d}" for n in range(1, len(rows) + 1)]
    assert [r[1:] for r in rows] == sorted(r[1:] for r in rows)
    notes = scenario.rows("select credit_note_number from marts.credit_notes order by 1")
    assert [n for (n,) in notes] == [f"CN-2026-{n:06d}" for n in range(1, len(notes) + 1)]


def test_every_invoice_total_is_its_lines_plus_tax(scenario):
    mismatched = scenario.rows("""
        select i.invoice_number from marts.invoices i
        join (select invoice_number, sum(amount) as s from marts.invoice_lines group by 1) l
            using (invoice_number)
        where i.total <> l.s + i.tax_total
            or i.total <> i.subtotal - i.discount_total + i.tax_total""")
    assert mismatched == []


def test_due_date_is_issue_day_plus_payment_terms(scenario):
    assert scenario.rows(
        "select count(*) from marts.invoices where due_date <> issue_date + 14"
    ) == [("0",)]
