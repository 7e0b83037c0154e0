"""The compatibility suite's reference `users` subgraph, re-created in Python.

Its answers differ from the products subgraph's on purpose, as in the suite: `totalProductsCreated` is 4
here (1337 in products) and `name` is not the one products serves, so a test can tell which subgraph
answered a field (@provides and @override)."""

from __future__ import annotations

import strawberry

from govgraph.federation.subgraph import SubgraphSchema, build_subgraph_schema

USERS_NAME = "Jane Smith (users subgraph)"


@strawberry.federation.type(keys=["email"])
class User:
    email: strawberry.ID
    name: str | None
    total_products_created: int | None = strawberry.federation.field(shareable=True)
    years_of_employment: int

    @classmethod
    def resolve_reference(cls, email: strawberry.ID) -> User | None:
        return USERS.get(email)


USERS = {
    "support@apollographql.com": User(
        email=strawberry.ID("support@apollographql.com"),
        name=USERS_NAME,
        total_products_created=4,
        years_of_employment=10,
    )
}


def build_schema(**options) -> SubgraphSchema:
    return build_subgraph_schema(None, types=[User], **options)
