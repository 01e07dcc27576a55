"""Resources shared by the domains: where the warehouse and the input folder are."""

import os
from datetime import date
from pathlib import Path

import dagster as dg

from dagster_project.stripe_gateway import DEFAULT_REQUESTS_PER_SECOND, StripeGateway
from ingest.settings import Settings, load_settings


class FiberbillResource(dg.ConfigurableResource):
    """The operator's installation: input folder and DuckDB warehouse file."""

    data_dir: str
    warehouse: str
    through: str = ""  # last run day (YYYY-MM-DD); empty: today

    @property
    def through_date(self) -> date:
        return date.fromisoformat(self.through) if self.through else date.today()

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse).resolve()

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    def settings(self) -> Settings:
        return load_settings(self.data_path)


def default_resource() -> FiberbillResource:
    """Configured from the environment when the definitions load (never at import time)."""
    return FiberbillResource(
        data_dir=dg.EnvVar("FIBERBILL_DATA_DIR"),
        warehouse=dg.EnvVar("FIBERBILL_WAREHOUSE"),
        through=dg.EnvVar("FIBERBILL_THROUGH"),
    )


class StripeResource(dg.ConfigurableResource):
    """Stripe through the official SDK (`dagster_project/stripe_gateway.py`).

    The key is read from STRIPE_API_KEY when a gateway is built, never stored in the
    resource's config, so it cannot show in the UI, run config or metadata. STRIPE_API_BASE
    points the SDK at another server (localstripe in tests). Without a key, collection is
    skipped.
    """

    enabled: bool = True

    def gateway(
        self, requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND
    ) -> StripeGateway | None:
        if not self.enabled or not os.environ.get("STRIPE_API_KEY"):
            return None
        return StripeGateway.from_env(requests_per_second)
