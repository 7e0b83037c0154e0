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
        Path | None, typer.Argument(metavar="[RECORD.json]", help="The election record to verify.")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url", metavar="BASE", help="Fetch the record and the elections ledger from this service."
        ),
    ] = None,
    election: Annotated[
        str | None, typer.Option("--election", help="The election's id (with --url).")
    ] = None,
    record_url: Annotated[
        str | None,
        typer.Option(
            "--record-url",
            metavar="BASE",
            help="Fetch the record from this service instead (e.g. `govgraph subgraph elections` behind a "
            "gateway); the ledger is still read through --url.",
        ),
    ] = None,
    witness_key: Annotated[
        list[str] | None,
        typer.Option(
            "--witness-key", metavar="VKEY", help="A witness key that must have cosigned (with --url)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes checking the ballots (V5-V8): default 1 for a RECORD.json file, one a core "
            "(at most 4) with --url; the report is the same.",
        ),
    ] = None,
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
    """Run every numbered check (V1-V13) on an election record; exit 0 when verified, 1 when not. With --url
    and --election, fetch the record from the service and also check it against the elections ledger: every
    ballot of the record in the ledger under a signed, cosigned checkpoint, and no ledger ballot left out.

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
    if (url is None or election is None) and (
        record_path is None or url is not None or record_url is not None
    ):
        typer.echo("govgraph: give RECORD.json, or --url BASE and --election ID", err=True)
        raise typer.Exit(code=2)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    ledger = None
    try:
        console = Console(stderr=True)  # the bar only on a terminal: a failure's message stays one line
        with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
            task = progress.add_task("verifying", total=None)

            def update(step: str, done: int, total: int) -> None:
                progress.update(task, description=step, completed=done, total=total or None)

            if url is not None and election is not None:
                # Streamed: the record is read page by page, never held whole (see govgraph.voting.online).
                from govgraph.voting.online import verify_online

                report, ledger = verify_online(
                    url,
                    election,
                    tuple(witness_key or ()),
                    record_url,
                    update,
                    backend,
                    pinned,
                    **({} if workers is None else {"workers": workers}),
                )
            else:
                record = load_json(record_path.read_bytes(), what="the record", strict=True)
                report = verify_record(record, update, backend=backend, workers=workers or 1, pinned=pinned)
    except (OSError, MalformedInput) as exc:
        typer.echo(printable(f"govgraph: cannot read {record_path or url}: {exc}"), err=True)
        raise typer.Exit(code=2) from None
    if as_json:
        document = report.to_json()
        if ledger is not None:
            document = {"record": document, "ledger": {"ok": ledger.ok, "findings": ledger.lines}}
        typer.echo(json.dumps(document, indent=2))
    else:
        typer.echo(report.plain_text())
        if ledger is not None:
            typer.echo("\nThe record against the elections ledger:")
            typer.echo("\n".join(f"  {printable(line)}" for line in ledger.lines))
            typer.echo("Ledger: VERIFIED." if ledger.ok else "Ledger: NOT VERIFIED.")
    raise typer.Exit(code=0 if report.ok and (ledger is None or ledger.ok) else 1)


@app.command("track")
def election_track(
    code: Annotated[str, typer.Argument(metavar="CODE", help="Your ballot's tracking code.")],
    url: Annotated[str, typer.Option("--url", metavar="BASE", help="The service's base URL.")],
    election: Annotated[str, typer.Option("--election", help="The election's id.")],
) -> None:
    """Show your ballot on the board and verify its ledger receipt (inclusion proof, signed checkpoint)."""
    from govgraph.voting.api import Api, ApiError
    from govgraph.voting.audit import track
    from zk.json_input import printable

    try:
        with Api(url) as api:
            ok, text = track(api, election, code)
    except ApiError as exc:
        typer.echo(printable(f"govgraph: {exc}"), err=True)
        raise typer.Exit(code=2) from None
    typer.echo(printable(text))
    raise typer.Exit(code=0 if ok else 1)


@app.command("simulate")
def election_simulate(
    api_url: Annotated[str, typer.Option("--api", metavar="URL", help="The service's base URL.")],
    token: Annotated[
        str,
        typer.Option(
            "--token", envvar="GOVGRAPH_TOKEN", help="official:elections, clerk:identity and trustee."
        ),
    ],
    voters: Annotated[int, typer.Option("--voters", min=1)] = 10,
    trustees: Annotated[int, typer.Option("--trustees", min=1)] = 3,
    threshold: Annotated[int, typer.Option("--threshold", min=1)] = 2,
    absent: Annotated[int, typer.Option("--absent", min=0)] = 0,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {election, expected, tracking_codes}.")
    ] = False,
    leave_open: Annotated[
        bool, typer.Option("--leave-open", help="Stop after casting (election OPEN).")
    ] = False,
) -> None:
    """Run a whole election through the public API, acting as every role; exit 1 when a step is refused."""
    import json

    from govgraph.voting.api import Api, ApiError
    from govgraph.voting.simulate import simulate
    from govgraph.voting.trustee import TrusteeError
    from zk.json_input import printable

    if not threshold <= trustees or absent > trustees - threshold:
        typer.echo("govgraph: need threshold <= trustees and absent <= trustees - threshold", err=True)
        raise typer.Exit(code=2)
    say = (lambda message: None) if as_json else (lambda message: typer.echo(printable(message)))
    try:
        with Api(api_url, token) as api:
            done = simulate(
                api,
                voters=voters,
                n=trustees,
                t=threshold,
                absent=absent,
                seed=seed,
                leave_open=leave_open,
                progress=say,
            )
    except (ApiError, TrusteeError) as exc:
        typer.echo(printable(f"govgraph: simulation FAILED: {exc}"), err=True)
        raise typer.Exit(code=1) from None
    if as_json:
        typer.echo(json.dumps(done.to_json()))
        return
    typer.echo(f"election {done.election}: {done.state}")
    typer.echo(f"expected totals: {json.dumps(done.expected, sort_keys=True)}")
    if done.result is not None:
        typer.echo(f"published result: {json.dumps(done.result, sort_keys=True)} (matches)")
    typer.echo("tracking codes:")
    for code in done.tracking_codes:
        typer.echo(f"  {code}")
