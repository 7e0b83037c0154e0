"""Hive Gateway traced the way govgraph is (docker/gateway/gateway.config.mjs): with GOVGRAPH_OTEL_ENDPOINT
set, the real Hive Gateway exports its spans over OTLP/HTTP to a receiver in this test, continuing the
client's W3C trace, and a standalone `govgraph subgraph land` (traced too) receives Hive's traceparent, so
its server span is the child of one of Hive's spans in the client's trace."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx

from govgraph.federation.node_composer import compose_supergraph
from tests.support.otlp import OtlpReceiver
from tests.support.servers import HiveGateway, running_server

QUERY = "{ parcels(first: 2) { id } }"


def test_hive_spans_reach_the_collector_and_carry_the_client_trace_into_the_subgraph(
    gateway_packages: None, tmp_path: Path, receiver: OtlpReceiver
) -> None:
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    env = {"GOVGRAPH_OTEL_ENDPOINT": receiver.url}
    command = ("subgraph", "land", "--port", "{port}")
    with running_server(tmp_path, env=env, command=command, health_path="/readiness") as land:
        supergraph = tmp_path / "supergraph.graphql"
        compose_supergraph({"land": f"{land.url}/graphql"}, supergraph)
        hive_env = {"GOVGRAPH_OTEL_ENDPOINT": receiver.url + "/", "OTEL_SERVICE_NAME": "hive-test"}
        hive = HiveGateway.start(supergraph, tmp_path / "hive.log", env=hive_env)
        try:
            response = httpx.post(
                hive.url,
                json={"query": QUERY},
                headers={"traceparent": f"00-{trace_id}-{client_span}-01"},
                timeout=30,
            )
            assert response.status_code == 200
            assert len(response.json()["data"]["parcels"]) == 2
            spans = receiver.wait_for(
                lambda spans: (
                    any(span.service == "govgraph-land" and span.trace_id == trace_id for span in spans)
                    and any(
                        span.service == "hive-test" and span.parent_span_id == client_span for span in spans
                    )
                )
            )
        finally:
            hive.stop()
    hive_spans = {span.span_id: span for span in spans if span.service == "hive-test"}
    in_trace = [span for span in hive_spans.values() if span.trace_id == trace_id]
    [root] = [span for span in in_trace if span.parent_span_id == client_span]
    assert (root.name, root.kind) == ("POST /graphql", "SERVER")
    assert sorted(span.name for span in in_trace) == [
        "POST /graphql",
        "graphql.context",
        "graphql.execute",
        "graphql.operation",
        "graphql.parse",
        "graphql.validate",
        "http.fetch",
        "subgraph.execute (land)",
    ]
    # Every Hive span of the request is in the client's trace, parented inside it.
    assert all(span.parent_span_id in hive_spans or span is root for span in in_trace)
    [subgraph] = [span for span in spans if span.service == "govgraph-land" and span.trace_id == trace_id]
    assert (subgraph.kind, subgraph.name) == ("SERVER", "POST /graphql")
    fetch = hive_spans[subgraph.parent_span_id]  # Hive's span that made the subgraph request
    assert (fetch.name, fetch.kind, fetch.trace_id) == ("http.fetch", "CLIENT", trace_id)
    assert hive_spans[fetch.parent_span_id].name == "subgraph.execute (land)"
