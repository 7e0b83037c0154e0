"""Predicates over a credential's attributes (`income < 30000`, `age_at_least(18, today)`) and the proof
statement each one becomes about the attribute's message scalar (`zk.credential.predicate_proofs`).

A range statement proves v = m - enc(k) in [0, 2^bits) for m >= k (k - m for m <= k), where `bits` is the
smallest of 8, 16, 32, 64 covering the predicate's span within the schema's bounds (e.g. max - k for m >= k):
a tight schema gives short, fast proofs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from zk import rangeproof
from zk.bbs.pseudonym import PseudonymCiphersuite
from zk.credential.predicate_proofs import Statement
from zk.credential.schema import INT_MAX, INT_MIN, INT_OFFSET, NAME_PATTERN, Attribute, Schema, encode_integer
from zk.curve import R
from zk.errors import InvalidParameters, MalformedInput
from zk.json_input import describe
from zk.wire import date_from_json, require_int, require_list, require_object, require_str

PREDICATE_OPS = (">=", ">", "<=", "<", "!=", "between")


@dataclass(frozen=True)
class Predicate:
    """`attribute op value` (or `lo <= attribute <= hi` for "between", with value = (lo, hi)). Values are in
    the attribute's Python form (int, datetime.date, str, bool); only "!=" applies to non-numeric types."""

    attribute: str
    op: str
    value: Any

    def describe(self, attribute: Attribute) -> str:
        if self.op == "between":
            lo, hi = (attribute.value_to_json(v) for v in self.value)
            return f"{lo} <= {self.attribute} <= {hi}"
        return f"{self.attribute} {self.op} {attribute.value_to_json(self.value)}"

    def holds(self, attribute: Attribute, value: Any) -> bool:
        if self.op == "!=":
            return value != self.value
        x = attribute.number(value)
        if self.op == "between":
            lo, hi = (attribute.number(v) for v in self.value)
            return lo <= x <= hi
        k = attribute.number(self.value)
        return {">=": x >= k, ">": x > k, "<=": x <= k, "<": x < k}[self.op]

    def statement(self, suite: PseudonymCiphersuite, attribute: Attribute, context: bytes) -> Statement:
        """The proof statement about the attribute's message scalar m (a `predicate_proofs.Statement`).
        Raises InvalidParameters for a predicate no credential of this schema could satisfy or prove."""
        if not isinstance(self.op, str) or self.op not in PREDICATE_OPS:
            raise InvalidParameters(f"predicate op {describe(self.op)} is not one of {PREDICATE_OPS}")
        if self.op == "!=":
            return Statement("not_equal", context, excluded=attribute.encode(suite, self.value))
        if not attribute.numeric:
            raise InvalidParameters(
                f"predicate {self.op} needs an integer or date attribute, not {attribute.type}"
            )
        lo_attr, hi_attr = attribute.minimum, attribute.maximum
        if self.op == "between":
            if not (isinstance(self.value, tuple) and len(self.value) == 2):
                raise InvalidParameters("a between predicate takes (lo, hi)")
            lo, hi = (attribute.number(_typed(attribute, v)) for v in self.value)
            if not (lo <= hi and lo <= hi_attr and hi >= lo_attr):
                raise InvalidParameters(
                    f"predicate {self.attribute} between {describe(lo)} and {describe(hi)} can never hold"
                )
            return Statement(
                "range", context, ((1, -encode_integer(lo)), (-1, encode_integer(hi))), _bits_for(hi - lo)
            )
        k = attribute.number(_typed(attribute, self.value))
        if self.op in (">=", ">"):
            k += self.op == ">"
            if k > hi_attr:
                raise InvalidParameters(f"predicate {self.attribute} {self.op} can never hold in this schema")
            # m - enc(k) in [0, 2^bits), the span max - k bounding it
            return Statement("range", context, ((1, -_encode_unbounded(k)),), _bits_for(hi_attr - k))
        k -= self.op == "<"
        if k < lo_attr:
            raise InvalidParameters(f"predicate {self.attribute} {self.op} can never hold in this schema")
        return Statement("range", context, ((-1, _encode_unbounded(k)),), _bits_for(k - lo_attr))

    def to_json(self, attribute: Attribute) -> dict:
        value = (
            [attribute.value_to_json(v) for v in self.value]
            if self.op == "between"
            else attribute.value_to_json(self.value)
        )
        return {"attribute": self.attribute, "op": self.op, "value": value}

    @classmethod
    def from_json(cls, schema: Schema, value: Any, what: str) -> Predicate:
        obj = require_object(value, what, ("attribute", "op", "value"))
        name = require_str(obj["attribute"], f"{what}.attribute", pattern=NAME_PATTERN)
        if all(a.name != name for a in schema.attributes):
            raise MalformedInput(f"{what}.attribute {describe(name)} is not in the schema")
        attribute = schema.attribute(name)
        op = obj["op"]
        if not isinstance(op, str) or op not in PREDICATE_OPS:
            raise MalformedInput(f"{what}.op must be one of {PREDICATE_OPS}")
        if op == "between":
            pair = require_list(obj["value"], f"{what}.value")
            if len(pair) != 2:
                raise MalformedInput(f"{what}.value must be [lo, hi]")
            return cls(name, op, tuple(_value_from_json(attribute, v, f"{what}.value") for v in pair))
        if op == "!=":
            return cls(name, op, attribute.value_from_json(obj["value"], f"{what}.value"))
        return cls(name, op, _value_from_json(attribute, obj["value"], f"{what}.value"))


def _typed(attribute: Attribute, value: Any) -> Any:
    if (attribute.type == "date" and type(value) is not dt.date) or (
        attribute.type == "integer" and type(value) is not int
    ):
        raise InvalidParameters(f"a predicate on {attribute.name} compares with a {attribute.type}")
    return value


def _value_from_json(attribute: Attribute, value: Any, what: str) -> Any:
    """A comparison operand: of the attribute's type, but not bound by the schema's min/max."""
    if not attribute.numeric:
        raise MalformedInput(f"{what}: comparisons need an integer or date attribute")
    if attribute.type == "date":
        return date_from_json(value, what)
    return require_int(value, what, INT_MIN, INT_MAX)


def _encode_unbounded(k: int) -> int:
    # k may step one past the int64 range (x > INT_MAX - 1 ...); the schema bounds check above keeps it inside
    return (k + INT_OFFSET) % R


def _bits_for(span: int) -> int:
    for bits in rangeproof.ALLOWED_BITS:
        if span < 1 << bits:
            return bits
    raise InvalidParameters("predicate span does not fit 64 bits")


def age_at_least(years: int, today: dt.date, attribute: str = "birth_date") -> Predicate:
    """`age >= years` on `today` as a predicate on a birth date: birth_date <= today minus `years` years
    (29 February steps back to 28 February in non-leap years)."""
    try:
        cutoff = today.replace(year=today.year - years)
    except ValueError:
        cutoff = today.replace(year=today.year - years, day=28)
    return Predicate(attribute, "<=", cutoff)


__all__ = ["PREDICATE_OPS", "Predicate", "age_at_least"]
