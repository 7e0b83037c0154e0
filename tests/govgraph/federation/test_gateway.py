"""The embedded gateway's planning and execution, in-process over the compliance subgraphs (fetches recorded),
and end to end: in-process and mounted in build_app, compared with the real Hive Gateway."""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
import strawberry
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse
from starlette.testclient import TestClient

from govgraph.app import build_app
from govgraph.config import Settings
from govgraph.federation.context import RequestContext
from govgraph.federation.gateway import Gateway
from govgraph.federation.gateway.endpoint import GatewayEndpoint, local_gateway
from govgraph.federation.gateway.transports import OverHttp
from govgraph.federation.subgraph import build_subgraph_schema
from tests.govgraph.federation.compliance import inventory, products, users
from tests.govgraph.federation.corpus import errors_by_subgraph, generate, with_deliberate_differences
from tests.govgraph.federation.corpus.hand import OPERATIONS as HAND
from tests.support.servers import UvicornThread, free_port, wait_until_healthy

EMAIL = "support@apollographql.com"
CORPUS = [*HAND, *[tuple(op) for op in json.loads(generate.CORPUS.read_text())]]
COMPLIANCE_ROOTS = {"product", "deprecatedProduct", "inventory", "__typename"}
AGENCY_ROOTS = {
    "agencies",
    "agency",
    "citizen",
    "citizens",
    "credentialSchemas",
    "parcel",
    "parcels",
    "titles",
    "__typename",
}


def context(_forwarded=()) -> RequestContext:
    return RequestContext(request=None, response=None, sessions=None)


def compliance_schemas() -> dict:
    return {
        "products": products.build_schema(),
        "users": users.build_schema(),
        "inventory": inventory.build_schema(),
    }


class Recorder:
    """Wraps each transport to record (subgraph, document, variables) of every fetch, in order."""

    def __init__(self, gateway: Gateway) -> None:
        self.calls: list[tuple[str, str, dict]] = []
        for name, transport in gateway.transports.items():
            gateway.transports[name] = self._recording(name, transport)

    def _recording(self, name, transport):
        async def send(document, variables, operation_name, forwarded=()):
            self.calls.append((name, document, copy.deepcopy(variables)))  # strawberry consumes them
            return await transport(document, variables, operation_name, forwarded)

        return send


async def gateway_and_recorder() -> tuple[Gateway, Recorder]:
    gateway = await local_gateway(compliance_schemas(), context)
    return gateway, Recorder(gateway)


async def test_requires_is_fetched_from_the_owner_before_the_dependent_fetch() -> None:
    gateway, recorder = await gateway_and_recorder()
    status, body = await gateway.execute(
        '{ product(id: "apollo-federation") { createdBy { email averageProductsCreatedPerYear } } }'
    )
    assert (status, body) == (
        200,
        {"data": {"product": {"createdBy": {"email": EMAIL, "averageProductsCreatedPerYear": 0}}}},
    )
    assert [call[0] for call in recorder.calls] == ["products", "users", "products"]
    assert recorder.calls[2][2] == {
        "representations": [
            {"__typename": "User", "email": EMAIL, "totalProductsCreated": 4, "yearsOfEmployment": 10}
        ]
    }


async def test_provides_lets_the_parent_subgraph_answer_without_a_hop() -> None:
    gateway, recorder = await gateway_and_recorder()
    _, body = await gateway.execute(
        '{ product(id: "apollo-federation") { createdBy { email totalProductsCreated } } }'
    )
    assert body == {"data": {"product": {"createdBy": {"email": EMAIL, "totalProductsCreated": 1337}}}}
    assert [call[0] for call in recorder.calls] == ["products"]


async def test_all_representations_of_one_step_go_in_one_request() -> None:
    gateway, recorder = await gateway_and_recorder()
    _, body = await gateway.execute(
        '{ inventory(id: "apollo-oss") { ... on OpenSourceInventory { products { id sku } } } }'
    )
    assert body == {
        "data": {
            "inventory": {
                "products": [
                    {"id": "apollo-federation", "sku": "federation"},
                    {"id": "apollo-studio", "sku": "studio"},
                ]
            }
        }
    }
    assert [call[0] for call in recorder.calls] == ["inventory", "products"]
    assert recorder.calls[1][2]["representations"] == [
        {"__typename": "Product", "id": "apollo-federation"},
        {"__typename": "Product", "id": "apollo-studio"},
    ]


