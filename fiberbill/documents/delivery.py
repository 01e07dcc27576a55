"""E-mail each recorded document to its customer once, with the PDF attached.

With `[email]` in settings.toml (host, port, tls, sender; the SMTP user and password from
FIBERBILL_SMTP_USER and FIBERBILL_SMTP_PASSWORD), every document not yet sent goes to its
customer's e-mail address. Each attempt is recorded in `ledger.document_deliveries`
(append-only), committed before the mail server is asked (`sending`) and after it answers
(`sent`, or `failed` with the server's reason): a failed send is tried again by the next
run; a sent one never is; an attempt interrupted between the two (the server may have
taken it) is never repeated either, and is reported as unconfirmed. The PDF attached is
the file on disk, checked against its recorded sha256 first. No Dagster import.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import duckdb

from fiberbill.documents import SQL
from ingest.loader import fetch
from ingest.settings import Email, Operator

USER_VARIABLE, PASSWORD_VARIABLE = "FIBERBILL_SMTP_USER", "FIBERBILL_SMTP_PASSWORD"
TIMEOUT_SECONDS = 30
TITLES = {"invoice": "Invoice", "credit_note": "Credit note"}


@dataclass
class Deliveries:
    sent: int = 0
    failed: int = 0
    unconfirmed: int = 0
    reasons: list[str] = field(default_factory=list)

    def as_counts(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "unconfirmed": self.unconfirmed}


def message(row: dict, pdf: bytes, email: Email, operator: Operator) -> EmailMessage:
    """The e-mail of one document: the PDF attached, a short plain-text body."""
    title = TITLES[row["document_kind"]]
    number = row["document_number"]
    mail = EmailMessage()
    mail["From"] = f"{operator.legal_name} <{email.sender}>"
    mail["To"] = row["recipient"]
    mail["Subject"] = f"{title} {number} from {operator.legal_name}"
    mail["Message-ID"] = make_msgid(idstring=number, domain=email.sender.split("@")[-1])
    name = row["customer_name"] or "customer"
    mail.set_content(
        f"Dear {name},\n\nplease find attached {title.lower()} {number}.\n\n"
        f"Kind regards,\n{operator.legal_name}\n"
    )
    mail.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{number}.pdf")
    return mail


def _record(con: duckdb.DuckDBPyConnection, row: dict, status: str, reason: str = "") -> None:
    params = {"number": row["document_number"], "recipient": row["recipient"]}
    SQL.run(con, "51_record_delivery", params | {"status": status, "reason": reason})


def _connect(email: Email) -> smtplib.SMTP:
    if email.tls == "ssl":
        server = smtplib.SMTP_SSL(
            email.host, email.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    else:
        server = smtplib.SMTP(email.host, email.port, timeout=TIMEOUT_SECONDS)
        if email.tls == "starttls":
            server.starttls(context=ssl.create_default_context())
    user = os.environ.get(USER_VARIABLE)
    if user:
        server.login(user, os.environ.get(PASSWORD_VARIABLE, ""))
    return server


def deliver(
    con: duckdb.DuckDBPyConnection, exports: Path, email: Email, operator: Operator
) -> Deliveries:
    """Send every recorded document not sent yet (sql/50_to_send.sql), one connection to
    the mail server per call. A server that cannot be reached fails the call's remaining
    sends, which the next run tries again."""
    outcome = Deliveries()
    rows = SQL.records(con, "50_to_send")
    outcome.unconfirmed = fetch(con, "select count(*) from _unconfirmed")[0][0]
    if not rows:
        return outcome
    try:
        server = _connect(email)
    except (OSError, smtplib.SMTPException) as exc:
        for row in rows:
            _record(con, row, "failed", f"mail server {email.host}:{email.port}: {exc}")
        outcome.failed += len(rows)
        outcome.reasons.append(f"mail server {email.host}:{email.port}: {exc}")
        return outcome
    try:
        for row in rows:
            pdf = (Path(exports) / row["pdf_path"]).read_bytes()
            if hashlib.sha256(pdf).hexdigest() != row["pdf_sha256"]:
                _record(con, row, "failed", "the PDF differs from its recorded sha256")
                outcome.failed += 1
                continue
            _record(con, row, "sending")
            try:
                server.send_message(message(row, pdf, email, operator))
            except smtplib.SMTPException as exc:
                reason = _reason(exc)
                _record(con, row, "failed", reason)
                outcome.failed += 1
                outcome.reasons.append(f"{row['document_number']}: {reason}")
                continue
            _record(con, row, "sent")
            outcome.sent += 1
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return outcome


def _reason(exc: smtplib.SMTPException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        return (
            f"{exc.smtp_code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
        )
    return str(exc) or type(exc).__name__
