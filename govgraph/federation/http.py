"""The subgraph's HTTP endpoint: strawberry's ASGI view with request-level limits and JSON GraphQL errors.

Everything refused before execution (oversized body, wrong content type, unreadable JSON) still answers
with a GraphQL error body carrying an `extensions.code`, never a bare text page and never a 500. Large bodies
are decoded in a worker thread, so one client's megabyte does not hold the event loop for the others. In
production the federation fields (`_service`: the whole SDL; `_entities`: any entity by key) answer only
requests carrying the gateway's shared secret. With an `authenticate` callable, every request's credentials
(Authorization, X-API-Key) are checked before anything else: refused ones are a 401 UNAUTHENTICATED, none
at all an anonymous caller. Subscriptions speak only graphql-transport-ws: the legacy graphql-ws protocol
is not offered."""

from __future__ import annotations

import functools
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from cross_web import HTTPException, StarletteRequestAdapter
from graphql import FieldNode, GraphQLError, parse
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.base import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from govgraph.federation.context import RequestContext
from govgraph.federation.errors import INTERNAL_MESSAGE, ErrorCode, TooManySubscriptions, Unauthenticated
from govgraph.federation.limits import Limits
from govgraph.federation.principal import ANONYMOUS, Authenticate, Principal
from govgraph.federation.tracing import TRACE_HEADER, TRACE_REQUESTED, TRACE_VERSION
from govgraph.request_body import CLIENT_CLOSED_REQUEST, declared_length
from zk.errors import MalformedInput
from zk.json_input import JsonTooDeep, JsonTooLarge, load_json

_STATUS_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}
JSON_MEDIA_TYPES = ("application/json", "application/graphql-response+json")
# Bodies above this are decoded in a worker thread: a megabyte of JSON holds the GIL for ~10-40 ms, and in a
# thread the event loop still gets its turn every few milliseconds (sys.getswitchinterval()).
LARGE_BODY_BYTES = 64 * 1024
# Arrays and objects in one request body at most: bounds the decoder's work whatever the body's shape
# (1 MB of `[],` would be 333,333 lists, ~0.1 s of CPU holding the interpreter lock even in a worker thread).
MAX_BODY_CONTAINERS = 100_000
SUBGRAPH_SECRET_HEADER = "govgraph-subgraph-secret"
SUBGRAPH_ONLY_FIELDS = ("_service", "_entities")
GATEWAY_ONLY_MESSAGE = "_service and _entities answer only the gateway."
# RFC 6750 section 3: a 401 names the scheme; the error says the credentials sent were refused.
WWW_AUTHENTICATE = 'Bearer realm="govgraph", error="invalid_token"'
# Where the view keeps the principal it established, in the ASGI scope, for get_context.
PRINCIPAL_SCOPE_KEY = "govgraph.principal"
# graphql-transport-ws's close code for an unauthorised socket.
WS_UNAUTHORIZED = 4401
log = logging.getLogger("govgraph.federation")

SessionsSource = Callable[[Request | WebSocket], async_sessionmaker | None]
WritesSource = Callable[[Request | WebSocket], Any]  # what RequestContext.writes holds for a request
ServicesSource = Callable[[Request | WebSocket], Any]  # what RequestContext.services holds for a request


def error_response(status: int, message: str) -> JSONResponse:
    code = _STATUS_CODES.get(status, ErrorCode.BAD_REQUEST)
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code.value}}]}, status_code=status
    )


def unauthenticated_response(error: Unauthenticated) -> JSONResponse:
    """401 with the refusal as a GraphQL error (code UNAUTHENTICATED), as Apollo Server answers a context
    that refuses credentials; gateways (Hive, the embedded one) pass the error on with its code."""
    response = error_response(401, str(error))
    response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    return response


async def establish_principal(
    authenticate: Authenticate | None, headers: Mapping[str, str]
) -> Principal | Response:
    """The caller's principal, or the response refusing the request: 401 for refused credentials, 500
    (INTERNAL, logged without the headers) when authentication itself failed, e.g. the database is down."""
    if authenticate is None:
        return ANONYMOUS
    try:
        return await authenticate(headers)
    except Unauthenticated as error:
        return unauthenticated_response(error)
    except Exception as error:  # never a credential in the log line: only the error's type
        log.error("authentication could not be checked: %s", type(error).__name__)
        return JSONResponse(
            {"errors": [{"message": INTERNAL_MESSAGE, "extensions": {"code": ErrorCode.INTERNAL.value}}]},
            status_code=500,
        )


