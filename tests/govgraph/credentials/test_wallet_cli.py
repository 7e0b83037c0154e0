"""`govgraph wallet qr` draws an offer URI as a QR code (terminal and PNG), and `govgraph wallet present`
sends nothing when the citizen says no."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from govgraph.cli import app
from tests.support.credential_flows import adult_and_residence, wallet, years_ago

OFFER = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fid.example%2Fcredentials%2Foffers%2Fx"


def test_the_qr_command_draws_the_uri_and_writes_a_png(tmp_path) -> None:
    png = tmp_path / "offer.png"
    result = CliRunner().invoke(app, ["wallet", "qr", OFFER, "--png", str(png)])
    assert result.exit_code == 0, result.output
    assert "█" in result.output or "▀" in result.output
    assert result.output.rstrip().endswith(f"wrote {png}")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_uri_too_long_for_a_qr_code_is_one_line(tmp_path) -> None:
    result = CliRunner().invoke(app, ["wallet", "qr", "x" * 8000])
    assert result.exit_code == 1
    assert result.output.startswith("govgraph wallet: cannot make a QR code: ")


@pytest.mark.e2e
def test_saying_no_sends_nothing(desk) -> None:
    citizen = desk.service.enrol(desk.clerk, years_ago(desk.today, 30))
    offer = desk.service.offer(desk.clerk, citizen)
    path = desk.tmp / "no.json"
    assert wallet(path, "receive", offer["offerUri"], "--tx-code", offer["txCode"]).returncode == 0
    ask = desk.service.ask(desk.official, adult_and_residence(desk.today))
    done = wallet(path, "present", ask["requestUri"], stdin="n\n")
    assert done.returncode == 1
    assert done.stdout.endswith("Send this presentation? [y/N]: not sent\n")
    assert desk.service.result(desk.official, ask["id"])["status"] == "PENDING"
