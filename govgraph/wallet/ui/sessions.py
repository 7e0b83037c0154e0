"""Who may drive the local wallet page, and the guards every page has beside the pages' own (govgraph/web:
CSRF, security headers): an access code printed by `govgraph wallet ui` (other users of the machine can reach
127.0.0.1 too) traded for an HttpOnly, SameSite=Strict session cookie; the Host header limited to 127.0.0.1
and localhost (DNS rebinding); the security headers and no caching on every answer."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from govgraph.request_body import BodyTooLarge, read_body
from govgraph.web.security import SECURITY_HEADERS

SESSION_COOKIE = "govgraph_wallet"
SESSION_SECONDS = 8 * 3600
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 200
MAX_PENDING = 32  # consents and sealed ballots kept per session
LOCAL_HOSTS = ("127.0.0.1", "localhost")
HEADERS = {**SECURITY_HEADERS, "Cache-Control": "no-store"}


class FormError(Exception):
    """A form that cannot be read: the message says what to do."""


@dataclass
class Session:
    expires: float
    pending: dict[str, Any] = field(default_factory=dict)  # consents and sealed ballots, by random id

    def keep(self, item: Any) -> str:
        while len(self.pending) >= MAX_PENDING:
            self.pending.pop(next(iter(self.pending)))
        key = secrets.token_urlsafe(16)
        self.pending[key] = item
        return key

    def take(self, key: str, kind: type) -> Any:
        item = self.pending.get(key)
        if not isinstance(item, kind):
            return None
        del self.pending[key]
        return item


class Sessions:
    def __init__(self, access_code: str) -> None:
        self.access_code = access_code
        self._sessions: dict[str, Session] = {}

    def login(self, code: str) -> str | None:
        """A new session id when `code` is the access code."""
        if not hmac.compare_digest(code.strip().encode(), self.access_code.encode()):
            return None
        now = time.time()
        self._sessions = {k: s for k, s in self._sessions.items() if s.expires > now}
        session_id = secrets.token_urlsafe(32)
        self._sessions[session_id] = Session(now + SESSION_SECONDS)
        return session_id

    def of(self, request: Request) -> Session | None:
        session = self._sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        if session is None or session.expires < time.time():
            return None
        return session

    def logout(self, request: Request) -> None:
        self._sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)


def set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict")


async def read_form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (UTF-8) as a dict; a field sent twice is refused (every
    form of the wallet names each control once)."""
    if request.headers.get("content-type", "").partition(";")[0].strip().lower() != (
        "application/x-www-form-urlencoded"
    ):
        raise FormError("the form was not sent as a web form: reload the page and send it again")
    try:
        body = await read_body(request, MAX_FORM_BYTES)
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, strict_parsing=False
        )
    except BodyTooLarge:
        raise FormError(f"the form holds more than {MAX_FORM_BYTES} bytes: shorten what you pasted") from None
    except (UnicodeDecodeError, ValueError):
        raise FormError("the form could not be read: reload the page and send it again") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise FormError("the form sent a field twice: reload the page and send it again")
        form[name] = value
    return form


class LocalOnly:
    """Refuse requests whose Host is not 127.0.0.1 or localhost (a rebound DNS name pointing at this port
    would otherwise read the pages), and add the security headers to every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else host
        if hostname not in LOCAL_HOSTS:
            refusal = PlainTextResponse(
                "This wallet answers only at http://127.0.0.1 or http://localhost.", status_code=421
            )
            refusal.headers.update(HEADERS)
            await refusal(scope, receive, send)
            return

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in HEADERS.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


__all__ = [
    "FormError",
    "LocalOnly",
    "Session",
    "Sessions",
    "read_form",
    "set_cookie",
]
