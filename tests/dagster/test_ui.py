"""`dagster dev` answers for a newcomer: the asset graph, the schedules and the sensor over
GraphQL, and one billing partition materialized through the API, as the UI's Materialize
button does. The server runs on a free port with its own DAGSTER_HOME and is stopped by
its PID."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from tests.support.wholesale_network import write_network

REPO = Path(__file__).resolve().parents[2]
LOCATION = "dagster_project.definitions"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}"

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/server_info", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = json.loads(response.read())
        assert "errors" not in payload, payload["errors"]
        return payload["data"]


@pytest.fixture
def server(dbt_manifest, tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "dagster_project" / "dagster.yaml", home / "dagster.yaml")
    bin_dir = Path(sys.executable).parent
    env = os.environ | {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "DAGSTER_HOME": str(home),
        "FIBERBILL_DATA_DIR": str(write_network(tmp_path / "data")),
        "FIBERBILL_WAREHOUSE": str(tmp_path / "ui.duckdb"),
        "FIBERBILL_EXPORTS": str(tmp_path / "exports"),
    }
    env.pop("STRIPE_API_KEY", None)
    port = free_port()
    log = (tmp_path / "dagster-dev.log").open("w")
    process = subprocess.Popen(
        [str(bin_dir / "dagster"), "dev", "-m", LOCATION, "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped with everything it started
    )
    server = Server(port)
    try:
        deadline = time.monotonic() + 180
        while not server.ready():
            assert process.poll() is None, (tmp_path / "dagster-dev.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "dagster dev did not answer in 180 s"
            time.sleep(1)
        yield server, tmp_path
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        log.close()
    assert process.poll() is not None


REPOSITORY = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__"}
PARTITION = {"key": "dagster/partition", "value": "2026-02-01"}


def test_the_ui_shows_the_cycle_and_materializes_a_billing_day(server):
    server, tmp = server
    nodes = server.graphql("{ assetNodes { assetKey { path } } }")["assetNodes"]
    keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
    assert {"raw/orders", "ledger/invoices", "marts/invoices", "exports/wholesale_specs"} <= keys

    schedules = server.graphql(
        """query($repo: RepositorySelector!) { schedulesOrError(repositorySelector: $repo) {
            ... on Schedules { results { name cronSchedule executionTimezone } } } }""",
        {"repo": REPOSITORY},
    )["schedulesOrError"]["results"]
    assert sorted((s["name"], s["cronSchedule"]) for s in schedules) == [
        ("daily_billing", "30 23 * * *"),
        ("monthly_wholesale", "45 23 1 * *"),
    ]
    sensors = server.graphql(
        """query($repo: RepositorySelector!) { sensorsOrError(repositorySelector: $repo) {
            ... on Sensors { results { name } } } }""",
        {"repo": REPOSITORY},
    )["sensorsOrError"]["results"]
    assert sorted(s["name"] for s in sensors) == ["cli_runs_sensor", "inbox_sensor"]

    launched = server.graphql(
        """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
            __typename
            ... on LaunchRunSuccess { run { runId } }
            ... on PythonError { message }
            ... on RunConfigValidationInvalid { errors { message } } } }""",
        {
            "params": {
                "selector": REPOSITORY | {"jobName": "billing_cycle"},
                "executionMetadata": {"tags": [PARTITION]},
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline, status = time.monotonic() + 300, None
    while time.monotonic() < deadline:
        status = server.graphql(
            "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }",
            {"id": run_id},
        )["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(2)
    assert status == "SUCCESS"
    with duckdb.connect(str(tmp / "ui.duckdb"), read_only=True) as con:
        issued = con.execute(
            "select invoice_number, customer_id, issue_date, total from marts.invoices "
            "order by invoice_number"
        ).fetchall()
    # O1 (customer A) active from Jan 10: its first invoice, then February on the 1st
    assert [(n, c, str(d)) for n, c, d, _ in issued][:1] == [("INV-2026-000001", "A", "2026-01-10")]
    assert str(max(d for _, _, d, _ in issued)) == "2026-02-01"
