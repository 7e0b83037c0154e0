"""The role grammar: which strings are roles, and that no role stands in for another (admin included)."""

from __future__ import annotations

import pytest

from govgraph.auth.roles import InvalidRole, check_role, check_roles, clerk, is_role, satisfies, service
from govgraph.federation.errors import ErrorCode


@pytest.mark.parametrize(
    "role",
    ["admin", "trustee", "auditor", "clerk:land", "official:identity", "service:tally-bot", "service:ci.v2"],
)
def test_roles_of_the_grammar_are_accepted(role: str) -> None:
    assert is_role(role) is True
    assert check_role(role) == role


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Admin",
        "root",
        "clerk",
        "clerk:",
        "clerk:Land",
        "clerk:land:extra",
        "official:-land",
        "trustee:1",
        "service:",
        "service:a b",
        "citizen:alice",
        " admin",
        "clerk:" + "a" * 64,
    ],
)
def test_strings_outside_the_grammar_are_refused(text: str) -> None:
    assert is_role(text) is False
    with pytest.raises(InvalidRole) as refused:
        check_role(text)
    assert str(refused.value) == (
        f"{text!r} is not a role: expected admin, trustee, auditor, clerk:<agency>, official:<agency> "
        "or service:<name> (lower case)"
    )
    assert refused.value.code is ErrorCode.BAD_USER_INPUT


def test_non_strings_are_not_roles() -> None:
    assert is_role(None) is False
    assert is_role(["admin"]) is False


def test_check_roles_returns_a_set_and_names_the_first_bad_role() -> None:
    assert check_roles(["clerk:land", "auditor", "clerk:land"]) == frozenset({"clerk:land", "auditor"})
    with pytest.raises(InvalidRole, match=r"^'clerk:LAND' is not a role"):
        check_roles(["auditor", "clerk:LAND"])


def test_too_many_roles_are_refused() -> None:
    with pytest.raises(InvalidRole) as refused:
        check_roles([f"service:s{n}" for n in range(65)])
    assert str(refused.value) == "at most 64 roles, not 65"


def test_a_role_satisfies_only_itself_and_admin_is_no_wildcard() -> None:
    assert satisfies({"clerk:land"}, "clerk:land") is True
    assert satisfies({"clerk:land"}, "clerk:identity") is False
    assert satisfies({"official:land"}, "clerk:land") is False
    assert satisfies({"admin"}, "clerk:land") is False
    assert satisfies({"admin"}, "trustee") is False
    assert satisfies({"admin"}, "admin") is True


def test_role_constructors_check_their_scope() -> None:
    assert clerk("land") == "clerk:land"
    assert service("tally-bot") == "service:tally-bot"
    with pytest.raises(InvalidRole):
        clerk("Land Registry")
