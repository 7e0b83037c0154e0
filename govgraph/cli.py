"""The `govgraph` command line: commands parse arguments and delegate; the logic lives in services."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

from govgraph import __version__
from govgraph.config import ConfigError, Settings

app = typer.Typer(help="govgraph: verifiable government services.", no_args_is_help=True)
# Command groups filled by later work; each is a separate Typer so its module owns its commands.
ledger_app = typer.Typer(help="Agency ledgers: append, prove, verify receipts, fsck.", no_args_is_help=True)
zk_app = typer.Typer(help="Zero-knowledge tools: keys, credentials, proofs.", no_args_is_help=True)
election_app = typer.Typer(help="Elections: trustees, tally, record verification.", no_args_is_help=True)
schema_app = typer.Typer(help="GraphQL schema contracts under schema/.", no_args_is_help=True)
wallet_app = typer.Typer(help="A citizen's local credential wallet.", no_args_is_help=True)
for name, group in (
    ("ledger", ledger_app),
    ("zk", zk_app),
    ("election", election_app),
    ("schema", schema_app),
    ("wallet", wallet_app),
):
    app.add_typer(group, name=name)


def load_settings() -> Settings:
    """Settings from the environment; an invalid value ends the process with one line naming the variable."""
    try:
        return Settings.from_env()
    except ConfigError as exc:
        typer.echo(f"govgraph: configuration error: {exc}", err=True)
        raise typer.Exit(code=2) from None


@app.command()
def version() -> None:
    """Print the govgraph version."""
    typer.echo(__version__)


# -- ledger: thin wrappers over govgraph.ledger.operations ---------------------------------------------------


def _run_ledger(coroutine):
    """Run a ledger operation; its typed failures end the command with one plain line and exit code 1."""
    import asyncio

    from govgraph.ledger.checkpoint import CheckpointError
    from govgraph.ledger.keys import KeyFileError
    from govgraph.ledger.log import LogError
    from govgraph.ledger.note import NoteError
    from govgraph.ledger.receipt import ReceiptError

    try:
        return asyncio.run(coroutine)
    except (LogError, KeyFileError, NoteError, CheckpointError, ReceiptError, FileExistsError) as exc:
        typer.echo(f"govgraph ledger: {exc}", err=True)
        raise typer.Exit(code=1) from None


@ledger_app.command("init")
def ledger_init(
    name: str = typer.Argument(..., help="Short log name, e.g. land."),
    origin: str = typer.Option("", help="Checkpoint origin (default govgraph.example/NAME)."),
) -> None:
    """Create a log and its Ed25519 signing key; prints the log's verifier key."""
    from govgraph.ledger.operations import init_log

    log = _run_ledger(init_log(load_settings(), name, origin or None))
    typer.echo(log.verifier.vkey)


@ledger_app.command("append")
def ledger_append(
    name: str = typer.Argument(...),
    entries: list[str] = typer.Argument(None, help="Entries (UTF-8); one per line from stdin if none."),
    integrate: bool = typer.Option(True, help="Integrate and sign a checkpoint after appending."),
) -> None:
    """Append entries; prints each assigned index, then the signed tree size."""
    from govgraph.ledger.operations import append_entries

    data = [e.encode() for e in entries] if entries else [line.rstrip("\n").encode() for line in sys.stdin]
    indexes, head = _run_ledger(append_entries(load_settings(), name, data, integrate))
    for index in indexes:
        typer.echo(index)
    if head is not None:
        typer.echo(f"signed tree size {head.size}", err=True)


