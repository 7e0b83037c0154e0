"""The embedded gateway shares identical query fetches in flight (as Hive Gateway's executor does): concurrent
requests over real subgraph schemas whose resolvers count their calls and hold them until opened, so the
requests overlap, in-process and over HTTP."""

from __future__ import annotations

import asyncio
import copy
import os
import re
import subprocess
import sys
import threading

import httpx
import pytest
import strawberry

from govgraph.app import build_app
from govgraph.config import Settings
from govgraph.federation.errors import NotFound
from govgraph.federation.gateway import Gateway
from govgraph.federation.gateway.dedup import SharedFetches
from govgraph.federation.gateway.endpoint import local_gateway, remote_gateway
from govgraph.federation.gateway.transports import OverHttp
from govgraph.federation.subgraph import build_subgraph_schema, standalone_app, subgraph_view
from tests.support.servers import UvicornThread, free_port, wait_until_healthy

ITEMS_WITH_REVIEWS = "query ($n: Int!) { items(first: 2) { id name tags reviews(first: $n) { stars } } }"
ITEM = "query ($id: ID!) { item(id: $id) { id name } }"


class Gate:
    """Counts one subgraph's resolver calls and holds each until opened. Thread-safe: a subgraph served over
    HTTP runs in uvicorn's thread."""

    def __init__(self) -> None:
        self.calls = 0
        self.cancelled = 0
        self._open = threading.Event()
        self._lock = threading.Lock()

    async def enter(self) -> None:
        with self._lock:
            self.calls += 1
        try:
            while not self._open.is_set():
                await asyncio.sleep(0.001)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise

    def open(self) -> None:
        self._open.set()


GATES: dict[str, Gate] = {}
RENAMES: list[str] = []


@pytest.fixture(autouse=True)
def gates() -> dict[str, Gate]:
    GATES.clear()
    GATES.update(catalog=Gate(), reviews=Gate())
    RENAMES.clear()
    return GATES


@strawberry.federation.type(keys=["id"])
class Item:
    id: strawberry.ID
    name: str
    tags: list[str]


def item(n: int | str) -> Item:
    return Item(id=strawberry.ID(str(n)), name=f"item {n}", tags=["new", f"tag {n}"])


@strawberry.type
class CatalogQuery:
    @strawberry.field
    async def items(self, first: int) -> list[Item]:
        await GATES["catalog"].enter()
        return [item(n) for n in range(first)]

    @strawberry.field(name="item")
    async def item_by_id(self, id: strawberry.ID) -> Item | None:  # noqa: A002
        await GATES["catalog"].enter()
        return item(id)


@strawberry.type
class CatalogMutation:
    @strawberry.mutation
    async def rename(self, id: strawberry.ID, name: str) -> Item:  # noqa: A002
        await GATES["catalog"].enter()
        RENAMES.append(name)
        return Item(id=id, name=f"{name} (rename {len(RENAMES)})", tags=[])


@strawberry.type
class Review:
    stars: int


@strawberry.federation.type(name="Item", keys=["id"])
class ReviewedItem:
    id: strawberry.ID

    @strawberry.field
    def reviews(self, first: int) -> list[Review]:
        return [Review(stars=5 - k) for k in range(first)]

    @strawberry.field
    def rating(self) -> float | None:
        if self.id == "1":
            raise NotFound("item 1 has no rating yet")
        return 4.5

    @classmethod
    async def resolve_reference(cls, id: strawberry.ID) -> ReviewedItem:  # noqa: A002
        await GATES["reviews"].enter()
        return cls(id=id)


def schemas() -> dict:
    return {
        "catalog": build_subgraph_schema(CatalogQuery, mutation=CatalogMutation, types=[Item]),
        "reviews": build_subgraph_schema(None, types=[ReviewedItem]),
    }


def items_with_reviews(n: int) -> dict:
    """The answer to ITEMS_WITH_REVIEWS."""
    return {
        "data": {
            "items": [
                {
                    "id": str(i),
                    "name": f"item {i}",
                    "tags": ["new", f"tag {i}"],
                    "reviews": [{"stars": 5 - k} for k in range(n)],
                }
                for i in range(2)
            ]
        }
    }


async def until(condition, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.002)


async def overlapped(gateway: Gateway, requests: list[tuple[str, dict]], opens: list[str]) -> list[tuple]:
    """Send the queries `requests` at once; open each gate in `opens` once every request waits for an answer
    from its subgraph. The (status, body) answers, in request order."""
    tasks = [asyncio.ensure_future(gateway.execute(query, variables)) for query, variables in requests]
    for name in opens:
        await until(lambda name=name: gateway.shared.waiting(name) == len(requests))
        GATES[name].open()
    return await asyncio.gather(*tasks)


