"""GraphQL over HTTP for the election clients: one POST per operation, answers read with a size limit and
decoded as strict JSON; a refusal becomes one ApiError naming its `extensions.code` and message."""

from __future__ import annotations

from typing import Any

import httpx

from zk.errors import MalformedInput
from zk.json_input import load_json, printable

MAX_ANSWER_BYTES = 64 * 1024 * 1024  # a page of ballots or an election record
TIMEOUT = 120.0


class ApiError(Exception):
    """The API refused (or could not be reached): `code` is the GraphQL error's extensions.code."""

    def __init__(self, message: str, code: str = "UNREACHABLE") -> None:
        super().__init__(printable(message))
        self.code = code


class Api:
    """`base`: the service's base URL (`http://host:port`); `/graphql` is the embedded gateway."""

    def __init__(self, base: str, token: str | None = None, *, path: str = "/graphql") -> None:
        self.base = base.rstrip("/")
        self.path = path
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=self.base, headers=headers, timeout=TIMEOUT)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def graphql(self, query: str, **variables: Any) -> dict:
        try:
            answer = self.http.post(self.path, json={"query": query, "variables": variables})
        except httpx.HTTPError as exc:
            raise ApiError(f"{self.base}{self.path} cannot be reached: {exc}") from None
        body = self._json(answer.content, "the GraphQL answer")
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            first = errors[0] if isinstance(errors[0], dict) else {}
            code = (first.get("extensions") or {}).get("code", "ERROR")
            raise ApiError(f"{code}: {first.get('message', 'refused')}", str(code))
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise ApiError(f"{self.base}{self.path} answered HTTP {answer.status_code} without data")
        return body["data"]

    def get_json(self, path: str, params: dict | None = None) -> Any:
        """GET a JSON document, read up to MAX_ANSWER_BYTES (a longer answer is refused before the rest
        of it is read)."""
        try:
            with self.http.stream("GET", path, params=params) as answer:
                content = bytearray()
                for piece in answer.iter_bytes():
                    content += piece
                    if len(content) > MAX_ANSWER_BYTES:
                        raise ApiError(
                            f"{path}: the answer is over {MAX_ANSWER_BYTES} bytes", "MALFORMED_ANSWER"
                        )
        except httpx.HTTPError as exc:
            raise ApiError(f"{self.base}{path} cannot be reached: {exc}") from None
        body = self._json(bytes(content), path)
        if answer.status_code != 200:
            reason = body.get("error") if isinstance(body, dict) else None
            raise ApiError(f"{path}: HTTP {answer.status_code}: {reason}", f"HTTP_{answer.status_code}")
        return body

    @staticmethod
    def _json(content: bytes, what: str) -> Any:
        try:
            return load_json(content, what=what, max_bytes=MAX_ANSWER_BYTES)
        except MalformedInput as exc:
            raise ApiError(str(exc), "MALFORMED_ANSWER") from None


ELECTION = """query($id: ID!) { election(id: $id) { id state revoting manifest jointKey qualifiedTrustees
closing aggregate result turnout trustees { id index name joined boxKey commitmentHash reveal sealedShares
complaints answers decryptionShare } } }"""

BALLOTS = """query($id: ID!, $first: Int!, $after: Int) { election(id: $id) {
ballots(first: $first, after: $after) { trackingCode ledgerIndex ballot eligibility spoiled opening
counted } } }"""


def election(api: Api, election_id: str) -> dict:
    found = api.graphql(ELECTION, id=election_id)["election"]
    if found is None:
        raise ApiError(f"NOT_FOUND: no election {election_id}", "NOT_FOUND")
    return found


def all_ballots(api: Api, election_id: str) -> list[dict]:
    """Every ballot on the board (cast and spoiled), in ledger order."""
    items: list[dict] = []
    after = None
    while True:
        page = api.graphql(BALLOTS, id=election_id, first=100, after=after)["election"]["ballots"]
        items += page
        if len(page) < 100:
            return items
        after = page[-1]["ledgerIndex"]
