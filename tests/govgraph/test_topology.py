"""The scaled-out topology on loopback, as docker/compose.yaml describes it: PostgreSQL, the schema migrated
by `govgraph db upgrade`, each agency subgraph as its own `govgraph subgraph` process (identity, land twice:
two replicas appending to one ledger, one of them signing; procurement, elections), the ledger subgraph, Hive
Gateway composing them and the embedded gateway (`govgraph gateway`) over HTTP beside it. A citizen's
credential journey and a whole election run through Hive Gateway; a test keeps docker/compose.yaml in step
with this topology."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
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

from govgraph.ledger.keys import read_vkey, witness_label, write_signer, write_witness_key
from govgraph.ledger.note import Signer
from tests.support.credential_flows import Service, wallet
from tests.support.credentials import REGISTER_PARCEL
from tests.support.databases import PostgresServer
from tests.support.servers import HiveGateway, LiveServer, free_port, running_server, wait_until_healthy

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker" / "compose.yaml"
SECRET = "topology-test-subgraph-secret"
# Process name -> agency, in start order: identity first (its witness cosigns the other agencies' logs over
# HTTP), the two land replicas, procurement, the election commission, then the ledger subgraph.
SUBGRAPHS = {
    "identity": "identity",
    "land": "land",
    "land-replica": "land",
    "procurement": "procurement",
    "elections": "elections",
    "ledger": "ledger",
}
# What every subgraph process is given (compose's x-subgraph environment has the same names).
SUBGRAPH_VARIABLES = {
    "GOVGRAPH_DATABASE_URL",
    "GOVGRAPH_DATA",
    "GOVGRAPH_HOST",
    "GOVGRAPH_ENV",
    "GOVGRAPH_SUBGRAPH_SECRET",
    "GOVGRAPH_VERIFY_WORKERS",
}
# Each agency's ledger keys are its own (its replicas share them); it holds the other agency's witness vkey
# and asks that witness over HTTP: (GOVGRAPH_LEDGER_KEYS, GOVGRAPH_WITNESSES) per process, in compose's terms.
LEDGER_KEYS = {name: agency for name, agency in SUBGRAPHS.items()}
WITNESSES = {
    "identity": ("land", "land"),
    "land": ("identity", "identity"),
    "land-replica": ("identity", "identity"),
    "procurement": ("identity", "identity"),
    "elections": ("identity", "identity"),
}
# Which subgraph URL each gateway is given: Hive Gateway one land replica, the embedded gateway the other.
HIVE = {
    "identity": "identity",
    "land": "land",
    "procurement": "procurement",
    "elections": "elections",
    "ledger": "ledger",
}
EMBEDDED = {**HIVE, "land": "land-replica"}


LEDGER_SIZE = '{ ledger(name: "identity") { size } }'
LAND_ENTRIES = '{ ledger(name: "land") { size entries { index } } }'
ELECTIONS_SIZE = '{ ledger(name: "elections") { size } }'
ELECTION_BOARD = "query($id: ID!) { election(id: $id) { state turnout result } }"
ELECTION_17 = {
    "mayor": {"kestrel": 1, "heron": 0, "wren": 3},
    "council": {"oak": 1, "maple": 0, "birch": 1, "cedar": 2},
}
ELECTIONS_ENTRIES = 1 + 3 + 5 + 3 * 4 + 1 + 4 + 2


def own_variables(name: str, keys: Path, port) -> dict[str, str]:
    """The variables process `name` has beyond SUBGRAPH_VARIABLES: its agency's key directory, the other
    agency's witness it asks over HTTP, and for identity the public URL its credential offers name."""
    own = {"GOVGRAPH_LEDGER_KEYS": str(keys / LEDGER_KEYS[name])}
    if name in WITNESSES:
        agency, process = WITNESSES[name]
        own["GOVGRAPH_WITNESSES"] = f"{agency}=http://127.0.0.1:{port(process)}/ledgers/{agency}/witness"
    if name == "identity":  # offers point at the issuer's endpoints, served by this process
        own["GOVGRAPH_PUBLIC_URL"] = f"http://127.0.0.1:{port(name)}"
    return own


