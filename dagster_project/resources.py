"""Resources shared by the domains: where the warehouse and the input folder are."""

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import dagster as dg

from fiberbill.collection.gateway import DEFAULT_REQUESTS_PER_SECOND, StripeGateway
from fiberbill.run import Call
from ingest.settings import Settings, load_settings


class FiberbillResource(dg.ConfigurableResource):
    """The operator's installation: input folder and DuckDB warehouse file."""

    data_dir: str
    warehouse: str
    exports: str = ""  # empty: fiberbill-exports beside the warehouse
    inbox: str = ""  # empty: inbox/ inside the input folder

    @property
    def exports_path(self) -> Path:
        if self.exports:
            return Path(self.exports).resolve()
        return self.warehouse_path.parent / "fiberbill-exports"

    @property
    def inbox_path(self) -> Path:
        return Path(self.inbox).resolve() if self.inbox else self.data_path / "inbox"

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse).resolve()

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    def settings(self) -> Settings:
        return load_settings(self.data_path)

    def call(self, through: date, progress: Callable[[str], None], **fields) -> Call:
        """A call of the engine (fiberbill/run.py) on this installation through `through`;
        each asset executes its own step of it."""
        return Call(
            warehouse=self.warehouse_path,
            through=through,
            settings=self.settings(),
            data_dir=self.data_path,
            exports=self.exports_path,
            progress=progress,
            **fields,
        )


def default_resource() -> FiberbillResource:
    """Configured from the environment when the definitions load (never at import time)."""
    optional = {
        field: dg.EnvVar(name)
        for field, name in (("exports", "FIBERBILL_EXPORTS"), ("inbox", "FIBERBILL_INBOX"))
        if name in os.environ
    }
    return FiberbillResource(
        data_dir=dg.EnvVar("FIBERBILL_DATA_DIR"),
        warehouse=dg.EnvVar("FIBERBILL_WAREHOUSE"),
        **optional,
    )


class StripeResource(dg.ConfigurableResource):
    """Stripe through the official SDK (`fiberbill/collection/gateway.py`).

    The key is read from STRIPE_API_KEY when a gateway is built, never stored in the
    resource's config, so it cannot show in the UI, run config or metadata. STRIPE_API_BASE
    points the SDK at another server (localstripe in tests). Without a key, collection is
    skipped.
    """

    enabled: bool = True

    @property
    def collecting(self) -> bool:
        return self.enabled and bool(os.environ.get("STRIPE_API_KEY"))

    def gateway(
        self, requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND
    ) -> StripeGateway | None:
        if not self.enabled or not os.environ.get("STRIPE_API_KEY"):
            return None
        return StripeGateway.from_env(requests_per_second)
