"""The golden scenario billed through 2026-04-20, once per test session (tests/finance)."""

from __future__ import annotations

import pytest

from fiberbill.cli import main
from tests.support.inputs import run_args
from tests.support.scenario import THROUGH, write_scenario


@pytest.fixture(scope="session")
def golden(tmp_path_factory):
    base = tmp_path_factory.mktemp("finance")
    data = write_scenario(base / "data")
    warehouse = base / "golden.duckdb"
    assert main(run_args(data, warehouse, "--no-documents", through=THROUGH)) == 0
    return warehouse