@ledger_app.command("checkpoint")
def ledger_checkpoint(
    name: str = typer.Argument(...),
    witness: list[str] = typer.Option([], help="A witness as 'SUBMISSION-PREFIX,VKEY' (repeatable)."),
    quorum: int = typer.Option(
        1, min=0, help="Cosignatures needed for the checkpoint to count as published."
    ),
) -> None:
    """Integrate pending entries, sign, optionally collect witness cosignatures, and print the latest
    checkpoint with its cosignatures (exit 1 if fewer than QUORUM witnesses cosigned)."""
    from govgraph.ledger.checkpoint import CosignatureVerifier
    from govgraph.ledger.note import InvalidKey
    from govgraph.ledger.operations import publish_checkpoint, sign_checkpoint
    from govgraph.ledger.witness import WitnessEndpoint

    if not witness:
        typer.echo(_run_ledger(sign_checkpoint(load_settings(), name)).published.decode(), nl=False)
        return
    try:
        endpoints = [
            WitnessEndpoint(prefix.rstrip("/"), CosignatureVerifier.from_vkey(vkey))
            for prefix, _, vkey in (w.rpartition(",") for w in witness)
        ]
    except InvalidKey as exc:
        typer.echo(f"govgraph ledger: invalid witness key: {exc}", err=True)
        raise typer.Exit(code=2) from None
    publication = _run_ledger(publish_checkpoint(load_settings(), name, endpoints, quorum))
    typer.echo(publication.head.published.decode(), nl=False)
    for refusal in publication.refusals:
        typer.echo(f"witness refused: {refusal}", err=True)
    verdict = "published" if publication.published else "NOT published"
    typer.echo(
        f"{verdict}: {len(publication.cosigned_by)} of {len(endpoints)} witnesses cosigned, "
        f"{quorum} required",
        err=True,
    )
    if not publication.published:
        raise typer.Exit(code=1)


@ledger_app.command("prove")
def ledger_prove(
    name: str = typer.Argument(...),
    index: int = typer.Argument(..., min=0),
    out: Path = typer.Option(None, "--out", "-o", help="Write the receipt here, not stdout."),
) -> None:
    """Write a receipt for entry INDEX against the latest signed checkpoint."""
    from govgraph.ledger.operations import prove

    receipt = _run_ledger(prove(load_settings(), name, index)).to_json()
    if out is None:
        typer.echo(receipt, nl=False)
    else:
        out.write_text(receipt)


@ledger_app.command("verify-receipt")
def ledger_verify_receipt(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Receipt JSON file."),
    vkey: str = typer.Option(..., help="The log's verifier key."),
    witness_vkey: list[str] = typer.Option([], help="A trusted witness key (repeatable)."),
    quorum: int = typer.Option(0, min=0, help="Witness cosignatures required."),
) -> None:
    """Verify a receipt offline and say in plain words what holds and what fails (exit 1 if anything fails)."""
    from govgraph.ledger.receipt import Receipt, ReceiptError, verify_receipt

    try:
        verdict = verify_receipt(Receipt.from_json(file.read_bytes()), vkey, tuple(witness_vkey), quorum)
    except ReceiptError as exc:
        typer.echo(f"FAIL  {exc}.\nThe receipt is NOT valid.")
        raise typer.Exit(code=1) from None
    typer.echo(verdict.report())
    if not verdict.ok:
        raise typer.Exit(code=1)


@ledger_app.command("fsck")
def ledger_fsck(name: str = typer.Argument(...)) -> None:
    """Re-derive every stored hash and checkpoint root from the entries; exit 1 on any mismatch."""
    from govgraph.ledger.operations import check

    report = _run_ledger(check(load_settings(), name))
    typer.echo(report.summary())
    if not report.clean:
        raise typer.Exit(code=1)


@app.command()
def serve() -> None:
    """Serve the whole service (gateway, subgraphs, health, metrics) as configured by GOVGRAPH_* variables."""
    import uvicorn

    from govgraph.app import build_app

    settings = load_settings()
    logging.basicConfig(
        level=logging.DEBUG if settings.log_level == "trace" else settings.log_level.upper(),
        format="%(levelname)s:     %(name)s: %(message)s",
    )
    uvicorn.run(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )


