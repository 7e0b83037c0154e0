"""Schema contracts under schema/: each subgraph's SDL and the composed supergraph, generated from code.

Front-end teams generate clients from these files and review every change in them. The subgraph SDLs
come straight from the strawberry schemas (no Node needed); the supergraph is composed by the Guild
composer from those same files, with each subgraph's URL at its standalone default port."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from strawberry.schema.base import BaseSchema

from govgraph.federation.node_composer import compose_supergraph

SUBGRAPHS_DIR = "subgraphs"
SUPERGRAPH_FILE = "supergraph.graphql"


class Subgraph(Protocol):
    """What a contract needs of a subgraph (an agency, to the app): its name, port and schema."""

    @property
    def name(self) -> str: ...

    @property
    def default_port(self) -> int: ...

    def schema(self, *, production: bool) -> BaseSchema: ...


def subgraph_sdl(subgraph: Subgraph) -> str:
    # Production settings: the contract is what a production deployment serves.
    return subgraph.schema(production=True).as_str().rstrip("\n") + "\n"


def subgraph_url(subgraph: Subgraph) -> str:
    return f"http://127.0.0.1:{subgraph.default_port}/graphql"


def export_subgraphs(schema_dir: Path, subgraphs: Sequence[Subgraph]) -> list[Path]:
    directory = schema_dir / SUBGRAPHS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for subgraph in subgraphs:
        path = directory / f"{subgraph.name}.graphql"
        _write_atomically(path, subgraph_sdl(subgraph))
        written.append(path)
    return written


def export_supergraph(schema_dir: Path, subgraphs: Sequence[Subgraph]) -> Path:
    """Compose the exported subgraph SDLs (needs Node and docker/gateway's packages)."""
    out = schema_dir / SUPERGRAPH_FILE
    compose_supergraph(
        {subgraph.name: subgraph_url(subgraph) for subgraph in subgraphs},
        out,
        sdl_dir=schema_dir / SUBGRAPHS_DIR,
    )
    return out


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    temporary.replace(path)
