"""`govgraph schema ...`: write the GraphQL contracts under schema/ from the code; check changes to them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from zk.errors import MalformedInput

app = typer.Typer(help="GraphQL schema contracts under schema/.", no_args_is_help=True)


@app.command("export")
def schema_export(
    directory: Annotated[Path, typer.Option("--dir", help="Where the contracts live.")] = Path("schema"),
    supergraph: Annotated[
        bool, typer.Option(help="Also compose schema/supergraph.graphql (needs Node).")
    ] = True,
) -> None:
    """Write schema/subgraphs/<agency>.graphql and the composed schema/supergraph.graphql from the code."""
    from govgraph.agencies.registry import standard_agencies
    from govgraph.federation.contracts import export_subgraphs, export_supergraph
    from govgraph.federation.node_composer import GatewayUnavailable

    agencies = standard_agencies()
    for path in export_subgraphs(directory, agencies):
        typer.echo(f"wrote {path}")
    if supergraph:
        try:
            typer.echo(f"wrote {export_supergraph(directory, agencies)}")
        except GatewayUnavailable as exc:
            typer.echo(f"govgraph: cannot compose the supergraph: {exc}", err=True)
            raise typer.Exit(code=1) from None
        except RuntimeError as exc:
            typer.echo(f"govgraph: {exc}", err=True)
            raise typer.Exit(code=1) from None


@app.command("check")
def schema_check(
    directory: Annotated[Path, typer.Option("--dir", help="Where the contracts live.")] = Path("schema"),
    base: Annotated[
        str | None,
        typer.Option(
            help="Compare with <dir>/supergraph.graphql as committed at this git revision (CI: HEAD^)."
        ),
    ] = None,
    against: Annotated[
        Path | None, typer.Option(help="Compare with this supergraph file instead (a published schema).")
    ] = None,
    allowlist: Annotated[
        Path | None,
        typer.Option(help="Intended breaking changes with reasons; default <dir>/allowed-changes.json."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Classify each change of the API schema as breaking, dangerous or safe: the code's composition against
    the committed supergraph. Exit 1 on a breaking change not in the allowlist, 2 on unreadable input."""
    from govgraph.agencies.registry import standard_agencies
    from govgraph.federation import schema_changes as sc
    from govgraph.federation.contracts import SUPERGRAPH_FILE, subgraph_sdl
    from govgraph.federation.gateway.supergraph import CompositionError

    if base is not None and against is not None:
        typer.echo("govgraph: give --base or --against, not both", err=True)
        raise typer.Exit(code=2)
    allowlist = allowlist or directory / "allowed-changes.json"
    try:
        if base is not None:
            baseline = sc.file_at_revision(directory / SUPERGRAPH_FILE, base)
            label = f"{directory / SUPERGRAPH_FILE} at {base}"
        else:
            label = str(against or directory / SUPERGRAPH_FILE)
            baseline = _read(Path(label))
        old = sc.api_schema_of_supergraph(baseline, what=label)
        entries = (
            sc.load_allowlist(_read(allowlist).encode(), what=str(allowlist)) if allowlist.exists() else []
        )
    except MalformedInput as exc:
        typer.echo(f"govgraph: {exc}", err=True)
        raise typer.Exit(code=2) from None
    try:
        new = sc.api_schema_of_subgraphs(
            {agency.name: subgraph_sdl(agency) for agency in standard_agencies()}
        )
    except CompositionError as exc:
        typer.echo(f"govgraph: the agencies' schemas do not compose: {exc}", err=True)
        raise typer.Exit(code=2) from None
    result = sc.check(old, new, entries)
    if as_json:
        typer.echo(json.dumps(sc.report_json(result), indent=2))
    else:
        typer.echo(sc.report_table(result))
    raise typer.Exit(code=0 if result.passed else 1)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MalformedInput(f"cannot read {path}: {exc}") from None
