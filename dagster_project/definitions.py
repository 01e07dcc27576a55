"""The fiberbill code location: composes the domain modules, nothing else."""

import dagster as dg

from dagster_project.defs.billing.assets import (
    dbt_resource,
    fiberbill_dbt_marts,
    fiberbill_dbt_models,
    issued_documents,
)
from dagster_project.defs.ingest.assets import raw_inputs
from dagster_project.resources import StripeResource, default_resource

defs = dg.Definitions(
    assets=[raw_inputs, fiberbill_dbt_models, issued_documents, fiberbill_dbt_marts],
    jobs=[
        dg.define_asset_job(
            "billing_cycle",
            selection=dg.AssetSelection.all(),
            description="Load the input folder, derive the charges, issue the documents of every "
            "run day through the configured day, and build the marts.",
        )
    ],
    resources={"fiberbill": default_resource(), "dbt": dbt_resource(), "stripe": StripeResource()},
)
