"""The customer portal on a real server (uvicorn in a thread, 127.0.0.1, a free port) and a
browser-like client of it (requests: cookies, redirects, forms)."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator

import requests
import uvicorn

from fiberbill.portal import links
from fiberbill.portal.app import PortalConfig, create_app
from sandbox.localstripe import free_port

SECRET = b"portal-test-secret-0123456789-abcdefgh"


@contextlib.contextmanager
def serve(config: PortalConfig) -> Iterator[str]:
    """The portal for `config` on a free port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config), host="127.0.0.1", port=port, access_log=False,
            log_level="warning",
        )
    )  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the portal did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Client:
    """One browser: its own cookies."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(self.base + path, timeout=30, **kw)

    def post(self, path: str, data: dict | None = None, **kw) -> requests.Response:
        return self.http.post(self.base + path, data=data or {}, timeout=60, **kw)

    def login(self, customer_id: str, secret: bytes = SECRET, ttl: int = 900) -> requests.Response:
        return self.redeem(links.make_token(secret, customer_id, ttl))

    def redeem(self, token: str) -> requests.Response:
        form = self.get(f"/login?token={token}")
        nonce = re.search(r'name="login_nonce" value="([^"]+)"', form.text).group(1)
        return self.post("/login", {"token": token, "login_nonce": nonce})

    def csrf(self, path: str = "/") -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.get(path).text).group(1)

    def text(self, path: str) -> str:
        """A page's visible text, whitespace collapsed."""
        return visible(self.get(path).text)


def visible(html: str) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " ").split())
