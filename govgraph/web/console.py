"""The clerk console (`/console`): log in with a token (posted in a form, then kept only in an HttpOnly,
SameSite=Strict cookie scoped to /console, never in a URL), and the agencies' mutations as forms
(`console_forms`) sent through the service's own public /graphql with that token, so every rule of the API
(roles, validation, idempotency, the ledger) applies as to any client. A credential offer is shown as a QR
code (SVG made here by segno) with its URI and PIN."""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import segno
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from govgraph.auth.failures import AuthenticationFailed
from govgraph.federation.principal import Principal
from govgraph.request_body import BodyTooLarge, read_body
from govgraph.web.console_forms import BY_SLUG, FORMS, ConsoleForm, FieldError, advice
from govgraph.web.console_schema import MutationForm, access_map, mutation_forms, receipt_links
from govgraph.web.csrf import CsrfRefused, check_csrf
from govgraph.web.pages import csrf_refused, error_page, render

COOKIE = "govgraph_console"
COOKIE_PATH = "/console"
SESSION_SECONDS = 8 * 3600
MAX_FORM_BYTES = 512 * 1024  # a JSON argument (an OCDS package, a manifest) can be large
MAX_FIELDS = 256
MAX_TOKEN = 8192
WALLET_RECEIVE = "http://127.0.0.1:8600/receive"  # `govgraph wallet ui`'s default address


async def _form(request: Request) -> dict[str, str]:
    """The posted form (URL-encoded, at most MAX_FORM_BYTES), CSRF-checked."""
    from urllib.parse import parse_qsl

    try:
        body = await read_body(request, MAX_FORM_BYTES)
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS))
    except (BodyTooLarge, UnicodeDecodeError, ValueError):
        raise CsrfRefused("the form could not be read (too large or not a web form)") from None
    check_csrf(request, form)
    return form


async def _principal(request: Request, token: str) -> Principal | None:
    if not token or len(token) > MAX_TOKEN:
        return None
    try:
        principal = await request.app.state.auth.authenticator.authenticate(
            {"authorization": f"Bearer {token}"}
        )
    except AuthenticationFailed:
        return None
    return principal if principal.subject is not None else None


async def _session(request: Request) -> tuple[str, Principal] | None:
    token = request.cookies.get(COOKIE, "")
    principal = await _principal(request, token)
    return None if principal is None else (token, principal)


def _page(request: Request, template: str, status: int = 200, **values: Any) -> Response:
    return render(request, f"console/{template}", {"section": "console", **values}, status)


async def console(request: Request) -> Response:
    session = await _session(request)
    if session is None:
        return _page(request, "login.html", expired=COOKIE in request.cookies)
    _, principal = session
    mutations = list((await _mutations(request)).values())
    mine: dict[str, list[MutationForm]] = {}
    for form in mutations:
        if form.access.allows(principal):
            mine.setdefault(form.agency, []).append(form)
    others = [form for form in mutations if not form.access.allows(principal)]
    return _page(
        request,
        "index.html",
        principal=principal,
        forms=FORMS,
        roles=sorted(principal.roles),
        mine=sorted(mine.items()),
        others=others,
    )


async def _mutations(request: Request) -> dict[str, MutationForm]:
    """Every mutation of the gateway's composed API schema as a form (made once per app)."""
    made = getattr(request.app.state, "console_mutations", None)
    if made is None:
        supergraph = (await request.app.state.gateway.ready()).supergraph
        root = supergraph.roots.get("mutation")
        fields = supergraph.types[root].fields if root in supergraph.types else {}
        owners = {name: next(iter(field.sites), "gateway") for name, field in fields.items()}
        agencies = getattr(request.app.state, "agencies", ())
        ledgers = [agency.name for agency in agencies if agency.ledger]
        forms = mutation_forms(supergraph.api_schema, owners, access_map(agencies), ledgers)
        made = request.app.state.console_mutations = {form.slug: form for form in forms}
    return made


