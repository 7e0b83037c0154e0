"""What the revocation tests share: an issuer with a revocable schema and its accumulator, epoch by epoch
(credentials issued through the wire formats), and a holder's witness refresh."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

from tests.zk.credentials import benefit_schema
from zk.accumulator import AccumulatorKey, initial_accumulator, remove
from zk.credential import (
    AcceptedEpochs,
    Credential,
    CredentialOffer,
    CredentialRequest,
    IssuerKey,
    Schema,
    accept_credential,
    issue_credential,
    make_offer,
    request_credential,
    verify_presentation,
)
from zk.curve import get_backend
from zk.wire import canonical_json, parse_json

ATTRIBUTES = {
    "name": "Ada Lovelace",
    "birth_date": dt.date(1990, 5, 17),
    "district": "north",
    "income": 21_000,
    "expires": dt.date(2027, 6, 30),
}


class Registry:
    """An issuer with a revocable schema and its accumulator, epoch by epoch."""

    def __init__(self, backend=None) -> None:
        self.backend = backend or get_backend()
        self.issuer = IssuerKey.generate(b"revocation test issuer key material")
        self.key = AccumulatorKey.generate(b"revocation test accumulator", backend=self.backend)
        base = benefit_schema()
        self.schema = Schema.create(base.name, base.attributes, revocable=True)
        self.accumulator = initial_accumulator(self.backend)
        self.values = {0: self.accumulator.value}
        self.updates = []

    def holder(self, **changes):
        offer = CredentialOffer.from_json(
            parse_json(canonical_json(make_offer(self.issuer, self.schema).to_json()), "offer")
        )
        request, pending = request_credential(offer, backend=self.backend)
        request = CredentialRequest.from_json(parse_json(canonical_json(request.to_json()), "request"))
        credential = issue_credential(
            self.issuer,
            offer,
            request,
            {**ATTRIBUTES, **changes},
            backend=self.backend,
            accumulator_key=self.key,
            accumulator=self.accumulator,
        )
        credential = Credential.from_json(parse_json(canonical_json(credential.to_json()), "credential"))
        return accept_credential(pending, credential, backend=self.backend)

    def revoke(self, *holders, others: int = 0):
        handles = [h.credential.revocation.handle for h in holders] + [
            int.from_bytes(os.urandom(31), "big") + 1 for _ in range(others)
        ]
        self.accumulator, update = remove(self.key, self.accumulator, handles, backend=self.backend)
        self.values[self.accumulator.epoch] = self.accumulator.value
        self.updates.append(update)

    def accepted(self, *epochs) -> AcceptedEpochs:
        chosen = epochs or (self.accumulator.epoch,)
        return AcceptedEpochs(self.key.public_key, {e: self.values[e] for e in chosen})

    def verify(self, request, shown, *epochs):
        return verify_presentation(
            request,
            shown,
            {self.issuer.key_id: self.issuer.public_key},
            backend=self.backend,
            revocation=self.accepted(*epochs),
        )


def refreshed(held, registry):
    revocation = held.credential.revocation
    since = revocation.witness.epoch
    new = revocation.refreshed(registry.updates[since:], backend=registry.backend)
    return dataclasses.replace(held, credential=dataclasses.replace(held.credential, revocation=new))
