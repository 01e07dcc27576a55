"""`make docs`: dbt's docs as one file that opens offline. Made over an empty warehouse (no
`make demo` here), opened in headless Chromium with every request but file:// refused: the
page shows the project, and a finance mart's page shows its description and columns."""

from __future__ import annotations

import subprocess

from playwright.sync_api import sync_playwright

from tests.support.inputs import REPO

CHROMIUM = "/usr/bin/chromium"


def test_make_docs_writes_one_file_that_opens_offline(tmp_path):
    docs, missing = tmp_path / "docs", tmp_path / "no-such" / "fiberbill.duckdb"
    made = subprocess.run(
        ["make", "-s", "docs", f"WAREHOUSE={missing}", f"DOCS_DIR={docs}"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    page_file = docs / "static_index.html"
    assert f"dbt docs: {page_file}" in made.stdout
    assert not missing.parent.exists()  # no warehouse was created for the docs
    refused = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page()

        def only_files(route):
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort()

        page.route("**/*", only_files)
        page.goto(page_file.as_uri() + "#!/model/model.fiberbill.finance_daily")
        page.get_by_text("Finance's figures per run day and currency (grain").wait_for(
            timeout=30_000
        )
        body = page.inner_text("body")
        browser.close()
    assert "dso_days" in body and "collected_manual" in body
    # nothing the page needs is fetched: at most dbt's optional pings, refused
    assert all("getdbt.com" in url for url in refused), refused
