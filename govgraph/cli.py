"""The `govgraph` command line: commands parse arguments and delegate; the logic lives in services."""

from __future__ import annotations

import logging
import sys

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


def main() -> None:
    app(prog_name="govgraph")


if __name__ == "__main__":
    sys.exit(main())
