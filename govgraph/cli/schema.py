"""`govgraph schema ...`: write the GraphQL contracts under schema/ from the code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
