"""`govgraph wallet receive`, `present URI` and `qr`: the HTTP flows' terminal side (what is printed, what
is asked); the flows themselves are govgraph.wallet.issuance and govgraph.wallet.presentation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

Run = Callable[..., Any]
REVOCATION_HINTS = {
    "stale_witness": " (the credential's revocation witness is older than the epochs the verifier accepts: "
    "run `govgraph wallet refresh --issuer <issuer URL>`, then present again)",
    "revoked": " (the issuer has revoked this credential)",
}


def receive_over_http(path: Path, offer: str, tx_code: str, backend: Any, run: Run) -> None:
    from govgraph.wallet.issuance import receive
    from zk.json_input import printable

    received = run(receive, path, offer, tx_code.strip(), backend=backend)
    typer.echo(
        f"stored credential {received.credential_id} ({printable(received.configuration)}) "
        f"from {printable(received.issuer)}"
    )


def present_over_http(
    path: Path, uri: str, credential: str | None, yes: bool, backend: Any, run: Run
) -> None:
    from govgraph.wallet import presentation
    from govgraph.wallet.transport import Http

    with Http() as http:
        ask = run(presentation.fetch, path, uri, http)
        for line in ask.lines():
            typer.echo(line)
        chosen = run(presentation.plan, path, ask, credential)
        for line in chosen.lines():  # Plan.lines escapes the request's and the credential's text
            typer.echo(line)
        if not yes and not typer.confirm("Send this presentation?", default=False):
            typer.echo("not sent")
            raise typer.Exit(code=1)
        _, answer = run(presentation.answer, path, ask, http, credential, backend=backend)
    if answer.accepted:
        typer.echo("sent: the verifier accepted the presentation")
        return
    from zk.json_input import printable

    reason = answer.failure or answer.error or f"HTTP {answer.status}"
    typer.echo(
        f"govgraph wallet: the verifier rejected the presentation: {printable(reason)}"
        + REVOCATION_HINTS.get(reason, ""),
        err=True,
    )
    raise typer.Exit(code=1)


def show_qr(uri: str, png: Path | None, run: Run) -> None:
    import segno

    try:
        code = segno.make(uri, error="m")
    except ValueError as exc:  # segno's DataOverflowError: too long for any QR code
        typer.echo(f"govgraph wallet: cannot make a QR code: {exc}", err=True)
        raise typer.Exit(code=1) from None
    code.terminal(compact=True)
    if png is not None:
        run(code.save, str(png), kind="png", scale=6, border=4)
        typer.echo(f"wrote {png}")
