"""`govgraph election ...`: verify an election record with zk.record_verifier's numbered checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Elections: trustees, tally, record verification.", no_args_is_help=True)


def _hex_key(value: str, what: str) -> bytes:
    """A key given on the command line as hex (ValueError naming the option otherwise)."""
    from zk.json_input import describe

    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ValueError(f"{what} must be hex, got {describe(value)}") from None


def _pinned_keys(roll_key: str | None, trustee_keys: list[str]):
    from zk.record_keys import PinnedKeys

    trustees: dict[str, bytes] = {}
    for item in trustee_keys:
        trustee_id, sep, key = item.partition("=")
        if not sep or not trustee_id:
            raise ValueError("--trustee-key must be ID=HEX (the trustee's id in the manifest)")
        trustees[trustee_id] = _hex_key(key, f"--trustee-key {trustee_id}")
    roll = None if roll_key is None else _hex_key(roll_key, "--roll-key")
    return PinnedKeys(roll, trustees)


@app.command("verify")
def election_verify(
    record_path: Annotated[
        Path, typer.Argument(metavar="RECORD.json", help="The election record to verify.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes checking the ballots (V5-V8).")
    ] = 1,
    roll_key: Annotated[
        str | None,
        typer.Option(
            "--roll-key",
            metavar="HEX",
            help="The electoral roll authority's issuer public key you expect (as it publishes it); "
            "otherwise the key the record's manifest names is taken on trust.",
        ),
    ] = None,
    trustee_key: Annotated[
        list[str] | None,
        typer.Option(
            "--trustee-key",
            metavar="ID=HEX",
            help="A trustee's key you expect (its first coefficient commitment), by its id in the "
            "manifest; repeatable. Trustees not given are taken on trust from the record.",
        ),
    ] = None,
) -> None:
    """Run every numbered check (V1-V13) on an election record; exit 0 when verified, 1 when not.

    The report says which keys were pinned (--roll-key, --trustee-key) and which were taken from the
    record: a record checked only against its own keys proves nothing about who ran the election."""
    import json

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from govgraph.cli.settings import load_settings
    from zk.curve import get_backend
    from zk.errors import MalformedInput
    from zk.json_input import load_json, printable
    from zk.record_verifier import verify_record

    try:
        pinned = _pinned_keys(roll_key, trustee_key or [])
    except ValueError as exc:
        typer.echo(printable(f"govgraph: {exc}"), err=True)
        raise typer.Exit(code=2) from None
    backend = get_backend(load_settings().zk_backend)
    try:
        record = load_json(record_path.read_bytes(), what="the record", strict=True)
    except (OSError, MalformedInput) as exc:
        typer.echo(printable(f"govgraph: cannot read {record_path}: {exc}"), err=True)
        raise typer.Exit(code=2) from None
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("verifying", total=None)

        def update(step: str, done: int, total: int) -> None:
            progress.update(task, description=step, completed=done, total=total)

        report = verify_record(record, update, backend=backend, workers=workers, pinned=pinned)
    typer.echo(json.dumps(report.to_json(), indent=2) if as_json else report.plain_text())
    raise typer.Exit(code=0 if report.ok else 1)
