"""Selective-disclosure credentials: schemas and attribute encoding, blind issuance bound to a holder secret,
presentations that disclose some attributes, prove predicates about others and show a pseudonym, and their
verification with a named failure cause.

The flow (each message is a versioned, canonical JSON object, see `zk.wire`):

    offer = make_offer(issuer, schema)                                   # issuer -> holder: CredentialOffer
    request, pending = request_credential(offer)                         # holder -> issuer: CredentialRequest
    credential = issue_credential(issuer, offer, request, attributes)    # issuer -> holder: Credential
    held = accept_credential(pending, credential)                        # holder keeps HeldCredential
    ask = make_presentation_request(schema, [issuer.key_id], today, disclose=["district"],
                                    predicates=[age_at_least(18, today), Predicate("income", "<", 30000)],
                                    context="benefit-2026")              # verifier -> holder
    presentation = present(held, ask)                                    # holder -> verifier
    result = verify_presentation(ask, presentation, {issuer.key_id: issuer.public_key})
    result.ok, result.cause, result.disclosed, result.predicates, result.pseudonym

Cryptography: the credential is a blind BBS signature with the per-verifier-linkability ("pseudonym")
extension (`zk.bbs.pseudonym`, BLS12-381-SHA-256): the issuer signs the attribute scalars, and, blindly, the
holder's `nym_secret` (the holder's random value plus the issuer's entropy, so neither chooses it alone) under
the holder's `prover_blind`. A presentation is one BBS proof (`zk.bbs.core` phases) whose Fiat-Shamir challenge
also hashes the pseudonym and its commitment, each predicate's Pedersen commitment, link commitment and range
proof (`zk.predicates`), and the presentation header ph = H(canonical request), which carries the verifier's
nonce, the date and every requested statement.

Attribute encoding (message scalar per attribute; integers must be usable by range proofs, so they are NOT
hashed):
- integer: v in [-(2^53 - 1), 2^53 - 1] (JSON's safe integers, which RFC 8785 can write; the schema may narrow
  it with min/max) -> v + 2^63, in [0, 2^64). The offset keeps order: a < b iff enc(a) < enc(b), and negative
  values are ordinary values below the offset.
- date: days since 1970-01-01 (negative before it; 0001-01-01 is -719162), then encoded as an integer.
- string, enum, boolean: hash_to_scalar(type || 0x00 || UTF-8 value, api_id || "MAP_MSG_TO_SCALAR_AS_HASH_")
  (the BBS draft's map, with a type tag so that the string "true" is not the boolean true).
The issuer signs only values within the schema's bounds and the schema's digest is in the signed header, so a
verifier knows every integer message lies in [min, max]: that is what makes a range proof over
v = m - k in [0, 2^bits) a proof of m >= k (see `zk.predicates`). `bits` is the smallest of 8, 16, 32, 64
covering the predicate's span (e.g. max - k for m >= k): a tight schema gives short, fast proofs.

Reserved attributes: `expires` (a date, added to every schema; every presentation proves expires >= the
request's `today` without revealing it, and it can't be disclosed) and the holder secret (not an attribute:
the blind-signed `nym_secret` from which pseudonyms derive: pseudonym = OP(context) * nym_secret).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from zk import predicates as predicate_proofs
from zk import rangeproof
from zk.bbs import core
from zk.bbs.blind import deserialize_and_validate_commit, finalize_blind_sign
from zk.bbs.ciphersuites import BLS12_381_SHA_256
from zk.bbs.encoding import i2osp, octets_to_proof, octets_to_secret_key, octets_to_signature
from zk.bbs.pseudonym import PSEUDONYM_BLS12_381_SHA_256, PSEUDONYM_LENGTH, PseudonymCiphersuite
from zk.curve import G2_LENGTH, Backend, R, get_backend, random_scalar
from zk.errors import InvalidParameters, InvalidProof, MalformedInput, ZkError
from zk.predicates import PendingPredicate, PredicateProof, Statement
from zk.wire import (
    b64url,
    canonical_json,
    date_from_json,
    date_to_days,
    days_to_date,
    from_b64url,
    parse_json,
    require_int,
    require_list,
    require_message,
    require_object,
    require_str,
    scalar_from_b64,
    scalar_to_b64,
)

# Integer attribute values: I-JSON's safe integers (RFC 7493 section 2.2), which RFC 8785 can serialize.
INT_MIN, INT_MAX = -(2**53 - 1), 2**53 - 1
INT_OFFSET = 2**63
DATE_MIN, DATE_MAX = dt.date(1, 1, 1), dt.date(9999, 12, 31)
EXPIRES = "expires"
EXPIRES_MIN, EXPIRES_MAX = dt.date(1970, 1, 1), dt.date(2199, 12, 31)
ATTRIBUTE_TYPES = ("string", "integer", "date", "boolean", "enum")
PREDICATE_OPS = (">=", ">", "<=", "<", "!=", "between")
FAILURE_CAUSES = (
    "expired",
    "predicate_failed",
    "wrong_nonce",
    "bad_proof",
    "unknown_issuer_key",
    "malformed",
)
MAX_ATTRIBUTES = 64
MAX_PREDICATES = 16
MAX_PROOF_BYTES = 32 + 3 * 48 + (MAX_ATTRIBUTES + 6) * 32
NONCE_MIN, NONCE_MAX = 16, 64

_HEADER_PREFIX = b"govgraph/credential/v1\x00"
_PH_PREFIX = b"govgraph/presentation/v1\x00"
_KEY_ID_PREFIX = b"govgraph/issuer-key/v1\x00"
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_KEY_ID = re.compile(r"bbs:[A-Za-z0-9_-]{22}")


class PredicateNotSatisfied(InvalidParameters):
    """The holder's credential does not satisfy a requested predicate: the wallet refuses to present."""


