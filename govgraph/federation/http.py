"""The subgraph's HTTP endpoint: strawberry's ASGI view with request-level limits and JSON GraphQL errors.

Everything refused before execution (oversized body, wrong content type, unreadable JSON) still answers
with a GraphQL error body carrying an `extensions.code`, never a bare text page and never a 500.
Subscriptions speak only graphql-transport-ws: the legacy graphql-ws protocol is not offered."""

from __future__ import annotations

from collections.abc import Callable

from cross_web import HTTPException
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.base import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from govgraph.federation.context import RequestContext
from govgraph.federation.errors import ErrorCode, TooManySubscriptions
from govgraph.federation.limits import Limits
from govgraph.federation.tracing import TRACE_HEADER, TRACE_REQUESTED, TRACE_VERSION
from zk.errors import MalformedInput
from zk.json_input import JsonTooDeep, load_json

_STATUS_CODES = {
    400: ErrorCode.BAD_REQUEST,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}
JSON_MEDIA_TYPES = ("application/json", "application/graphql-response+json")

SessionsSource = Callable[[Request | WebSocket], async_sessionmaker | None]


def error_response(status: int, message: str) -> JSONResponse:
    code = _STATUS_CODES.get(status, ErrorCode.BAD_REQUEST)
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code.value}}]}, status_code=status
    )


class _BodyTooLarge(Exception):
    pass


class _TransportWSHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws whose per-connection cap refuses with a TooManySubscriptions error, which carries
    its code. Strawberry's own refusal has none; its checks that come first (acknowledged connection, unique
    id) are left to it."""

    async def handle_subscribe(self, message) -> None:
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


class SubgraphView(GraphQL):
    """One agency's GraphQL endpoint. `sessions` finds the database for a request (None: no storage)."""

    graphql_transport_ws_handler_class = _TransportWSHandler

    def __init__(
        self, schema: BaseSchema, *, limits: Limits, production: bool, sessions: SessionsSource | None = None
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None if production else "graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=limits.max_subscriptions_per_connection,
        )
        self.limits = limits
        self.sessions = sessions or (lambda _request: None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        response = await self._respond(scope, receive)
        await response(scope, receive, send)

    async def _respond(self, scope: Scope, receive: Receive) -> Response:
        request = Request(scope, receive=self._bounded(receive))
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limits.max_body_bytes:
            return self._too_large()
        token = TRACE_REQUESTED.set(request.headers.get(TRACE_HEADER, "").strip().lower() == TRACE_VERSION)
        try:
            return await self.run(request)
        except HTTPException as exc:
            return error_response(exc.status_code, exc.reason)
        except _BodyTooLarge:
            return self._too_large()
        finally:
            TRACE_REQUESTED.reset(token)

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
        return await super().parse_http_body(request)

    def decode_json(self, data: str | bytes) -> object:
        return load_json(data, what="request body")

    def parse_json(self, data: str | bytes):
        try:
            parsed = self.decode_json(data)
        except JsonTooDeep as exc:
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
        return RequestContext(request=request, response=response, sessions=self.sessions(request))
