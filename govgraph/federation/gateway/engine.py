"""The Gateway: one GraphQL request in (checked, parsed, validated, planned, executed, shaped), and out the
body Hive Gateway would answer for it; documents and plans are cached per query text, within a byte budget.

Before anything expands the document, it is held to the kit's Limits (documents.py): a token budget at
parse, then depth, aliases, fields, cost and definitions measured once per fragment, then validation."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    parse,
)
from graphql import (
    execute as graphql_execute,
)
from graphql.execution.values import get_variable_values
from graphql.validation import NoSchemaIntrospectionCustomRule

from govgraph.federation.documents import DocumentCache, validate_document, validation_rules
from govgraph.federation.errors import INTERNAL_MESSAGE, ErrorCode, is_token_limit
from govgraph.federation.gateway.composition import compose
from govgraph.federation.gateway.dedup import SharedFetches
from govgraph.federation.gateway.execute import fetch_variables, run_plan
from govgraph.federation.gateway.graphql_js import js_message, js_quotes
from govgraph.federation.gateway.plan import Plan, Planner, PlanningError
from govgraph.federation.gateway.shape import Shaper
from govgraph.federation.gateway.supergraph import CompositionError, SubgraphSource, Supergraph
from govgraph.federation.gateway.transports import Forwarded, StreamTransport, Transport
from govgraph.federation.limits import GATEWAY_LIMITS, Limits

log = logging.getLogger("govgraph.gateway")


def _error(message: str, code: str | None = None, locations=None) -> dict:
    error: dict[str, Any] = {"message": message}
    if locations:
        error["locations"] = [{"line": loc.line, "column": loc.column} for loc in locations]
    if code is not None:
        error["extensions"] = {"code": code}
    return error


def _refusal(error: GraphQLError, code: str) -> dict:
    """A parse or validation error: ours (a limit) keep their code and words, graphql-core's take `code` and
    graphql-js's quotes."""
    own = (error.extensions or {}).get("code")
    if own is not None:
        return _error(error.message, own, error.locations)
    return _error(js_quotes(error.message), code, error.locations)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A request ready to run: its plan, document, raw variables and the variables coerced to the schema."""

    plan: Plan
    document: DocumentNode
    variables: dict
    coerced: dict


class Gateway:
    """A composed supergraph plus a transport per subgraph; stateless between requests except its caches.

    With `deduplicate` (the default, as in Hive Gateway), a query's subgraph fetch identical to one already in
    flight, from this request or another, waits for that fetch's answer instead of being sent again (see
    SharedFetches); a mutation's fetches are always sent. Without `introspection` (production), suggestions
    ("Did you mean ...?") are off too unless `suggestions` says otherwise: both map the schema for strangers.
    `limits`: the kit's document limits, applied before planning (GATEWAY_LIMITS by default). `streams`:
    how to subscribe to each subgraph (graphql-transport-ws, or in-process); a subgraph without one serves
    no subscriptions through this gateway."""

    def __init__(
        self,
        supergraph: Supergraph,
        transports: Mapping[str, Transport],
        *,
        introspection: bool = True,
        deduplicate: bool = True,
        suggestions: bool | None = None,
        limits: Limits = GATEWAY_LIMITS,
        streams: Mapping[str, StreamTransport] | None = None,
    ) -> None:
        missing = [name for name in supergraph.subgraphs if name not in transports]
        if missing:
            raise CompositionError(f"no transport for subgraph(s) {', '.join(missing)}")
        self.supergraph = supergraph
        self.transports = dict(transports)
        self.streams = dict(streams or {})  # subgraph -> how to subscribe to it
        self.planner = Planner(supergraph)
        self.shared = SharedFetches() if deduplicate else None
        self.limits = limits
        self.documents = DocumentCache()  # query text -> document, or the body refusing it
        self.plans = DocumentCache()  # (query text, operation name) -> Plan
        # Off in production, like the subgraphs' own introspection: the schema is not for strangers to map.
        self.rules = validation_rules(limits, () if introspection else (NoSchemaIntrospectionCustomRule,))
        self.suggestions = introspection if suggestions is None else suggestions

    @classmethod
    def from_sources(
        cls,
        sources: list[SubgraphSource],
        transports: Mapping[str, Transport],
        *,
        introspection: bool = True,
        deduplicate: bool = True,
        suggestions: bool | None = None,
        limits: Limits = GATEWAY_LIMITS,
        streams: Mapping[str, StreamTransport] | None = None,
    ) -> Gateway:
        return cls(
            compose(sources),
            transports,
            streams=streams,
            introspection=introspection,
            deduplicate=deduplicate,
            suggestions=suggestions,
            limits=limits,
        )

    async def execute(
        self,
        query: Any,
        variables: Any = None,
        operation_name: Any = None,
        *,
        forwarded: Forwarded = (),
        queries_only: bool = False,
    ) -> tuple[int, dict]:
        """(HTTP status, response body) for one GraphQL request; `forwarded` (the client's credentials) goes
        with each of its subgraph fetches. `queries_only` (a GET request) refuses a mutation with 405, as
        GraphQL over HTTP requires: a GET is what another origin's page can make a browser send unasked. A
        subscription is refused here: it streams (see `subscribe`)."""
        prepared = self.prepare(query, variables, operation_name, queries_only=queries_only)
        if isinstance(prepared, tuple):
            return prepared
        if prepared.plan.operation.operation == OperationType.SUBSCRIPTION:
            message = "Subscriptions are served over graphql-transport-ws or text/event-stream."
            return 400, {"errors": [_error(message, ErrorCode.BAD_REQUEST)]}
        return await self.run(prepared, forwarded)

    def prepare(
        self,
        query: Any,
        variables: Any = None,
        operation_name: Any = None,
        *,
        queries_only: bool = False,
    ) -> Prepared | tuple[int, dict]:
        """The request checked, parsed, validated and planned, or (HTTP status, body) refusing it;
        `queries_only` (a GET) also refuses a mutation."""
        if not isinstance(query, str) or not query:
            return 400, {"errors": [_error("Must provide query string.", ErrorCode.BAD_REQUEST)]}
        if variables is not None and not isinstance(variables, dict):
            return 400, {"errors": [_error("Variables must be an object.", ErrorCode.BAD_REQUEST)]}
        if operation_name is not None and not isinstance(operation_name, str):
            return 400, {"errors": [_error("Operation name must be a string.", ErrorCode.BAD_REQUEST)]}
        parsed = self._document(query)
        if isinstance(parsed, dict):
            return 200, parsed
        document = parsed
        operation = self._operation(document, operation_name)
        if isinstance(operation, dict):
            return 400, operation
        if queries_only and operation.operation is OperationType.MUTATION:
            message = f"Can only perform a {operation.operation.value} operation from a POST request."
            return 405, {"errors": [_error(message, ErrorCode.METHOD_NOT_ALLOWED)]}
        coerced = get_variable_values(
            self.supergraph.api_schema,
            operation.variable_definitions or (),
            variables or {},
            hide_suggestions=not self.suggestions,
        )
        if isinstance(coerced, list):
            return 200, {
                "errors": [
                    # Hive Gateway sends these without a code; ours carry BAD_USER_INPUT, like our subgraphs'.
                    _error(js_message(e.message, variables or {}), ErrorCode.BAD_USER_INPUT, e.locations)
                    for e in coerced
                ]
            }
        coerced = getattr(coerced, "coerced", coerced)  # graphql-core 3.3 wraps the values
        key = (query, operation_name)
        try:
            plan = self.plans.get(key)
            if plan is None:
                size = len(query) + len(operation_name or "")
                plan = self.plans.put(key, self._plan(document, operation), size)
        except PlanningError as exc:
            return 200, {"errors": [_error(str(exc), ErrorCode.QUERY_PLANNING_FAILED)]}
        except Exception:  # a planner bug: logged, and answered as a coded error that leaks nothing
            log.exception("gateway failed to plan operation %r", operation_name)
            return 200, {"errors": [_error(INTERNAL_MESSAGE, ErrorCode.INTERNAL)]}
        return Prepared(plan, document, variables or {}, coerced)

    async def run(
        self, prepared: Prepared, forwarded: Forwarded = (), answered: dict | None = None
    ) -> tuple[int, dict]:
        """(200, body) for a prepared operation: its plan run and shaped. `answered`: a subscription's event,
        standing for the root fetch's answer (its entity fetches are run)."""
        try:
            return 200, await self._run(prepared, forwarded, answered)
        except Exception:  # a gateway bug: logged, and answered as a coded error that leaks nothing
            name = prepared.plan.operation.name
            log.exception("gateway failed on operation %r", name.value if name else None)
            return 200, {"errors": [_error(INTERNAL_MESSAGE, ErrorCode.INTERNAL)]}

    def is_subscription(self, query: Any, operation_name: Any = None) -> bool:
        """Whether the request names a subscription (parsed once: the document cache keeps it)."""
        if not isinstance(query, str) or not query:
            return False
        if operation_name is not None and not isinstance(operation_name, str):
            return False
        document = self._document(query)
        if isinstance(document, dict):
            return False
        operation = self._operation(document, operation_name)
        return not isinstance(operation, dict) and operation.operation == OperationType.SUBSCRIPTION

    async def subscribe(
        self,
        query: Any,
        variables: Any = None,
        operation_name: Any = None,
        *,
        forwarded: Forwarded = (),
        queries_only: bool = False,
    ) -> AsyncIterator[dict] | tuple[int, dict]:
        """The stream of results of one operation: for a subscription, one per event of the subgraph that
        owns its root field, each completed with its entity fields from the other subgraphs; for a query or
        mutation, its one result. Or (HTTP status, body) refusing the request before anything runs;
        `queries_only` (a GET) refuses a mutation."""
        prepared = self.prepare(query, variables, operation_name, queries_only=queries_only)
        if isinstance(prepared, tuple):
            return prepared
        if prepared.plan.operation.operation != OperationType.SUBSCRIPTION:
            return self._once(prepared, forwarded)
        if len(prepared.plan.roots) != 1:  # validation allows one root field; this guards the planner
            message = "A subscription selects exactly one field of one subgraph."
            return 200, {"errors": [_error(message, ErrorCode.QUERY_PLANNING_FAILED)]}
        [root] = prepared.plan.roots
        stream = self.streams.get(root.subgraph)
        if stream is None:
            message = f'Subgraph "{root.subgraph}" serves no subscriptions to this gateway.'
            return 200, {"errors": [_error(message, ErrorCode.QUERY_PLANNING_FAILED)]}
        events = stream(root.document, fetch_variables(root, prepared.variables), None, forwarded)
        return self._events(prepared, events, root.subgraph, forwarded)

    async def _once(self, prepared: Prepared, forwarded: Forwarded) -> AsyncIterator[dict]:
        yield (await self.run(prepared, forwarded))[1]

    async def _events(
        self, prepared: Prepared, events: AsyncIterator[dict], subgraph: str, forwarded: Forwarded
    ) -> AsyncIterator[dict]:
        try:
            while True:
                try:
                    event = await anext(events)
                except StopAsyncIteration:
                    return
                except Exception as exc:  # the subgraph's stream broke: say so, and end the subscription
                    message = f'Subscription to subgraph "{subgraph}" failed: {exc.__class__.__name__}'
                    yield {"errors": [_error(message, ErrorCode.SUBGRAPH_REQUEST_FAILED)]}
                    return
                # One event at a time, in the subgraph's order: its entity fetches finish before the next.
                yield (await self.run(prepared, forwarded, answered=event))[1]
        finally:
            await events.aclose()

    def _document(self, query: str) -> DocumentNode | dict:
        """The parsed, checked and validated document, or the body refusing it."""
        cached = self.documents.get(query)
        if cached is not None:
            return cached
        try:
            document = parse(query, max_tokens=self.limits.max_tokens)
        except GraphQLError as exc:
            code = ErrorCode.QUERY_TOO_COMPLEX if is_token_limit(exc) else ErrorCode.GRAPHQL_PARSE_FAILED
            return {"errors": [_error(js_quotes(exc.message), code, exc.locations)]}
        errors = validate_document(
            self.supergraph.api_schema, document, self.limits, self.rules, suggestions=self.suggestions
        )
        result: DocumentNode | dict = document
        if errors:
            result = {"errors": [_refusal(e, ErrorCode.GRAPHQL_VALIDATION_FAILED) for e in errors]}
        return self.documents.put(query, result, len(query))

    @staticmethod
    def _operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | dict:
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is None:
            if len(operations) == 1:
                return operations[0]
            return {
                "errors": [
                    _error(
                        "Could not determine what operation to execute.",
                        ErrorCode.OPERATION_RESOLUTION_FAILURE,
                    )
                ]
            }
        for operation in operations:
            if operation.name is not None and operation.name.value == operation_name:
                return operation
        return {
            "errors": [
                _error(
                    "Could not determine what operation to execute.", ErrorCode.OPERATION_RESOLUTION_FAILURE
                )
            ]
        }

    def _plan(self, document: DocumentNode, operation: OperationDefinitionNode) -> Plan:
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        return self.planner.plan(operation, fragments)

    async def _run(self, prepared: Prepared, forwarded: Forwarded, answered: dict | None) -> dict:
        plan, document, coerced = prepared.plan, prepared.document, prepared.coerced
        # A subscription's entity fetches are queries: they may share answers like a query's.
        shared = self.shared if plan.operation.operation != OperationType.MUTATION else None
        data, errors = await run_plan(plan, self.transports, prepared.variables, shared, forwarded, answered)
        schema = self.supergraph.api_schema
        root_type = schema.get_root_type(plan.operation.operation)
        if plan.introspection:
            data.update(self._introspect(document, plan, coerced))
        body: dict[str, Any] = {}
        if data or not plan.roots:
            body["data"] = Shaper(schema, plan, coerced).shape(root_type, plan.operation.selection_set, data)
        elif not errors:
            body["data"] = None
        if errors:
            body["errors"] = errors
        return body

    def _introspect(self, document: DocumentNode, plan: Plan, variables: dict) -> dict:
        """`__schema`/`__type` answered from the API schema, keyed by response name for the shaper."""
        result = graphql_execute(
            self.supergraph.api_schema,
            document,
            variable_values=variables,
            operation_name=plan.operation.name.value if plan.operation.name else None,
            field_resolver=_introspection_only,
        )
        return {k: v for k, v in (result.data or {}).items()}


def _introspection_only(source, info, **arguments):
    if info.parent_type.name in ("Query", "Mutation") and not info.field_name.startswith("__"):
        return None
    value = (
        getattr(source, info.field_name, None)
        if not isinstance(source, dict)
        else source.get(info.field_name)
    )
    return value(info, **arguments) if callable(value) else value


__all__ = ["Gateway"]
