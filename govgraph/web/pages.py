"""Rendering pages: the Jinja2 environment over govgraph/web/templates (autoescaped), `render` for a page
and `error_page` for a refusal told as a sentence with what to do next; both carry the security headers and
the CSRF cookie when a form on the page needed one."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from govgraph import __version__
from govgraph.web.csrf import FIELD, CsrfKey, csrf_token, set_csrf_cookie
from govgraph.web.security import secured

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def _environment(directories: tuple[Path, ...]) -> Environment:
    environment = Environment(
        loader=FileSystemLoader([str(d) for d in directories]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["version"] = __version__
    environment.globals["csrf_field"] = FIELD
    return environment


@dataclass
class Web:
    """What the pages of one app share: the templates and the CSRF key. Put one in `app.state.web`;
    `extra_templates` are searched after the standard ones (another app's own pages)."""

    csrf_key: CsrfKey
    extra_templates: tuple[Path, ...] = ()
    environment: Environment = field(init=False)

    def __post_init__(self) -> None:
        self.environment = _environment((TEMPLATES, *self.extra_templates))

    @classmethod
    def for_data_dir(cls, data_dir: Path, *extra_templates: Path) -> Web:
        return cls(CsrfKey(data_dir / "web" / "csrf.key"), tuple(extra_templates))


def render(request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200):
    """The page `template` rendered with `context`; `request` and `csrf_token()` are available to it."""
    web: Web = request.app.state.web
    values = {"request": request, "csrf_token": lambda: csrf_token(request), **(context or {})}
    html = web.environment.get_template(template).render(values)
    response = secured(HTMLResponse(html, status_code=status))
    set_csrf_cookie(request, response)
    return response


def error_page(request: Request, status: int, sentence: str, next_step: str = "") -> HTMLResponse:
    """A page saying what went wrong (`sentence`) and what to do next (`next_step`), with `status`."""
    return render(
        request, "error.html", {"status": status, "sentence": sentence, "next_step": next_step}, status
    )


def csrf_refused(request: Request, reason: str) -> HTMLResponse:
    """The 403 page for a form whose CSRF check failed (`reason` from CsrfRefused)."""
    return error_page(
        request,
        403,
        f"This form could not be accepted: {reason}.",
        "Go back, reload the page so it holds a fresh form, and send it again from this site.",
    )