def provision_keys(keys: Path) -> None:
    """What an operator does once: each ledger's signing key and its agency's witness key in the agency's
    own key directory, and each witness's public key copied to the other agency's."""
    for agency in ("identity", "land", "procurement", "elections"):
        origin = f"govgraph.example/{agency}"
        write_signer(keys / agency, agency, Signer.generate(origin))
        write_witness_key(keys / agency, agency, origin)
    for name, (agency, _) in WITNESSES.items():
        label = witness_label(agency)
        shutil.copy(keys / agency / f"{label}.vkey", keys / LEDGER_KEYS[name] / f"{label}.vkey")
    (keys / "ledger").mkdir()


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
    provision_keys(shared / "keys")
    ports = {name: free_port() for name in SUBGRAPHS}
    with ExitStack() as stack:
        subgraphs: dict[str, LiveServer] = {}
        for name in SUBGRAPHS:
            logs = root / name
            logs.mkdir()
            env = {**environment, **own_variables(name, shared / "keys", lambda process: ports[process])}
            subgraphs[name] = stack.enter_context(
                running_server(
                    logs,
                    "warning",
                    env=env,
                    command=subgraph_command(name, "{port}"),
                    health_path="/healthz",  # alive; ready only once the witnesses it asks are up
                    port=ports[name],
                )
            )
        for server in subgraphs.values():
            wait_until_healthy(server.url + "/readyz", server.process, server.log_path, timeout=10)
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
    """`govgraph election simulate` runs a whole election through Hive Gateway (the commission in its own
    process, on PostgreSQL); `govgraph election verify` then checks the record the commission's process
    serves against the elections ledger read through Hive Gateway, cosigned by the identity bureau's witness
    over HTTP."""
    hive = topology.hive.url.removesuffix("/graphql")
    service = Service(hive, topology.data_dir)
    token = service.token("commissioner-1", "official:elections", "clerk:identity", "trustee")
    done = govgraph(
        "election", "simulate", "--api", hive, "--token", token, "--voters", "4", "--trustees", "3",
        "--threshold", "2", "--absent", "1", "--seed", "17", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    election, codes = printed["election"], printed["tracking_codes"]
    assert election.startswith("sim-17-") and len(codes) == len(set(codes)) == 4
    # Seed 17's choices (the same whatever the deployment); every ballot picks one mayor.
    assert printed["expected"] == ELECTION_17
    board = service.data(ELECTION_BOARD, {"id": election}, token)["election"]
    assert (board["state"], board["turnout"], board["result"]) == ("PUBLISHED", 4, ELECTION_17)
    # Every step was one entry on the elections ledger (no demo data in production): the election created, its
    # 3 trustees named, 5 transitions (to KEY_CEREMONY, OPEN, CLOSED, TALLYING, PUBLISHED), 3 trustees x 4
    # ceremony steps, 1 spoiled and 4 cast ballots, 2 decryption shares (the absent trustee sent none).
    deadline = time.monotonic() + 10
    while (size := service.data(ELECTIONS_SIZE, {}, token)["ledger"]["size"]) != str(ELECTIONS_ENTRIES):
        assert time.monotonic() < deadline, f"the elections ledger's signed size is {size}"
        time.sleep(0.2)

    commission = topology.subgraphs["elections"].url
    keys = topology.data_dir / "keys" / "identity"
    verified = govgraph(
        "election", "verify", "--url", hive, "--record-url", commission, "--election", election,
        "--witness-key", read_vkey(keys, witness_label("identity")),
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f'Election "{election}": VERIFIED.' in verified.stdout
    assert f"OK    the checkpoint of {ELECTIONS_ENTRIES} entries is signed by the log key " in verified.stdout
    assert "OK    cosigned by 1 witness(es): govgraph.example/identity/witness\n" in verified.stdout
    assert "OK    every counted ballot of the record (4) is on the ledger" in verified.stdout
    assert "OK    the record's spoiled ballots (1) are exactly the ledger's" in verified.stdout
    assert verified.stdout.rstrip().endswith("Ledger: VERIFIED.")
    record = httpx.get(f"{commission}/elections/{election}/record.json").json()
    assert [ballot["tracking_code"] for ballot in record["ballots"]] == codes
    # Hive Gateway serves GraphQL only: the record is the commission's.
    assert httpx.get(f"{hive}/elections/{election}/record.json").status_code == 404


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
        name for name in ("land", "land-replica") if ready[name]["checkpoints"]["land"] != "not signing here"
    ]
    assert len(signing) == 1, ready  # one signer per ledger across the processes
    # ... whose checkpoints the identity bureau's witness, in another process, cosigned over HTTP
    assert ready[signing[0]]["checkpoints"]["land"] == "1/1 cosigned"
    assert ready[signing[0]]["witnesses"] == {"identity": "reachable"}
    assert ready["identity"]["witnesses"] == {"land": "reachable"}
    served = httpx.get(topology.subgraphs["ledger"].url + "/ledgers/land/checkpoint").text
    assert served.startswith("govgraph.example/land\n2\n")
    assert "\u2014 govgraph.example/identity/witness " in served


def govgraph(*arguments: str) -> subprocess.CompletedProcess:
    """A `govgraph` command as its user runs it (this tree's package: PYTHONPATH is passed on)."""
    return subprocess.run(
        [sys.executable, "-m", "govgraph", *arguments], capture_output=True, text=True, timeout=300
    )


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
    for name in SUBGRAPHS:
        environment = services[name]["environment"]
        expected = own_variables(name, Path("/keys"), lambda process: 0)
        assert set(environment) == SUBGRAPH_VARIABLES | set(expected), name
        assert Path(environment["GOVGRAPH_LEDGER_KEYS"]).name == LEDGER_KEYS[name]
        if name in WITNESSES:
            agency, _, prefix = environment["GOVGRAPH_WITNESSES"].partition("=")
            assert (agency, prefix.split("//")[1].split(":")[0]) == WITNESSES[name]
            assert prefix.endswith(f"/ledgers/{agency}/witness")
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for name in SUBGRAPHS:
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    embedded = services["embedded-gateway"]["command"]
    given = [embedded[i + 1].split("=", 1) for i, argument in enumerate(embedded) if argument == "--subgraph"]
    assert {name: url.split("//")[1].split(":")[0] for name, url in given} == EMBEDDED
    hive_subgraphs = services["compose"]["command"].split("compose.mjs", 1)[1].split()[2:]
    assert {item.split("=")[0]: item.split("//")[1].split(":")[0] for item in hive_subgraphs} == HIVE
