"""`govgraph ledger ...`: thin wrappers over govgraph.ledger.operations.

Text that comes from outside (receipts, checkpoints, witnesses' answers, the database) reaches the terminal
only through `_echo`, which escapes every non-printable character (`zk.json_input.printable`) line by line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from govgraph.cli.settings import load_settings

app = typer.Typer(help="Agency ledgers: append, prove, verify receipts, fsck.", no_args_is_help=True)


def _echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print `text` with each line escaped: a control sequence in a receipt or a witness's answer can neither
    move the cursor nor fake a line of the verdict."""
    from zk.json_input import printable

    # split("\n"), not splitlines(): that would also break at \x85, \u2028 ..., which must stay escaped
    typer.echo("\n".join(printable(line) for line in text.split("\n")), err=err, nl=nl)


def _run_ledger(operation):
    """Run `operation(engine, keys_dir)` on the configured database and key directory; a ledger failure ends
    the command with one plain line and exit code 1."""
    import asyncio

    from govgraph import db
    from govgraph.ledger.errors import LedgerError

    settings = load_settings()

    async def run():
        engine = db.create_engine(settings.database_url)
        try:
            return await operation(engine, settings.ledger_keys_dir)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except (LedgerError, FileExistsError) as exc:
        _echo(f"govgraph ledger: {exc}", err=True)
        raise typer.Exit(code=1) from None


@app.command("init")
def ledger_init(
    name: Annotated[str, typer.Argument(help="Short log name, e.g. land.")],
    origin: Annotated[str, typer.Option(help="Checkpoint origin (default govgraph.example/NAME).")] = "",
) -> None:
    """Create a log and its Ed25519 signing key; prints the log's verifier key."""
    from govgraph.ledger.operations import init_log

    log = _run_ledger(lambda engine, keys_dir: init_log(engine, keys_dir, name, origin or None))
    typer.echo(log.verifier.vkey)


@app.command("append")
def ledger_append(
    name: str,
    entries: Annotated[
        list[str] | None, typer.Argument(help="Entries (UTF-8); one per line from stdin if none.")
    ] = None,
    integrate: Annotated[bool, typer.Option(help="Integrate and sign a checkpoint after appending.")] = True,
) -> None:
    """Append entries; prints each assigned index, then the signed tree size."""
    from govgraph.ledger.operations import append_entries

    data = [e.encode() for e in entries] if entries else [line.rstrip("\n").encode() for line in sys.stdin]
    indexes, head = _run_ledger(
        lambda engine, keys_dir: append_entries(engine, keys_dir, name, data, integrate)
    )
    for index in indexes:
        typer.echo(index)
    if head is not None:
        typer.echo(f"signed tree size {head.size}", err=True)


@app.command("checkpoint")
def ledger_checkpoint(
    name: str,
    witness: Annotated[
        list[str] | None, typer.Option(help="A witness as 'SUBMISSION-PREFIX,VKEY' (repeatable).")
    ] = None,
    quorum: Annotated[
        int, typer.Option(min=0, help="Cosignatures needed for the checkpoint to count as published.")
    ] = 1,
) -> None:
    """Integrate pending entries, sign, optionally collect witness cosignatures, and print the latest
    checkpoint with its cosignatures (exit 1 if fewer than QUORUM witnesses cosigned)."""
    from govgraph.ledger.checkpoint import CosignatureVerifier
    from govgraph.ledger.note import InvalidKey
    from govgraph.ledger.operations import publish_checkpoint, sign_checkpoint
    from govgraph.ledger.witness_client import WitnessEndpoint

    if not witness:
        head = _run_ledger(lambda engine, keys_dir: sign_checkpoint(engine, keys_dir, name))
        _echo(head.published.decode(), nl=False)
        return
    try:
        endpoints = [
            WitnessEndpoint(prefix.rstrip("/"), CosignatureVerifier.from_vkey(vkey))
            for prefix, _, vkey in (w.rpartition(",") for w in witness)
        ]
    except InvalidKey as exc:
        _echo(f"govgraph ledger: invalid witness key: {exc}", err=True)
        raise typer.Exit(code=2) from None
    publication = _run_ledger(
        lambda engine, keys_dir: publish_checkpoint(engine, keys_dir, name, endpoints, quorum)
    )
    _echo(publication.head.published.decode(), nl=False)
    for refusal in publication.refusals:
        _echo(f"witness refused: {refusal}", err=True)
    verdict = "published" if publication.published else "NOT published"
    typer.echo(
        f"{verdict}: {len(publication.cosigned_by)} of {len(endpoints)} witnesses cosigned, "
        f"{quorum} required",
        err=True,
    )
    if not publication.published:
        raise typer.Exit(code=1)


@app.command("prove")
def ledger_prove(
    name: str,
    index: Annotated[int, typer.Argument(min=0)],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the receipt here, not stdout.")
    ] = None,
) -> None:
    """Write a receipt for entry INDEX against the latest signed checkpoint."""
    from govgraph.ledger.operations import prove

    receipt = _run_ledger(lambda engine, _keys_dir: prove(engine, name, index)).to_json()
    if out is None:
        typer.echo(receipt, nl=False)
    else:
        out.write_text(receipt)


@app.command("verify-receipt")
def ledger_verify_receipt(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Receipt JSON file.")],
    vkey: Annotated[str, typer.Option(help="The log's verifier key.")],
    witness_vkey: Annotated[
        list[str] | None, typer.Option(help="A trusted witness key (repeatable).")
    ] = None,
    quorum: Annotated[int, typer.Option(min=0, help="Witness cosignatures required.")] = 0,
) -> None:
    """Verify a receipt offline and say in plain words what holds and what fails.

    Exit 1 if anything fails."""
    from govgraph.ledger.receipt import Receipt, ReceiptError, verify_receipt
    from zk.errors import MalformedInput
    from zk.json_input import load_json

    try:
        try:
            document = load_json(file.read_bytes(), what="receipt", strict=True)
        except MalformedInput as exc:
            raise ReceiptError(f"receipt is not JSON: {exc}") from None
        verdict = verify_receipt(Receipt.from_document(document), vkey, tuple(witness_vkey or ()), quorum)
    except ReceiptError as exc:
        _echo(f"FAIL  {exc}.\nThe receipt is NOT valid.")
        raise typer.Exit(code=1) from None
    _echo(verdict.report())
    if not verdict.ok:
        raise typer.Exit(code=1)


@app.command("fsck")
def ledger_fsck(name: str = typer.Argument(...)) -> None:
    """Re-derive every stored hash and checkpoint root from the entries; exit 1 on any mismatch."""
    from govgraph.ledger.operations import check

    report = _run_ledger(lambda engine, _keys_dir: check(engine, name))
    _echo(report.summary())
    if not report.clean:
        raise typer.Exit(code=1)
