"""Build dbt invocations. Pure functions for the arguments, one runner for the call.

No Dagster import: the CLI and the Dagster assets both use these.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ingest.errors import InputError

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt"
# The marts built from the ledger: they are built after the run days have issued documents.
LEDGER_MARTS = "source:ledger+"
# The models that read var `through` (tagged so), and what is built from them: all a new
# run day changes when no input changed (fiberbill/build_stamps.py).
AS_OF_RUN_DAY = "tag:as_of_run_day+"
# The views (staging): their SQL depends on the project alone, so a build may leave them be
# when the project has not changed since they were made (`run_dbt(rebuild_views=False)`).
VIEWS = "config.materialized:view"


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


def dbt_environment(environ: dict[str, str], warehouse: Path) -> dict[str, str]:
    """The environment dbt runs with (run_dbt swaps it in): only what it needs (DBT_ENV_NAMES and
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
    # a staged copy `<warehouse>.tmp-<pid>` (as calls made before DECISIONLOG 101) logs
    # beside the real one
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


def database_name(warehouse: Path) -> str:
    """The catalog name dbt-duckdb gives a warehouse file: its name without the last suffix.
    Every node of a parsed manifest carries it, so a manifest fits only warehouses of that
    name (the staged copy `w.duckdb.tmp-<pid>` is `w.duckdb`, whatever the pid)."""
    return os.path.splitext(Path(warehouse).name)[0]


# dbt commands that write models into the warehouse
WRITING_COMMANDS = frozenset({"build", "run", "seed", "snapshot"})
# dbt commands that run nodes against the warehouse (and take --threads)
RUNNING_COMMANDS = WRITING_COMMANDS | {"test"}

# What a parse reads in the project (dbt_project.yml names the same folders).
PROJECT_PARTS = ("models", "macros", "tests", "dbt_project.yml", "profiles.yml")


def project_fingerprint() -> tuple:
    """What a parse depends on in the project: each file's path, size and mtime."""
    files = []
    for part in PROJECT_PARTS:
        path = DBT_PROJECT_DIR / part
        files += [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
    return tuple(sorted((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files))


@contextmanager
def only_environment(environment: dict[str, str]) -> Iterator[None]:
    """Run the block with exactly `environment` as the process's environment, then put the
    caller's back. dbt reads its settings (and any `env_var()`) from os.environ; this keeps
    secrets such as STRIPE_API_KEY out of its reach while it runs in this process."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environment)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


# Parsed manifests of this process, by (database name, project fingerprint): parsing costs
# seconds, and the vars of a call (the run day) are applied when the models compile.
_MANIFESTS: dict[tuple, object] = {}
MANIFESTS_KEPT = 4


def parse_cache_dir() -> Path:
    """Where parsed projects are kept between processes: FIBERBILL_DBT_CACHE, else
    `$XDG_CACHE_HOME/fiberbill/dbt` (default `~/.cache/fiberbill/dbt`)."""
    configured = os.environ.get("FIBERBILL_DBT_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fiberbill" / "dbt"


def _manifest(warehouse: Path, logs: Path, cache: Path):
    """The parsed project for this warehouse's database name: from this process's memory,
    else parsed, partially when an earlier process left its parse in `cache` (dbt checks
    every file, the vars and the profile, and parses again whatever changed).

    The parse always sees the same stand-in warehouse path for a database name, so the
    saved parse fits every warehouse of that name: dbt puts the path into the profile hash
    it compares, and the pid of a staged copy would otherwise defeat the cache."""
    name = database_name(warehouse)
    key = (name, project_fingerprint())
    if key not in _MANIFESTS:
        project = hashlib.sha256(str(DBT_PROJECT_DIR).encode()).hexdigest()[:12]
        saved = cache / f"{project}-{name}" / "partial_parse.msgpack"
        saved.parent.mkdir(parents=True, exist_ok=True)
        real = os.environ["FIBERBILL_WAREHOUSE"]
        os.environ["FIBERBILL_WAREHOUSE"] = str(saved.parent / f"{name}.db")
        try:
            with tempfile.TemporaryDirectory(prefix="fiberbill-dbt-parse-") as target:
                extra = _quiet(logs, target)
                if saved.exists():
                    extra += ["--partial-parse-file-path", str(saved)]
                result = _invoke(None, dbt_args("parse", {}, extra=extra))
                written = Path(target) / "partial_parse.msgpack"
                if result.success and written.exists():  # a new parse: keep it for others
                    staged = saved.with_name(f"{saved.name}.{os.getpid()}")
                    shutil.copyfile(written, staged)
                    os.replace(staged, saved)
        finally:
            os.environ["FIBERBILL_WAREHOUSE"] = real
        if not result.success:
            raise DbtError(f"dbt parse failed: {_failure(result)}")
        while len(_MANIFESTS) >= MANIFESTS_KEPT:  # the oldest goes first
            del _MANIFESTS[next(iter(_MANIFESTS))]
        _MANIFESTS[key] = result.result
    return _MANIFESTS[key]


# What dbt writes to its log file: each node's result and every error. `debug` adds every
# statement it runs, for troubleshooting; writing those costs a fifth of a small build.
DEFAULT_LOG_LEVEL = "info"
LOG_LEVELS = ("debug", "info", "warn", "error", "none")


def file_log_level() -> str:
    """FIBERBILL_DBT_LOG_LEVEL (debug, info, warn, error or none), else info."""
    level = os.environ.get("FIBERBILL_DBT_LOG_LEVEL", DEFAULT_LOG_LEVEL).strip().lower()
    if level not in LOG_LEVELS:
        raise InputError(
            f"FIBERBILL_DBT_LOG_LEVEL: expected one of {', '.join(LOG_LEVELS)}, not {level!r}"
        )
    return level


def threads() -> list[str]:
    """`--threads N` from FIBERBILL_DBT_THREADS (a whole number >= 1), else nothing: the
    profile's 2. Models and tests run N at a time; DuckDB parallelizes each query over the
    machine's cores whatever N is, so more threads help only a warehouse whose models are
    small enough that dbt's own work per node is what a build waits on."""
    value = os.environ.get("FIBERBILL_DBT_THREADS", "").strip()
    if not value:
        return []
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"FIBERBILL_DBT_THREADS: expected a whole number >= 1, not {value!r}")
    return ["--threads", str(int(value))]


def _quiet(logs: Path, target: str) -> list[str]:
    # nothing on the terminal (the CLI prints its own summary); the log to a file
    return [
        "--no-write-json",
        "--log-level",
        "none",
        "--log-level-file",
        file_log_level(),
        "--log-path",
        str(logs),
        "--target-path",
        target,
    ]


# dbt's events that report one node's result (what Dagster turns into materializations
# and asset check results)
RESULT_EVENTS = frozenset({"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"})


def _invoke(manifest, args: list[str], node_results: list[dict] | None = None):
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    errors: list[str] = []

    def listen(event) -> None:
        if event.info.level == "error" and event.info.msg:
            errors.append(event.info.msg)
        if node_results is not None and event.info.name in RESULT_EVENTS:
            node_results.append(msg_to_dict(event))

    try:
        result = dbtRunner(manifest=manifest, callbacks=[listen]).invoke(args)
    finally:
        _release(DuckDBConnectionManager)
    result.errors = errors  # the messages dbt logged at error level, for _failure
    return result


def _release(manager) -> None:
    """Close dbt-duckdb's database handle now: the engine opens the file next, in this
    process, and DuckDB would refuse (or share) a handle left open by dbt."""
    environment = manager._ENV
    manager._ENV = None
    if environment is not None:
        environment.close()


def _no_unit_tests(command: str) -> list[str]:
    return ["--exclude-resource-type", "unit_test"] if command == "build" else []


def _failure(result) -> str:
    """The most useful words of a failed invocation: the first failing node and its message,
    else dbt's first error line, else the exception."""
    for node in getattr(result.result, "results", None) or []:
        if str(node.status) in {"error", "fail", "runtime error"}:
            name = getattr(node.node, "name", "?")
            kind = getattr(node.node, "resource_type", "node")
            message = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", node.message or "").split())
            return f"{str(node.status).capitalize()} in {kind} {name}: {message}"[:500]
    if getattr(result, "errors", None):
        return first_error("\n".join(result.errors))
    return str(result.exception or "no output")


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
    node_results: list[dict] | None = None,
    rebuild_views: bool = True,
    keep_stamps: bool = False,
) -> int:
    """Run dbt in this process on a manifest parsed once per process; return how many
    nodes ran. Raises DbtError. `node_results`, when given, receives each node's result
    event as dbt's structured log writes it (the Dagster assets report them).

    dbt sees only the environment of `dbt_environment` while it runs, and its DuckDB
    handle is closed before this returns. Each call compiles into its own temporary target
    folder, so runs on different warehouses never race on `dbt/target` (which Dagster reads).
    dbt's unit tests check the models' logic, not the data: `make test` runs them once
    (tests/unit/test_dbt_unit_tests.py), a billing run does not.

    `rebuild_views=False` leaves the views out of the selection but still runs their data
    tests (the rows under them may be new): the views are excluded with indirect selection
    off, so their tests stay selected (tests/unit/test_build_stamps.py proves the node sets).

    A build forgets every build stamp of the warehouse first, unless `keep_stamps`: only
    the steps of a call (fiberbill/run.py) keep them, since each builds exactly what its own
    stamp describes, a function of the input and ledger rows that no other build changes.
    """
    if command in WRITING_COMMANDS and not keep_stamps:
        # a build from any front door makes the runner's records of earlier builds untrue
        from fiberbill.build_stamps import forget  # build_stamps imports this module

        forget(warehouse)
    logs = log_dir(warehouse)
    cache = parse_cache_dir()
    with only_environment(dbt_environment(dict(os.environ), warehouse)):
        manifest = _manifest(warehouse, logs, cache)
        with tempfile.TemporaryDirectory(prefix="fiberbill-dbt-") as target:
            if not rebuild_views:
                exclude = [*exclude, VIEWS]
                flags = [*flags, "--indirect-selection", "empty"]
            args = dbt_args(
                command,
                dbt_vars,
                select,
                extra=[
                    *_quiet(logs, target),
                    *(threads() if command in RUNNING_COMMANDS else []),
                    *_no_unit_tests(command),
                    *flags,
                ],
                exclude=exclude,
            )
            result = _invoke(manifest, args, node_results)
    if not result.success:
        raise DbtError(f"dbt {command} failed: {_failure(result)}")
    return len(getattr(result.result, "results", None) or [])
