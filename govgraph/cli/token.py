"""`govgraph token ...`: bearer tokens from the embedded issuer (its key in the data directory)."""

from __future__ import annotations

from typing import Annotated

import typer

from govgraph.cli.settings import load_settings

app = typer.Typer(help="Bearer tokens from the embedded issuer.", no_args_is_help=True)


@app.command("issue")
def token_issue(
    sub: Annotated[str, typer.Option("--sub", help="The token's subject (who acts).")],
    role: Annotated[list[str], typer.Option("--role", help="A role to grant (repeatable), e.g. clerk:land.")],
    ttl: Annotated[int, typer.Option("--ttl", min=1, help="Lifetime in seconds.")] = 3600,
) -> None:
    """Print a signed bearer token for SUB with the given roles."""
    from govgraph.auth.issuer import EmbeddedIssuer, IssuerKeyError
    from govgraph.federation.errors import ServiceError

    settings = load_settings()
    if settings.auth_external:
        typer.echo(
            f"govgraph token: tokens come from the external provider {settings.token_issuer} "
            "(GOVGRAPH_AUTH_ISSUER); the embedded issuer is off",
            err=True,
        )
        raise typer.Exit(code=2)
    try:
        issuer = EmbeddedIssuer.load_or_create(
            settings.auth_issuer_key_path, issuer=settings.token_issuer, audience=settings.token_audience
        )
        token = issuer.issue(sub, role, ttl)
    except (ServiceError, IssuerKeyError) as exc:
        typer.echo(f"govgraph token: {exc}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(token)
