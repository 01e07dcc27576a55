"""E-mailing documents through a real SMTP server on 127.0.0.1 (aiosmtpd): each document
once, to the customer's address, with its PDF attached byte for byte; a refused send is
recorded with the server's reason and tried again by the next run, never twice once sent."""

from __future__ import annotations

import email
import socket
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller

from fiberbill.cli import main
from tests.support.inputs import MINIMAL, run_args, write_tables


class Mailbox:
    """Keeps every message accepted; refuses recipients while `refusing` is set."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refusing = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refusing:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def network(folder: Path, port: int | None) -> Path:
    customers = [
        {"customer_id": "C1", "name": "Ann Berg", "email": "ann@example.com"},
        {"customer_id": "C2", "name": "No Mail"},
    ]
    orders = MINIMAL["orders"] + [{**MINIMAL["orders"][0], "order_id": "O2", "customer_id": "C2"}]
    events = MINIMAL["activation_events"] + [
        {**MINIMAL["activation_events"][0], "event_id": "E2", "order_id": "O2"}
    ]
    write_tables(
        folder, MINIMAL | {"customers": customers, "orders": orders, "activation_events": events}
    )
    settings = '[operator]\nlegal_name = "Nordfiber AB"\n'
    if port is not None:
        settings += (
            f'[email]\nhost = "127.0.0.1"\nport = {port}\ntls = "none"\n'
            'sender = "billing@nordfiber.example"\n'
        )
    (folder / "settings.toml").write_text(settings)
    return folder


def deliveries(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select document_number, recipient, status, reason from ledger.document_deliveries "
            "order by recorded_at"
        ).fetchall()


def test_each_document_is_sent_once_with_its_pdf_attached(mailbox, tmp_path, capsys):
    box, port = mailbox
    data = network(tmp_path / "data", port)
    warehouse, exports = tmp_path / "wh.duckdb", tmp_path / "exports"
    assert main(run_args(data, warehouse, through="2026-01-31", exports=exports)) == 0
    assert "e-mail: 1 document(s) sent, 0 failed" in capsys.readouterr().out
    assert box.envelopes == [("billing@nordfiber.example", ["ann@example.com"])]
    [mail] = box.messages
    assert mail["To"] == "ann@example.com"
    assert mail["From"] == "Nordfiber AB <billing@nordfiber.example>"
    assert mail["Subject"] == "Invoice INV-2026-000001 from Nordfiber AB"
    assert "Dear Ann Berg," in mail.get_body(("plain",)).get_content()
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "INV-2026-000001.pdf"
    pdf = exports / "documents" / "2026" / "C1" / "INV-2026-000001.pdf"
    assert attachment.get_content() == pdf.read_bytes()
    assert [(n, r, s) for n, r, s, _ in deliveries(warehouse)] == [
        ("INV-2026-000001", "ann@example.com", "sending"),
        ("INV-2026-000001", "ann@example.com", "sent"),
    ]
    # C2 has no e-mail address: its invoice is not sent, and not counted as failed
    assert main(run_args(data, warehouse, through="2026-02-01", exports=exports)) == 0
    assert [m["Subject"] for m in box.messages] == [
        "Invoice INV-2026-000001 from Nordfiber AB",
        "Invoice INV-2026-000003 from Nordfiber AB",  # February's, the only new one for C1
    ]


def test_a_refused_send_is_recorded_with_its_reason_and_tried_again_next_run(
    mailbox, tmp_path, capsys
):
    box, port = mailbox
    data = network(tmp_path / "data", port)
    warehouse, exports = tmp_path / "wh.duckdb", tmp_path / "exports"
    box.refusing = True
    assert main(run_args(data, warehouse, through="2026-01-31", exports=exports)) == 0
    out = capsys.readouterr().out
    assert "e-mail: 0 document(s) sent, 1 failed" in out
    assert "e-mail failed: INV-2026-000001: 550 5.1.1 mailbox unavailable" in out
    assert deliveries(warehouse)[-1] == (
        "INV-2026-000001",
        "ann@example.com",
        "failed",
        "550 5.1.1 mailbox unavailable",
    )
    assert box.messages == []
    box.refusing = False
    assert main(run_args(data, warehouse, through="2026-01-31", exports=exports)) == 0
    assert [m["Subject"] for m in box.messages] == ["Invoice INV-2026-000001 from Nordfiber AB"]
    assert main(run_args(data, warehouse, through="2026-01-31", exports=exports)) == 0
    assert len(box.messages) == 1  # sent: never again


def test_a_send_interrupted_after_it_began_is_never_repeated(mailbox, tmp_path, capsys):
    box, port = mailbox
    data = network(tmp_path / "data", port)
    warehouse, exports = tmp_path / "wh.duckdb", tmp_path / "exports"
    assert main(run_args(data, warehouse, through="2026-01-31", exports=exports)) == 0
    with duckdb.connect(str(warehouse)) as con:  # as if killed between `sending` and `sent`
        con.execute("delete from ledger.document_deliveries where status = 'sent'")
    assert main(run_args(data, warehouse, through="2026-01-31", exports=exports)) == 0
    assert len(box.messages) == 1
    assert "1 unconfirmed" in capsys.readouterr().out


def test_without_email_settings_nothing_is_sent_and_the_summary_says_so(tmp_path, capsys):
    data = network(tmp_path / "data", None)
    warehouse = tmp_path / "wh.duckdb"
    assert main(run_args(data, warehouse, through="2026-01-31", exports=tmp_path / "ex")) == 0
    assert "e-mail: off (no [email] in settings.toml): no document was sent" in (
        capsys.readouterr().out
    )
    assert deliveries(warehouse) == []
