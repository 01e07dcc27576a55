"""The portal's security promises (docs/security.md lists each with its test here):
isolation between customers, links, sessions, CSRF, headers, the live-key guard, and no
secrets in responses or logs. Against a real server on 127.0.0.1."""

from __future__ import annotations

import logging
import re
import time

import pytest

from fiberbill.cli import main
from fiberbill.collection.gateway import StripeGateway, StripeRejected
from fiberbill.portal import links
from fiberbill.portal.app import PortalConfig
from fiberbill.portal.store import Store, store_path
from tests.support.portal import SECRET, Client, serve, visible

PRIVATE = ("/", "/invoices", "/payment-methods", "/preferences")


def _config(warehouse, **kw) -> PortalConfig:
    """Every client here is 127.0.0.1: only the rate limit's own test limits sign-ins."""
    kw.setdefault("redeem_limit", 10_000)
    return PortalConfig(warehouse=warehouse, secret=SECRET, base_url="http://127.0.0.1", **kw)


@pytest.fixture(scope="module")
def portal(billed):
    """Every client here is 127.0.0.1: the rate limit has a test of its own."""
    with serve(_config(billed, redeem_limit=10_000)) as base:
        yield base


def _changes(warehouse) -> list[tuple]:
    return Store(store_path(warehouse)).rows(
        "select customer_id, change_table, coalesce(field, action), new_value from changes "
        "order by seq"
    )


def _own_links(html: str) -> list[str]:
    return sorted(set(re.findall(r'href="(/documents/[^"]+)"', html)))


def test_a_customer_sees_only_their_own_data_and_others_get_nothing(portal, billed):
    ann, bob, nobody = Client(portal), Client(portal), Client(portal)
    assert ann.login("C1").status_code == 200
    assert bob.login("C2").status_code == 200
    # Ann's pages hold her data: her name, her invoices and their documents
    assert "Hello, Ann Andersen" in ann.text("/")
    ann_invoices = ann.get("/invoices").text
    ann_docs = _own_links(ann_invoices)
    assert ann_docs == [
        "/documents/INV-2026-000001.html",
        "/documents/INV-2026-000001.pdf",
        "/documents/INV-2026-000003.html",
        "/documents/INV-2026-000003.pdf",
    ]
    assert ann.get("/documents/INV-2026-000001.pdf").content.startswith(b"%PDF")
    assert ann.get("/documents/INV-2026-000001.txt").status_code == 404
    # Bob sees his own, never Ann's: her document URLs are the same 404 as any unknown URL
    bob_pages = " ".join(bob.get(path).text for path in PRIVATE)
    assert "Ann" not in bob_pages and "INV-2026-000001" not in bob_pages
    assert "INV-2026-000002" in bob_pages
    not_found = bob.get("/no/such/page")
    for url in ann_docs:
        answer = bob.get(url)
        assert (answer.status_code, visible(answer.text)) == (404, visible(not_found.text))
    # without a session: nothing but the sign-in notice
    for url in [*PRIVATE, *ann_docs]:
        answer = nobody.get(url, allow_redirects=False)
        assert answer.status_code == 401
        assert "Ann" not in answer.text and "INV-2026" not in answer.text


def test_a_customers_forms_replayed_by_another_customer_or_without_a_session_do_nothing(
    portal, billed
):
    ann, bob, nobody = Client(portal), Client(portal), Client(portal)
    ann.login("C1")
    bob.login("C2")
    before = _changes(billed)
    bob_token = bob.csrf("/preferences")
    # Ann's invoice, paid by Bob; Ann's invoice with Ann's token but Bob's cookie
    assert bob.post("/invoices/INV-2026-000001/pay", {"csrf_token": bob_token, "method": "x"},
                    allow_redirects=False).status_code == 404  # fmt: skip
    assert bob.post("/invoices/INV-2026-000001/pay",
                    {"csrf_token": ann.csrf(), "method": "x"}).status_code == 403  # fmt: skip
    # an action that does not exist, on a method of Bob's or not
    assert bob.post("/payment-methods/PM-ANN/erase", {"csrf_token": bob_token}).status_code \
        == 404  # fmt: skip
    # a payment method id that is not Bob's
    assert bob.post("/payment-methods/PM-ANN/default", {"csrf_token": bob_token}).status_code \
        == 404  # fmt: skip
    # without a session, every form is refused before anything is read or written
    for path in ("/preferences", "/invoices/INV-2026-000001/pay", "/payment-methods/x/remove",
                 "/payment-methods/test", "/logout"):  # fmt: skip
        answer = nobody.post(path, {"csrf_token": bob_token}, allow_redirects=False)
        assert answer.status_code in (401, 303), path
        assert "INV-2026" not in answer.text
    assert _changes(billed) == before
    # Bob's own change is recorded for Bob, whatever the form says about a customer
    bob.post("/preferences", {"csrf_token": bob_token, "collection_method": "manual",
                              "invoice_email": "bob@new.example", "customer_id": "C1"})  # fmt: skip
    assert _changes(billed)[len(before) :] == [
        ("C2", "preference_changes", "invoice_email", "bob@new.example")
    ]


