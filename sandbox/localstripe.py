"""A client of the localstripe test server (sandbox/localstripe_server.py)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import stripe

API_KEY = "sk_test_fiberbill_tests_0123456789"

# Stripe's test numbers, as localstripe (and sandbox/localstripe_server.py for ACH) answer them
CARD_OK, CARD_DECLINED_AT_CHARGE, CARD_DECLINED_AT_ATTACH = (
    "4242424242424242",
    "4000000000000341",
    "4000000000000002",
)
IBAN_OK, IBAN_FAILS = "DE89370400440532013000", "DE62370400440532013001"
ACH_OK, ACH_FAILS = "000123456789", "000111111116"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve() -> Iterator[str]:
    """localstripe (sandbox/localstripe_server.py) on 127.0.0.1 on a free port, for the
    block's duration: yields its base URL, and stops it when the block ends, also on an
    error or an interrupt."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.localstripe_server", "--port", str(port)],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
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
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


class LocalStripe:
    def __init__(self, base: str):
        self.base = base
        self.client = stripe.StripeClient(
            API_KEY, base_addresses={"api": base}, max_network_retries=0
        )

    def post(self, path: str, fields: dict | None = None) -> None:
        data = urllib.parse.urlencode(fields or {}).encode()
        urllib.request.urlopen(urllib.request.Request(self.base + path, data=data), timeout=10)

    def delete(self, path: str) -> None:
        urllib.request.urlopen(
            urllib.request.Request(self.base + path, method="DELETE"), timeout=10
        )

    def stats(self) -> dict:
        import json

        with urllib.request.urlopen(self.base + "/_config/test/stats", timeout=10) as r:
            return json.loads(r.read())

    def card(self, number: str) -> str:
        pm = self.client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
            }
        )
        return pm.id

    def sepa(self, iban: str) -> str:
        return self.client.v1.payment_methods.create(
            params={"type": "sepa_debit", "sepa_debit": {"iban": iban}}
        ).id

    def ach(self, account: str) -> str:
        return self.client.v1.payment_methods.create(
            params={
                "type": "us_bank_account",
                "us_bank_account": {"account_number": account, "routing_number": "110000000"},
            }
        ).id

    def all(self, resource: str) -> list:
        """Every object of a list endpoint (payment_intents, charges, refunds, customers)."""
        items, params = [], {"limit": 100}
        while True:
            page = getattr(self.client.v1, resource).list(params=params)
            items += page.data
            if not page.has_more:
                return items
            params["starting_after"] = page.data[-1].id


def give_methods_stripe_ids(
    folder,
    server: LocalStripe,
    card=lambda i: CARD_OK,
    sepa=lambda i: IBAN_OK,
    ach=lambda i: ACH_OK,
) -> list[dict]:
    """Give every payment method of a generated network (`payment_methods.csv`) a real
    localstripe id: cards by `card(i)` (a test number), SEPA debits by `sepa(i)` (an IBAN)
    and ACH debits by `ach(i)` (an account number); by default all that work. Returns the
    rows written."""
    import csv

    path = folder / "payment_methods.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        methods = list(csv.DictReader(fh))
    make = {
        "card": lambda i: server.card(card(i)),
        "sepa_debit": lambda i: server.sepa(sepa(i)),
        "us_bank_account": lambda i: server.ach(ach(i)),
    }
    for i, row in enumerate(methods):
        row["stripe_payment_method_id"] = make[row["type"]](i)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(methods[0]))
        writer.writeheader()
        writer.writerows(methods)
    return methods