async def load_json_body(body: bytes, what: str = "request body") -> Any:
    """`load_json` for an HTTP body: in a worker thread when the body is larger than LARGE_BODY_BYTES."""
    if len(body) > LARGE_BODY_BYTES:
        return await run_in_threadpool(
            functools.partial(load_json, body, what=what, max_containers=MAX_BODY_CONTAINERS)
        )
    return load_json(body, what=what, max_containers=MAX_BODY_CONTAINERS)


def carries_secret(headers: Mapping[str, str], secret: str | None) -> bool:
    """Whether the request holds the subgraph secret (compared in constant time); never without a secret."""
    given = headers.get(SUBGRAPH_SECRET_HEADER)
    if secret is None or given is None:
        return False
    return hmac.compare_digest(given.encode("latin-1"), secret.encode("latin-1"))


def selects_subgraph_fields(query: object, max_tokens: int) -> bool:
    """Whether a GraphQL document selects `_service` or `_entities` anywhere (aliases, fragments, nested).
    GraphQL names cannot be escaped, so a document holding neither name is not parsed here at all."""
    if not isinstance(query, str) or not any(name in query for name in SUBGRAPH_ONLY_FIELDS):
        return False
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return False  # the schema refuses the same document with the same error before anything runs
    stack = [getattr(definition, "selection_set", None) for definition in document.definitions]
    while stack:
        selection_set = stack.pop()
        if selection_set is None:
            continue
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode) and selection.name.value in SUBGRAPH_ONLY_FIELDS:
                return True
            stack.append(getattr(selection, "selection_set", None))  # fields and inline fragments
    return False


class _BodyTooLarge(Exception):
    pass


class _Decoded:
    """A request body already decoded (in a worker thread), handed to strawberry in place of its bytes."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


class _RequestAdapter(StarletteRequestAdapter):
    decoded: _Decoded | None = None

    async def get_body(self) -> Any:
        return self.decoded if self.decoded is not None else await super().get_body()


class _TransportWSHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws whose per-connection cap refuses with a TooManySubscriptions error, which carries
    its code. Strawberry's own refusal has none; its checks that come first (acknowledged connection, unique
    id) are left to it."""

    async def handle_message(self, message) -> None:
        # Strawberry indexes every message as a dict with the right shapes: anything else (a list, a string
        # payload, a numeric query) is an invalid message, not a TypeError in the connection's task.
        if not _well_formed(message):
            await self.handle_invalid_message("Failed to parse message")
            return
        await super().handle_message(message)

    async def handle_subscribe(self, message) -> None:
        view = self.view
        if (
            isinstance(view, SubgraphView)
            and view.production
            and not carries_secret(self.context.request.headers, view.subgraph_secret)
            and selects_subgraph_fields(message["payload"].get("query"), view.limits.max_tokens)
        ):
            error = {"message": GATEWAY_ONLY_MESSAGE, "extensions": {"code": ErrorCode.FORBIDDEN.value}}
            await self.send_message({"id": message["id"], "type": "error", "payload": [error]})
            return
        limit = self.max_subscriptions_per_connection
        if (
            self.connection_acknowledged
            and message["id"] not in self.operations
            and limit is not None
            and len(self.operations) >= limit
        ):
            error = TooManySubscriptions("Subscription limit reached")
            await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
            return
        await super().handle_subscribe(message)


def _well_formed(message: object) -> bool:
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return False
    if message["type"] != "subscribe":
        return True
    payload = message.get("payload")
    return (
        isinstance(message.get("id"), str)
        and isinstance(payload, dict)
        and isinstance(payload.get("query"), str)
        and isinstance(payload.get("variables"), (dict, type(None)))
        and isinstance(payload.get("operationName"), (str, type(None)))
    )


