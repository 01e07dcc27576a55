"""The finance dashboard in headless Chromium (Debian's `chromium`, installed by
.ci/system-packages, driven by Playwright), as `make demo` writes it at its end: the demo's
driver (sandbox/demo.py, with localstripe) on a generated network of 200 subscribers and
three providers over four months. Every page renders its charts, nothing sticks out at a
desktop width (1280 px) or a phone width (390 px), the page asks for nothing over the
network, and axe-core finds no serious or critical violation. `FIBERBILL_SCREENSHOTS=DIR`
keeps the overview's screenshots there (`make screenshots` writes docs/images/)."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

from exports.dashboard import PAGES
from fiberbill.cli import main
from sandbox import demo

CHROMIUM = "/usr/bin/chromium"
# charts and the page itself inside the viewport's width (tables may scroll in their box)
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const out = [...document.querySelectorAll('figure, figure svg, .kpi, h1, h2, p')]
        .filter(e => e.getBoundingClientRect().right > width + 0.5)
        .map(e => e.tagName + ': ' + (e.textContent || '').trim().slice(0, 40));
    return {scroll: document.documentElement.scrollWidth, width: width, out: out,
            charts: document.querySelectorAll('figure svg').length};
}"""
# charts each page shows per currency when the network has what they draw
CHARTS = {"index": 1, "billed": 1, "ageing": 1, "collections": 1, "providers": 1, "assurance": 1}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("dashboard")
    data = base / "data"
    assert (
        main(
            ["generate", "--subscribers", "200", "--providers", "3", "--start", "2025-11-01"]
            + ["--months", "4", "--seed", "5", "--out", str(data)]
        )
        == 0
    )
    exports = base / "exports"
    args = ["--data", str(data), "--through", "2026-02-28", "--warehouse", str(base / "wh.duckdb")]
    args += ["--exports", str(exports), "--documents-from", "2026-02-28"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert demo.main(args) == 0
    site = exports / "reports" / "2026-02-28"
    printed = " ".join(out.getvalue().split())
    assert f"finance dashboard of 2026-02-28: {site / 'index.html'}" in printed
    return site


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_renders_and_fits_at_desktop_and_phone_widths(site, browser, width):
    shots = os.environ.get("FIBERBILL_SCREENSHOTS")
    page = browser.new_page(viewport={"width": width, "height": 900})
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    for name, title in PAGES:
        page.goto((site / f"{name}.html").as_uri())
        assert page.title().startswith(title)
        found = page.evaluate(OVERFLOW)
        assert found["scroll"] <= found["width"] and found["out"] == [], (name, width, found)
        currencies = page.locator("main section h2").count()
        assert currencies >= 1
        assert found["charts"] >= CHARTS[name] * currencies, (name, found)
        if shots and name == "index":
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / f"dashboard-{width}px.png"), full_page=True)
    assert all(url.startswith("file://") for url in requested), requested
    page.close()


def test_every_page_passes_axe(site, browser):
    axe = Axe()
    page = browser.new_page()
    serious = {}
    for name, _ in PAGES:
        page.goto((site / f"{name}.html").as_uri())
        serious[name] = [
            (v["id"], v["impact"], len(v["nodes"]))
            for v in axe.run(page).response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
    assert serious == {name: [] for name, _ in PAGES}
    page.close()