async def test_interface_object_is_fetched_under_the_interface_name() -> None:
    gateway, recorder = await gateway_and_recorder()
    _, body = await gateway.execute(
        '{ inventory(id: "apollo-oss") { __typename deprecatedProducts { sku } } }'
    )
    assert body == {
        "data": {
            "inventory": {
                "__typename": "OpenSourceInventory",
                "deprecatedProducts": [{"sku": "apollo-federation-v1"}],
            }
        }
    }
    assert recorder.calls[1][0] == "products"
    assert recorder.calls[1][2] == {"representations": [{"__typename": "Inventory", "id": "apollo-oss"}]}


async def test_identical_representations_are_sent_once_and_answer_every_position() -> None:
    gateway, recorder = await gateway_and_recorder()
    _, body = await gateway.execute(
        '{ a: product(id: "apollo-federation") { createdBy { yearsOfEmployment } } '
        'b: product(id: "apollo-studio") { createdBy { yearsOfEmployment } } }'
    )
    assert body == {
        "data": {"a": {"createdBy": {"yearsOfEmployment": 10}}, "b": {"createdBy": {"yearsOfEmployment": 10}}}
    }
    assert [len(call[2].get("representations", ())) for call in recorder.calls] == [0, 1]


async def test_plans_are_cached_per_document_and_operation_name() -> None:
    gateway, recorder = await gateway_and_recorder()
    document = 'query A { product(id: "apollo-studio") { sku } } query B { inventory(id: "x") { id } }'
    await gateway.execute(document, None, "A")
    first = gateway.plans[(document, "A")]
    await gateway.execute(document, None, "A")
    await gateway.execute(document, None, "B")
    assert gateway.plans[(document, "A")] is first
    assert set(gateway.plans) == {(document, "A"), (document, "B")}
    assert [call[0] for call in recorder.calls] == ["products", "products", "inventory"]


async def test_skip_and_include_travel_to_the_subgraph_with_their_variables() -> None:
    gateway, recorder = await gateway_and_recorder()
    query = 'query ($s: Boolean!) { product(id: "apollo-studio") { sku @skip(if: $s) id } }'
    _, body = await gateway.execute(query, {"s": True})
    assert body == {"data": {"product": {"id": "apollo-studio"}}}
    assert recorder.calls == [
        ("products", 'query($s: Boolean!){product(id: "apollo-studio"){sku @skip(if: $s) id}}', {"s": True})
    ]


async def test_a_failing_subgraph_gives_partial_data_and_a_coded_error() -> None:
    gateway, _ = await gateway_and_recorder()

    async def unreachable(document, variables, operation_name, forwarded=()):
        raise httpx.ConnectError("connection refused")

    gateway.transports["users"] = unreachable
    _, body = await gateway.execute(
        '{ product(id: "apollo-federation") { sku createdBy { email yearsOfEmployment } } }'
    )
    # The entity users could not give is null, with the error at its path; products' sku is still there.
    assert body == {
        "data": {"product": {"sku": "federation", "createdBy": None}},
        "errors": [
            {
                "message": 'Request to subgraph "users" failed: ConnectError',
                "path": ["product", "createdBy"],
                "extensions": {"code": "SUBGRAPH_REQUEST_FAILED", "serviceName": "users"},
            }
        ],
    }


async def test_request_errors_are_typed() -> None:
    gateway, _ = await gateway_and_recorder()
    assert await gateway.execute(None) == (
        400,
        {"errors": [{"message": "Must provide query string.", "extensions": {"code": "BAD_REQUEST"}}]},
    )
    assert await gateway.execute("{ product(id: 1) { sku } }", [1]) == (
        400,
        {"errors": [{"message": "Variables must be an object.", "extensions": {"code": "BAD_REQUEST"}}]},
    )
    status, body = await gateway.execute("subscription { x }")
    assert status == 200 and body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_endpoint_refuses_bad_http_with_codes_never_a_500() -> None:
    server = UvicornThread(GatewayEndpoint(lambda: local_gateway(compliance_schemas(), context))).start()
    try:
        url = f"{server.url}/graphql"
        cases = [
            httpx.post(url, content=b"{", headers={"content-type": "application/json"}),
            httpx.post(url, content=b"query", headers={"content-type": "text/plain"}),
            httpx.post(url, json=[1]),
            httpx.put(url, json={}),
            httpx.get(url),
        ]
        assert [(r.status_code, r.json()["errors"][0]["extensions"]["code"]) for r in cases] == [
            (400, "BAD_REQUEST"),
            (415, "UNSUPPORTED_MEDIA_TYPE"),
            (400, "BAD_REQUEST"),
            (405, "METHOD_NOT_ALLOWED"),
            (400, "BAD_REQUEST"),
        ]
        got = httpx.get(url, params={"query": '{ product(id: "apollo-studio") { sku } }'}).json()
        assert got == {"data": {"product": {"sku": "studio"}}}
        deep = httpx.post(
            url, content=b"[" * 200_000 + b"]" * 200_000, headers={"content-type": "application/json"}
        )
        assert (deep.status_code, deep.json()["errors"][0]) == (
            400,
            {
                "message": "Unable to parse request body as JSON: "
                "request body is nested deeper than 128 levels.",
                "extensions": {"code": "BAD_REQUEST"},
            },
        )
        deep_variables = httpx.get(url, params={"query": "{ __typename }", "variables": "[" * 5_000})
        assert deep_variables.status_code == 400
        assert deep_variables.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        assert "graphiql" in httpx.get(url, headers={"accept": "text/html"}).text.lower()
    finally:
        server.stop()


