"""The scaled-out topology on loopback, as docker/compose.yaml describes it: PostgreSQL, the schema migrated
by `govgraph db upgrade`, each agency subgraph as its own `govgraph subgraph` process (land twice: two
replicas appending to one ledger, one of them signing), the ledger subgraph, Hive Gateway composing them and
the embedded gateway (`govgraph gateway`) over HTTP beside it. A citizen's credential journey runs through
Hive Gateway; a test keeps docker/compose.yaml in step with this topology."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.credential_flows import Service, wallet
from tests.support.credentials import REGISTER_PARCEL
from tests.support.databases import PostgresServer
from tests.support.servers import HiveGateway, LiveServer, running_server

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker" / "compose.yaml"
SECRET = "topology-test-subgraph-secret"
# Process name -> agency, in start order: identity first (it creates its log and witness key, which the
# others' sequencers use as a cosigner), the two land replicas, then the ledger subgraph.
SUBGRAPHS = {"identity": "identity", "land": "land", "land-replica": "land", "ledger": "ledger"}
# What every subgraph process is given (compose's x-subgraph environment has the same names).
SUBGRAPH_VARIABLES = {
    "GOVGRAPH_DATABASE_URL",
    "GOVGRAPH_DATA",
    "GOVGRAPH_HOST",
    "GOVGRAPH_ENV",
    "GOVGRAPH_SUBGRAPH_SECRET",
    "GOVGRAPH_VERIFY_WORKERS",
}
# Which subgraph URL each gateway is given: Hive Gateway one land replica, the embedded gateway the other.
HIVE = {"identity": "identity", "land": "land", "ledger": "ledger"}
EMBEDDED = {"identity": "identity", "land": "land-replica", "ledger": "ledger"}


LEDGER_SIZE = '{ ledger(name: "identity") { size } }'
LAND_ENTRIES = '{ ledger(name: "land") { size entries { index } } }'


def subgraph_command(name: str, port: int | str) -> list[str]:
    return ["subgraph", SUBGRAPHS[name], "--port", str(port)]


@dataclass
class Topology:
    database_url: str
    data_dir: Path
    subgraphs: dict[str, LiveServer]
    hive: HiveGateway
    embedded: LiveServer

    def post(self, url: str, query: str, variables: dict, token: str) -> dict:
        response = httpx.post(
            url, json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def topology(
    gateway_packages: None, postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Topology]:
    database_url = postgres_server.create_database(migrated=False)
    root = tmp_path_factory.mktemp("topology")
    shared = root / "shared"  # the volume every process mounts: ledger keys, the embedded issuer's key
    shared.mkdir()
    environment = {
        "GOVGRAPH_DATABASE_URL": database_url,
        "GOVGRAPH_DATA": str(shared),
        "GOVGRAPH_HOST": "127.0.0.1",
        "GOVGRAPH_ENV": "production",
        "GOVGRAPH_SUBGRAPH_SECRET": SECRET,
        "GOVGRAPH_VERIFY_WORKERS": "0",
    }
    assert set(environment) == SUBGRAPH_VARIABLES
    migrate = subprocess.run(
        [sys.executable, "-m", "govgraph", "db", "upgrade"],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr
    with ExitStack() as stack:
        subgraphs: dict[str, LiveServer] = {}
        for name in SUBGRAPHS:
            logs = root / name
            logs.mkdir()
            env = dict(environment)
            if name == "identity":  # offers point at the issuer's endpoints, served by this process
                env["GOVGRAPH_PUBLIC_URL"] = "http://127.0.0.1:{port}"
            subgraphs[name] = stack.enter_context(
                running_server(
                    logs,
                    "warning",
                    env=env,
                    command=subgraph_command(name, "{port}"),
                    health_path="/readyz",
                )
            )
        from govgraph.federation.node_composer import compose_supergraph

        os.environ["GOVGRAPH_SUBGRAPH_SECRET"] = SECRET  # the composer and Hive Gateway send it
        stack.callback(os.environ.pop, "GOVGRAPH_SUBGRAPH_SECRET", None)
        supergraph = root / "supergraph.graphql"
        compose_supergraph(
            {name: subgraphs[process].url + "/graphql" for name, process in HIVE.items()}, supergraph
        )
        hive = HiveGateway.start(supergraph, root / "hive.log")
        stack.callback(hive.stop)
        embedded_logs = root / "embedded"
        embedded_logs.mkdir()
        arguments = ["gateway", "--port", "{port}"]
        for name, process in EMBEDDED.items():
            arguments += ["--subgraph", f"{name}={subgraphs[process].url}/graphql"]
        embedded = stack.enter_context(
            running_server(
                embedded_logs, "warning", env=environment, command=arguments, health_path="/readiness"
            )
        )
        yield Topology(database_url, shared, subgraphs, hive, embedded)
    postgres_server.drop_database(database_url)


def test_a_credential_is_offered_and_received_through_hive_gateway(topology: Topology, tmp_path: Path):
    service = Service(topology.hive.url.removesuffix("/graphql"), topology.data_dir)
    clerk = service.token("clerk-1", "clerk:identity")
    citizen = service.enrol(clerk, dt.date(1990, 5, 17))
    offer = service.offer(clerk, citizen)
    offered = httpx.URL(offer["offerUri"]).params["credential_offer_uri"]
    assert offered.startswith(topology.subgraphs["identity"].url + "/credentials/offers/")
    assert len(offer["txCode"]) == 6
    received = wallet(tmp_path / "wallet.json", "receive", offer["offerUri"], "--tx-code", offer["txCode"])
    assert received.returncode == 0, received.stderr
    # The enrolment and the issuance are on the identity ledger, signed and served by the ledger subgraph.
    # Exactly those two entries (production: no demo data), once the lease holder has signed them.
    deadline = time.monotonic() + 5
    while (size := service.data(LEDGER_SIZE, {}, clerk)["ledger"]["size"]) != "2":
        assert time.monotonic() < deadline, f"the identity ledger's signed size is {size}"
        time.sleep(0.1)


def test_the_election_journey_through_hive_gateway(topology: Topology):
    """HOOK for the elections agency (built in parallel): once `elections` is a standard agency, add it to
    SUBGRAPHS, HIVE and EMBEDDED (and docker/compose.yaml) and drive its journey here through
    `topology.hive.url`: open an election, cast ballots with credentials, tally, verify the record."""
    pytest.skip("TODO(elections): the elections subgraph is not in this branch yet")


def test_two_land_replicas_append_to_one_ledger_that_one_of_them_signs(topology: Topology):
    service = Service(topology.hive.url.removesuffix("/graphql"), topology.data_dir)
    clerk = service.token("clerk-2", "clerk:land", "clerk:identity")
    owner = service.enrol(clerk, dt.date(1980, 1, 2))
    # Hive Gateway reaches land through one replica, the embedded gateway through the other.
    routes = {"land": topology.hive.url, "land-replica": topology.embedded.url + "/graphql"}
    for number, (replica, url) in enumerate(routes.items()):
        before = graphql_posts(topology.subgraphs[replica].url)
        parcel = {
            "id": f"parcel-topology-{number}",
            "area": 100.0 + number,
            "locality": replica,
            "owner": owner,
        }
        answer = topology.post(url, REGISTER_PARCEL, {"input": parcel}, clerk)
        assert answer == {"data": {"registerParcel": {"id": parcel["id"], "locality": replica}}}
        assert graphql_posts(topology.subgraphs[replica].url) == before + 1  # this replica served it
    # Both registrations on the one land ledger, signed (production: no demo data before them).
    deadline = time.monotonic() + 5
    while (land := service.data(LAND_ENTRIES, {}, clerk)["ledger"]) is None or land["size"] != "2":
        assert time.monotonic() < deadline, f"the land ledger is {land}"
        time.sleep(0.1)
    assert [entry["index"] for entry in land["entries"]] == ["0", "1"]
    ready = {name: httpx.get(server.url + "/readyz").json() for name, server in topology.subgraphs.items()}
    assert all(state["status"] == "ready" for state in ready.values()), ready
    signing = [
        name for name in ("land", "land-replica") if ready[name]["witnesses"]["land"] != "not signing here"
    ]
    assert len(signing) == 1, ready  # one signer per ledger across the processes


def graphql_posts(url: str) -> float:
    """How many POST /graphql requests a govgraph process answered with 200 (its /metrics)."""
    for line in httpx.get(url + "/metrics").text.splitlines():
        if line.startswith('govgraph_http_requests_total{method="POST",route="/graphql",status="200"}'):
            return float(line.rpartition(" ")[2])
    return 0.0


def test_docker_compose_describes_the_same_topology():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    subgraphs = {
        name: service["command"]
        for name, service in services.items()
        if service.get("command", [""])[0] == "subgraph"
    }
    assert set(subgraphs) == set(SUBGRAPHS)
    for name, command in subgraphs.items():
        assert command == subgraph_command(name, command[3])
    environment = compose["x-subgraph"]["environment"]
    assert set(environment) == SUBGRAPH_VARIABLES
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for name in SUBGRAPHS:
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    embedded = services["embedded-gateway"]["command"]
    given = [embedded[i + 1].split("=", 1) for i, argument in enumerate(embedded) if argument == "--subgraph"]
    assert {name: url.split("//")[1].split(":")[0] for name, url in given} == EMBEDDED
    hive_subgraphs = services["compose"]["command"].split("compose.mjs", 1)[1].split()[2:]
    assert {item.split("=")[0]: item.split("//")[1].split(":")[0] for item in hive_subgraphs} == HIVE
