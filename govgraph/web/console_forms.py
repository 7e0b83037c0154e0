"""The clerk console's forms: each an agency mutation as labelled fields, the GraphQL document it sends
through the public /graphql, the role it needs, and how a form's text becomes the mutation's variables. A
refusal is told with its `extensions.code` and what to do about it (`ADVICE`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from govgraph.credentials.configurations import CITIZEN_V1, REVOCABLE_CITIZEN_V1


class FieldError(ValueError):
    """A field's text is not what the form needs; the message names the field and says what to enter."""


@dataclass(frozen=True)
class Field:
    name: str  # the variable (or input member) it fills
    label: str
    kind: str = "text"  # text | date | integer | number | choice
    required: bool = True
    hint: str = ""
    choices: tuple[str, ...] = ()

    def value(self, text: str) -> Any:
        text = text.strip()
        if not text:
            if self.required:
                raise FieldError(f"{self.label} is required: fill it in.")
            return None
        try:
            if self.kind == "date":
                return dt.date.fromisoformat(text).isoformat()
            if self.kind == "integer":
                return int(text, 10)
            if self.kind == "number":
                return float(text)
        except ValueError:
            expected = {"date": "a date as YYYY-MM-DD", "integer": "a whole number", "number": "a number"}
            raise FieldError(f"{self.label} must be {expected[self.kind]}.") from None
        if self.kind == "choice" and text not in self.choices:
            raise FieldError(f"{self.label} must be one of: {', '.join(self.choices)}.")
        if len(text) > 2000:
            raise FieldError(f"{self.label} is too long (2000 characters at most).")
        return text


@dataclass(frozen=True)
class ConsoleForm:
    slug: str  # its page: /console/<slug>
    agency: str
    title: str
    role: str
    description: str
    document: str  # the mutation, with $idempotencyKey
    fields: tuple[Field, ...]
    input_object: bool  # the fields are members of one `$input`, else each its own variable
    result: str  # the mutation's field in `data`

    def variables(self, form: dict[str, str]) -> dict[str, Any]:
        values = {}
        for field in self.fields:
            value = field.value(form.get(field.name, ""))
            if value is not None:
                values[field.name] = value
        return {"input": values} if self.input_object else values


ADVICE = {
    "UNAUTHENTICATED": "Your token is no longer accepted (it may have expired): log in again with a fresh "
    "one.",
    "FORBIDDEN": "Your token does not carry the role this form needs: log in with a token that has it, or "
    "ask an administrator for one.",
    "BAD_USER_INPUT": "Correct the field the message names and send the form again.",
    "CONFLICT": "It conflicts with what is already recorded: check the record, or use another identifier.",
    "NOT_FOUND": "Check the identifier you entered: nothing by that name is recorded.",
    "INVALID_PROOF": "The proof did not verify: start the procedure again from the beginning.",
}


def advice(code: str) -> str:
    return ADVICE.get(
        code, "Check what you entered and try again; if it keeps failing, tell an administrator."
    )


FORMS = (
    ConsoleForm(
        "identity/enrol",
        "identity",
        "Enrol a citizen",
        "clerk:identity",
        "Adds a citizen to the base registry that credentials are issued from. The record stays in the "
        "bureau's private tables; the identity ledger gets only a keyed hash of the new citizen id.",
        """mutation Enrol($input: EnrolCitizenInput!, $idempotencyKey: String) {
  enrolCitizen(input: $input, idempotencyKey: $idempotencyKey) { id } }""",
        (
            Field("givenName", "Given name"),
            Field("familyName", "Family name"),
            Field("birthDate", "Date of birth", "date", hint="YYYY-MM-DD"),
            Field("residence", "District of residence"),
            Field("citizenship", "Citizenship", hint="An ISO 3166-1 alpha-2 code, e.g. NL"),
            Field("householdIncome", "Yearly household income", "integer", hint="Whole units"),
        ),
        True,
        "enrolCitizen",
    ),
    ConsoleForm(
        "identity/offer",
        "identity",
        "Offer a credential",
        "clerk:identity",
        "Makes a single-use credential offer (10 minutes) for a citizen's wallet, shown as a QR code, with a "
        "six-digit PIN to hand over separately.",
        """mutation Offer($citizenId: ID!, $schema: String!, $idempotencyKey: String) {
  createCredentialOffer(citizenId: $citizenId, schema: $schema, idempotencyKey: $idempotencyKey) {
    offerUri txCode expiresAt } }""",
        (
            Field("citizenId", "Citizen id", hint="As enrolment returned it, e.g. cit_…"),
            Field("schema", "Credential", "choice", choices=(CITIZEN_V1, REVOCABLE_CITIZEN_V1)),
        ),
        False,
        "createCredentialOffer",
    ),
    ConsoleForm(
        "land/register-parcel",
        "land",
        "Register a parcel",
        "clerk:land",
        "Registers a parcel with its first title; the land ledger records it. Refused if the parcel exists.",
        """mutation Register($input: RegisterParcelInput!, $idempotencyKey: String) {
  registerParcel(input: $input, idempotencyKey: $idempotencyKey) { id locality area owner { id } } }""",
        (
            Field("id", "Cadastral reference"),
            Field("locality", "Locality"),
            Field("owner", "First owner (citizen id)"),
            Field("area", "Area in square metres", "number"),
            Field("registeredOn", "Deed date", "date", required=False, hint="YYYY-MM-DD; default today"),
        ),
        True,
        "registerParcel",
    ),
    ConsoleForm(
        "land/transfer-title",
        "land",
        "Transfer a title",
        "clerk:land",
        "Transfers a parcel from the holder of its current title to a buyer.",
        """mutation Transfer($input: TransferTitleInput!, $idempotencyKey: String) {
  transferTitle(input: $input, idempotencyKey: $idempotencyKey) { id owner { id } share registeredOn } }""",
        (
            Field("parcel", "Cadastral reference"),
            Field("seller", "Seller (citizen id)"),
            Field("buyer", "Buyer (citizen id)"),
            Field("share", "Share sold", required=False, hint="n/d, e.g. 1/2; default: all the seller holds"),
            Field("registeredOn", "Deed date", "date", required=False, hint="YYYY-MM-DD; default today"),
        ),
        True,
        "transferTitle",
    ),
)
BY_SLUG = {form.slug: form for form in FORMS}

__all__ = ["ADVICE", "BY_SLUG", "FORMS", "ConsoleForm", "Field", "FieldError", "advice"]