class SubgraphView(GraphQL):
    """One agency's GraphQL endpoint. `sessions` finds the database for a request (None: no storage). In
    production, `_service` and `_entities` are refused (403, FORBIDDEN) to requests without `subgraph_secret`
    in the govgraph-subgraph-secret header, and to every request when there is no secret; the embedded gateway
    calls the schema in-process, past this view, and needs none. `authenticate` establishes each request's
    principal (context.principal) from its headers; without it every caller is anonymous."""

    graphql_transport_ws_handler_class = _TransportWSHandler
    request_adapter_class = _RequestAdapter

    def __init__(
        self,
        schema: BaseSchema,
        *,
        limits: Limits,
        production: bool,
        sessions: SessionsSource | None = None,
        subgraph_secret: str | None = None,
        writes: WritesSource | None = None,
        authenticate: Authenticate | None = None,
        services: ServicesSource | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None if production else "graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=limits.max_subscriptions_per_connection,
        )
        self.limits = limits
        self.production = production
        self.subgraph_secret = subgraph_secret
        self.sessions = sessions or (lambda _request: None)
        self.writes = writes or (lambda _request: None)
        self.services = services or (lambda _request: None)
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket" and not await self._authenticate_socket(scope, send):
                return
            await super().__call__(scope, receive, send)
            return
        response = await self._respond(scope, receive)
        await response(scope, receive, send)

    async def _respond(self, scope: Scope, receive: Receive) -> Response:
        request = Request(scope, receive=self._bounded(receive))
        declared = declared_length(request.headers)
        if declared is not None and declared > self.limits.max_body_bytes:
            return self._too_large()
        principal = await establish_principal(self.authenticate, request.headers)
        if isinstance(principal, Response):
            return principal
        scope[PRINCIPAL_SCOPE_KEY] = principal
        token = TRACE_REQUESTED.set(request.headers.get(TRACE_HEADER, "").strip().lower() == TRACE_VERSION)
        try:
            return await self.run(request)
        except HTTPException as exc:
            return error_response(exc.status_code, exc.reason)
        except _BodyTooLarge:
            return self._too_large()
        except ClientDisconnect:  # gone mid-upload: nobody to answer, and nothing went wrong here
            return Response(status_code=CLIENT_CLOSED_REQUEST)
        finally:
            TRACE_REQUESTED.reset(token)

    async def _authenticate_socket(self, scope: Scope, send: Send) -> bool:
        """Whether the handshake's credentials pass; if not, the socket is closed before it is accepted
        (the client sees a refused handshake)."""
        principal = await establish_principal(self.authenticate, Headers(scope=scope))
        if isinstance(principal, Response):
            await send({"type": "websocket.close", "code": WS_UNAUTHORIZED})
            return False
        scope[PRINCIPAL_SCOPE_KEY] = principal
        return True

    def _too_large(self) -> Response:
        return error_response(413, f"Request body exceeds {self.limits.max_body_bytes} bytes.")

    def _bounded(self, receive: Receive) -> Receive:
        """`receive`, stopping a chunked body that grows past the limit (Content-Length may be absent)."""
        received = 0
        limit = self.limits.max_body_bytes

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        return bounded_receive

    async def parse_http_body(self, request):
        if request.method == "POST":
            content_type, _ = parse_content_type(request.content_type or "")
            if content_type not in JSON_MEDIA_TYPES:
                raise HTTPException(
                    415, f"Unsupported content type {content_type or 'none'!r}: send application/json."
                )
            body = await request.get_body()
            if isinstance(request, _RequestAdapter) and len(body) > LARGE_BODY_BYTES:
                request.decoded = _Decoded(await run_in_threadpool(self.parse_json, body))
        data = await super().parse_http_body(request)
        if self.production and not carries_secret(request.headers, self.subgraph_secret):
            operations = data if isinstance(data, list) else [data]
            if any(selects_subgraph_fields(item.query, self.limits.max_tokens) for item in operations):
                raise HTTPException(403, GATEWAY_ONLY_MESSAGE)
        return data

    def decode_json(self, data: str | bytes) -> object:
        """WebSocket messages: strawberry answers a JSONDecodeError (only) with its invalid-message close."""
        try:
            return load_json(data, what="message")
        except MalformedInput as exc:
            raise json.JSONDecodeError(str(exc), "", 0) from None

    def parse_json(self, data: str | bytes | _Decoded):
        if isinstance(data, _Decoded):  # decoded and checked in a worker thread (parse_http_body)
            return data.value
        try:
            parsed = load_json(data, what="request body", max_containers=MAX_BODY_CONTAINERS)
        except (JsonTooDeep, JsonTooLarge) as exc:
            raise HTTPException(400, f"Unable to parse request body as JSON: {exc}.") from None
        except MalformedInput:
            raise HTTPException(400, "Unable to parse request body as JSON.") from None
        if not isinstance(parsed, dict) and not (
            isinstance(parsed, list) and all(isinstance(item, dict) for item in parsed)
        ):
            raise HTTPException(400, "The request body must be a JSON object.")
        return parsed

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        return RequestContext(
            request=request,
            response=response,
            sessions=self.sessions(request),
            writes=self.writes(request),
            services=self.services(request),
            principal=request.scope.get(PRINCIPAL_SCOPE_KEY, ANONYMOUS),
        )