class CredentialExpired(PredicateNotSatisfied):
    """The holder's credential expires before the request's date."""


class CredentialMismatch(InvalidParameters):
    """The credential cannot answer this request (another schema, an issuer the verifier does not accept)."""


def suite_for(backend: Backend | None = None) -> PseudonymCiphersuite:
    return PSEUDONYM_BLS12_381_SHA_256.with_backend(backend or get_backend())


@lru_cache(maxsize=256)
def _context_point(suite: PseudonymCiphersuite, context: str) -> Any:
    """OP = hash_to_curve_g1(context_id, api_id), memoized: a verifier sees the same few contexts."""
    return suite.context_point(context.encode())


# --- schemas and attribute encoding ----------------------------------------------------------------------
def encode_integer(value: int) -> int:
    """The message scalar of an integer in [-2^63, 2^63 - 1]: value + 2^63, in [0, 2^64)."""
    if not -INT_OFFSET <= value < INT_OFFSET:
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
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise InvalidParameters(f"attribute name {self.name!r} must match {_NAME.pattern}")
        if self.type not in ATTRIBUTE_TYPES:
            raise InvalidParameters(f"attribute type {self.type!r} is not one of {ATTRIBUTE_TYPES}")
        if self.numeric:
            lo, hi = (
                (INT_MIN, INT_MAX)
                if self.type == "integer"
                else (date_to_days(DATE_MIN), date_to_days(DATE_MAX))
            )
            object.__setattr__(self, "minimum", lo if self.minimum is None else self.minimum)
            object.__setattr__(self, "maximum", hi if self.maximum is None else self.maximum)
            if not lo <= self.minimum <= self.maximum <= hi:
                raise InvalidParameters(
                    f"attribute {self.name}: bounds must satisfy {lo} <= min <= max <= {hi}"
                )
        elif self.minimum is not None or self.maximum is not None:
            raise InvalidParameters(f"attribute {self.name}: only integer and date attributes have bounds")
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
            "string": lambda v: isinstance(v, str) and len(v.encode("utf-8", "surrogatepass")) <= 4096,
            "integer": lambda v: type(v) is int,
            "date": lambda v: type(v) is dt.date,
            "boolean": lambda v: type(v) is bool,
            "enum": lambda v: isinstance(v, str) and v in self.values,
        }[self.type](value)
        if not ok:
            raise InvalidParameters(f"attribute {self.name}: {value!r} is not a valid {self.type}")
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
        name = require_str(obj["name"], f"{what}.name", pattern=_NAME)
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


def date_attribute(name: str, minimum: dt.date | None = None, maximum: dt.date | None = None) -> Attribute:
    return Attribute(
        name,
        "date",
        None if minimum is None else date_to_days(minimum),
        None if maximum is None else date_to_days(maximum),
    )


@dataclass(frozen=True)
class Schema:
    """A named list of attributes, always ending with (or containing) the reserved date `expires`."""

    name: str
    attributes: tuple[Attribute, ...]

    @classmethod
    def create(cls, name: str, attributes: Iterable[Attribute]) -> Schema:
        """The schema with `expires` appended (bounds 1970-01-01..2199-12-31) unless the list declares it."""
        attributes = tuple(attributes)
        if all(a.name != EXPIRES for a in attributes):
            attributes += (date_attribute(EXPIRES, EXPIRES_MIN, EXPIRES_MAX),)
        return cls(name, attributes)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not 0 < len(self.name) <= 128:
            raise InvalidParameters("schema name must be 1-128 characters")
        names = [a.name for a in self.attributes]
        if len(set(names)) != len(names) or not 0 < len(names) <= MAX_ATTRIBUTES:
            raise InvalidParameters(f"a schema has 1-{MAX_ATTRIBUTES} attributes with distinct names")
        expires = [a for a in self.attributes if a.name == EXPIRES]
        if len(expires) != 1 or expires[0].type != "date":
            raise InvalidParameters("a schema has the reserved date attribute `expires`")

    def index(self, name: str) -> int:
        for i, attribute in enumerate(self.attributes):
            if attribute.name == name:
                return i
        raise InvalidParameters(f"schema {self.name!r} has no attribute {name!r}")

    def attribute(self, name: str) -> Attribute:
        return self.attributes[self.index(name)]

    def to_json(self) -> dict:
        return {
            "type": "govgraph.credential.Schema",
            "version": 1,
            "name": self.name,
            "attributes": [a.to_json() for a in self.attributes],
        }

    @classmethod
    def from_json(cls, value: Any) -> Schema:
        obj = require_message(value, "govgraph.credential.Schema", ("name", "attributes"))
        name = require_str(obj["name"], "schema.name", max_length=128)
        items = require_list(obj["attributes"], "schema.attributes", max_length=MAX_ATTRIBUTES)
        attributes = tuple(Attribute.from_json(a, f"schema.attributes[{i}]") for i, a in enumerate(items))
        try:
            return cls(name, attributes)
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
        names = {a.name for a in self.attributes}
        if set(values) != names:
            raise InvalidParameters(f"attributes must be exactly {sorted(names)}; got {sorted(values)}")
        return [a.encode(suite, values[a.name]) for a in self.attributes]

    def values_to_json(self, values: Mapping[str, Any]) -> dict:
        return {name: self.attribute(name).value_to_json(value) for name, value in values.items()}

    def values_from_json(self, value: Any, what: str, names: Iterable[str] | None = None) -> dict:
        expected = [a.name for a in self.attributes] if names is None else list(names)
        obj = require_object(value, what, expected)
        return {name: self.attribute(name).value_from_json(obj[name], f"{what}.{name}") for name in expected}


