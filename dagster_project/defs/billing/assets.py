"""The dbt models as assets (one per model; dbt tests become asset checks)."""

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from dagster_project.dbt_cli import DBT_PROJECT_DIR, LEDGER_MARTS, dbt_env
from dagster_project.defs.ingest.assets import raw_key
from dagster_project.resources import FiberbillResource

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


class FiberbillTranslator(DagsterDbtTranslator):
    """dbt sources are the ingest assets (`raw/<table>`); groups follow the model folders."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return raw_key(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


# The billing marts read the ledger, which the run days write after these models are built;
# they join the graph with the ledger asset (issue 6).
@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=FiberbillTranslator(),
    exclude=LEDGER_MARTS,
)
def fiberbill_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, fiberbill: FiberbillResource
):
    """`dbt build` on the warehouse with the operator's settings as vars."""
    os.environ.update(dbt_env(fiberbill.warehouse_path))
    dbt_vars = json.dumps(fiberbill.settings().as_dbt_vars(), sort_keys=True)
    # Row counts are not fetched through the adapter: that would hold a second, differently
    # configured DuckDB handle on the warehouse inside this process.
    yield from dbt.cli(["build", "--vars", dbt_vars], context=context).stream()


def dbt_resource() -> DbtCliResource:
    """dbt from this interpreter's environment, found without relying on PATH."""
    executable = Path(sys.executable).with_name("dbt")
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(executable) if executable.exists() else "dbt",
    )
