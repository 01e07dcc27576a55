"""Results do not depend on the host: the session time zone is UTC whatever TZ says, and
dbt sees only the environment it needs (never the Stripe key)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fiberbill import dbt as dbt_cli
from fiberbill.dbt import dbt_environment, log_dir
from ingest.errors import InputError
from ingest.loader import connect
from tests.support.inputs import REPO

PROBE = """
from ingest.loader import connect
con = connect()
print(con.sql("select current_setting('TimeZone'), "
              "cast(cast(date '2026-01-10' as timestamptz) as varchar)").fetchall())
"""


@pytest.mark.parametrize("tz", ["Asia/Tokyo", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_a_date_becomes_the_same_timestamp_whatever_the_host_time_zone(tz):
    env = {**os.environ, "TZ": tz}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "[('UTC', '2026-01-10 00:00:00+00')]"


def test_dbt_gets_only_what_it_needs_and_never_the_stripe_key(tmp_path):
    environ = {
        "PATH": "/usr/bin",
        "HOME": "/root",
        "STRIPE_API_KEY": "sk_live_secret",
        "STRIPE_WEBHOOK_SECRET": "whsec_secret",
        "PORTAL_SECRET": "x" * 32,
        "DBT_PROFILES_DIR": "/elsewhere",
        "FIBERBILL_DBT_TARGET": "duckdb",
        "AWS_SECRET_ACCESS_KEY": "nope",
    }
    env = dbt_environment(environ, tmp_path / "wh.duckdb")
    assert "STRIPE_API_KEY" not in env
    assert not any("secret" in value for value in env.values())
    assert env["PATH"] == "/usr/bin"
    assert env["FIBERBILL_DBT_TARGET"] == "duckdb"
    assert env["FIBERBILL_WAREHOUSE"] == str((tmp_path / "wh.duckdb").resolve())
    assert sorted(env) == [
        "DBT_PROFILES_DIR",
        "DBT_SEND_ANONYMOUS_USAGE_STATS",
        "FIBERBILL_DBT_TARGET",
        "FIBERBILL_WAREHOUSE",
        "HOME",
        "PATH",
    ]


def test_dbt_logs_go_beside_the_warehouse_or_to_the_configured_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("FIBERBILL_LOG_DIR", raising=False)
    assert log_dir(tmp_path / "wh.duckdb") == tmp_path / "wh.duckdb.logs"
    # the staged copy a call works on logs beside the real warehouse
    assert log_dir(tmp_path / "wh.duckdb.tmp-4242") == tmp_path / "wh.duckdb.logs"
    monkeypatch.setenv("FIBERBILL_LOG_DIR", str(tmp_path / "logs"))
    assert log_dir(tmp_path / "wh.duckdb") == tmp_path / "logs"
    assert not str(log_dir(tmp_path / "wh.duckdb")).startswith(str(Path(REPO) / "dbt"))


def test_dbt_runs_in_process_without_the_stripe_key_which_comes_back_after(tmp_path, monkeypatch):
    seen: list[dict] = []
    real_invoke = dbt_cli._invoke

    def spying(*args, **kwargs):
        seen.append(dict(os.environ))
        return real_invoke(*args, **kwargs)

    monkeypatch.setattr(dbt_cli, "_invoke", spying)
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_secret")
    monkeypatch.setenv("FIBERBILL_LOG_DIR", str(tmp_path / "logs"))
    dbt_cli.run_dbt("ls", tmp_path / "wh.duckdb", {"through": "2026-01-01"})
    assert seen  # the parse (if this process had none yet) and the ls itself
    for environment in seen:
        assert "STRIPE_API_KEY" not in environment
    # (a parse sees a stand-in path of the same database name: test below)
    assert seen[-1]["FIBERBILL_WAREHOUSE"] == str((tmp_path / "wh.duckdb").resolve())
    assert os.environ["STRIPE_API_KEY"] == "sk_test_secret"
    assert (tmp_path / "logs" / "dbt.log").exists()


def test_a_parse_is_saved_for_the_next_process_and_reused_unchanged(tmp_path, monkeypatch):
    monkeypatch.setenv("FIBERBILL_DBT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FIBERBILL_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(dbt_cli, "_MANIFESTS", {})  # as a new process
    dbt_cli.run_dbt("ls", tmp_path / "a" / "wh.duckdb.tmp-4242", {})
    [saved] = (tmp_path / "cache").glob("*-wh.duckdb/partial_parse.msgpack")
    written = saved.stat().st_mtime_ns
    monkeypatch.setattr(dbt_cli, "_MANIFESTS", {})
    # another staged copy of a warehouse of that name, in another folder: the parse fits it
    dbt_cli.run_dbt("ls", tmp_path / "b" / "wh.duckdb.tmp-5151", {})
    assert saved.stat().st_mtime_ns == written  # nothing changed: read, not parsed again
    assert list((tmp_path / "cache").iterdir()) == [saved.parent]


def test_dbt_logs_each_result_and_every_statement_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.delenv("FIBERBILL_DBT_LOG_LEVEL", raising=False)
    warehouse = tmp_path / "wh.duckdb"
    with connect(warehouse) as con:
        con.execute("create schema ledger")
        con.execute("create table ledger.run_days (run_date DATE, completed_at TIMESTAMPTZ)")
    for level in ("info", "debug"):
        monkeypatch.setenv("FIBERBILL_LOG_DIR", str(tmp_path / level))
        if level == "debug":
            monkeypatch.setenv("FIBERBILL_DBT_LOG_LEVEL", "debug")
        dbt_cli.run_dbt("run", warehouse, {}, select=["stg_ledger__run_days"])
    info = (tmp_path / "info" / "dbt.log").read_text()
    debug = (tmp_path / "debug" / "dbt.log").read_text()
    assert "OK created sql view model staging.stg_ledger__run_days" in info
    assert "create view" not in info and "create view" in debug
    monkeypatch.setenv("FIBERBILL_DBT_LOG_LEVEL", "loud")
    with pytest.raises(InputError, match="FIBERBILL_DBT_LOG_LEVEL: expected one of debug"):
        dbt_cli.run_dbt("ls", warehouse, {})


def test_dbt_runs_as_many_threads_as_asked(tmp_path, monkeypatch):
    warehouse = tmp_path / "wh.duckdb"
    with connect(warehouse) as con:
        con.execute("create schema ledger")
        con.execute("create table ledger.run_days (run_date DATE, completed_at TIMESTAMPTZ)")
    for threads in ("", "1", "3"):
        monkeypatch.setenv("FIBERBILL_LOG_DIR", str(tmp_path / f"logs{threads}"))
        monkeypatch.setenv("FIBERBILL_DBT_THREADS", threads)
        dbt_cli.run_dbt("run", warehouse, {}, select=["stg_ledger__run_days"])
        dbt_cli.run_dbt("ls", warehouse, {})  # ls takes no --threads
    log = {t: (tmp_path / f"logs{t}" / "dbt.log").read_text() for t in ("", "1", "3")}
    assert "Concurrency: 2 threads" in log[""]  # the profile's
    assert "Concurrency: 1 threads" in log["1"] and "Concurrency: 3 threads" in log["3"]
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("FIBERBILL_DBT_THREADS", bad)
        with pytest.raises(InputError, match="FIBERBILL_DBT_THREADS: expected a whole number"):
            dbt_cli.run_dbt("run", warehouse, {}, select=["stg_ledger__run_days"])
