"""The customer portal in a real browser (Debian's chromium driven by Playwright) against
localstripe, both on 127.0.0.1: sign in with a link, see the invoices, add a card through
the SetupIntent path, make it default, switch to automatic payment, run billing and see
the invoice paid; pay a late invoice now; add a SEPA account and see its mandate. Every
page passes axe-core with no serious or critical violation, and works from the keyboard."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

from fiberbill.portal import links
from sandbox.localstripe import serve as localstripe_serve
from tests.support.portal import SECRET
from tests.support.portal_network import TODAY, bill, stripe_portal

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def stripe_base():
    with localstripe_serve() as base:
        yield base


@pytest.fixture
def network(tmp_path, stripe_base, monkeypatch):
    with stripe_portal(tmp_path, stripe_base, monkeypatch) as found:
        yield found


def nav(page, name: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name).click()


def sign_in(browser, base: str, customer: str):
    page = browser.new_page()
    page.goto(f"{base}/login?token={links.make_token(SECRET, customer, 900)}")
    page.get_by_role("button", name="Continue to my account").click()
    return page


def test_add_a_card_make_it_default_switch_to_auto_and_see_billing_pay_the_invoice(
    browser, network
):
    folder, warehouse, base = network
    page = sign_in(browser, base, "C2")
    expect(page.get_by_role("heading", name="Hello, Bob Becker")).to_be_visible()
    nav(page, "Invoices")
    row = page.get_by_role("row").filter(has_text="INV-")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Open")
    nav(page, "Payment methods")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Add test card").click()
    expect(page.get_by_role("status")).to_have_text("Payment method added.")
    page.get_by_role("button", name="Make Card ending in 4242 the default").click()
    expect(page.get_by_role("status")).to_have_text("Default payment method changed.")
    expect(page.get_by_role("listitem").filter(has_text="4242")).to_contain_text("(default)")
    nav(page, "Preferences")
    page.get_by_label("Automatically, with my default payment method").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("status")).to_contain_text("Preferences saved")
    nav(page, "Invoices")
    expect(page.get_by_role("row").filter(has_text="INV-").first).to_contain_text(
        "Will be charged automatically."
    )
    bill(folder, warehouse, TODAY)
    page.reload()
    expect(page.get_by_role("row").filter(has_text="INV-").first).to_contain_text("Paid")
    nav(page, "Overview")
    expect(page.get_by_text("Automatic payment.")).to_contain_text("Card ending in 4242")


def test_pay_a_late_invoice_now_and_add_a_sepa_account_with_its_mandate(browser, network):
    folder, warehouse, base = network
    page = sign_in(browser, base, "C1")
    nav(page, "Payment methods")
    page.get_by_role("button", name="Add test card").click()
    expect(page.get_by_role("status")).to_have_text("Payment method added.")
    nav(page, "Invoices")
    late = page.get_by_role("row").filter(has_text="Late").first
    number = late.get_by_role("rowheader").inner_text()
    late.get_by_role("button", name=f"for invoice {number}").click()
    expect(page.get_by_role("status")).to_have_text("Thank you: your payment was received.")
    expect(page.get_by_role("row").filter(has_text=number)).to_contain_text(
        "Payment received; it shows here after the next billing run."
    )
    bill(folder, warehouse, TODAY)
    page.reload()
    expect(page.get_by_role("row").filter(has_text=number)).to_contain_text("Paid")
    nav(page, "Payment methods")
    mandate = page.locator("#sepa-mandate")
    expect(mandate).to_contain_text("you authorise (A) Fiber network operator and Stripe")
    page.get_by_role("button", name="Add test SEPA account").click()
    expect(page.get_by_role("status")).to_have_text(
        "Please accept the mandate to add a bank account."
    )
    page.get_by_label("I accept this SEPA Direct Debit mandate").check()
    page.get_by_role("button", name="Add test SEPA account").click()
    expect(page.get_by_role("status")).to_have_text("Payment method added.")
    expect(page.get_by_text("SEPA Direct Debit ending in 3000")).to_be_visible()
    expect(page.locator("#ach-authorization")).to_contain_text("NACHA Operating Rules")


def test_every_page_passes_axe_and_works_from_the_keyboard(browser, network):
    _, _, base = network
    axe = Axe()
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/login?token={links.make_token(SECRET, 'C1', 900)}")
    seen = {"/login": axe.run(page).response["violations"]}
    # the keyboard alone: the skip link comes first, then the form's button
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Continue to my account")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hello, Ann Andersen")).to_be_visible()
    for path in ("/", "/invoices", "/payment-methods", "/preferences", "/nothing-here"):
        page.goto(base + path)
        seen[path] = axe.run(page).response["violations"]
    page.goto(base + "/")
    page.get_by_role("button", name="Sign out").click()
    seen["/signed-out"] = axe.run(page).response["violations"]
    serious = {
        path: [
            (v["id"], v["impact"], len(v["nodes"]))
            for v in found
            if v["impact"] in ("serious", "critical")
        ]  # fmt: skip
        for path, found in seen.items()
    }
    assert serious == {path: [] for path in seen}
    # axe finds what it should where it is there: a field without a label is critical
    page.set_content("<html><body><main><input id=x></main></body></html>")
    found = {v["id"]: v["impact"] for v in axe.run(page).response["violations"]}
    assert found.get("label") == "critical"
    context.close()
