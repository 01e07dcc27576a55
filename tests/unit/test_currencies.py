"""Minor units (ingest/currencies.py): Stripe gets whole yen, never 100x; three-decimal
currencies and zero-decimal amounts with cents are bad rows."""

from __future__ import annotations

import pytest

from ingest.currencies import NotWholeAmount, cents_from_minor_units, minor_units
from ingest.loader import connect, load_all, read_inputs
from ingest.settings import Settings
from tests.support.inputs import MINIMAL


@pytest.mark.parametrize(
    ("cents", "currency", "amount"),
    [(14158, "EUR", 14158), (14158, "usd", 14158), (100000, "JPY", 1000), (500, "KRW", 5)],
)
def test_an_amount_goes_to_stripe_in_the_currencys_smallest_unit(cents, currency, amount):
    assert minor_units(cents, currency) == amount
    assert cents_from_minor_units(amount, currency) == cents


def test_a_zero_decimal_amount_with_cents_is_never_sent():
    with pytest.raises(NotWholeAmount, match=r"548.39 JPY is not a whole amount"):
        minor_units(54839, "JPY")


def reasons(folder):
    con = connect()
    load_all(con, read_inputs(folder), Settings(), str(folder), None)
    return [r for (r,) in con.execute("select reason from raw.rejected_rows").fetchall()]


def test_a_three_decimal_currency_is_rejected(make_inputs):
    folder = make_inputs(providers=[{**MINIMAL["providers"][0], "currency": "KWD"}])
    assert reasons(folder)[0] == (
        "currency: a three-decimal currency is not supported (amounts are kept to 2 "
        "decimals): 'KWD'"
    )


def test_a_zero_decimal_price_with_cents_is_rejected(make_inputs):
    folder = make_inputs(
        providers=[{**MINIMAL["providers"][0], "currency": "JPY"}],
        products=[
            {**MINIMAL["products"][0], "monthly_price": "6000.50"},
            {**MINIMAL["products"][0], "product_id": "PR2", "monthly_price": "6000"},
        ],
    )
    assert (
        reasons(folder)[0] == "monthly_price: JPY has no minor unit, so an amount is whole: 6000.50"
    )


def test_a_zero_decimal_payment_with_cents_is_rejected(make_inputs):
    folder = make_inputs(
        payments=[
            {
                "payment_id": "P1",
                "invoice_number": "INV-2026-000001",
                "amount": "10.50",
                "currency": "JPY",
                "received_at": "2026-01-20",
                "method": "transfer",
            },
            {
                "payment_id": "P2",
                "invoice_number": "INV-2026-000001",
                "amount": "10",
                "currency": "JPY",
                "received_at": "2026-01-20",
                "method": "transfer",
            },
        ]
    )
    assert reasons(folder) == ["amount: JPY has no minor unit, so an amount is whole: 10.50"]
