"""The committed schema contracts match the code: subgraph SDLs (no Node needed) and the composed
supergraph."""

from __future__ import annotations

from pathlib import Path

import pytest

from govgraph.agencies.registry import standard_agencies
from govgraph.federation.contracts import SUPERGRAPH_FILE, subgraph_sdl, subgraph_url
from govgraph.federation.node_composer import compose_supergraph

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schema"
HINT = "schema/ is stale: run `govgraph schema export` and commit the result"


def test_committed_subgraph_sdls_match_the_code() -> None:
    agencies = standard_agencies()
    committed = sorted(p.stem for p in (SCHEMA_DIR / "subgraphs").glob("*.graphql"))
    assert committed == sorted(a.name for a in agencies), HINT
    for agency in agencies:
        assert (SCHEMA_DIR / "subgraphs" / f"{agency.name}.graphql").read_text() == subgraph_sdl(agency), HINT


@pytest.mark.usefixtures("gateway_packages")
def test_committed_supergraph_is_the_composition_of_the_subgraphs(tmp_path: Path) -> None:
    agencies = standard_agencies()
    composed = compose_supergraph(
        {a.name: subgraph_url(a) for a in agencies},
        tmp_path / SUPERGRAPH_FILE,
        sdl_dir=SCHEMA_DIR / "subgraphs",
    )
    assert (SCHEMA_DIR / SUPERGRAPH_FILE).read_text() == composed, HINT
