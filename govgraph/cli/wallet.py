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
    """Run a wallet operation; its typed failures end the command with one plain line and exit code 1."""
    from govgraph.wallet import WalletError
    from zk.errors import ZkError

    try:
        return operation(*args, **options)
    except (WalletError, ZkError, OSError) as exc:
        typer.echo(f"govgraph wallet: {exc}", err=True)
        raise typer.Exit(code=1) from None


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

    answer = _run_wallet(wallet_ops.request, _wallet_path(wallet), offer.read_bytes(), backend=_backend())
    if output is None:
        typer.echo(answer.decode())
    else:
        output.write_bytes(answer)


@app.command("store")
def wallet_store(
    credential: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Credential JSON.")],
    wallet: WalletFile = None,
) -> None:
    """Check an issued credential against its pending request and keep it; prints its id."""
    from govgraph import wallet as wallet_ops

    path = _wallet_path(wallet)
    typer.echo(_run_wallet(wallet_ops.store, path, credential.read_bytes(), backend=_backend()))


@app.command("list")
def wallet_list(
    wallet: WalletFile = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON list instead of text.")] = False,
) -> None:
    """The credentials in the wallet, with their attributes."""
    import json

    from govgraph import wallet as wallet_ops

    summaries = _run_wallet(wallet_ops.list_credentials, _wallet_path(wallet))
    if as_json:
        typer.echo(json.dumps([s.to_json() for s in summaries], indent=2))
        return
    if not summaries:
        typer.echo("no credentials")
    for summary in summaries:
        values = ", ".join(f"{k}={v}" for k, v in summary.attributes.items())
        typer.echo(
            f"{summary.id}  {summary.schema}  issuer {summary.issuer_key}  expires {summary.expires}\n"
            f"    {values}"
        )


@app.command("present")
def wallet_present(
    request: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="PresentationRequest JSON from the verifier.")
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the presentation.")
    ] = DEFAULT_PRESENTATION,
    credential: Annotated[str | None, typer.Option("--credential", help="Use this credential id.")] = None,
    wallet: WalletFile = None,
) -> None:
    """Print what will be disclosed and proved, then write the presentation answering REQUEST."""
    from govgraph import wallet as wallet_ops

    path = _wallet_path(wallet)
    chosen, presentation = _run_wallet(
        wallet_ops.present, path, request.read_bytes(), credential, backend=_backend()
    )
    for line in chosen.lines():
        typer.echo(line)
    output.write_bytes(presentation)
    typer.echo(f"wrote {output}")
