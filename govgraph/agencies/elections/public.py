"""An election's zk objects rebuilt from what the commission stores and publishes: the manifest, the ceremony
and its public messages, the election context, the trustees' verification keys. Cached per process by
content, so a batch of ballots shares one context (and its points merge in one msm)."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from govgraph.federation.errors import BadUserInput
from zk.ballot import ElectionContext, Manifest, election_group
from zk.curve import get_backend
from zk.errors import MalformedInput
from zk.group import Element, G1Group
from zk.trustees import Ceremony, CoefficientReveal, Complaint, ComplaintAnswer, SealedShare
from zk.wire import element_from_hex

# The commission's curve backend: elections run in BLS12-381 G1 (zk.ballot.election_group) on arkworks.
BACKEND = "arkworks"


@functools.cache
def group() -> G1Group:
    return election_group(get_backend(BACKEND))


def manifest_of(document: Mapping[str, Any]) -> Manifest:
    """The stored manifest (checked when it was accepted)."""
    return _manifest(json.dumps(document, sort_keys=True))


@functools.lru_cache(maxsize=64)
def _manifest(text: str) -> Manifest:
    return Manifest.from_json(json.loads(text))


def ceremony_of(manifest: Manifest) -> Ceremony:
    return Ceremony(group(), len(manifest.trustees), manifest.threshold, manifest.hash())


@functools.lru_cache(maxsize=64)
def _context(manifest_text: str, joint_key: str) -> ElectionContext:
    manifest = _manifest(manifest_text)
    return ElectionContext(group(), manifest, element_from_hex(group(), joint_key, "joint key"))


def context_of(manifest: Mapping[str, Any], joint_key: str) -> ElectionContext:
    """The election context once voting opened (the joint key is known)."""
    return _context(json.dumps(manifest, sort_keys=True), joint_key)


def reveal_of(ceremony: Ceremony, document: object, what: str = "reveal") -> CoefficientReveal:
    try:
        return CoefficientReveal.from_json(ceremony, document, what)
    except MalformedInput as exc:
        raise BadUserInput(str(exc)) from None


def sealed_of(document: Mapping[str, Any]) -> SealedShare:
    return SealedShare(document["dealer"], document["recipient"], bytes.fromhex(document["sealed"]))


def complaints_of(ceremony: Ceremony, documents: Sequence[object]) -> list[Complaint]:
    return [Complaint.from_json(ceremony, document) for document in documents]


def answers_of(ceremony: Ceremony, documents: Sequence[object]) -> list[ComplaintAnswer]:
    return [ComplaintAnswer.from_json(ceremony, document) for document in documents]


def verification_keys(
    ceremony: Ceremony, reveals: Mapping[int, CoefficientReveal], qualified: Sequence[int]
) -> dict[int, Element]:
    from zk.trustees import verification_key

    return {j: verification_key(ceremony, reveals, qualified, j) for j in qualified}
