"""Benchmark of credential presentations: govgraph (BBS + Bulletproofs, arkworks) against AnonCreds (CL
signatures, the `anoncreds` package of Hyperledger), doing the same presentation in one run.

The presentation: 1 disclosed attribute (district) and 2 predicates on hidden integers (age >= 18 as a
birth-date bound, income < 30000), bound to the verifier's nonce. govgraph always also proves
`expires >= today` (a third predicate AnonCreds does not do); the "+ pseudonym" row adds a pseudonym for a
context as well. Figures are the median CPU time (time.process_time) per operation and the ratio
anoncreds / govgraph (above 1: govgraph is faster).

    python bench/credentials.py            # full run
    python bench/credentials.py --quick    # short run
    python bench/credentials.py --json     # the same figures as one JSON object

AnonCreds comes from the `bench` extra (pip install -e '.[bench]'); without it the table says so and shows
govgraph alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zk.credential import (  # noqa: E402
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
from zk.curve import get_backend  # noqa: E402
from zk.wire import date_to_days  # noqa: E402

TODAY = dt.date(2026, 11, 21)
BIRTH = dt.date(1990, 5, 17)
TARGET_VERIFY_RATIO = 10.0


def cpu_median_ms(operation: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.process_time()
        operation()
        samples.append(time.process_time() - start)
    return statistics.median(samples) * 1e3


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
    return result


def print_table(result: dict) -> None:
    print(
        "Presentation: 1 disclosed + 2 predicates (age >= 18, income < 30000), nonce-bound; govgraph also "
        "proves "
        "expires >= today"
    )
    print(
        f"median CPU ms over {result['repeats']} runs; ratio = anoncreds / govgraph (higher: govgraph faster)"
    )
    print(
        f"{'implementation':32} {'present ms':>11} {'verify ms':>10} {'bytes':>7} {'present x':>10} "
        f"{'verify x':>9}"
    )
    theirs = result["anoncreds"]
    if theirs is not None:
        print(
            f"{'anoncreds ' + theirs['version']:32} {theirs['present_ms']:11.2f} {theirs['verify_ms']:10.2f} "
            f"{theirs['bytes']:7d} {'1.00':>10} {'1.00':>9}"
        )
    for row in result["rows"]:
        ratios = (
            f"{row['present_ratio']:10.2f} {row['verify_ratio']:9.2f}"
            if theirs is not None
            else f"{'n/a':>10} {'n/a':>9}"
        )
        print(
            f"{row['implementation']:32} {row['present_ms']:11.2f} {row['verify_ms']:10.2f} {row['bytes']:7d} "
            f"{ratios}"
        )
    if theirs is None:
        print(f"anoncreds: {result['anoncreds_unavailable']}")
    else:
        met = "met" if result["verify_target_met"] else "NOT met"
        print(
            f"target verify >= {TARGET_VERIFY_RATIO:.0f}x faster than anoncreds -> "
            f"{result['rows'][0]['verify_ratio']:.2f}x: {met}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    result = run(args.quick)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)


if __name__ == "__main__":
    main()
