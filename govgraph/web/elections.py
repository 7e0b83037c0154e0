"""The election board's pages (/elections, /elections/<id>): state, manifest, turnout, results as SVG
charts, and tracking-code lookup with the ballot's inclusion proof checked in the browser."""

from __future__ import annotations

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    return []
