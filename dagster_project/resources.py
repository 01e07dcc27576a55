"""Resources shared by the domains: where the warehouse and the input folder are."""

from datetime import date
from pathlib import Path

import dagster as dg

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
