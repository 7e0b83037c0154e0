"""Schema contracts under schema/: each agency's subgraph SDL and the composed supergraph, generated from code.

Front-end teams generate clients from these files and review every change in them. The subgraph SDLs
come straight from the strawberry schemas (no Node needed); the supergraph is composed by the Guild
composer from those same files, with each subgraph's URL at its standalone default port."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from govgraph.federation.agencies import Agency
from govgraph.federation.servers import compose_supergraph

SUBGRAPHS_DIR = "subgraphs"
SUPERGRAPH_FILE = "supergraph.graphql"


def subgraph_sdl(agency: Agency) -> str:
    # Production settings: the contract is what a production deployment serves.
    return agency.schema(production=True).as_str().rstrip("\n") + "\n"


def subgraph_url(agency: Agency) -> str:
    return f"http://127.0.0.1:{agency.default_port}/graphql"


def export_subgraphs(schema_dir: Path, agencies: Sequence[Agency]) -> list[Path]:
    directory = schema_dir / SUBGRAPHS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for agency in agencies:
        path = directory / f"{agency.name}.graphql"
        _write_atomically(path, subgraph_sdl(agency))
        written.append(path)
    return written


def export_supergraph(schema_dir: Path, agencies: Sequence[Agency]) -> Path:
    """Compose the exported subgraph SDLs (needs Node and docker/gateway's packages)."""
    out = schema_dir / SUPERGRAPH_FILE
    compose_supergraph(
        {agency.name: subgraph_url(agency) for agency in agencies}, out, sdl_dir=schema_dir / SUBGRAPHS_DIR
    )
    return out


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    temporary.replace(path)
