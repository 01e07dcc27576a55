"""`make demo`'s driver (sandbox/demo.py) on a small generated network: localstripe is
started and stopped, the customers who pay by transfer pay after each call, and the book
is believable: most invoices paid, late fees only on invoices that turned late."""

from __future__ import annotations

import os
import re
import urllib.request
from datetime import date, timedelta

import pytest

from fiberbill.samples.generator import NetworkSpec, generate
from sandbox import demo
from tests.support.marts import Marts


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    data = base / "data"
    generate(
        NetworkSpec(subscribers=100, providers=2, start=date(2025, 11, 1), months=2, seed=5),
        data,
    )
    before = {k: os.environ.get(k) for k in ("STRIPE_API_KEY", "STRIPE_API_BASE")}
    args = ["--data", str(data), "--through", "2025-12-31", "--warehouse", str(base / "wh.duckdb")]
    args += ["--exports", str(base / "exports"), "--documents-from", "2025-12-01"]
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert demo.main(args) == 0
    assert {k: os.environ.get(k) for k in before} == before  # the environment is restored
    return Marts(base / "wh.duckdb"), data, out.getvalue()


def test_localstripe_is_stopped_and_each_call_but_the_last_leaves_payments(demo_run):
    _, data, output = demo_run
    base = re.search(r"localstripe on (http://127\.0\.0\.1:\d+)", output).group(1)
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "/_config/test/stats", timeout=2)
    calls = re.findall(r"\[\d+/\d+\] through (\d{4}-\d\d-\d\d)", output)
    days = [d.isoformat() for d in demo.call_days(demo.first_day(data), date(2025, 12, 31))]
    assert calls == days and len(days) >= 3
    assert all(
        date.fromisoformat(b) - date.fromisoformat(a) <= timedelta(20)
        for a, b in zip(days, days[1:], strict=False)
    )
    files = sorted(p.name for p in data.glob("payments.*.csv"))
    assert files == [f"payments.{d}.csv" for d in days[:-1]]
    assert "the book" in output and "invoices: " in output


def test_the_book_is_believable(demo_run):
    marts, _, _ = demo_run
    counts = dict(marts.rows("select status, count(*) from marts.invoices group by status"))
    total = sum(int(n) for n in counts.values())
    assert int(counts["paid"]) > 0.6 * total
    assert int(counts.get("late", 0)) < 0.2 * total
    # late fees only on invoices that turned late
    assert marts.rows(
        "select count(*) from marts.invoice_lines l where l.kind = 'late_fee' and not exists ("
        " select 1 from ledger.invoice_status_history h"
        " join ledger.invoice_documents d using (invoice_id)"
        " where d.invoice_number = l.ref_invoice_number and h.status = 'late')"
    ) == [("0",)]
    # paid through Stripe by card and by a debit, and by transfer
    routes = {
        (source, method)
        for source, method in marts.rows(
            "select distinct source, method from marts.payments where status = 'succeeded'"
        )
    }
    assert ("stripe", "card") in routes
    assert ("stripe", "sepa_debit") in routes or ("stripe", "us_bank_account") in routes
    assert ("manual", "bank_transfer") in routes


def test_the_demo_prints_a_working_portal_link(demo_run):
    """The link `make demo` prints signs its customer in to `make portal` (which serves with
    the secret the demo kept), and shows that customer's invoices."""
    from fiberbill.portal.app import PortalConfig
    from tests.support.portal import Client, serve

    marts, _, output = demo_run
    url = re.search(r"customer portal: .*\n  (http://127\.0\.0\.1:8089/login\?token=\S+)", output)
    customer = re.search(r"the link of customer (\S+):", output).group(1)
    secret = demo.PORTAL_SECRET_FILE.read_bytes().strip()
    config = PortalConfig(warehouse=marts.warehouse, secret=secret, base_url="http://127.0.0.1")
    with serve(config) as base:
        client = Client(base)
        token = url.group(1).split("token=")[1]
        assert client.redeem(token).status_code == 200
        page = client.text("/invoices")
    numbers = [n for (n,) in marts.rows(
        "select invoice_number from marts.invoices where customer_id = ? and invoice_number "
        "is not null", [customer])]  # fmt: skip
    assert numbers and all(n in page for n in numbers)
    assert "Late" in page
