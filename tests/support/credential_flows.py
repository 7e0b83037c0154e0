"""The credential flows against a real `govgraph serve`, for tests and benchmarks: GraphQL calls with
embedded-issuer tokens (enrol a citizen, offer a credential, ask for a presentation, read its result), the
`govgraph wallet` command as a separate process, and direct changes to the server's database to make an
offer or a request expire."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.config import EMBEDDED_TOKEN_AUDIENCE, EMBEDDED_TOKEN_ISSUER

ENROL = """mutation Enrol($input: EnrolCitizenInput!) { enrolCitizen(input: $input) { id } }"""
OFFER = """mutation Offer($citizen: ID!, $schema: String!) {
  createCredentialOffer(citizenId: $citizen, schema: $schema) { offerUri txCode expiresAt } }"""
ASK = """mutation Ask($dcql: JSON!, $purpose: String!) {
  createPresentationRequest(dcql: $dcql, purpose: $purpose) { id requestUri expiresAt } }"""
RESULT = """query Result($id: ID!) { presentationResult(id: $id) {
  id status purpose disclosed predicates pseudonym pseudonymContext failure } }"""
CITIZEN = "govgraph.identity.citizen/v1"


def years_ago(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def adult_and_residence(today: dt.date, context: str | None = None) -> dict[str, Any]:
    """DCQL: age >= 18 (birth_date <= today - 18 years) AND residence disclosed."""
    query: dict[str, Any] = {
        "id": "citizen",
        "format": "govgraph_bbs",
        "meta": {"schema": CITIZEN},
        "claims": [
            {"path": ["residence"]},
            {"path": ["birth_date"], "predicate": {"op": "<=", "value": years_ago(today, 18).isoformat()}},
        ],
    }
    if context is not None:
        query["pseudonym"] = {"context": context}
    return {"credentials": [query]}


@dataclass
class Service:
    """A running `govgraph serve` and tokens from its embedded issuer."""

    url: str
    data_dir: Path

    def token(self, subject: str, *roles: str) -> str:
        issuer = EmbeddedIssuer.load_or_create(
            self.data_dir / "auth" / "issuer.jwk",
            issuer=EMBEDDED_TOKEN_ISSUER,
            audience=EMBEDDED_TOKEN_AUDIENCE,
        )
        return issuer.issue(subject, roles, ttl=3600)

    def graphql(self, query: str, variables: dict[str, Any], token: str | None) -> dict[str, Any]:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        response = httpx.post(
            self.url + "/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=60
        )
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
        body = self.graphql(query, variables, token)
        assert "errors" not in body, body
        return body["data"]

    def enrol(
        self, token: str, birth_date: dt.date, residence: str = "Riverside", income: int = 30_000
    ) -> str:
        citizen = {
            "givenName": "Test",
            "familyName": "Citizen",
            "birthDate": birth_date.isoformat(),
            "residence": residence,
            "citizenship": "NL",
            "householdIncome": income,
        }
        return self.data(ENROL, {"input": citizen}, token)["enrolCitizen"]["id"]

    def offer(self, token: str, citizen: str) -> dict[str, Any]:
        return self.data(OFFER, {"citizen": citizen, "schema": CITIZEN}, token)["createCredentialOffer"]

    def ask(self, token: str, dcql: dict[str, Any], purpose: str = "test") -> dict[str, Any]:
        return self.data(ASK, {"dcql": dcql, "purpose": purpose}, token)["createPresentationRequest"]

    def result(self, token: str, request_id: str) -> dict[str, Any] | None:
        return self.data(RESULT, {"id": request_id}, token)["presentationResult"]

    def sql(self, statement: str, *parameters: Any) -> None:
        with sqlite3.connect(self.data_dir / "govgraph.db") as connection:
            connection.execute(statement, parameters)

    def expire_offers(self) -> None:
        self.sql("UPDATE credentials_offer SET expires_at = 0")

    def expire_request(self, request_id: str) -> None:
        self.sql("UPDATE credentials_presentation_request SET expires_at = 0 WHERE id = ?", request_id)

    def ledger_entries(self, name: str) -> list[bytes]:
        with sqlite3.connect(self.data_dir / "govgraph.db") as connection:
            rows = connection.execute(
                "SELECT e.data FROM ledger_entries e JOIN ledger_logs l ON e.log_id = l.id "
                "WHERE l.name = ? ORDER BY e.idx",
                (name,),
            ).fetchall()
        return [bytes(row[0]) for row in rows]


def wallet(wallet_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`govgraph wallet ARGS... --wallet WALLET` as its own process."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GOVGRAPH_")}
    return subprocess.run(
        [sys.executable, "-m", "govgraph", "wallet", *args, "--wallet", str(wallet_path)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
        check=False,
    )
