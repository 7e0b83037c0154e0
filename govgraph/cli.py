"""The `govgraph` command line: commands parse arguments and delegate; the logic lives in services."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

from govgraph import __version__
from govgraph.config import ConfigError, Settings

app = typer.Typer(help="govgraph: verifiable government services.", no_args_is_help=True)
# Command groups filled by later work; each is a separate Typer so its module owns its commands.
ledger_app = typer.Typer(help="Agency ledgers: append, prove, verify receipts, fsck.", no_args_is_help=True)
zk_app = typer.Typer(help="Zero-knowledge tools: keys, credentials, proofs.", no_args_is_help=True)
election_app = typer.Typer(help="Elections: trustees, tally, record verification.", no_args_is_help=True)
schema_app = typer.Typer(help="GraphQL schema contracts under schema/.", no_args_is_help=True)
wallet_app = typer.Typer(help="A citizen's local credential wallet.", no_args_is_help=True)
for name, group in (("ledger", ledger_app), ("zk", zk_app), ("election", election_app),
                    ("schema", schema_app), ("wallet", wallet_app)):
    app.add_typer(group, name=name)


def load_settings() -> Settings:
    """Settings from the environment; an invalid value ends the process with one line naming the variable."""
    try:
        return Settings.from_env()
    except ConfigError as exc:
        typer.echo(f"govgraph: configuration error: {exc}", err=True)
        raise typer.Exit(code=2) from None


@app.command()
def version() -> None:
    """Print the govgraph version."""
    typer.echo(__version__)


@app.command()
def serve() -> None:
    """Serve the whole service (gateway, subgraphs, health, metrics) as configured by GOVGRAPH_* variables."""
    import uvicorn

    from govgraph.app import build_app

    settings = load_settings()
    logging.basicConfig(level=logging.DEBUG if settings.log_level == "trace" else settings.log_level.upper(),
                        format="%(levelname)s:     %(name)s: %(message)s")
    uvicorn.run(
        build_app(settings), host=settings.host, port=settings.port,
        log_level=settings.log_level, lifespan="on", timeout_graceful_shutdown=10,
    )


@app.command()
def subgraph(
    agency: str = typer.Argument(..., help="Agency name, e.g. identity or land."),
    port: int = typer.Option(None, "--port", help="Listen port (default: the agency's own, e.g. land 4102)."),
) -> None:
    """Serve one agency's subgraph alone at /graphql (for Hive Gateway, Apollo Router or the embedded gateway)."""
    import uvicorn

    from govgraph.federation.agencies import find_agency, standalone_agency_app

    settings = load_settings()
    try:
        chosen = find_agency(agency)
    except KeyError as exc:
        typer.echo(f"govgraph: {exc.args[0]}", err=True)
        raise typer.Exit(code=2) from None
    uvicorn.run(standalone_agency_app(chosen, settings), host=settings.host, port=port or chosen.default_port,
                log_level=settings.log_level, lifespan="on", timeout_graceful_shutdown=10)


@schema_app.command("export")
def schema_export(
    directory: Path = typer.Option(Path("schema"), "--dir", help="Where the contracts live."),
    supergraph: bool = typer.Option(True, help="Also compose schema/supergraph.graphql (needs Node)."),
) -> None:
    """Write schema/subgraphs/<agency>.graphql and the composed schema/supergraph.graphql from the code."""
    from govgraph.federation.agencies import standard_agencies
    from govgraph.federation.contracts import export_subgraphs, export_supergraph
    from govgraph.federation.servers import GatewayUnavailable

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


def main() -> None:
    app(prog_name="govgraph")


if __name__ == "__main__":
    sys.exit(main())