# --- predicates ------------------------------------------------------------------------------------------
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
        """The proof statement about the attribute's message scalar m (see `zk.predicates`). Raises
        InvalidParameters for a predicate no credential of this schema could satisfy or prove."""
        if self.op not in PREDICATE_OPS:
            raise InvalidParameters(f"predicate op {self.op!r} is not one of {PREDICATE_OPS}")
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
                raise InvalidParameters(f"predicate {self.attribute} between {lo} and {hi} can never hold")
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
        name = require_str(obj["attribute"], f"{what}.attribute", pattern=_NAME)
        if all(a.name != name for a in schema.attributes):
            raise MalformedInput(f"{what}.attribute {name!r} is not in the schema")
        attribute = schema.attribute(name)
        op = obj["op"]
        if op not in PREDICATE_OPS:
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


# --- issuer keys ------------------------------------------------------------------------------------------
def issuer_key_id(public_key: bytes) -> str:
    """ "bbs:" || base64url(SHA-256("govgraph/issuer-key/v1" || 0x00 || PK)[:16]): the name a later issue
    anchors on the identity ledger."""
    return "bbs:" + b64url(hashlib.sha256(_KEY_ID_PREFIX + bytes(public_key)).digest()[:16])


@dataclass(frozen=True)
class IssuerKey:
    secret_key: bytes = field(repr=False)
    public_key: bytes

    @classmethod
    def generate(cls, key_material: bytes | None = None) -> IssuerKey:
        suite = BLS12_381_SHA_256
        sk = suite.keygen(
            key_material if key_material is not None else os.urandom(32), b"govgraph credential issuer"
        )
        return cls(sk, suite.sk_to_pk(sk))

    @property
    def key_id(self) -> str:
        return issuer_key_id(self.public_key)


def _key_id_from_json(value: Any, what: str) -> str:
    return require_str(value, what, pattern=_KEY_ID)


# --- issuance messages -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CredentialOffer:
    schema: Schema
    issuer_key: str
    public_key: bytes
    nonce: bytes

    TYPE = "govgraph.credential.CredentialOffer"

    def to_json(self) -> dict:
        return {
            "type": self.TYPE,
            "version": 1,
            "schema": self.schema.to_json(),
            "issuer_key": self.issuer_key,
            "public_key": b64url(self.public_key),
            "nonce": b64url(self.nonce),
        }

    @classmethod
    def from_json(cls, value: Any) -> CredentialOffer:
        obj = require_message(value, cls.TYPE, ("schema", "issuer_key", "public_key", "nonce"))
        public_key = from_b64url(obj["public_key"], "offer.public_key", length=G2_LENGTH)
        issuer_key = _key_id_from_json(obj["issuer_key"], "offer.issuer_key")
        if issuer_key_id(public_key) != issuer_key:
            raise MalformedInput("offer.issuer_key is not the key id of offer.public_key")
        return cls(
            Schema.from_json(obj["schema"]),
            issuer_key,
            public_key,
            _nonce_from_json(obj["nonce"], "offer.nonce"),
        )


@dataclass(frozen=True)
class CredentialRequest:
    offer_nonce: bytes
    commitment: bytes  # commitment_with_proof to the holder's nym value (zk.bbs.pseudonym.commit_with_nym)

    TYPE = "govgraph.credential.CredentialRequest"

    def to_json(self) -> dict:
        return {
            "type": self.TYPE,
            "version": 1,
            "offer_nonce": b64url(self.offer_nonce),
            "commitment": b64url(self.commitment),
        }

    @classmethod
    def from_json(cls, value: Any) -> CredentialRequest:
        obj = require_message(value, cls.TYPE, ("offer_nonce", "commitment"))
        # one committed value (the nym): C, s^, m^_1, challenge
        return cls(
            _nonce_from_json(obj["offer_nonce"], "request.offer_nonce"),
            from_b64url(obj["commitment"], "request.commitment", length=48 + 3 * 32),
        )


