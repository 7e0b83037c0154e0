import re
import signal
import subprocess
import sys

import httpx
import pytest
import strawberry
from sqlalchemy import MetaData
from starlette.testclient import TestClient

from govgraph import __version__
from govgraph.agencies.registry import IDENTITY, LAND, Agency
from govgraph.app import build_app
from govgraph.config import Settings
from govgraph.federation.gateway.supergraph import CompositionError
from tests.support.servers import free_port


def metric_value(text: str, name: str, labels: str) -> float:
    match = re.search(rf"^{re.escape(name)}\{{{re.escape(labels)}\}} (\S+)$", text, re.MULTILINE)
    assert match, f"{name}{{{labels}}} not in metrics output"
    return float(match.group(1))


def test_healthz_reports_version(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


LEDGERS = ("identity", "land", "procurement", "welfare", "courts", "elections")


def test_readyz_names_each_dependency(client: TestClient, settings: Settings) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "down": [],
        "database": "ok",
        "ledgers": {name: "ok" for name in LEDGERS},
        # the demo data was signed at start-up, each log's checkpoint cosigned by the five other witnesses
        "checkpoints": {name: "5/5 cosigned" for name in LEDGERS},
        "witnesses": {},  # no other process's witness configured (GOVGRAPH_WITNESSES)
    }


def test_readyz_names_a_remote_witness_that_does_not_answer(data_dir) -> None:
    port = free_port()  # nothing listens there
    witness = f"courts=http://127.0.0.1:{port}/ledgers/courts/witness"
    settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir), "GOVGRAPH_WITNESSES": witness})
    with TestClient(build_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["down"], body["witnesses"]) == (
        "unavailable",
        ["witness courts"],
        {"courts": "unreachable"},
    )
    assert body["database"] == "ok"
    assert (settings.data_dir / "govgraph.db").is_file()


def test_readyz_is_unavailable_when_the_database_is_not(tmp_path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the database directory should be")
    settings = Settings.from_env(
        {"GOVGRAPH_DATA": str(tmp_path), "GOVGRAPH_DATABASE_URL": f"sqlite+aiosqlite:///{blocker}/gg.db"}
    )
    app = build_app(settings)
    with pytest.raises(OSError):  # the engine cannot even create its directory: start-up fails loudly
        with TestClient(app):
            pass


def test_readyz_answers_503_once_the_database_goes_away(settings: Settings) -> None:
    app = build_app(settings)
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        # Close the pooled connections, then take the database's directory away: the next connection fails.
        client.portal.call(app.state.engine.dispose)
        settings.data_dir.rename(settings.data_dir.with_name("moved-away"))
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"
        assert response.json()["down"][0] == "database"
        assert response.json()["database"] == "unreachable"


def test_the_gateway_is_composed_at_start_up_before_any_request(settings: Settings) -> None:
    app = build_app(settings)
    assert app.state.gateway.gateway is None
    with TestClient(app) as client:
        composed = app.state.gateway.gateway
        assert composed is not None
        response = client.post("/graphql", json={"query": '{ citizen(id: "cit_5b0e2f7c1a9d4e83") { id } }'})
        assert response.json() == {"data": {"citizen": {"id": "cit_5b0e2f7c1a9d4e83"}}}
        assert app.state.gateway.gateway is composed


@strawberry.type
class ClashingQuery:
    @strawberry.field
    def agencies(self) -> int:  # identity's Query.agencies is a list of Agency, and not @shareable
        return 0


def test_agencies_that_cannot_be_composed_stop_start_up_with_the_reason(settings: Settings) -> None:
    app = build_app(settings, [IDENTITY, LAND, Agency("clash", ClashingQuery, MetaData())])
    with pytest.raises(CompositionError) as refused:
        with TestClient(app):
            pass
    assert str(refused.value) == (
        'field "Query.agencies" has type "[Agency!]!" in subgraph "identity" but "Int!" in subgraph "clash"'
    )


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    for _ in range(3):
        client.get("/healthz")
    client.get("/no/such/page")
    body = client.get("/metrics").text
    assert (
        metric_value(body, "govgraph_http_requests_total", 'method="GET",route="/healthz",status="200"')
        == 3.0
    )
    assert (
        metric_value(body, "govgraph_http_requests_total", 'method="GET",route="<unmatched>",status="404"')
        == 1.0
    )
    assert (
        metric_value(body, "govgraph_http_request_duration_seconds_count", 'method="GET",route="/healthz"')
        == 3.0
    )


def test_each_app_has_its_own_counters(settings: Settings) -> None:
    with TestClient(build_app(settings)) as first:
        first.get("/healthz")
    with TestClient(build_app(settings)) as second:
        body = second.get("/metrics").text
    assert 'route="/healthz"' not in body


@pytest.mark.e2e
def test_real_server_serves_health_and_metrics(live_server) -> None:
    assert httpx.get(live_server.url + "/healthz").json() == {"status": "ok", "version": __version__}
    assert httpx.get(live_server.url + "/readyz").status_code == 200
    metrics = httpx.get(live_server.url + "/metrics")
    assert metrics.headers["content-type"].startswith("text/plain; version=")
    assert (
        metric_value(
            metrics.text, "govgraph_http_requests_total", 'method="GET",route="/healthz",status="200"'
        )
        >= 1.0
    )
    assert (
        metric_value(
            metrics.text, "govgraph_http_requests_total", 'method="GET",route="/readyz",status="200"'
        )
        == 1.0
    )


@pytest.mark.e2e
def test_real_server_stops_gracefully_on_sigterm(live_server) -> None:
    live_server.process.terminate()
    # uvicorn finishes the lifespan shutdown, then re-raises the signal it caught
    assert live_server.process.wait(timeout=15) == -signal.SIGTERM
    log = live_server.log_path.read_text()
    assert "govgraph stopped" in log
    assert (
        log.index("Waiting for application shutdown.")
        < log.index("govgraph stopped")
        < log.index("Application shutdown complete.")
    )


def test_serve_with_a_bad_port_exits_with_one_line_naming_the_variable(data_dir) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "govgraph", "serve"],
        capture_output=True,
        text=True,
        env={"GOVGRAPH_DATA": str(data_dir), "GOVGRAPH_PORT": "notaport", "PATH": ""},
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "govgraph: configuration error: GOVGRAPH_PORT='notaport' is invalid: "
        "expected a TCP port number 0-65535\n"
    )


def test_version_command_prints_the_package_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "govgraph", "version"], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout) == (0, __version__ + "\n")
