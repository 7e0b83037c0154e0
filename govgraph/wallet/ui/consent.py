"""What a presentation would tell a verifier, in plain language for the consent screen: who asks and why,
each value disclosed, each statement only proved (the value stays hidden), and the pseudonym shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from govgraph.wallet.presentation import Ask
from govgraph.wallet.store import Plan
from zk import credential as zkc
from zk.json_input import printable
from zk.wire import parse_json

LABELS = {
    "given_name": "given name",
    "family_name": "family name",
    "birth_date": "date of birth",
    "residence": "place of residence",
    "citizenship": "citizenship",
    "household_income": "household income",
    "expires": "credential's expiry date",
}
_COMPARISONS = {
    ">=": "is at least",
    ">": "is more than",
    "<=": "is at most",
    "<": "is less than",
    "!=": "is not",
}
_DATE_COMPARISONS = {
    ">=": "is on or after",
    ">": "is after",
    "<=": "is on or before",
    "<": "is before",
    "!=": "is not",
}


@dataclass(frozen=True)
class Consent:
    verifier: str  # the verifier's origin, as its response URI names it
    purpose: str
    credential_id: str
    disclosed: tuple[tuple[str, str], ...]  # (label, value)
    proved: tuple[str, ...]  # sentences
    pseudonym: str | None  # a sentence, or None when no pseudonym is shown
    pseudonym_context: str | None = None

    @property
    def disclosed_by_name(self) -> dict[str, str]:
        return dict(self.disclosed)


def label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " "))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def full_years(earlier: dt.date, later: dt.date) -> int:
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


def anniversary(born: dt.date, years: int) -> dt.date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February
        return born.replace(year=born.year + years, day=28)


def _age_at_least(cutoff: dt.date, today: dt.date, shown: str) -> str:
    """`birth_date <= cutoff` in words: an age today, or an age on a later day (an election day)."""
    years = full_years(cutoff, today)
    if anniversary(cutoff, years) == today:
        return f"that you are at least {years} years old (born on or before {shown})"
    day = anniversary(cutoff, years + 1)
    return f"that you will be at least {years + 1} years old on {day.isoformat()} (born on or before {shown})"


def sentence(predicate: zkc.Predicate, schema: zkc.Schema, today: dt.date) -> str:
    """One proved statement in words ("that you are at least 18 years old (born on or before ...)")."""
    attribute = schema.attribute(predicate.attribute)
    name = predicate.attribute
    if predicate.op == "between":
        lo, hi = (attribute.value_to_json(v) for v in predicate.value)
        return f"that your {label(name)} is between {lo} and {hi}"
    value = attribute.value_to_json(predicate.value)
    if name == "birth_date" and predicate.op == "<=" and predicate.value <= today:
        return _age_at_least(predicate.value, today, value)
    if name == "birth_date" and predicate.op in (">=", ">"):
        years = full_years(predicate.value, today)
        after = "on or after" if predicate.op == ">=" else "after"
        return f"that you are at most {years} years old (born {after} {value})"
    if name == "expires" and predicate.op in (">=", ">"):
        return f"that your credential is still valid on {value}"
    words = _DATE_COMPARISONS if isinstance(predicate.value, dt.date) else _COMPARISONS
    return f"that your {label(name)} {words.get(predicate.op, predicate.op)} {value}"


def consent_for(ask: Ask, plan: Plan) -> Consent:
    request = zkc.PresentationRequest.from_json(parse_json(ask.request_json, "presentation request"))
    disclosed = tuple((label(name), printable(str(value))) for name, value in plan.disclosed.items())
    proved = tuple(printable(sentence(p, request.schema, request.today)) for p in request.all_predicates())
    pseudonym = None
    if plan.context is not None:
        pseudonym = (
            f"a pseudonym for \u201c{printable(plan.context)}\u201d: the same each time you answer for this "
            "purpose, so the verifier can tell that you answered twice, but not who you are"
        )
    return Consent(
        printable(origin_of(ask.response_uri)),
        printable(ask.purpose),
        plan.credential_id,
        disclosed,
        proved,
        pseudonym,
        None if plan.context is None else printable(plan.context),
    )


__all__ = ["Consent", "consent_for", "label", "origin_of", "sentence"]
