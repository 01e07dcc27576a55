"""Signed, expiring, single-use links into the customer portal.

A link carries the customer id, a random nonce and an expiry, signed with HMAC-SHA256
under `PORTAL_SECRET` (at least 32 bytes). Anyone can read what a link says; nobody
without the secret can make one, or change the customer or the expiry of one. A link works
once: redeeming it records its nonce in the portal store (fiberbill/portal/store.py), and a
second redemption is refused. No Dagster import.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

MIN_SECRET_BYTES = 32
_TTL = re.compile(r"(\d+)([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class BadSecret(ValueError):
    """PORTAL_SECRET is missing or shorter than 32 bytes."""


class BadLink(ValueError):
    """A link that is forged, malformed or expired (the message says which, never why the
    signature failed in detail)."""


def secret_from(value: str | None) -> bytes:
    secret = (value or "").encode()
    if len(secret) < MIN_SECRET_BYTES:
        raise BadSecret(
            f"PORTAL_SECRET must be set to at least {MIN_SECRET_BYTES} bytes (it signs the "
            f"portal's links; got {len(secret)}); for example: "
            "export PORTAL_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    return secret


def parse_ttl(text: str) -> int:
    """`15m`, `2h`, `1d`, `900` (seconds) -> seconds; at most 7 days."""
    found = _TTL.fullmatch(text.strip().lower())
    if not found:
        raise ValueError(f"--ttl: not a duration like 15m, 2h or 1d: {text!r}")
    seconds = int(found.group(1)) * _UNITS[found.group(2)]
    if not 0 < seconds <= 7 * 86400:
        raise ValueError(f"--ttl: must be more than 0 and at most 7 days: {text!r}")
    return seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


@dataclass(frozen=True)
class LinkClaims:
    customer_id: str
    nonce: str
    expires_at: int


def make_token(secret: bytes, customer_id: str, ttl_seconds: int, now: float | None = None) -> str:
    now = time.time() if now is None else now
    claims = {"c": customer_id, "n": secrets.token_urlsafe(16), "e": int(now) + ttl_seconds}
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_sign(secret, payload)}"


def read_token(secret: bytes, token: str, now: float | None = None) -> LinkClaims:
    """The claims of a genuine, unexpired token; raises BadLink otherwise."""
    now = time.time() if now is None else now
    payload, _, signature = (token or "").partition(".")
    if not payload or not signature or len(token) > 1024:
        raise BadLink("this link is not valid")
    if not hmac.compare_digest(signature, _sign(secret, payload)):
        raise BadLink("this link is not valid")
    try:
        claims = json.loads(_unb64(payload))
        found = LinkClaims(str(claims["c"]), str(claims["n"]), int(claims["e"]))
    except (ValueError, KeyError, TypeError):
        raise BadLink("this link is not valid") from None
    if found.expires_at < now:
        raise BadLink("this link has expired")
    return found


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/login?token={token}"
