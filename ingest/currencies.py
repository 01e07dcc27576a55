"""Minor units of currencies: the one table fiberbill uses (ISO 4217 exponents, as Stripe
applies them).

- Two decimals (EUR, USD, NOK, ...): the default. Amounts are kept as integer cents and sent
  to Stripe as cents.
- Zero-decimal currencies (JPY, KRW, ...): an amount is whole units. An input amount with
  cents is rejected at ingest; Stripe receives whole units (cents / 100).
- Three-decimal currencies (BHD, JOD, KWD, ...): not supported (every amount is kept to two
  decimals), so a provider or payment in one is rejected at ingest.
"""

from __future__ import annotations

ZERO_DECIMAL = (
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
    "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
)  # fmt: skip
THREE_DECIMAL = ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")


class NotWholeAmount(ValueError):
    """An amount with cents in a currency that has no minor unit."""


def minor_units(cents: int, currency: str) -> int:
    """An amount in integer cents as Stripe's `amount`: the currency's smallest unit."""
    if currency.upper() not in ZERO_DECIMAL:
        return cents
    if cents % 100:
        raise NotWholeAmount(
            f"{cents // 100}.{cents % 100:02d} {currency.upper()} is not a whole amount, and "
            f"{currency.upper()} has no minor unit"
        )
    return cents // 100


def cents_from_minor_units(amount: int, currency: str) -> int:
    """Stripe's `amount` (smallest unit) as integer cents."""
    return amount * 100 if currency.upper() in ZERO_DECIMAL else amount


def sql_list(codes: tuple[str, ...]) -> str:
    """The codes as a SQL list literal, for the loader's checks."""
    return "(" + ", ".join(f"'{c}'" for c in codes) + ")"
