"""`govgraph election ...`: verify an election record with zk.record_verifier's numbered checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Elections: trustees, tally, record verification.", no_args_is_help=True)


@app.command("verify")
def election_verify(
    record_path: Annotated[
        Path, typer.Argument(metavar="RECORD.json", help="The election record to verify.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes checking the ballots (V5-V8).")
    ] = 1,
) -> None:
    """Run every numbered check (V1-V13) on an election record; exit 0 when verified, 1 when not."""
    import json

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from govgraph.cli.settings import load_settings
    from zk.curve import get_backend
    from zk.errors import MalformedInput
    from zk.json_input import load_json
    from zk.record_verifier import verify_record

    backend = get_backend(load_settings().zk_backend)
    try:
        record = load_json(record_path.read_bytes(), what="the record", strict=True)
    except (OSError, MalformedInput) as exc:
        typer.echo(f"govgraph: cannot read {record_path}: {exc}", err=True)
        raise typer.Exit(code=2) from None
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("verifying", total=None)

        def update(step: str, done: int, total: int) -> None:
            progress.update(task, description=step, completed=done, total=total)

        report = verify_record(record, update, backend=backend, workers=workers)
    typer.echo(json.dumps(report.to_json(), indent=2) if as_json else report.plain_text())
    raise typer.Exit(code=0 if report.ok else 1)