def test_forged_expired_reused_and_unknown_links_are_refused(portal):
    good = links.make_token(SECRET, "C1", 900)
    payload, signature = good.split(".")
    other = links.make_token(b"another-secret-that-is-long-enough-00", "C1", 900)
    forged_customer = links.make_token(SECRET, "C2", 900).split(".")[0] + "." + signature
    expired = links.make_token(SECRET, "C1", 60, now=time.time() - 3600)
    unknown = links.make_token(SECRET, "C404", 900)
    for token in (other, forged_customer, payload + ".AAAA", "garbage", expired, unknown, ""):
        client = Client(portal)
        answer = client.redeem(token)
        assert answer.status_code == 400, token
        assert "fiberbill_portal" not in client.http.cookies
        assert client.get("/", allow_redirects=False).status_code == 401
    assert "expired" in visible(Client(portal).redeem(expired).text)
    first, second = Client(portal), Client(portal)
    assert first.redeem(good).status_code == 200
    assert second.redeem(good).status_code == 400  # a link works once
    assert "used already" in visible(second.redeem(good).text)
    assert first.get("/").status_code == 200


def test_opening_a_link_does_not_use_it_up_and_get_never_changes_state(portal, billed):
    """A mail scanner's GET of a link leaves it working; GET on a form's URL is 405."""
    token = links.make_token(SECRET, "C2", 900)
    scanner = Client(portal)
    assert scanner.get(f"/login?token={token}").status_code == 200
    assert "fiberbill_portal" not in scanner.http.cookies
    before = _changes(billed)
    for path in ("/invoices/INV-2026-000002/pay", "/payment-methods/x/remove", "/logout",
                 "/payment-methods/test"):  # fmt: skip
        assert scanner.get(path).status_code in (404, 405), path
    assert _changes(billed) == before
    assert Client(portal).redeem(token).status_code == 200


def test_missing_or_wrong_csrf_tokens_get_403_and_change_nothing(portal, billed):
    ann, bob = Client(portal), Client(portal)
    ann.login("C1")
    bob.login("C2")
    before = _changes(billed)
    form = {"collection_method": "manual", "invoice_email": "x@example.org"}
    for token in (None, "", "wrong", bob.csrf()):
        data = dict(form) if token is None else {**form, "csrf_token": token}
        assert ann.post("/preferences", data).status_code == 403
    assert ann.post("/logout", {}).status_code == 403
    assert _changes(billed) == before
    assert ann.get("/").status_code == 200  # still signed in


