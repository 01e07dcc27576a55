"""Shared fixtures: input folders written from small tables, and a parsed dbt manifest."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# The smallest valid network: one provider, one product, one customer, one order, one event.
MINIMAL = {
    "providers": [{"provider_id": "P1", "name": "Fiber One", "currency": "EUR"}],
    "products": [
        {
            "product_id": "PR1",
            "provider_id": "P1",
            "name": "Fast",
            "billing_cycle": "monthly",
            "monthly_price": "60.00",
            "start_fee": "99.00",
        }
    ],
    "customers": [{"customer_id": "C1", "name": "Ann", "collection_method": "manual"}],
    "orders": [
        {
            "order_id": "O1",
            "customer_id": "C1",
            "product_id": "PR1",
            "connection_id": "K1",
            "ordered_at": "2026-01-05",
        }
    ],
    "activation_events": [
        {
            "event_id": "E1",
            "order_id": "O1",
            "event": "activated",
            "occurred_at": "2026-01-10T09:00:00Z",
        }
    ],
}


@pytest.fixture(scope="session", autouse=True)
def _work_in_a_temporary_folder(tmp_path_factory):
    """Runs that use the default ./fiberbill.duckdb or ./fiberbill-exports write into a
    temporary folder, never into the repository. dbt's saved parses go to one folder of
    this test session that every xdist worker and child process shares, not to ~/.cache."""
    previous = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    shared = tmp_path_factory.getbasetemp().parent / "dbt-parse-cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FIBERBILL_DBT_CACHE", str(shared))
        yield
    os.chdir(previous)


def write_table(folder: Path, name: str, rows: list[dict], file_name: str | None = None) -> Path:
    """Write rows as NAME.csv (header from the union of keys, in first-seen order)."""
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    path = folder / (file_name or f"{name}.csv")
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run_args(folder, warehouse, *extra: str, through: str = "2026-02-01") -> list[str]:
    """`fiberbill run` arguments for a folder and warehouse, without Stripe unless asked."""
    payments = [] if "--payments" in extra else ["--payments", "none"]
    return [
        "run",
        "--data",
        str(folder),
        "--through",
        through,
        "--warehouse",
        str(warehouse),
        *extra,
        *payments,
    ]


@pytest.fixture
def make_inputs(tmp_path):
    """Build an input folder: make_inputs(orders=[...], settings='...') overrides tables."""

    def build(folder_name: str = "data", settings: str | None = None, **tables) -> Path:
        folder = tmp_path / folder_name
        folder.mkdir(exist_ok=True)
        merged = {**MINIMAL, **tables}
        for name, rows in merged.items():
            if rows is not None:
                write_table(folder, name, rows)
        if settings is not None:
            (folder / "settings.toml").write_text(settings, encoding="utf-8")
        return folder

    return build


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """`dbt parse` once per session: Dagster's dbt assets need target/manifest.json."""
    manifest = REPO / "dbt" / "target" / "manifest.json"
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [
            str(dbt),
            "parse",
            "--quiet",
            "--project-dir",
            str(REPO / "dbt"),
            "--profiles-dir",
            str(REPO / "dbt"),
        ],
        check=True,
    )
    return manifest
