"""The Stripe gateway: token bucket, 429 with Retry-After, 5xx backoff, and a key that never
shows; and the webhook endpoint: signatures verified, events kept for the next run."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from datetime import date

import pytest

from fiberbill import run as runner
from fiberbill.collection.gateway import StripeFailure, StripeGateway, TokenBucket
from fiberbill.collection.webhooks import make_server
from sandbox.localstripe import API_KEY, free_port
from tests.support.collection_network import CASES, write_network
from tests.support.marts import Marts


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_token_bucket_holds_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(20, clock=clock, sleep=clock.sleep)
    for _ in range(120):
        bucket.acquire()
    # 20 saved-up tokens go at once; the other 100 take 100 / 20 = 5 s
    assert clock.now == pytest.approx(5.0)
    with pytest.raises(ValueError):
        TokenBucket(0)


def gateway(localstripe, slept: list, **kwargs) -> StripeGateway:
    return StripeGateway(api_key=API_KEY, api_base=localstripe.base, sleep=slept.append, **kwargs)


def test_429_waits_for_retry_after_then_succeeds(localstripe):
    slept: list[float] = []
    gw = gateway(localstripe, slept)
    localstripe.post("/_config/test/faults", {"count": 2, "status": 429, "retry_after": "1.5"})
    customer = gw.create_customer("C1", "Ann", key="k1")
    assert customer["id"].startswith("cus_")
    assert gw.throttled == 2 and gw.calls == 3
    assert slept == [1.5, 1.5]


def test_5xx_backs_off_and_gives_up_with_a_clean_message(localstripe):
    slept: list[float] = []
    gw = gateway(localstripe, slept, max_retries=2)
    localstripe.post("/_config/test/faults", {"count": 5, "status": 503, "retry_after": "0"})
    with pytest.raises(StripeFailure) as failure:
        gw.create_customer("C1", "Ann", key="k2")
    assert gw.calls == 3
    message = str(failure.value)
    assert message.startswith("Stripe customer create failed (503)")
    assert API_KEY not in message and API_KEY not in repr(gw)
    localstripe.post("/_config/test/faults", {"count": 0})


def test_a_missing_key_is_a_clear_error():
    with pytest.raises(StripeFailure, match="STRIPE_API_KEY is not set"):
        StripeGateway(api_key="")


def test_a_run_survives_rate_limiting(localstripe, tmp_path, monkeypatch):
    """Every third request throttled: the run still charges each invoice exactly once."""
    folder = write_network(tmp_path / "data", localstripe, {c: CASES[c] for c in ("SA", "SG")})
    localstripe.post("/_config/test/faults", {"count": 3, "status": 429, "retry_after": "0.1"})
    result = runner.run(folder, date(2026, 1, 10), warehouse=tmp_path / "wh.duckdb")
    assert result.issued["stripe_succeeded"] == 2
    succeeded = [pi for pi in localstripe.all("payment_intents") if pi.status == "succeeded"]
    assert sorted(pi.metadata["invoice_number"] for pi in succeeded) == [
        "INV-2026-000001",
        "INV-2026-000002",
    ]


SECRET = "whsec_fiberbill_tests"


@pytest.fixture
def webhook_server(tmp_path):
    port = free_port()
    server = make_server(tmp_path / "wh.duckdb", SECRET, "127.0.0.1", port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/stripe/webhooks", tmp_path / "wh.duckdb"
    server.shutdown()
    server.server_close()


def post(url: str, body: bytes, signature: str) -> int:
    request = urllib.request.Request(
        url, data=body, headers={"Stripe-Signature": signature, "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_webhooks_with_a_bad_signature_are_refused_and_not_kept(webhook_server):
    url, warehouse = webhook_server
    body = json.dumps({"id": "evt_1", "object": "event", "type": "x", "data": {}}).encode()
    assert post(url, body, "t=1,v1=deadbeef") == 400
    stamp = int(time.time())
    good = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert post(url, body, f"t={stamp},v1={good}") == 200
    inbox = warehouse.with_name("wh.duckdb.stripe-webhooks.jsonl")
    assert [json.loads(line)["id"] for line in inbox.read_text().splitlines()] == ["evt_1"]


def test_a_webhook_settles_a_debit_without_asking_stripe_again(
    localstripe, webhook_server, tmp_path
):
    url, warehouse = webhook_server
    localstripe.post(
        "/_config/webhooks/fiberbill",
        {"url": url, "secret": SECRET, "events[]": "payment_intent.succeeded"},
    )
    folder = write_network(tmp_path / "data", localstripe, {"SC": CASES["SC"]})
    runner.run(folder, date(2026, 1, 10), warehouse=warehouse)
    inbox = warehouse.with_name("wh.duckdb.stripe-webhooks.jsonl")
    deadline = time.monotonic() + 10
    while not inbox.exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # localstripe settles after 0.5 s and sends 1 s later
    assert inbox.exists(), "no webhook arrived"
    localstripe.delete("/_config/test/stats")
    runner.run(folder, date(2026, 1, 11), warehouse=warehouse)
    assert localstripe.stats()["requests"] == 0  # settled from the event alone
    assert Marts(warehouse).rows(
        "select status, run_date from ledger.payment_attempts order by event_id"
    ) == [("pending", "2026-01-10"), ("processing", "2026-01-10"), ("succeeded", "2026-01-11")]
    assert Marts(warehouse).rows("select status from marts.invoices") == [("paid",)]
