"""`govgraph wallet ...`: thin wrappers over govgraph.wallet (the web wallet imports the same functions)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from govgraph.cli.settings import load_settings

app = typer.Typer(help="A citizen's local credential wallet.", no_args_is_help=True)


def _backend():
    """The curve backend the settings name (GOVGRAPH_ZK_BACKEND), for the operations that do cryptography."""
    from zk.curve import get_backend

    return get_backend(load_settings().zk_backend)


def _wallet_path(wallet: Path | None) -> Path:
    from govgraph.wallet import default_path

    return wallet if wallet is not None else default_path(load_settings().data_dir)


def _run_wallet(operation, *args, **options):
    """Run a wallet operation; its typed failures end the command with one plain line (and the wallet's
    reasons, one per line, under it) and exit code 1."""
    from govgraph.wallet import WalletError
    from zk.errors import ZkError
    from zk.json_input import printable

    try:
        return operation(*args, **options)
    except (WalletError, ZkError, OSError) as exc:
        # the message may quote the offer, request or wallet file: no control character reaches the terminal
        message = "\n".join(printable(line) for line in str(exc).split("\n"))
        typer.echo(f"govgraph wallet: {message}", err=True)
        raise typer.Exit(code=1) from None


def _read_message(path: Path) -> bytes:
    """A message file's bytes, read only up to one byte past the wire limit (the parser then refuses it)."""
    from zk.wire import MAX_MESSAGE_BYTES

    with path.open("rb") as handle:
        return handle.read(MAX_MESSAGE_BYTES + 1)


WalletFile = Annotated[
    Path | None,
    typer.Option(
        "--wallet",
        envvar="GOVGRAPH_WALLET",
        help="Wallet file (default $GOVGRAPH_DATA/wallet.json; created 0600).",
    ),
]
DEFAULT_PRESENTATION = Path("presentation.json")


@app.command("request")
def wallet_request(
    offer: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CredentialOffer JSON.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Where to write (default stdout).")
    ] = None,
    wallet: WalletFile = None,
) -> None:
    """Answer an issuer's credential offer.

    Keeps the holder secrets in the wallet and writes the CredentialRequest."""
    from govgraph import wallet as wallet_ops

    data = _run_wallet(_read_message, offer)
    answer = _run_wallet(wallet_ops.request, _wallet_path(wallet), data, backend=_backend())
    if output is None:
        typer.echo(answer.decode())
    else:
        _run_wallet(output.write_bytes, answer)


@app.command("store")
def wallet_store(
    credential: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Credential JSON.")],
    wallet: WalletFile = None,
) -> None:
    """Check an issued credential against its pending request and keep it; prints its id."""
    from govgraph import wallet as wallet_ops

    data = _run_wallet(_read_message, credential)
    typer.echo(_run_wallet(wallet_ops.store, _wallet_path(wallet), data, backend=_backend()))


@app.command("list")
def wallet_list(
    wallet: WalletFile = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON list instead of text.")] = False,
) -> None:
    """The credentials in the wallet, with their attributes."""
    import json

    from govgraph import wallet as wallet_ops
    from zk.json_input import printable

    summaries = _run_wallet(wallet_ops.list_credentials, _wallet_path(wallet))
    if as_json:
        typer.echo(json.dumps([s.to_json() for s in summaries], indent=2))
        return
    if not summaries:
        typer.echo("no credentials")
    for summary in summaries:
        # the schema name and attribute values are the issuer's text: printed escaped
        values = ", ".join(f"{k}={printable(str(v))}" for k, v in summary.attributes.items())
        status = ""
        if summary.revocation is not None:
            epoch, member = summary.revocation
            status = f"  revocation epoch {epoch}" if member else f"  REVOKED (epoch {epoch})"
        typer.echo(
            f"{summary.id}  {printable(summary.schema)}  issuer {summary.issuer_key}"
            f"  expires {summary.expires}{status}\n    {values}"
        )


