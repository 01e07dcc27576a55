"""The billing cycle as daily-partitioned assets: dbt models (one asset per model; dbt
tests become asset checks), the issued documents of the append-only ledger with Stripe
collection, and the marts. Each asset is one step of a call (fiberbill/run.py: load,
derive, issue, marts, export), executed as `fiberbill run` executes it: under the writer
lock, as a journaled call undone unless the step succeeded. Materializing a day is
`fiberbill run --through <day>`: the same steps, in the same order."""

import graphlib
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtProject, dbt_assets
from dagster_dbt.asset_utils import (
    DAGSTER_DBT_EXCLUDE_METADATA_KEY,
    DAGSTER_DBT_SELECT_METADATA_KEY,
    get_manifest_and_translator_from_dbt_assets,
    get_subset_selection_for_context,
)
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from dagster_project.defs.billing.checks import auto_collection_attempted
from dagster_project.defs.ingest.assets import raw_key
from dagster_project.defs.partitions import Cycle, run_day
from dagster_project.resources import FiberbillResource, StripeResource
from fiberbill import ledger, relations
from fiberbill.dbt import DBT_PROJECT_DIR, LEDGER_MARTS
from fiberbill.run import execute
from ingest.loader import connect, fetch

LEDGER_TABLES = ledger.TABLES
# Ledger tables written by Stripe collection: shown in their own group.
COLLECTION_TABLES = frozenset(
    {"collected_payments", "payment_attempts", "payment_method_declines", "stripe_refunds"}
)
# Key totals reported with a table's row count: metadata name -> SQL over the table.
KEY_TOTALS = {
    "invoices": {"total": "sum(total)", "amount_due": "sum(amount_due)"},
    "invoice_lines": {"amount": "sum(amount)"},
    "credit_notes": {"amount": "sum(amount)"},
    "payments": {"amount": "sum(amount)"},
    "customers": {"outstanding_amount": "sum(outstanding_amount)"},
    "wholesale_spec_lines": {"amount": "sum(amount)"},
    "wholesale_specs": {"total": "sum(total)"},
    "revenue_assurance": {"days": "sum(days)"},
    "int_charges__targets": {"target": "sum(target_cents) * 0.01"},
    "int_wholesale__by_version": {"amount": "sum(amount_cents) * 0.01"},
}
LEDGER_TOTALS = {
    "invoice_lines": {"amount": "sum(amount_cents) * 0.01"},
    "credit_notes": {"amount": "sum(amount_cents) * 0.01"},
    "collected_payments": {"amount": "sum(amount_cents) * 0.01"},
    "stripe_refunds": {"amount": "sum(amount_cents) * 0.01"},
    "wholesale_spec_lines": {"amount": "sum(amount_cents) * 0.01"},
}


