"""Disbursement transparency: a programme's accepted claims and payments as a 360Giving 1.4 data package
(one grant per claim, to a pseudonymous `recipientIndividual`: one id per beneficiary per programme, derived
from the claim's pseudonym, never a name or a national id) and as an IATI 2.03 activity (one disbursement
transaction per payment). Pure: rows in, documents out."""

from __future__ import annotations

import datetime
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from govgraph.agencies.welfare.models import ClaimRow, PaymentRow, ProgrammeRow

# The publishing organisation. An org-id.guide identifier belongs here in a deployment; XI-GOVGRAPH is a
# placeholder in the "XI" (unregistered) list's form.
ORGANISATION_ID = "XI-GOVGRAPH-WELFARE"
ORGANISATION_NAME = "Welfare office"
GIVING_VERSION = "1.4"
IATI_VERSION = "2.03"
INDIVIDUAL = "Individual Recipient"  # the generic name 360Giving allows for people
# ISO 4217 minor units where they are not 2 (the amounts are stored in minor units).
MINOR_UNITS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX"), 0),
    **dict.fromkeys(("UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
# IATI codes: organisation type 10 Government; roles 1 Funding, 4 Implementing; activity status 2
# Implementation, 3 Finalisation; activity dates 1 planned start, 3 planned end; transaction type 3
# Disbursement.
IATI_GOVERNMENT, IATI_FUNDING, IATI_IMPLEMENTING = "10", "1", "4"


def major_units(amount: int, currency: str) -> Decimal:
    """An amount in minor units as the currency's major units (1234 EUR cents -> 12.34)."""
    return Decimal(amount).scaleb(-MINOR_UNITS.get(currency, 2))


def _number(amount: int, currency: str) -> int | float:
    value = major_units(amount, currency)
    return int(value) if value == value.to_integral_value() else float(value)


def recipient_id(programme: ProgrammeRow, pseudonym: str) -> str:
    """The beneficiary's id in the programme's package: a digest of their programme pseudonym (already on
    the ledger), so the same person has one id in a programme and unrelated ids across programmes."""
    digest = hashlib.sha256(f"{programme.id}\x00{pseudonym}".encode()).hexdigest()[:24]
    return f"{ORGANISATION_ID}-{programme.id}-{digest}"


def giving_package(
    programme: ProgrammeRow,
    claims: Sequence[ClaimRow],
    payments: Sequence[PaymentRow],
    issued: datetime.date,
) -> dict[str, Any]:
    """The programme's 360Giving package: one grant per accepted claim (amountAwarded: the benefit;
    amountDisbursed and disbursementTransaction: its payments). 360Giving packages hold at least one grant:
    a programme without claims has none to publish (ValueError)."""
    if not claims:
        raise ValueError(f"programme {programme.id} has no accepted claims to publish")
    paid: dict[str, list[PaymentRow]] = {}
    for payment in payments:
        paid.setdefault(payment.claim_id, []).append(payment)
    funder = {"id": ORGANISATION_ID, "name": ORGANISATION_NAME}
    grants = []
    for claim in claims:
        transactions = paid.get(claim.id, [])
        grant: dict[str, Any] = {
            "id": f"360G-{ORGANISATION_ID}-{claim.id}",
            "title": programme.title,
            "description": programme.description,
            "currency": programme.currency,
            "amountAwarded": _number(programme.amount, programme.currency),
            "awardDate": claim.claimed_on.isoformat(),
            "recipientIndividual": {"id": recipient_id(programme, claim.pseudonym), "name": INDIVIDUAL},
            "fundingOrganization": [funder],
            "grantProgramme": [{"code": programme.id, "title": programme.title}],
            "plannedDates": [
                {"startDate": programme.starts_on.isoformat(), "endDate": programme.ends_on.isoformat()}
            ],
        }
        if transactions:
            grant["amountDisbursed"] = _number(sum(p.amount for p in transactions), programme.currency)
            grant["disbursementTransaction"] = [
                {
                    "id": p.reference,
                    "amount": _number(p.amount, p.currency),
                    "transactionDate": p.paid_on.isoformat(),
                }
                for p in transactions
            ]
        grants.append(grant)
    return {
        "version": GIVING_VERSION,
        "title": f"{programme.title} ({programme.period})",
        "description": f"Grants to individuals of programme {programme.id}, published pseudonymously.",
        "issued": issued.isoformat(),
        "grants": grants,
    }


def iati_activity(
    programme: ProgrammeRow, payments: Sequence[PaymentRow], generated: datetime.datetime
) -> bytes:
    """The programme as one IATI 2.03 activity (`<iati-activities>` with one `<iati-activity>`): its
    period as planned dates and each payment as a disbursement transaction to an individual recipient."""
    stamp = generated.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    root = ET.Element("iati-activities", {"version": IATI_VERSION, "generated-datetime": stamp})
    activity = ET.SubElement(
        root, "iati-activity", {"last-updated-datetime": stamp, "default-currency": programme.currency}
    )
    ET.SubElement(activity, "iati-identifier").text = f"{ORGANISATION_ID}-{programme.id}-{programme.period}"
    _narrated(activity, "reporting-org", ORGANISATION_NAME, ref=ORGANISATION_ID, type=IATI_GOVERNMENT)
    _narrated(activity, "title", programme.title)
    _narrated(activity, "description", programme.description)
    for role in (IATI_FUNDING, IATI_IMPLEMENTING):
        _narrated(
            activity,
            "participating-org",
            ORGANISATION_NAME,
            ref=ORGANISATION_ID,
            type=IATI_GOVERNMENT,
            role=role,
        )
    status = "2" if generated.date() <= programme.ends_on else "3"
    ET.SubElement(activity, "activity-status", {"code": status})
    ET.SubElement(activity, "activity-date", {"type": "1", "iso-date": programme.starts_on.isoformat()})
    ET.SubElement(activity, "activity-date", {"type": "3", "iso-date": programme.ends_on.isoformat()})
    for payment in payments:
        transaction = ET.SubElement(activity, "transaction", {"ref": payment.reference})
        ET.SubElement(transaction, "transaction-type", {"code": "3"})
        ET.SubElement(transaction, "transaction-date", {"iso-date": payment.paid_on.isoformat()})
        value = ET.SubElement(
            transaction, "value", {"currency": payment.currency, "value-date": payment.paid_on.isoformat()}
        )
        value.text = str(major_units(payment.amount, payment.currency))
        _narrated(transaction, "description", f"Benefit payment on claim {payment.claim_id}")
        _narrated(transaction, "receiver-org", INDIVIDUAL)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _narrated(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(
        parent, tag, {name.replace("_", "-"): value for name, value in attributes.items()}
    )
    ET.SubElement(element, "narrative").text = text
    return element
