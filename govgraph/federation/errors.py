"""The error taxonomy: typed domain errors, each with a stable `extensions.code`, and how errors are
masked."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError


class ErrorCode(StrEnum):
    """The `extensions.code` values a client may see. Stable: front-ends switch on them."""

    # Request-level: the document or the HTTP request itself is unusable.
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    BAD_REQUEST = "BAD_REQUEST"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
    # The edge (docs/frontend.md): rate limits and persisted documents, before any document is run.
    RATE_LIMITED = "RATE_LIMITED"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"  # APQ: hash unknown, send the document with it
    PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"  # the document is not the hash's
    PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"  # a documentId no trusted document has
    PERSISTED_QUERY_ONLY = "PERSISTED_QUERY_ONLY"  # trusted documents only: this document is not one
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"  # at a connection limit, or shutting down: retry later
    # Gateway-level: which operation to run, how to route it, a subgraph that could not be reached.
    OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"
    QUERY_PLANNING_FAILED = "QUERY_PLANNING_FAILED"
    SUBGRAPH_REQUEST_FAILED = "SUBGRAPH_REQUEST_FAILED"
    # Field-level: raised by services.
    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    INVALID_PROOF = "INVALID_PROOF"
    INTERNAL = "INTERNAL"


INTERNAL_MESSAGE = "Internal error."


class ServiceError(Exception):
    """A domain error whose message is safe to show the caller; subclasses fix the code."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str = "", *, extensions: Mapping[str, Any] | None = None) -> None:
        """`extensions`: more stable members beside `code` (e.g. INVALID_PROOF's `cause`)."""
        super().__init__(message)
        self.extensions = dict(extensions or {})


class BadUserInput(ServiceError):
    code = ErrorCode.BAD_USER_INPUT


class Unauthenticated(ServiceError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(ServiceError):
    code = ErrorCode.FORBIDDEN


class NotFound(ServiceError):
    code = ErrorCode.NOT_FOUND


class Conflict(ServiceError):
    code = ErrorCode.CONFLICT


class InvalidProof(ServiceError):
    code = ErrorCode.INVALID_PROOF


class ServiceUnavailable(ServiceError):
    """Something the operation needs is down; whatever the operation recorded stays recorded and the message
    says how to finish it. Its extensions say `retryable: true`."""

    code = ErrorCode.SERVICE_UNAVAILABLE

    def __init__(self, message: str, *, extensions: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, extensions={"retryable": True, **(extensions or {})})


class QueryTooComplex(GraphQLError):
    """Reported by the limit rules in validation; carries its code from the start."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": ErrorCode.QUERY_TOO_COMPLEX.value})


class TooManySubscriptions(GraphQLError):
    """A subscription refused because its connection already runs as many operations as it may."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": ErrorCode.TOO_MANY_SUBSCRIPTIONS.value})


def classify(error: GraphQLError) -> GraphQLError:
    """The error the client sees: typed errors keep their message, anything unexpected is masked as INTERNAL.

    A GraphQLError without an original error comes from parsing or validation (the client's document);
    one wrapping a ServiceError comes from our rules; anything else is a bug and must not leak internals."""
    if error.extensions and "code" in error.extensions:
        return error
    original = error.original_error
    if original is None:
        if error.message.startswith("Variable '$"):
            # Variable values are coerced before execution; a wrong one is the caller's input.
            code = ErrorCode.BAD_USER_INPUT
        elif isinstance(error, GraphQLSyntaxError):
            code = ErrorCode.QUERY_TOO_COMPLEX if is_token_limit(error) else ErrorCode.GRAPHQL_PARSE_FAILED
        else:
            code = ErrorCode.GRAPHQL_VALIDATION_FAILED
        return _with_code(error, error.message, code)
    if isinstance(original, ServiceError):
        return _with_code(error, str(original), original.code, getattr(original, "extensions", None))
    if isinstance(original, GraphQLError):
        # e.g. a scalar's parse_value refusing a variable: the client's input was wrong.
        return _with_code(error, error.message, ErrorCode.BAD_USER_INPUT)
    return _with_code(error, INTERNAL_MESSAGE, ErrorCode.INTERNAL)


def is_token_limit(error: GraphQLError) -> bool:
    """graphql-core reports its token budget as a syntax error; it is a size limit, not a typo."""
    return (
        isinstance(error, GraphQLSyntaxError)
        and error.message.startswith("Syntax Error: Document contains more than ")
        and error.message.endswith(" tokens. Parsing aborted.")
    )


def without_suggestions(error: GraphQLError) -> GraphQLError:
    """`error` without graphql-core's trailing "Did you mean ...?", which maps the schema for strangers.
    The suggestion is always the message's end, and names schema elements only."""
    message = error.message
    start = message.rfind(" Did you mean ")
    if start < 0 or not message.endswith("?"):
        return error
    return GraphQLError(
        message[:start],
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )


def _with_code(
    error: GraphQLError, message: str, code: ErrorCode, more: Mapping[str, Any] | None = None
) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(error.extensions or {}), **(more or {}), "code": code.value},
    )
