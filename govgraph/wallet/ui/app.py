"""The citizen's wallet page (`govgraph wallet ui`): a Starlette app on 127.0.0.1 over the wallet file, with
server-side forms (the cryptography runs in this process, on the citizen's machine): the credentials held,
receiving an offer, answering a presentation request after a consent screen, the history of presentations,
and the voting booth (`booth_pages`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from govgraph.wallet import history, issuance, presentation
from govgraph.wallet.store import WalletError, list_credentials
from govgraph.wallet.transport import Http
from govgraph.wallet.ui import booth_pages
from govgraph.wallet.ui.consent import Consent, consent_for
from govgraph.wallet.ui.sentences import explain, receive_advice
from govgraph.wallet.ui.sessions import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    FormError,
    LocalOnly,
    Session,
    Sessions,
    read_form,
    set_cookie,
)
from govgraph.wallet.voting import load_voting, now
from govgraph.web.csrf import CsrfKey, CsrfRefused, check_csrf
from govgraph.web.pages import Web, render
from govgraph.web.routes import static_routes
from zk.curve import Backend
from zk.errors import ZkError
from zk.json_input import printable

STATIC = Path(__file__).parent / "static"
TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class WalletConfig:
    wallet_path: Path
    service_url: str  # the govgraph service whose elections the booth reads
    backend: Backend
    access_code: str


@dataclass
class PendingConsent:
    """A request fetched and planned, waiting for the citizen's answer (kept server-side: what is sent on
    Accept is exactly what was shown)."""

    ask: presentation.Ask
    consent: Consent
    then: str | None = None  # a roll id: finish the registration on that roll once accepted
    election: str | None = None  # where to go back to after a roll registration


SECTIONS = {
    "home.html": "credentials",
    "receive.html": "receive",
    "received.html": "receive",
    "present.html": "present",
    "consent.html": "present",
    "answered.html": "present",
    "history.html": "history",
    "booth.html": "booth",
    "ballot.html": "booth",
    "sealed.html": "booth",
    "cast.html": "booth",
    "challenged.html": "booth",
}


class WalletPages:
    def __init__(self, config: WalletConfig) -> None:
        self.config = config
        self.sessions = Sessions(config.access_code)

    # --- rendering and guards ----------------------------------------------------------------------------
    def render(self, request: Request, name: str, status: int = 200, **values: Any) -> Response:
        """A wallet page (templates/wallet/<name>, on the pages' base look, CSRF and headers)."""
        values.setdefault("section", SECTIONS.get(name))
        values["logged_in"] = self.sessions.of(request) is not None
        return render(request, f"wallet/{name}", values, status)

    def session_or_login(self, request: Request) -> Session | Response:
        session = self.sessions.of(request)
        if session is not None:
            return session
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return self.render(request, "login.html", next=_local_target(target))

    async def form(self, request: Request, session: Session | None = None) -> dict[str, str] | Response:
        """The posted form, once its CSRF token matched (else the page saying what to do)."""
        try:
            form = await read_form(request)
            check_csrf(request, form)
        except FormError as exc:
            return self.render(request, "error.html", 400, message=str(exc))
        except CsrfRefused as exc:
            return self.render(
                request,
                "error.html",
                403,
                message=f"This form could not be accepted: {exc}. Go back, reload the page and send it "
                "again.",
            )
        return form

    # --- pages ---------------------------------------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            return self.render(
                request, "login.html", next=_local_target(request.query_params.get("next", "/"))
            )
        form = await self.form(request)
        if not isinstance(form, dict):
            return form
        target = _local_target(form.get("next", "/"))
        session_id = self.sessions.login(form.get("code", ""))
        if session_id is None:
            return self.render(
                request,
                "login.html",
                401,
                next=target,
                error="That is not this wallet's access code. Copy it from the terminal where you started "
                "`govgraph wallet ui`.",
            )
        response = RedirectResponse(target, status_code=303)
        set_cookie(response, SESSION_COOKIE, session_id, SESSION_SECONDS)
        return response

    async def logout(self, request: Request) -> Response:
        session = self.session_or_login(request)
        if not isinstance(session, Session):
            return session
        form = await self.form(request, session)
        if not isinstance(form, dict):
            return form
        self.sessions.logout(request)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def home(self, request: Request) -> Response:
        session = self.session_or_login(request)
        if not isinstance(session, Session):
            return session
        path = self.config.wallet_path
        try:
            credentials = await run_in_threadpool(list_credentials, path)
            voting = await run_in_threadpool(load_voting, path)
        except (WalletError, OSError) as exc:
            return self.render(request, "error.html", 500, message=explain(exc))
        return self.render(request, "home.html", credentials=credentials, voting=voting)

    async def receive(self, request: Request) -> Response:
        session = self.session_or_login(request)
        if not isinstance(session, Session):
            return session
        if request.method == "GET":
            offer = request.query_params.get("offer", "")
            return self.render(request, "receive.html", offer=offer, issuer=_offer_issuer(offer))
        form = await self.form(request, session)
        if not isinstance(form, dict):
            return form
        offer, pin = form.get("offer", "").strip(), form.get("pin", "").strip()
        try:
            received = await run_in_threadpool(
                issuance.receive, self.config.wallet_path, offer, pin, backend=self.config.backend
            )
        except (WalletError, ZkError, OSError) as exc:
            message = explain(exc) + receive_advice(str(exc))
            return self.render(
                request, "receive.html", 400, offer=offer, issuer=_offer_issuer(offer), error=message
            )
        return self.render(request, "received.html", received=received)

    async def present(self, request: Request) -> Response:
        session = self.session_or_login(request)
        if not isinstance(session, Session):
            return session
        if request.method == "GET":
            return self.render(request, "present.html", uri=request.query_params.get("request", ""))
        form = await self.form(request, session)
        if not isinstance(form, dict):
            return form
        uri = form.get("request", "").strip()
        try:
            pending = await run_in_threadpool(self.prepare, uri)
        except (WalletError, ZkError, OSError) as exc:
            return self.render(request, "present.html", 400, uri=uri, error=explain(exc))
        return self.consent_page(request, session, pending)

    def prepare(self, uri: str, then: str | None = None, election: str | None = None) -> PendingConsent:
        """Fetch the request, check that a credential of the wallet satisfies it, and word the consent."""
        with Http() as http:
            ask = presentation.fetch(self.config.wallet_path, uri, http)
        plan = presentation.plan(self.config.wallet_path, ask)
        return PendingConsent(ask, consent_for(ask, plan), then, election)

    def consent_page(self, request: Request, session: Session, pending: PendingConsent) -> Response:
        return self.render(request, "consent.html", consent=pending.consent, key=session.keep(pending))

    async def answer(self, request: Request) -> Response:
        session = self.session_or_login(request)
        if not isinstance(session, Session):
            return session
        form = await self.form(request, session)
        if not isinstance(form, dict):
            return form
        pending = session.take(form.get("consent", ""), PendingConsent)
        if pending is None:
            return self.render(
                request,
                "error.html",
                400,
                message="This request was already answered or has been forgotten: open it again from the "
                "verifier's link.",
            )
        consent = pending.consent
        if form.get("decision") != "accept":
            await run_in_threadpool(self.remember, consent, "declined")
            return self.render(request, "answered.html", consent=consent, outcome="declined")
        try:
            answer = await run_in_threadpool(self.send, pending)
        except (WalletError, ZkError, OSError) as exc:
            return self.render(request, "error.html", 502, message=explain(exc))
        outcome = (
            "accepted" if answer.accepted else f"rejected: {answer.failure or answer.error or answer.status}"
        )
        await run_in_threadpool(self.remember, consent, outcome)
        if answer.accepted and pending.then is not None:
            return await self.finish_registration(request, pending)
        return self.render(
            request,
            "answered.html",
            200 if answer.accepted else 502,
            consent=consent,
            outcome=outcome,
            description=printable(answer.description or ""),
        )

    def send(self, pending: PendingConsent) -> presentation.VerifierAnswer:
        with Http() as http:
            _, answer = presentation.answer(
                self.config.wallet_path,
                pending.ask,
                http,
                pending.consent.credential_id,
                backend=self.config.backend,
            )
        return answer

    def remember(self, consent: Consent, outcome: str) -> None:
        entry = history.Presented(
            now(),
            consent.verifier,
            consent.purpose,
            consent.disclosed_by_name,
            consent.proved,
            consent.pseudonym_context,
            outcome,
        )
        history.record(self.config.wallet_path, entry)

    async def finish_registration(self, request: Request, pending: PendingConsent) -> Response:
        return await booth_pages.finish_registration(self, request, pending)

    async def history_page(self, request: Request) -> Response:
        session = self.session_or_login(request)
        if not isinstance(session, Session):
            return session
        try:
            entries = await run_in_threadpool(history.load_history, self.config.wallet_path)
        except (WalletError, OSError) as exc:
            return self.render(request, "error.html", 500, message=explain(exc))
        return self.render(request, "history.html", entries=list(reversed(entries)))


