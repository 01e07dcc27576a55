"""The fiberbill code location: composes the domain modules, nothing else."""

import dagster as dg

from dagster_project.defs.automation.jobs import (
    billing_cycle,
    daily_billing,
    inbox_sensor,
    monthly_wholesale,
    wholesale_exports_job,
)
from dagster_project.defs.billing.assets import (
    fiberbill_dbt_marts,
    fiberbill_dbt_models,
    issued_documents,
)
from dagster_project.defs.billing.checks import auto_collection_attempted
from dagster_project.defs.ingest.assets import raw_inputs
from dagster_project.defs.reports.assets import billing_run_report
from dagster_project.defs.wholesale.assets import manifests_match_files, wholesale_exports
from dagster_project.resources import StripeResource, default_resource

defs = dg.Definitions(
    assets=[
        raw_inputs,
        fiberbill_dbt_models,
        issued_documents,
        fiberbill_dbt_marts,
        wholesale_exports,
        billing_run_report,
    ],
    asset_checks=[
        auto_collection_attempted,
        manifests_match_files,
    ],
    jobs=[billing_cycle, wholesale_exports_job],
    schedules=[daily_billing, monthly_wholesale],
    sensors=[inbox_sensor],
    resources={"fiberbill": default_resource(), "stripe": StripeResource()},
)
