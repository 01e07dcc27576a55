"""Isolation on a generated network: each provider's folder holds only its own orders, and
nothing about customers beyond what docs/open-access.md says a provider receives."""

from __future__ import annotations

import csv
import json
from datetime import date

import polars as pl

from exports.wholesale import COLUMNS
from fiberbill.cli import main
from fiberbill.samples.generator import NetworkSpec, generate
from tests.support.inputs import run_args


def test_every_providers_folder_holds_only_its_own_orders(tmp_path):
    folder = tmp_path / "data"
    generate(NetworkSpec(subscribers=150, providers=4, start=date(2026, 1, 1), months=2), folder)
    exports = tmp_path / "exports"
    assert (
        main(run_args(folder, tmp_path / "wh.duckdb", through="2026-03-01", exports=exports)) == 0
    )

    products = {r["product_id"]: r["provider_id"] for r in _read(folder / "products.csv")}
    owner = {r["order_id"]: products[r["product_id"]] for r in _read(folder / "orders.csv")}
    customers = _read(folder / "customers.csv")
    personal = {c["customer_id"] for c in customers} | {c["name"] for c in customers}
    personal |= {c["email"] for c in customers if c["email"]}

    providers = sorted(p.name for p in (exports / "wholesale").iterdir())
    assert providers == ["P001", "P002", "P003", "P004"]
    for provider in providers:
        months = sorted(p.name for p in (exports / "wholesale" / provider).iterdir())
        assert months == ["2026-01", "2026-02"], provider
        for month in months:
            spec = exports / "wholesale" / provider / month
            rows = _read(spec / "spec.csv")
            assert rows and tuple(rows[0]) == COLUMNS
            assert {owner[r["order_id"]] for r in rows} == {provider}
            text = (spec / "spec.csv").read_text() + (spec / "summary.html").read_text()
            assert not any(value in text for value in personal), (provider, month)
            frame = pl.read_parquet(spec / "spec.parquet")
            assert tuple(frame.columns) == COLUMNS and frame.height == len(rows)
            manifest = json.loads((spec / "manifest.json").read_text())
            assert (manifest["provider_id"], manifest["line_count"]) == (provider, len(rows))


def _read(path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
