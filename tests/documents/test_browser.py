"""An invoice's and a credit note's HTML documents in headless Chromium (Debian's
`chromium`, installed by .ci/system-packages, driven by Playwright): at a desktop width and
a phone width nothing sticks out of the page. `FIBERBILL_SCREENSHOTS=DIR` keeps the
screenshots there (`make screenshots` writes docs/images/)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
# every element's box inside the viewport's width, and no horizontal scrolling
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const out = [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > width + 0.5)
        .map(e => e.tagName + ': ' + (e.textContent || '').trim().slice(0, 40));
    return {scroll: document.documentElement.scrollWidth, width: width, out: out};
}"""


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


def pages(book) -> dict[str, Path]:
    """The first invoice of CD (three lines, German formats) and CB's credit note."""
    warehouse, exports = book
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select document_kind, min(pdf_path) from ledger.documents "
            "where customer_id = case document_kind when 'invoice' then 'CD' else 'CB' end "
            "group by all order by 1"
        ).fetchall()
    return {kind: (exports / path).with_suffix(".html") for kind, path in rows}


@pytest.mark.parametrize("width", [1280, 390])
def test_documents_fit_the_page_at_desktop_and_phone_widths(book, browser, width):
    shots = os.environ.get("FIBERBILL_SCREENSHOTS")
    for kind, html in pages(book).items():
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(html.as_uri())
        assert page.title().startswith("Invoice" if kind == "invoice" else "Credit note")
        found = page.evaluate(OVERFLOW)
        assert found["scroll"] <= found["width"] and found["out"] == [], (kind, width, found)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / f"{kind}-{width}px.png"), full_page=True)
        page.close()
