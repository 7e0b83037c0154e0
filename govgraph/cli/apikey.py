"""`govgraph apikey ...`: API keys for machine clients: create (the key is printed once), revoke, list."""

from __future__ import annotations

from typing import Annotated

import typer

from govgraph.cli.settings import load_settings

app = typer.Typer(help="API keys for machine clients (sent as X-API-Key).", no_args_is_help=True)


def _run(operation):
    """Run `operation(store)` on the configured database's API key store; a refused operation ends the
    command with one line and exit code 1."""
    import asyncio

    from govgraph import db
    from govgraph.auth.apikeys import ApiKeyStore, create_api_key_tables
    from govgraph.federation.errors import ServiceError

    settings = load_settings()

    async def run():
        engine = db.create_engine(settings.database_url)
        try:
            await create_api_key_tables(engine)
            return await operation(ApiKeyStore(db.session_factory(engine)))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except ServiceError as exc:
        typer.echo(f"govgraph apikey: {exc}", err=True)
        raise typer.Exit(code=1) from None


def _line(key) -> str:
    state = f"revoked {key.revoked_at.isoformat(timespec='seconds')}" if key.revoked else "active"
    created = key.created_at.isoformat(timespec="seconds")
    return f"{key.id}  {key.name}  {','.join(sorted(key.roles))}  created {created}  {state}"


@app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option("--name", help="A unique name for the client, e.g. tally-bot.")],
    role: Annotated[list[str], typer.Option("--role", help="A role to grant (repeatable).")],
) -> None:
    """Create a key and print it once: only its hash is stored, so it cannot be shown again."""
    created = _run(lambda store: store.create(name, role))
    typer.echo(created.key)
    typer.echo(f"API key {created.record.id} ({name}) created; store it now, it is not shown again", err=True)


@app.command("revoke")
def apikey_revoke(
    name_or_id: Annotated[str, typer.Argument(metavar="NAME-OR-ID", help="The key's name or id.")],
) -> None:
    """Revoke a key: from now on it authenticates nobody."""
    typer.echo(_line(_run(lambda store: store.revoke(name_or_id))))


@app.command("list")
def apikey_list() -> None:
    """List every key (id, name, roles, created, state); secrets are never stored, so never shown."""
    for key in _run(lambda store: store.list_keys()):
        typer.echo(_line(key))
