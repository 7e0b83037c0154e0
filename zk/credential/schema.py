"""Credential schemas: named, typed attributes with bounds, the reserved `expires`, and the BBS message scalar
of each value.

Integers are not hashed, so that range proofs can compare them: v in [-(2^53 - 1), 2^53 - 1] (JSON's safe
integers, narrowed by the schema's min/max) becomes v + 2^63, which keeps the order; a date is its days since
1970-01-01, encoded as an integer. Strings, enums and booleans are hashed with a type tag:
hash_to_scalar(type || 0x00 || UTF-8 value, api_id || "MAP_MSG_TO_SCALAR_AS_HASH_"). The schema's digest is in
the signed header, so a verifier knows every integer message lies in the schema's [min, max].
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from zk.bbs import core
from zk.bbs.encoding import i2osp
from zk.bbs.pseudonym import PSEUDONYM_BLS12_381_SHA_256, PseudonymCiphersuite
from zk.curve import Backend, get_backend
from zk.errors import InvalidParameters, MalformedInput
from zk.json_input import describe
from zk.wire import (
    b64url,
    canonical_json,
    date_from_json,
    date_to_days,
    days_to_date,
    describe_keys,
    require_int,
    require_list,
    require_message,
    require_object,
    require_str,
)

# Integer attribute values: I-JSON's safe integers (RFC 7493 section 2.2), which RFC 8785 can serialize.
INT_MIN, INT_MAX = -(2**53 - 1), 2**53 - 1
INT_OFFSET = 2**63
DATE_MIN, DATE_MAX = dt.date(1, 1, 1), dt.date(9999, 12, 31)
# Reserved: every schema has it; every presentation proves expires >= the request's date; never disclosed.
EXPIRES = "expires"
EXPIRES_MIN, EXPIRES_MAX = dt.date(1970, 1, 1), dt.date(2199, 12, 31)
ATTRIBUTE_TYPES = ("string", "integer", "date", "boolean", "enum")
MAX_ATTRIBUTES = 64
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")

_HEADER_PREFIX = b"govgraph/credential/v1\x00"


def suite_for(backend: Backend | None = None) -> PseudonymCiphersuite:
    """The credentials' ciphersuite (BBS pseudonyms over BLS12-381-SHA-256) on `backend`."""
    return PSEUDONYM_BLS12_381_SHA_256.with_backend(backend or get_backend())


def encode_integer(value: int) -> int:
    """The message scalar of an integer in [-2^63, 2^63 - 1]: value + 2^63, in [0, 2^64)."""
    if type(value) is not int or not -INT_OFFSET <= value < INT_OFFSET:
        raise InvalidParameters("integer out of [-2^63, 2^63 - 1]")
    return value + INT_OFFSET


