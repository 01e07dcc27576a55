"""A real Stripe-compatible server for the collection tests: localstripe, started on
127.0.0.1 on a free port by sandbox/localstripe_server.py, reset between tests."""

from __future__ import annotations

import pytest

from sandbox.localstripe import API_KEY, LocalStripe, serve


@pytest.fixture(scope="session")
def localstripe_server():
    with serve() as base:
        yield base


@pytest.fixture
def localstripe(localstripe_server, monkeypatch) -> LocalStripe:
    server = LocalStripe(localstripe_server)
    server.delete("/_config/data")
    server.delete("/_config/test/stats")
    server.post("/_config/test/faults", {"count": 0})
    monkeypatch.setenv("STRIPE_API_KEY", API_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", localstripe_server)
    return server