def test_session_cookie_flags_and_security_headers(billed, portal):
    client = Client(portal)
    answer = client.login("C1")
    cookie = answer.history[0].headers["set-cookie"]
    assert "fiberbill_portal=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on 127.0.0.1
    for path in (*PRIVATE, "/login?token=x", "/nothing-here"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert re.search(r"script-src 'nonce-[A-Za-z0-9_-]{16,}'", csp)
        assert "unsafe-inline" not in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"
    for path in PRIVATE:
        assert client.get(path).headers["cache-control"] == "no-store"
    document = client.get("/documents/INV-2026-000001.html").headers
    assert document["cache-control"] == "no-store"
    # a document shows its own styles, and runs no script
    assert document["content-security-policy"].startswith(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
    )
    assert "script-src" not in document["content-security-policy"]
    # behind https the cookie is Secure
    with serve(PortalConfig(warehouse=billed, secret=SECRET, redeem_limit=10_000,
                            base_url="https://portal.example")) as base:  # fmt: skip
        client = Client(base)
        token = links.make_token(SECRET, "C1", 900)
        form = client.get(f"/login?token={token}")
        assert "Secure" in form.headers["set-cookie"]  # the sign-in form's own cookie
        nonce = re.search(r'name="login_nonce" value="([^"]+)"', form.text).group(1)
        answer = client.http.post(
            base + "/login",
            data={"token": token, "login_nonce": nonce},
            cookies={"fiberbill_login": nonce},
            allow_redirects=False,
        )
        secure = answer.headers["set-cookie"]
        assert answer.status_code == 303
        assert "fiberbill_portal=" in secure and "Secure" in secure and "HttpOnly" in secure


def test_sessions_expire_after_idling_and_end_on_sign_out(billed):
    with serve(_config(billed, idle_seconds=1)) as base:
        client = Client(base)
        client.login("C1")
        assert client.get("/").status_code == 200
        time.sleep(1.3)
        assert client.get("/", allow_redirects=False).status_code == 401
    with serve(_config(billed)) as base:
        client = Client(base)
        client.login("C1")
        cookie = client.http.cookies["fiberbill_portal"]
        client.post("/logout", {"csrf_token": client.csrf()})
        replay = Client(base)
        replay.http.cookies.set("fiberbill_portal", cookie)
        assert replay.get("/", allow_redirects=False).status_code == 401


def test_link_redemption_is_rate_limited_per_client(billed):
    with Store(store_path(billed)).transaction() as con:  # the other tests' sign-ins
        con.execute("delete from redemptions")
    with serve(_config(billed, redeem_limit=3, redeem_window=60)) as base:
        client = Client(base)
        assert [client.redeem("forged.x").status_code for _ in range(4)] == [400, 400, 400, 429]
        # a good link is refused too while the client is over the limit
        assert client.login("C1").status_code == 429


def test_the_test_form_is_refused_with_a_live_key(billed):
    """No request reaches Stripe: a live key is refused before any call (the gateway points
    nowhere), and the page offers only Stripe.js Elements."""
    live = StripeGateway(api_key="sk_live_not_a_real_key_000000", api_base="http://127.0.0.1:9")
    with serve(_config(billed, stripe=live, publishable_key="pk_live_x")) as base:
        client = Client(base)
        client.login("C1")
        page = client.text("/payment-methods")
        assert "Test mode" not in page and "Add test card" not in page
        answer = client.post("/payment-methods/test", {
            "csrf_token": client.csrf("/payment-methods"), "type": "card",
            "card_number": "4242424242424242", "exp_month": "12", "exp_year": "2034",
            "cvc": "123"})  # fmt: skip
        assert answer.status_code == 403
        assert "sk_live" not in answer.text
    assert live.calls == 0
    with pytest.raises(StripeRejected, match="test-mode key"):
        live.create_test_method("card", {"number": "4242424242424242"})


def test_no_secret_token_or_key_in_any_response_or_log_line(billed, caplog):
    key = "sk_test_portal_secret_key_0123456789"
    gateway = StripeGateway(api_key=key, api_base="http://127.0.0.1:9", max_retries=0)
    caplog.set_level(logging.DEBUG)
    seen = []
    with serve(_config(billed, stripe=gateway)) as base:
        client = Client(base)
        token = links.make_token(SECRET, "C1", 900)  # noqa: S105
        seen.append(client.redeem(token))
        session_id = client.http.cookies["fiberbill_portal"]
        for path in (*PRIVATE, "/documents/INV-2026-000001.html", "/nothing", "/signed-out"):
            seen.append(client.get(path))
        csrf = client.csrf("/payment-methods")
        # a Stripe failure (nothing listens on port 9) is reported without the key
        seen.append(client.post("/payment-methods/test", {
            "csrf_token": csrf, "type": "card", "card_number": "4242424242424242",
            "exp_month": "12", "exp_year": "2034", "cvc": "123"}))  # fmt: skip
        assert "not available right now" in visible(seen[-1].text)
    responses = [r for answer in seen for r in (*answer.history, answer)]
    for response in responses:
        headers = {k: v for k, v in response.headers.items() if k.lower() != "set-cookie"}
        text = response.text + str(headers)
        assert key not in text and SECRET.decode() not in text and session_id not in text
        if not response.url.split("?")[0].endswith("/login"):
            assert token not in text
    # the session id only ever travels in its own cookie
    carried = [r for r in responses if session_id in r.headers.get("set-cookie", "")]
    assert [(r.request.method, r.url.removeprefix(base)) for r in carried] == [("POST", "/login")]
    server_side = [r for r in caplog.records if not r.name.startswith("urllib3")]
    logged = "\n".join(r.getMessage() for r in server_side)
    assert "Stripe did not answer" in logged
    assert not [s for s in (key, SECRET.decode(), token, session_id) if s in logged]


def test_serve_refuses_a_short_secret_and_link_prints_only_the_url(billed, monkeypatch, capsys):
    monkeypatch.setenv("PORTAL_SECRET", "too-short")
    assert main(["portal", "serve", "--warehouse", str(billed)]) == 2
    assert main(["portal", "link", "C1", "--warehouse", str(billed)]) == 2
    assert "at least 32 bytes" in capsys.readouterr().err
    monkeypatch.setenv("PORTAL_SECRET", SECRET.decode())
    monkeypatch.setenv("PORTAL_BASE_URL", "https://billing.example.net")
    assert main(["portal", "link", "C1", "--ttl", "2h", "--warehouse", str(billed)]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"https://billing\.example\.net/login\?token=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n",
                        out)  # fmt: skip
    claims = links.read_token(SECRET, out.strip().split("token=")[1])
    assert claims.customer_id == "C1" and 7100 < claims.expires_at - time.time() <= 7200
    assert main(["portal", "link", "C404", "--warehouse", str(billed)]) == 2
    assert "unknown customer_id" in capsys.readouterr().err


def test_the_portal_keeps_serving_while_another_process_writes_the_warehouse(billed, portal):
    """The portal never opens the warehouse: with another process holding it open for
    writing (DuckDB then keeps every other process out) and holding the writer lock, every
    page still answers."""
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import duckdb, sys, time\n"
            "from fiberbill.locking import writer_lock\n"
            f"with writer_lock({str(billed)!r}, command='test'):\n"
            f"    con = duckdb.connect({str(billed)!r})\n"
            "    print('holding', flush=True)\n"
            "    time.sleep(60)\n"
        )],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"
        client = Client(portal)
        assert client.login("C1").status_code == 200
        for path in (*PRIVATE, "/documents/INV-2026-000001.pdf"):
            assert client.get(path).status_code == 200, path
    finally:
        holder.kill()
        holder.wait()
