"""The settings every command reads once from the environment; a bad value ends the process with one line."""

from __future__ import annotations

import typer

from govgraph.config import ConfigError, Settings


def load_settings() -> Settings:
    """Settings from the environment; an invalid value ends the process with one line naming the variable."""
    try:
        return Settings.from_env()
    except ConfigError as exc:
        typer.echo(f"govgraph: configuration error: {exc}", err=True)
        raise typer.Exit(code=2) from None
