"""Build dbt invocations. Pure functions for the arguments, one runner for the call.

No Dagster import: the CLI and the Dagster assets both use these.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt"


class DbtError(RuntimeError):
    """dbt failed: a model or a data test did not pass."""


def dbt_env(warehouse: Path) -> dict[str, str]:
    """Environment for a dbt call on the given warehouse (absolute path: TOOLCHAIN G6)."""
    return {
        "FIBERBILL_WAREHOUSE": str(Path(warehouse).resolve()),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt_args(command: str, dbt_vars: dict, select: Sequence[str] = (), extra=()) -> list[str]:
    """Arguments for `dbt <command>` in this project, with the operator settings as vars."""
    args = [
        command,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--vars", json.dumps(dbt_vars, sort_keys=True),
    ]
    if select:
        args += ["--select", *select]
    return args + list(extra)


def run_dbt(command: str, warehouse: Path, dbt_vars: dict, select: Sequence[str] = ()) -> int:
    """Run dbt in-process; return the number of nodes run. Raises DbtError on any failure."""
    from dbt.cli.main import dbtRunner  # imported late: it takes a second to import

    saved = {k: os.environ.get(k) for k in dbt_env(warehouse)}
    os.environ.update(dbt_env(warehouse))
    try:
        result = dbtRunner().invoke(
            dbt_args(command, dbt_vars, select, extra=["--quiet", "--log-path",
                                                      str(DBT_PROJECT_DIR / "logs")])
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if result.exception is not None:
        raise DbtError(f"dbt {command} failed: {result.exception}")
    failures = [
        r for r in (result.result or [])
        if getattr(r, "status", None) in ("error", "fail", "runtime error")
    ]
    if failures or not result.success:
        first = failures[0] if failures else None
        where = f"{first.node.name}: {str(first.message).splitlines()[0]}" if first else "see logs"
        raise DbtError(f"dbt {command} failed ({len(failures)} node(s)); first: {where}")
    return len(result.result or [])