@dataclass(frozen=True)
class Attribute:
    """One named, typed attribute. integer/date carry inclusive bounds (ints; days since 1970 for dates)."""

    name: str
    type: str
    minimum: int | None = None
    maximum: int | None = None
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not NAME_PATTERN.fullmatch(self.name):
            raise InvalidParameters(f"attribute name {describe(self.name)} must match {NAME_PATTERN.pattern}")
        if not isinstance(self.type, str) or self.type not in ATTRIBUTE_TYPES:
            raise InvalidParameters(f"attribute type {describe(self.type)} is not one of {ATTRIBUTE_TYPES}")
        if self.numeric:
            lo, hi = (
                (INT_MIN, INT_MAX)
                if self.type == "integer"
                else (date_to_days(DATE_MIN), date_to_days(DATE_MAX))
            )
            object.__setattr__(self, "minimum", lo if self.minimum is None else self.minimum)
            object.__setattr__(self, "maximum", hi if self.maximum is None else self.maximum)
            if (
                type(self.minimum) is not int
                or type(self.maximum) is not int
                or not lo <= self.minimum <= self.maximum <= hi
            ):
                raise InvalidParameters(
                    f"attribute {self.name}: bounds must satisfy {lo} <= min <= max <= {hi}"
                )
        elif self.minimum is not None or self.maximum is not None:
            raise InvalidParameters(f"attribute {self.name}: only integer and date attributes have bounds")
        if type(self.values) is not tuple or not all(_is_text(v, 256) for v in self.values):
            raise InvalidParameters(
                f"attribute {self.name}: values are a tuple of texts of at most 256 bytes"
            )
        if self.type == "enum":
            if not self.values or len(set(self.values)) != len(self.values) or len(self.values) > 256:
                raise InvalidParameters(f"attribute {self.name}: an enum needs 1-256 distinct values")
        elif self.values:
            raise InvalidParameters(f"attribute {self.name}: only enums list values")

    @property
    def numeric(self) -> bool:
        return self.type in ("integer", "date")

    # values in Python form: str (string, enum), int (integer), datetime.date (date), bool (boolean)
    def check(self, value: Any) -> Any:
        """The value if it is of this attribute's type and within its bounds, else InvalidParameters."""
        ok = {
            "string": lambda v: _is_text(v, 4096),
            "integer": lambda v: type(v) is int,
            "date": lambda v: type(v) is dt.date,
            "boolean": lambda v: type(v) is bool,
            "enum": lambda v: isinstance(v, str) and v in self.values,
        }[self.type](value)
        if not ok:
            raise InvalidParameters(f"attribute {self.name}: {describe(value)} is not a valid {self.type}")
        if self.numeric and not self.minimum <= self.number(value) <= self.maximum:
            raise InvalidParameters(f"attribute {self.name}: value outside the schema's bounds")
        return value

    def number(self, value: Any) -> int:
        """The integer a numeric value is ordered by: itself, or days since 1970-01-01."""
        return date_to_days(value) if self.type == "date" else value

    def from_number(self, number: int) -> Any:
        return days_to_date(number) if self.type == "date" else number

    def encode(self, suite: PseudonymCiphersuite, value: Any) -> int:
        """The BBS message scalar of a (checked) value."""
        value = self.check(value)
        if self.numeric:
            return encode_integer(self.number(value))
        text = ("true" if value else "false") if self.type == "boolean" else value
        return core.hash_to_scalar(
            suite.base,
            self.type.encode() + b"\x00" + text.encode("utf-8"),
            suite.api_id + b"MAP_MSG_TO_SCALAR_AS_HASH_",
        )

    def value_to_json(self, value: Any) -> Any:
        return value.isoformat() if self.type == "date" else value

    def value_from_json(self, value: Any, what: str) -> Any:
        if self.type == "date":
            value = date_from_json(value, what)
        try:
            return self.check(value)
        except InvalidParameters as exc:
            raise MalformedInput(f"{what}: {exc}") from None

    def to_json(self) -> dict:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.numeric:
            out["min"] = self.value_to_json(self.from_number(self.minimum))
            out["max"] = self.value_to_json(self.from_number(self.maximum))
        if self.type == "enum":
            out["values"] = list(self.values)
        return out

    @classmethod
    def from_json(cls, value: Any, what: str) -> Attribute:
        obj = require_object(value, what, ("name", "type"), ("min", "max", "values"))
        kind = obj["type"]
        if kind not in ATTRIBUTE_TYPES:
            raise MalformedInput(f"{what}.type must be one of {ATTRIBUTE_TYPES}")
        name = require_str(obj["name"], f"{what}.name", pattern=NAME_PATTERN)
        expected = {"integer": {"min", "max"}, "date": {"min", "max"}, "enum": {"values"}}.get(kind, set())
        if set(obj) - {"name", "type"} != expected:
            raise MalformedInput(
                f"{what}: a {kind} attribute has exactly the fields name, type"
                f"{''.join(', ' + f for f in sorted(expected))}"
            )
        try:
            if kind == "integer":
                return cls(
                    name,
                    kind,
                    require_int(obj["min"], f"{what}.min", INT_MIN, INT_MAX),
                    require_int(obj["max"], f"{what}.max", INT_MIN, INT_MAX),
                )
            if kind == "date":
                return cls(
                    name,
                    kind,
                    date_to_days(date_from_json(obj["min"], f"{what}.min")),
                    date_to_days(date_from_json(obj["max"], f"{what}.max")),
                )
            if kind == "enum":
                values = require_list(obj["values"], f"{what}.values")
                return cls(
                    name,
                    kind,
                    values=tuple(require_str(v, f"{what}.values[]", max_length=256) for v in values),
                )
            return cls(name, kind)
        except InvalidParameters as exc:
            raise MalformedInput(f"{what}: {exc}") from None


def _is_text(value: Any, max_bytes: int) -> bool:
    """A str that is Unicode text (a lone surrogate has no UTF-8 encoding, so no message scalar) of at most
    `max_bytes` bytes in UTF-8."""
    if not isinstance(value, str) or len(value) > max_bytes:
        return False
    try:
        return len(value.encode("utf-8")) <= max_bytes
    except UnicodeEncodeError:
        return False


def date_attribute(name: str, minimum: dt.date | None = None, maximum: dt.date | None = None) -> Attribute:
    return Attribute(
        name,
        "date",
        None if minimum is None else date_to_days(minimum),
        None if maximum is None else date_to_days(maximum),
    )


