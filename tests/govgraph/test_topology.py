"""The scaled-out topology on loopback, as docker/compose.yaml describes it: PostgreSQL, the schema migrated
by `govgraph db upgrade`, each agency subgraph as its own `govgraph subgraph` process (identity; land twice,
two replicas behind one URL appending to one ledger, one of them signing; procurement, welfare, courts,
elections, the verifier with the issuer's published keys), the ledger subgraph, Hive Gateway composing them
and the embedded gateway (`govgraph gateway`) over HTTP beside it. A citizen's credential journey (issued by
the identity process, presented to the verifier's) and a whole election run through Hive Gateway, the
replicas share the requests, a witness that was down cosigns once it is back; a test keeps
docker/compose.yaml in step with this topology."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from govgraph.ledger.keys import read_vkey, witness_label, write_signer, write_witness_key
from govgraph.ledger.note import Signer
from tests.support.credential_flows import Service, adult_and_residence, wallet
from tests.support.credentials import REGISTER_PARCEL
from tests.support.databases import PostgresServer
from tests.support.servers import (
    HiveGateway,
    LiveServer,
    free_port,
    start_server,
    stop_server,
    wait_until_healthy,
)
from tests.support.welfare_flows import create as create_programme

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker" / "compose.yaml"
SECRET = "topology-test-subgraph-secret"
TIMEOUT = 60.0  # seconds for one HTTP exchange: 32 at once on a busy 2-core machine take a while
# Process name -> agency: identity (its witness cosigns most other logs over HTTP), land, procurement,
# welfare, courts, the election commission, then the ledger subgraph. All start side by side.
SUBGRAPHS = {
    "identity": "identity",
    "land": "land",
    "procurement": "procurement",
    "welfare": "welfare",
    "courts": "courts",
    "elections": "elections",
    "verifier": "verifier",
    "ledger": "ledger",
}
# Processes that verify credential presentations themselves, trusting the keys the identity bureau's issuer
# publishes (GOVGRAPH_CREDENTIAL_ISSUER); their requests name their own URL (GOVGRAPH_PUBLIC_URL).
VERIFYING = ("welfare", "elections", "verifier")
# Processes behind one URL: here replicas on one port (GOVGRAPH_REUSE_PORT, the kernel spreads connections),
# in compose `deploy.replicas` behind Docker's DNS. They append to one ledger; one of them signs it.
REPLICAS = {"land": 2}
# What every subgraph process is given (compose's x-subgraph environment has the same names).
SUBGRAPH_VARIABLES = {
    "GOVGRAPH_DATABASE_URL",
    "GOVGRAPH_DATA",
    "GOVGRAPH_HOST",
    "GOVGRAPH_ENV",
    "GOVGRAPH_SUBGRAPH_SECRET",
    "GOVGRAPH_VERIFY_WORKERS",
}
# Each agency's ledger keys are its own (under keys/<name>, shared by its replicas); it holds another agency's
# witness vkey and asks that witness over HTTP (GOVGRAPH_WITNESSES): process -> the agency whose witness.
WITNESSES = {
    "identity": "land",
    "land": "identity",
    "procurement": "identity",
    "welfare": "courts",
    "courts": "identity",
    "elections": "identity",
}
# Which subgraph process each gateway is given (both reach the land replicas through their one URL).
HIVE = {name: name for name in SUBGRAPHS}
EMBEDDED = dict(HIVE)


LEDGER_SIZE = '{ ledger(name: "identity") { size } }'
LAND_SIZE = '{ ledger(name: "land") { size } }'
ELECTIONS_SIZE = '{ ledger(name: "elections") { size } }'
ELECTION_BOARD = "query($id: ID!) { election(id: $id) { state turnout result } }"
ELECTION_17 = {
    "mayor": {"kestrel": 1, "heron": 0, "wren": 3},
    "council": {"oak": 1, "maple": 0, "birch": 1, "cedar": 2},
}
ELECTIONS_ENTRIES = 1 + 1 + 3 + 5 + 3 * 4 + 1 + 4 + 2  # the roll's definition is an entry too
COURTS_WITNESS_LINE = "\u2014 govgraph.example/courts/witness "


def own_variables(name: str, keys: Path, port) -> dict[str, str]:
    """The variables process `name` has beyond SUBGRAPH_VARIABLES: its agency's key directory, the other
    agency's witness it asks over HTTP, for identity the public URL its credential offers name, and for
    replicas the shared port."""
    own = {"GOVGRAPH_LEDGER_KEYS": str(keys / name)}
    if name in WITNESSES:
        agency = WITNESSES[name]
        own["GOVGRAPH_WITNESSES"] = f"{agency}=http://127.0.0.1:{port(agency)}/ledgers/{agency}/witness"
    if name == "identity" or name in VERIFYING:  # offers and presentation requests point at this process
        own["GOVGRAPH_PUBLIC_URL"] = f"http://127.0.0.1:{port(name)}"
    if name in VERIFYING:
        own["GOVGRAPH_CREDENTIAL_ISSUER"] = f"http://127.0.0.1:{port('identity')}"
    if name in REPLICAS:
        own["GOVGRAPH_REUSE_PORT"] = "true"
    return own


def provision_keys(keys: Path) -> None:
    """What an operator does once: each ledger's signing key and its agency's witness key in the agency's
    own key directory, and each witness's public key copied to the directory of the agency that asks it."""
    for agency in WITNESSES:
        origin = f"govgraph.example/{agency}"
        write_signer(keys / agency, agency, Signer.generate(origin))
        write_witness_key(keys / agency, agency, origin)
    for name, agency in WITNESSES.items():
        label = witness_label(agency)
        shutil.copy(keys / agency / f"{label}.vkey", keys / name / f"{label}.vkey")
    (keys / "ledger").mkdir()
    (keys / "verifier").mkdir()  # no ledger: its secret for keyed hashes only (created at its first start)


