"""The Dagster code location: it loads, its graph is one connected graph, and materializing
it twice on a temporary warehouse changes nothing the second time."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import dagster as dg
import duckdb
import pytest

# The contract's input tables, in load order (written out: this is a snapshot).
INPUTS = (
    "providers products customers payment_methods preference_changes "
    "payment_method_changes promotions orders order_events activation_events "
    "network_status payments"
).split()
EXPECTED_ASSETS = sorted(
    [
        f"raw/{t}"
        for t in [
            *INPUTS,
            "load_batches",
            "load_counts",
            "loaded_files",
            "rejected_rows",
            "waiting_rows",
            "released_rows",
        ]
    ]
    + [
        f"staging/stg_inputs__{t}"
        for t in [*INPUTS, "load_batches", "rejected_rows", "waiting_rows", "released_rows"]
    ]
    + [
        # the ledger's tables as the models read them
        f"staging/stg_ledger__{t}"
        for t in (
            "balance_applications",
            "balance_events",
            "collected_payments",
            "credit_notes",
            "invoice_documents",
            "invoice_late",
            "invoice_lines",
            "invoice_status_history",
            "invoice_voids",
            "invoice_writeoffs",
            "manual_payment_checks",
            "payment_attempts",
            "payment_method_declines",
            "refund_status",
            "run_days",
            "wholesale_spec_lines",
            "wholesale_specs",
            "received_events",
            "credit_allocations",
        )
    ]
    + [
        f"marts/{t}"
        for t in (
            "invoices",
            "invoice_lines",
            "credit_notes",
            "payments",
            "customers",
            "receivables_ageing",
            "revenue_assurance",
            "wholesale_spec_lines",
            "wholesale_specs",
            "rejected_rows",
            "customer_history",
            "customer_services",
            "customer_next_invoices",
        )
    ]
    + [
        f"ledger/{t}"
        for t in (
            "run_days",
            "invoices",
            "invoice_lines",
            "invoice_taxes",
            "credit_notes",
            "credit_allocations",
            "invoice_voids",
            "balance_events",
            "balance_applications",
            "invoice_finalizations",
            "invoice_writeoffs",
            "invoice_late",
            "late_fee_waivers",
            "invoice_status_history",
            "collected_payments",
            "payment_attempts",
            "payment_method_declines",
            "stripe_refunds",
            "stripe_refund_events",
            "refund_status",
            "invoice_documents",
            "manual_payment_checks",
            "received_events",
            "wholesale_spec_lines",
            "wholesale_specs",
        )
    ]
    + [
        f"intermediate/{m}"
        for m in (
            "int_order_events__known",
            "int_order_versions",
            "int_service_intervals__by_version",
            "int_service_versions",
            "int_product_prices__ranges",
            "int_orders__billing",
            "int_billing_periods",
            "int_charges__by_version",
            "int_charges__targets",
            "int_payments__checked",
            "int_customers__payment_method",
            "int_customers__payment_method_ranges",
            "int_customers__preference_events",
            "int_customers__preference_ranges",
            "int_customers__preferences",
            "int_payment_methods__events",
            "int_payment_methods__states",
            "int_customers__collectable",
            "int_invoices__standing",
            "int_wholesale__by_version",
        )
    ]
    + [
        f"intermediate/{m}"
        for m in (
            "int_invoices__money_events",
            "int_invoices__standing_history",
            "int_invoices__status_changes",
            "int_orders__mrr_spans",
            "int_customers__mrr_changes",
        )
    ]
    + [
        f"marts/{m}"
        for m in (
            "invoice_standing_history",
            "receivables_ageing_daily",
            "finance_daily",
            "finance_provider_daily",
            "finance_month_to_date",
            "finance_monthly",
            "collection_daily",
            "revenue_leakage_daily",
        )
    ]
    + ["exports/wholesale_specs", "exports/documents"]
    + ["reports/finance_dashboard", "reports/finance_dashboard_monthly"]
)
EXPECTED_CHECKS = [
    "exports/wholesale_specs:manifests_match_files",
    "marts/invoices:auto_collection_attempted",
]
# the ledger's own checks are dbt tests, shown as checks of marts/invoices
EXPECTED_DBT_CHECKS_ON_INVOICES = {
    "assert_document_numbers_are_gapless",
    "assert_ledger_keys_and_values",
    "assert_ledger_totals_match_marts",
}


@pytest.fixture
def defs(dbt_manifest, monkeypatch, make_inputs, tmp_path):
    monkeypatch.setenv(
        "FIBERBILL_DATA_DIR",
        str(
            make_inputs(
                orders=[
                    {
                        "order_id": "O1",
                        "customer_id": "C1",
                        "product_id": "PR1",
                        "connection_id": "K1",
                        "ordered_at": "2026-01-05",
                        "promotion_code": "NOPE",
                    }
                ]
            )
        ),
    )
    monkeypatch.setenv("FIBERBILL_WAREHOUSE", str(tmp_path / "dagster.duckdb"))
    monkeypatch.setenv("FIBERBILL_EXPORTS", str(tmp_path / "exports"))
    from dagster_project.definitions import defs

    return defs()


def test_the_calendar_is_read_when_the_definitions_load_not_when_imported(defs, monkeypatch):
    """The modules are imported already (the fixture did); the timezone and first day set
    now still reach the partitions and schedules, as with `dagster dev` in a new shell."""
    from dagster_project.definitions import defs as load

    monkeypatch.setenv("FIBERBILL_TIMEZONE", "Europe/Oslo")
    monkeypatch.setenv("FIBERBILL_FIRST_DAY", "2026-01-01")
    loaded = load()
    days = loaded.resolve_job_def("billing_cycle").partitions_def
    assert (days.timezone, days.start.date().isoformat()) == ("Europe/Oslo", "2026-01-01")
    schedules = loaded.get_repository_def().schedule_defs
    assert {s.execution_timezone for s in schedules} == {"Europe/Oslo"}


def test_the_definitions_snapshot(defs):
    graph = defs.resolve_asset_graph()
    assert sorted(k.to_user_string() for k in graph.get_all_asset_keys()) == EXPECTED_ASSETS
    jobs = {j.name: j for j in defs.resolve_all_job_defs()}
    assert sorted(jobs) == ["__ASSET_JOB", "billing_cycle", "wholesale_exports"]
    assert jobs["billing_cycle"].partitions_def.get_serializable_unique_identifier() == (
        dg.DailyPartitionsDefinition(
            start_date="2025-01-01", timezone="UTC", end_offset=1
        ).get_serializable_unique_identifier()
    )
    assert isinstance(jobs["wholesale_exports"].partitions_def, dg.MonthlyPartitionsDefinition)
    for job in ("billing_cycle", "wholesale_exports"):
        assert jobs[job].tags["fiberbill/warehouse"] == "writer"
    repository = defs.get_repository_def()
    schedules = {s.name: s for s in repository.schedule_defs}
    assert {n: (s.cron_schedule, s.job_name) for n, s in schedules.items()} == {
        "daily_billing": ("30 23 * * *", "billing_cycle"),
        "monthly_wholesale": ("45 23 1 * *", "wholesale_exports"),
    }
    assert {s.name: [t.job_name for t in s.targets] for s in repository.sensor_defs} == {
        "inbox_sensor": ["billing_cycle"],
        "cli_runs_sensor": [],  # reports runless events, launches nothing
    }
    dbt_tests = ("key_", "not_null", "unique", "accepted_values", "relationships", "assert_")
    checks = sorted(
        f"{k.asset_key.to_user_string()}:{k.name}"
        for k in graph.asset_check_keys
        if not k.name.startswith(dbt_tests)
    )
    assert checks == EXPECTED_CHECKS
    on_invoices = {
        k.name for k in graph.asset_check_keys if k.asset_key.path == ["marts", "invoices"]
    }
    assert EXPECTED_DBT_CHECKS_ON_INVOICES <= on_invoices
    assert len(graph.asset_check_keys) - len(checks) > 20  # the dbt tests
    # one connected graph: each staging model hangs off its raw ingest asset
    orders = graph.get(dg.AssetKey(["staging", "stg_inputs__orders"]))
    assert [k.to_user_string() for k in orders.parent_keys] == ["raw/orders"]
    rejected = graph.get(dg.AssetKey(["marts", "rejected_rows"]))
    assert sorted(k.to_user_string() for k in rejected.parent_keys) == [
        "intermediate/int_payments__checked",
        "raw/payments",
        "staging/stg_inputs__rejected_rows",
        "staging/stg_inputs__released_rows",
        "staging/stg_inputs__waiting_rows",
    ]
    # the ledger sits between the derived models it reads (every one of them, from
    # fiberbill/relations.py) and the marts
    invoices = graph.get(dg.AssetKey(["ledger", "invoices"]))
    assert sorted(k.to_user_string() for k in invoices.parent_keys) == [
        "intermediate/int_charges__targets",
        "intermediate/int_customers__payment_method",
        "intermediate/int_customers__payment_method_ranges",
        "intermediate/int_customers__preference_ranges",
        "intermediate/int_customers__preferences",
        "intermediate/int_order_versions",
        "intermediate/int_orders__billing",
        "intermediate/int_wholesale__by_version",
        "staging/stg_inputs__customers",
        "staging/stg_inputs__payments",
    ]


def snapshot(path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = [
            n
            for (n,) in con.execute(
                "select table_schema || '.' || table_name from information_schema.tables "
                "where table_schema in ('raw', 'marts') order by 1"
            ).fetchall()
        ]
        return {n: sorted(map(str, con.execute(f"select * from {n}").fetchall())) for n in names}


def test_materializing_twice_changes_nothing_the_second_time(defs, tmp_path):
    job = defs.resolve_job_def("billing_cycle")
    first = job.execute_in_process(partition_key="2026-02-15")
    assert first.success
    once = snapshot(tmp_path / "dagster.duckdb")
    assert len(once["raw.orders"]) == 1
    assert len(once["marts.rejected_rows"]) == 1  # the promotion warning
    # the same documents as `fiberbill run`: 141.58 on Jan 10 (late on Feb 1), then 60.00
    # and the 5.00 late fee on Feb 1
    assert once["marts.invoices"] == sorted(
        map(
            str,
            [
                (
                    "INV-2026-000001",
                    "C1",
                    "EUR",
                    date(2026, 1, 10),
                    date(2026, 1, 24),
                    Decimal("141.58"),
                    Decimal("0.00"),
                    Decimal("0.00"),
                    Decimal("141.58"),
                    Decimal("0.00"),
                    Decimal("0.00"),
                    Decimal("141.58"),
                    "late",  # unpaid on Feb 1, its due day (Jan 24) + 7 grace days later
                    "manual",
                    "DRAFT-00000001",
                    date(2026, 1, 10),
                    None,
                    "Ann",  # the customer's name
                ),
                (
                    "INV-2026-000002",
                    "C1",
                    "EUR",
                    date(2026, 2, 1),
                    date(2026, 2, 15),
                    Decimal("65.00"),  # February and the 5.00 late fee
                    Decimal("0.00"),
                    Decimal("0.00"),
                    Decimal("65.00"),
                    Decimal("0.00"),
                    Decimal("0.00"),
                    Decimal("65.00"),
                    "open",
                    "manual",
                    "DRAFT-00000002",
                    date(2026, 2, 1),
                    None,
                    "Ann",  # the customer's name
                ),
            ],
        )
    )
    second = job.execute_in_process(partition_key="2026-02-15")
    assert second.success
    assert snapshot(tmp_path / "dagster.duckdb") == once
    # a subset (one mart, as from the UI) builds that model only, and changes nothing
    invoices = dg.AssetKey(["marts", "invoices"])
    subset = job.execute_in_process(partition_key="2026-02-15", asset_selection=[invoices])
    assert subset.success
    built = subset.asset_materializations_for_node("fiberbill_dbt_marts")
    assert [m.asset_key for m in built] == [invoices]
    assert snapshot(tmp_path / "dagster.duckdb") == once
    # row counts reach the UI as metadata
    mats = first.asset_materializations_for_node("raw_inputs")
    by_key = {m.asset_key.to_user_string(): m.metadata for m in mats}
    assert by_key["raw/orders"]["dagster/row_count"].value == 1
    assert by_key["raw/orders"]["warnings"].value == 1


def test_every_model_is_described_in_dbt_docs_and_the_dagster_catalog(defs, dbt_manifest):
    """dbt docs and the Dagster catalog show each model's description, not its SQL; every
    column of every mart (what analysts query) is documented."""
    manifest = json.loads(dbt_manifest.read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) > 50
    for node in models:
        assert node["description"].strip(), node["name"]
        if node["path"].startswith("marts"):
            undocumented = [c for c, col in node["columns"].items() if not col["description"]]
            assert node["columns"] and not undocumented, (node["name"], undocumented)
    graph = defs.resolve_asset_graph()
    for node in models:
        key = dg.AssetKey([node["config"]["schema"], node["name"]])
        description = graph.get(key).description
        assert description and description.strip() == node["description"].strip(), key
