"""The wallet's HTTP: GET and POST to issuers and verifiers with timeouts, answers read only up to a size
limit and decoded as strict JSON, and refusals turned into one plain WalletError naming the spec's code."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from govgraph.wallet.store import WalletError
from zk.errors import MalformedInput
from zk.json_input import describe, load_json, printable

MAX_ANSWER_BYTES = 256 * 1024
TIMEOUT = 30.0


def check_url(url: Any, what: str) -> str:
    """An absolute http(s) URL without credentials or fragment; WalletError otherwise."""
    if not isinstance(url, str) or len(url) > 2048:
        raise WalletError(f"{what} is not a URL")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or "@" in parts.netloc or parts.fragment:
        raise WalletError(f"{what} {describe(url)} is not an http(s) URL")
    return url


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


class Answer:
    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type

    def json(self, what: str) -> Any:
        try:
            return load_json(self.body, what=what, max_bytes=MAX_ANSWER_BYTES, strict=True)
        except MalformedInput as exc:
            raise WalletError(str(exc)) from None

    def refusal(self, who: str) -> WalletError:
        """The refusal in plain words: `<who> refused: <error>: <error_description>`."""
        try:
            body = load_json(self.body, what="answer", max_bytes=MAX_ANSWER_BYTES)
        except MalformedInput:
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            description = body.get("error_description")
            text = body["error"] + (f": {description}" if isinstance(description, str) else "")
            return WalletError(f"{who} refused (HTTP {self.status}): {printable(text[:500])}")
        return WalletError(f"{who} answered HTTP {self.status}")


class Http:
    """A small HTTP client for the wallet's flows (one httpx client, closed with the object)."""

    def __init__(self, client: httpx.Client | None = None) -> None:
        self.client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, url: str, **options: Any) -> Answer:
        try:
            with self.client.stream(method, url, **options) as response:
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise WalletError(f"{describe(url)} answered more than {MAX_ANSWER_BYTES} bytes")
                return Answer(response.status_code, body, response.headers.get("content-type", ""))
        except httpx.HTTPError as exc:
            raise WalletError(f"cannot reach {describe(url)}: {type(exc).__name__}") from None

    def get_json(self, url: str, who: str) -> Any:
        answer = self.request("GET", url, headers={"Accept": "application/json"})
        if answer.status != 200:
            raise answer.refusal(who)
        return answer.json(f"{who}'s answer")
