"""Collection through Stripe, exactly once, one run day at a time.

What to charge is decided from the ledger (issued invoices of auto-collection customers that
are open and still owe money) and the dbt model of each customer's payment method. Every
Stripe call is recorded in the **collection journal**, a small DuckDB file beside the
warehouse (`<warehouse>.stripe-journal.duckdb`). Unlike the warehouse, whose rows a failed
or killed call has undone (fiberbill/journal.py), the journal is written at once and kept,
so it survives a crash or a failed call: it is the memory of what Stripe was asked to do.

Each payment attempt is two-phase:
1. record the attempt (invoice, attempt number, amount, method);
2. create the PaymentIntent unconfirmed, with metadata and an idempotency key per invoice
   and attempt, and record its id;
3. confirm it (off_session);
4. record the outcome: succeeded, processing (SEPA, ACH) or failed with the reason.
On a rerun, an attempt whose id is recorded is retrieved and reconciled, never created
again; one without an id is created with the same idempotency key.

Outcomes enter the warehouse ledger on the run day they are seen (`ledger.payment_attempts`,
`ledger.collected_payments`), so replaying days after a crash gives the same ledger. Refunds
owed by credit notes (`ledger.stripe_refunds`) go back through the original PaymentIntent,
checked against the charge's amount_refunded so a retry never refunds twice.

No Dagster import.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from fiberbill import ledger
from fiberbill.collection.gateway import StripeFailure, StripeGateway, StripeRejected
from fiberbill.portal.store import pay_lock, read_journal_rows, store_path
from fiberbill.sqlfiles import SqlFiles
from ingest.currencies import NotWholeAmount, cents_from_minor_units, minor_units
from ingest.loader import fetch

DEFAULT_RETRY_DAYS = (3, 5, 7)
INTEGERS = ("seq", "amount_cents")


def journal_path(warehouse: Path) -> Path:
    warehouse = Path(warehouse).resolve()
    return warehouse.with_name(f"{warehouse.name}.stripe-journal.duckdb")


def inbox_path(warehouse: Path) -> Path:
    """Where `fiberbill webhooks serve` appends verified Stripe events, one JSON per line."""
    warehouse = Path(warehouse).resolve()
    return warehouse.with_name(f"{warehouse.name}.stripe-webhooks.jsonl")


SQL = SqlFiles(Path(__file__).with_name("sql"))


# The phases of collection whose outcome is in the journal before the next one begins; a
# process killed between any two is finished by the next call, never repeated
# (docs/reliability.md). `persisted` marks the end of each.
PHASES = (
    "planned",
    "customer_created",
    "created",
    "id_recorded",
    "confirmed",
    "outcome_recorded",
    "refund_planned",
    "refund_created",
)


def persisted(phase: str) -> None:
    """`phase` (one of PHASES) is in the journal. Does nothing: the crash tests stop the
    process here, which is where a real crash costs the most."""


def _plain(obj) -> dict:
    """A Stripe object (or an event's already plain payload) as a plain dict."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj or {})


class StripeMismatch(RuntimeError):
    """A PaymentIntent does not match the attempt the journal recorded for it: nothing is
    booked, the run stops."""


# PaymentIntent states that wait for someone to act; an attempt left in one for more than
# one run day is failed (and its PaymentIntent canceled) instead of pending forever.
NEEDS_ACTION = ("requires_confirmation", "requires_action", "requires_payment_method")


def stripe_mode(api_key: str) -> str:
    """`live` or `test`, from the key's prefix (sk_live_, rk_live_, ...)."""
    return "live" if "_live_" in api_key[:8] else "test"


def _status_of(intent) -> tuple[str, str | None]:
    """Map a PaymentIntent to (status, failure reason)."""
    intent = _plain(intent)
    status = intent["status"]
    if status == "succeeded":
        return "succeeded", None
    if status == "processing":
        return "processing", None
    if status == "requires_confirmation":
        return "pending", None
    if status == "requires_action":
        return "failed", "authentication_required: the customer must authenticate"
    error = intent.get("last_payment_error") or {}
    if status == "canceled":
        return "failed", "canceled"
    code = error.get("code") or error.get("decline_code") or "payment_failed"
    return "failed", f"{code}: {error.get('message') or 'the payment failed'}"


@dataclass
class Attempt:
    """One payment attempt as the journal recorded it: what Stripe must agree with."""

    key: str  # <customer_id>|<currency>|<invoice created day>#<attempt number>
    invoice_number: str
    no: int
    currency: str
    cents: int
    method: str
    stripe_method: str
    stripe_customer: str

    def check(self, intent: dict) -> None:
        """Stripe's PaymentIntent must be this attempt's: same customer, currency and
        amount (and attempt key, when it carries one). Anything else stops the run."""
        found = {
            "customer": intent.get("customer"),
            "currency": (intent.get("currency") or "").upper(),
            "amount": intent.get("amount"),
        }
        expected = {
            "customer": self.stripe_customer,
            "currency": self.currency.upper(),
            "amount": minor_units(self.cents, self.currency),
        }
        tagged = (intent.get("metadata") or {}).get("attempt_key")
        if found != expected or tagged not in (None, self.key):
            raise StripeMismatch(
                f"PaymentIntent {intent.get('id')} does not match attempt {self.key} of "
                f"invoice {self.invoice_number}: Stripe has {found} (attempt key {tagged}), "
                f"the journal {expected}; nothing was booked"
            )


@dataclass
class Collector:
    """Collects for one warehouse connection and its journal."""

    con: duckdb.DuckDBPyConnection
    gateway: StripeGateway
    journal: Path
    inbox: Path
    retry_days: tuple[int, ...] = DEFAULT_RETRY_DAYS
    counts: dict[str, int] = field(default_factory=dict)
    # the warehouse whose customer portal's store (fiberbill/portal/store.py) holds "pay
    # now" attempts and Stripe links to copy into the journal; None: no portal
    portal_of: Path | None = None

    def __post_init__(self):
        fetch(self.con, "attach if not exists ? as journal", [str(self.journal)])
        SQL.run(self.con, "00_journal")
        found = fetch(self.con, "select install_id from journal.meta")
        if not found:
            install = uuid.uuid4().hex[:16]
            fetch(self.con, "insert into journal.meta values (?, now(), null)", [install])
            found = [(install,)]
        self.install_id = found[0][0]
        mode = stripe_mode(self.gateway.api_key)
        recorded = fetch(self.con, "select any_value(stripe_mode) from journal.meta")[0][0]
        if recorded is None:
            fetch(self.con, "update journal.meta set stripe_mode = ?", [mode])
        elif recorded != mode:
            raise StripeFailure(
                f"{self.journal.name} was written in Stripe {recorded} mode and "
                f"STRIPE_API_KEY is a {mode} key: use a {recorded} key with this warehouse "
                "(its payments live in that mode), or start a new warehouse"
            )
        self.counts = {"attempts": 0, "succeeded": 0, "failed": 0, "processing": 0, "refunds": 0}

    def close(self) -> None:
        fetch(self.con, "detach journal")

    # -- one run day ------------------------------------------------------------------------

    def collect(self, day: date) -> None:
        self._read_portal(day)
        self._read_inbox()
        self._reconcile(day)
        self._charge(day)
        self._refund(day)
        self._mirror(day)

    # -- journal helpers --------------------------------------------------------------------

    def _event(self, key: str, intent_id: str | None, status: str, reason: str | None, day):
        fetch(
            self.con,
            "insert into journal.attempt_events select coalesce(max(event_id), 0) + 1, "
            "?, ?, ?, ?, ?, now() from journal.attempt_events",
            [key, intent_id, status, reason, day],
        )
        if status in self.counts:
            self.counts[status] += 1

    def _read_portal(self, day: date) -> None:
        """Copy the portal's "pay now" attempts, their events and its Stripe links that the
        journal does not hold yet (fiberbill/portal/payments.py), under the lock "pay now"
        holds for a whole attempt."""
        if self.portal_of is None:
            return
        path = store_path(self.portal_of)
        if not path.exists():
            return
        seen = fetch(
            self.con,
            "select coalesce(max(attempt_seq), 0), coalesce(max(event_seq), 0), "
            "coalesce(max(link_seq), 0) from journal.portal_offsets",
        )[0]
        with pay_lock(self.portal_of):
            found = read_journal_rows(path, *seen)
        if not any(found.values()):
            return
        for table, (columns, rows) in found.items():
            fetch(
                self.con,
                f"create or replace temp table {table} ("
                + ", ".join(f"{c} {'BIGINT' if c in INTEGERS else 'VARCHAR'}" for c in columns)
                + ")",
            )
            if rows:
                self.con.executemany(
                    f"insert into {table} values ({', '.join('?' * len(columns))})", rows
                )
        SQL.run(self.con, "15_portal", {"day": day})

    def _read_inbox(self) -> None:
        """Take in the events `fiberbill webhooks serve` verified since the last run."""
        if not self.inbox.exists():
            return
        offset = fetch(self.con, "select coalesce(max(byte_offset), 0) from journal.inbox_offsets")
        with self.inbox.open("rb") as fh:
            fh.seek(offset[0][0])
            data = fh.read()
        complete = data[: data.rfind(b"\n") + 1]
        if not complete:
            return
        rows = []
        for line in complete.decode("utf-8").splitlines():
            event = json.loads(line)
            intent = event.get("data", {}).get("object", {})
            if intent.get("object") != "payment_intent":
                continue
            status, reason = _status_of(intent)
            rows.append((event["id"], event["type"], intent["id"], status, reason))
        if rows:
            fetch(
                self.con,
                "create or replace temp table _inbox (e VARCHAR, t VARCHAR, "
                "pi VARCHAR, s VARCHAR, r VARCHAR)",
            )
            self.con.executemany("insert into _inbox values (?, ?, ?, ?, ?)", rows)
            fetch(
                self.con,
                "insert into journal.webhook_events select distinct e, t, pi, s, r, now() "
                "from _inbox where e not in (select event_id from journal.webhook_events)",
            )
        fetch(
            self.con,
            "insert into journal.inbox_offsets values (?, now())",
            [offset[0][0] + len(complete)],
        )

    # -- payments ---------------------------------------------------------------------------

    def _reconcile(self, day: date) -> None:
        """Finish every attempt a crash or an asynchronous method left unresolved."""
        unresolved = SQL.rows(self.con, "20_unresolved", {"day": day})
        for row in unresolved:
            key, number, no, currency, cents, method, pm, cus, intent_id, status, since, hook = row
            attempt = Attempt(key, number, no, currency, cents, method, pm, cus)
            if status == "planned":
                self._create_and_confirm(day, attempt)
            elif status == "processing" and hook:
                outcome, _, reason = hook.partition("|")
                self._event(key, intent_id, outcome, reason or None, day)
            else:
                intent = _plain(self.gateway.retrieve_intent(intent_id))
                attempt.check(intent)
                if intent["status"] in NEEDS_ACTION and since is not None and since < day:
                    self._give_up(day, attempt, intent_id, intent["status"])
                elif intent["status"] == "requires_confirmation":
                    self._confirm(day, attempt, intent_id)
                else:
                    new_status, reason = _status_of(intent)
                    if new_status != status:
                        self._event(key, intent_id, new_status, reason, day)

    def _give_up(self, day: date, attempt: Attempt, intent_id: str, state: str) -> None:
        """An attempt that still needs action a run day later: cancel its PaymentIntent so
        it can never charge, and record it failed with that reason (a retry may follow)."""
        try:
            intent = _plain(self.gateway.cancel_intent(intent_id))
        except StripeRejected:  # it moved on meanwhile: Stripe's own state decides
            intent = _plain(self.gateway.retrieve_intent(intent_id))
        status, reason = _status_of(intent)
        if intent["status"] == "canceled":
            reason = f"{state}: no outcome after one run day; the payment was canceled"
        self._event(attempt.key, intent_id, status, reason, day)

    def _charge(self, day: date) -> None:
        """Start the attempts due today: each open invoice's first, and retries."""
        SQL.run(self.con, "10_chargeable", {"day": day})
        due = SQL.rows(self.con, "30_due")
        for (
            invoice_key,
            number,
            customer,
            name,
            currency,
            created,
            cents,
            method,
            pm,
            no,
            first_failure,
        ) in due:
            if no > 1:
                retries_done = no - 2
                if retries_done >= len(self.retry_days):
                    continue
                if day < first_failure + timedelta(days=self.retry_days[retries_done]):
                    continue
            stripe_customer = self._link(day, customer, name, pm)
            if stripe_customer is None:
                continue
            key = f"{invoice_key}#{no}"
            fetch(
                self.con,
                "insert into journal.attempts (attempt_key, invoice_number, attempt_no, "
                "customer_id, currency, amount_cents, method, stripe_payment_method_id, "
                "stripe_customer_id, run_date, recorded_at, invoice_created_date) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?)",
                [
                    key,
                    number,
                    no,
                    customer,
                    currency,
                    cents,
                    method,
                    pm,
                    stripe_customer,
                    day,
                    created,
                ],
            )
            self.counts["attempts"] += 1
            persisted("planned")
            attempt = Attempt(key, number, no, currency, cents, method, pm, stripe_customer)
            self._create_and_confirm(day, attempt)

    def _link(self, day: date, customer: str, name: str | None, pm: str) -> str | None:
        """The Stripe customer for `customer` with `pm` attached, or None if Stripe refused
        (the method is then recorded as declined: not usable for collection)."""
        links = fetch(
            self.con,
            "select step, stripe_customer_id, stripe_payment_method_id "
            "from journal.customer_links where customer_id = ? order by recorded_at",
            [customer],
        )
        stripe_customer = next((c for s, c, _ in links if s == "customer_created"), None)
        for s, _, method in links:
            if method == pm and s == "method_declined":
                return None
            if method == pm and s == "method_attached":
                return stripe_customer
        try:
            if stripe_customer is None:
                created = self.gateway.create_customer(
                    customer, name, key=f"fiberbill-{self.install_id}-customer-{customer}"
                )
                stripe_customer = created["id"]
                fetch(
                    self.con,
                    "insert into journal.customer_links values (?, 'customer_created', ?, "
                    "null, null, ?, now())",
                    [customer, stripe_customer, day],
                )
                persisted("customer_created")
            self.gateway.attach_method(pm, stripe_customer)
            self.gateway.set_default_method(stripe_customer, pm)
        except StripeRejected as exc:
            fetch(
                self.con,
                "insert into journal.customer_links values (?, 'method_declined', ?, ?, ?, ?, "
                "now())",
                [customer, stripe_customer, pm, exc.reason, day],
            )
            return None
        fetch(
            self.con,
            "insert into journal.customer_links values (?, 'method_attached', ?, ?, null, ?, "
            "now())",
            [customer, stripe_customer, pm, day],
        )
        return stripe_customer

    def _create_and_confirm(self, day: date, attempt: Attempt) -> None:
        try:
            amount = minor_units(attempt.cents, attempt.currency)
        except NotWholeAmount as exc:  # never charge another amount than the one owed
            self._event(attempt.key, None, "failed", f"amount_not_whole: {exc}", day)
            return
        try:
            intent = self.gateway.create_intent(
                {
                    "amount": amount,
                    "currency": attempt.currency.lower(),
                    "customer": attempt.stripe_customer,
                    "payment_method": attempt.stripe_method,
                    "payment_method_types": [attempt.method],
                    "metadata": {
                        "invoice_number": attempt.invoice_number,
                        "attempt_key": attempt.key,
                        "attempt": str(attempt.no),
                    },
                },
                key=f"fiberbill-{self.install_id}-{attempt.key}-create",
            )
        except StripeRejected as exc:  # this invoice only: recorded, the run goes on
            self._event(attempt.key, None, "failed", exc.reason, day)
            return
        persisted("created")
        attempt.check(_plain(intent))
        self._event(attempt.key, intent["id"], "pending", None, day)
        persisted("id_recorded")
        self._confirm(day, attempt, intent["id"])

    def _confirm(self, day: date, attempt: Attempt, intent_id: str) -> None:
        try:
            intent = self.gateway.confirm_intent(
                intent_id, key=f"fiberbill-{self.install_id}-{attempt.key}-confirm"
            )
        except StripeRejected:
            # a decline (or a confirm that already happened): Stripe's own state decides
            intent = self.gateway.retrieve_intent(intent_id)
        persisted("confirmed")
        attempt.check(_plain(intent))
        status, reason = _status_of(intent)
        if status != "pending":  # still unconfirmed: nothing new (a later day gives up)
            self._event(attempt.key, intent_id, status, reason, day)
        persisted("outcome_recorded")

    # -- refunds ----------------------------------------------------------------------------

    def _refund(self, day: date) -> None:
        """Send back through Stripe what credit notes owe, exactly once. A refund is keyed
        by its credit note's identity (the invoice's customer, currency and day, and the
        credit note's day), never by a number a replay could give to another document."""
        planned = SQL.rows(self.con, "40_refunds_planned", {"day": day})
        done = {k for (k,) in fetch(self.con, "select refund_key from journal.refunds")}
        for key, credit_note, number, cents, customer, currency, created, issued in planned:
            if key in done:
                continue
            intent_id = fetch(
                self.con,
                "select payment_intent_id from _latest_attempts "
                "where customer_id = ? and currency = ? and invoice_created_date = ? "
                "and status = 'succeeded' order by attempt_no desc limit 1",
                [customer, currency, created],
            )[0][0]
            already = fetch(
                self.con,
                "select coalesce(sum(amount_cents), 0) from journal.refunds "
                "where payment_intent_id = ?",
                [intent_id],
            )[0][0]
            fetch(
                self.con,
                "insert into journal.refunds (refund_key, credit_note_number, invoice_number, "
                "payment_intent_id, amount_cents, target_refunded_cents, run_date, "
                "recorded_at, customer_id, currency, invoice_created_date, credit_note_date) "
                "values (?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?)",
                [
                    key,
                    credit_note,
                    number,
                    intent_id,
                    cents,
                    already + cents,
                    day,
                    customer,
                    currency,
                    created,
                    issued,
                ],
            )
            persisted("refund_planned")
        self._send_refunds(day)

    def _send_refunds(self, day: date) -> None:
        """Create the planned refunds not sent yet, and follow the pending ones."""
        unsent = SQL.rows(self.con, "41_refunds_unsent")
        for key, credit_note, intent_id, cents, target, currency in unsent:
            refunded = cents_from_minor_units(self._amount_refunded(intent_id), currency)
            if refunded >= target:
                self._refund_event(key, None, "succeeded", "found already refunded", day)
                continue
            try:
                refund = _plain(
                    self.gateway.create_refund(
                        intent_id,
                        minor_units(min(cents, target - refunded), currency),
                        {"credit_note_number": credit_note, "refund_key": key},
                        key=f"fiberbill-{self.install_id}-refund-{key}",
                    )
                )
            except StripeRejected as exc:
                self._refund_event(key, None, "failed", exc.reason, day)
                continue
            except NotWholeAmount as exc:
                self._refund_event(key, None, "failed", f"amount_not_whole: {exc}", day)
                continue
            persisted("refund_created")
            self._refund_event(
                key, refund["id"], refund["status"], refund.get("failure_reason"), day
            )
            self.counts["refunds"] += 1
        pending = SQL.rows(self.con, "42_refunds_pending")
        for key, refund_id, status in pending:
            refund = _plain(self.gateway.retrieve_refund(refund_id))
            if refund["status"] != status:
                self._refund_event(
                    key, refund_id, refund["status"], refund.get("failure_reason"), day
                )

    def _amount_refunded(self, intent_id: str) -> int:
        intent = _plain(self.gateway.retrieve_intent(intent_id))
        charge = intent.get("latest_charge")
        if isinstance(charge, str):
            charge = _plain(self.gateway.retrieve_charge(charge))
        return int((charge or {}).get("amount_refunded") or 0)

    def _refund_event(self, key, refund_id, status, detail, day) -> None:
        fetch(
            self.con,
            "insert into journal.refund_events values (?, ?, ?, ?, ?, now())",
            [key, refund_id, status, detail, day],
        )

    def _mirror(self, day: date) -> None:
        mirror(self.con, day)


# -- into the warehouse ledger ------------------------------------------------------------


def unmirrored_days(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Days of journal events the ledger does not hold yet (`journal` attached)."""
    has_column = fetch(
        con,
        "select count(*) from information_schema.columns where table_schema = 'ledger' "
        "and table_name = 'payment_attempts' and column_name = 'journal_event_id'",
    )[0][0]
    mirrored = (
        "select journal_event_id from ledger.payment_attempts where journal_event_id is not null"
        if has_column
        else "select null::bigint where false"
    )
    return [
        d
        for (d,) in fetch(
            con,
            f"select distinct run_date from journal.attempt_events "
            f"where event_id not in ({mirrored}) "
            "union select distinct run_date from journal.customer_links "
            "where step = 'method_declined' "
            "union select distinct run_date from journal.refund_events",
        )
    ]


def mirror(con: duckdb.DuckDBPyConnection, day: date) -> None:
    """Copy into the ledger every journal event it does not hold yet, on run day `day`,
    then record the statuses it changes.

    An event is identified by itself (the journal's event id, the PaymentIntent of a
    success, the declined method), not by its day: an event the journal recorded for a day
    whose ledger a crash threw away, or that a call without collection did not copy, is
    copied on the first run day after, so collected money is never dropped.
    `journal` must be attached."""
    SQL.run(con, "90_mirror", {"day": day})
    ledger.after_collection(con, day)
