"""Invoice and credit-note documents: rendered once per issued number, never changed.

Each issued number gets `documents/<YYYY>/<customer_id>/<number>.pdf` and `.html` under the
exports folder, written atomically (a temporary file, synced, then renamed), and a row of
`ledger.documents` with both files' sha256, recorded after the files are on disk. What a
document shows comes from the ledger and the marts as they stood at the end of its issue
day (sql/20_invoices.sql, sql/30_credit_notes.sql), so rendering it again gives the same
bytes. `render` of a number already recorded verifies its files instead: a file that is
missing is rendered again and must come out with the recorded sha256; a file whose sha256
differs is an error and is left as it is. The PDF is typeset by Typst and the HTML by
jinja2, both from the same view (present.py); docs/documents.md says why Typst.
No Dagster import.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import jinja2
import pyarrow as pa

from fiberbill.documents import present
from fiberbill.sqlfiles import SqlFiles
from ingest.errors import InputError
from ingest.loader import fetch
from ingest.settings import Operator

SQL = SqlFiles(Path(__file__).with_name("sql"))
TEMPLATES = Path(__file__).with_name("templates")
FONTS = Path("/usr/share/fonts/truetype/dejavu")
EARLIEST, LATEST = date(1, 1, 1), date(9999, 12, 31)
BATCH = 1000  # documents rendered and recorded at a time
POOL_FROM = 500  # documents to render from which a process per core renders them


class DocumentMismatch(Exception):
    """A document file no longer has the sha256 recorded when it was issued."""


@dataclass
class Outcome:
    rendered: int = 0  # new documents, files written and recorded
    verified: int = 0  # recorded documents whose files match
    restored: int = 0  # recorded documents whose missing files were rendered again
    problems: list[str] = field(default_factory=list)

    def as_counts(self) -> dict[str, int]:
        return {"rendered": self.rendered, "verified": self.verified, "restored": self.restored}


def check_fonts() -> None:
    if not (FONTS / "DejaVuSans.ttf").is_file():
        raise InputError(
            f"{FONTS}: the DejaVu fonts are missing (apt-get install fonts-dejavu-core)"
        )


class Renderer:
    """The two templates, loaded once per process. Typst's compiler keeps its fonts
    between documents: 8 to 12 ms a page on this machine (docs/performance.md)."""

    def __init__(self):
        import typst  # imported here: only rendering needs it

        check_fonts()
        # root /: the operator's logo is read by its absolute path
        self._typst = typst.Compiler(
            str(TEMPLATES / "document.typ"),
            root="/",
            font_paths=[str(FONTS)],
            ignore_system_fonts=True,
        )
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        self._html = env.get_template("document.html.j2")

    def render(self, view: dict) -> tuple[bytes, bytes]:
        """The PDF and HTML bytes of one document view."""
        typeset = view | {"operator": view["operator"] | {"logo_uri": ""}}  # the file, not a copy
        pdf = self._typst.compile(sys_inputs={"doc": json.dumps(typeset, ensure_ascii=False)})
        return pdf, self._html.render(doc=view).encode()


class Renderers:
    """Render many views: in this process for a few, else on every core (one Renderer per
    worker process, started fresh: forking a process with DuckDB's threads is not safe).
    On this machine's two cores about 140 documents a second: the 50,497 documents of a
    100,000-subscriber 1st in 6 minutes (docs/performance.md)."""

    def __init__(self, documents: int):
        self._local: Renderer | None = None
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        check_fonts()
        workers = os.cpu_count() or 1
        if documents >= POOL_FROM and workers > 1:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
            )
        else:
            self._local = Renderer()

    def map(self, views: list[dict]) -> Iterator[tuple[bytes, bytes]]:
        if self._pool is None:
            return map(self._local.render, views)
        return self._pool.map(_render_in_worker, views, chunksize=20)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


_WORKER: Renderer | None = None


def _start_worker() -> None:
    global _WORKER
    _WORKER = Renderer()


def _render_in_worker(view: dict) -> tuple[bytes, bytes]:
    return _WORKER.render(view)


def relative_path(number: str, customer_id: str, issue_date: date) -> Path:
    """Where a number's document lives under the exports folder (without suffix)."""
    return Path("documents") / f"{issue_date:%Y}" / customer_id / number


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all: a temporary file beside it, renamed over it. Not
    synced here: a batch's files are synced together (`os.sync`) before it is recorded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def views(con: duckdb.DuckDBPyConnection, day: date, operator: Operator) -> list[dict]:
    """The views of the documents named in temp table `_batch` (all issued on `day`), in
    number order."""
    params = {"day": day}
    invoices = [present.invoice_view(r, operator) for r in SQL.records(con, "20_invoices", params)]
    notes = [present.credit_note_view(r, operator) for r in SQL.records(con, "30_credit_notes")]
    return invoices + notes


def render_documents(
    con: duckdb.DuckDBPyConnection,
    exports: Path,
    operator: Operator,
    since: date | None = None,
    numbers: Iterable[str] = (),
    progress: Callable[[str], None] = lambda message: None,
    verify: bool = True,
    until: date | None = None,
) -> Outcome:
    """Render the documents of every issued number in scope (issued from `since` through
    `until`, among `numbers` if given) that has none, and (unless `verify` is false, as in
    a billing run) verify the files of those that have one. Documents are rendered and
    recorded BATCH at a time, each batch in one transaction once its files are written and synced,
    so memory does not grow with the number of documents. Raises DocumentMismatch, after
    checking everything in scope, when any file differs from its record."""
    exports = Path(exports)
    outcome = Outcome()
    SQL.run(
        con,
        "10_scope",
        {"since": since or EARLIEST, "until": until or LATEST, "numbers": list(numbers)},
    )
    scope = fetch(
        con,
        "select document_number, pdf_path, pdf_sha256, html_sha256, issue_date "
        "from _documents where ? or pdf_sha256 is null order by issue_date, document_number",
        [verify],
    )
    work: dict[date, list[str]] = {}  # issue day -> numbers to render, in number order
    expected: dict[str, tuple[str, str, str]] = {}  # number -> pdf path, pdf and html sha
    for number, pdf_path, pdf_sha, html_sha, issue_date in scope:
        if pdf_sha is None:
            work.setdefault(issue_date, []).append(number)
            continue
        pdf = exports / pdf_path
        html = pdf.with_suffix(".html")
        if pdf.is_file() and html.is_file():
            for path, want in ((pdf, pdf_sha), (html, html_sha)):
                if sha256(path.read_bytes()) != want:
                    outcome.problems.append(
                        f"{path}: sha256 differs from the one recorded when {number} was issued"
                    )
            outcome.verified += 1
        else:
            work.setdefault(issue_date, []).append(number)
            expected[number] = (pdf_path, pdf_sha, html_sha)
    renderers = Renderers(sum(map(len, work.values()))) if work else None
    try:
        _render_work(con, exports, operator, work, expected, renderers, outcome, progress)
    finally:
        if renderers is not None:
            renderers.close()
    if outcome.problems:
        raise DocumentMismatch(
            f"{len(outcome.problems)} document problem(s); the first: {outcome.problems[0]}"
        )
    return outcome


def _render_work(con, exports, operator, work, expected, renderers, outcome, progress) -> None:
    """Render `work` (issue day -> numbers) BATCH at a time: new documents written and
    recorded, missing files of recorded ones restored when they come out the same."""
    for day, day_numbers in sorted(work.items()):
        for start in range(0, len(day_numbers), BATCH):
            batch = day_numbers[start : start + BATCH]
            _select_batch(con, "_documents", batch)
            rendered = []
            batch_views = views(con, day, operator)
            for view, (pdf_bytes, html_bytes) in zip(
                batch_views, renderers.map(batch_views), strict=True
            ):
                number = view["number"]
                if number in expected:  # recorded, a file missing: it must come out the same
                    pdf_path, *shas = expected[number]
                    if [sha256(pdf_bytes), sha256(html_bytes)] != shas:
                        outcome.problems.append(
                            f"{number}: rendering it again does not give the recorded "
                            "document (the customer's or operator's details changed since it "
                            "was issued); its missing file was not written"
                        )
                        continue
                    _write_missing(exports / pdf_path.removesuffix(".pdf"), pdf_bytes, html_bytes)
                    outcome.restored += 1
                    continue
                relative = relative_path(number, view["customer"]["id"], day)
                _write_both(exports / relative, pdf_bytes, html_bytes)
                rendered.append(
                    (number, view["kind"], view["customer"]["id"], day,
                     f"{relative}.pdf", sha256(pdf_bytes), sha256(html_bytes))
                )  # fmt: skip
            os.sync()  # the batch's files, and their names, are on disk before the record
            if rendered:
                _record(con, rendered)
                outcome.rendered += len(rendered)
                progress(f"documents of {day}: {start + len(batch):,} of {len(day_numbers):,}")


def _select_batch(con: duckdb.DuckDBPyConnection, table: str, numbers: list[str]) -> None:
    """Temp table `_batch`: the rows of `table` (`_documents` or `_drafts`) for `numbers`."""
    fetch(
        con,
        f"create or replace temp table _batch as select * from {table} "
        "where document_number in (select unnest(?))",
        [numbers],
    )


def render_drafts(con: duckdb.DuckDBPyConnection, exports: Path, operator: Operator) -> int:
    """Preview every draft invoice at documents/drafts/<customer_id>/<draft_id>.pdf and
    .html: no number, a DRAFT watermark, not recorded, rendered again by every call; the
    previews of invoices no longer drafts are removed. Returns the number of drafts."""
    SQL.run(con, "15_drafts")
    drafts = fetch(con, "select document_number, issue_date from _drafts")
    folder = exports / "documents" / "drafts"
    current = set()
    renderer = Renderer() if drafts else None
    for day in sorted({day for _, day in drafts}):
        _select_batch(con, "_drafts", [number for number, d in drafts if d == day])
        for view in views(con, day, operator):
            base = folder / view["customer"]["id"] / view["draft_id"]
            _write_both(base, *renderer.render(view))
            current |= {base.with_name(base.name + suffix) for suffix in (".pdf", ".html")}
    for stale in set(folder.rglob("*.*")) - current if folder.is_dir() else ():
        stale.unlink()
    return len(drafts)


def _write_both(base: Path, pdf: bytes, html: bytes) -> None:
    write_atomically(base.with_name(base.name + ".html"), html)
    write_atomically(base.with_name(base.name + ".pdf"), pdf)


def _write_missing(base: Path, pdf: bytes, html: bytes) -> None:
    for suffix, data in ((".pdf", pdf), (".html", html)):
        path = base.with_name(base.name + suffix)
        if not path.is_file():
            write_atomically(path, data)


RECORD_SCHEMA = pa.schema(
    [
        ("document_number", pa.string()),
        ("document_kind", pa.string()),
        ("customer_id", pa.string()),
        ("issue_date", pa.date32()),
        ("pdf_path", pa.string()),
        ("pdf_sha256", pa.string()),
        ("html_sha256", pa.string()),
    ]
)


def _record(con: duckdb.DuckDBPyConnection, rendered: list[tuple]) -> None:
    """Record one issue day's new documents in one transaction (sql/40_record.sql)."""
    table = pa.Table.from_pylist(
        [dict(zip(RECORD_SCHEMA.names, row, strict=True)) for row in rendered],
        schema=RECORD_SCHEMA,
    )
    con.register("_rendered_rows", table)
    try:
        fetch(con, "begin transaction")
        fetch(con, "create or replace temp table _rendered as select * from _rendered_rows")
        SQL.run(con, "40_record")
        fetch(con, "commit")
    except BaseException:
        fetch(con, "rollback")
        raise
    finally:
        con.unregister("_rendered_rows")