def root_fields(query: str) -> set[str]:
    try:
        document = parse(query)
    except GraphQLError:  # the corpus's syntax-error cases route nowhere
        return set()
    return {
        s.name.value
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        for s in d.selection_set.selections
        if isinstance(s, FieldNode)
    }


def post(url: str, operation: tuple) -> dict:
    _, query, variables, *rest = operation
    payload = {"query": query, "variables": variables, **({"operationName": rest[0]} if rest else {})}
    return httpx.post(url, json=payload, timeout=30).json()


@pytest.fixture(scope="module")
def in_process_url() -> Iterator[str]:
    server = UvicornThread(GatewayEndpoint(lambda: local_gateway(compliance_schemas(), context))).start()
    yield f"{server.url}/graphql"
    server.stop()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    settings = Settings.from_env({"GOVGRAPH_DATA": str(tmp_path_factory.mktemp("gateway-app"))})
    server = UvicornThread(build_app(settings)).start()
    yield f"{server.url}/graphql"
    server.stop()


COMPLIANCE_OPS = [op for op in CORPUS if root_fields(op[1]) and root_fields(op[1]) <= COMPLIANCE_ROOTS]
# build_app's own database against Hive over the live subgraphs' database: the same seeded rows, but each
# deployment's ledger entries carry its own keyed hashes, signatures and times, so operations that select
# ledger entries are compared only where both gateways share subgraphs (test_gateway_differential.py).
LEDGER_ENTRY_FIELDS = ("ledgerEntry", "history", "endedBy")  # the agencies' fields that select ledger entries
AGENCY_OPS = [
    op
    for op in CORPUS
    if root_fields(op[1])
    and root_fields(op[1]) <= AGENCY_ROOTS
    and not any(field in op[1] for field in LEDGER_ENTRY_FIELDS)
]


@pytest.mark.e2e
def test_in_process_gateway_answers_the_compliance_corpus_as_hive_does(
    in_process_url: str, hive_gateway
) -> None:
    assert len(COMPLIANCE_OPS) >= 40
    differences = [
        op[0]
        for op in COMPLIANCE_OPS
        if errors_by_subgraph(post(in_process_url, op))
        != errors_by_subgraph(with_deliberate_differences(post(hive_gateway.url, op)))
    ]
    assert differences == []


@pytest.mark.e2e
def test_build_app_graphql_answers_the_agency_corpus_as_hive_does(app_url: str, hive_gateway) -> None:
    assert len(AGENCY_OPS) >= 80
    differences = [
        op[0]
        for op in AGENCY_OPS
        if errors_by_subgraph(post(app_url, op))
        != errors_by_subgraph(with_deliberate_differences(post(hive_gateway.url, op)))
    ]
    assert differences == []


