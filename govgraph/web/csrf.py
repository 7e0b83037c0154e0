"""CSRF protection for the pages' forms (double-submit, signed): a random value in a SameSite=Strict,
HttpOnly cookie, and in each form a token that is the HMAC of that value under the site's secret key. A POST
is accepted only when its form's token is the HMAC of the cookie it came with, so another site can neither
read nor forge it (OWASP CSRF cheat sheet, "signed double-submit cookie")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "govgraph_csrf"
FIELD = "csrf_token"
KEY_BYTES = 32


class CsrfRefused(Exception):
    """A form was posted without a valid CSRF token; the message says what was wrong."""


class CsrfKey:
    """The site's secret key, read from `path` on first use (created there, mode 0600, when missing), so
    tokens survive a restart and every process of one deployment accepts them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: bytes | None = None

    def get(self) -> bytes:
        if self._key is None:
            self._key = self._read_or_create()
        return self._key

    def _read_or_create(self) -> bytes:
        try:
            key = self.path.read_bytes()
        except FileNotFoundError:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            key = secrets.token_bytes(KEY_BYTES)
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process wrote it first: use theirs
                return self.path.read_bytes()
            with os.fdopen(fd, "wb") as file:
                file.write(key)
        if len(key) != KEY_BYTES:
            raise ValueError(f"the CSRF key at {self.path} is not {KEY_BYTES} bytes")
        return key


def _sign(key: bytes, value: str) -> str:
    mac = hmac.new(key, b"govgraph-csrf/v1\n" + value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _key(request: Request) -> bytes:
    return request.app.state.web.csrf_key.get()


def csrf_token(request: Request) -> str:
    """The token to put in a form's hidden `csrf_token` field. When the browser has no CSRF cookie yet a new
    value is drawn and `set_csrf_cookie` (called by `render`) sends it with the response."""
    value = request.cookies.get(COOKIE) or request.scope.get("govgraph.csrf_new")
    if not value:
        value = secrets.token_urlsafe(32)
        request.scope["govgraph.csrf_new"] = value
    return _sign(_key(request), value)


def set_csrf_cookie(request: Request, response: Response) -> None:
    value = request.scope.get("govgraph.csrf_new")
    if value:
        response.set_cookie(
            COOKIE,
            value,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )


def check_csrf(request: Request, form: FormData) -> None:
    """Raise CsrfRefused unless `form`'s token is the signature of the request's CSRF cookie."""
    value = request.cookies.get(COOKIE)
    if not value:
        raise CsrfRefused("the form came without this site's cookie")
    token = form.get(FIELD)
    if not isinstance(token, str) or not token:
        raise CsrfRefused("the form had no CSRF token")
    if not hmac.compare_digest(token.encode(), _sign(_key(request), value).encode()):
        raise CsrfRefused("the form's CSRF token does not match this browser's cookie")
