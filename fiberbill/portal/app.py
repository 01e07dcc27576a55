"""The customer portal: a small, server-rendered Starlette application.

Thin handlers over the engine: pages read the published snapshot (fiberbill/portal/views.py),
changes are appended to the portal store (fiberbill/portal/store.py) and reach billing on
the next run, Stripe is asked through the same gateway collection uses
(fiberbill/portal/payments.py). Security (docs/security.md):
- a customer gets in only through a signed, expiring, single-use link (links.py), redeemed
  by a POST (a link opened by a mail scanner's GET does not use it up), rate-limited per
  client; the session is an opaque id in an HttpOnly, SameSite=Lax cookie (Secure behind
  https) that expires after idling;
- every query is scoped by the session's customer id; ids from URLs and forms are only
  looked up within it, and anything not found is the same 404;
- every state-changing request is a POST with the session's CSRF token (403 without);
- every response carries a CSP (scripts only with the page's nonce), frame-ancestors
  'none', X-Frame-Options, Referrer-Policy no-referrer and, for private pages, no-store;
- no secret, key, token or other customer's data in a page, a log line or an error.
No Dagster import.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from fiberbill.collection.gateway import StripeFailure, StripeGateway
from fiberbill.portal import links
from fiberbill.portal.payments import METHOD_TYPES, PaymentRefused, PortalPayments
from fiberbill.portal.snapshot import Snapshot, snapshot_path
from fiberbill.portal.store import LinkRefused, Session, Store, store_path
from fiberbill.portal.views import METHOD_TEXT, STATUS_TEXT, Money, document, load_view
from ingest.schema import EMAIL_PATTERN

HERE = Path(__file__).parent
COOKIE = "fiberbill_portal"
LOGIN_COOKIE = "fiberbill_login"
log = logging.getLogger("fiberbill.portal")


@dataclass
class PortalConfig:
    warehouse: Path
    secret: bytes
    base_url: str
    stripe: StripeGateway | None = None
    publishable_key: str | None = None
    idle_seconds: float = 30 * 60
    max_seconds: float = 12 * 3600
    redeem_limit: int = 10  # link redemptions per client ...
    redeem_window: float = 300  # ... per this many seconds

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


def _headers(response: Response, nonce: str, private: bool, stripe_js: bool = False) -> Response:
    script = f"'nonce-{nonce}'" + (" https://js.stripe.com" if stripe_js else "")
    frames = "https://js.stripe.com https://hooks.stripe.com" if stripe_js else "'none'"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src {script}; style-src 'self'; img-src 'self' data:; "
        f"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; frame-src {frames}; "
        + ("connect-src https://api.stripe.com" if stripe_js else "connect-src 'none'")
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if private:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def create_app(config: PortalConfig) -> Starlette:
    store = Store(store_path(config.warehouse))
    snapshot = Snapshot(snapshot_path(config.warehouse))
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(status_text=STATUS_TEXT, method_text=METHOD_TEXT)

    def page(
        request: Request,
        template: str,
        status: int = 200,
        private: bool = True,
        stripe_js: bool = False,
        **context,
    ) -> Response:
        nonce = secrets.token_urlsafe(16)
        html = env.get_template(template).render(request=request, nonce=nonce, **context)
        response = HTMLResponse(html, status_code=status)
        return _headers(response, nonce, private, stripe_js)

    def client_ip(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def current(request: Request) -> tuple[str, Session] | None:
        session_id = request.cookies.get(COOKIE)
        if not session_id or len(session_id) > 128:
            return None
        found = store.session(session_id, config.idle_seconds, config.max_seconds)
        return (session_id, found) if found else None

    def signed_out(request: Request) -> Response:
        return page(
            request,
            "message.html.j2",
            status=401,
            title="Signed out",
            message="Your session has ended. Ask for a new link to your account.",
        )

    def customer_view(request: Request):
        """(session, view) for a private page, or a response to return instead."""
        found = current(request)
        if found is None:
            return None, signed_out(request)
        _, session = found
        cursor = snapshot.cursor()
        if cursor is None:
            return None, page(
                request,
                "message.html.j2",
                status=503,
                title="Not ready",
                message="Your account is not available yet. Please try later.",
            )
        view = load_view(cursor, store, session.customer_id, snapshot.meta)
        if view is None:
            return None, signed_out(request)
        return (session, view, cursor), None

    def private(handler):
        """A page or form of a signed-in customer: the handler gets the session, the
        customer's view and the snapshot cursor it was read from, or the visitor gets the
        sign-in notice."""

        async def endpoint(request: Request) -> Response:
            found, refusal = customer_view(request)
            if refusal:
                return refusal
            return await handler(request, *found)

        return endpoint

    async def checked_form(request: Request, session: Session) -> dict:
        form = await request.form()
        token = str(form.get("csrf_token", ""))
        if not token or not hmac.compare_digest(token, session.csrf_token):
            raise HTTPException(403)
        return {k: str(v) for k, v in form.items()}

    def render(
        request: Request,
        template: str,
        session: Session,
        view,
        stripe_js: bool = False,
        **context,
    ) -> Response:
        money = Money(view.customer.get("country"))
        return page(
            request,
            template,
            stripe_js=stripe_js,
            session=session,
            view=view,
            money=money,
            store=store,
            test_mode=bool(config.stripe and config.stripe.is_test_mode),
            stripe_ready=config.stripe is not None,
            **context,
        )

    def payments(view) -> PortalPayments:
        return PortalPayments(store, config.stripe, config.warehouse, view.meta["install_id"])

    def back(path: str, notice: str | None = None) -> Response:
        target = path + (f"?notice={notice}" if notice else "")
        return _headers(RedirectResponse(target, status_code=303), "", private=True)

    # -- getting in -------------------------------------------------------------------------

    async def login_form(request: Request) -> Response:
        token = request.query_params.get("token", "")
        login_nonce = secrets.token_urlsafe(24)
        response = page(request, "login.html.j2", token=token, login_nonce=login_nonce)
        response.set_cookie(
            LOGIN_COOKIE, login_nonce, max_age=600, httponly=True, samesite="lax",
            secure=config.secure_cookies, path="/login",
        )  # fmt: skip
        return response

    async def login(request: Request) -> Response:
        form = await request.form()
        ip = client_ip(request)
        cookie_nonce = request.cookies.get(LOGIN_COOKIE, "")
        if not cookie_nonce or not hmac.compare_digest(
            cookie_nonce, str(form.get("login_nonce", ""))
        ):
            raise HTTPException(403)
        if not store.allow_redemption(ip, config.redeem_limit, config.redeem_window):
            log.warning("link redemption rate-limited for a client")
            return page(
                request,
                "message.html.j2",
                status=429,
                title="Too many attempts",
                message="Too many sign-in attempts. Please wait a few minutes.",
            )
        try:
            claims = links.read_token(config.secret, str(form.get("token", "")))
            cursor = snapshot.cursor()
            if (
                cursor is None
                or not cursor.execute(
                    "select 1 from customers where customer_id = ?", [claims.customer_id]
                ).fetchall()
            ):
                raise links.BadLink("this link is not valid")
            store.redeem(claims.nonce, claims.customer_id, ip)
        except (links.BadLink, LinkRefused) as exc:
            return page(
                request,
                "message.html.j2",
                status=400,
                title="Link not valid",
                message=f"Sorry, {exc}. Ask for a new link to your account.",
            )
        session_id, _ = store.new_session(claims.customer_id)
        response = back("/")
        response.set_cookie(
            COOKIE, session_id, httponly=True, samesite="lax", secure=config.secure_cookies,
            path="/",
        )  # fmt: skip
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    async def logout(request: Request) -> Response:
        found = current(request)
        if found is None:
            return back("/signed-out")
        session_id, session = found
        await checked_form(request, session)
        store.end_session(session_id)
        response = back("/signed-out")
        response.delete_cookie(COOKIE, path="/")
        return response

    async def goodbye(request: Request) -> Response:
        return page(
            request,
            "message.html.j2",
            title="Signed out",
            message="You are signed out. Use a new link to sign in again.",
        )

    # -- pages ------------------------------------------------------------------------------

    async def overview(request: Request, session: Session, view, cursor) -> Response:
        return render(request, "overview.html.j2", session, view)

    async def invoices(request: Request, session: Session, view, cursor) -> Response:
        notice = request.query_params.get("notice")
        return render(request, "invoices.html.j2", session, view, notice=NOTICES.get(notice))

    async def document_file(request: Request, session: Session, view, cursor) -> Response:
        number = request.path_params["number"]
        kind = request.path_params["kind"]
        if kind not in ("pdf", "html"):
            raise HTTPException(404)
        doc = document(cursor, session.customer_id, number)
        if doc is None or not doc["pdf_path"]:
            raise HTTPException(404)
        exports = Path(view.meta["exports_dir"]).resolve()
        path = (exports / doc["pdf_path"]).resolve()
        if kind == "html":
            path = path.with_suffix(".html")
        if exports not in path.parents or not path.is_file():
            raise HTTPException(404)
        media = "application/pdf" if kind == "pdf" else "text/html; charset=utf-8"
        response = FileResponse(path, media_type=media)
        if kind == "pdf":
            response.headers["Content-Disposition"] = f'attachment; filename="{number}.pdf"'
        response = _headers(response, "", private=True)
        # a document is self-contained: its own styles and an inline logo, and no script
        response.headers["Content-Security-Policy"] = DOCUMENT_CSP
        return response

    async def methods(request: Request, session: Session, view, cursor) -> Response:
        notice = request.query_params.get("notice")
        return render(
            request,
            "methods.html.j2",
            session,
            view,
            notice=NOTICES.get(notice),
            method_types=METHOD_TYPES,
        )

    async def method_action(request: Request, session: Session, view, cursor) -> Response:
        await checked_form(request, session)
        pm = request.path_params["pm"]
        action = request.path_params["action"]
        if action not in ("default", "remove"):
            raise HTTPException(404)
        own = {m["payment_method_id"]: m for m in view.payment_methods()}
        if pm not in own:
            raise HTTPException(404)
        if (
            action == "remove"
            and own[pm]["is_default"]
            and view.collection_method == "auto"
            and len(own) == 1
        ):
            return back("/payment-methods", "remove-last")
        store.record_method_change(
            session.customer_id, pm, "set_default" if action == "default" else "removed",
            client_ip(request),
        )  # fmt: skip
        return back("/payment-methods", "default" if action == "default" else "removed")

    async def method_add_test(request: Request, session: Session, view, cursor) -> Response:
        form = await checked_form(request, session)
        if config.stripe is None or not config.stripe.is_test_mode:
            raise HTTPException(403)
        kind = form.get("type", "")
        if kind not in METHOD_TYPES:
            raise HTTPException(400)
        if kind != "card" and form.get("mandate") != "accepted":
            return back("/payment-methods", "mandate")
        details = {
            "card": lambda: {
                "number": form.get("card_number", "").replace(" ", ""),
                "exp_month": form.get("exp_month", ""),
                "exp_year": form.get("exp_year", ""),
                "cvc": form.get("cvc", ""),
            },
            "sepa_debit": lambda: {"iban": form.get("iban", "").replace(" ", "")},
            "us_bank_account": lambda: {
                "account_number": form.get("account_number", ""),
                "routing_number": form.get("routing_number", ""),
                "account_holder_type": "individual",
            },
        }[kind]()
        return _added(
            request,
            session,
            view,
            lambda p, cus: p.add_test_method(cus, session.customer_id, kind, details),
        )

    async def method_setup(request: Request, session: Session, view, cursor) -> Response:
        """Production: a SetupIntent for Stripe.js Elements, then /payment-methods/complete."""
        form = await checked_form(request, session)
        kind = form.get("type", "")
        if config.stripe is None or not config.publishable_key or kind not in METHOD_TYPES:
            raise HTTPException(400)
        p = payments(view)
        cus = p.stripe_customer(
            session.customer_id, view.customer["name"], view.customer["stripe_customer_id"]
        )
        intent = p.start_setup(cus, session.customer_id, kind)
        return render(
            request,
            "method_setup.html.j2",
            session,
            view,
            stripe_js=True,
            kind=kind,
            client_secret=intent["client_secret"],
            publishable_key=config.publishable_key,
        )

    async def method_complete(request: Request, session: Session, view, cursor) -> Response:
        form = await checked_form(request, session)
        setup_intent = form.get("setup_intent", "")
        return _added(
            request,
            session,
            view,
            lambda p, cus: p.finish_setup(cus, session.customer_id, setup_intent),
        )

    def _added(request: Request, session: Session, view, make) -> Response:
        if config.stripe is None:
            raise HTTPException(400)
        p = payments(view)
        try:
            cus = p.stripe_customer(
                session.customer_id, view.customer["name"], view.customer["stripe_customer_id"]
            )
            method = make(p, cus)
        except PaymentRefused as exc:
            log.info("payment method refused: %s", exc)
            return back("/payment-methods", "refused")
        except StripeFailure:
            log.warning("Stripe did not answer while adding a payment method")
            return back("/payment-methods", "unavailable")
        pm = f"PORTAL-{method['id']}"
        store.record_method_change(
            session.customer_id, pm, "added", client_ip(request), method_type=method["type"],
            stripe_payment_method_id=method["id"], last4=method["last4"],
        )  # fmt: skip
        if view.default_method is None:
            store.record_method_change(session.customer_id, pm, "set_default", client_ip(request))
        return back("/payment-methods", "added")

    async def preferences(request: Request, session: Session, view, cursor) -> Response:
        notice = request.query_params.get("notice")
        return render(request, "preferences.html.j2", session, view, notice=NOTICES.get(notice))

    async def save_preferences(request: Request, session: Session, view, cursor) -> Response:
        form = await checked_form(request, session)
        method = form.get("collection_method", view.collection_method)
        email = form.get("invoice_email", "").strip()
        if method not in ("auto", "manual"):
            raise HTTPException(400)
        default = view.default_method
        if method == "auto" and not (default and default.get("stripe_payment_method_id")):
            return back("/preferences", "auto-needs-method")
        if email and not re.fullmatch(EMAIL_PATTERN, email):
            return back("/preferences", "bad-email")
        ip = client_ip(request)
        if method != view.collection_method:
            store.record_preference(
                session.customer_id, "collection_method", view.collection_method, method, ip
            )
        if email and email != (view.invoice_email or ""):
            store.record_preference(
                session.customer_id, "invoice_email", view.invoice_email, email, ip
            )
        return back("/preferences", "saved")

    async def pay(request: Request, session: Session, view, cursor) -> Response:
        form = await checked_form(request, session)
        number = request.path_params["number"]
        invoice = next((i for i in view.invoices if i["invoice_number"] == number), None)
        if invoice is None:
            raise HTTPException(404)
        ok, _ = view.payable(invoice, store)
        if not ok or config.stripe is None:
            return back("/invoices", "not-payable")
        method = next(
            (m for m in view.payment_methods() if m["payment_method_id"] == form.get("method")),
            None,
        )
        if method is None or not method.get("stripe_payment_method_id"):
            return back("/invoices", "choose-method")
        p = payments(view)
        try:
            cus = p.stripe_customer(
                session.customer_id, view.customer["name"], view.customer["stripe_customer_id"]
            )
            status, reason = p.pay(
                invoice,
                cus,
                method["payment_method_type"],
                method["stripe_payment_method_id"],
                client_ip(request),
            )
        except PaymentRefused:
            return back("/invoices", "not-payable")
        except StripeFailure:
            log.warning("Stripe did not answer a payment")
            return back("/invoices", "unavailable")
        log.info("pay now: %s", status)
        return back(
            "/invoices", {"succeeded": "paid", "processing": "processing"}.get(status, "declined")
        )

    # -- errors -----------------------------------------------------------------------------

    async def http_error(request: Request, exc: HTTPException) -> Response:
        titles = {403: "Not allowed", 404: "Not found", 400: "Not understood", 405: "Not allowed"}
        title = titles.get(exc.status_code, "Something went wrong")
        messages = {
            403: "This request was not accepted. Reload the page and try again.",
            404: "There is nothing here.",
        }
        return page(
            request,
            "message.html.j2",
            status=exc.status_code,
            title=title,
            message=messages.get(exc.status_code, "Please go back and try again."),
        )

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("portal error: %s", type(exc).__name__)
        return page(
            request,
            "message.html.j2",
            status=500,
            title="Something went wrong",
            message="Something went wrong on our side. Please try again later.",
        )

    routes = [
        Route("/", private(overview)),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/signed-out", goodbye),
        Route("/invoices", private(invoices)),
        Route("/invoices/{number}/pay", private(pay), methods=["POST"]),
        Route("/documents/{number}.{kind:str}", private(document_file)),
        Route("/payment-methods", private(methods)),
        Route("/payment-methods/test", private(method_add_test), methods=["POST"]),
        Route("/payment-methods/setup", private(method_setup), methods=["POST"]),
        Route("/payment-methods/complete", private(method_complete), methods=["POST"]),
        Route("/payment-methods/{pm}/{action:str}", private(method_action), methods=["POST"]),
        Route("/preferences", private(preferences)),
        Route("/preferences", private(save_preferences), methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.state.config = config
    app.state.store = store
    return app


DOCUMENT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)

# what a notice in the URL (after a redirect) says; anything else says nothing
NOTICES = {
    "added": "Payment method added.",
    "default": "Default payment method changed.",
    "removed": "Payment method removed.",
    "remove-last": "Switch to manual payment before removing your only payment method.",
    "refused": "The payment method was refused. Check the details or try another one.",
    "unavailable": "Payments are not available right now. Please try again later.",
    "mandate": "Please accept the mandate to add a bank account.",
    "saved": "Preferences saved. They apply from today.",
    "auto-needs-method": "Add a payment method (and make it your default) before choosing "
    "automatic payment.",
    "bad-email": "That does not look like an e-mail address.",
    "paid": "Thank you: your payment was received.",
    "processing": "Thank you: your payment is being processed by your bank.",
    "declined": "The payment was declined. Try another payment method.",
    "not-payable": "This invoice cannot be paid here right now.",
    "choose-method": "Choose a payment method first.",
}
