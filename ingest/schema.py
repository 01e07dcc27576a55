"""The input tables of the contract (CONTRACT.md section 1), as data.

Each table lists its columns with a kind, whether the column is required, and a default
for optional columns. The loader turns these specs into set-based SQL checks; nothing here
touches a file or a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column kinds understood by the loader.
STR = "str"
PATH_ID = "path_id"  # an id that becomes a folder name: [A-Za-z0-9._-], never . or ..
DATE = "date"
TIMESTAMP = "timestamp"
MONEY = "money"  # non-negative, at most 2 decimal places, below MONEY_BOUND -> DECIMAL(18,2)
RATE = "rate"  # fraction 0..1, at most 6 decimal places -> DECIMAL(12,6)
NUMBER = "number"  # non-negative decimal, at most 6 places -> DECIMAL(18,6)
INT = "int"  # non-negative whole number
BOOL = "bool"
CURRENCY = "currency"  # ISO 4217 three letters

# The largest amount one input value may hold. A million lines of it still sum far below
# DECIMAL(18,2)'s limit (about 9.2e15), so no total can overflow.
MONEY_BOUND = "999999999.99"
ENUM = "enum"
# An invoice e-mail address (preference_changes): something@something.tld, no spaces. The
# loader checks changes with it and the portal checks its form with it before recording.
EMAIL_PATTERN = r"[^@ ]+@[^@ ]+[.][^@ ]+"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = True
    default: str | None = None  # SQL literal used when an optional value is empty
    values: tuple[str, ...] = ()  # for ENUM
    default_from: str | None = None  # optional column defaulting to another column's value


@dataclass(frozen=True)
class Reference:
    column: str
    table: str
    target_column: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = True
    references: tuple[Reference, ...] = field(default_factory=tuple)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _opt(name: str, kind: str, default: str | None = None, **kw) -> Column:
    return Column(name, kind, required=False, default=default, **kw)


# Tables in load order: every table comes after the tables it references.
TABLES: tuple[Table, ...] = (
    Table(
        "providers",
        (
            Column("provider_id", PATH_ID),
            Column("name", STR),
            Column("currency", CURRENCY),
            _opt("email", STR),
        ),
        key=("provider_id",),
    ),
    Table(
        "products",
        (
            Column("product_id", STR),
            _opt("valid_from", DATE, "DATE '1970-01-01'"),
            Column("provider_id", STR),
            Column("name", STR),
            Column("billing_cycle", ENUM, values=("monthly", "anniversary")),
            Column("monthly_price", MONEY),
            _opt("start_fee", MONEY, "0"),
            _opt("wholesale_monthly_fee", MONEY, "0"),
            _opt("wholesale_start_fee", MONEY, "0"),
            _opt("tax_rate", RATE, "0"),
            _opt("retail_billed_by", ENUM, "'operator'", values=("operator", "provider")),
        ),
        key=("product_id", "valid_from"),
        references=(Reference("provider_id", "providers", "provider_id"),),
    ),
    Table(
        "customers",
        (
            Column("customer_id", STR),
            Column("name", STR),
            _opt("email", STR),
            _opt("country", STR),
            _opt("address", STR),
            _opt("collection_method", ENUM, "'manual'", values=("auto", "manual")),
            _opt("created_at", TIMESTAMP),
        ),
        key=("customer_id",),
    ),
    Table(
        "payment_methods",
        (
            Column("payment_method_id", STR),
            Column("customer_id", STR),
            Column("type", ENUM, values=("card", "us_bank_account", "sepa_debit")),
            Column("status", ENUM, values=("active", "expired", "revoked")),
            Column("is_default", BOOL),
            _opt("stripe_payment_method_id", STR),
            _opt("last4", STR),
        ),
        key=("payment_method_id",),
        required=False,
        references=(Reference("customer_id", "customers", "customer_id"),),
    ),
    # Changes to a customer's billing preferences and payment methods, recorded by the
    # customer portal (fiberbill/portal: read from its store by every run) or delivered as
    # files by the operator. Each takes effect from the day it was recorded, never before;
    # the latest recorded change wins (docs/data-contract.md, "Changes").
    Table(
        "preference_changes",
        (
            Column("change_id", STR),
            Column("customer_id", STR),
            Column("field", ENUM, values=("collection_method", "invoice_email")),
            Column("new_value", STR),
            Column("recorded_at", TIMESTAMP),
            _opt("old_value", STR),
            _opt("source", ENUM, "'operator'", values=("operator", "portal")),
            _opt("client_ip", STR),
        ),
        key=("change_id",),
        required=False,
        references=(Reference("customer_id", "customers", "customer_id"),),
    ),
    Table(
        "payment_method_changes",
        (
            Column("change_id", STR),
            Column("customer_id", STR),
            Column("payment_method_id", STR),
            Column("action", ENUM, values=("added", "set_default", "removed")),
            Column("recorded_at", TIMESTAMP),
            _opt("type", ENUM, values=("card", "us_bank_account", "sepa_debit")),
            _opt("stripe_payment_method_id", STR),
            _opt("last4", STR),
            _opt("source", ENUM, "'operator'", values=("operator", "portal")),
            _opt("client_ip", STR),
        ),
        key=("change_id",),
        required=False,
        references=(Reference("customer_id", "customers", "customer_id"),),
    ),
    Table(
        "promotions",
        (
            Column("promotion_code", STR),
            Column("kind", ENUM, values=("percent", "fixed", "start_fee_waiver")),
            Column("value", NUMBER),
            Column("duration_months", INT),
            _opt("product_id", STR),
            _opt("valid_from", DATE),
            _opt("valid_to", DATE),
        ),
        key=("promotion_code",),
        required=False,
        references=(Reference("product_id", "products", "product_id"),),
    ),
    Table(
        "orders",
        (
            Column("order_id", STR),
            Column("customer_id", STR),
            Column("product_id", STR),
            Column("connection_id", STR),
            Column("ordered_at", TIMESTAMP),
            _opt("promotion_code", STR),
        ),
        key=("order_id",),
        references=(
            Reference("customer_id", "customers", "customer_id"),
            Reference("product_id", "products", "product_id"),
        ),
    ),
    Table(
        "order_events",
        (
            Column("order_id", STR),
            Column("event", ENUM, values=("cancelled", "terminated")),
            Column("effective_at", TIMESTAMP),
            _opt("recorded_at", TIMESTAMP, default_from="effective_at"),
        ),
        key=(),
        required=False,
        references=(Reference("order_id", "orders", "order_id"),),
    ),
    Table(
        "activation_events",
        (
            Column("event_id", STR),
            Column("order_id", STR),
            Column("event", ENUM, values=("activated", "deactivated")),
            Column("occurred_at", TIMESTAMP),
            _opt("recorded_at", TIMESTAMP, default_from="occurred_at"),
        ),
        key=("event_id",),
        references=(Reference("order_id", "orders", "order_id"),),
    ),
    Table(
        "network_status",
        (
            Column("connection_id", STR),
            Column("status_date", DATE),
            Column("status", ENUM, values=("up", "down")),
        ),
        key=("connection_id", "status_date"),
        required=False,
    ),
    Table(
        "payments",
        (
            Column("payment_id", STR),
            Column("invoice_number", STR),
            Column("amount", MONEY),
            Column("currency", CURRENCY),
            Column("received_at", TIMESTAMP),
            Column("method", STR),
        ),
        key=("payment_id",),
        required=False,
    ),
)

TABLES_BY_NAME = {t.name: t for t in TABLES}
