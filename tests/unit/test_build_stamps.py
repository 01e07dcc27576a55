"""The skip of dbt work is only as safe as its rule: no model outside the `as_of_run_day`
tag (and what is built from it) reads the run day. These tests keep the rule true."""

from __future__ import annotations

import re

import pytest

from fiberbill import build_stamps
from fiberbill import dbt as dbt_cli
from fiberbill.dbt import AS_OF_RUN_DAY, DBT_PROJECT_DIR, LEDGER_MARTS, VIEWS

NAMES = "|".join(build_stamps.RUN_DAY_VARS)
RUN_DAY_VAR = re.compile(r"""var\(\s*['"](""" + NAMES + r""")['"]""")
TAG = re.compile(r"""config\([^)]*tags\s*=\s*\[[^\]]*['"]as_of_run_day['"]""")


def test_every_model_that_reads_the_run_day_is_tagged_as_of_run_day():
    models = sorted((DBT_PROJECT_DIR / "models").rglob("*.sql"))
    reading = [m for m in models if RUN_DAY_VAR.search(m.read_text())]
    assert {m.stem for m in reading} >= {"int_billing_periods", "int_charges__targets"}
    untagged = [m.name for m in reading if not TAG.search(m.read_text())]
    assert untagged == []


def test_no_macro_reads_the_run_day():
    """A macro would carry the var into models the tag rule cannot see."""
    macros = sorted((DBT_PROJECT_DIR / "macros").rglob("*.sql"))
    assert macros and [m.name for m in macros if RUN_DAY_VAR.search(m.read_text())] == []


def test_the_inputs_stamp_ignores_the_run_day_and_nothing_else():
    dbt_vars = {"timezone": "UTC", "through": "2026-02-01", "refund_unused_days": {}}
    assert build_stamps.without_run_day(dbt_vars) == {"timezone": "UTC", "refund_unused_days": {}}


LS = ["--resource-type", "all", "--exclude-resource-type", "unit_test", "--output", "name"]


def listed(monkeypatch, warehouse, select, exclude, rebuild_views=True) -> set[str]:
    """The nodes `run_dbt` would build for this selection (dbt ls with the same arguments)."""
    results = []
    real_invoke = dbt_cli._invoke

    def keeping(*args, **kwargs):
        result = real_invoke(*args, **kwargs)
        results.append(result.result)
        return result

    monkeypatch.setattr(dbt_cli, "_invoke", keeping)
    dbt_cli.run_dbt("ls", warehouse, {}, select, exclude, flags=LS, rebuild_views=rebuild_views)
    monkeypatch.setattr(dbt_cli, "_invoke", real_invoke)
    return set(results[-1])


@pytest.mark.parametrize(
    ("select", "exclude"),
    [([], [LEDGER_MARTS]), ([AS_OF_RUN_DAY], [LEDGER_MARTS]), ([LEDGER_MARTS], [])],
    ids=["derive", "new-run-day", "marts"],
)
def test_a_build_that_leaves_the_views_be_still_runs_all_their_data_tests(
    tmp_path, monkeypatch, select, exclude
):
    monkeypatch.setenv("FIBERBILL_LOG_DIR", str(tmp_path / "logs"))
    warehouse = tmp_path / "wh.duckdb"
    views = listed(monkeypatch, warehouse, [VIEWS], [], rebuild_views=True)
    views = {v for v in views if v.startswith("stg_")}
    assert len(views) >= 30
    everything = listed(monkeypatch, warehouse, select, exclude)
    without_views = listed(monkeypatch, warehouse, select, exclude, rebuild_views=False)
    assert without_views == everything - views
    # the tests of the views are still there, e.g. the input ids' uniqueness
    if not select:
        assert "key_stg_inputs__orders_order_id" in without_views
