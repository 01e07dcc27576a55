"""A client of the localstripe test server (tests/collection/localstripe_server.py)."""

from __future__ import annotations

import socket
import urllib.parse
import urllib.request

import stripe

API_KEY = "sk_test_fiberbill_tests_0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
