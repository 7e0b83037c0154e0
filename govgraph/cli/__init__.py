"""The `govgraph` command line: one module per command group; commands parse arguments and delegate."""

from __future__ import annotations

import typer

from govgraph import __version__
from govgraph.cli import (
    apikey,
    db,
    election,
    evidence,
    land,
    ledger,
    procurement,
    schema,
    serve,
    token,
    trustee,
    wallet,
)

app = typer.Typer(help="govgraph: verifiable government services.", no_args_is_help=True)
for group in (ledger, election, trustee, schema, wallet, token, apikey, db, land, procurement, evidence):
    app.add_typer(group.app, name=group.__name__.rpartition(".")[2])
app.command("serve")(serve.serve)
app.command("subgraph")(serve.subgraph)
app.command("gateway")(serve.gateway)


@app.command()
def version() -> None:
    """Print the govgraph version."""
    typer.echo(__version__)


def main() -> None:
    app(prog_name="govgraph")
