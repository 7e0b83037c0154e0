"""The permission classes on a real kit schema: anonymous callers get UNAUTHENTICATED, callers without the
role FORBIDDEN, and the resolver never runs for either; the subgraph SDL gains no directive."""

from __future__ import annotations

import pytest
import strawberry

from govgraph.auth.permissions import Authenticated, RequireRole, requires_role
from govgraph.auth.roles import InvalidRole
from govgraph.federation.context import RequestContext
from govgraph.federation.principal import ANONYMOUS, AuthMethod, Principal
from govgraph.federation.subgraph import build_subgraph_schema

CALLS: list[str] = []


@strawberry.type
class Query:
    @strawberry.field(description="Public: anyone may read it.")
    def motto(self) -> str:
        return "open government"

    @strawberry.field(permission_classes=[Authenticated])
    def whoami(self, info: strawberry.Info) -> str:
        return info.context.principal.actor


@strawberry.type
class Mutation:
    @strawberry.mutation(extensions=[requires_role("clerk:land")])
    def register_parcel(self, locality: str) -> str:
        CALLS.append(locality)
        return f"registered in {locality}"

    @strawberry.mutation(extensions=[requires_role("official:land", "auditor")])
    def certify(self) -> bool:
        CALLS.append("certify")
        return True


SCHEMA = build_subgraph_schema(Query, mutation=Mutation)
CLERK = Principal("alice", frozenset({"clerk:land"}), AuthMethod.BEARER)
ADMIN = Principal("root", frozenset({"admin"}), AuthMethod.API_KEY)


async def run(document: str, principal: Principal | None) -> dict:
    context = RequestContext(request=None, response=None, sessions=None)
    if principal is not None:
        context.principal = principal
    result = await SCHEMA.execute(document, context_value=context)
    return {
        "data": result.data,
        "errors": [{"message": e.message, "code": e.extensions["code"]} for e in result.errors or []],
    }


@pytest.fixture(autouse=True)
def no_calls():
    CALLS.clear()
    yield


async def test_the_context_starts_anonymous():
    assert RequestContext(request=None, response=None, sessions=None).principal is ANONYMOUS


async def test_anonymous_callers_are_unauthenticated():
    result = await run('mutation { registerParcel(locality: "North") }', None)
    assert result == {
        "data": None,
        "errors": [
            {
                "message": "authentication required: send a bearer token or an API key",
                "code": "UNAUTHENTICATED",
            }
        ],
    }
    assert (await run("{ whoami }", ANONYMOUS))["errors"][0]["code"] == "UNAUTHENTICATED"
    assert CALLS == []


async def test_public_fields_need_no_credentials():
    assert await run("{ motto }", None) == {"data": {"motto": "open government"}, "errors": []}


async def test_a_caller_with_the_role_passes():
    result = await run('mutation { registerParcel(locality: "North") }', CLERK)
    assert result == {"data": {"registerParcel": "registered in North"}, "errors": []}
    assert await run("{ whoami }", CLERK) == {"data": {"whoami": "bearer:alice"}, "errors": []}
    assert CALLS == ["North"]


async def test_a_caller_without_the_role_is_forbidden():
    auditor = Principal("audrey", frozenset({"auditor"}), AuthMethod.BEARER)
    result = await run('mutation { registerParcel(locality: "North") }', auditor)
    assert result == {
        "data": None,
        "errors": [{"message": "this operation requires the role clerk:land", "code": "FORBIDDEN"}],
    }
    assert await run("mutation { certify }", CLERK) == {
        "data": None,
        "errors": [
            {"message": "this operation requires the role official:land or auditor", "code": "FORBIDDEN"}
        ],
    }
    assert await run("mutation { certify }", auditor) == {"data": {"certify": True}, "errors": []}
    assert CALLS == ["certify"]


async def test_admin_is_not_a_wildcard():
    result = await run('mutation { registerParcel(locality: "North") }', ADMIN)
    assert result["errors"] == [
        {"message": "this operation requires the role clerk:land", "code": "FORBIDDEN"}
    ]
    assert CALLS == []


async def test_a_context_without_a_principal_fails_closed():
    result = await SCHEMA.execute('mutation { registerParcel(locality: "x") }', context_value=object())
    assert [e.extensions["code"] for e in result.errors] == ["UNAUTHENTICATED"]
    assert CALLS == []


def test_the_sdl_gains_no_permission_directive():
    sdl = SCHEMA.as_str()
    assert "RequireRole" not in sdl and "Authenticated" not in sdl
    assert "registerParcel(locality: String!): String!" in sdl


def test_a_required_role_must_be_of_the_grammar():
    with pytest.raises(InvalidRole):
        RequireRole("clerk:Land")
    with pytest.raises(ValueError, match=r"^RequireRole needs at least one role$"):
        RequireRole()
