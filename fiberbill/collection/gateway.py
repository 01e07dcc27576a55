"""The only place fiberbill talks to Stripe: the official SDK behind a token bucket.

Every call waits for a token (default 20 requests per second), honours HTTP 429 and its
`Retry-After`, and backs off on 5xx answers and timeouts. The API key is held privately and
never appears in a repr, a log line, Dagster metadata or an error message. No Dagster
import: the Dagster `StripeResource` builds one of these.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_REQUESTS_PER_SECOND = 20.0


class StripeFailure(RuntimeError):
    """A Stripe call failed for good (after retries); the message never holds the key."""


class StripeRejected(StripeFailure):
    """Stripe answered this one request with a definite no (a 4xx other than 401 and 429:
    a decline, an invalid request, a permission or idempotency conflict). It concerns the
    request, not the connection: the caller records it and goes on with the others."""

    def __init__(self, message: str, code: str, reason: str):
        super().__init__(message)
        self.code = code
        self.reason = reason


class TokenBucket:
    """`rate` tokens per second, at most `capacity` saved up. Thread-safe."""

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if rate <= 0:
            raise ValueError(f"requests per second must be > 0, got {rate}")
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(1.0, rate)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.capacity
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is there. Returns the time slept."""
        slept = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1 - 1e-9:  # float dust must not starve the caller
                    self._tokens = max(0.0, self._tokens - 1)
                    return slept
                wait = max((1 - self._tokens) / self.rate, 1e-4)
            self._sleep(wait)
            slept += wait


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, "sk_***") if secret else text


