"""Selective-disclosure credentials: schemas, blind issuance bound to a holder secret, presentations that
disclose some attributes, prove predicates about others and show a pseudonym, and their verification with a
named failure cause. Each message is a versioned, canonical JSON object (`zk.wire`); the design: docs/zk.md.

    offer = make_offer(issuer, schema)                                   # issuer -> holder
    request, pending = request_credential(offer)                         # holder -> issuer
    credential = issue_credential(issuer, offer, request, attributes)    # issuer -> holder
    held = accept_credential(pending, credential)                        # the holder keeps it
    ask = make_presentation_request(schema, [issuer.key_id], today, disclose=["district"],
                                    predicates=[age_at_least(18, today)], context="benefit-2026")
    presentation = present(held, ask)                                    # holder -> verifier
    result = verify_presentation(ask, presentation, {issuer.key_id: issuer.public_key})

A revocable schema (`Schema.create(..., revocable=True)`) adds a hidden revocation handle with its accumulator
witness (`zk.credential.revocation`, `zk.accumulator`); its presentations are verified against the epochs the
verifier accepts: `verify_presentation(..., revocation=AcceptedEpochs(public_key, {epoch: value}))`.
"""

from zk.credential.issuance import (
    Credential,
    CredentialOffer,
    CredentialRequest,
    HeldCredential,
    IssuerKey,
    PendingRequest,
    accept_credential,
    issue_credential,
    issuer_key_id,
    make_offer,
    request_credential,
)
from zk.credential.predicates import PREDICATE_OPS, Predicate, age_at_least
from zk.credential.presentation import (
    CredentialExpired,
    CredentialMismatch,
    PredicateNotSatisfied,
    Presentation,
    PresentationRequest,
    make_presentation_request,
    present,
)
from zk.credential.revocation import AcceptedEpochs, CredentialRevocation, MembershipProof
from zk.credential.schema import (
    ATTRIBUTE_TYPES,
    EXPIRES,
    Attribute,
    Schema,
    date_attribute,
    encode_integer,
    suite_for,
)
from zk.credential.verification import FAILURE_CAUSES, VerifiedPresentation, verify_presentation

__all__ = [
    "ATTRIBUTE_TYPES",
    "AcceptedEpochs",
    "CredentialRevocation",
    "MembershipProof",
    "EXPIRES",
    "FAILURE_CAUSES",
    "PREDICATE_OPS",
    "Attribute",
    "Credential",
    "CredentialExpired",
    "CredentialMismatch",
    "CredentialOffer",
    "CredentialRequest",
    "HeldCredential",
    "IssuerKey",
    "PendingRequest",
    "Predicate",
    "PredicateNotSatisfied",
    "Presentation",
    "PresentationRequest",
    "Schema",
    "VerifiedPresentation",
    "accept_credential",
    "age_at_least",
    "date_attribute",
    "encode_integer",
    "issue_credential",
    "issuer_key_id",
    "make_offer",
    "make_presentation_request",
    "present",
    "request_credential",
    "suite_for",
    "verify_presentation",
]