class FiberbillTranslator(DagsterDbtTranslator):
    """dbt sources are the ingest assets (`raw/<table>`) and the ledger assets
    (`ledger/<table>`); groups follow the model folders; an asset's description is its
    model's documentation, not its SQL."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["source_name"] == "ledger":
                return ledger_key(dbt_resource_props["name"])
            return raw_key(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        # the model's documentation (the yml); its SQL is one click away in dbt docs
        return dbt_resource_props.get("description") or super().get_description(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


def ledger_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["ledger", table])


def table_metadata(
    con: duckdb.DuckDBPyConnection, relation: str, totals: Mapping[str, str]
) -> dict[str, dg.MetadataValue]:
    """Row count and key totals of a table or view (money as text: never float)."""
    exprs = ", ".join(["count(*)", *(f"cast({sql} as varchar)" for sql in totals.values())])
    row = fetch(con, f"select {exprs} from {relation}")[0]
    metadata = {"dagster/row_count": dg.MetadataValue.int(row[0])}
    for name, value in zip(totals, row[1:], strict=True):
        metadata[f"total_{name}"] = dg.MetadataValue.text(value or "0")
    return metadata


def _dbt_selection(context: dg.AssetExecutionContext) -> list[str] | None:
    """dbt's selection for the models and tests Dagster asks for, or None when it asks for
    the whole step (then the step decides, from its build stamps, what to build)."""
    if (
        context.selected_asset_keys == context.assets_def.keys
        and context.selected_asset_check_keys == context.assets_def.check_keys
    ):
        return None
    manifest, translator, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    tags = context.op_execution_context.op.tags
    selection, indirect = get_subset_selection_for_context(
        context=context,
        manifest=manifest,
        select=tags.get(DAGSTER_DBT_SELECT_METADATA_KEY),
        exclude=tags.get(DAGSTER_DBT_EXCLUDE_METADATA_KEY),
        selector=None,
        dagster_dbt_translator=translator,
        current_dbt_indirect_selection_env=None,
    )
    return [*selection, *(["--indirect-selection", indirect] if indirect else [])]


def _in_dependency_order(
    assets: dg.AssetsDefinition, keys: AbstractSet[dg.AssetKey]
) -> list[dg.AssetKey]:
    """`keys`, each after the ones among them it depends on."""
    graph = {key: assets.asset_deps.get(key, set()) & keys for key in keys}
    return list(graphlib.TopologicalSorter(graph).static_order())


def _model_metadata(
    context: dg.AssetExecutionContext, con: duckdb.DuckDBPyConnection, output_name: str
) -> dict[str, dg.MetadataValue]:
    key = context.asset_key_for_output(output_name)
    return table_metadata(con, ".".join(key.path), KEY_TOTALS.get(key.path[-1], {}))


def _dbt_step(
    step: str, name: str, manifest: Path, days: dg.PartitionsDefinition, **selection: str
) -> dg.AssetsDefinition:
    """The dbt models of one step of a call (derive, or marts): the step itself
    (fiberbill/run.py), then each node's result as a Dagster event, with row counts and
    totals read once the warehouse is published."""

    @dbt_assets(
        manifest=manifest,
        dagster_dbt_translator=FiberbillTranslator(),
        name=name,
        partitions_def=days,
        backfill_policy=dg.BackfillPolicy.single_run(),
        **selection,
    )
    def assets(context: dg.AssetExecutionContext, fiberbill: FiberbillResource) -> Iterator[Any]:
        node_results: list[dict] = []
        call = fiberbill.call(
            run_day(context),
            context.log.debug,
            dbt_selection=_dbt_selection(context),
            node_results=node_results,
        )
        execute(call, (step,), command=f"dagster {step}")
        manifest_, translator, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
        with connect(fiberbill.warehouse_path, read_only=True) as con:
            events = []
            for raw in node_results:
                message = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
                for event in message.to_default_asset_events(manifest_, translator, context):
                    if isinstance(event, dg.Output):
                        event = event.with_metadata(
                            {**event.metadata, **_model_metadata(context, con, event.output_name)}
                        )
                    events.append(event)
            # models the step's build stamps found current (fiberbill/build_stamps.py) are
            # as of this day already: reported as such, so the steps after them run. They
            # come first: what a step rebuilds is never upstream of what it leaves be.
            built = {e.output_name for e in events if isinstance(e, dg.Output)}
            for key in _in_dependency_order(context.assets_def, context.selected_asset_keys):
                name = context.assets_def.get_output_name_for_asset_key(key)
                if name not in built:
                    metadata = {"rebuilt": False, **_model_metadata(context, con, name)}
                    yield dg.Output(None, output_name=name, metadata=metadata)
        yield from events

    return assets


def issued_documents(
    context: dg.AssetExecutionContext, fiberbill: FiberbillResource, stripe: StripeResource
):
    """Carry out every run day after the last one done through this partition's day (or
    the backfill's last day), in order: issue the documents, and collect through Stripe
    when STRIPE_API_KEY is set. The issue step of `fiberbill run` (fiberbill/run.py)."""
    settings = fiberbill.settings()
    call = fiberbill.call(
        run_day(context),
        context.log.debug,
        gateway=stripe.gateway(settings.stripe_requests_per_second),
    )
    execute(call, ("issue",), command="dagster issue")
    with connect(fiberbill.warehouse_path, read_only=True) as con:
        results = [
            dg.MaterializeResult(
                asset_key=ledger_key(table),
                metadata=table_metadata(con, f"ledger.{table}", LEDGER_TOTALS.get(table, {})),
            )
            for table in LEDGER_TABLES
        ]
    yield from results
    context.log.info(f"issued through {call.through}: {call.issued}")


def definitions(cycle: Cycle) -> dg.Definitions:
    """The billing domain, partitioned by run day: the dbt models that derive what is owed,
    the ledger's issued documents (and Stripe collection), the contract marts."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    project.prepare_if_dev()
    manifest, days = project.manifest_path, cycle.billing_days
    ledger_assets = dg.multi_asset(
        specs=[
            dg.AssetSpec(
                ledger_key(t),
                group_name="collection" if t in COLLECTION_TABLES else "ledger",
                kinds={"stripe", "duckdb"} if t in COLLECTION_TABLES else {"duckdb"},
                deps=[dg.AssetKey(relation.split(".")) for relation in relations.DERIVED],
                description=f"Append-only ledger table `ledger.{t}`.",
            )
            for t in LEDGER_TABLES
        ],
        can_subset=False,
        partitions_def=days,
        backfill_policy=dg.BackfillPolicy.single_run(),
    )(issued_documents)
    return dg.Definitions(
        assets=[
            # staging and intermediate models: what every charge amounts to, day by day
            _dbt_step("derive", "fiberbill_dbt_models", manifest, days, exclude=LEDGER_MARTS),
            ledger_assets,
            # the contract's marts, from the ledger and the models
            _dbt_step("marts", "fiberbill_dbt_marts", manifest, days, select=LEDGER_MARTS),
        ],
        asset_checks=[auto_collection_attempted],
    )
