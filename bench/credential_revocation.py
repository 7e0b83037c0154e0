"""The revocation part of bench/credentials.py: the added cost of govgraph's non-revocation proof (a
Vitto-Biryukov accumulator membership proof inside the BBS presentation, L = 10 attributes), a holder's
witness update for a batch of 1,000 revocations, the update data's size, and AnonCreds' revocation (CL
accumulator with a tails file) in the same run: its tails file size, and its present / verify cost with
revocation against without."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from bench.harness import Column, cpu_median_ms, table_lines
from zk.accumulator import (
    AccumulatorKey,
    Witness,
    initial_accumulator,
    membership_witness,
    new_handle,
    remove,
)
from zk.accumulator import update_witness as apply_updates
from zk.credential import (
    AcceptedEpochs,
    Attribute,
    IssuerKey,
    Schema,
    accept_credential,
    date_attribute,
    issue_credential,
    make_offer,
    make_presentation_request,
    present,
    request_credential,
    verify_presentation,
)
from zk.curve import get_backend
from zk.wire import canonical_json

TODAY = dt.date(2026, 11, 21)
BATCH = 1000
TARGETS = {"present_added_ms": 3.0, "verify_added_ms": 3.0, "update_1000_ms": 50.0, "update_bytes": 100_000}
ATTRIBUTES = [Attribute(f"a{i}", "string") for i in range(9)] + [
    date_attribute("expires", dt.date(1970, 1, 1), dt.date(2199, 12, 31))
]


def _presentation_costs(revocable: bool, repeats: int) -> dict[str, float]:
    curve = get_backend("arkworks")
    schema = Schema.create("bench-revocation", ATTRIBUTES, revocable=revocable)
    issuer = IssuerKey.generate()
    key = AccumulatorKey.generate()
    accumulator = initial_accumulator(curve)
    offer = make_offer(issuer, schema)
    request, pending = request_credential(offer)
    values = {f"a{i}": f"value {i}" for i in range(9)} | {"expires": dt.date(2027, 6, 30)}
    extra = {"accumulator_key": key, "accumulator": accumulator} if revocable else {}
    held = accept_credential(pending, issue_credential(issuer, offer, request, values, **extra))
    ask = make_presentation_request(schema, [issuer.key_id], TODAY, disclose=["a0"])
    keys = {issuer.key_id: issuer.public_key}
    accepted = AcceptedEpochs(key.public_key, {0: accumulator.value}) if revocable else None
    shown = present(held, ask).to_bytes()
    assert verify_presentation(ask, shown, keys, revocation=accepted).ok
    return {
        "present_ms": cpu_median_ms(lambda: present(held, ask), repeats),
        "verify_ms": cpu_median_ms(
            lambda: verify_presentation(ask, shown, keys, revocation=accepted), repeats
        ),
        "bytes": len(shown),
    }


def _witness_update(repeats: int) -> dict[str, float]:
    curve = get_backend("arkworks")
    key = AccumulatorKey.generate()
    accumulator = initial_accumulator(curve)
    mine = new_handle()
    witness = Witness(0, accumulator.value, membership_witness(key, accumulator, mine))
    _, update = remove(key, accumulator, [new_handle() for _ in range(BATCH)])
    return {
        "update_1000_ms": cpu_median_ms(
            lambda: apply_updates(key.public_key, mine, witness, [update]), repeats
        ),
        "update_bytes": update.size,
        "update_json_bytes": len(canonical_json(update.to_json())),
    }


def _anoncreds(repeats: int) -> dict | str:
    try:
        import anoncreds
        from anoncreds import (
            Credential,
            CredentialDefinition,
            CredentialOffer,
            CredentialRequest,
            CredentialRevocationConfig,
            CredentialRevocationState,
            PresentationRequest,
            PresentCredentials,
            RevocationRegistryDefinition,
            RevocationStatusList,
            create_link_secret,
            generate_nonce,
        )
        from anoncreds import Presentation as AnonPresentation
        from anoncreds import Schema as AnonSchema
    except ImportError as exc:
        return f"anoncreds not installed ({exc}); pip install -e '.[bench]'"
    names = [f"a{i}" for i in range(10)]
    issuer = schema_id = cred_def_id = "https://govgraph.example/bench"
    rev_reg_id = issuer + "/revocation"
    schema = AnonSchema.create("bench", "1.0", issuer, names)
    cred_def, cred_def_private, proof = CredentialDefinition.create(
        schema_id, schema, issuer, "tag", "CL", support_revocation=True
    )
    tails = tempfile.mkdtemp(prefix="anoncreds-tails-")
    rev_def, rev_private = RevocationRegistryDefinition.create(
        cred_def_id, cred_def, issuer, "tag", "CL_ACCUM", BATCH + 24, tails_dir_path=tails
    )
    status = RevocationStatusList.create(cred_def, rev_reg_id, rev_def, rev_private, issuer, True, 1000)
    link_secret = create_link_secret()
    offer = CredentialOffer.create(schema_id, cred_def_id, proof)
    request, metadata = CredentialRequest.create("bench", None, cred_def, link_secret, "default", offer)
    credential = Credential.create(
        cred_def,
        cred_def_private,
        offer,
        request,
        {n: f"value {n}" for n in names},
        None,
        CredentialRevocationConfig(rev_def, rev_private, status, 1),
    ).process(metadata, link_secret, cred_def, rev_def)
    tails_path = rev_def.tails_location
    state = CredentialRevocationState.create(rev_def, status, 1, tails_path)
    interval = {"from": 1000, "to": 1000}

    def ask(revocation: bool) -> object:
        body = {
            "nonce": generate_nonce(),
            "name": "bench",
            "version": "1.0",
            "requested_attributes": {"a0": {"name": "a0"}},
            "requested_predicates": {},
        }
        return PresentationRequest.load({**body, "non_revoked": interval} if revocation else body)

    def make(pres_req: object, revocation: bool) -> object:
        creds = PresentCredentials()
        if revocation:
            creds.add_attributes(credential, "a0", reveal=True, timestamp=1000, rev_state=state)
        else:
            creds.add_attributes(credential, "a0", reveal=True)
        return AnonPresentation.create(
            pres_req, creds, {}, link_secret, {schema_id: schema}, {cred_def_id: cred_def}
        )

    out: dict = {"version": anoncreds.library_version(), "tails_bytes": Path(tails_path).stat().st_size}
    for revocation in (False, True):
        pres_req = ask(revocation)
        shown = make(pres_req, revocation)
        extra = {"rev_reg_defs": {rev_reg_id: rev_def}, "rev_status_lists": [status]} if revocation else {}

        def check(shown=shown, pres_req=pres_req, extra=extra) -> bool:
            return shown.verify(pres_req, {schema_id: schema}, {cred_def_id: cred_def}, **extra)

        assert check()
        suffix = "_revocation" if revocation else ""
        out[f"present{suffix}_ms"] = cpu_median_ms(lambda r=revocation, p=pres_req: make(p, r), repeats)
        out[f"verify{suffix}_ms"] = cpu_median_ms(check, repeats)
    # the holder's update for 1,000 revocations (indexes 2..1001 of the registry)
    revoked = status.update(cred_def, rev_def, rev_private, None, list(range(2, BATCH + 2)), 2000)
    updated = CredentialRevocationState.create(rev_def, revoked, 1, tails_path, state, status)
    assert updated.to_json() != state.to_json()
    out["update_1000_ms"] = cpu_median_ms(
        lambda: CredentialRevocationState.create(rev_def, revoked, 1, tails_path, state, status), 3
    )
    return out


def run(quick: bool) -> dict:
    repeats = 7 if quick else 41
    plain, revocable = _presentation_costs(False, repeats), _presentation_costs(True, repeats)
    ours = {
        "present_added_ms": round(revocable["present_ms"] - plain["present_ms"], 3),
        "verify_added_ms": round(revocable["verify_ms"] - plain["verify_ms"], 3),
        "present_ms": round(revocable["present_ms"], 3),
        "verify_ms": round(revocable["verify_ms"], 3),
        "present_plain_ms": round(plain["present_ms"], 3),
        "verify_plain_ms": round(plain["verify_ms"], 3),
        "added_bytes": revocable["bytes"] - plain["bytes"],
        **{k: round(v, 3) for k, v in _witness_update(3 if quick else 11).items()},
    }
    ours["targets_met"] = {name: ours[name] <= limit for name, limit in TARGETS.items()}
    theirs = _anoncreds(repeats)
    if isinstance(theirs, dict):
        theirs = {k: round(v, 3) if isinstance(v, float) else v for k, v in theirs.items()}
        theirs["present_added_ms"] = round(theirs["present_revocation_ms"] - theirs["present_ms"], 3)
        theirs["verify_added_ms"] = round(theirs["verify_revocation_ms"] - theirs["verify_ms"], 3)
    return {"attributes": len(ATTRIBUTES), "batch": BATCH, "govgraph": ours, "anoncreds": theirs}


COLUMNS = (
    Column("revocation (L = 10)", 30, align="<"),
    Column("present +ms", 12, ".2f"),
    Column("verify +ms", 11, ".2f"),
    Column("update 1000 ms", 15, ".2f"),
    Column("public data bytes", 18, "d"),
)


def table(result: dict) -> str:
    ours, theirs = result["govgraph"], result["anoncreds"]
    rows = [
        (
            "govgraph (VB20 accumulator)",
            ours["present_added_ms"],
            ours["verify_added_ms"],
            ours["update_1000_ms"],
            ours["update_bytes"],
        )
    ]
    if isinstance(theirs, dict):
        name = f"anoncreds {theirs['version']} (CL)"
        rows.append(
            (
                name,
                theirs["present_added_ms"],
                theirs["verify_added_ms"],
                theirs["update_1000_ms"],
                theirs["tails_bytes"],
            )
        )
    met = ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in ours["targets_met"].items())
    lines = [
        "",
        "Revocation: added cost of the non-revocation proof (revocable minus plain, 1 disclosed);",
        "update = a holder's witness update for 1,000 revocations; public data = govgraph's update data per",
        "batch of 1,000 (binary; JSON "
        f"{ours['update_json_bytes']} B), anoncreds' tails file (the registry of {result['batch'] + 24})",
        *table_lines(COLUMNS, rows),
        f"targets (present +{TARGETS['present_added_ms']:g} ms, verify +{TARGETS['verify_added_ms']:g} ms, "
        f"update {TARGETS['update_1000_ms']:g} ms, {TARGETS['update_bytes']} B): {met}",
    ]
    if not isinstance(theirs, dict):
        lines.append(f"anoncreds: {theirs}")
    return "\n".join(lines)


__all__ = ["run", "table"]
