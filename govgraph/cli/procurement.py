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