def subgraph_command(name: str, port: int | str) -> list[str]:
    return ["subgraph", SUBGRAPHS[name], "--port", str(port)]


@dataclass
class Topology:
    database_url: str
    data_dir: Path
    subgraphs: dict[str, LiveServer]  # by process name; a replicated one: its first replica (the URL is one)
    hive: HiveGateway
    embedded: LiveServer
    root: Path
    environments: dict[str, dict[str, str]]
    ports: dict[str, int]

    def post(self, url: str, query: str, variables: dict, token: str) -> dict:
        response = httpx.post(
            url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def start(self, name: str, replica: int = 1) -> LiveServer:
        """Start subgraph process `name` (its `replica`-th), not waiting for it."""
        logs = self.root / (name if replica == 1 else f"{name}-{replica}")
        logs.mkdir(exist_ok=True)
        return start_server(
            logs,
            "warning",
            env=self.environments[name],
            command=subgraph_command(name, "{port}"),
            port=self.ports[name],
        )


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
    environments = {
        name: {**environment, **own_variables(name, shared / "keys", lambda process: ports[process])}
        for name in SUBGRAPHS
    }
    with ExitStack() as stack:
        started = Topology(database_url, shared, {}, None, None, root, environments, ports)  # type: ignore[arg-type]
        processes: list[LiveServer] = []
        for name in SUBGRAPHS:  # every process at once; each waited for below
            for replica in range(1, REPLICAS.get(name, 1) + 1):
                server = started.start(name, replica)
                stack.callback(stop_server, server)
                processes.append(server)
                started.subgraphs.setdefault(name, server)
        for server in processes:  # alive; ready only once the witnesses it asks are up
            wait_until_healthy(server.url + "/healthz", server.process, server.log_path, timeout=180)
        for name, replicas in REPLICAS.items():  # every replica answers on the one port
            assert len(instances(started.subgraphs[name].url, replicas)) == replicas
        for server in started.subgraphs.values():
            wait_until_healthy(server.url + "/readyz", server.process, server.log_path, timeout=10)
        embedded_logs = root / "embedded"  # started first: it composes while Hive Gateway starts
        embedded_logs.mkdir()
        arguments = ["gateway", "--port", "{port}"]
        for name, process in EMBEDDED.items():
            arguments += ["--subgraph", f"{name}={started.subgraphs[process].url}/graphql"]
        started.embedded = start_server(embedded_logs, "warning", env=environment, command=arguments)
        stack.callback(stop_server, started.embedded)
        from govgraph.federation.node_composer import compose_supergraph

        os.environ["GOVGRAPH_SUBGRAPH_SECRET"] = SECRET  # the composer and Hive Gateway send it
        stack.callback(os.environ.pop, "GOVGRAPH_SUBGRAPH_SECRET", None)
        supergraph = root / "supergraph.graphql"
        compose_supergraph(
            {name: started.subgraphs[process].url + "/graphql" for name, process in HIVE.items()}, supergraph
        )
        started.hive = HiveGateway.start(supergraph, root / "hive.log")
        stack.callback(started.hive.stop)
        embedded = started.embedded
        wait_until_healthy(embedded.url + "/readiness", embedded.process, embedded.log_path, timeout=120)
        yield started
    postgres_server.drop_database(database_url)


def instances(url: str, expected: int, timeout: float = 30.0) -> dict[str, float]:
    """Each process answering at `url`, by pid, with how many POST /graphql it answered with 200: read from
    its /metrics over a new connection each time (the kernel hands each to one replica) until `expected`
    processes answered."""
    seen: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < expected:
        assert time.monotonic() < deadline, f"only {sorted(seen)} answered at {url}"
        text = httpx.get(url + "/metrics", timeout=TIMEOUT).text
        pid = re.search(r'^govgraph_instance_info\{pid="([0-9]+)"\} 1\.0$', text, re.MULTILINE)
        assert pid is not None, text[:500]
        seen[pid.group(1)] = graphql_posts(text)
    return seen


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
    # The presentation half: a request made through Hive Gateway by the verifier, in its own process with
    # the issuer's published keys; the wallet answers it there; the result read through Hive Gateway.
    official = service.token("official-2", "official:verifier")
    ask = service.ask(official, adult_and_residence(dt.date.today()), "topology check")
    verifier = httpx.get(topology.subgraphs["verifier"].url + "/readyz", timeout=TIMEOUT).json()
    assert (verifier["status"], verifier["credential issuer"]) == ("ready", "ok")  # the keys were fetched
    metadata = "/.well-known/openid-credential-issuer"  # the issuer's, not the verifier's
    assert httpx.get(topology.subgraphs["verifier"].url + metadata, timeout=TIMEOUT).status_code == 404
    requested = httpx.URL(ask["requestUri"]).params["request_uri"]
    assert requested.startswith(topology.subgraphs["verifier"].url + "/presentations/requests/")
    presented = wallet(tmp_path / "wallet.json", "present", ask["requestUri"], "--yes")
    assert presented.returncode == 0, presented.stderr
    assert presented.stdout.splitlines()[-1] == "sent: the verifier accepted the presentation"
    result = service.result(official, ask["id"])
    assert (result["status"], result["disclosed"], result["failure"]) == (
        "VERIFIED",
        {"residence": "Riverside"},
        None,
    )
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
    record = httpx.get(f"{commission}/elections/{election}/record.json", timeout=TIMEOUT).json()
    assert [ballot["tracking_code"] for ballot in record["ballots"]] == codes
    # Hive Gateway serves GraphQL only: the record is the commission's.
    assert httpx.get(f"{hive}/elections/{election}/record.json", timeout=TIMEOUT).status_code == 404


def test_two_land_replicas_behind_one_url_share_the_requests_and_append_to_one_ledger(topology: Topology):
    service = Service(topology.hive.url.removesuffix("/graphql"), topology.data_dir)
    clerk = service.token("clerk-2", "clerk:land", "clerk:identity")
    owner = service.enrol(clerk, dt.date(1980, 1, 2))
    land = topology.subgraphs["land"].url  # the one URL both gateways have for land
    before = instances(land, REPLICAS["land"])
    gateways = [topology.hive.url, topology.embedded.url + "/graphql"]
    registered = 0

    def register(number: int) -> None:
        parcel = {"id": f"parcel-topology-{number}", "area": 100.0, "locality": "Eastgate", "owner": owner}
        answer = topology.post(gateways[number % 2], REGISTER_PARCEL, {"input": parcel}, clerk)
        assert answer == {"data": {"registerParcel": {"id": parcel["id"], "locality": "Eastgate"}}}

    # 16 registrations at a time through each gateway: their connections to the land URL are spread over
    # the replicas by the kernel (a round again, rarely, until each replica has served some).
    with ThreadPoolExecutor(32) as pool:
        for _ in range(4):
            list(pool.map(register, range(registered, registered + 32)))
            registered += 32
            after = instances(land, REPLICAS["land"])
            if all(after[pid] > before[pid] for pid in before):
                break
    assert set(after) == set(before) and all(after[pid] > before[pid] for pid in before), (before, after)
    assert sum(after.values()) - sum(before.values()) == registered
    # Every registration on the one land ledger, signed (production: no demo data before them).
    deadline = time.monotonic() + 5
    while (size := service.data(LAND_SIZE, {}, clerk)["ledger"]["size"]) != str(registered):
        assert time.monotonic() < deadline, f"the land ledger's signed size is {size}"
        time.sleep(0.1)
    # One signer across the replicas: asked over new connections, one says it signs (cosigned by the identity
    # bureau's witness, in another process, over HTTP), the other that it does not.
    signing = {httpx.get(land + "/readyz", timeout=TIMEOUT).json()["checkpoints"]["land"] for _ in range(24)}
    assert signing == {"1/1 cosigned", "not signing here"}
    ready = httpx.get(topology.subgraphs["identity"].url + "/readyz", timeout=TIMEOUT).json()
    assert (ready["status"], ready["witnesses"]) == ("ready", {"land": "reachable"})
    served = httpx.get(topology.subgraphs["ledger"].url + "/ledgers/land/checkpoint", timeout=TIMEOUT).text
    assert served.startswith(f"govgraph.example/land\n{registered}\n")
    assert "\u2014 govgraph.example/identity/witness " in served


def test_a_checkpoint_signed_while_its_witness_was_down_is_cosigned_when_the_witness_is_back(
    topology: Topology,
):
    """The courts' witness cosigns the welfare office's ledger over HTTP. With the courts process stopped,
    welfare's /readyz names it; a programme created meanwhile is signed without its cosignature, and once
    the courts process runs again the same checkpoint is offered to it again and gets it."""
    service = Service(topology.hive.url.removesuffix("/graphql"), topology.data_dir)
    official = service.token("official-1", "official:welfare")
    welfare, courts = topology.subgraphs["welfare"].url, topology.subgraphs["courts"]
    stop_server(courts)
    state = wait_for_state(welfare, lambda state: state["status"] == "unavailable")
    assert (state["down"], state["witnesses"]) == (["witness courts"], {"courts": "unreachable"})
    programme = create_programme(service, official, "heating-topology", dt.date.today())
    assert programme["ledgerEntry"] == {"ledger": "welfare", "index": "0"}
    checkpoint = wait_for_checkpoint(topology, "welfare", lambda text: text.split("\n")[1] == "1")
    assert COURTS_WITNESS_LINE not in checkpoint
    topology.subgraphs["courts"] = restarted = topology.start("courts")
    try:
        wait_until_healthy(restarted.url + "/healthz", restarted.process, restarted.log_path)
        cosigned = wait_for_checkpoint(topology, "welfare", lambda text: COURTS_WITNESS_LINE in text)
        assert cosigned.startswith(checkpoint.split("\n\n")[0] + "\n\n")  # the same signed checkpoint
        state = wait_for_state(welfare, lambda state: state["status"] == "ready")
        assert (state["checkpoints"]["welfare"], state["witnesses"]) == (
            "1/1 cosigned",
            {"courts": "reachable"},
        )
    finally:
        topology.subgraphs["courts"] = courts
        stop_server(restarted)


def wait_for_state(url: str, done, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while not done(state := httpx.get(url + "/readyz", timeout=TIMEOUT).json()):
        assert time.monotonic() < deadline, state
        time.sleep(0.1)
    return state


def wait_for_checkpoint(topology: Topology, ledger: str, done, timeout: float = 10.0) -> str:
    """The checkpoint the ledger subgraph serves for `ledger`, once `done` holds for it."""
    url = f"{topology.subgraphs['ledger'].url}/ledgers/{ledger}/checkpoint"
    deadline = time.monotonic() + timeout
    while not done(text := httpx.get(url, timeout=TIMEOUT).text):
        assert time.monotonic() < deadline, text
        time.sleep(0.1)
    return text


def govgraph(*arguments: str) -> subprocess.CompletedProcess:
    """A `govgraph` command as its user runs it (this tree's package: PYTHONPATH is passed on)."""
    return subprocess.run(
        [sys.executable, "-m", "govgraph", *arguments], capture_output=True, text=True, timeout=300
    )


def graphql_posts(metrics: str) -> float:
    """How many POST /graphql requests a govgraph process answered with 200 (from its /metrics text)."""
    for line in metrics.splitlines():
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
        assert services[name].get("deploy", {}).get("replicas", 1) == REPLICAS.get(name, 1), name
    for name in SUBGRAPHS:
        environment = services[name]["environment"]
        expected = own_variables(name, Path("/keys"), lambda process: 0)
        assert set(environment) == SUBGRAPH_VARIABLES | set(expected), name
        assert Path(environment["GOVGRAPH_LEDGER_KEYS"]).name == name
        if name in WITNESSES:
            agency, _, prefix = environment["GOVGRAPH_WITNESSES"].partition("=")
            assert (agency, prefix.split("//")[1].split(":")[0]) == (WITNESSES[name], WITNESSES[name])
            assert prefix.endswith(f"/ledgers/{agency}/witness")
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for name in SUBGRAPHS:
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    embedded = services["embedded-gateway"]["command"]
    given = [embedded[i + 1].split("=", 1) for i, argument in enumerate(embedded) if argument == "--subgraph"]
    assert {name: url.split("//")[1].split(":")[0] for name, url in given} == EMBEDDED
    hive_subgraphs = services["compose"]["command"].split("compose.mjs", 1)[1].split()[2:]
    assert {item.split("=")[0]: item.split("//")[1].split(":")[0] for item in hive_subgraphs} == HIVE


EDGE_VARIABLES = {
    "GOVGRAPH_CORS_ORIGINS",
    "GOVGRAPH_CORS_CREDENTIALS",
    "GOVGRAPH_CORS_MAX_AGE",
    "GOVGRAPH_TRUSTED_DOCUMENTS",
    "GOVGRAPH_TRUSTED_DOCUMENTS_ONLY",
    "GOVGRAPH_OTEL_ENDPOINT",
    "OTEL_SERVICE_NAME",
}


def test_docker_compose_passes_the_edge_settings_to_both_gateways():
    """CORS, trusted documents and tracing reach Hive Gateway and the embedded gateway, rate limits, trusted
    proxies and the SSE keep-alive the embedded one; with nothing set on the host, compose's defaults are
    settings govgraph accepts, and they turn nothing on."""
    from govgraph.config import Settings

    services = yaml.safe_load(COMPOSE.read_text())["services"]
    hive, embedded = services["gateway"]["environment"], services["embedded-gateway"]["environment"]
    assert EDGE_VARIABLES <= set(hive)
    limits = {"GOVGRAPH_RATE_LIMITS", "GOVGRAPH_TRUSTED_PROXIES", "GOVGRAPH_SSE_KEEPALIVE"}
    assert EDGE_VARIABLES | limits <= set(embedded)

    def unset_on_host(value: str) -> str:
        return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", re.sub(r"\$\{[A-Z_]+:\?[^}]*\}", SECRET, value))

    settings = Settings.from_env({name: unset_on_host(str(value)) for name, value in embedded.items()})
    assert (settings.cors_origins, settings.cors_credentials, settings.cors_max_age) == ((), False, 600)
    assert (settings.trusted_documents, settings.trusted_documents_only) == (None, False)
    assert (settings.rate_limits, settings.trusted_proxies, settings.sse_keepalive) == ((), (), 12.0)
    assert (settings.otel_endpoint, settings.otel_service_name) == (None, "govgraph-embedded-gateway")
