"""Red flags of a contracting process, computed from its compiled release alone (so anyone holding the
releases whose hashes the ledger signed can recompute them with ocdsmerge and this file). The four flags and
their names follow the Open Contracting Partnership and Development Gateway's guide "Red Flags for
Integrity: Giving the green light to open data solutions" (2016); the thresholds are this office's, as the
guide asks each user to set them for its own context (docs/procurement.md)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MIN_TENDER_DAYS = 15  # a tender period shorter than this is flagged
AMENDMENT_INCREASE = 0.20  # a contract worth over 20% more than its award is flagged
COMPLIANT_BID = "valid"  # the bid extension's bidStatus code of a bid that passed evaluation


@dataclass(frozen=True, slots=True)
class Flag:
    code: str
    name: str
    evidence: str


def red_flags(compiled: dict[str, Any]) -> list[Flag]:
    """The flags raised on a compiled release, in this order: single bid, short tender period, award not to
    the lowest compliant bid, large contract increase."""
    checks = (_single_bid, _short_tender_period, _not_lowest_bid, _large_increase)
    return [flag for check in checks if (flag := check(compiled)) is not None]


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _amount(value: Any) -> tuple[float, str | None] | None:
    value = _object(value)
    amount = value.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        return None
    currency = value.get("currency")
    try:
        return float(amount), currency if isinstance(currency, str) else None
    except OverflowError:  # an integer beyond any double: no amount to compare
        return None


def _id(value: Any) -> str | int | None:
    """An OCDS id as a look-up key (a string or an integer; anything else matches nothing)."""
    return value if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def _tenderers(compiled: dict[str, Any]) -> set[str]:
    """Who bid: the bid extension's bids (their tenderers), else tender.tenderers, by id or name."""
    found = set()
    for bid in _objects(_object(compiled.get("bids")).get("details")):
        found |= {_party(party) for party in _objects(bid.get("tenderers"))}
    if not found:
        found = {_party(party) for party in _objects(_object(compiled.get("tender")).get("tenderers"))}
    return {party for party in found if party}


def _party(party: dict[str, Any]) -> str:
    value = party.get("id") or party.get("name")
    return str(value) if value is not None else ""


def _single_bid(compiled: dict[str, Any]) -> Flag | None:
    """Single bid received: the tender's competitive process drew exactly one bidder (numberOfTenderers, or
    the distinct tenderers of its bids)."""
    tender = _object(compiled.get("tender"))
    declared = tender.get("numberOfTenderers")
    tenderers = _tenderers(compiled)
    if declared == 1 or (declared is None and len(tenderers) == 1):
        who = ", ".join(sorted(tenderers)) or "one tenderer"
        return Flag("SINGLE_BID", "Single bid received", f"numberOfTenderers={declared}; tenderers: {who}")
    return None


def _time(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


def _short_tender_period(compiled: dict[str, Any]) -> Flag | None:
    """Short bid submission period: tender.tenderPeriod lasts under MIN_TENDER_DAYS days."""
    period = _object(_object(compiled.get("tender")).get("tenderPeriod"))
    start, end = _time(period.get("startDate")), _time(period.get("endDate"))
    if start is None or end is None:
        return None
    days = (end - start).total_seconds() / 86400
    if days < MIN_TENDER_DAYS:
        return Flag(
            "SHORT_TENDER_PERIOD",
            "Short bid submission period",
            f"tenderPeriod of {days:.1f} days (from {period['startDate']} to {period['endDate']}), under "
            f"{MIN_TENDER_DAYS}",
        )
    return None


def _active_awards(compiled: dict[str, Any]) -> Iterable[dict[str, Any]]:
    return (award for award in _objects(compiled.get("awards")) if award.get("status") in (None, "active"))


def _not_lowest_bid(compiled: dict[str, Any]) -> Flag | None:
    """Winning bid is not the lowest priced compliant bid, and the award records no reason (its
    `description` is empty): compliant bids are the bid extension's bids with status `valid`."""
    compliant = []
    for bid in _objects(_object(compiled.get("bids")).get("details")):
        amount = _amount(bid.get("value"))
        if bid.get("status") == COMPLIANT_BID and amount is not None:
            compliant.append((amount, bid.get("id")))
    for award in _active_awards(compiled):
        awarded = _amount(award.get("value"))
        if awarded is None or (isinstance(award.get("description"), str) and award["description"].strip()):
            continue
        same = [(amount[0], bid) for amount, bid in compliant if amount[1] == awarded[1]]
        if same and awarded[0] > min(same, key=lambda item: item[0])[0]:
            lowest, bid = min(same, key=lambda item: item[0])
            return Flag(
                "AWARD_NOT_LOWEST",
                "Winning bid is not the lowest priced compliant bid",
                f"award {award.get('id')} of {awarded[0]:g} {awarded[1]} against bid {bid} of {lowest:g}, "
                "with no reason recorded",
            )
    return None


def _large_increase(compiled: dict[str, Any]) -> Flag | None:
    """Contract amendments increase its value: a contract with amendments is worth more than
    AMENDMENT_INCREASE above the award it implements."""
    awards = {_id(award.get("id")): _amount(award.get("value")) for award in _objects(compiled.get("awards"))}
    for contract in _objects(compiled.get("contracts")):
        if not _objects(contract.get("amendments")):
            continue
        awarded = (
            awards.get(_id(contract.get("awardID"))) if _id(contract.get("awardID")) is not None else None
        )
        value = _amount(contract.get("value"))
        if value is None or awarded is None or value[1] != awarded[1] or awarded[0] <= 0:
            continue
        increase = value[0] / awarded[0] - 1
        if increase > AMENDMENT_INCREASE:
            return Flag(
                "LARGE_AMENDMENT",
                "Contract amendments increase the contract value",
                f"contract {contract.get('id')} at {value[0]:g} {value[1]} after amendments, "
                f"{increase:.0%} above its award's {awarded[0]:g}",
            )
    return None
