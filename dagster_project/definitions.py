"""The fiberbill code location: composes the domain modules, nothing else."""

import dagster as dg

from dagster_project.defs.billing.assets import dbt_resource, fiberbill_dbt_models
from dagster_project.defs.ingest.assets import raw_inputs
from dagster_project.resources import default_resource

defs = dg.Definitions(
    assets=[raw_inputs, fiberbill_dbt_models],
    jobs=[
        dg.define_asset_job(
            "load_and_build",
            selection=dg.AssetSelection.all(),
            description="Load the input folder and build every model.",
        )
    ],
    resources={"fiberbill": default_resource(), "dbt": dbt_resource()},
)
