"""`govgraph schema export` writes the contracts under schema/ from the code."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from govgraph.cli import app

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schema"


def test_schema_export_writes_the_committed_subgraph_sdls(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["schema", "export", "--dir", str(tmp_path), "--no-supergraph"])
    assert result.exit_code == 0, result.output
    for name in ("identity", "land"):
        written = (tmp_path / "subgraphs" / f"{name}.graphql").read_text()
        assert written == (SCHEMA_DIR / "subgraphs" / f"{name}.graphql").read_text()