@app.command("present")
def wallet_present(
    request: Annotated[
        str,
        typer.Argument(
            help="The verifier's openid4vp:// request URI, or a PresentationRequest JSON file.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the presentation (a file request).")
    ] = DEFAULT_PRESENTATION,
    credential: Annotated[str | None, typer.Option("--credential", help="Use this credential id.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Send without asking (for scripts).")] = False,
    wallet: WalletFile = None,
) -> None:
    """Print what will be disclosed and proved, then answer REQUEST.

    An openid4vp:// URI is fetched from the verifier and, once you agree (or with --yes), answered over
    HTTP (OpenID4VP direct_post); a file gets the presentation written to --output."""
    from govgraph import wallet as wallet_ops
    from govgraph.cli.wallet_flows import present_over_http
    from zk.json_input import printable

    if request.startswith("openid4vp:"):
        present_over_http(_wallet_path(wallet), request, credential, yes, _backend(), _run_wallet)
        return
    path = Path(request)
    if not path.is_file():
        typer.echo(
            f"govgraph wallet: {printable(request)} is neither an openid4vp:// URI nor a file", err=True
        )
        raise typer.Exit(code=2)
    data = _run_wallet(_read_message, path)
    chosen, presentation = _run_wallet(
        wallet_ops.present, _wallet_path(wallet), data, credential, backend=_backend()
    )
    for line in chosen.lines():  # Plan.lines escapes the request's and the credential's text
        typer.echo(line)
    _run_wallet(output.write_bytes, presentation)
    typer.echo(f"wrote {printable(str(output))}")


@app.command("receive")
def wallet_receive(
    offer: Annotated[
        str, typer.Argument(help="The issuer's openid-credential-offer:// URI.", show_default=False)
    ],
    tx_code: Annotated[
        str,
        typer.Option(
            "--tx-code", help="The PIN the clerk gave with the offer.", prompt="PIN", hide_input=True
        ),
    ],
    wallet: WalletFile = None,
) -> None:
    """Receive a credential: run the OpenID4VCI pre-authorized code flow for OFFER and keep the credential."""
    from govgraph.cli.wallet_flows import receive_over_http

    receive_over_http(_wallet_path(wallet), offer, tx_code, _backend(), _run_wallet)


@app.command("refresh")
def wallet_refresh(
    issuer: Annotated[
        str,
        typer.Option("--issuer", help="The credential issuer's URL (its credential_issuer identifier)."),
    ],
    wallet: WalletFile = None,
) -> None:
    """Fetch the revocation epochs since each revocable credential's last one and update its witness."""
    from govgraph.wallet.revocation import refresh
    from govgraph.wallet.transport import Http

    with Http() as http:
        refreshed = _run_wallet(refresh, _wallet_path(wallet), issuer, http, backend=_backend())
    for item in refreshed:
        typer.echo(item.line())
    if not refreshed:
        typer.echo("no revocable credential in this wallet")


@app.command("qr")
def wallet_qr(
    uri: Annotated[
        str, typer.Argument(help="An offer or request URI to show as a QR code.", show_default=False)
    ],
    png: Annotated[Path | None, typer.Option("--png", help="Also write the QR code as a PNG file.")] = None,
) -> None:
    """Show a credential offer (or presentation request) URI as a QR code for a phone wallet."""
    from govgraph.cli.wallet_flows import show_qr

    show_qr(uri, png, _run_wallet)


@app.command("ui")
def wallet_ui(
    service: Annotated[
        str,
        typer.Option(
            "--service",
            envvar="GOVGRAPH_SERVICE_URL",
            help="The govgraph service whose elections the voting booth reads (its base URL).",
        ),
    ] = "http://127.0.0.1:8000",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Local port to serve on.")] = 8600,
    wallet: WalletFile = None,
) -> None:
    """Serve the wallet page on http://127.0.0.1:PORT (this computer only) and print its access code."""
    import secrets

    import uvicorn

    from govgraph.wallet.ui.app import WalletConfig, build_wallet_app

    code = secrets.token_urlsafe(12)
    config = WalletConfig(_wallet_path(wallet), service.rstrip("/"), _backend(), code)
    typer.echo(f"Your wallet: http://127.0.0.1:{port}/  (access code: {code})")
    typer.echo("Only this computer can reach it. Stop it with Ctrl-C.")
    uvicorn.run(build_wallet_app(config), host="127.0.0.1", port=port, log_level="warning")
