"""`govgraph procurement ...`: import an OCDS package into the procurement ledger, compile a process."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

from govgraph.cli.settings import load_settings

app = typer.Typer(help="The procurement office: OCDS imports and compiled releases.", no_args_is_help=True)


def _echo(text: str, *, err: bool = False) -> None:
    """Print text that may come from outside with every non-printable character escaped, line by line."""
    from zk.json_input import printable

    typer.echo("\n".join(printable(line) for line in text.split("\n")), err=err)


def _run(operation):
    """Run `operation(engine, settings)` on the configured database; a refused input ends the command with
    one line and exit code 1."""
    import asyncio

    from govgraph import db
    from govgraph.federation.errors import ServiceError

    settings = load_settings()

    async def run():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = db.create_engine(settings.database_url)
        try:
            return await operation(engine, settings)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except ServiceError as error:
        _echo(f"govgraph procurement: {error}", err=True)
        raise typer.Exit(code=1) from None


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="An OCDS release or record package (1.0 or 1.1), JSON.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Import a package: kept whole, one ledger entry per release and record; schema errors are reported
    (`schema_errors`: path and message) and never stop the import."""
    from govgraph.agencies.procurement.operations import import_package_file

    try:
        data = path.read_bytes()
    except OSError as error:
        _echo(f"govgraph procurement: cannot read {path}: {error.strerror}", err=True)
        raise typer.Exit(code=1) from None
    result = _run(
        lambda engine, settings: import_package_file(
            engine, settings.ledger_keys_dir, data, getpass.getuser()
        )
    )
    if as_json:
        summary = {key: value for key, value in result.items() if key != "schemaErrors"}
        typer.echo(json.dumps({**summary, "schema_errors": result["schemaErrors"]}))
        return
    _echo(
        f"imported {result['package']}: {result['kind']} package, OCDS {result['ocdsVersion']}, "
        f"{result['releases']} releases, {result['records']} records, ocids: {', '.join(result['ocids'])}"
    )
    _echo(f"schema errors: {len(result['schemaErrors'])}")
    for error in result["schemaErrors"]:
        _echo(f"  {error['path'] or '/'}: {error['message']}")


@app.command("compile")
def compile_(
    ocid: Annotated[str, typer.Argument(help="The contracting process's ocid.")],
    versioned: Annotated[bool, typer.Option("--versioned", help="The versioned release instead.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One line of JSON (default: indented).")] = False,
) -> None:
    """Print the compiled (or versioned) release of OCID, merged by ocdsmerge from the ledger's releases."""
    from govgraph.agencies.procurement.operations import compile_process

    release = _run(lambda engine, _settings: compile_process(engine, ocid, versioned=versioned))
    typer.echo(json.dumps(release, ensure_ascii=True) if as_json else json.dumps(release, indent=2))


member_app = typer.Typer(
    help="An evaluation committee member's steps of a sealed-bid tender, against the office's /graphql.",
    no_args_is_help=True,
)
app.add_typer(member_app, name="member")
URL = typer.Option("--url", help="The office's base URL (its /graphql is used).")
TOKEN = typer.Option(
    "--token", envvar="GOVGRAPH_TOKEN", help="The member's bearer token (official:procurement)."
)
STATE = typer.Option("--state", help="The member's state file for this tender (created by `join`, 0600).")


def _member(url: str, token: str, state: Path):
    from govgraph.committee import Member
    from zk.curve import get_backend

    return Member(url, token, state, get_backend(load_settings().zk_backend))


def _step(operation):
    from govgraph.committee import CommitteeError

    try:
        return operation()
    except CommitteeError as error:
        _echo(f"govgraph procurement member: {error}", err=True)
        raise typer.Exit(code=1) from None


@member_app.command("join")
def member_join(
    tender: Annotated[str, typer.Argument(help="The tender id.")],
    member: Annotated[int, typer.Option("--member", help="This member's place on the committee, 1..n.")],
    state: Annotated[Path, STATE],
    token: Annotated[str, TOKEN],
    url: Annotated[str, URL] = "http://127.0.0.1:8000",
) -> None:
    """Round 1: draw this member's polynomial and box key (kept in the state file), post the commitment."""
    digest = _step(lambda: _member(url, token, state).join(tender, member))
    _echo(f"committed to the tender key of {tender} as member {member}: {digest}")


@member_app.command("reveal")
def member_reveal(
    state: Annotated[Path, STATE],
    token: Annotated[str, TOKEN],
    url: Annotated[str, URL] = "http://127.0.0.1:8000",
) -> None:
    """Round 2: post the coefficient commitments and a share sealed to each other member."""
    count = _step(lambda: _member(url, token, state).reveal())
    _echo(f"revealed; {count} shares sealed to the other members")


@member_app.command("check")
def member_check(
    state: Annotated[Path, STATE],
    token: Annotated[str, TOKEN],
    url: Annotated[str, URL] = "http://127.0.0.1:8000",
) -> None:
    """Round 3: check the shares dealt to this member; post the dealers it accuses (none confirms)."""
    accused = _step(lambda: _member(url, token, state).check())
    _echo(f"checked: accused {', '.join(map(str, accused)) or 'nobody'}")


@member_app.command("shares")
def member_shares(
    state: Annotated[Path, STATE],
    token: Annotated[str, TOKEN],
    url: Annotated[str, URL] = "http://127.0.0.1:8000",
) -> None:
    """After the deadline: post this member's proved share of every bid."""
    opened = _step(lambda: _member(url, token, state).shares())
    _echo(
        "shares posted; the bids are open"
        if opened
        else "shares posted; the bids stay sealed until t members post"
    )