@dataclass
class StripeGateway:
    """Stripe calls with rate limiting and retries. Build with `from_env()` or directly."""

    api_key: str = field(repr=False)
    api_base: str | None = None
    requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND
    max_retries: int = 5
    timeout_seconds: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    calls: int = 0
    throttled: int = 0

    def __post_init__(self):
        if not self.api_key:
            raise StripeFailure("STRIPE_API_KEY is not set (or use --payments none)")
        import stripe  # half a second: imported by the calls that collect, only

        base = {"api": self.api_base} if self.api_base else None
        self._client = stripe.StripeClient(
            self.api_key,
            base_addresses=base,
            max_network_retries=0,  # retries are ours, so 429 waits for Retry-After
            http_client=stripe.new_default_http_client(timeout=self.timeout_seconds),
        )
        self._bucket = TokenBucket(self.requests_per_second, sleep=self.sleep)

    @classmethod
    def from_env(cls, requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND) -> StripeGateway:
        return cls(
            api_key=os.environ.get("STRIPE_API_KEY", ""),
            api_base=os.environ.get("STRIPE_API_BASE") or None,
            requests_per_second=requests_per_second,
        )

    # -- the call wrapper -------------------------------------------------------------------

    def call(self, what: str, fn: Callable[[], object]) -> object:
        """Run one API request under the bucket, retrying what is safe to retry."""
        import stripe

        delay = 0.5
        for attempt in range(self.max_retries + 1):
            self._bucket.acquire()
            self.calls += 1
            try:
                return fn()
            except stripe.RateLimitError as exc:
                self.throttled += 1
                if attempt == self.max_retries:
                    raise self._failure(what, exc) from None
                self.sleep(_retry_after(exc, delay))
            except (stripe.APIConnectionError, stripe.APIError) as exc:
                status = getattr(exc, "http_status", None)
                retryable = isinstance(exc, stripe.APIConnectionError) or (
                    status is not None and status >= 500
                )
                if not retryable or attempt == self.max_retries:
                    raise self._failure(what, exc) from None
                self.sleep(_retry_after(exc, delay))
            except stripe.AuthenticationError as exc:
                raise self._failure(what, exc) from None
            except (
                stripe.CardError,
                stripe.InvalidRequestError,
                stripe.PermissionError,
                stripe.IdempotencyError,
            ) as exc:
                raise self._rejected(what, exc) from None
            delay = min(delay * 2, 8.0)
        raise AssertionError("unreachable")

    def _rejected(self, what: str, exc: Exception) -> StripeRejected:
        failure = self._failure(what, exc)
        code = getattr(exc, "code", None) or getattr(exc, "decline_code", None) or "rejected"
        message = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
        reason = f"{code}: {' '.join(_redact(str(message), self.api_key).split())}"
        return StripeRejected(str(failure), code, reason)

    def _failure(self, what: str, exc: Exception) -> StripeFailure:
        message = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
        status = getattr(exc, "http_status", None)
        line = " ".join(_redact(str(message), self.api_key).split())
        return StripeFailure(f"Stripe {what} failed ({status or 'no answer'}): {line}")

    # -- the requests fiberbill makes -------------------------------------------------------

    @property
    def v1(self):
        return self._client.v1

    def create_customer(self, customer_id: str, name: str | None, key: str):
        params = {"metadata": {"fiberbill_customer_id": customer_id}}
        if name:
            params["name"] = name
        return self.call(
            "customer create",
            lambda: self.v1.customers.create(params=params, options={"idempotency_key": key}),
        )

    def attach_method(self, payment_method: str, stripe_customer: str):
        return self.call(
            "payment method attach",
            lambda: self.v1.payment_methods.attach(
                payment_method, params={"customer": stripe_customer}
            ),
        )

    def set_default_method(self, stripe_customer: str, payment_method: str):
        return self.call(
            "customer update",
            lambda: self.v1.customers.update(
                stripe_customer,
                params={"invoice_settings": {"default_payment_method": payment_method}},
            ),
        )

    def create_intent(self, params: dict, key: str):
        return self.call(
            "payment intent create",
            lambda: self.v1.payment_intents.create(params=params, options={"idempotency_key": key}),
        )

    def confirm_intent(self, intent_id: str, key: str):
        return self.call(
            "payment intent confirm",
            lambda: self.v1.payment_intents.confirm(
                intent_id, params={"off_session": True}, options={"idempotency_key": key}
            ),
        )

    def retrieve_intent(self, intent_id: str):
        return self.call(
            "payment intent retrieve", lambda: self.v1.payment_intents.retrieve(intent_id)
        )

    def cancel_intent(self, intent_id: str):
        return self.call("payment intent cancel", lambda: self.v1.payment_intents.cancel(intent_id))

    def retrieve_refund(self, refund_id: str):
        return self.call("refund retrieve", lambda: self.v1.refunds.retrieve(refund_id))

    def retrieve_charge(self, charge_id: str):
        return self.call("charge retrieve", lambda: self.v1.charges.retrieve(charge_id))

    # -- the customer portal's requests (fiberbill/portal) ----------------------------------

    @property
    def is_test_mode(self) -> bool:
        """A Stripe test-mode secret key: the only kind the portal's test form works with."""
        return self.api_key.startswith("sk_test_")

    def create_setup_intent(self, stripe_customer: str, method_type: str, metadata: dict):
        return self.call(
            "setup intent create",
            lambda: self.v1.setup_intents.create(
                params={
                    "customer": stripe_customer,
                    "payment_method_types": [method_type],
                    "usage": "off_session",
                    "metadata": metadata,
                }
            ),
        )

    def confirm_setup_intent(self, setup_intent_id: str, payment_method: str):
        return self.call(
            "setup intent confirm",
            lambda: self.v1.setup_intents.confirm(
                setup_intent_id, params={"payment_method": payment_method}
            ),
        )

    def retrieve_setup_intent(self, setup_intent_id: str):
        return self.call(
            "setup intent retrieve", lambda: self.v1.setup_intents.retrieve(setup_intent_id)
        )

    def retrieve_method(self, payment_method: str):
        return self.call(
            "payment method retrieve", lambda: self.v1.payment_methods.retrieve(payment_method)
        )

    def create_test_method(self, method_type: str, details: dict):
        """A PaymentMethod made server-side from raw test details: Stripe test mode only
        (the portal's test form). Never with a live key."""
        if not self.is_test_mode:
            raise StripeRejected(
                "test payment methods need a test-mode key",
                "live_key",
                "live_key: test payment methods are refused with a live key",
            )
        return self.call(
            "payment method create",
            lambda: self.v1.payment_methods.create(
                params={"type": method_type, method_type: details}
            ),
        )

    def create_refund(self, intent_id: str, amount_cents: int, metadata: dict, key: str):
        return self.call(
            "refund create",
            lambda: self.v1.refunds.create(
                params={"payment_intent": intent_id, "amount": amount_cents, "metadata": metadata},
                options={"idempotency_key": key},
            ),
        )


def _retry_after(exc: Exception, default: float) -> float:
    headers = getattr(exc, "headers", None) or {}
    for name in ("Retry-After", "retry-after"):
        if name in headers:
            try:
                return max(0.0, float(headers[name]))
            except ValueError:
                break
    return default