@dataclass(frozen=True)
class Credential:
    schema: Schema
    issuer_key: str
    public_key: bytes
    attributes: Mapping[str, Any]
    signature: bytes
    signer_nym_entropy: int

    TYPE = "govgraph.credential.Credential"

    def to_json(self) -> dict:
        return {
            "type": self.TYPE,
            "version": 1,
            "schema": self.schema.to_json(),
            "issuer_key": self.issuer_key,
            "public_key": b64url(self.public_key),
            "attributes": self.schema.values_to_json(self.attributes),
            "signature": b64url(self.signature),
            "signer_nym_entropy": scalar_to_b64(self.signer_nym_entropy),
        }

    @classmethod
    def from_json(cls, value: Any) -> Credential:
        obj = require_message(
            value,
            cls.TYPE,
            ("schema", "issuer_key", "public_key", "attributes", "signature", "signer_nym_entropy"),
        )
        schema = Schema.from_json(obj["schema"])
        public_key = from_b64url(obj["public_key"], "credential.public_key", length=G2_LENGTH)
        issuer_key = _key_id_from_json(obj["issuer_key"], "credential.issuer_key")
        if issuer_key_id(public_key) != issuer_key:
            raise MalformedInput("credential.issuer_key is not the key id of credential.public_key")
        return cls(
            schema,
            issuer_key,
            public_key,
            schema.values_from_json(obj["attributes"], "credential.attributes"),
            from_b64url(obj["signature"], "credential.signature", length=48 + 32),
            scalar_from_b64(obj["signer_nym_entropy"], "credential.signer_nym_entropy"),
        )


@dataclass(frozen=True)
class PendingRequest:
    """The holder's secrets between request and credential: keep them in the wallet, never send them."""

    offer: CredentialOffer
    prover_nym: int = field(repr=False)
    prover_blind: int = field(repr=False)

    TYPE = "govgraph.wallet.PendingRequest"

    def to_json(self) -> dict:
        return {
            "type": self.TYPE,
            "version": 1,
            "offer": self.offer.to_json(),
            "prover_nym": scalar_to_b64(self.prover_nym),
            "prover_blind": scalar_to_b64(self.prover_blind),
        }

    @classmethod
    def from_json(cls, value: Any) -> PendingRequest:
        obj = require_message(value, cls.TYPE, ("offer", "prover_nym", "prover_blind"))
        return cls(
            CredentialOffer.from_json(obj["offer"]),
            scalar_from_b64(obj["prover_nym"], "prover_nym"),
            scalar_from_b64(obj["prover_blind"], "prover_blind"),
        )


@dataclass(frozen=True)
class HeldCredential:
    """A credential with the holder's secrets: the prover blind and the blind-issued nym secret."""

    credential: Credential
    prover_blind: int = field(repr=False)
    nym_secret: int = field(repr=False)

    TYPE = "govgraph.wallet.HeldCredential"

    def to_json(self) -> dict:
        return {
            "type": self.TYPE,
            "version": 1,
            "credential": self.credential.to_json(),
            "prover_blind": scalar_to_b64(self.prover_blind),
            "nym_secret": scalar_to_b64(self.nym_secret),
        }

    @classmethod
    def from_json(cls, value: Any) -> HeldCredential:
        obj = require_message(value, cls.TYPE, ("credential", "prover_blind", "nym_secret"))
        return cls(
            Credential.from_json(obj["credential"]),
            scalar_from_b64(obj["prover_blind"], "prover_blind"),
            scalar_from_b64(obj["nym_secret"], "nym_secret", nonzero=True),
        )


def _nonce_from_json(value: Any, what: str) -> bytes:
    data = from_b64url(value, what, max_length=NONCE_MAX)
    if len(data) < NONCE_MIN:
        raise MalformedInput(f"{what} must be at least {NONCE_MIN} bytes")
    return data


def make_offer(issuer: IssuerKey, schema: Schema) -> CredentialOffer:
    return CredentialOffer(schema, issuer.key_id, issuer.public_key, os.urandom(32))


def request_credential(
    offer: CredentialOffer, *, backend: Backend | None = None
) -> tuple[CredentialRequest, PendingRequest]:
    """The holder's commitment to a fresh random nym value (CommitWithNym, no other committed messages)."""
    suite = suite_for(backend)
    prover_nym = random_scalar()
    commitment, prover_blind = suite.commit_with_nym([], [prover_nym])
    return CredentialRequest(offer.nonce, commitment), PendingRequest(offer, prover_nym, prover_blind)


