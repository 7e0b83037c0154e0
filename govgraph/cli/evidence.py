"""`govgraph evidence ...`: offline checks of evidence receipts, RFC 3161 tokens and OpenTimestamps proofs.

Exit codes, every command: 0 everything checked holds, 1 something does not (the output says what),
2 an input cannot be read at all (a missing file, a token, receipt, certificate file or proof that does not
parse). Text from outside reaches the terminal only escaped (`zk.json_input.printable`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # imported when a command runs: `govgraph --help` stays fast
    from rfc3161_client import TimeStampResponse

    from govgraph.evidence.timestamps import TimestampVerdict, Trust

app = typer.Typer(
    help="Evidence: verify receipts, time-stamp tokens and OpenTimestamps proofs.", no_args_is_help=True
)

UNREADABLE = 2
ExistingFile = typer.Argument(exists=True, dir_okay=False, readable=True)


def _echo(text: str, *, err: bool = False) -> None:
    from zk.json_input import printable

    typer.echo("\n".join(printable(line) for line in text.split("\n")), err=err)


def _unreadable(message: str, *, as_json: bool, kind: str = "Unreadable") -> typer.Exit:
    if as_json:
        typer.echo(json.dumps({"error": {"type": kind, "message": message}}))
    else:
        _echo(f"unreadable: {message}", err=True)
    return typer.Exit(code=UNREADABLE)


@app.command("verify")
def evidence_verify(
    receipt: Annotated[Path, ExistingFile],
    data: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="The notarized file.")],
    vkey: Annotated[str, typer.Option(help="The courts log's verifier key.")],
    tsa_chain: Annotated[
        Path,
        typer.Option(exists=True, dir_okay=False, help="Trusted TSA certificates (PEM or DER): the root."),
    ],
    witness_vkey: Annotated[
        list[str] | None, typer.Option(help="A trusted witness key (repeatable).")
    ] = None,
    quorum: Annotated[int, typer.Option(min=0, help="Witness cosignatures required.")] = 0,
) -> None:
    """Check an evidence receipt against FILE offline: the file's hash, the inclusion proof, the checkpoint's
    signature and cosignatures, and the RFC 3161 token over the checkpoint; say in plain words what holds.

    Exit 0 if everything holds, 1 if anything fails, 2 if an input cannot be read."""
    from govgraph.evidence.receipt import EvidenceReceipt, EvidenceReceiptError, verify_evidence
    from govgraph.evidence.timestamps import Trust, Unreadable, read_certificates

    try:
        evidence = EvidenceReceipt.from_json(receipt.read_bytes())
        trust = Trust.of(read_certificates(tsa_chain.read_bytes()))
        content = data.read_bytes()
    except (EvidenceReceiptError, Unreadable, OSError) as exc:
        raise _unreadable(str(exc), as_json=False) from None
    verdict, _stamp = verify_evidence(
        evidence, content, log_vkey=vkey, trust=trust, witness_vkeys=tuple(witness_vkey or ()), quorum=quorum
    )
    _echo(verdict.report())
    if not verdict.ok:
        raise typer.Exit(code=1)


@app.command("verify-timestamp")
def evidence_verify_timestamp(
    token: Annotated[Path, ExistingFile],
    data: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="The time-stamped file.")],
    chain: Annotated[
        Path,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Certificates (PEM or DER, one or several): the trust anchor, intermediates, and the TSA's "
            "own certificate for tokens that carry none.",
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    request: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="The DER TimeStampReq: its nonce and imprint must match."
        ),
    ] = None,
    tsa_name: Annotated[
        str | None,
        typer.Option(help="Require the signer's subject to be this RFC 4514 name, e.g. 'CN=My TSA'."),
    ] = None,
    crl: Annotated[
        list[Path] | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="CRLs (PEM or DER, repeatable): check every certificate from the TSA's up against a current "
            "CRL from its issuer (RFC 3161 section 4 decides what a revocation means for the token).",
        ),
    ] = None,
) -> None:
    """Verify an RFC 3161 token (a TimeStampResp .tsr, or a bare TimeStampToken) over FILE against the
    certificates in CHAIN, judging certificate validity at the token's genTime.

    Prints valid, gen_time (RFC 3339), serial_number and nonce (decimal strings; nonce null when absent),
    policy and hash_algorithm (dotted OIDs), message_imprint (hex); with --crl also `revocation`, each
    certificate's status. Exit 0 valid, 1 invalid, 2 unreadable."""
    from govgraph.evidence.timestamps import (
        Trust,
        Unreadable,
        read_certificates,
        read_response,
        verify_timestamp,
    )

    try:
        response = read_response(token.read_bytes())
        trust = Trust.of(read_certificates(chain.read_bytes()))
        content = data.read_bytes()
        request_der = request.read_bytes() if request is not None else None
        verdict = verify_timestamp(response, content, trust, request=request_der, tsa_name=tsa_name)
        revocation = None
        if crl:
            verdict, revocation = _with_revocation(verdict, response, trust, crl)
    except (Unreadable, OSError) as exc:
        raise _unreadable(str(exc), as_json=as_json) from None
    document = verdict.document()
    if revocation is not None:
        document["revocation"] = revocation
    if as_json:
        typer.echo(json.dumps(document))
    else:
        for name, value in document.items():
            if name == "reasons":
                continue
            if name == "revocation":
                for status in revocation or []:
                    when = f" at {status['revoked_at']} ({status['reason'] or 'no reason code'})"
                    revoked = "" if status["status"] == "good" else when
                    _echo(f"revocation: {status['certificate']}: {status['status']}{revoked}")
                continue
            shown = json.dumps(value) if value is None or isinstance(value, bool) else str(value)
            _echo(f"{name}: {shown}")
        for reason in verdict.reasons:
            _echo(f"invalid because {reason}")
    if not verdict.valid:
        raise typer.Exit(code=1)