async def login(request: Request) -> Response:
    try:
        form = await _form(request)
    except CsrfRefused as refused:
        return csrf_refused(request, str(refused))
    token = form.get("token", "").strip()
    principal = await _principal(request, token)
    if principal is None:
        return _page(
            request,
            "login.html",
            401,
            error="That token is not accepted: it is malformed, expired, or not issued for this service. "
            "Ask for a fresh token (e.g. `govgraph token issue --sub you --role clerk:identity`) and paste "
            "it again.",
        )
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    try:
        await _form(request)
    except CsrfRefused as refused:
        return csrf_refused(request, str(refused))
    response = RedirectResponse("/console", status_code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


async def mutation_form(request: Request) -> Response:
    slug = f"{request.path_params['agency']}/{request.path_params['action']}"
    spec = BY_SLUG.get(slug)
    if spec is None and (generated := (await _mutations(request)).get(slug)) is not None:
        return await _generated_form(request, generated)
    if spec is None:
        return error_page(
            request, 404, "There is no such console form.", "Pick a form from the console's list."
        )
    session = await _session(request)
    if session is None:
        return RedirectResponse("/console", status_code=303)
    token, principal = session
    show = _shower(request, "form.html", spec, spec.role in principal.roles)
    if request.method == "GET":
        return show({})
    sent = await _sent(request, token, spec, show, idempotent=True)
    if isinstance(sent, Response):
        return sent
    form, answer = sent
    data = answer.get("data")
    result = data.get(spec.result) if isinstance(data, dict) else None
    if answer.get("errors") or result is None:
        return show(form, *_refusal(answer))
    if spec.result == "createCredentialOffer":
        return _offer_page(request, result)
    return _page(request, "done.html", spec=spec, result=result)


async def _generated_form(request: Request, spec: MutationForm) -> Response:
    session = await _session(request)
    if session is None:
        return RedirectResponse("/console", status_code=303)
    token, principal = session
    show = _shower(request, "mutation.html", spec, spec.access.allows(principal))
    if request.method == "GET":
        return show({})
    sent = await _sent(request, token, spec, show, idempotent=spec.idempotent)
    if isinstance(sent, Response):
        return sent
    form, answer = sent
    data = answer.get("data")
    result = data.get(spec.field) if isinstance(data, dict) else None
    if result is None:
        return show(form, *_refusal(answer))
    if spec.field == "createCredentialOffer" and isinstance(result, dict) and "offerUri" in result:
        return _offer_page(request, result)
    notes = [f"{'.'.join(map(str, e.get('path') or []))}: {e.get('message', '')}" for e in _errors(answer)]
    return _page(
        request,
        "result.html",
        spec=spec,
        result_json=json.dumps(result, indent=2, ensure_ascii=False),
        receipts=receipt_links(result, spec.ledger),
        notes=notes,
    )


Show = Callable[..., Response]  # (values, error=None, status=200, code=None): the form's page


def _shower(request: Request, template: str, spec: ConsoleForm | MutationForm, allowed: bool) -> Show:
    """The form's page with the values given (a refusal names its field or the API's code)."""

    def show(values: dict[str, str], error: str | None = None, status: int = 200, code: str | None = None):
        return _page(
            request,
            template,
            status,
            spec=spec,
            values=values,
            error=error,
            code=code,
            allowed=allowed,
            # a new key per form shown: a form sent twice (a double click, a retry) acts once
            idempotency=values.get("idempotency") or secrets.token_urlsafe(16),
        )

    return show


async def _sent(
    request: Request, token: str, spec: ConsoleForm | MutationForm, show: Show, idempotent: bool
) -> tuple[dict[str, str], dict] | Response:
    """A form's POST sent as its mutation through /graphql: (the form, the API's answer), or what to answer
    instead: the CSRF refusal, or the form again naming the field at fault."""
    try:
        form = await _form(request)
    except CsrfRefused as refused:
        return csrf_refused(request, str(refused))
    try:
        variables = spec.variables(form)
    except FieldError as exc:
        return show(form, str(exc), 400)
    if idempotent:
        variables["idempotencyKey"] = form.get("idempotency") or None
    return form, await _graphql(request, token, spec.document, variables)


def _errors(answer: dict) -> list[dict]:
    errors = answer.get("errors")
    return [error for error in errors if isinstance(error, dict)] if isinstance(errors, list) else []


def _refusal(answer: dict) -> tuple[str, int, str]:
    """The API's refusal (its first error) as the form page's (error, status, code): the sentence a clerk
    reads, with advice for its code."""
    first = next(iter(_errors(answer)), {})
    code = str((first.get("extensions") or {}).get("code", "ERROR"))
    message = str(first.get("message", "the service gave no answer"))
    return f"The service refused ({code}): {message} {advice(code)}", 400, code


def _offer_page(request: Request, offer: dict) -> Response:
    uri = str(offer["offerUri"])
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", scale=4, border=4, xmldecl=False, svgns=True, title="QR code of the credential offer"
    )
    svg = out.getvalue().decode()
    wallet_link = f"{WALLET_RECEIVE}?{urlencode({'offer': uri})}"
    return _page(request, "offer.html", offer=offer, svg=svg, wallet_link=wallet_link)


async def _graphql(request: Request, token: str, document: str, variables: dict) -> dict:
    """POST to this service's own /graphql (in process, through the whole public stack) as the clerk."""
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.local", timeout=60) as client:
        answer = await client.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    try:
        body = answer.json()
    except ValueError:
        return {"errors": [{"message": f"the API answered HTTP {answer.status_code}", "extensions": {}}]}
    return body if isinstance(body, dict) else {}


def routes() -> list[BaseRoute]:
    return [
        Route("/console", console, methods=["GET"]),
        Route("/console/login", login, methods=["POST"]),
        Route("/console/logout", logout, methods=["POST"]),
        Route("/console/{agency}/{action}", mutation_form, methods=["GET", "POST"]),
    ]


__all__ = ["COOKIE", "routes"]
