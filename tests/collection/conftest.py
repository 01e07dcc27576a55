"""A real Stripe-compatible server for the collection tests: localstripe, started on
127.0.0.1 on a free port by sandbox/localstripe_server.py, reset between tests."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from sandbox.localstripe import API_KEY, LocalStripe, free_port
from tests.support.inputs import REPO


@pytest.fixture(scope="session")
def localstripe_server():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.localstripe_server", "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/_config/test/stats", timeout=1)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(
                    "localstripe did not start: " + proc.stderr.read().decode()[-2000:]
                ) from None
            time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def localstripe(localstripe_server, monkeypatch) -> LocalStripe:
    server = LocalStripe(localstripe_server)
    server.delete("/_config/data")
    server.delete("/_config/test/stats")
    server.post("/_config/test/faults", {"count": 0})
    monkeypatch.setenv("STRIPE_API_KEY", API_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", localstripe_server)
    return server
