"""The fiberbill code location: merges the domains' definitions, nothing else.

Loaded lazily (`@dg.definitions`): the billing calendar and the resources read the
environment when Dagster loads the location, never when a module is imported.
"""

import dagster as dg

from dagster_project.defs.automation import jobs as automation
from dagster_project.defs.billing import assets as billing
from dagster_project.defs.documents import assets as documents
from dagster_project.defs.ingest import assets as ingest
from dagster_project.defs.partitions import Cycle
from dagster_project.defs.reports import assets as reports
from dagster_project.defs.wholesale import assets as wholesale
from dagster_project.resources import StripeResource, default_resource

DOMAINS = (ingest, billing, documents, wholesale, reports, automation)


@dg.definitions
def defs() -> dg.Definitions:
    cycle = Cycle.from_environment()
    return dg.Definitions.merge(
        *(domain.definitions(cycle) for domain in DOMAINS),
        dg.Definitions(resources={"fiberbill": default_resource(), "stripe": StripeResource()}),
    )
