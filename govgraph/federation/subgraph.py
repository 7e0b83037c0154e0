"""Builds an agency's Federation v2.7 subgraph: schema with the production kit, and its HTTP endpoint.

Federation 2.7 is pinned because it is the highest version every composer we test against accepts (the
Guild composer rejects strawberry's default 2.11). Entity keys follow strawberry issue #591: write key
fields in their GraphQL (camelCase) form, and expect `resolve_reference` to receive camelCase kwargs."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncGenerator, Callable, Iterable

from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.federation import Schema
from strawberry.federation.schema_directives import Link
from strawberry.federation.versions import format_version
from strawberry.types import ExecutionContext, ExecutionResult

from govgraph.federation.errors import ServiceError, classify
from govgraph.federation.http import SessionsSource, SubgraphView
from govgraph.federation.limits import DEFAULT_LIMITS, Limits, limits_rule
from govgraph.federation.scalars import SCALAR_OVERRIDES
from govgraph.federation.tracing import tracing_extension

FEDERATION_VERSION = "2.7"
CACHE_SIZE = 1024
log = logging.getLogger("govgraph.federation")


class SubgraphSchema(Schema):
    """A federation schema whose every error carries an `extensions.code`, with unexpected ones masked
    (MaskErrors' job, with a taxonomy instead of one message). Done around `execute` rather than in an
    extension: a parse error raised inside ParserCache's hook skips the extensions' exit code."""

    async def execute(self, *args, **kwargs) -> ExecutionResult:
        result = await super().execute(*args, **kwargs)
        if result.errors:
            result.errors = [classify(error) for error in result.errors]
        return result

    async def stream(self, *args, **kwargs):
        # Subscriptions: the same codes and masking, on the immediate error and on every streamed result.
        result = await super().stream(*args, **kwargs)
        if isinstance(result, ExecutionResult):
            if result.errors:
                result.errors = [classify(error) for error in result.errors]
            return result
        return _classified_stream(result)

    def _add_link_directives(self, additional_directives=None) -> None:
        # Strawberry links the federation spec only when a federation directive is used; a subgraph without
        # entities must still declare itself Federation 2, or gateways compose it as Federation 1.
        super()._add_link_directives(additional_directives)
        url = f"https://specs.apollo.dev/federation/{format_version(self.federation_version)}"
        if not any(isinstance(d, Link) and d.url == url for d in self.schema_directives):
            self.schema_directives = [Link(url=url, import_=[]), *self.schema_directives]

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Log only the unexpected: a client's typo is not an incident.
        for error in errors:
            original = error.original_error
            if original is not None and not isinstance(original, (ServiceError, GraphQLError)):
                log.error("unexpected error at %s", error.path, exc_info=original)


async def _classified_stream(results: AsyncGenerator) -> AsyncGenerator:
    try:
        async for result in results:
            if getattr(result, "errors", None):
                result.errors = [classify(error) for error in result.errors]
            yield result
    finally:
        await results.aclose()


def build_subgraph_schema(
    query: type,
    *,
    mutation: type | None = None,
    subscription: type | None = None,
    types: Iterable[type] = (),
    limits: Limits = DEFAULT_LIMITS,
    production: bool = False,
    caches: bool = True,
) -> SubgraphSchema:
    """The schema with the kit: limits, error codes, ftv1, and (unless `caches=False`, for benchmarks)
    parse and validation caches. Extensions are passed as factories: each request gets fresh instances,
    while the validation rule classes are built once here so the validation cache keeps hitting."""
    rules = [limits_rule(limits)]
    if production:
        # Introspection off in production; `_service { sdl }` is a plain field and stays available to
        # gateways.
        rules.append(NoSchemaIntrospectionCustomRule)
    extensions: list[Callable[[], object]] = [
        tracing_extension,
        functools.partial(MaxTokensLimiter, max_token_count=limits.max_tokens),
        functools.partial(AddValidationRules, rules),
    ]
    if caches:
        extensions += [
            functools.partial(ParserCache, maxsize=CACHE_SIZE),
            functools.partial(ValidationCache, maxsize=CACHE_SIZE),
        ]
    return SubgraphSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(types),
        extensions=extensions,
        scalar_overrides=dict(SCALAR_OVERRIDES),
        federation_version=FEDERATION_VERSION,
    )


def subgraph_view(
    schema: SubgraphSchema,
    *,
    limits: Limits = DEFAULT_LIMITS,
    production: bool = False,
    sessions: SessionsSource | None = None,
    subgraph_secret: str | None = None,
) -> SubgraphView:
    return SubgraphView(
        schema, limits=limits, production=production, sessions=sessions, subgraph_secret=subgraph_secret
    )


def graphql_routes(path: str, view: SubgraphView) -> list[BaseRoute]:
    """HTTP and WebSocket routes for one subgraph endpoint (the view is a plain ASGI app)."""
    return [Route(path, view), WebSocketRoute(path, view)]


def standalone_app(view: SubgraphView, *, lifespan=None) -> Starlette:
    """One subgraph served alone at /graphql, with /readiness answering once the lifespan has started."""

    async def readiness(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ready"})

    return Starlette(
        routes=[*graphql_routes("/graphql", view), Route("/readiness", readiness, methods=["GET"])],
        lifespan=lifespan,
    )
