"""Builds an agency's Federation v2.7 subgraph: schema with the production kit, and its HTTP endpoint.

Federation 2.7 is pinned because it is the highest version every composer we test against accepts (the
Guild composer rejects strawberry's default 2.11). Entity keys follow strawberry issue #591: write key
fields in their GraphQL (camelCase) form, and expect `resolve_reference` to receive camelCase kwargs."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Sequence

from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from strawberry.extensions import SchemaExtension
from strawberry.federation import Schema
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Link
from strawberry.federation.versions import format_version
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types import ExecutionContext, ExecutionResult, Info

from govgraph.federation.documents import DocumentCache, validate_document, validation_rules
from govgraph.federation.errors import ServiceError, classify, without_suggestions
from govgraph.federation.http import ServicesSource, SessionsSource, SubgraphView, WritesSource
from govgraph.federation.limits import DEFAULT_LIMITS, Limits
from govgraph.federation.principal import Authenticate
from govgraph.federation.representations import checked_representation
from govgraph.federation.scalars import SCALAR_OVERRIDES
from govgraph.federation.tracing import tracing_extension

FEDERATION_VERSION = "2.7"
log = logging.getLogger("govgraph.federation")


class SubgraphSchema(Schema):
    """A federation schema whose every error carries an `extensions.code`, with unexpected ones masked
    (MaskErrors' job, with a taxonomy instead of one message). Done around `execute` rather than in an
    extension: extensions' hooks are skipped for errors raised in earlier hooks. In production, no error says
    "Did you mean ...?" (graphql-core suggests names when coercing variables too, where strawberry cannot be
    asked not to). `documents`: the cache of parsed and validated documents (None: not cached)."""

    production: bool = False
    documents: DocumentCache | None = None

    async def execute(self, *args, **kwargs) -> ExecutionResult:
        result = await super().execute(*args, **kwargs)
        if result.errors:
            result.errors = self.classify(result.errors)
        return result

    async def stream(self, *args, **kwargs):
        # Subscriptions: the same codes and masking, on the immediate error and on every streamed result.
        result = await super().stream(*args, **kwargs)
        if isinstance(result, ExecutionResult):
            if result.errors:
                result.errors = self.classify(result.errors)
            return result
        return _classified_stream(result, self.classify)

    def entities_resolver(self, info: Info, representations: list[FederationAny]) -> list[FederationAny]:
        # Each representation checked first (representations.py); a bad one is that item's coded error.
        results: list = []
        for representation in representations:
            try:
                checked = checked_representation(self.schema_converter.type_map, representation)
            except ServiceError as error:
                results.append(error)
                continue
            results.extend(super().entities_resolver(info, [checked]))
        return results

    def classify(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        classified = [classify(error) for error in errors]
        return [without_suggestions(error) for error in classified] if self.production else classified

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


async def _classified_stream(
    results: AsyncGenerator, classified: Callable[[list[GraphQLError]], list[GraphQLError]]
) -> AsyncGenerator:
    try:
        async for result in results:
            if getattr(result, "errors", None):
                result.errors = classified(result.errors)
            yield result
    finally:
        await results.aclose()


class CheckedDocuments(SchemaExtension):
    """Parsing under the token budget and validation under the limits (documents.py), through the schema's
    cache of documents and verdicts keyed by query text. It replaces strawberry's parser and validation
    caches, which keep any number of bytes, and its token limiter and added rules."""

    def __init__(self, limits: Limits, rules: tuple, cache: DocumentCache | None) -> None:
        self.limits = limits
        self.rules = rules
        self.cache = cache
        self.cached: tuple | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.limits.max_tokens
        if self.cache is not None and context.query:
            self.cached = self.cache.get(context.query)
            if self.cached is not None:
                context.graphql_document = self.cached[0]
        yield  # on a miss strawberry parses, with the options above; a parse error ends the request there

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema, query, document = context.schema, context.query, context.graphql_document
        if self.cached is not None and self.cached[0] is document:
            errors = self.cached[1]
        else:
            production = getattr(schema, "production", False)
            errors = validate_document(
                schema._schema, document, self.limits, self.rules, suggestions=not production
            )
            if self.cache is not None and query:
                self.cache.put(query, (document, errors), len(query))
        # Set even when empty: strawberry then skips its own validation.
        context.pre_execution_errors = list(errors)
        yield


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
    """The schema with the kit: limits, error codes, ftv1, and (unless `caches=False`, for benchmarks) a
    cache of parsed and validated documents. Extensions are passed as factories: each request gets fresh
    instances; the rules and the cache are made once here."""
    # Introspection off in production; `_service { sdl }` is a plain field and stays available to gateways.
    extra = (NoSchemaIntrospectionCustomRule,) if production else ()
    rules = validation_rules(limits, (*extra, MaybeNullValidationRule, OneOfInputValidationRule))
    cache = DocumentCache() if caches else None
    extensions: list[Callable[[], object]] = [
        tracing_extension,
        functools.partial(CheckedDocuments, limits, rules, cache),
    ]
    schema = SubgraphSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(types),
        extensions=extensions,
        scalar_overrides=dict(SCALAR_OVERRIDES),
        federation_version=FEDERATION_VERSION,
    )
    schema.production = production
    schema.documents = cache
    return schema


def subgraph_view(
    schema: SubgraphSchema,
    *,
    limits: Limits = DEFAULT_LIMITS,
    production: bool = False,
    sessions: SessionsSource | None = None,
    subgraph_secret: str | None = None,
    writes: WritesSource | None = None,
    authenticate: Authenticate | None = None,
    services: ServicesSource | None = None,
) -> SubgraphView:
    return SubgraphView(
        schema,
        limits=limits,
        production=production,
        sessions=sessions,
        subgraph_secret=subgraph_secret,
        writes=writes,
        authenticate=authenticate,
        services=services,
    )


def graphql_routes(path: str, view: SubgraphView) -> list[BaseRoute]:
    """HTTP and WebSocket routes for one subgraph endpoint (the view is a plain ASGI app)."""
    return [Route(path, view), WebSocketRoute(path, view)]


def standalone_app(
    view: SubgraphView,
    *,
    lifespan=None,
    routes: Sequence[BaseRoute] = (),
    middleware: Sequence[Middleware] = (),
) -> Starlette:
    """One subgraph served alone at /graphql, with /readiness answering once the lifespan has started, and
    the caller's other `routes` and `middleware`."""

    async def readiness(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ready"})

    return Starlette(
        routes=[*graphql_routes("/graphql", view), Route("/readiness", readiness, methods=["GET"]), *routes],
        middleware=list(middleware),
        lifespan=lifespan,
    )
