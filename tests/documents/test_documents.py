"""Invoice and credit-note documents of the golden scenario (tests/support/scenario.py): the
PDF's text (pdftotext) against hand-computed lines and totals, one recorded document per
issued number whose totals equal the marts, byte-identical rendering, and a changed file as
a loud error."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import duckdb
from babel.numbers import format_currency

from fiberbill.cli import main
from tests.support.inputs import MINIMAL, run_args, write_tables


def pdf_text(path: Path, layout: bool = True) -> str:
    """The PDF's text, laid out (or in reading order, where a wrapped cell stays whole),
    with Babel's narrow and no-break spaces as plain spaces."""
    text = subprocess.run(
        ["pdftotext", *(["-layout"] if layout else []), str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ")


def squeeze(text: str) -> list[str]:
    """Each non-empty line with its runs of spaces made one."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def shows(lines: list[str], expected: str) -> bool:
    """Whether a line holds `expected` (pdftotext puts side-by-side columns on one line)."""
    return any(expected in line for line in lines)


def query(warehouse: Path, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def document(book, number: str) -> Path:
    warehouse, exports = book
    [(path,)] = query(
        warehouse, "select pdf_path from ledger.documents where document_number = ?", [number]
    )
    return exports / path


def first_invoice(book, customer: str) -> str:
    warehouse, _ = book
    return query(
        book[0],
        "select min(invoice_number) from marts.invoices where customer_id = ?",
        [customer],
    )[0][0]


def test_an_invoice_shows_issuer_customer_lines_and_totals_in_the_customers_format(book):
    """CD (Germany): 99.00 start fee + 22/31 x 60 = 42.58, 50 % off those days -21.29,
    total 120.29; German numbers and dates; paid by transfer with the operator's reference."""
    number = first_invoice(book, "CD")
    path = document(book, number)
    assert path.parts[-3:] == ("2026", "CD", f"{number}.pdf")
    lines = squeeze(pdf_text(path))
    assert lines[0].startswith("Nordfiber AB")
    for expected in (
        "Storgatan 1",
        "111 22 Stockholm",
        "VAT/Reg. no. SE556677889901",
        "Dora Schmidt",
        "Hauptstraße 5",
        "10115 Berlin",
        "dora@example.de",
        f"Invoice number {number}",
        "Issue date 10.01.2026",
        "Due date 24.01.2026",
        "Start fee: Monthly 60 (order OD) 1 99,00 €",
        "Monthly 60 (order OD), 10 Jan 2026 – 31 Jan 2026, prorated: 22 of 31 days "
        "1 22 of 31 42,58 €",
        "Promotion HALF3, 50 % off: Monthly 60 (order OD), 10 Jan 2026 – 31 Jan 2026 "
        "1 22 of 31 -21,29 €",
        "Subtotal 141,58 €",
        "Discounts -21,29 €",
        "Total 120,29 €",
        "Amount due 120,29 €",
        f"Please pay by bank transfer with the reference OCR {number}. Bankgiro 123-4567.",
        f"Nordfiber AB {number} · Page 1 of 1",
    ):
        assert shows(lines, expected), (expected, lines)


def test_tax_is_itemised_per_rate_as_the_ledger_rounded_it(book):
    """CH (Sweden): two lines of 10.01 at 25 % on Feb 1: tax round(20.02 x 0.25 = 5.005) =
    5.01, total 25.03, in Swedish format."""
    warehouse, _ = book
    [number] = [
        n
        for (n,) in query(
            warehouse,
            "select invoice_number from marts.invoices where customer_id = 'CH' "
            "and issue_date = '2026-02-01'",
        )
    ]
    lines = squeeze(pdf_text(document(book, number)))
    assert "Tax 25 % of 20,02 € 5,01 €" in lines
    assert "Total 25,03 €" in lines
    assert shows(lines, "Issue date 1 feb. 2026")


def test_a_late_fee_line_says_which_invoice_it_is_for(book):
    warehouse, _ = book
    [(number, description, ref)] = query(
        warehouse,
        "select invoice_number, description, ref_invoice_number from marts.invoice_lines "
        "where kind = 'late_fee' and customer_id = 'CA' order by invoice_number limit 1",
    )
    text = " ".join(pdf_text(document(book, number), layout=False).split())
    assert description.startswith(f"Late fee: invoice {ref}, due ")
    assert description in text


def test_a_credit_note_names_the_invoice_it_credits_and_where_the_money_goes(book):
    """CB, terminated Mar 20: 23.23 credited against March's invoice."""
    warehouse, _ = book
    [(number, invoice)] = query(
        warehouse,
        "select credit_note_number, invoice_number from marts.credit_notes "
        "where customer_id = 'CB'",
    )
    lines = squeeze(pdf_text(document(book, number)))
    assert shows(lines, f"Credits invoice {invoice}")
    assert shows(lines, "Reason Service ended: the unused days are credited")
    assert "Credit: Monthly 60 (order OB), 1 Mar 2026 – 31 Mar 2026 1 €23.23" in lines
    assert "Total credited €23.23" in lines
    assert shows(lines, f"This credit reduces what invoice {invoice} owes")


def test_every_issued_number_has_exactly_one_document_whose_total_equals_the_marts(book):
    warehouse, exports = book
    issued = query(
        warehouse,
        "select invoice_number, customer_id, total, 'Total' from marts.invoices "
        "where invoice_number is not null union all "
        "select credit_note_number, customer_id, amount, 'Total credited' "
        "from marts.credit_notes order by 1",
    )
    recorded = query(
        warehouse,
        "select document_number, pdf_path, pdf_sha256, html_sha256 from ledger.documents "
        "order by 1",
    )
    assert [n for n, *_ in recorded] == [n for n, *_ in issued]
    for (number, customer, total, label), (_, pdf_path, pdf_sha, html_sha) in zip(
        issued, recorded, strict=True
    ):
        pdf = exports / pdf_path
        assert hashlib.sha256(pdf.read_bytes()).hexdigest() == pdf_sha
        assert hashlib.sha256(pdf.with_suffix(".html").read_bytes()).hexdigest() == html_sha
        locale = {"CD": "de_DE", "CH": "sv_SE"}.get(customer, "en_GB")
        amount = format_currency(total, "EUR", locale=locale).replace("\u00a0", " ")
        assert shows(squeeze(pdf_text(pdf)), f"{label} {amount}"), (number, amount)


def test_a_second_call_renders_nothing_again(book, tmp_path):
    warehouse, exports = book
    before = query(warehouse, "select count(*) from ledger.documents")[0][0]
    data = Path(warehouse).parent / "data"
    assert main(run_args(data, warehouse, through="2026-04-30", exports=exports)) == 0
    assert query(warehouse, "select count(*) from ledger.documents")[0][0] == before


def copy_of(book, tmp_path) -> tuple:
    """The billed scenario copied (warehouse and exports), with CD's first invoice number
    and its PDF in the copy."""
    warehouse, exports = book
    copy, copied = tmp_path / "wh.duckdb", tmp_path / "exports"
    shutil.copy(warehouse, copy)
    shutil.copytree(exports, copied)
    number = first_invoice(book, "CD")
    return warehouse, copy, copied, number, copied / document(book, number).relative_to(exports)


def test_a_missing_file_is_rendered_again_byte_for_byte_and_a_changed_one_is_an_error(
    book, tmp_path, capsys
):
    warehouse, copy, copied, number, pdf = copy_of(book, tmp_path)
    original = pdf.read_bytes()
    pdf.unlink()
    render = ["documents", "render", "--warehouse", str(copy), "--exports", str(copied)]
    assert main(render) == 0
    assert pdf.read_bytes() == original
    assert "1 missing file(s) restored" in capsys.readouterr().out

    html = pdf.with_suffix(".html")
    html.write_text(html.read_text().replace("120,29", "12,29"))
    changed = html.read_bytes()
    assert main(render) == 1
    err = capsys.readouterr().err
    assert f"{html}: sha256 differs from the one recorded when {number} was issued" in err
    assert html.read_bytes() == changed  # never overwritten


def test_a_crash_after_the_files_before_the_record_is_mended_with_the_same_bytes(book, tmp_path):
    """The files of a day are written before the day's record commits: a rerun after a crash
    in between renders the same bytes and records each number once."""
    warehouse, copy, copied, number, pdf = copy_of(book, tmp_path)
    original = pdf.read_bytes()
    with duckdb.connect(str(copy)) as con:  # as if the day's record had never committed
        con.execute("delete from ledger.documents where issue_date = '2026-01-10'")
    assert main(["documents", "render", "--warehouse", str(copy), "--exports", str(copied)]) == 0
    assert pdf.read_bytes() == original
    assert query(
        copy, "select count(*), count(distinct document_number) from ledger.documents"
    ) == query(warehouse, "select count(*), count(distinct document_number) from ledger.documents")


def test_a_draft_is_previewed_with_a_watermark_and_no_number_until_it_is_finalized(tmp_path):
    data = write_tables(tmp_path / "data", MINIMAL)
    (data / "settings.toml").write_text("auto_finalize = false\n")
    warehouse, exports = tmp_path / "wh.duckdb", tmp_path / "exports"
    assert main(run_args(data, warehouse, through="2026-01-15", exports=exports)) == 0
    preview = exports / "documents" / "drafts" / "C1" / "DRAFT-00000001.pdf"
    lines = squeeze(pdf_text(preview))
    assert shows(lines, "DRAFT DRAFT-00000001")
    assert shows(lines, "Made on 10 Jan 2026")
    assert shows(lines, "Start fee: Fast (order O1) 1 €99.00")
    assert shows(lines, "Total €141.58")
    assert shows(lines, "This is a draft: it has no number yet and nothing is due")
    assert "DRAFT" in preview.with_suffix(".html").read_text()
    assert not any("INV-" in line for line in lines)
    assert query(warehouse, "select count(*) from ledger.documents") == [(0,)]

    assert main(["invoices", "finalize", "--all", "--warehouse", str(warehouse)]) == 0
    render = ["documents", "render", "--warehouse", str(warehouse), "--exports", str(exports)]
    assert main(render) == 0
    assert not preview.exists()  # no longer a draft
    [(path,)] = query(warehouse, "select pdf_path from ledger.documents")
    assert path == "documents/2026/C1/INV-2026-000001.pdf"
    issued = squeeze(pdf_text(exports / path))
    assert shows(issued, "Invoice number INV-2026-000001")
    assert shows(issued, "Issue date 15 Jan 2026")
    assert not shows(issued, "DRAFT")


def tiny_png() -> bytes:
    """A 2 x 2 red PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixels = zlib.compress(b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2)))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_the_operators_logo_is_on_both_documents_and_a_missing_one_is_exit_2(tmp_path, capsys):
    data = write_tables(tmp_path / "data", MINIMAL)
    (data / "brand").mkdir()
    (data / "brand" / "logo.png").write_bytes(tiny_png())
    (data / "settings.toml").write_text(
        '[operator]\nlegal_name = "Nordfiber AB"\nlogo = "brand/logo.png"\n'
    )
    warehouse, exports = tmp_path / "wh.duckdb", tmp_path / "exports"
    assert main(run_args(data, warehouse, through="2026-01-10", exports=exports)) == 0
    pdf = exports / "documents" / "2026" / "C1" / "INV-2026-000001.pdf"
    images = subprocess.run(
        ["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert len(images) == 1 and images[0].split()[3:5] == ["2", "2"]  # width, height
    assert '<img class="logo" src="data:image/png;base64,' in pdf.with_suffix(".html").read_text()

    (data / "settings.toml").write_text('[operator]\nlogo = "brand/missing.png"\n')
    assert main(run_args(data, tmp_path / "other.duckdb", through="2026-01-10")) == 2
    assert "settings.toml: operator.logo: no such file:" in capsys.readouterr().err
