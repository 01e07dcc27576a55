"""Build dbt invocations. Pure functions for the arguments, one runner for the call.

No Dagster import: the CLI and the Dagster assets both use these.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt"
# The marts built from the ledger: they are built after the run days have issued documents.
LEDGER_MARTS = "source:ledger+"


class DbtError(RuntimeError):
    """dbt failed: a model or a data test did not pass."""


def dbt_env(warehouse: Path) -> dict[str, str]:
    """Environment for a dbt call on the given warehouse (absolute path: TOOLCHAIN G6)."""
    return {
        "FIBERBILL_WAREHOUSE": str(Path(warehouse).resolve()),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


# Variables of the caller's environment a dbt call may see: what the interpreter, the shell
# and dbt itself need, and the adapters' own settings. Never STRIPE_API_KEY or any other
# secret of the billing run.
DBT_ENV_NAMES = frozenset({"PATH", "HOME", "LANG", "TMPDIR", "TEMP", "TMP", "USER", "VIRTUAL_ENV"})
DBT_ENV_PREFIXES = ("DBT_", "FIBERBILL_", "LC_", "PG")


def dbt_subprocess_env(environ: dict[str, str], warehouse: Path) -> dict[str, str]:
    """The environment of a dbt child process: only what it needs (DBT_ENV_NAMES and
    DBT_ENV_PREFIXES) plus the warehouse it works on."""
    kept = {
        name: value
        for name, value in environ.items()
        if name in DBT_ENV_NAMES or name.startswith(DBT_ENV_PREFIXES)
    }
    return kept | dbt_env(warehouse)


def log_dir(warehouse: Path) -> Path:
    """Where dbt writes its logs: FIBERBILL_LOG_DIR, else `<warehouse>.logs` beside the
    warehouse (never inside the installed package)."""
    configured = os.environ.get("FIBERBILL_LOG_DIR")
    if configured:
        return Path(configured).resolve()
    warehouse = Path(warehouse).resolve()
    # a call works on a staged copy `<warehouse>.tmp-<pid>`: log beside the real one
    name = re.sub(r"\.tmp-\d+$", "", warehouse.name)
    return warehouse.with_name(f"{name}.logs")


def dbt_args(
    command: str,
    dbt_vars: dict,
    select: Sequence[str] = (),
    extra: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> list[str]:
    """Arguments for `dbt <command>` in this project, with the operator settings as vars."""
    args = [
        command,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--vars",
        json.dumps(dbt_vars, sort_keys=True),
    ]
    if select:
        args += ["--select", *select]
    if exclude:
        args += ["--exclude", *exclude]
    return args + list(extra)


def dbt_executable() -> str:
    """The dbt of this interpreter's environment (its venv's bin), else the one on PATH."""
    for candidate in (Path(sys.prefix) / "bin" / "dbt", Path(sys.executable).with_name("dbt")):
        if candidate.exists():
            return str(candidate)
    return shutil.which("dbt") or "dbt"


def first_error(output: str) -> str:
    """The most useful line of dbt's output when it failed."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for marker in ("Failure in", "Error in", "Runtime Error", "Compilation Error", "Error"):
        for i, line in enumerate(lines):
            if marker in line:
                detail = lines[i + 1] if i + 1 < len(lines) and marker != "Error" else ""
                return f"{line} {detail}".strip()
    return lines[-1] if lines else "no output"


def run_dbt(
    command: str,
    warehouse: Path,
    dbt_vars: dict,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    flags: Sequence[str] = (),
) -> None:
    """Run dbt in a child process (its DuckDB handle closes with it). Raises DbtError.

    Each call compiles into its own temporary target folder, so runs on different
    warehouses at the same time never race on `dbt/target` (which Dagster reads).
    """
    env = dbt_subprocess_env(dict(os.environ), warehouse)
    with tempfile.TemporaryDirectory(prefix="fiberbill-dbt-") as target:
        args = dbt_args(
            command,
            dbt_vars,
            select,
            extra=[
                "--quiet",
                "--log-path",
                str(log_dir(warehouse)),
                "--target-path",
                target,
                *flags,
            ],
            exclude=exclude,
        )
        result = subprocess.run(
            [dbt_executable(), *args], env=env, capture_output=True, text=True, check=False
        )
    if result.returncode != 0:
        raise DbtError(f"dbt {command} failed: {first_error(result.stdout + result.stderr)}")
