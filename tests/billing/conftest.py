"""Run fiberbill once per scenario and read the marts back."""

from __future__ import annotations

import pytest

from tests.support.marts import Marts, run
from tests.support.scenario import write_scenario


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Marts:
    base = tmp_path_factory.mktemp("scenario")
    warehouse = base / "wh.duckdb"
    run(write_scenario(base / "data"), warehouse)
    return Marts(warehouse)