def issue_credential(
    issuer: IssuerKey,
    offer: CredentialOffer,
    request: CredentialRequest,
    attributes: Mapping[str, Any],
    *,
    backend: Backend | None = None,
) -> Credential:
    """BlindSignWithNym over the encoded attributes. Raises InvalidParameters for attributes that don't fit the
    schema or a request for another offer, MalformedInput / InvalidProof for a bad commitment."""
    suite = suite_for(backend)
    if request.offer_nonce != offer.nonce or offer.issuer_key != issuer.key_id:
        raise InvalidParameters("the credential request answers another offer")
    scalars = offer.schema.encode(suite, attributes)
    generators = suite.generators(len(scalars))
    blind_generators = suite.blind_generators(1)
    commitment = deserialize_and_validate_commit(
        suite.base, request.commitment, blind_generators, suite.api_id
    )
    entropy = random_scalar()
    # B = P1 + Q_1 * domain + sum(H_i * msg_i) + C + J_1 * signer_nym_entropy (zk.bbs.pseudonym)
    signature = finalize_blind_sign(
        suite.base,
        octets_to_secret_key(issuer.secret_key),
        issuer.public_key,
        generators,
        blind_generators,
        offer.schema.header(),
        scalars,
        commitment,
        suite.api_id,
        [blind_generators[-1]],
        [entropy],
    )
    return Credential(offer.schema, issuer.key_id, issuer.public_key, dict(attributes), signature, entropy)


def _all_messages(suite: PseudonymCiphersuite, held: HeldCredential) -> tuple[list[int], list[Any]]:
    """messages || prover_blind || nym_secret, and their generators (Q_1, H_1..H_L, Q_2, J_1)."""
    credential = held.credential
    scalars = credential.schema.encode(suite, credential.attributes)
    generators = suite.generators(len(scalars)) + suite.blind_generators(1)
    return [*scalars, held.prover_blind, held.nym_secret], generators


def accept_credential(
    pending: PendingRequest, credential: Credential, *, backend: Backend | None = None
) -> HeldCredential:
    """VerifyFinalizeWithNym: the held credential, or InvalidProof when the signature does not verify (or the
    credential is for another offer's schema or key)."""
    suite = suite_for(backend)
    offer = pending.offer
    if credential.schema != offer.schema or credential.issuer_key != offer.issuer_key:
        raise InvalidProof("the credential is not for the offered schema and issuer key")
    held = HeldCredential(
        credential, pending.prover_blind, (pending.prover_nym + credential.signer_nym_entropy) % R
    )
    messages, generators = _all_messages(suite, held)
    if held.nym_secret == 0 or not core.core_verify(
        suite.base,
        credential.public_key,
        credential.signature,
        generators,
        credential.schema.header(),
        messages,
        suite.api_id,
    ):
        raise InvalidProof("the issuer's signature does not verify over the attributes and the holder secret")
    return held


# --- presentation requests -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PresentationRequest:
    nonce: bytes
    schema: Schema
    issuers: tuple[str, ...]
    today: dt.date
    disclose: tuple[str, ...] = ()
    predicates: tuple[Predicate, ...] = ()
    context: str | None = None

    TYPE = "govgraph.credential.PresentationRequest"

    def __post_init__(self) -> None:
        if not NONCE_MIN <= len(self.nonce) <= NONCE_MAX:
            raise InvalidParameters(f"the nonce must be {NONCE_MIN}-{NONCE_MAX} bytes")
        if not self.issuers or any(not _KEY_ID.fullmatch(k) for k in self.issuers):
            raise InvalidParameters("a request names at least one issuer key id")
        if len(set(self.disclose)) != len(self.disclose):
            raise InvalidParameters("disclosed attributes are listed once")
        for name in self.disclose:
            self.schema.index(name)
        if EXPIRES in self.disclose:
            raise InvalidParameters(
                "`expires` is never disclosed: presentations prove expires >= today instead"
            )
        if len(self.predicates) > MAX_PREDICATES:
            raise InvalidParameters(f"at most {MAX_PREDICATES} predicates")
        for predicate in self.predicates:
            if predicate.attribute in self.disclose:
                raise InvalidParameters(
                    f"{predicate.attribute} is disclosed: check its value, not a predicate"
                )
        if self.context is not None and not 0 < len(self.context.encode()) <= 256:
            raise InvalidParameters("a pseudonym context is 1-256 bytes")
        self.statements()  # every predicate must be provable in this schema

    def all_predicates(self) -> list[Predicate]:
        """expires >= today, then the requested predicates: the order of a presentation's predicate proofs."""
        return [Predicate(EXPIRES, ">=", self.today), *self.predicates]

    @cached_property
    def presentation_header(self) -> bytes:
        """ph: the BBS presentation header, binding the whole request (nonce, date, statements, context)."""
        return _PH_PREFIX + hashlib.sha256(canonical_json(self.to_json())).digest()

    def statements(self) -> list[tuple[int, Predicate, Statement]]:
        """(attribute index, predicate, proof statement) for expires >= today and each requested predicate."""
        return list(self._statements)

    @cached_property
    def _statements(self) -> tuple[tuple[int, Predicate, Statement], ...]:
        suite = PSEUDONYM_BLS12_381_SHA_256
        ph = self.presentation_header
        out = []
        for i, predicate in enumerate(self.all_predicates()):
            attribute = self.schema.attribute(predicate.attribute)
            out.append(
                (
                    self.schema.index(predicate.attribute),
                    predicate,
                    predicate.statement(suite, attribute, ph + i2osp(i, 4)),
                )
            )
        return tuple(out)

    def to_json(self) -> dict:
        out = {
            "type": self.TYPE,
            "version": 1,
            "nonce": b64url(self.nonce),
            "schema": self.schema.to_json(),
            "issuers": list(self.issuers),
            "today": self.today.isoformat(),
            "disclose": list(self.disclose),
            "predicates": [p.to_json(self.schema.attribute(p.attribute)) for p in self.predicates],
        }
        if self.context is not None:
            out["context"] = self.context
        return out

    @classmethod
    def from_json(cls, value: Any) -> PresentationRequest:
        obj = require_message(
            value, cls.TYPE, ("nonce", "schema", "issuers", "today", "disclose", "predicates"), ("context",)
        )
        schema = Schema.from_json(obj["schema"])
        issuers = tuple(
            _key_id_from_json(k, "request.issuers[]")
            for k in require_list(obj["issuers"], "request.issuers", max_length=64)
        )
        disclose = tuple(
            require_str(n, "request.disclose[]", pattern=_NAME)
            for n in require_list(obj["disclose"], "request.disclose", max_length=MAX_ATTRIBUTES)
        )
        predicates = tuple(
            Predicate.from_json(schema, p, f"request.predicates[{i}]")
            for i, p in enumerate(
                require_list(obj["predicates"], "request.predicates", max_length=MAX_PREDICATES)
            )
        )
        # an absent context means no pseudonym; null is not a second spelling of that
        context = require_str(obj["context"], "request.context", max_length=256) if "context" in obj else None
        try:
            return cls(
                _nonce_from_json(obj["nonce"], "request.nonce"),
                schema,
                issuers,
                date_from_json(obj["today"], "request.today"),
                disclose,
                predicates,
                context,
            )
        except InvalidParameters as exc:
            raise MalformedInput(f"request: {exc}") from None


