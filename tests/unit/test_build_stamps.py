"""The skip of dbt work is only as safe as its rule: no model outside the `as_of_run_day`
tag (and what is built from it) reads the run day. These tests keep the rule true."""

from __future__ import annotations

import re

from fiberbill import build_stamps
from fiberbill.dbt import DBT_PROJECT_DIR

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