@app.command()
def subgraph(
    agency: str = typer.Argument(..., help="Agency name, e.g. identity or land."),
    port: int = typer.Option(None, "--port", help="Listen port (default: the agency's own, e.g. land 4102)."),
) -> None:
    """Serve one agency's subgraph alone at /graphql (for Hive Gateway, Apollo Router or the embedded gateway)."""
    import uvicorn

    from govgraph.federation.agencies import find_agency, standalone_agency_app

    settings = load_settings()
    try:
        chosen = find_agency(agency)
    except KeyError as exc:
        typer.echo(f"govgraph: {exc.args[0]}", err=True)
        raise typer.Exit(code=2) from None
    uvicorn.run(
        standalone_agency_app(chosen, settings),
        host=settings.host,
        port=port or chosen.default_port,
        log_level=settings.log_level,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )


@app.command()
def gateway(
    subgraphs: list[str] = typer.Option(..., "--subgraph", help="name=URL of a subgraph endpoint; repeat."),
    port: int = typer.Option(4000, "--port", help="Listen port."),
    deduplicate: bool = typer.Option(
        None,
        "--deduplicate/--no-deduplicate",
        help="Share identical query fetches in flight (default: GOVGRAPH_GATEWAY_DEDUPLICATE, on).",
        show_default=False,
    ),
) -> None:
    """Serve the embedded gateway at /graphql over remote subgraphs (composed at start-up)."""
    import asyncio

    import uvicorn

    from govgraph.federation.gateway import CompositionError
    from govgraph.federation.gateway.endpoint import check_composition, gateway_app

    settings = load_settings()
    services: dict[str, str] = {}
    for item in subgraphs:
        name, _, url = item.partition("=")
        if not name or not url.startswith(("http://", "https://")) or name in services:
            typer.echo(f"govgraph: --subgraph expects a unique name=http(s)://URL, got {item!r}", err=True)
            raise typer.Exit(code=2)
        services[name] = url
    try:  # refuse to start, with the reason, when the subgraphs cannot be composed
        asyncio.run(check_composition(services))
    except CompositionError as exc:
        typer.echo(f"govgraph: {exc}", err=True)
        raise typer.Exit(code=1) from None
    logging.basicConfig(
        level=logging.DEBUG if settings.log_level == "trace" else settings.log_level.upper(),
        format="%(levelname)s:     %(name)s: %(message)s",
    )
    if deduplicate is None:
        deduplicate = settings.gateway_deduplicate
    uvicorn.run(
        gateway_app(services, production=settings.production, deduplicate=deduplicate),
        host=settings.host,
        port=port,
        log_level=settings.log_level,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )


@schema_app.command("export")
def schema_export(
    directory: Path = typer.Option(Path("schema"), "--dir", help="Where the contracts live."),
    supergraph: bool = typer.Option(True, help="Also compose schema/supergraph.graphql (needs Node)."),
) -> None:
    """Write schema/subgraphs/<agency>.graphql and the composed schema/supergraph.graphql from the code."""
    from govgraph.federation.agencies import standard_agencies
    from govgraph.federation.contracts import export_subgraphs, export_supergraph
    from govgraph.federation.servers import GatewayUnavailable

    agencies = standard_agencies()
    for path in export_subgraphs(directory, agencies):
        typer.echo(f"wrote {path}")
    if supergraph:
        try:
            typer.echo(f"wrote {export_supergraph(directory, agencies)}")
        except GatewayUnavailable as exc:
            typer.echo(f"govgraph: cannot compose the supergraph: {exc}", err=True)
            raise typer.Exit(code=1) from None
        except RuntimeError as exc:
            typer.echo(f"govgraph: {exc}", err=True)
            raise typer.Exit(code=1) from None


