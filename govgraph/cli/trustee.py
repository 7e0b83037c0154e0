"""`govgraph trustee ...`: take part in an election's key ceremony and tally from this machine. Secrets stay
in the state file (0600); every upload is acknowledged by the commission, or the command fails loudly with
the reason and a nonzero exit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Trustees: key ceremony and decryption shares, through the API.", no_args_is_help=True)

Url = Annotated[str, typer.Option("--api", help="The service's base URL, e.g. http://127.0.0.1:8000.")]
ElectionId = Annotated[str, typer.Option("--election", help="The election's id.")]
State = Annotated[
    Path | None,
    typer.Option("--state", help="The trustee's state file (default: ./trustee-<election>-<id>.json)."),
]
Token = Annotated[
    str, typer.Option("--token", envvar="GOVGRAPH_TOKEN", help="A bearer token with the trustee role.")
]


def _run(step, api_url: str, token: str, *args) -> None:
    from govgraph.voting.api import Api, ApiError
    from govgraph.voting.trustee import TrusteeError
    from zk.errors import ZkError
    from zk.json_input import printable

    try:
        with Api(api_url, token) as api:
            done = step(api, *args)
    except (ApiError, TrusteeError, ZkError, OSError) as exc:
        typer.echo(printable(f"govgraph trustee: FAILED: {exc}"), err=True)
        raise typer.Exit(code=1) from None
    for line in [done] if isinstance(done, str) else done:
        typer.echo(line)


def _state(path: Path | None, election: str):
    from govgraph.voting.trustee import TrusteeState

    return TrusteeState.load(path or _default(election, None))


def _default(election: str, trustee: str | None) -> Path:
    if trustee is None:
        found = sorted(Path.cwd().glob(f"trustee-{election}-*.json"))
        if len(found) != 1:
            raise typer.BadParameter("give --state (none or several state files for this election here)")
        return found[0]
    return Path.cwd() / f"trustee-{election}-{trustee}.json"


@app.command("join")
def join(
    api: Url,
    election: ElectionId,
    trustee: Annotated[str, typer.Option("--trustee", help="Your trustee id in the manifest.")],
    token: Token,
    state: State = None,
) -> None:
    """Join the key ceremony: create the state file (0600) and publish your box key."""
    from govgraph.voting import trustee as steps

    _run(steps.join, api, token, election, trustee, state or _default(election, trustee))


def _step(name: str, api: str, election: str, token: str, state: Path | None) -> None:
    from govgraph.voting import trustee as steps

    _run(lambda client: getattr(steps, name)(client, _state(state, election)), api, token)


@app.command("commit")
def commit(api: Url, election: ElectionId, token: Token, state: State = None) -> None:
    """Round 1: publish the hash of your coefficient commitments."""
    _step("commit", api, election, token, state)


@app.command("share")
def share(api: Url, election: ElectionId, token: Token, state: State = None) -> None:
    """Round 2: reveal your commitments and seal one share to each other trustee."""
    _step("share", api, election, token, state)


@app.command("complain")
def complain(api: Url, election: ElectionId, token: Token, state: State = None) -> None:
    """Rounds 3-4: check the shares dealt to you (report complaints, if any) and answer complaints
    against you."""
    _step("complain", api, election, token, state)


@app.command("decrypt")
def decrypt(api: Url, election: ElectionId, token: Token, state: State = None) -> None:
    """Tally: recompute the aggregate from the board's ballots and publish your decryption share."""
    _step("decrypt", api, election, token, state)
