"""The election board's pages: every election (/elections) and one election's board (/elections/<id>): its
state, manifest and turnout (live through the `turnout` subscription where the page can open it), the
published result as an SVG bar chart per contest with the numbers as a table, and the tracking-code lookup,
whose ballot is checked in the browser against the elections ledger like any explorer entry."""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from govgraph.agencies.elections import board
from govgraph.agencies.elections import states as st
from govgraph.web.explorer import entry_check
from govgraph.web.pages import error_page, render

LEDGER = "elections"
TRACKING_CODE = re.compile(r"[0-9a-f]{64}")
SUBSCRIPTION = (
    "/graphql"  # the gateway serves subscriptions (graphql-transport-ws), whatever the subgraph secret
)
BAR_HEIGHT = 28
BAR_GAP = 10
LABEL_WIDTH = 170
CHART_WIDTH = 560

STATE_SENTENCES = {
    st.DRAFT: "The officials are still preparing this election; nobody can vote yet.",
    st.KEY_CEREMONY: "The trustees are making the election key together; voting opens after.",
    st.OPEN: "Voting is open.",
    st.CLOSED: "Voting is closed; the trustees are about to decrypt the totals.",
    st.TALLYING: "Voting is closed and the trustees are decrypting the totals.",
    st.PUBLISHED: "The result is published, with the election record anyone can check.",
}


@dataclass(frozen=True, slots=True)
class Bar:
    option: str
    count: int
    y: int
    width: int
    label_y: int


@dataclass(frozen=True, slots=True)
class Chart:
    """One contest's result drawn as horizontal bars (SVG coordinates computed here: no inline style)."""

    contest_id: str
    title: str
    bars: tuple[Bar, ...]
    height: int
    total: int
    label_width: int = LABEL_WIDTH
    width: int = CHART_WIDTH


def chart(contest: dict, counts: dict[str, int]) -> Chart:
    """Bars in the manifest's option order, each as long as its share of the largest count."""
    options = list(contest["options"])
    largest = max([counts.get(o, 0) for o in options] + [1])
    room = CHART_WIDTH - LABEL_WIDTH - 60
    bars = []
    for i, option in enumerate(options):
        count = counts.get(option, 0)
        y = i * (BAR_HEIGHT + BAR_GAP)
        bars.append(Bar(option, count, y, round(room * count / largest), y + BAR_HEIGHT // 2 + 5))
    height = len(options) * (BAR_HEIGHT + BAR_GAP)
    return Chart(contest["id"], contest["title"], tuple(bars), height, sum(counts.get(o, 0) for o in options))


def _engine(request: Request):
    writes = getattr(request.app.state, "writes", None)
    if writes is None or LEDGER not in writes:
        return None
    return request.app.state.engine


def _no_elections(request: Request) -> Response:
    return error_page(
        request,
        404,
        "This service does not run the election commission.",
        "Ask the service that runs the elections agency for its board.",
    )


async def index(request: Request) -> Response:
    engine = _engine(request)
    if engine is None:
        return _no_elections(request)
    rows = []
    for election in await board.election_ids(engine):
        row = await board.election_row(engine, election)
        if row is not None:
            rows.append({"id": election, "title": row["manifest"]["title"], "state": row["state"]})
    return render(request, "elections/index.html", {"section": "elections", "elections": rows})


async def _lookup(request: Request, engine, election: str) -> tuple[dict | None, str | None]:
    """The ballot the `code` query parameter names, with what the page needs to check it; or a sentence
    saying why there is none."""
    code = request.query_params.get("code")
    if code is None:
        return None, None
    code = code.strip().lower()
    if not TRACKING_CODE.fullmatch(code):
        return (
            None,
            "A tracking code is 64 characters, digits 0-9 and letters a-f; check that you copied all of it.",
        )
    row = await board.ballot_by_code(engine, election, code)
    if row is None:
        return None, (
            f"No ballot with tracking code {code} was cast in this election. Check the code against the one "
            "your voting device showed when it cast your ballot."
        )
    if row["spoiled"]:
        status = "This ballot was challenged (spoiled): it was opened to check the device and is not counted."
    elif row["current"]:
        status = "This ballot counts."
    else:
        status = "This ballot was replaced by a later ballot of the same voter and does not count."
    check = await entry_check(request.app.state.ledgers, LEDGER, row["ledger_index"])
    found = {"code": code, "index": row["ledger_index"], "status": status, "check": check}
    return found, None


async def election_board(request: Request) -> Response:
    engine = _engine(request)
    if engine is None:
        return _no_elections(request)
    election = request.path_params["id"]
    row = await board.election_row(engine, election)
    if row is None:
        return error_page(
            request,
            404,
            f"There is no election “{election}”.",
            "Pick an election from the list of elections.",
        )
    manifest = row["manifest"]
    result = row["result"] or {}
    charts = [chart(c, result.get(c["id"], {})) for c in manifest["contests"]] if row["result"] else []
    found, problem = await _lookup(request, engine, election)
    settings = getattr(request.app.state, "settings", None)
    base = settings.base_url if settings is not None else str(request.base_url).rstrip("/")
    context = {
        "section": "elections",
        "id": election,
        "title": manifest["title"],
        "state": row["state"],
        "state_sentence": STATE_SENTENCES.get(row["state"], ""),
        "revoting": row["revoting"],
        "manifest": manifest,
        "turnout": await board.turnout(engine, election),
        "live": row["state"] != st.PUBLISHED,
        "subscription": SUBSCRIPTION,
        "charts": charts,
        "published": row["state"] == st.PUBLISHED,
        "found": found,
        "problem": problem,
        "code": request.query_params.get("code", ""),
        "base": base,
    }
    if found and found["check"]:
        context.update(found["check"])
    status = 404 if problem and "No ballot" in problem else (400 if problem else 200)
    return render(request, "elections/board.html", context, status)


def routes() -> list[BaseRoute]:
    return [
        Route("/elections", index, methods=["GET"]),
        Route("/elections/{id}", election_board, methods=["GET"]),
    ]