async def test_concurrent_identical_queries_share_each_subgraph_fetch() -> None:
    gateway = await local_gateway(schemas())
    answers = await overlapped(gateway, [(ITEMS_WITH_REVIEWS, {"n": 2})] * 5, ["catalog", "reviews"])
    assert answers == [(200, items_with_reviews(2))] * 5
    # One `items` execution for the five requests, and one `_entities` resolving each of the two items once.
    assert (GATES["catalog"].calls, GATES["reviews"].calls) == (1, 2)
    assert len(gateway.shared) == 0


async def test_with_deduplication_off_every_request_executes() -> None:
    gateway = await local_gateway(schemas(), deduplicate=False)
    assert gateway.shared is None
    tasks = [asyncio.ensure_future(gateway.execute(ITEMS_WITH_REVIEWS, {"n": 2})) for _ in range(5)]
    await until(lambda: GATES["catalog"].calls == 5)  # all five are in the subgraph at once
    GATES["catalog"].open()
    GATES["reviews"].open()
    assert await asyncio.gather(*tasks) == [(200, items_with_reviews(2))] * 5
    assert (GATES["catalog"].calls, GATES["reviews"].calls) == (5, 10)


async def test_different_variables_are_not_shared() -> None:
    gateway = await local_gateway(schemas())
    requests = [(ITEM, {"id": "a"}), (ITEM, {"id": "b"}), (ITEM, {"id": "a"}), (ITEM, {"id": "c"})]
    answers = await overlapped(gateway, requests, ["catalog"])
    assert [body for _, body in answers] == [
        {"data": {"item": {"id": key, "name": f"item {key}"}}} for key in ("a", "b", "a", "c")
    ]
    assert GATES["catalog"].calls == 3


async def test_the_variables_key_is_canonical_json() -> None:
    # One variables object with its keys in two orders is one request.
    query = "query ($id: ID!, $n: Int!) { item(id: $id) { id reviews(first: $n) { stars } } }"
    gateway = await local_gateway(schemas())
    answers = await overlapped(
        gateway, [(query, {"id": "7", "n": 1}), (query, {"n": 1, "id": "7"})], ["catalog", "reviews"]
    )
    assert answers == [(200, {"data": {"item": {"id": "7", "reviews": [{"stars": 5}]}}})] * 2
    assert (GATES["catalog"].calls, GATES["reviews"].calls) == (1, 1)


async def test_mutations_are_never_shared_nor_their_entity_fetches() -> None:
    gateway = await local_gateway(schemas())
    mutation = 'mutation { rename(id: "3", name: "lamp") { name reviews(first: 1) { stars } } }'
    tasks = [asyncio.ensure_future(gateway.execute(mutation)) for _ in range(3)]
    for name in ("catalog", "reviews"):  # all three are in each subgraph at once
        await until(lambda name=name: GATES[name].calls == 3)
        GATES[name].open()
    answers = await asyncio.gather(*tasks)
    assert sorted(body["data"]["rename"]["name"] for _, body in answers) == [
        "lamp (rename 1)",
        "lamp (rename 2)",
        "lamp (rename 3)",
    ]
    assert all(body["data"]["rename"]["reviews"] == [{"stars": 5}] for _, body in answers)
    assert (GATES["catalog"].calls, GATES["reviews"].calls) == (3, 3)


async def test_a_subgraph_error_in_a_shared_fetch_reaches_every_waiter_as_without_sharing() -> None:
    query = "{ items(first: 2) { id rating } }"
    expected = {
        "data": {"items": [{"id": "0", "rating": 4.5}, {"id": "1", "rating": None}]},
        "errors": [
            {
                "message": "item 1 has no rating yet",
                "path": ["items", 1, "rating"],
                "extensions": {"code": "NOT_FOUND", "serviceName": "reviews"},
            }
        ],
    }
    gateway = await local_gateway(schemas())
    answers = await overlapped(gateway, [(query, {})] * 4, ["catalog", "reviews"])
    assert answers == [(200, expected)] * 4
    assert (GATES["catalog"].calls, GATES["reviews"].calls) == (1, 2)
    unshared = await local_gateway(schemas(), deduplicate=False)
    assert await unshared.execute(query) == (200, expected)