def make_presentation_request(
    schema: Schema,
    issuers: Sequence[str],
    today: dt.date,
    *,
    disclose: Sequence[str] = (),
    predicates: Sequence[Predicate] = (),
    context: str | None = None,
) -> PresentationRequest:
    """A request with a fresh 32-byte nonce."""
    return PresentationRequest(
        os.urandom(32), schema, tuple(issuers), today, tuple(disclose), tuple(predicates), context
    )


# --- presentations ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Presentation:
    schema: str
    issuer_key: str
    nonce: bytes
    disclosed: Mapping[str, Any]  # JSON values, decoded against the request's schema when verifying
    proof: bytes
    predicates: tuple[Any, ...]  # JSON objects, decoded against the request's statements when verifying
    pseudonym: bytes | None = None

    TYPE = "govgraph.credential.Presentation"

    def to_json(self) -> dict:
        out = {
            "type": self.TYPE,
            "version": 1,
            "schema": self.schema,
            "issuer_key": self.issuer_key,
            "nonce": b64url(self.nonce),
            "disclosed": dict(self.disclosed),
            "proof": b64url(self.proof),
            "predicates": list(self.predicates),
        }
        if self.pseudonym is not None:
            out["pseudonym"] = b64url(self.pseudonym)
        return out

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, value: Any) -> Presentation:
        obj = require_message(
            value,
            cls.TYPE,
            ("schema", "issuer_key", "nonce", "disclosed", "proof", "predicates"),
            ("pseudonym",),
        )
        disclosed = obj["disclosed"]
        if not isinstance(disclosed, dict) or len(disclosed) > MAX_ATTRIBUTES:
            raise MalformedInput(
                f"presentation.disclosed must be an object of at most {MAX_ATTRIBUTES} values"
            )
        for name, item in disclosed.items():
            require_str(name, "presentation.disclosed name", pattern=_NAME)
            if not isinstance(item, (str, int)):  # bool is an int; dates are strings
                raise MalformedInput(f"presentation.disclosed.{name} must be a string, integer or boolean")
        from_b64url(obj["schema"], "presentation.schema", length=32)
        pseudonym = obj.get("pseudonym")
        return cls(
            obj["schema"],
            _key_id_from_json(obj["issuer_key"], "presentation.issuer_key"),
            _nonce_from_json(obj["nonce"], "presentation.nonce"),
            dict(disclosed),
            from_b64url(obj["proof"], "presentation.proof", max_length=MAX_PROOF_BYTES),
            tuple(require_list(obj["predicates"], "presentation.predicates", max_length=MAX_PREDICATES + 1)),
            None
            if "pseudonym" not in obj
            else from_b64url(pseudonym, "presentation.pseudonym", length=PSEUDONYM_LENGTH),
        )

    @classmethod
    def parse(cls, value: Any) -> Presentation:
        """From a Presentation, its JSON object, or JSON text / bytes."""
        if isinstance(value, Presentation):
            return value
        if isinstance(value, (bytes, bytearray, memoryview, str)):
            value = parse_json(value, "presentation")
        return cls.from_json(value)


