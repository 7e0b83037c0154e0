"""The compatibility suite's `products` subgraph, built with govgraph's kit: the subgraph under test."""

from __future__ import annotations

import strawberry
from strawberry.federation.schema_directive import Location, schema_directive
from strawberry.types import Info

from govgraph.federation.subgraph import SubgraphSchema, build_subgraph_schema

USER_EMAIL = "support@apollographql.com"
TOTAL_PRODUCTS_CREATED = 1337
YEARS_OF_EMPLOYMENT = 10


@schema_directive(
    locations=[Location.OBJECT],
    name="custom",
    compose=True,
    import_url="https://myspecs.dev/myCustomDirective/v1.0",
)
class Custom:
    pass


@strawberry.federation.type(shareable=True)
class ProductDimension:
    size: str | None
    weight: float | None
    unit: str | None = strawberry.federation.field(inaccessible=True)


@strawberry.type
class ProductVariation:
    id: strawberry.ID


@strawberry.type
class CaseStudy:
    case_number: strawberry.ID
    description: str | None


@strawberry.federation.type(keys=["study { caseNumber }"])
class ProductResearch:
    study: CaseStudy
    outcome: str | None = None

    @classmethod
    def resolve_reference(cls, study: dict) -> ProductResearch | None:
        return RESEARCH.get(study.get("caseNumber"))


@strawberry.federation.type(keys=["email"], extend=True)
class User:
    email: strawberry.ID = strawberry.federation.field(external=True)
    total_products_created: int | None = strawberry.federation.field(external=True, default=None)
    years_of_employment: int = strawberry.federation.field(external=True, default=0)
    name: str | None = strawberry.federation.field(override="users", default=None)

    @strawberry.federation.field(requires=["totalProductsCreated yearsOfEmployment"])
    def average_products_created_per_year(self) -> int | None:
        if not self.total_products_created or not self.years_of_employment:
            return None
        return round(self.total_products_created / self.years_of_employment)

    @classmethod
    def resolve_reference(
        cls,
        email: strawberry.ID,
        totalProductsCreated: int | None = None,  # noqa: N803
        yearsOfEmployment: int = 0,
    ) -> User:  # noqa: N803 (#591: camelCase kwargs)
        user = make_user()
        if totalProductsCreated is not None:
            user.total_products_created = totalProductsCreated
        user.years_of_employment = yearsOfEmployment or user.years_of_employment
        user.email = email
        return user


def make_user() -> User:
    return User(
        email=strawberry.ID(USER_EMAIL),
        name="Jane Smith",
        total_products_created=TOTAL_PRODUCTS_CREATED,
        years_of_employment=YEARS_OF_EMPLOYMENT,
    )


@strawberry.federation.type(keys=["id", "sku package", "sku variation { id }"], directives=[Custom()])
class Product:
    id: strawberry.ID
    sku: str | None
    package: str | None
    variation: ProductVariation | None
    dimensions: ProductDimension | None
    created_by: User | None = strawberry.federation.field(provides=["totalProductsCreated"])
    notes: str | None = strawberry.federation.field(tags=["internal"], default=None)
    research: list[ProductResearch] = strawberry.field(default_factory=list)

    @classmethod
    def resolve_reference(
        cls,
        info: Info,
        id: strawberry.ID | None = None,
        sku: str | None = None,  # noqa: A002
        package: str | None = None,
        variation: dict | None = None,
    ):
        # All three keys go through one per-request loader: a batch of representations is one lookup.
        key = (
            ("id", id)
            if id is not None
            else (
                ("sku package", sku, package)
                if package is not None
                else ("sku variation", sku, (variation or {}).get("id"))
            )
        )
        return info.context.loaders.get("Product", _load_products).load(key)


async def _load_products(keys):
    LOAD_CALLS.append(list(keys))
    found = {key: product for product in PRODUCTS.values() for key in _product_keys(product)}
    return [found.get(key) for key in keys]


LOAD_CALLS: list[list[tuple]] = []  # the batches the loader received, so tests can see one batch per request


def _product_keys(product: Product) -> set[tuple]:
    return {
        ("id", product.id),
        ("sku package", product.sku, product.package),
        ("sku variation", product.sku, product.variation.id if product.variation else None),
    }


@strawberry.federation.type(keys=["sku package"])
class DeprecatedProduct:
    sku: str
    package: str
    reason: str | None
    created_by: User | None

    @classmethod
    def resolve_reference(cls, sku: str, package: str) -> DeprecatedProduct | None:
        product = DEPRECATED_PRODUCT
        return product if (product.sku, product.package) == (sku, package) else None


@strawberry.federation.interface_object(keys=["id"])
class Inventory:
    id: strawberry.ID
    deprecated_products: list[DeprecatedProduct]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Inventory | None:  # noqa: A002
        return Inventory(id=id, deprecated_products=[DEPRECATED_PRODUCT]) if id == INVENTORY_ID else None


INVENTORY_ID = "apollo-oss"
DIMENSION = dict(size="small", weight=1.0, unit="kg")
RESEARCH = {
    "1234": ProductResearch(
        study=CaseStudy(case_number=strawberry.ID("1234"), description="Federation Study")
    ),
    "1235": ProductResearch(study=CaseStudy(case_number=strawberry.ID("1235"), description="Studio Study")),
}
DEPRECATED_PRODUCT = DeprecatedProduct(
    sku="apollo-federation-v1",
    package="@apollo/federation-v1",
    reason="Migrate to Federation V2",
    created_by=make_user(),
)
PRODUCTS = {
    "apollo-federation": Product(
        id=strawberry.ID("apollo-federation"),
        sku="federation",
        package="@apollo/federation",
        variation=ProductVariation(id=strawberry.ID("OSS")),
        dimensions=ProductDimension(**DIMENSION),
        research=[RESEARCH["1234"]],
        created_by=make_user(),
    ),
    "apollo-studio": Product(
        id=strawberry.ID("apollo-studio"),
        sku="studio",
        package="",
        variation=ProductVariation(id=strawberry.ID("platform")),
        dimensions=ProductDimension(**DIMENSION),
        research=[RESEARCH["1235"]],
        created_by=make_user(),
    ),
}


@strawberry.type
class Query:
    @strawberry.field
    def product(self, id: strawberry.ID) -> Product | None:  # noqa: A002
        return PRODUCTS.get(id)

    @strawberry.field(deprecation_reason="Use product query instead")
    def deprecated_product(self, sku: str, package: str) -> DeprecatedProduct | None:
        return DeprecatedProduct.resolve_reference(sku=sku, package=package)


def build_schema(**options) -> SubgraphSchema:
    return build_subgraph_schema(Query, types=[User, Inventory, ProductResearch], **options)