def _with_revocation(
    verdict: TimestampVerdict, response: TimeStampResponse, trust: Trust, crl_files: list[Path]
) -> tuple[TimestampVerdict, list[dict[str, object]]]:
    """`verdict` with the CRLs' reasons added, and each certificate's status (the --json form)."""
    import dataclasses
    import datetime

    from govgraph.evidence.crl import check_revocation, read_crls, token_signer

    crls = [one for path in crl_files for one in read_crls(path.read_bytes())]
    if verdict.info is None:
        return verdict, []
    signer = token_signer(response, trust)
    if signer is None:
        reasons = ["the token's signer certificate is neither given nor carried: its revocation is unknown"]
        return dataclasses.replace(verdict, valid=False, reasons=(*verdict.reasons, *reasons)), []
    now = datetime.datetime.now(datetime.UTC)
    statuses, reasons = check_revocation(signer, trust, crls, verdict.info.gen_time, now)
    if reasons:
        verdict = dataclasses.replace(verdict, valid=False, reasons=(*verdict.reasons, *reasons))
    return verdict, [status.document() for status in statuses]


@app.command("inspect-ots")
def evidence_inspect_ots(
    proof: Annotated[Path, ExistingFile],
    data: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="The time-stamped file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    bitcoin_root: Annotated[
        list[str] | None,
        typer.Option(
            help="A Bitcoin block's merkle root you trust, HEIGHT:HEX in block-explorer order (repeatable): "
            "attestations at that height are marked verified true or false."
        ),
    ] = None,
) -> None:
    """Read an OpenTimestamps proof (.ots): the file digest it covers, whether FILE hashes to it, and its
    attestations (bitcoin height, pending calendar uri, other chains by name, unknown ones kept).

    Exit 0 if the digest matches (and every checked Bitcoin root does), 1 if not, 2 for an invalid proof."""
    from govgraph.evidence.ots import InvalidOtsProof, inspect_proof

    try:
        roots = _bitcoin_roots(bitcoin_root or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--bitcoin-root") from None
    try:
        report = inspect_proof(proof.read_bytes(), data.read_bytes(), bitcoin_roots=roots)
    except InvalidOtsProof as exc:
        raise _unreadable(f"{exc.kind}: {exc}", as_json=as_json, kind=exc.kind) from None
    document = report.document()
    if as_json:
        typer.echo(json.dumps(document))
    else:
        _echo(f"file digest ({report.hash_op}): {report.file_digest.hex()}")
        _echo(f"digest matches the file: {'yes' if report.digest_matches else 'NO'}")
        for attestation in report.attestations:
            _echo("attestation: " + ", ".join(f"{key}={value}" for key, value in attestation.items()))
        if not report.attestations:
            _echo("no attestation")
    failed = not report.digest_matches or any(a.get("verified") is False for a in report.attestations)
    if failed:
        raise typer.Exit(code=1)


def _bitcoin_roots(values: list[str]) -> dict[int, bytes]:
    roots = {}
    for value in values:
        height, colon, root = value.partition(":")
        if not colon or not height.isdigit() or len(root) != 64:
            raise ValueError(f"{value!r} is not HEIGHT:HEX (a 64-digit merkle root)")
        roots[int(height)] = bytes.fromhex(root)
    return roots
