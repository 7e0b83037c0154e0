"""A benefit programme's rules, checked before anything is written: its identifiers, amount, currency and
period, and its eligibility rule, a DCQL query (with the credential layer's predicate extension) that every
claimant's presentation must satisfy. The office adds the pseudonym contexts itself: a claim proves the
holder's pseudonym for `welfare/<programme>/<period>` and, in an exclusion group, for
`welfare/exclusion/<group>/<period>`."""

from __future__ import annotations

import copy
import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from govgraph.credentials.configurations import CredentialConfiguration
from govgraph.credentials.dcql import DcqlError, parse_dcql
from govgraph.federation.errors import BadUserInput
from zk.json_input import describe
from zk.wire import canonical_json

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?")  # programme ids and exclusion groups
PERIOD = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,30}[A-Za-z0-9])?")  # no "/": contexts are split on it
CURRENCY = re.compile(r"[A-Z]{3}")  # ISO 4217 alphabetic code
MAX_AMOUNT = 2**31 - 1  # minor units: a GraphQL Int
MAX_TITLE = 200
MAX_DESCRIPTION = 2000
RESERVED_IDS = frozenset({"exclusion"})  # welfare/exclusion/... names the exclusion groups' contexts


def claim_context(programme: str, period: str) -> str:
    """The pseudonym context of a programme's claims: one pseudonym per person per programme and period."""
    return f"welfare/{programme}/{period}"


def exclusion_context(group: str, period: str) -> str:
    """The pseudonym context shared by the programmes of an exclusion group in a period."""
    return f"welfare/exclusion/{group}/{period}"


@dataclass(frozen=True)
class ProgrammeDefinition:
    """A programme as an official asks for it (unchecked)."""

    id: str
    title: str
    description: str
    eligibility: Any  # DCQL, as JSON
    amount: int
    currency: str
    period: str
    starts_on: datetime.date
    ends_on: datetime.date
    exclusion_group: str | None = None

    def checked(self, configurations: Mapping[str, CredentialConfiguration]) -> CheckedProgramme:
        """The definition with its eligibility rule parsed and normalised; BadUserInput naming what is
        wrong."""
        if not isinstance(self.id, str) or not SLUG.fullmatch(self.id) or self.id in RESERVED_IDS:
            raise BadUserInput(
                "A programme id is 1-48 lower-case letters, digits and inner hyphens (not 'exclusion')."
            )
        _text(self.title, "title", MAX_TITLE)
        _text(self.description, "description", MAX_DESCRIPTION)
        if not 0 < self.amount <= MAX_AMOUNT:
            raise BadUserInput(f"The amount is 1..{MAX_AMOUNT} minor units of the currency.")
        if not CURRENCY.fullmatch(self.currency):
            raise BadUserInput("The currency is an ISO 4217 code of three capital letters, e.g. EUR.")
        if not PERIOD.fullmatch(self.period):
            raise BadUserInput("A period is 1-32 letters, digits, dots and inner hyphens, e.g. 2026-12.")
        if self.ends_on < self.starts_on:
            raise BadUserInput("The programme ends before it starts.")
        if self.exclusion_group is not None and not SLUG.fullmatch(self.exclusion_group):
            raise BadUserInput("An exclusion group is 1-48 lower-case letters, digits and inner hyphens.")
        try:
            query, configuration = parse_dcql(self.eligibility, configurations)
        except DcqlError as exc:
            raise BadUserInput(f"eligibility: {exc}") from None
        if query.context is not None:
            raise BadUserInput(
                "eligibility: leave out the pseudonym: the office asks for welfare/<programme>/<period>"
            )
        rule = canonical_json(query.to_json(configuration.schema)).decode()
        return CheckedProgramme(self, rule)


@dataclass(frozen=True)
class CheckedProgramme:
    definition: ProgrammeDefinition
    eligibility: str  # the normalised DCQL query, canonical JSON

    def event_fields(self) -> dict[str, Any]:
        """What the ProgrammeCreated entry records: the whole public rule."""
        d = self.definition
        return {
            "programme": d.id,
            "title": d.title,
            "description": d.description,
            "eligibility": json.loads(self.eligibility),
            "amount": d.amount,
            "currency": d.currency,
            "period": d.period,
            "startsOn": d.starts_on.isoformat(),
            "endsOn": d.ends_on.isoformat(),
            "exclusionGroup": d.exclusion_group,
        }


def claim_query(eligibility: str, context: str) -> dict[str, Any]:
    """The programme's rule with the holder's pseudonym for `context` asked for: what a claimant answers."""
    query = copy.deepcopy(json.loads(eligibility))
    query["credentials"][0]["pseudonym"] = {"context": context}
    return query


def _text(value: str, what: str, limit: int) -> None:
    if not 0 < len(value.strip()) <= limit or not value.isprintable():
        raise BadUserInput(f"The {what} is 1..{limit} printable characters, got {describe(value)}.")