@pytest.mark.e2e
def test_gateway_command_serves_remote_subgraphs(live_subgraphs, tmp_path) -> None:
    port = free_port()
    arguments = [f"--subgraph={name}={url}" for name, url in live_subgraphs.urls.items()]
    log_path = tmp_path / "gateway.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "govgraph", "gateway", *arguments, "--port", str(port)],
            env={**_env(tmp_path)},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/readiness", process, log_path)
        body = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={
                "query": '{ citizen(id: "cit_5b0e2f7c1a9d4e83") { parcels { id } } '
                'product(id: "apollo-studio") { createdBy { name } } }'
            },
        ).json()
        assert body == {
            "data": {
                "citizen": {"parcels": [{"id": "parcel-0001"}, {"id": "parcel-0002"}]},
                "product": {"createdBy": {"name": "Jane Smith"}},
            }
        }
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_gateway_command_refuses_a_malformed_subgraph_option(tmp_path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "govgraph", "gateway", "--subgraph", "land"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert "--subgraph expects a unique name=http(s)://URL, got 'land'" in completed.stderr


def _env(tmp_path) -> dict:
    import os

    return {**os.environ, "GOVGRAPH_DATA": str(tmp_path), "GOVGRAPH_HOST": "127.0.0.1"}


@strawberry.federation.type(shareable=True)
class Counter:
    value: int


COUNTS: dict[str, int] = {}


def counter_schema(name: str):
    """A subgraph whose one mutation, `bump<Name>`, counts and answers how many bumps all subgraphs saw."""

    def bump() -> Counter:
        COUNTS[name] = COUNTS.get(name, 0) + 1
        return Counter(value=sum(COUNTS.values()))

    def count() -> int:
        return COUNTS.get(name, 0)

    query = strawberry.type(
        type(f"{name.title()}Query", (), {f"count_{name}": strawberry.field(resolver=count)})
    )
    mutation = strawberry.type(
        type(f"{name.title()}Mutation", (), {f"bump_{name}": strawberry.mutation(resolver=bump)})
    )
    return build_subgraph_schema(query, mutation=mutation)


async def test_mutation_fields_run_one_after_another_in_document_order() -> None:
    COUNTS.clear()
    gateway = await local_gateway({"left": counter_schema("left"), "right": counter_schema("right")}, context)
    recorder = Recorder(gateway)
    _, body = await gateway.execute(
        "mutation { a: bumpLeft { value } b: bumpRight { value } c: bumpLeft { value } }"
    )
    # Each answer counts the bumps before it: the second field saw the first, the third saw both.
    assert body == {"data": {"a": {"value": 1}, "b": {"value": 2}, "c": {"value": 3}}}
    assert [call[0] for call in recorder.calls] == ["left", "right", "left"]


async def test_over_http_a_subgraph_never_sees_more_than_its_concurrency_limit() -> None:
    in_flight = {"now": 0, "most": 0}

    async def slow_subgraph(scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        in_flight["now"] += 1
        in_flight["most"] = max(in_flight["most"], in_flight["now"])
        await asyncio.sleep(0.05)
        in_flight["now"] -= 1
        body = json.dumps({"data": {"countLeft": 0}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    server = UvicornThread(slow_subgraph).start()
    try:
        async with httpx.AsyncClient() as client:
            transport = OverHttp(f"{server.url}/graphql", client, concurrency=2)
            answers = await asyncio.gather(*(transport("{ countLeft }", {}, None) for _ in range(6)))
        assert answers == [{"data": {"countLeft": 0}}] * 6
        assert in_flight["most"] == 2
    finally:
        server.stop()


def test_gateway_command_refuses_to_start_when_a_subgraph_gives_no_sdl(tmp_path) -> None:
    url = f"http://127.0.0.1:{free_port()}/graphql"  # nothing listens there
    completed = subprocess.run(
        [sys.executable, "-m", "govgraph", "gateway", "--subgraph", f"land={url}"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 1
    assert completed.stderr.startswith(
        f'govgraph: subgraph "land" at {url} did not give its SDL (ConnectError'
    )


@pytest.mark.e2e
def test_gateway_command_refuses_subgraphs_that_do_not_compose(live_subgraphs, tmp_path) -> None:
    # The same products subgraph under two names: each field both resolve without @shareable is a conflict,
    # and the first one met is reported with both subgraphs' names.
    products_url = live_subgraphs.urls["products"]
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "govgraph",
            "gateway",
            "--subgraph",
            f"a={products_url}",
            "--subgraph",
            f"b={products_url}",
        ],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 1
    assert completed.stderr.startswith(
        'govgraph: Non-shareable field "CaseStudy.caseNumber" is resolved from subgraphs "a" and "b"'
    )


def test_in_production_build_app_graphql_refuses_introspection_and_serves_no_graphiql(tmp_path) -> None:
    settings = Settings.from_env({"GOVGRAPH_DATA": str(tmp_path), "GOVGRAPH_ENV": "production"})
    with TestClient(build_app(settings)) as client:
        body = client.post("/graphql", json={"query": '{ __type(name: "Parcel") { name } }'}).json()
        assert body == {
            "errors": [
                {
                    "message": "GraphQL introspection has been disabled, but the requested query contained "
                    'the field "__type".',
                    "locations": [{"line": 1, "column": 3}],
                    "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                }
            ]
        }
        assert client.get("/graphql", headers={"accept": "text/html"}).status_code == 400
        # Queries still work (production seeds no demo data, hence the empty list).
        parcels = client.post("/graphql", json={"query": "{ parcels(first: 1) { id owner { id } } }"}).json()
        assert parcels == {"data": {"parcels": []}}
