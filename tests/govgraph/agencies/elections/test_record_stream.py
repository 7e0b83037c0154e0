"""The record served in pages (header.json, ballots?after=&limit=) and `election verify --url` reading it as a
stream: the pages rebuild the record.json bytes, the streamed verdicts are verify_record's, and a record
service that drops a ballot is caught by both the record's checks and the ledger's."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from govgraph.voting.audit import ledger_ballots
from govgraph.voting.online import ballot_page, verify_online
from govgraph.voting.simulate import simulate
from tests.govgraph.agencies.elections.conftest import Service
from tests.support.servers import UvicornThread
from zk import record_stream
from zk.ballot import tracking_code_of
from zk.errors import MalformedInput
from zk.record import canonical_bytes
from zk.record_verifier import verify_record


@pytest.fixture(scope="module")
def published(service: Service) -> str:
    with service.api() as api:
        done = simulate(api, voters=5, n=1, t=1, absent=0, seed=21)
        for _ in range(50):  # until a signed checkpoint covers the whole election
            found, findings = ledger_ballots(api, done.election)
            if findings.ok and len([b for b in found if not b.spoiled]) == 5:
                break
            time.sleep(0.2)
    return done.election


def test_the_header_and_the_pages_rebuild_the_streamed_record(service: Service, published: str) -> None:
    base = f"{service.url}/elections/{published}"
    whole = httpx.get(f"{base}/record.json")
    assert whole.status_code == 200 and whole.headers["content-type"] == "application/json"
    record = json.loads(whole.content)
    assert whole.content == canonical_bytes(record)  # the streamed bytes are the canonical record
    assert len(record["ballots"]) == 5
    header = httpx.get(f"{base}/record/header.json")
    assert header.content == canonical_bytes({k: v for k, v in record.items() if k != "ballots"})
    pages, after = [], -1
    while True:
        answer = httpx.get(f"{base}/record/ballots", params={"after": after, "limit": 2})
        page = answer.json()
        assert answer.content == canonical_bytes(page)  # canonical JSON, as the whole record
        pages.append(page)
        if page["next"] is None:
            break
        after = page["next"]
    assert [len(p["ballots"]) for p in pages] == [2, 2, 1]
    assert [b for p in pages for b in p["ballots"]] == record["ballots"]
    assert pages[0]["next"] < pages[1]["next"]
    assert httpx.get(f"{base}/record/ballots").json() == {"ballots": record["ballots"], "next": None}


def test_streamed_verification_gives_verify_records_report_and_the_ledger_findings(
    service: Service, published: str
) -> None:
    record = httpx.get(f"{service.url}/elections/{published}/record.json").json()
    report, findings = verify_online(service.url, published, page=2)
    assert report.ok and report.to_json() == verify_record(record).to_json()
    assert findings.ok, findings.lines
    assert "OK    every counted ballot of the record (5) is on the ledger" in findings.lines
    assert "OK    the record's counted ballots equal the ledger's, in order and content" in findings.lines


def test_a_record_service_that_drops_a_ballot_fails_the_record_and_the_ledger_checks(
    service: Service, published: str
) -> None:
    record = httpx.get(f"{service.url}/elections/{published}/record.json").json()
    dropped = record["ballots"][3]["tracking_code"]

    async def header(request: Request) -> Response:
        return Response(httpx.get(f"{service.url}{request.url.path}").content, media_type="application/json")

    async def ballots(request: Request) -> Response:  # the real pages, one ballot left out
        page = httpx.get(f"{service.url}{request.url.path}", params=dict(request.query_params)).json()
        page["ballots"] = [b for b in page["ballots"] if b["tracking_code"] != dropped]
        return Response(canonical_bytes(page), media_type="application/json")

    hostile = Starlette(
        routes=[
            Route("/elections/{id}/record/header.json", header),
            Route("/elections/{id}/record/ballots", ballots),
        ]
    )
    server = UvicornThread(hostile).start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "govgraph", "election", "verify", "--json", "--url", service.url]
            + ["--election", published, "--record-url", server.url],
            capture_output=True,
            text=True,
            env=os.environ,
            timeout=120,
        )
    finally:
        server.stop()
    assert done.returncode == 1, done.stderr
    answer = json.loads(done.stdout)
    assert [c["number"] for c in answer["record"]["checks"] if c["status"] == "fail"] == ["V11"]
    v11 = next(c for c in answer["record"]["checks"] if c["number"] == "V11")
    assert v11["failures"][-1] == "the record lists 4 counted ballots, the closing statement commits to 5"
    assert answer["ledger"]["ok"] is False
    assert (
        f"FAIL  the ledger counts no ballot the record leaves out; left out: {dropped}"
        in (answer["ledger"]["findings"])
    )


def _tampering_record_service(service: Service, published: str) -> UvicornThread:
    """The real header and pages, except: the third ballot's first two selections swapped, under the
    tracking code of what it now holds (its proofs no longer hold), and the first ballot listed again at the
    end."""
    record = httpx.get(f"{service.url}/elections/{published}/record.json").json()
    forged, first = record["ballots"][2]["tracking_code"], record["ballots"][0]

    async def header(request: Request) -> Response:
        return Response(httpx.get(f"{service.url}{request.url.path}").content, media_type="application/json")

    async def ballots(request: Request) -> Response:
        page = httpx.get(f"{service.url}{request.url.path}", params=dict(request.query_params)).json()
        for entry in page["ballots"]:
            if entry["tracking_code"] == forged:
                selections = entry["ballot"]["contests"][0]["selections"]
                selections[0], selections[1] = selections[1], selections[0]
                entry["tracking_code"] = tracking_code_of(entry["ballot"])
        if page["next"] is None:
            page["ballots"].append(first)
        return Response(canonical_bytes(page), media_type="application/json")

    routes = [
        Route("/elections/{id}/record/header.json", header),
        Route("/elections/{id}/record/ballots", ballots),
    ]
    return UvicornThread(Starlette(routes=routes)).start()


def test_verification_in_worker_processes_gives_the_one_process_report(
    service: Service, published: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record_stream, "BATCH_CHUNK", 2)  # 5 ballots: 3 chunks, in the workers together
    record = httpx.get(f"{service.url}/elections/{published}/record.json").json()
    alone, findings = verify_online(service.url, published, page=2, workers=1)
    parallel, parallel_findings = verify_online(service.url, published, page=2, workers=2)
    assert alone.ok and parallel.to_json() == alone.to_json() == verify_record(record).to_json()
    assert parallel.plain_text() == alone.plain_text()
    assert findings.ok and parallel_findings == findings
    hostile = _tampering_record_service(service, published)
    try:
        alone, findings = verify_online(service.url, published, record_url=hostile.url, page=2, workers=1)
        parallel, parallel_findings = verify_online(
            service.url, published, record_url=hostile.url, page=2, workers=2
        )
    finally:
        hostile.stop()
    forged = copy.deepcopy(record["ballots"][2])
    selections = forged["ballot"]["contests"][0]["selections"]
    selections[0], selections[1] = selections[1], selections[0]
    code, first = tracking_code_of(forged["ballot"]), record["ballots"][0]["tracking_code"]
    original = record["ballots"][2]["tracking_code"]
    assert alone.failed() == ["V5", "V6", "V8", "V9", "V11"]
    assert alone.check("V5").failures == [f"ballot {first}: tracking code appears twice"]
    assert alone.check("V6").failures == [f"ballot {code}"]
    assert alone.check("V8").failures == [
        f"ballot {code}: eligibility proof does not verify for this ballot",
        "6 counted ballots but only 5 credentials issued",
    ]
    assert alone.check("V9").failures == [f"ballot {first} repeats the pseudonym of ballot {first}"]
    assert parallel.to_json() == alone.to_json()
    assert parallel.plain_text() == alone.plain_text()
    assert parallel_findings == findings
    assert [line for line in findings.lines if line.startswith("FAIL")] == [
        f"FAIL  every counted ballot of the record (6) is on the ledger; missing: {code}",
        f"FAIL  the ledger counts no ballot the record leaves out; left out: {original}",
        "FAIL  the record's counted ballots equal the ledger's, in order and content",
    ]


def test_pages_refuse_bad_parameters_and_unpublished_or_unknown_elections(service: Service) -> None:
    with service.api() as api:
        opened = simulate(api, voters=1, n=1, t=1, absent=0, seed=22, leave_open=True)
    base = f"{service.url}/elections"
    for query, message in (
        ({"after": "x"}, "after must be an integer in [-1, 9223372036854775807]."),
        ({"after": "-2"}, "after must be an integer in [-1, 9223372036854775807]."),
        ({"limit": "0"}, "limit must be an integer in [1, 2000]."),
        ({"limit": "2001"}, "limit must be an integer in [1, 2000]."),
        ({"limit": "1e3"}, "limit must be an integer in [1, 2000]."),
    ):
        answer = httpx.get(f"{base}/{opened.election}/record/ballots", params=query)
        assert (answer.status_code, answer.json()) == (400, {"error": message}), query
    refused = f"Election {opened.election} is OPEN: its record exists once the result is published."
    for path in ("record/header.json", "record/ballots", "record.json"):
        answer = httpx.get(f"{base}/{opened.election}/{path}")
        assert (answer.status_code, answer.json()) == (409, {"error": refused}), path
        missing = httpx.get(f"{base}/no-such-election/{path}")
        assert (missing.status_code, missing.json()) == (404, {"error": "No election no-such-election."})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 2**64) | st.floats(-2, 3) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


@given(
    document=JSON
    | st.fixed_dictionaries({"ballots": JSON, "next": JSON})
    | st.fixed_dictionaries({"ballots": st.lists(JSON, max_size=3), "next": st.none() | st.integers(-3, 9)}),
    after=st.integers(-1, 5),
)
def test_the_page_decoder_accepts_only_pages_that_move_forward(document: object, after: int) -> None:
    try:
        entries, following = ballot_page(document, after)
    except MalformedInput:
        return
    assert isinstance(document, dict) and set(document) == {"ballots", "next"}
    assert entries is document["ballots"] and isinstance(entries, list)
    assert following is None or (type(following) is int and following > after and entries)


def test_the_page_decoder_names_what_is_wrong() -> None:
    assert ballot_page({"ballots": [{"a": 1}], "next": 4}, 3) == ([{"a": 1}], 4)
    assert ballot_page({"ballots": [], "next": None}, 3) == ([], None)
    for document, message in (
        ([], 'a page of ballots must be an object with exactly "ballots" and "next"'),
        ({"ballots": {}, "next": None}, "a page's ballots must be a list"),
        ({"ballots": [1], "next": 3}, "a page's next must be null or a ledger index after 3"),
        ({"ballots": [1], "next": True}, "a page's next must be null or a ledger index after 3"),
        ({"ballots": [], "next": 9}, "an empty page cannot have a next page"),
    ):
        with pytest.raises(MalformedInput) as caught:
            ballot_page(document, 3)
        assert str(caught.value) == message