@dataclass(frozen=True)
class Schema:
    """A named list of attributes, always ending with (or containing) the reserved date `expires`. A
    revocable schema signs one more message after the attributes: the credential's random revocation handle,
    never disclosed (`zk.credential.revocation`)."""

    name: str
    attributes: tuple[Attribute, ...]
    revocable: bool = False

    @classmethod
    def create(cls, name: str, attributes: Iterable[Attribute], *, revocable: bool = False) -> Schema:
        """The schema with `expires` appended (bounds 1970-01-01..2199-12-31) unless the list declares it."""
        attributes = tuple(attributes)
        if all(a.name != EXPIRES for a in attributes):
            attributes += (date_attribute(EXPIRES, EXPIRES_MIN, EXPIRES_MAX),)
        return cls(name, attributes, revocable)

    @property
    def message_count(self) -> int:
        """The signed messages the issuer chooses: the attributes, then the revocation handle if revocable."""
        return len(self.attributes) + (1 if self.revocable else 0)

    @property
    def handle_index(self) -> int:
        """The revocation handle's message index (revocable schemas only)."""
        if not self.revocable:
            raise InvalidParameters(f"schema {describe(self.name)} is not revocable")
        return len(self.attributes)

    def __post_init__(self) -> None:
        if not _is_text(self.name, 4 * 128) or not 0 < len(self.name) <= 128:
            raise InvalidParameters("schema name must be 1-128 characters of Unicode text")
        if type(self.attributes) is not tuple or not all(isinstance(a, Attribute) for a in self.attributes):
            raise InvalidParameters("schema attributes are a tuple of Attribute")
        names = [a.name for a in self.attributes]
        if len(set(names)) != len(names) or not 0 < len(names) <= MAX_ATTRIBUTES:
            raise InvalidParameters(f"a schema has 1-{MAX_ATTRIBUTES} attributes with distinct names")
        expires = [a for a in self.attributes if a.name == EXPIRES]
        if len(expires) != 1 or expires[0].type != "date":
            raise InvalidParameters("a schema has the reserved date attribute `expires`")
        if type(self.revocable) is not bool:
            raise InvalidParameters("a schema's revocable flag is a bool")

    def index(self, name: str) -> int:
        for i, attribute in enumerate(self.attributes):
            if attribute.name == name:
                return i
        raise InvalidParameters(f"schema {describe(self.name)} has no attribute {describe(name)}")

    def attribute(self, name: str) -> Attribute:
        return self.attributes[self.index(name)]

    def to_json(self) -> dict:
        out = {
            "type": "govgraph.credential.Schema",
            "version": 1,
            "name": self.name,
            "attributes": [a.to_json() for a in self.attributes],
        }
        if self.revocable:  # absent otherwise, so a schema without revocation keeps its digest
            out["revocable"] = True
        return out

    @classmethod
    def from_json(cls, value: Any) -> Schema:
        obj = require_message(value, "govgraph.credential.Schema", ("name", "attributes"), ("revocable",))
        name = require_str(obj["name"], "schema.name", max_length=128)
        items = require_list(obj["attributes"], "schema.attributes", max_length=MAX_ATTRIBUTES)
        attributes = tuple(Attribute.from_json(a, f"schema.attributes[{i}]") for i, a in enumerate(items))
        # present means true: false is not a second spelling of absent (the digest must be unique)
        if "revocable" in obj and obj["revocable"] is not True:
            raise MalformedInput("schema.revocable is true when present")
        try:
            return cls(name, attributes, "revocable" in obj)
        except InvalidParameters as exc:
            raise MalformedInput(f"schema: {exc}") from None

    @cached_property
    def digest(self) -> bytes:
        return hashlib.sha256(canonical_json(self.to_json())).digest()

    @cached_property
    def id(self) -> str:
        """base64url(SHA-256(canonical schema)): what presentations name the schema by."""
        return b64url(self.digest)

    def header(self) -> bytes:
        """The BBS header every credential of this schema is signed under: the schema digest, then
        I2OSP(1, 8) (the pseudonym extension's header' for N = 1 nym secret)."""
        return _HEADER_PREFIX + self.digest + i2osp(1, 8)

    def encode(self, suite: PseudonymCiphersuite, values: Mapping[str, Any]) -> list[int]:
        """The message scalars of a full attribute map, in schema order (InvalidParameters if wrong)."""
        if not isinstance(values, Mapping):
            raise InvalidParameters("attributes must be a mapping of names to values")
        names = {a.name for a in self.attributes}
        if values.keys() != names:
            raise InvalidParameters(
                f"attributes must be exactly {sorted(names)}; missing {describe_keys(names - values.keys())}"
                f", unexpected {describe_keys(values.keys() - names)}"
            )
        return [a.encode(suite, values[a.name]) for a in self.attributes]

    def values_to_json(self, values: Mapping[str, Any]) -> dict:
        return {name: self.attribute(name).value_to_json(value) for name, value in values.items()}

    def values_from_json(self, value: Any, what: str, names: Iterable[str] | None = None) -> dict:
        expected = [a.name for a in self.attributes] if names is None else list(names)
        obj = require_object(value, what, expected)
        return {name: self.attribute(name).value_from_json(obj[name], f"{what}.{name}") for name in expected}


__all__ = [
    "ATTRIBUTE_TYPES",
    "EXPIRES",
    "MAX_ATTRIBUTES",
    "Attribute",
    "Schema",
    "date_attribute",
    "encode_integer",
    "suite_for",
]