async def test_a_failed_shared_request_reaches_every_waiter_as_a_subgraph_request_failure() -> None:
    # reviews over HTTP answers 502 with an HTML page, after holding the request until released.
    seen = {"requests": 0}
    release = threading.Event()

    async def broken_reviews(scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        seen["requests"] += 1
        while not release.is_set():
            await asyncio.sleep(0.002)
        headers = [(b"content-type", b"text/html")]
        await send({"type": "http.response.start", "status": 502, "headers": headers})
        await send({"type": "http.response.body", "body": b"<html>bad gateway</html>"})

    query = "{ items(first: 2) { id name rating } }"
    expected = {
        "data": {
            "items": [
                {"id": "0", "name": "item 0", "rating": None},
                {"id": "1", "name": "item 1", "rating": None},
            ]
        },
        "errors": [
            {
                "message": 'Request to subgraph "reviews" failed: JSONDecodeError',
                "path": ["items"],
                "extensions": {"code": "SUBGRAPH_REQUEST_FAILED", "serviceName": "reviews"},
            }
        ],
    }
    server = UvicornThread(broken_reviews).start()
    GATES["catalog"].open()
    try:
        async with httpx.AsyncClient() as client:
            local = await local_gateway(schemas())
            for deduplicate, requests in ((True, 1), (False, 4)):
                seen["requests"] = 0
                release.clear()
                transports = {**local.transports, "reviews": OverHttp(f"{server.url}/graphql", client)}
                gateway = Gateway(local.supergraph, transports, deduplicate=deduplicate)
                tasks = [asyncio.ensure_future(gateway.execute(query)) for _ in range(4)]
                # Shared: the four wait for the one request; not shared: the four requests are in reviews.
                await until(
                    lambda gateway=gateway, requests=requests: (
                        seen["requests"] == requests
                        and (gateway.shared is None or gateway.shared.waiting("reviews") == 4)
                    )
                )
                release.set()
                assert await asyncio.gather(*tasks) == [(200, expected)] * 4
                assert seen["requests"] == requests
    finally:
        server.stop()


async def test_a_cancelled_waiter_leaves_the_shared_fetch_to_the_others() -> None:
    gateway = await local_gateway(schemas())
    tasks = [asyncio.ensure_future(gateway.execute(ITEMS_WITH_REVIEWS, {"n": 1})) for _ in range(3)]
    await until(lambda: GATES["catalog"].calls == 1 and gateway.shared.waiting("catalog") == 3)
    tasks[0].cancel()  # the request that started the fetch
    GATES["catalog"].open()
    GATES["reviews"].open()
    assert await asyncio.gather(*tasks[1:]) == [(200, items_with_reviews(1))] * 2
    assert tasks[0].cancelled()
    assert (GATES["catalog"].calls, GATES["catalog"].cancelled, GATES["reviews"].calls) == (1, 0, 2)


async def test_a_fetch_every_waiter_abandoned_is_cancelled_and_the_next_request_starts_anew() -> None:
    gateway = await local_gateway(schemas())
    tasks = [asyncio.ensure_future(gateway.execute(ITEM, {"id": "9"})) for _ in range(2)]
    await until(lambda: GATES["catalog"].calls == 1 and gateway.shared.waiting("catalog") == 2)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await until(lambda: GATES["catalog"].cancelled == 1)
    assert len(gateway.shared) == 0
    GATES["catalog"].open()
    answer = await gateway.execute(ITEM, {"id": "9"})
    assert answer == (200, {"data": {"item": {"id": "9", "name": "item 9"}}})
    assert GATES["catalog"].calls == 2


async def test_over_http_concurrent_identical_queries_share_one_subgraph_request() -> None:
    servers = {
        name: UvicornThread(standalone_app(subgraph_view(schema))).start()
        for name, schema in schemas().items()
    }
    try:
        gateway = await remote_gateway({name: f"{server.url}/graphql" for name, server in servers.items()})
        answers = await overlapped(gateway, [(ITEMS_WITH_REVIEWS, {"n": 2})] * 5, ["catalog", "reviews"])
        assert answers == [(200, items_with_reviews(2))] * 5
        assert (GATES["catalog"].calls, GATES["reviews"].calls) == (1, 2)
    finally:
        for server in servers.values():
            server.stop()


class Snapshots:
    """Wraps each transport to keep every answer it gave and a deep copy taken as it gave it."""

    def __init__(self, gateway: Gateway) -> None:
        self.answers: list[tuple[dict, dict]] = []
        for name, transport in gateway.transports.items():
            gateway.transports[name] = self._keeping(transport)

    def _keeping(self, transport):
        async def send(document, variables, operation_name, forwarded=()):
            answer = await transport(document, variables, operation_name, forwarded)
            self.answers.append((answer, copy.deepcopy(answer)))
            return answer

        return send


async def test_a_shared_answer_is_never_written_to_while_each_request_merges_its_own() -> None:
    # Both requests share the `items` fetch; their `reviews` fetches differ ($n), and both are merged under
    # the same items: each request must see only its own, and the shared answer must stay as it came.
    gateway = await local_gateway(schemas())
    snapshots = Snapshots(gateway)
    answers = await overlapped(
        gateway, [(ITEMS_WITH_REVIEWS, {"n": 1}), (ITEMS_WITH_REVIEWS, {"n": 3})], ["catalog", "reviews"]
    )
    assert answers == [(200, items_with_reviews(1)), (200, items_with_reviews(3))]
    assert (GATES["catalog"].calls, GATES["reviews"].calls) == (1, 4)
    assert len(snapshots.answers) == 3
    assert all(answer == snapshot for answer, snapshot in snapshots.answers)


def containers(value, found: list) -> list:
    if isinstance(value, (dict, list)):
        found.append(value)
        for item in value.values() if isinstance(value, dict) else value:
            containers(item, found)
    return found


async def test_concurrent_responses_share_no_object() -> None:
    query = "{ items(first: 2) { id tags rating } }"
    gateway = await local_gateway(schemas())
    (_, first), (_, second) = await overlapped(gateway, [(query, {})] * 2, ["catalog", "reviews"])
    assert first == second
    assert GATES["catalog"].calls == 1
    assert not {id(c) for c in containers(first, [])} & {id(c) for c in containers(second, [])}
    expected = copy.deepcopy(second)
    first["data"]["items"][0]["tags"].append("changed")
    first["errors"][0]["path"][0] = "changed"
    first["errors"][0]["extensions"]["code"] = "changed"
    assert second == expected


async def test_shared_fetches_forget_a_request_once_it_fails() -> None:
    shared = SharedFetches()
    calls = []

    async def failing(document, variables, operation_name, forwarded=()):
        calls.append(document)
        await asyncio.sleep(0.01)
        raise httpx.ConnectError("connection refused")

    results = await asyncio.gather(
        *(shared.fetch("s", failing, "{ a }", {"x": [1, {"y": None}]}, None) for _ in range(3)),
        return_exceptions=True,
    )
    assert [type(result) for result in results] == [httpx.ConnectError] * 3
    assert results[0] is results[1] is results[2]
    assert calls == ["{ a }"] and len(shared) == 0
    with pytest.raises(httpx.ConnectError):
        await shared.fetch("s", failing, "{ a }", {"x": [1, {"y": None}]}, None)
    assert calls == ["{ a }", "{ a }"]


@pytest.mark.parametrize(("setting", "shares"), [("on", True), ("off", False)])
async def test_build_app_gateway_follows_the_deduplicate_setting(
    tmp_path, setting: str, shares: bool
) -> None:
    settings = Settings.from_env({"GOVGRAPH_DATA": str(tmp_path), "GOVGRAPH_GATEWAY_DEDUPLICATE": setting})
    app = build_app(settings)
    endpoint = app.state.gateway  # /graphql's endpoint, inside the CORS policy
    async with app.router.lifespan_context(app):
        assert isinstance((await endpoint.ready()).shared, SharedFetches) is shares


def bodies_read(log_path) -> int:
    """How many non-empty request bodies a server run at log level trace has read (uvicorn logs each ASGI
    message it passes to the app)."""
    return len(
        re.findall(r"Receive \{'type': 'http\.request', 'body': '<[1-9][0-9]* bytes>'", log_path.read_text())
    )


@pytest.mark.e2e
@pytest.mark.parametrize(("flag", "executions"), [("--deduplicate", 1), ("--no-deduplicate", 4)])
def test_the_gateway_command_shares_fetches_unless_told_not_to(flag: str, executions: int, tmp_path) -> None:
    servers = {
        name: UvicornThread(standalone_app(subgraph_view(schema))).start()
        for name, schema in schemas().items()
    }
    port = free_port()
    log_path = tmp_path / "gateway.log"
    arguments = [f"--subgraph={name}={server.url}/graphql" for name, server in servers.items()]
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "govgraph", "gateway", *arguments, flag, "--port", str(port)],
            env={
                **os.environ,
                "GOVGRAPH_DATA": str(tmp_path),
                "GOVGRAPH_HOST": "127.0.0.1",
                "GOVGRAPH_LOG_LEVEL": "trace",
            },
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/readiness", process, log_path)
        answers: list[dict] = []

        def ask() -> None:
            query = {"query": "{ items(first: 2) { id name } }"}
            answers.append(httpx.post(f"http://127.0.0.1:{port}/graphql", json=query, timeout=30).json())

        clients = [threading.Thread(target=ask) for _ in range(4)]
        for client in clients:
            client.start()
        # A request whose body the gateway has read reaches its fetch (shared or sent) before the event loop
        # turns again, so before any subgraph answer: all four are in once the four bodies are read.
        asyncio.run(until(lambda: bodies_read(log_path) == 4 and GATES["catalog"].calls >= executions))
        assert GATES["catalog"].calls == executions
        GATES["catalog"].open()
        for client in clients:
            client.join(timeout=30)
        assert (
            answers
            == [{"data": {"items": [{"id": "0", "name": "item 0"}, {"id": "1", "name": "item 1"}]}}] * 4
        )
    finally:
        GATES["catalog"].open()
        process.terminate()
        process.wait(timeout=15)
        for server in servers.values():
            server.stop()
