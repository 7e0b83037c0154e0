"""The welfare office's flows against a real `govgraph serve`, for tests and the benchmark: the GraphQL
documents, a programme definition (household income < X, residence in a district, age between A and B), and
a claim made as a citizen makes it (openClaim, the wallet answers each request, submitClaim), with the
wallet as its own process or in-process (the wallet's client code: faster, for many claims)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from govgraph.wallet.presentation import answer, fetch, vp_token
from govgraph.wallet.transport import Http
from tests.support.credential_flows import CITIZEN, Service, wallet, years_ago

PROGRAMME_FIELDS = """id title description eligibility amount currency period startsOn endsOn exclusionGroup
  claimContext exclusionContext claimCount ledgerEntry { ledger index }"""
CREATE = f"""mutation Create($input: CreateProgrammeInput!, $key: String) {{
  createProgramme(input: $input, idempotencyKey: $key) {{ {PROGRAMME_FIELDS} }} }}"""
OPEN = """mutation Open($programme: ID!, $key: String) {
  openClaim(programme: $programme, idempotencyKey: $key) {
    id requestUri exclusionRequestUri expiresAt programme { id } } }"""
SUBMIT = """mutation Submit($invitation: ID!, $key: String, $presentation: String, $exclusion: String) {
  submitClaim(invitation: $invitation, idempotencyKey: $key, presentation: $presentation,
      exclusionPresentation: $exclusion) {
    id pseudonym claimedOn programme { id } payments { reference } ledgerEntry { ledger index } } }"""
PAY = """mutation Pay($input: [RecordPaymentInput!]!, $key: String) {
  recordPayments(input: $input, idempotencyKey: $key) {
    reference amount currency paidOn claim { id } ledgerEntry { ledger index } } }"""
CLAIM = """query Claim($id: ID!) { claim(id: $id) {
  id pseudonym programme { id claimCount } payments { reference amount currency paidOn } } }"""
PAYMENT = """query Payment($reference: ID!) { payment(reference: $reference) {
  reference amount currency paidOn claim { id programme { id } } } }"""
ENROLMENTS = """query Enrolled($group: String!, $period: String!, $pseudonym: String!) {
  enrolments(exclusionGroup: $group, period: $period, pseudonym: $pseudonym) { id } }"""
DISTRICTS = ["Riverside", "Northfield"]


def eligibility(today: dt.date, income_below: int = 40_000, ages: tuple[int, int] = (18, 67)) -> dict:
    """DCQL: household_income < income_below AND residence in DISTRICTS (disclosed) AND age in `ages`."""
    youngest, oldest = ages
    born = [years_ago(today, oldest).isoformat(), years_ago(today, youngest).isoformat()]
    return {
        "credentials": [
            {
                "id": "citizen",
                "format": "govgraph_bbs",
                "meta": {"schema": CITIZEN},
                "claims": [
                    {"path": ["household_income"], "predicate": {"op": "<", "value": income_below}},
                    {"path": ["residence"], "values": DISTRICTS},
                    {"path": ["birth_date"], "predicate": {"op": "between", "value": born}},
                ],
            }
        ]
    }


def claim_query_for(today: dt.date, context: str) -> dict:
    """The default rule with a pseudonym: the query a claim answers (for a bare verification)."""
    query = eligibility(today)
    query["credentials"][0]["pseudonym"] = {"context": context}
    return query


def programme_input(programme_id: str, today: dt.date, **changes: Any) -> dict[str, Any]:
    value = {
        "id": programme_id,
        "title": "Winter heating support",
        "description": "A one-off payment towards heating costs for low-income households.",
        "eligibility": eligibility(today),
        "amount": 12_550,
        "currency": "EUR",
        "period": "2026-W",
        "startsOn": (today - dt.timedelta(days=30)).isoformat(),
        "endsOn": (today + dt.timedelta(days=60)).isoformat(),
    }
    return value | changes


def create(service: Service, token: str, programme_id: str, today: dt.date, **changes: Any) -> dict:
    variables = {"input": programme_input(programme_id, today, **changes)}
    return service.data(CREATE, variables, token)["createProgramme"]


def open_claim(service: Service, programme_id: str) -> dict:
    """openClaim as an anonymous caller (no token)."""
    body = service.graphql(OPEN, {"programme": programme_id}, None)
    assert "errors" not in body, body
    return body["data"]["openClaim"]


def submit(
    service: Service,
    invitation: str,
    key: str | None = None,
    presentations: tuple[str | None, str | None] = (None, None),
) -> dict:
    """submitClaim as an anonymous caller, with the presentation(s) when given (one request): the whole
    response body (data or errors)."""
    presentation, exclusion = presentations
    variables = {"invitation": invitation, "key": key, "presentation": presentation, "exclusion": exclusion}
    return service.graphql(SUBMIT, variables, None)


def vp_tokens(wallet_path: Path, invitation: dict, http: Http) -> tuple[str, str | None]:
    """The wallet's answers to the invitation's request(s), not posted: for submitClaim(presentation:)."""
    tokens = [vp_token(wallet_path, fetch(wallet_path, uri, http))[1] for uri in uris(invitation)]
    return tokens[0], tokens[1] if len(tokens) > 1 else None


def uris(invitation: dict) -> list[str]:
    return [uri for uri in (invitation["requestUri"], invitation["exclusionRequestUri"]) if uri is not None]


def answer_with_cli(wallet_path: Path, invitation: dict) -> None:
    """`govgraph wallet present URI --yes` for each request of the invitation."""
    for uri in uris(invitation):
        done = wallet(wallet_path, "present", uri, "--yes")
        assert done.returncode == 0, done.stdout + done.stderr


def answer_in_process(wallet_path: Path, invitation: dict, http: Http) -> None:
    """The wallet's client code (fetch, present, post) for each request of the invitation."""
    for uri in uris(invitation):
        _, reply = answer(wallet_path, fetch(wallet_path, uri, http), http)
        assert reply.accepted, reply


def claim(service: Service, wallet_path: Path, programme_id: str, http: Http | None = None) -> dict:
    """A citizen's whole claim: the submitClaim response body."""
    invitation = open_claim(service, programme_id)
    if http is None:
        answer_with_cli(wallet_path, invitation)
    else:
        answer_in_process(wallet_path, invitation, http)
    return submit(service, invitation["id"])
