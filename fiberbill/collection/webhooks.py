"""`fiberbill webhooks serve`: receive Stripe events, verify their signature, keep them.

Each verified event is appended as one JSON line to the warehouse's webhook inbox
(`<warehouse>.stripe-webhooks.jsonl`). The server never opens the warehouse (DuckDB allows
one writer, and a billing run may be holding it); the next `fiberbill run` reads the new
lines and settles the payments they report without asking Stripe again. Events with a
missing or wrong signature are answered 400 and not kept. No Dagster import.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import stripe

from fiberbill.collection.collector import inbox_path

MAX_BODY = 1 << 20  # Stripe events are far smaller


def make_server(
    warehouse: Path, secret: str, host: str = "127.0.0.1", port: int = 8088
) -> ThreadingHTTPServer:
    """A server for POST /stripe/webhooks (and / for convenience); call serve_forever()."""
    if not secret:
        raise ValueError("STRIPE_WEBHOOK_SECRET is not set (the endpoint's signing secret)")
    inbox = inbox_path(warehouse)
    inbox.parent.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, message: str) -> None:
            body = json.dumps({"message": message}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802 (http.server's naming)
            if self.path not in ("/", "/stripe/webhooks"):
                return self._answer(404, "not found")
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_BODY:
                return self._answer(400, "missing or oversized body")
            payload = self.rfile.read(length)
            signature = self.headers.get("Stripe-Signature", "")
            try:
                event = stripe.Webhook.construct_event(payload, signature, secret)
            except (ValueError, stripe.SignatureVerificationError):
                return self._answer(400, "signature verification failed")
            line = json.dumps(event.to_dict(), separators=(",", ":"), sort_keys=True) + "\n"
            with lock:
                with inbox.open("a", encoding="utf-8") as fh:
                    fh.write(line)
                    fh.flush()
                    os.fsync(fh.fileno())
            return self._answer(200, "recorded")

        def log_message(self, format, *args):  # quiet: one line per event is enough
            pass

    return ThreadingHTTPServer((host, port), Handler)
