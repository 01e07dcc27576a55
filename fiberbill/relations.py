"""The one edge between the engine and dbt: the relations dbt builds that the engine reads.

`DERIVED` are read while issuing and collecting (the derive step builds them before the
ledger's run days); the Dagster ledger assets depend on exactly these
(dagster_project/defs/billing/assets.py). `MARTS` are read after the marts step (the run
summary, admin lists, exports). tests/unit/test_layout.py fails when the engine's SQL or
Python names a dbt relation that is not listed here.
"""

from __future__ import annotations

CHARGE_TARGETS = "intermediate.int_charges__targets"
WHOLESALE_BY_VERSION = "intermediate.int_wholesale__by_version"

DERIVED = (
    "staging.stg_inputs__customers",
    "staging.stg_inputs__payments",
    CHARGE_TARGETS,
    "intermediate.int_customers__payment_method",
    "intermediate.int_customers__payment_method_ranges",
    "intermediate.int_customers__preference_ranges",
    "intermediate.int_customers__preferences",
    "intermediate.int_order_versions",
    "intermediate.int_orders__billing",
    WHOLESALE_BY_VERSION,
)

MARTS = (
    "marts.invoices",
    "marts.invoice_lines",
    "marts.credit_notes",
    "marts.payments",
    "marts.customers",
    "marts.receivables_ageing",
    "marts.revenue_assurance",
    "marts.rejected_rows",
    "marts.wholesale_spec_lines",
    "marts.wholesale_specs",
    "marts.customer_history",
    # what the finance dashboard reads (exports/sql/dashboard_*.sql)
    "marts.finance_daily",
    "marts.finance_provider_daily",
    "marts.finance_month_to_date",
    "marts.collection_daily",
    "marts.revenue_leakage_daily",
    "marts.receivables_ageing_daily",
    "marts.invoice_standing_history",
    # what the customer portal's snapshot copies (fiberbill/portal/sql/snapshot.sql)
    "marts.customer_services",
    "marts.customer_next_invoices",
    "intermediate.int_payment_methods__states",
)
