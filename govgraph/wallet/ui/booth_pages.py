"""The voting booth pages of the wallet: find an election on the service, register on its roll (through the
consent screen), fill the ballot, seal it, then cast it or challenge it (Benaloh: the spoiled ballot's
opening is read back from the public board and checked here), and keep the tracking code."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from govgraph.voting.api import Api, ApiError
from govgraph.wallet import booth
from govgraph.wallet.store import WalletError
from govgraph.wallet.ui.sentences import explain
from govgraph.wallet.voting import load_voting
from zk.errors import ZkError

if TYPE_CHECKING:
    from govgraph.wallet.ui.app import PendingConsent, WalletPages

_ELECTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
FAILURES = (WalletError, ZkError, ApiError, OSError)


class BoothPages:
    def __init__(self, pages: WalletPages) -> None:
        self.pages = pages

    def routes(self) -> list[Route]:
        return [
            Route("/booth", self.index),
            Route("/booth/{election}", self.ballot),
            Route("/booth/{election}/register", self.register, methods=["POST"]),
            Route("/booth/{election}/seal", self.seal, methods=["POST"]),
            Route("/booth/{election}/cast", self.cast, methods=["POST"]),
            Route("/booth/{election}/challenge", self.challenge, methods=["POST"]),
        ]

    @property
    def config(self):
        return self.pages.config

    def api(self) -> Api:
        return Api(self.config.service_url)

    def open(self, election_id: str) -> booth.Election:
        with self.api() as api:
            return booth.open_election(api, election_id, self.config.backend)

    def board_link(self, election_id: str, code: str) -> str:
        return f"{self.config.service_url.rstrip('/')}/elections/{election_id}?code={code}"

    async def guarded(self, request: Request, *, post: bool):
        """(session, form, election id) or a Response to answer with instead."""
        session = self.pages.session_or_login(request)
        if isinstance(session, Response):
            return session
        election_id = request.path_params.get("election", request.query_params.get("election", ""))
        if election_id and not _ELECTION_ID.fullmatch(election_id):
            return self.pages.render(
                request, "booth.html", 400, error="An election id is letters, digits, '.', '_', ':' or '-'."
            )
        form = {}
        if post:
            form = await self.pages.form(request, session)
            if isinstance(form, Response):
                return form
        return session, form, election_id

    async def index(self, request: Request) -> Response:
        guard = await self.guarded(request, post=False)
        if isinstance(guard, Response):
            return guard
        _, _, election_id = guard
        if election_id:
            return RedirectResponse(f"/booth/{election_id}", status_code=303)
        voting = await run_in_threadpool(load_voting, self.config.wallet_path)
        return self.pages.render(request, "booth.html", votes=voting.votes, links=self._links(voting.votes))

    def _links(self, votes) -> dict[str, str]:
        return {v.tracking_code: self.board_link(v.election, v.tracking_code) for v in votes}

    async def ballot(self, request: Request, error: str | None = None, status: int = 200) -> Response:
        guard = await self.guarded(request, post=False)
        if isinstance(guard, Response):
            return guard
        _, _, election_id = guard
        try:
            found = await run_in_threadpool(self.open, election_id)
            voting = await run_in_threadpool(load_voting, self.config.wallet_path)
        except FAILURES as exc:
            return self.pages.render(request, "booth.html", 404, error=explain(exc))
        roll = found.manifest.electoral_roll
        registered = roll is None or voting.roll(roll.id) is not None
        votes = [v for v in voting.votes if v.election == election_id]
        return self.pages.render(
            request,
            "ballot.html",
            status,
            election=found,
            roll=roll,
            registered=registered,
            votes=votes,
            links=self._links(votes),
            error=error,
        )

    async def register(self, request: Request) -> Response:
        guard = await self.guarded(request, post=True)
        if isinstance(guard, Response):
            return guard
        session, _, election_id = guard
        try:
            found = await run_in_threadpool(self.open, election_id)
            roll = found.manifest.electoral_roll
            if roll is None:
                raise WalletError("this election has no electoral roll: anyone may vote")
            uri = await run_in_threadpool(self._start, roll.id)
            pending = await run_in_threadpool(self.pages.prepare, uri, roll.id, election_id)
        except FAILURES as exc:
            return await self.ballot(request, explain(exc), 400)
        return self.pages.consent_page(request, session, pending)

    def _start(self, roll: str) -> str:
        with self.api() as api:
            return booth.start_registration(api, self.config.wallet_path, roll, self.config.backend)

    async def seal(self, request: Request) -> Response:
        guard = await self.guarded(request, post=True)
        if isinstance(guard, Response):
            return guard
        session, form, election_id = guard
        try:
            found = await run_in_threadpool(self.open, election_id)
            selections = _selections(found, form)
            voting = await run_in_threadpool(load_voting, self.config.wallet_path)
            roll = found.manifest.electoral_roll
            credential = None if roll is None else voting.roll(roll.id)
            sealed = await run_in_threadpool(booth.seal, found, credential, selections)
        except FAILURES as exc:
            return await self.ballot(request, explain(exc), 400)
        chosen = {
            c.title: [o for o, x in zip(c.options, selections[c.id], strict=True) if x]
            for c in found.manifest.contests
        }
        return self.pages.render(
            request, "sealed.html", election=found, sealed=sealed, chosen=chosen, key=session.keep(sealed)
        )

    async def _sealed(self, request: Request):
        guard = await self.guarded(request, post=True)
        if isinstance(guard, Response):
            return guard
        session, form, election_id = guard
        sealed = session.take(form.get("sealed", ""), booth.Sealed)
        if sealed is None or sealed.election != election_id:
            return await self.ballot(
                request, "This sealed ballot was already cast or challenged: fill the ballot again.", 400
            )
        return sealed

    async def cast(self, request: Request) -> Response:
        sealed = await self._sealed(request)
        if isinstance(sealed, Response):
            return sealed

        def send():
            with self.api() as api:
                return booth.cast(api, self.config.wallet_path, sealed)

        try:
            vote = await run_in_threadpool(send)
        except FAILURES as exc:
            return await self.ballot(request, explain(exc), 400)
        link = self.board_link(vote.election, vote.tracking_code)
        return self.pages.render(request, "cast.html", vote=vote, link=link)

    async def challenge(self, request: Request) -> Response:
        sealed = await self._sealed(request)
        if isinstance(sealed, Response):
            return sealed

        def spoil():
            found = self.open(sealed.election)
            with self.api() as api:
                return booth.challenge(api, self.config.wallet_path, found, sealed)

        try:
            check = await run_in_threadpool(spoil)
        except FAILURES as exc:
            return await self.ballot(request, explain(exc), 400)
        link = self.board_link(sealed.election, check.tracking_code)
        return self.pages.render(
            request, "challenged.html", election_id=sealed.election, check=check, link=link
        )


async def finish_registration(pages: WalletPages, request: Request, pending: PendingConsent) -> Response:
    """After the roll's presentation was accepted: have the roll credential signed, then the ballot."""
    config = pages.config

    def finish():
        with Api(config.service_url) as api:
            return booth.finish_registration(api, config.wallet_path, pending.then, config.backend)

    try:
        await run_in_threadpool(finish)
    except FAILURES as exc:
        return pages.render(request, "error.html", 502, message=explain(exc))
    return RedirectResponse(f"/booth/{pending.election}?registered=1", status_code=303)


def _selections(found: booth.Election, form: dict[str, str]) -> dict[str, list[int]]:
    """The ballot form's choices: a radio group `contest.<id>` (one choice) or checkboxes
    `contest.<id>.<k>`, checked against each contest's minimum and maximum."""
    out: dict[str, list[int]] = {}
    for contest in found.manifest.contests:
        single = contest.min_selections == contest.max_selections == 1
        if single:
            picked = form.get(f"contest.{contest.id}", "")
            marks = [1 if picked == str(k) else 0 for k in range(len(contest.options))]
        else:
            marks = [
                1 if form.get(f"contest.{contest.id}.{k}") == "1" else 0 for k in range(len(contest.options))
            ]
        total = sum(marks)
        if not contest.min_selections <= total <= contest.max_selections:
            low, high = contest.min_selections, contest.max_selections
            raise WalletError(
                f"\u201c{contest.title}\u201d takes {low} to {high} choices and you marked {total}: "
                "change your choices and seal the ballot again."
                if low != high
                else f"\u201c{contest.title}\u201d takes exactly {low} choice(s) and you marked {total}: "
                "change your choices and seal the ballot again."
            )
        out[contest.id] = marks
    return out


__all__ = ["BoothPages", "finish_registration"]
