"""The differential corpus: hand-written operations (hand.py) and seeded generated ones (generated.json)."""

from __future__ import annotations


def with_variable_codes(body: dict) -> dict:
    """Hive's answer with the one deliberate difference applied: Hive reports a variable that fails coercion
    without `extensions`; ours says BAD_USER_INPUT (every error we send has a code). Nothing else changes."""
    for error in body.get("errors", ()):
        if "extensions" not in error and error["message"].startswith('Variable "$'):
            error["extensions"] = {"code": "BAD_USER_INPUT"}
    return body


def errors_by_subgraph(body: dict) -> dict:
    """The body with its errors stably grouped by the subgraph that sent them. Fetches to different subgraphs
    run in parallel and Hive lists their errors in the order the answers arrive (a race); ours lists them in
    plan order. Within one subgraph, and in every other respect, both must agree exactly."""
    if "errors" in body:
        body["errors"] = sorted(
            body["errors"], key=lambda error: str((error.get("extensions") or {}).get("serviceName", ""))
        )
    return body
