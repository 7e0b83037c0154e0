"""The pages' routes as `govgraph serve` mounts them: the static files under /static, the home page, the
ledger explorer and the election board."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from govgraph.web import console, elections, explorer
from govgraph.web.pages import STATIC, render
from govgraph.web.security import SecurityHeaders


async def home(request: Request):
    return render(request, "home.html")


def static_routes() -> list[BaseRoute]:
    return [Mount("/static", app=SecurityHeaders(StaticFiles(directory=STATIC)), name="static")]


def web_routes() -> list[BaseRoute]:
    return [
        *static_routes(),
        Route("/", home, methods=["GET"]),
        *explorer.routes(),
        *elections.routes(),
        *console.routes(),
    ]