def _local_target(target: str) -> str:
    """Only a path of this wallet (never another site) is a place to go after logging in."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _offer_issuer(offer: str) -> str | None:
    """The issuer an offer URI points to (shown before anything is fetched), or None."""
    from urllib.parse import parse_qsl, urlsplit

    from govgraph.wallet.ui.consent import origin_of

    if not offer.startswith("openid-credential-offer://"):
        return None
    try:
        parameters = dict(parse_qsl(urlsplit(offer).query, max_num_fields=4))
    except ValueError:
        return None
    url = parameters.get("credential_offer_uri", "")
    return printable(origin_of(url)) if url.startswith(("http://", "https://")) else None


def build_wallet_app(config: WalletConfig) -> Starlette:
    pages = WalletPages(config)
    booth = booth_pages.BoothPages(pages)
    routes = [
        *static_routes(),
        Mount("/wallet-static", StaticFiles(directory=STATIC), name="wallet-static"),
        Route("/", pages.home),
        Route("/login", pages.login, methods=["GET", "POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/receive", pages.receive, methods=["GET", "POST"]),
        Route("/present", pages.present, methods=["GET", "POST"]),
        Route("/present/answer", pages.answer, methods=["POST"]),
        Route("/history", pages.history_page),
        *booth.routes(),
    ]
    app = Starlette(routes=routes)
    app.state.pages = pages
    csrf_key = CsrfKey(
        config.wallet_path.with_name(config.wallet_path.name.removesuffix(".json") + ".csrf.key")
    )
    app.state.web = Web(csrf_key, (TEMPLATES,))
    app.add_middleware(LocalOnly)
    return app


__all__ = ["PendingConsent", "WalletConfig", "WalletPages", "build_wallet_app"]