@election_app.command("verify")
def election_verify(
    record_path: Path = typer.Argument(..., metavar="RECORD.json", help="The election record to verify."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
    workers: int = typer.Option(1, "--workers", min=1, help="Processes checking the ballots (V5-V8)."),
) -> None:
    """Run every numbered check (V1-V13) on an election record; exit 0 when verified, 1 when not."""
    import json

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from govgraph.json_input import loads_bounded
    from zk.record import verify_record

    try:
        record = loads_bounded(record_path.read_bytes())
    except (OSError, ValueError) as exc:  # JsonTooDeep is a ValueError
        typer.echo(f"govgraph: cannot read {record_path}: {exc}", err=True)
        raise typer.Exit(code=2) from None
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("verifying", total=None)

        def update(step: str, done: int, total: int) -> None:
            progress.update(task, description=step, completed=done, total=total)

        report = verify_record(record, update, workers=workers)
    typer.echo(json.dumps(report.to_json(), indent=2) if as_json else report.plain_text())
    raise typer.Exit(code=0 if report.ok else 1)


# -- wallet: thin wrappers over govgraph.wallet (the web wallet imports the same functions) ------------------


def _wallet_path(wallet: Path | None) -> Path:
    from govgraph.wallet import default_path

    return wallet if wallet is not None else default_path(load_settings().data_dir)


def _run_wallet(operation, *args):
    """Run a wallet operation; its typed failures end the command with one plain line and exit code 1."""
    from govgraph.wallet import WalletError
    from zk.errors import ZkError

    try:
        return operation(*args)
    except (WalletError, ZkError, OSError) as exc:
        typer.echo(f"govgraph wallet: {exc}", err=True)
        raise typer.Exit(code=1) from None


_WALLET_OPTION = typer.Option(
    None,
    "--wallet",
    envvar="GOVGRAPH_WALLET",
    help="Wallet file (default $GOVGRAPH_DATA/wallet.json; created 0600).",
)


@wallet_app.command("request")
def wallet_request(
    offer: Path = typer.Argument(..., exists=True, dir_okay=False, help="CredentialOffer JSON."),
    output: Path = typer.Option(None, "-o", "--output", help="Where to write (default stdout)."),
    wallet: Path = _WALLET_OPTION,
) -> None:
    """Answer an issuer's credential offer: keep the holder secrets in the wallet, write the CredentialRequest."""
    from govgraph import wallet as wallet_ops

    answer = _run_wallet(wallet_ops.request, _wallet_path(wallet), offer.read_bytes())
    if output is None:
        typer.echo(answer.decode())
    else:
        output.write_bytes(answer)


@wallet_app.command("store")
def wallet_store(
    credential: Path = typer.Argument(..., exists=True, dir_okay=False, help="Credential JSON."),
    wallet: Path = _WALLET_OPTION,
) -> None:
    """Check an issued credential against its pending request and keep it; prints its id."""
    from govgraph import wallet as wallet_ops

    typer.echo(_run_wallet(wallet_ops.store, _wallet_path(wallet), credential.read_bytes()))


@wallet_app.command("list")
def wallet_list(
    wallet: Path = _WALLET_OPTION,
    as_json: bool = typer.Option(False, "--json", help="One JSON list instead of text."),
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


@wallet_app.command("present")
def wallet_present(
    request: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="PresentationRequest JSON from the verifier."
    ),
    output: Path = typer.Option(
        Path("presentation.json"), "-o", "--output", help="Where to write the presentation."
    ),
    credential: str = typer.Option(None, "--credential", help="Use this credential id."),
    wallet: Path = _WALLET_OPTION,
) -> None:
    """Print what will be disclosed and proved, then write the presentation answering REQUEST."""
    from govgraph import wallet as wallet_ops

    path = _wallet_path(wallet)
    chosen, presentation = _run_wallet(wallet_ops.present, path, request.read_bytes(), credential)
    for line in chosen.lines():
        typer.echo(line)
    output.write_bytes(presentation)
    typer.echo(f"wrote {output}")


def main() -> None:
    app(prog_name="govgraph")


if __name__ == "__main__":
    sys.exit(main())
