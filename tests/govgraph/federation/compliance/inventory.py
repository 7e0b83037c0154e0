"""The compatibility suite's reference `inventory` subgraph, re-created in Python: an entity interface
(`Inventory`, which products extends with @interfaceObject) and a @requires on a nested external field."""

from __future__ import annotations

import strawberry

from govgraph.federation.subgraph import SubgraphSchema, build_subgraph_schema

ESTIMATED_DELIVERY = "5/1/2019"
FASTEST_DELIVERY = "5/30/2022"


@strawberry.federation.type(shareable=True)
class ProductDimension:
    size: str | None
    weight: float | None


@strawberry.type
class DeliveryEstimates:
    estimated_delivery: str | None
    fastest_delivery: str | None


@strawberry.federation.type(keys=["id"], extend=True)
class Product:
    id: strawberry.ID = strawberry.federation.field(external=True)
    dimensions: ProductDimension | None = strawberry.federation.field(external=True, default=None)

    @strawberry.federation.field(requires=["dimensions { size weight }"])
    def delivery(self, zip: str | None = None) -> DeliveryEstimates | None:  # noqa: A002
        # The estimate needs the parcel's size and weight, which only products knows (hence @requires).
        if self.dimensions is None or self.dimensions.size is None:
            return None
        return DeliveryEstimates(estimated_delivery=ESTIMATED_DELIVERY, fastest_delivery=FASTEST_DELIVERY)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, dimensions: dict | None = None) -> Product:  # noqa: A002
        return Product(id=id, dimensions=ProductDimension(**dimensions) if dimensions else None)


@strawberry.federation.interface(keys=["id"])
class Inventory:
    id: strawberry.ID
    products: list[Product]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Inventory | None:  # noqa: A002
        return INVENTORIES.get(id)


@strawberry.federation.type(keys=["id"])
class OpenSourceInventory(Inventory):
    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Inventory | None:  # noqa: A002
        return INVENTORIES.get(id)


INVENTORIES = {
    "apollo-oss": OpenSourceInventory(
        id=strawberry.ID("apollo-oss"),
        products=[Product(id=strawberry.ID("apollo-federation")), Product(id=strawberry.ID("apollo-studio"))],
    )
}


@strawberry.type
class Query:
    @strawberry.field
    def inventory(self, id: strawberry.ID) -> Inventory | None:  # noqa: A002
        return INVENTORIES.get(id)


def build_schema(**options) -> SubgraphSchema:
    return build_subgraph_schema(Query, types=[OpenSourceInventory], **options)
