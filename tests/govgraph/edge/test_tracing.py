"""OpenTelemetry across processes, exported over real OTLP/HTTP to a receiver in this test: a client's W3C
trace continues through `govgraph gateway` (a server span, one client span per subgraph fetch) into a
standalone `govgraph subgraph land` (its server span is the fetch span's child), and the request id goes
along; `govgraph serve` traces its in-process fetches the same way."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx

from tests.support.otlp import OtlpReceiver, ReceivedSpan
from tests.support.servers import running_server

QUERY = "{ parcels(first: 2) { id } }"


def by_name(
    spans: list[ReceivedSpan], service: str, name: str, trace_id: str | None = None
) -> list[ReceivedSpan]:
    return [
        span
        for span in spans
        if span.service == service and span.name == name and trace_id in (None, span.trace_id)
    ]


def test_a_trace_runs_from_the_client_through_the_gateway_into_the_subgraph(
    tmp_path: Path, receiver: OtlpReceiver
) -> None:
    endpoint = receiver.url
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    env = {"GOVGRAPH_OTEL_ENDPOINT": endpoint, "GOVGRAPH_CORS_ORIGINS": "http://app.example.org"}
    for name in ("land", "gateway"):
        (tmp_path / name).mkdir()
    with running_server(
        tmp_path / "land", env=env, command=("subgraph", "land", "--port", "{port}"), health_path="/readiness"
    ) as land:
        # CORS on a standalone subgraph too.
        preflight = httpx.options(
            land.url + "/graphql",
            headers={"origin": "http://app.example.org", "access-control-request-method": "POST"},
        )
        assert preflight.headers["access-control-allow-origin"] == "http://app.example.org"
        gateway_command = ("gateway", "--subgraph", f"land={land.url}/graphql", "--port", "{port}")
        gateway_env = {"GOVGRAPH_OTEL_ENDPOINT": endpoint}
        with running_server(
            tmp_path / "gateway", env=gateway_env, command=gateway_command, health_path="/readiness"
        ) as gateway:
            response = httpx.post(
                gateway.url + "/graphql",
                json={"query": QUERY},
                headers={"traceparent": f"00-{trace_id}-{client_span}-01", "x-request-id": "trace-test-1"},
            )
            assert len(response.json()["data"]["parcels"]) == 2
            assert response.headers["x-request-id"] == "trace-test-1"
            spans = receiver.wait_for(
                lambda spans: (
                    by_name(spans, "govgraph-land", "POST /graphql", trace_id)
                    and by_name(spans, "govgraph", "subgraph land")
                )
            )
    [server] = by_name(spans, "govgraph", "POST /graphql")
    [fetch] = by_name(spans, "govgraph", "subgraph land")
    [subgraph] = by_name(spans, "govgraph-land", "POST /graphql", trace_id)
    assert (server.kind, fetch.kind, subgraph.kind) == ("SERVER", "CLIENT", "SERVER")
    assert {server.trace_id, fetch.trace_id, subgraph.trace_id} == {trace_id}
    assert server.parent_span_id == client_span
    assert fetch.parent_span_id == server.span_id
    assert subgraph.parent_span_id == fetch.span_id
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["govgraph.request_id"] == "trace-test-1"
    assert subgraph.attributes["govgraph.request_id"] == "trace-test-1"  # forwarded with the fetch
    assert fetch.attributes == {"govgraph.subgraph": "land"}
    # The subgraph's own requests (the gateway's SDL fetch at start-up) are traces of their own.
    assert all(span.trace_id != trace_id for span in spans if span not in (server, fetch, subgraph))


def test_the_embedded_gateway_traces_each_in_process_fetch(tmp_path: Path, receiver: OtlpReceiver) -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_SERVICE_NAME": "gg-test"}
    with running_server(tmp_path, env=env) as server:
        response = httpx.post(
            server.url + "/graphql",
            json={"query": "{ parcels(first: 1) { id } agencies { id } }"},
        )
        assert response.status_code == 200 and "errors" not in response.json()
        spans = receiver.wait_for(
            lambda spans: (
                by_name(spans, "gg-test", "subgraph land") and by_name(spans, "gg-test", "subgraph identity")
            )
        )
    [request] = [span for span in by_name(spans, "gg-test", "POST /graphql")]
    fetches = by_name(spans, "gg-test", "subgraph land") + by_name(spans, "gg-test", "subgraph identity")
    assert [(fetch.trace_id, fetch.parent_span_id) for fetch in fetches] == [
        (request.trace_id, request.span_id)
    ] * 2
    assert request.attributes["govgraph.request_id"] == response.headers["x-request-id"]
