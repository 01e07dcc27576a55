"""Shared fixtures: input folders written from small tables, and a parsed dbt manifest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.inputs import MINIMAL, REPO, write_table

# Test files that take a minute or more on the 2-core machine, longest first. `make test`
# hands files to its two workers in collection order (--dist loadfile
# --no-loadscope-reorder); starting the long ones first lets both finish together instead
# of one waiting on the other's last long file. Order only: an unlisted file runs after
# these, and a stale entry costs time, never a result.
LONGEST_FIRST = (
    "tests/collection/test_crash_matrix.py",
    "tests/billing/test_runs.py",
    "tests/dagster/test_orchestration.py",
    "tests/portal/test_browser.py",
    "tests/wholesale/test_specs.py",
    "tests/finance/test_dashboard_browser.py",
    "tests/billing/test_lifecycle.py",
    "tests/collection/test_money_safety.py",
    "tests/collection/test_e2e_generated.py",
    "tests/dagster/test_ui.py",
    "tests/billing/test_properties.py",
    "tests/collection/test_stripe.py",
    "tests/portal/test_stripe_flows.py",
    "tests/e2e/test_cli_run.py",
    "tests/dagster/test_definitions.py",
    "tests/billing/test_payments.py",
    "tests/collection/test_gateway.py",
    "tests/unit/test_generator.py",
    "tests/collection/test_exactly_once.py",
    "tests/finance/test_report.py",
    "tests/finance/test_analysts.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


@pytest.fixture(scope="session", autouse=True)
def _work_in_a_temporary_folder(tmp_path_factory):
    """Runs that use the default ./fiberbill.duckdb or ./fiberbill-exports write into a
    temporary folder, never into the repository. dbt's saved parses go to one folder of
    this test session that every xdist worker and child process shares, not to ~/.cache.
    Each dbt call runs one thread: the two xdist workers already keep both cores busy, and
    on these small warehouses a second dbt thread only waits for the first one's GIL."""
    previous = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    shared = tmp_path_factory.getbasetemp().parent / "dbt-parse-cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FIBERBILL_DBT_CACHE", str(shared))
        mp.setenv("FIBERBILL_DBT_THREADS", "1")
        yield
    os.chdir(previous)


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
