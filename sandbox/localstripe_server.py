"""A launcher for localstripe (a Stripe-compatible test server; GPL-3.0, used here as
a separate process and never imported by product code).

    python -m sandbox.localstripe_server --port N

What it changes, all for tests:
- binds 127.0.0.1 only, and never reads or writes localstripe's shared pickle file;
- **ACH test extension**: localstripe has no `us_bank_account`. This adds it, with SEPA's
  asynchronous behaviour (the charge is `processing`, then settles about 0.5 s later).
  Account number 000123456789 succeeds; 000111111116 fails (as in Stripe's test mode);
- SEPA and ACH debits that succeed are `processing` for those 0.5 s too, as in Stripe
  (localstripe itself marks them succeeded at once; only failing ones were asynchronous);
- SetupIntents accept `us_bank_account`, and a method a SetupIntent sets up is attached to
  its customer (as in Stripe; localstripe leaves it unattached);
- accepts `off_session` on PaymentIntent confirm (real Stripe does; localstripe rejects
  it) and ignores it;
- fault injection: `POST /_config/test/faults` with form fields `count`, `status` (default
  429), `retry_after` (seconds) and `path` (a prefix, default any; POST requests only when
  given) makes the next `count` matching API requests answer that status (400 and 402 come
  as an invalid request and a card error, as Stripe sends them);
- `GET /_config/test/stats` counts the API requests served and the time span they took.
"""

from __future__ import annotations

import argparse
import time

from aiohttp import web
from localstripe import resources

# -- no shared pickle file ------------------------------------------------------------------
resources.Store.dump_to_disk = lambda self: None
resources.Store.try_load_from_disk = lambda self: None

# -- ACH (us_bank_account) with SEPA's asynchronous behaviour ---------------------------------
ACH_SUCCEEDS, ACH_FAILS = "000123456789", "000111111116"
_pm_init = resources.PaymentMethod.__init__


def _pm_init_with_ach(self, type=None, us_bank_account=None, **kwargs):
    if type != "us_bank_account":
        return _pm_init(self, type=type, **kwargs)
    try:
        assert isinstance(us_bank_account, dict)
        account = str(us_bank_account["account_number"])
        routing = str(us_bank_account["routing_number"])
        assert account.isdigit() and routing.isdigit() and len(routing) == 9
    except (AssertionError, KeyError):
        raise resources.UserError(400, "Bad request") from None
    _pm_init(self, type="sepa_debit", sepa_debit={"iban": "DE89370400440532013000"}, **kwargs)
    del self.sepa_debit
    self.type = "us_bank_account"
    self._ach_account = account
    self.us_bank_account = {
        "account_holder_type": us_bank_account.get("account_holder_type", "individual"),
        "account_type": "checking",
        "bank_name": "STRIPE TEST BANK",
        "last4": account[-4:],
        "routing_number": routing,
    }


_declined = resources.PaymentMethod._charging_is_declined


def _declined_with_ach(self):
    if self.type == "us_bank_account":
        return self._ach_account == ACH_FAILS
    return _declined(self)


def _is_async(self):
    pm = resources.PaymentMethod._api_retrieve(self.payment_method)
    return pm.type in ("sepa_debit", "us_bank_account")


_init_charge = resources.Charge._initialize_charge


def _initialize_charge_async(self, on_success=None, on_failure_now=None, on_failure_later=None):
    # SEPA and ACH debits stay `processing` until they settle, also when they succeed
    # (localstripe marks a successful debit succeeded at once)
    if self._authorized and self.captured and self._is_async_payment_method():
        self._trigger_payment(on_success)
        return
    _init_charge(self, on_success, on_failure_now, on_failure_later)


resources.Charge._initialize_charge = _initialize_charge_async
resources.PaymentMethod.__init__ = _pm_init_with_ach
resources.PaymentMethod._charging_is_declined = _declined_with_ach
resources.Charge._is_async_payment_method = _is_async

# -- SetupIntents as Stripe does them: ACH too, and a method set up is attached -------------
_setup_init = resources.SetupIntent.__init__


def _setup_init_with_ach(self, payment_method_types=None, **kwargs):
    ach = payment_method_types == ["us_bank_account"]
    _setup_init(
        self, payment_method_types=["sepa_debit"] if ach else payment_method_types, **kwargs
    )
    if ach:
        self.payment_method_types = ["us_bank_account"]


_setup_attach = resources.SetupIntent._attach_pm


def _setup_attach_to_customer(self, pm):
    _setup_attach(self, pm)
    if self.status == "succeeded" and self.customer:
        pm.customer = self.customer


resources.SetupIntent.__init__ = _setup_init_with_ach
resources.SetupIntent._attach_pm = _setup_attach_to_customer

# -- off_session on confirm -----------------------------------------------------------------
_confirm = resources.PaymentIntent._api_confirm


def _confirm_off_session(id, off_session=None, **kwargs):
    return _confirm(id, **kwargs)


resources.extra_apis[:] = [
    (m, u, _confirm_off_session if u == "/v1/payment_intents/{id}/confirm" else f)
    for m, u, f in resources.extra_apis
]

from localstripe.server import app  # noqa: E402  (routes are built from the patched list)

# -- fault injection and request statistics --------------------------------------------------
FAULTS = {"count": 0, "status": 429, "retry_after": "1", "path": ""}
KINDS = {429: "rate_limit_error", 400: "invalid_request_error", 402: "card_error"}
STATS = {"requests": 0, "first": None, "last": None}


@web.middleware
async def faults_and_stats(request, handler):
    if request.path.startswith("/v1/"):
        now = time.monotonic()
        STATS["requests"] += 1
        STATS["first"] = STATS["first"] or now
        STATS["last"] = now
        matches = not FAULTS["path"] or (
            request.method == "POST" and request.path.startswith(FAULTS["path"])
        )
        if FAULTS["count"] > 0 and matches:
            FAULTS["count"] -= 1
            status = FAULTS["status"]
            kind = KINDS.get(status, "api_error")
            return web.json_response(
                {"error": {"type": kind, "message": f"injected {status}"}},
                status=status,
                headers={"Retry-After": FAULTS["retry_after"]},
            )
    return await handler(request)


async def set_faults(request):
    data = await request.post()
    FAULTS["count"] = int(data.get("count", 1))
    FAULTS["status"] = int(data.get("status", 429))
    FAULTS["retry_after"] = str(data.get("retry_after", "1"))
    FAULTS["path"] = str(data.get("path", ""))
    return web.Response()


async def get_stats(request):
    span = (STATS["last"] or 0) - (STATS["first"] or 0)
    return web.json_response({"requests": STATS["requests"], "seconds": span})


async def reset_stats(request):
    STATS.update(requests=0, first=None, last=None)
    return web.Response()


app.middlewares.insert(0, faults_and_stats)
app.router.add_post("/_config/test/faults", set_faults)
app.router.add_get("/_config/test/stats", get_stats)
app.router.add_delete("/_config/test/stats", reset_stats)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
