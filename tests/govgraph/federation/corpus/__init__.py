"""The differential corpus: hand-written operations (hand.py) and seeded generated ones (generated.json)."""

from __future__ import annotations

# The codes our subgraphs give only to their parse, validation and limit checks, all run before executing:
# an error with one of them refused the whole request and never carries a path of its own. (BAD_REQUEST is
# not one: a resolver raises it too, e.g. CredentialsUnavailable, with the field's path.)
REFUSAL_CODES = frozenset({"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "QUERY_TOO_COMPLEX"})


def with_variable_codes(body: dict) -> dict:
    """Hive's answer with the first deliberate difference applied: Hive reports a variable that fails
    coercion without `extensions`; ours says BAD_USER_INPUT (every error we send has a code)."""
    for error in body.get("errors", ()):
        if "extensions" not in error and error["message"].startswith('Variable "$'):
            error["extensions"] = {"code": "BAD_USER_INPUT"}
    return body


def with_request_level_refusals(body: dict) -> dict:
    """Hive's answer with the second deliberate difference applied: a subgraph's refusal of a whole fetch
    (sent without a path) comes from Hive at the fetch's first root field; ours stays a request-level error,
    without a path. Such an error is told from Hive's answer by the rule: it came from a subgraph
    (`serviceName`), its code is one of REFUSAL_CODES, and its path is one root field. A subgraph's
    request-level refusal with another code (UNAUTHENTICATED for refused credentials) is not recognised,
    and the corpus sends no credentials: were one to appear, the comparison would fail, not pass."""
    for error in body.get("errors", ()):
        extensions = error.get("extensions") or {}
        if (
            "serviceName" in extensions
            and extensions.get("code") in REFUSAL_CODES
            and len(error.get("path") or ()) == 1
        ):
            del error["path"]
    return body


def with_deliberate_differences(body: dict) -> dict:
    """Hive's answer with both deliberate differences applied; nothing else changes."""
    return with_request_level_refusals(with_variable_codes(body))


def errors_by_subgraph(body: dict) -> dict:
    """The body with its errors stably grouped by the subgraph that sent them. Fetches to different subgraphs
    run in parallel and Hive lists their errors in the order the answers arrive (a race); ours lists them in
    plan order. Within one subgraph, and in every other respect, both must agree exactly."""
    if "errors" in body:
        body["errors"] = sorted(
            body["errors"], key=lambda error: str((error.get("extensions") or {}).get("serviceName", ""))
        )
    return body
