"""The credentials the issuer offers (OID4VCI "credential configurations"): each one's id, its zk schema
and how long a credential stays valid. The format is ours, `govgraph_bbs`: a blind BBS credential
(`zk.credential`) with predicates and pseudonyms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zk.credential import Attribute, Schema, date_attribute

FORMAT = "govgraph_bbs"
CITIZEN_V1 = "govgraph.identity.citizen/v1"
# The same attributes, revocable: one more hidden message, the revocation handle
# (govgraph.credentials.revocation)
REVOCABLE_CITIZEN_V1 = "govgraph.identity.revocable-citizen/v1"


@dataclass(frozen=True)
class CredentialConfiguration:
    id: str
    schema: Schema
    display_name: str
    validity: dt.timedelta  # a credential's `expires` is the day of issuance plus this

    def expires(self, today: dt.date) -> dt.date:
        return today + self.validity

    def claims(self) -> list[dict[str, Any]]:
        """The claims description of the issuer metadata (OID4VCI 1.0 appendix B.2): one path each."""
        return [{"path": [attribute.name]} for attribute in self.schema.attributes]


CITIZEN_ATTRIBUTES = (
    Attribute("given_name", "string"),
    Attribute("family_name", "string"),
    date_attribute("birth_date", dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
    Attribute("residence", "string"),
    Attribute("citizenship", "string"),
    Attribute("household_income", "integer", 0, 1_000_000_000),
)
CITIZEN = CredentialConfiguration(
    CITIZEN_V1,
    Schema.create(CITIZEN_V1, CITIZEN_ATTRIBUTES),
    "Citizen (identity bureau)",
    dt.timedelta(days=365),
)
REVOCABLE_CITIZEN = CredentialConfiguration(
    REVOCABLE_CITIZEN_V1,
    Schema.create(REVOCABLE_CITIZEN_V1, CITIZEN_ATTRIBUTES, revocable=True),
    "Citizen, revocable (identity bureau)",
    dt.timedelta(days=365),
)


def standard_configurations() -> dict[str, CredentialConfiguration]:
    return {CITIZEN.id: CITIZEN, REVOCABLE_CITIZEN.id: REVOCABLE_CITIZEN}


def by_schema_id(configurations: Mapping[str, CredentialConfiguration]) -> dict[str, CredentialConfiguration]:
    """The configurations by their schema's digest (what presentations name a schema by)."""
    return {configuration.schema.id: configuration for configuration in configurations.values()}
