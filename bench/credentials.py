"""Benchmark of credential presentations: govgraph (BBS + Bulletproofs, arkworks) against AnonCreds (CL
signatures, the `anoncreds` package of Hyperledger), doing the same presentation in one run.

The presentation: 1 disclosed attribute (district) and 2 predicates on hidden integers (age >= 18 as a
birth-date bound, income < 30000), bound to the verifier's nonce. govgraph always also proves
`expires >= today` (a third predicate AnonCreds does not do); the "+ pseudonym" row adds a pseudonym for a
context as well. Figures are the median CPU time (time.process_time) per operation and the ratio
anoncreds / govgraph (above 1: govgraph is faster).

    python -m bench.credentials            # full run
    python -m bench.credentials --quick    # short run
    python -m bench.credentials --json     # the same figures as one JSON object

The revocation table (bench/credential_revocation.py) adds the cost of the non-revocation proof at L = 10,
the witness update for 1,000 revocations and the update data's size, beside AnonCreds' revocation.

AnonCreds comes from the `bench` extra (pip install -e '.[bench]'); without it the table says so and shows
govgraph alone.
"""

from __future__ import annotations

import datetime as dt
import platform

from bench import credential_revocation
from bench.harness import Column, arguments, cpu_median_ms, report, table_lines
from zk.credential import (
    Attribute,
    IssuerKey,
    Predicate,
    Schema,
    accept_credential,
    age_at_least,
    date_attribute,
    issue_credential,
    make_offer,
    make_presentation_request,
    present,
    request_credential,
    verify_presentation,
)
from zk.curve import get_backend
from zk.wire import date_to_days

TODAY = dt.date(2026, 11, 21)
BIRTH = dt.date(1990, 5, 17)
TARGET_VERIFY_RATIO = 10.0