def _challenge_extension(context: str | None, predicate_bytes: Sequence[bytes]) -> bytes:
    """extension_octets of the BBS challenge: I2OSP(len(context), 8) || context (as the pseudonym draft does)
    when there is one, then the number of predicates and each one's length-prefixed commitment and proof."""
    out = b""
    if context is not None:
        ctx = context.encode()
        out += i2osp(len(ctx), 8) + ctx
    out += i2osp(len(predicate_bytes), 8) + b"".join(i2osp(len(b), 8) + b for b in predicate_bytes)
    return out


def _refusal(predicate: Predicate, attribute: Attribute) -> PredicateNotSatisfied:
    if predicate.attribute == EXPIRES:
        return CredentialExpired("the credential has expired for this request's date")
    return PredicateNotSatisfied(f"the credential does not satisfy {predicate.describe(attribute)}")


def present(
    held: HeldCredential,
    request: PresentationRequest,
    *,
    backend: Backend | None = None,
    unchecked: bool = False,
) -> Presentation:
    """A presentation answering `request`. Raises CredentialMismatch when the credential can't answer it and
    PredicateNotSatisfied / CredentialExpired when a predicate is false: a wallet never sends a proof it knows
    to be false. `unchecked=True` skips those checks and proves anyway (tests use it to show that such a
    forced proof fails verification)."""
    suite = suite_for(backend)
    curve = suite.backend
    credential = held.credential
    schema = credential.schema
    if schema != request.schema:
        raise CredentialMismatch("the credential's schema is not the requested one")
    if credential.issuer_key not in request.issuers:
        raise CredentialMismatch("the verifier does not accept this credential's issuer")
    statements = request.statements()
    for index, predicate, _ in statements:
        attribute = schema.attributes[index]
        if not unchecked and not predicate.holds(attribute, credential.attributes[attribute.name]):
            raise _refusal(predicate, attribute)
    messages, generators = _all_messages(suite, held)
    L = len(schema.attributes)
    disclosed = sorted(schema.index(name) for name in request.disclose)
    undisclosed = [j for j in range(L + 2) if j not in disclosed]
    a, e = octets_to_signature(curve, credential.signature)
    header, ph = schema.header(), request.presentation_header
    # BBS ProofInit with the draft's random scalars (r1, r2, e~, r1~, r3~, m~_j...)
    drawn = core.calculate_random_scalars(len(undisclosed) + 5)
    init_res = core.proof_init(
        suite.base,
        credential.public_key,
        (a, e),
        generators,
        drawn,
        header,
        messages,
        undisclosed,
        suite.api_id,
    )
    m_tilde = dict(zip(undisclosed, drawn[5:]))
    points: list[Any] = []
    pseudonym = None
    if request.context is not None:
        # pseudonym = OP * nym_secret and Ut = OP * m~_nym (ProofGenWithNym with N = 1)
        op = _context_point(suite, request.context)
        pseudonym = curve.g1_mul(op, held.nym_secret)
        points += [pseudonym, curve.g1_mul(op, m_tilde[L + 1])]
    pending = [
        PendingPredicate(statement, messages[index], m_tilde[index], curve, unchecked=unchecked)
        for index, _, statement in statements
    ]
    for item in pending:
        points += [item.commitment, item.link_commitment]
    challenge = core.proof_challenge_calculate(
        suite.base,
        init_res,
        disclosed,
        [messages[i] for i in disclosed],
        ph,
        suite.api_id,
        points,
        _challenge_extension(request.context, [p.challenge_bytes() for p in pending]),
    )
    proof = core.proof_finalize(suite.base, init_res, challenge, e, drawn, [messages[j] for j in undisclosed])
    return Presentation(
        schema.id,
        credential.issuer_key,
        request.nonce,
        schema.values_to_json({name: credential.attributes[name] for name in request.disclose}),
        proof,
        tuple(p.finalize(challenge).to_json(curve) for p in pending),
        None if pseudonym is None else curve.g1_compress(pseudonym),
    )


# --- verification ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VerifiedPresentation:
    """The verifier's result: `cause` is None when the presentation is accepted, else one of FAILURE_CAUSES
    (and nothing else is reported: a failure says nothing about the hidden values)."""

    cause: str | None
    disclosed: Mapping[str, Any] = field(default_factory=dict)
    predicates: tuple[str, ...] = ()
    pseudonym: bytes | None = None
    context: str | None = None
    issuer_key: str | None = None
    schema: str | None = None

    @property
    def ok(self) -> bool:
        return self.cause is None

    def to_json(self) -> dict:
        if self.cause is not None:
            return {
                "type": "govgraph.credential.VerifiedPresentation",
                "version": 1,
                "ok": False,
                "cause": self.cause,
            }
        out = {
            "type": "govgraph.credential.VerifiedPresentation",
            "version": 1,
            "ok": True,
            "schema": self.schema,
            "issuer_key": self.issuer_key,
            # values in their JSON form: dates as YYYY-MM-DD
            "disclosed": {
                k: v.isoformat() if isinstance(v, dt.date) else v for k, v in self.disclosed.items()
            },
            "predicates": [{"statement": s, "holds": True} for s in self.predicates],
        }
        if self.pseudonym is not None:
            out["pseudonym"] = b64url(self.pseudonym)
            out["context"] = self.context
        return out


