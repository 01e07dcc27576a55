"""A small billed network for the portal tests: Ann (C1, Norway) and Bob (C2, Germany),
each with Monthly 60.00 and its documents, billed through Feb 3 2026."""

from __future__ import annotations

from pathlib import Path

import pytest

from fiberbill.cli import main
from tests.support.inputs import run_args
from tests.support.portal_network import write_network


@pytest.fixture(scope="module")
def billed(tmp_path_factory) -> Path:
    """The warehouse (with its published snapshot and documents) of the network above."""
    root = tmp_path_factory.mktemp("portal")
    folder = write_network(root / "data")
    warehouse = root / "w.duckdb"
    assert main(run_args(folder, warehouse, through="2026-02-03", exports=root / "exports")) == 0
    return warehouse
