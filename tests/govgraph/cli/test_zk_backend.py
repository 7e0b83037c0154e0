"""The commands that do cryptography run on the curve backend the settings name (GOVGRAPH_ZK_BACKEND)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from govgraph import wallet
from govgraph.cli import app
from zk import record_verifier


@pytest.mark.parametrize("name", ["arkworks", "pyecc"])
def test_election_verify_checks_the_record_on_the_configured_backend(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    used = []
    verify = record_verifier.verify_record

    def spy(record, progress=None, backend=None, workers=1, pinned=None):
        used.append(backend.name)
        return verify(record, progress, backend, workers, pinned)

    monkeypatch.setattr(record_verifier, "verify_record", spy)
    path = tmp_path / "record.json"
    path.write_text("[]")
    result = CliRunner().invoke(
        app,
        ["election", "verify", str(path)],
        env={"GOVGRAPH_ZK_BACKEND": name, "GOVGRAPH_DATA": str(tmp_path)},
    )
    assert result.exit_code == 1
    assert used == [name]


def test_wallet_request_uses_the_configured_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    used = []
    monkeypatch.setattr(wallet, "request", lambda path, offer, *, backend: used.append(backend.name) or b"{}")
    offer = tmp_path / "offer.json"
    offer.write_text("{}")
    result = CliRunner().invoke(
        app,
        ["wallet", "request", str(offer)],
        env={"GOVGRAPH_ZK_BACKEND": "pyecc", "GOVGRAPH_DATA": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    assert used == ["pyecc"]