def govgraph_case(context: str | None, repeats: int) -> dict[str, float]:
    schema = Schema.create(
        "bench",
        [
            Attribute("name", "string"),
            date_attribute("birth_date", dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
            Attribute("district", "enum", values=("north", "south", "east", "west")),
            Attribute("income", "integer", 0, 10**9),
        ],
    )
    issuer = IssuerKey.generate()
    offer = make_offer(issuer, schema)
    request, pending = request_credential(offer)
    credential = issue_credential(
        issuer,
        offer,
        request,
        {
            "name": "Ada",
            "birth_date": BIRTH,
            "district": "north",
            "income": 21_000,
            "expires": dt.date(2027, 6, 30),
        },
    )
    held = accept_credential(pending, credential)
    ask = make_presentation_request(
        schema,
        [issuer.key_id],
        TODAY,
        disclose=["district"],
        predicates=[age_at_least(18, TODAY), Predicate("income", "<", 30_000)],
        context=context,
    )
    keys = {issuer.key_id: issuer.public_key}
    presentation = present(held, ask).to_bytes()
    assert verify_presentation(ask, presentation, keys).ok
    return {
        "present_ms": cpu_median_ms(lambda: present(held, ask).to_bytes(), repeats),
        "verify_ms": cpu_median_ms(lambda: verify_presentation(ask, presentation, keys), repeats),
        "bytes": len(presentation),
    }


def anoncreds_case(repeats: int) -> dict[str, float] | str:
    try:
        import anoncreds
        from anoncreds import (
            Credential,
            CredentialDefinition,
            CredentialOffer,
            CredentialRequest,
            PresentationRequest,
            PresentCredentials,
            create_link_secret,
            generate_nonce,
        )
        from anoncreds import Presentation as AnonPresentation
        from anoncreds import (
            Schema as AnonSchema,
        )
    except ImportError as exc:
        return f"anoncreds not installed ({exc}); pip install -e '.[bench]'"
    issuer_id = schema_id = cred_def_id = "https://govgraph.example/bench"
    schema = AnonSchema.create("bench", "1.0", issuer_id, ["name", "birth_days", "district", "income"])
    cred_def, cred_def_private, key_proof = CredentialDefinition.create(
        schema_id, schema, issuer_id, "tag", "CL"
    )
    link_secret = create_link_secret()
    offer = CredentialOffer.create(schema_id, cred_def_id, key_proof)
    request, metadata = CredentialRequest.create(
        "bench-entropy", None, cred_def, link_secret, "default", offer
    )
    # AnonCreds predicates need non-negative integers: the birth date as days since 1900-01-01.
    birth_days = date_to_days(BIRTH) - date_to_days(dt.date(1900, 1, 1))
    cutoff_days = date_to_days(age_at_least(18, TODAY).value) - date_to_days(dt.date(1900, 1, 1))
    credential = Credential.create(
        cred_def,
        cred_def_private,
        offer,
        request,
        {"name": "Ada", "birth_days": str(birth_days), "district": "north", "income": "21000"},
    )
    credential = credential.process(metadata, link_secret, cred_def)
    pres_req = PresentationRequest.load(
        {
            "nonce": generate_nonce(),
            "name": "bench",
            "version": "1.0",
            "requested_attributes": {"district": {"name": "district"}},
            "requested_predicates": {
                "adult": {"name": "birth_days", "p_type": "<=", "p_value": cutoff_days},
                "income": {"name": "income", "p_type": "<", "p_value": 30000},
            },
        }
    )

    def make() -> object:
        creds = PresentCredentials()
        creds.add_attributes(credential, "district", reveal=True)
        creds.add_predicates(credential, "adult", "income")
        return AnonPresentation.create(
            pres_req, creds, {}, link_secret, {schema_id: schema}, {cred_def_id: cred_def}
        )

    presentation = make()
    assert presentation.verify(pres_req, {schema_id: schema}, {cred_def_id: cred_def})
    return {
        "present_ms": cpu_median_ms(make, repeats),
        "verify_ms": cpu_median_ms(
            lambda: presentation.verify(pres_req, {schema_id: schema}, {cred_def_id: cred_def}), repeats
        ),
        "bytes": len(presentation.to_json()),
        "version": anoncreds.library_version(),
    }


def run(quick: bool) -> dict:
    repeats = 7 if quick else 41
    ours = govgraph_case(None, repeats)
    with_nym = govgraph_case("benefit-2026", repeats)
    theirs = anoncreds_case(repeats)
    rows = []
    for name, figures in (("govgraph (BBS + Bulletproofs)", ours), ("govgraph + pseudonym", with_nym)):
        row = {"implementation": name, **{k: round(v, 3) for k, v in figures.items()}}
        if isinstance(theirs, dict):
            row["present_ratio"] = round(theirs["present_ms"] / figures["present_ms"], 2)
            row["verify_ratio"] = round(theirs["verify_ms"] / figures["verify_ms"], 2)
        rows.append(row)
    result = {
        "benchmark": "credentials",
        "backend": get_backend("arkworks").name,
        "quick": quick,
        "repeats": repeats,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "rows": rows,
        "target_verify_ratio": TARGET_VERIFY_RATIO,
    }
    if isinstance(theirs, dict):
        result["anoncreds"] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in theirs.items()}
        result["verify_target_met"] = rows[0]["verify_ratio"] >= TARGET_VERIFY_RATIO
    else:
        result["anoncreds"] = None
        result["anoncreds_unavailable"] = theirs
    result["revocation"] = credential_revocation.run(quick)
    return result


COLUMNS = (
    Column("implementation", 32, align="<"),
    Column("present ms", 11, ".2f"),
    Column("verify ms", 10, ".2f"),
    Column("bytes", 7, "d"),
    Column("present x", 10, ".2f"),
    Column("verify x", 9, ".2f"),
)


def table(result: dict) -> str:
    theirs = result["anoncreds"]
    rows = [
        (r["implementation"], r["present_ms"], r["verify_ms"], r["bytes"])
        + ((r["present_ratio"], r["verify_ratio"]) if theirs is not None else (None, None))
        for r in result["rows"]
    ]
    if theirs is not None:
        version = "anoncreds " + theirs["version"]
        rows.insert(0, (version, theirs["present_ms"], theirs["verify_ms"], theirs["bytes"], 1.0, 1.0))
    lines = [
        "Presentation: 1 disclosed + 2 predicates (age >= 18, income < 30000), nonce-bound; govgraph also "
        "proves expires >= today",
        f"median CPU ms over {result['repeats']} runs; ratio = anoncreds / govgraph "
        "(higher: govgraph faster)",
        *table_lines(COLUMNS, rows),
    ]
    if theirs is None:
        lines.append(f"anoncreds: {result['anoncreds_unavailable']}")
    else:
        met = "met" if result["verify_target_met"] else "NOT met"
        lines.append(
            f"target verify >= {TARGET_VERIFY_RATIO:.0f}x faster than anoncreds -> "
            f"{result['rows'][0]['verify_ratio']:.2f}x: {met}"
        )
    lines.append(credential_revocation.table(result["revocation"]))
    return "\n".join(lines)


def main() -> None:
    args = arguments(__doc__).parse_args()
    report(run(args.quick), args.json, table)


if __name__ == "__main__":
    main()