def _failed(cause: str) -> VerifiedPresentation:
    return VerifiedPresentation(cause)


def verify_presentation(
    request: PresentationRequest,
    presentation: Any,
    issuer_keys: Mapping[str, bytes],
    *,
    backend: Backend | None = None,
) -> VerifiedPresentation:
    """Verify a presentation (object, JSON object, or JSON text) against the verifier's own request and its
    trusted issuer keys (key id -> public key). Never raises for bad input: the cause says what failed, checked
    in this order: malformed, unknown_issuer_key, wrong_nonce, bad_proof, then expired / predicate_failed."""
    suite = suite_for(backend)
    curve = suite.backend
    try:
        pres = Presentation.parse(presentation)
    except (MalformedInput, InvalidParameters):
        return _failed("malformed")
    if pres.issuer_key not in request.issuers or pres.issuer_key not in issuer_keys:
        return _failed("unknown_issuer_key")
    if pres.nonce != request.nonce:
        return _failed("wrong_nonce")
    schema = request.schema
    if pres.schema != schema.id:
        return _failed("bad_proof")
    public_key = issuer_keys[pres.issuer_key]
    statements = request.statements()
    L = len(schema.attributes)
    disclosed_indexes = sorted(schema.index(name) for name in request.disclose)
    undisclosed = [j for j in range(L + 2) if j not in disclosed_indexes]
    try:
        if set(pres.disclosed) != set(request.disclose):
            raise MalformedInput("the disclosed attributes are not the requested ones")
        disclosed_values = schema.values_from_json(pres.disclosed, "presentation.disclosed", request.disclose)
        disclosed_scalars = [
            schema.attributes[i].encode(suite, disclosed_values[schema.attributes[i].name])
            for i in disclosed_indexes
        ]
        if (pres.pseudonym is None) != (request.context is None):
            raise MalformedInput("a pseudonym is shown exactly when the request names a context")
        if len(pres.predicates) != len(statements):
            raise MalformedInput("one predicate proof per requested predicate (and expires) is needed")
        proofs = [
            PredicateProof.from_json(curve, item, statement, f"presentation.predicates[{i}]")
            for i, (item, (_, _, statement)) in enumerate(zip(pres.predicates, statements))
        ]
        parsed = octets_to_proof(curve, pres.proof)
        if len(parsed.commitments) != len(undisclosed):
            raise MalformedInput("the proof does not have one response per hidden message")
        nym_point = None if pres.pseudonym is None else curve.g1_decompress(pres.pseudonym)
        suite.base.decode_pubkey(public_key)
    except (MalformedInput, InvalidParameters):
        return _failed("malformed")
    try:
        generators = suite.generators(L) + suite.blind_generators(1)
        init_res = core.proof_verify_init(
            suite.base,
            public_key,
            parsed,
            generators,
            schema.header(),
            disclosed_scalars,
            disclosed_indexes,
            suite.api_id,
        )
        c = parsed.challenge
        m_hat = dict(zip(undisclosed, parsed.commitments))
        points: list[Any] = []
        if nym_point is not None:
            # Ut = OP * m^_nym - pseudonym * c
            op = _context_point(suite, request.context)
            points += [nym_point, curve.g1_msm([op, nym_point], [m_hat[L + 1], -c])]
        checks = []
        for (index, _, statement), proof in zip(statements, proofs):
            points += [proof.commitment, proof.link_commitment]
            checks.append(predicate_proofs.check_for(statement, proof, m_hat[index], c, curve))
        challenge = core.proof_challenge_calculate(
            suite.base,
            init_res,
            disclosed_indexes,
            disclosed_scalars,
            request.presentation_header,
            suite.api_id,
            points,
            _challenge_extension(request.context, [p.challenge_bytes(curve) for p in proofs]),
        )
        if challenge != c:
            return _failed("bad_proof")
        w = suite.base.decode_pubkey(public_key)
        if not curve.pairing_check([(parsed.a_bar, w), (parsed.b_bar, curve.g2_neg(curve.g2_generator()))]):
            return _failed("bad_proof")
        if not predicate_proofs.checks_hold(checks, curve):
            # Only on failure: what is false? A link (tampering), expires (the first statement), or another.
            if not predicate_proofs.checks_hold(checks, curve, predicates=False):
                return _failed("bad_proof")
            if not predicate_proofs.checks_hold(checks[:1], curve, links=False):
                return _failed("expired")
            return _failed("predicate_failed")
    except (MalformedInput, InvalidParameters):
        return _failed("malformed")
    except ZkError:
        return _failed("bad_proof")
    return VerifiedPresentation(
        None,
        disclosed_values,
        tuple(predicate.describe(schema.attribute(predicate.attribute)) for _, predicate, _ in statements),
        pres.pseudonym,
        request.context,
        pres.issuer_key,
        pres.schema,
    )


__all__ = [
    "ATTRIBUTE_TYPES",
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
