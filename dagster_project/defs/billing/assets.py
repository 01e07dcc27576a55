"""The dbt models as assets (one per model; dbt tests become asset checks)."""

import json
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from dagster_project import ledger
from dagster_project.dbt_cli import DBT_PROJECT_DIR, LEDGER_MARTS, dbt_env, dbt_executable
from dagster_project.defs.ingest.assets import raw_key
from dagster_project.resources import FiberbillResource, StripeResource
from dagster_project.runner import bill_days
from ingest.loader import fetch

LEDGER_TABLES = ledger.TABLES

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


class FiberbillTranslator(DagsterDbtTranslator):
    """dbt sources are the ingest assets (`raw/<table>`) and the ledger assets
    (`ledger/<table>`); groups follow the model folders."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["source_name"] == "ledger":
                return ledger_key(dbt_resource_props["name"])
            return raw_key(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


def ledger_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["ledger", table])


def _build(context, dbt: DbtCliResource, fiberbill: FiberbillResource):
    """`dbt build` of this asset's selection, with the operator's settings as vars."""
    os.environ.update(dbt_env(fiberbill.warehouse_path))
    dbt_vars = fiberbill.settings().as_dbt_vars() | {"through": fiberbill.through_date.isoformat()}
    # Row counts are not fetched through the adapter: that would hold a second, differently
    # configured DuckDB handle on the warehouse inside this process.
    yield from dbt.cli(
        ["build", "--vars", json.dumps(dbt_vars, sort_keys=True)], context=context
    ).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=FiberbillTranslator(),
    exclude=LEDGER_MARTS,
    name="fiberbill_dbt_models",
)
def fiberbill_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, fiberbill: FiberbillResource
):
    """Staging and intermediate models: what every charge amounts to, day by day."""
    yield from _build(context, dbt, fiberbill)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ledger_key(t),
            group_name="ledger",
            kinds={"duckdb"},
            deps=[dg.AssetKey(["intermediate", "int_charges__targets"])],
            description=f"Append-only ledger table `ledger.{t}`.",
        )
        for t in LEDGER_TABLES
    ],
    can_subset=False,
)
def issued_documents(
    context: dg.AssetExecutionContext, fiberbill: FiberbillResource, stripe: StripeResource
):
    """Carry out every run day after the last one done through the configured day: issue
    the documents, and collect through Stripe when STRIPE_API_KEY is set."""
    settings = fiberbill.settings()
    with duckdb.connect(str(fiberbill.warehouse_path)) as con:
        totals = bill_days(
            con,
            fiberbill.warehouse_path,
            fiberbill.through_date,
            settings,
            payments="stripe" if stripe.enabled else "none",
            gateway=stripe.gateway(settings.stripe_requests_per_second),
            progress=context.log.debug,
        )
        for table in LEDGER_TABLES:
            rows = fetch(con, f"select count(*) from ledger.{table}")[0][0]
            yield dg.MaterializeResult(
                asset_key=ledger_key(table),
                metadata={"dagster/row_count": dg.MetadataValue.int(rows)},
            )
    context.log.info(f"issued: {totals}")


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=FiberbillTranslator(),
    select=LEDGER_MARTS,
    name="fiberbill_dbt_marts",
)
def fiberbill_dbt_marts(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, fiberbill: FiberbillResource
):
    """The contract's marts, from the ledger and the models."""
    yield from _build(context, dbt, fiberbill)


def dbt_resource() -> DbtCliResource:
    """dbt from this interpreter's environment, found without relying on PATH."""
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
    )
