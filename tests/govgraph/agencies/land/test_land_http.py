"""The land registry end to end: a real `govgraph serve` process, clerks' tokens from its embedded issuer,
every call through the public /graphql (the embedded gateway). Surveyed parcels with JSON-FG places, overlap
refusals, shares, mortgages and cautions, a parcel's history with receipts, concurrent requests (overlapping
registrations, double sales, a caution racing sales), bad input on every land mutation (typed, nothing
appended), the GeoJSON export validated against the JSON-FG schema, and `govgraph land validate-geometry`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jsonschema
import pytest

from govgraph.agencies.land.geometry import validate
from tests.conftest import STANDARDS_DIR
from tests.support.credentials import issue_token
from tests.support.mutations import ledger_sizes
from tests.support.servers import LiveServer, running_server

pytestmark = pytest.mark.e2e

LAND = STANDARDS_DIR / "land"
REGISTER = """mutation ($input: RegisterParcelInput!) {
  registerParcel(input: $input) {
    id area locality spatialUnit { geometry calculatedArea place coordRefSys } } }"""
TRANSFER = """mutation ($input: TransferTitleInput!) {
  transferTitle(input: $input) { id share current owner { id } } }"""
MORTGAGE = """mutation ($input: RegisterMortgageInput!) {
  registerMortgage(input: $input) { id kind holder amount currency active } }"""
DISCHARGE = "mutation ($id: ID!) { dischargeMortgage(id: $id) { id active } }"
CAUTION = """mutation ($input: PlaceCautionInput!) {
  placeCaution(input: $input) { id kind reason active } }"""
LIFT = "mutation ($id: ID!) { liftCaution(id: $id) { id active } }"
LEASE = "mutation ($input: RegisterLeaseInput!) { registerLease(input: $input) { id kind holder endsOn } }"
END_LEASE = "mutation ($id: ID!) { endLease(id: $id) { id active } }"
UTM = "http://www.opengis.net/def/crs/EPSG/0/25831"
FG_PLACE = {
    "type": "Polygon",
    "coordinates": [
        [[600000.125, 2200000.5], [600105.0, 2200000.5], [600105.0, 2200111.0], [600000.125, 2200000.5]]
    ],
}


def square(lon: float, lat: float, side: float = 0.001) -> dict:
    ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def parcel(id: str, owner: str, lon: float, lat: float = 20.0) -> dict:
    return {"id": id, "locality": "Eastgate", "owner": owner, "geometry": square(lon, lat)}


@dataclass
class Registry:
    server: LiveServer
    data_dir: Path
    clerk: str
    auditor: str

    def post(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        token = self.clerk if token is None else token
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.server.url}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, query: str, variables: dict | None = None) -> dict:
        body = self.post(query, variables)
        assert "errors" not in body, body
        return body["data"]

    def size(self) -> int:
        return ledger_sizes(self.data_dir / "govgraph.db")["land"]

    def concurrently(self, requests: list[tuple[str, dict]]) -> list[dict]:
        async def run() -> list[dict]:
            async with httpx.AsyncClient(timeout=60) as client:

                async def one(query: str, variables: dict) -> dict:
                    response = await client.post(
                        f"{self.server.url}/graphql",
                        json={"query": query, "variables": variables},
                        headers={"authorization": f"Bearer {self.clerk}"},
                    )
                    return response.json()

                return await asyncio.gather(*(one(q, v) for q, v in requests))

        return asyncio.run(run())


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    data_dir = tmp_path_factory.mktemp("land")
    with running_server(data_dir, log_level="warning") as server:
        yield Registry(
            server,
            data_dir,
            issue_token(data_dir, "registrar-ines", "clerk:land"),
            issue_token(data_dir, "auditor-ugo", "auditor"),
        )
        log = server.log_path.read_text()
        assert "Traceback" not in log, log[-3000:]


def only_error(body: dict) -> tuple[str, str]:
    assert body.get("data") is None and len(body["errors"]) == 1, body
    return body["errors"][0]["extensions"]["code"], body["errors"][0]["message"]


def test_a_jsonfg_parcel_is_registered_and_its_place_returned_unchanged(registry: Registry) -> None:
    place = FG_PLACE
    feature = {
        "type": "Feature",
        "conformsTo": ["http://www.opengis.net/spec/json-fg-1/1.0/conf/core"],
        "coordRefSys": UTM,
        "place": place,
        "geometry": square(1.0, 20.0),
        "properties": None,
    }
    before = registry.size()
    created = registry.data(
        REGISTER, {"input": {"id": "fg-1", "locality": "Eastgate", "owner": "cit_fg", "geometry": feature}}
    )
    unit = created["registerParcel"]["spatialUnit"]
    assert (unit["place"], unit["coordRefSys"]) == (place, UTM)
    assert unit["geometry"] == {"type": "MultiPolygon", "coordinates": [square(1.0, 20.0)["coordinates"]]}
    assert (
        created["registerParcel"]["area"] == unit["calculatedArea"]
        and 11_500 < unit["calculatedArea"] < 11_700
    )
    assert registry.size() == before + 1
    again = registry.data('{ parcel(id: "fg-1") { spatialUnit { place coordRefSys } } }')
    assert again["parcel"]["spatialUnit"] == {"place": place, "coordRefSys": UTM}


def test_an_overlapping_parcel_is_refused_naming_the_registered_one(registry: Registry) -> None:
    registry.data(REGISTER, {"input": parcel("ov-1", "cit_a", 2.0)})
    before = registry.size()
    body = registry.post(REGISTER, {"input": parcel("ov-2", "cit_b", 2.0005)})
    assert only_error(body) == ("CONFLICT", "Parcel ov-2 overlaps registered parcel ov-1.")
    assert registry.size() == before


def test_of_concurrent_overlapping_registrations_over_http_one_succeeds(registry: Registry) -> None:
    before = registry.size()
    bodies = registry.concurrently(
        [(REGISTER, {"input": parcel(f"race-ov-{i}", "cit_a", 3.0 + i * 0.00005)}) for i in range(12)]
    )
    registered = [body["data"]["registerParcel"]["id"] for body in bodies if body.get("data")]
    refused = [only_error(body) for body in bodies if not body.get("data")]
    assert len(registered) == 1 and len(refused) == 11
    assert all(
        code == "CONFLICT" and message.endswith(f"overlaps registered parcel {registered[0]}.")
        for code, message in refused
    )
    assert registry.size() == before + 1


def test_concurrent_share_sales_never_sell_more_than_the_seller_holds(registry: Registry) -> None:
    registry.data(REGISTER, {"input": parcel("share-1", "cit_seller", 4.0)})
    before = registry.size()
    sales = [
        (
            TRANSFER,
            {"input": {"parcel": "share-1", "seller": "cit_seller", "buyer": f"cit_b{i}", "share": "1/2"}},
        )
        for i in range(10)
    ]
    bodies = registry.concurrently(sales)
    sold = [body["data"]["transferTitle"] for body in bodies if body.get("data")]
    # The first half-sale leaves the seller a half, the second sells it: two succeed, every other is refused.
    assert len(sold) == 2 and {title["share"] for title in sold} == {"1/2"}
    refused = {only_error(body) for body in bodies if not body.get("data")}
    assert refused == {("CONFLICT", "Parcel share-1 is not held by cit_seller.")}
    assert registry.size() == before + 2
    shared = registry.data('{ parcel(id: "share-1") { owner { id } titles { owner { id } share current } } }')
    titles = shared["parcel"]["titles"]
    assert shared["parcel"]["owner"] is None  # held in shares: no sole owner
    assert sorted((t["owner"]["id"], t["share"]) for t in titles if t["current"]) == sorted(
        (title["owner"]["id"], "1/2") for title in sold
    )


def test_a_caution_racing_sales_lets_no_sale_through_after_it(registry: Registry) -> None:
    registry.data(REGISTER, {"input": parcel("caution-race", "cit_owner", 5.0)})
    before = registry.size()
    requests = [
        (TRANSFER, {"input": {"parcel": "caution-race", "seller": "cit_owner", "buyer": f"cit_b{i}"}})
        for i in range(8)
    ]
    requests.insert(
        4,
        (
            CAUTION,
            {"input": {"parcel": "caution-race", "lodgedBy": "District Court", "reason": "Disputed sale"}},
        ),
    )
    bodies = registry.concurrently(requests)
    caution = bodies[4]["data"]["placeCaution"]
    sales = [body for i, body in enumerate(bodies) if i != 4]
    sold = [body["data"]["transferTitle"] for body in sales if body.get("data")]
    assert len(sold) <= 1 and registry.size() == before + 1 + len(sold)
    cautioned = (
        f"Parcel caution-race is under caution ({caution['id']}): discharge or lift it before a transfer."
    )
    assert {only_error(body) for body in sales if not body.get("data")} <= {
        ("CONFLICT", cautioned),
        ("CONFLICT", "Parcel caution-race is not held by cit_owner."),
    }
    # On the ledger, a sale that got through precedes the caution: none follows it.
    if sold:
        caution_index = int(caution["id"].rpartition("-")[2]) - 1
        assert int(sold[0]["id"].rpartition("-")[2]) - 1 < caution_index
    after = registry.post(
        TRANSFER,
        {
            "input": {
                "parcel": "caution-race",
                "seller": sold[0]["owner"]["id"] if sold else "cit_owner",
                "buyer": "cit_late",
            }
        },
    )
    assert only_error(after) == ("CONFLICT", cautioned)


def test_a_mortgage_bars_a_sale_until_discharged_and_the_history_carries_receipts(registry: Registry) -> None:
    registry.data(REGISTER, {"input": parcel("mort-1", "cit_m", 6.0)})
    mortgage = registry.data(
        MORTGAGE,
        {
            "input": {
                "parcel": "mort-1",
                "lender": "Bank of Eastgate",
                "amount": "25000000",
                "currency": "EUR",
            }
        },
    )["registerMortgage"]
    assert {k: mortgage[k] for k in ("kind", "holder", "amount", "currency", "active")} == {
        "kind": "MORTGAGE",
        "holder": "Bank of Eastgate",
        "amount": "25000000",
        "currency": "EUR",
        "active": True,
    }
    before = registry.size()
    sale = {"input": {"parcel": "mort-1", "seller": "cit_m", "buyer": "cit_n"}}
    assert only_error(registry.post(TRANSFER, sale)) == (
        "CONFLICT",
        f"Parcel mort-1 is mortgaged ({mortgage['id']}): discharge or lift it before a transfer.",
    )
    assert registry.size() == before
    assert registry.data(DISCHARGE, {"id": mortgage["id"]})["dischargeMortgage"] == {
        "id": mortgage["id"],
        "active": False,
    }
    assert only_error(registry.post(DISCHARGE, {"id": mortgage["id"]})) == (
        "CONFLICT",
        f"The mortgage {mortgage['id']} has ended already.",
    )
    assert registry.data(TRANSFER, sale)["transferTitle"]["owner"] == {"id": "cit_n"}
    query = (
        '{ parcel(id: "mort-1") { history { index data receipt } '
        "restrictions { id active endedBy { index } } } }"
    )
    for _ in range(200):  # the entries are served once a signed checkpoint covers them
        found = registry.data(query)["parcel"]
        if all(entry is not None for entry in found["history"]):
            break
    history = found["history"]
    types = [json.loads(entry["data"])["type"] for entry in history]
    assert types == [
        "govgraph.land.ParcelRegistered/v1",
        "govgraph.land.MortgageRegistered/v1",
        "govgraph.land.MortgageDischarged/v1",
        "govgraph.land.TitleTransferred/v1",
    ]
    assert all(json.loads(entry["receipt"])["entry"] for entry in history)
    assert found["restrictions"] == [
        {"id": mortgage["id"], "active": False, "endedBy": {"index": history[2]["index"]}}
    ]


BAD_INPUT = [
    (
        REGISTER,
        {
            "input": {
                "id": "bad-g1",
                "locality": "Eastgate",
                "owner": "cit_a",
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
            }
        },
        "BAD_USER_INPUT",
        "`geometry` is not a valid parcel boundary: $: not a valid surface: Self-intersection[0.5 0.5]",
    ),
    (
        REGISTER,
        {
            "input": {
                "id": "bad-g2",
                "locality": "Eastgate",
                "owner": "cit_a",
                "geometry": {"type": "Polygon"},
            }
        },
        "BAD_USER_INPUT",
        "`geometry` is not a valid parcel boundary: $.coordinates: missing",
    ),
    (
        REGISTER,
        {
            "input": {
                "id": "bad-g3",
                "locality": "Eastgate",
                "owner": "cit_a",
                "geometry": "POLYGON((0 0, 1 0, 1 1, 0 0))",
            }
        },
        "BAD_USER_INPUT",
        "`geometry` is not a valid parcel boundary: $: a GeoJSON object is a JSON object, not str",
    ),
    (
        REGISTER,
        {"input": {"id": "bad-g4", "locality": "Eastgate", "owner": "cit_a"}},
        "BAD_USER_INPUT",
        "Give the parcel's `area` or its `geometry`.",
    ),
    (
        TRANSFER,
        {
            "input": {
                "parcel": "parcel-0002",
                "seller": "cit_5b0e2f7c1a9d4e83",
                "buyer": "cit_b",
                "share": "3/2",
            }
        },
        "BAD_USER_INPUT",
        "`share` must be a fraction above 0 and at most 1.",
    ),
    (
        TRANSFER,
        {
            "input": {
                "parcel": "parcel-0002",
                "seller": "cit_5b0e2f7c1a9d4e83",
                "buyer": "cit_b",
                "share": "half",
            }
        },
        "BAD_USER_INPUT",
        "`share` is written n/d with whole numbers, e.g. 1/2.",
    ),
    (
        MORTGAGE,
        {"input": {"parcel": "parcel-9999", "lender": "Bank", "amount": "1", "currency": "EUR"}},
        "NOT_FOUND",
        "No parcel parcel-9999.",
    ),
    (
        MORTGAGE,
        {"input": {"parcel": "parcel-0002", "lender": "Bank", "amount": "0", "currency": "EUR"}},
        "BAD_USER_INPUT",
        "A mortgage's `amount` lies in 1..1000000000000000 minor units.",
    ),
    (
        MORTGAGE,
        {"input": {"parcel": "parcel-0002", "lender": "Bank", "amount": "10", "currency": "euro"}},
        "BAD_USER_INPUT",
        "`currency` is an ISO 4217 code such as EUR.",
    ),
    (DISCHARGE, {"id": "mortgage-9999"}, "NOT_FOUND", "No mortgage mortgage-9999."),
    (
        CAUTION,
        {"input": {"parcel": "parcel-0002", "lodgedBy": "Court", "reason": "  "}},
        "BAD_USER_INPUT",
        "`reason` must be 1..200 printable characters.",
    ),
    (
        CAUTION,
        {"input": {"parcel": "parcel-0002", "lodgedBy": "", "reason": "x"}},
        "BAD_USER_INPUT",
        "`lodgedBy` must be 1..200 printable characters.",
    ),
    (LIFT, {"id": "caution-9999"}, "NOT_FOUND", "No caution caution-9999."),
    (
        LEASE,
        {
            "input": {
                "parcel": "parcel-0002",
                "tenant": "cit_t",
                "startsOn": "2026-01-01",
                "endsOn": "2025-01-01",
            }
        },
        "BAD_USER_INPUT",
        "A lease's `endsOn` must come after its `startsOn`.",
    ),
    (END_LEASE, {"id": "lease-9999"}, "NOT_FOUND", "No lease lease-9999."),
]


@pytest.mark.parametrize(("query", "variables", "code", "message"), BAD_INPUT)
def test_bad_input_on_every_land_mutation_is_typed_and_appends_nothing(
    registry: Registry, query: str, variables: dict, code: str, message: str
) -> None:
    before = registry.size()
    assert only_error(registry.post(query, variables)) == (code, message)
    assert registry.size() == before


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (MORTGAGE, {"input": {"parcel": "parcel-0002", "lender": "Bank", "amount": "1", "currency": "EUR"}}),
        (CAUTION, {"input": {"parcel": "parcel-0002", "lodgedBy": "Court", "reason": "x"}}),
        (LIFT, {"id": "caution-0001"}),
    ],
)
def test_restrictions_need_the_land_clerk(registry: Registry, query: str, variables: dict) -> None:
    before = registry.size()
    assert only_error(registry.post(query, variables, "")) == (
        "UNAUTHENTICATED",
        "authentication required: send a bearer token or an API key",
    )
    assert only_error(registry.post(query, variables, registry.auditor)) == (
        "FORBIDDEN",
        "this operation requires the role clerk:land",
    )
    assert registry.size() == before


def test_a_lease_is_registered_and_ended(registry: Registry) -> None:
    lease = registry.data(
        LEASE,
        {
            "input": {
                "parcel": "parcel-0001",
                "tenant": "cit_tenant",
                "startsOn": "2025-06-01",
                "endsOn": "2030-06-01",
            }
        },
    )["registerLease"]
    assert {k: lease[k] for k in ("kind", "holder", "endsOn")} == {
        "kind": "LEASE",
        "holder": "cit_tenant",
        "endsOn": "2030-06-01",
    }
    assert registry.data(END_LEASE, {"id": lease["id"]})["endLease"] == {"id": lease["id"], "active": False}


def test_the_geojson_export_is_a_valid_feature_collection(registry: Registry) -> None:
    response = httpx.get(f"{registry.server.url}/land/parcels.geojson", timeout=30)
    assert response.status_code == 200 and response.headers["content-type"] == "application/geo+json"
    collection = response.json()
    schema = json.loads((LAND / "json-fg" / "schemas" / "featurecollection.min.json").read_text())
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(collection)
    assert validate(collection) == []
    features = {feature["id"]: feature for feature in collection["features"]}
    assert {"parcel-0001", "parcel-0002", "parcel-0003", "parcel-0004", "fg-1"} <= set(features)
    demo = features["parcel-0001"]
    assert demo["geometry"]["type"] == "MultiPolygon"
    assert demo["properties"]["area"] == 512.5 and 500 < demo["properties"]["calculatedArea"] < 525
    # Places were registered in one CRS (UTM 31N): the collection declares it and carries them unchanged.
    assert collection["coordRefSys"] == UTM
    assert features["fg-1"]["place"] == FG_PLACE and features["parcel-0004"]["place"]["type"] == "Polygon"
    assert "place" not in demo and "owner" not in json.dumps(collection)
    other = httpx.get(f"{registry.server.url}/land/parcels.geojson", params={"crs": "EPSG:4326"}, timeout=30)
    assert "coordRefSys" not in other.json() and all("place" not in f for f in other.json()["features"])


def validate_geometry(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "govgraph", "land", "validate-geometry", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_validate_geometry_exits_0_1_or_2(tmp_path: Path) -> None:
    valid = validate_geometry(str(LAND / "json-fg" / "examples" / "building.json"))
    assert (valid.returncode, valid.stdout) == (
        0,
        f"{LAND / 'json-fg' / 'examples' / 'building.json'}: valid Feature\n",
    )
    invalid_file = LAND / "geojson-fixtures" / "invalid" / "polygon" / "bad-type.json"
    invalid = validate_geometry(str(invalid_file), "--json")
    assert invalid.returncode == 1
    assert json.loads(invalid.stdout) == {
        "file": str(invalid_file),
        "valid": False,
        "type": "Polgon",
        "reasons": ["$.type: 'Polgon' is not a GeoJSON geometry type"],
    }
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "Polygon", ')
    unreadable = validate_geometry(str(broken))
    assert unreadable.returncode == 2 and "cannot read" in unreadable.stderr
