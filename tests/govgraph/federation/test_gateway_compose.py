"""Composition: the supergraph model and API schema from subgraph SDLs, and refusals that name the subgraphs
and fields involved (or the unsupported feature)."""

from __future__ import annotations

import pytest
from graphql import print_schema

from govgraph.federation.gateway.composition import compose
from govgraph.federation.gateway.supergraph import CompositionError, SubgraphSource
from tests.govgraph.federation.compliance import inventory, products, users

LINK = (
    '@link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", '
    '"@override", "@tag", "@inaccessible", "@context", "@authenticated"])'
)


def sdl_of(module) -> str:
    return module.build_schema().execute_sync("{ _service { sdl } }").data["_service"]["sdl"]


@pytest.fixture(scope="module")
def compliance():
    return compose(
        [
            SubgraphSource(name, sdl_of(module))
            for name, module in (("products", products), ("users", users), ("inventory", inventory))
        ]
    )


def subgraph(name: str, body: str) -> SubgraphSource:
    return SubgraphSource(name, f"extend schema {LINK}\n{body}")


def test_inaccessible_field_is_absent_from_the_api_schema(compliance) -> None:
    api = print_schema(compliance.api_schema)
    assert "type ProductDimension {\n  size: String\n  weight: Float\n}" in api
    assert "unit" not in api and "_entities" not in api and "_Service" not in api


def test_interface_object_fields_reach_the_interface_and_its_implementations(compliance) -> None:
    schema = compliance.api_schema
    assert list(schema.get_type("Inventory").fields) == ["id", "deprecatedProducts", "products"]
    assert list(schema.get_type("OpenSourceInventory").fields) == ["id", "products", "deprecatedProducts"]
    assert compliance.types["OpenSourceInventory"].fields["deprecatedProducts"].sites.keys() == {"products"}
    assert compliance.types["Inventory"].interface_object_in == {"products"}


def test_override_moves_the_field_to_the_overriding_subgraph(compliance) -> None:
    assert list(compliance.types["User"].fields["name"].sites) == ["products"]


def test_requires_provides_and_keys_are_recorded_per_subgraph(compliance) -> None:
    user = compliance.types["User"]
    site = user.fields["averageProductsCreatedPerYear"].sites["products"]
    assert [s.name.value for s in site.requires.selections] == ["totalProductsCreated", "yearsOfEmployment"]
    assert user.fields["totalProductsCreated"].external == {"products"}
    provides = compliance.types["Product"].fields["createdBy"].sites["products"].provides
    assert [s.name.value for s in provides.selections] == ["totalProductsCreated"]
    assert [len(k.selections) for k in compliance.types["Product"].keys["products"]] == [1, 2, 2]
    # An @external key field of an extension is still the subgraph's to give (Federation 1 compatibility).
    assert set(compliance.types["Product"].fields["id"].sites) == {"products", "inventory"}


def test_non_shareable_field_in_two_subgraphs_is_refused_naming_both() -> None:
    a = subgraph("a", 'type Query { x: Int } type Thing @key(fields: "id") { id: ID! size: Int }')
    b = subgraph("b", 'type Thing @key(fields: "id") { id: ID! size: Int }')
    with pytest.raises(CompositionError) as caught:
        compose([a, b])
    assert str(caught.value) == (
        'Non-shareable field "Thing.size" is resolved from subgraphs "a" and "b": '
        'mark it @shareable in subgraph "a"'
    )


def test_shareable_field_in_two_subgraphs_composes() -> None:
    a = subgraph(
        "a", 'type Query { x: Thing } type Thing @key(fields: "id") { id: ID! size: Int @shareable }'
    )
    b = subgraph("b", 'type Thing @key(fields: "id") { id: ID! size: Int @shareable }')
    assert set(compose([a, b]).types["Thing"].fields["size"].sites) == {"a", "b"}


def test_conflicting_field_types_are_refused_naming_both_subgraphs() -> None:
    a = subgraph(
        "a", 'type Query { x: Thing } type Thing @key(fields: "id") { id: ID! size: Int @shareable }'
    )
    b = subgraph("b", 'type Thing @key(fields: "id") { id: ID! size: String @shareable }')
    with pytest.raises(
        CompositionError,
        match='field "Thing.size" has type "Int" in subgraph "a" but "String" in subgraph "b"',
    ):
        compose([a, b])


def test_external_field_nobody_resolves_is_refused() -> None:
    a = subgraph("a", 'type Query { x: Thing } type Thing @key(fields: "id") { id: ID! size: Int @external }')
    with pytest.raises(
        CompositionError, match='field "Thing.size" is @external in subgraph "a" but no subgraph resolves it'
    ):
        compose([a])


@pytest.mark.parametrize(
    "usage, feature",
    [
        ("type Query { me: String @authenticated }", "@authenticated on me"),
        ('type Query @context(name: "c") { me: String }', "@context on Query"),
    ],
)
def test_unsupported_federation_features_are_refused_by_name(usage: str, feature: str) -> None:
    with pytest.raises(CompositionError) as caught:
        compose([subgraph("a", usage)])
    assert (
        str(caught.value) == f'subgraph "a" uses {feature}: not supported by the embedded gateway (use Hive '
        "Gateway for it)"
    )


def test_progressive_override_is_refused() -> None:
    a = subgraph(
        "a",
        'type Query { x: Thing } type Thing @key(fields: "id") { id: ID! '
        'size: Int @override(from: "b", label: "percent(5)") }',
    )
    b = subgraph("b", 'type Thing @key(fields: "id") { id: ID! size: Int }')
    with pytest.raises(CompositionError, match=r'progressive @override \(label\) on "Thing.size"'):
        compose([a, b])


def test_federation_1_subgraph_is_refused() -> None:
    with pytest.raises(CompositionError, match='subgraph "old" does not @link the Federation v2 spec'):
        compose([SubgraphSource("old", 'type Query { x: Int } type T @key(fields: "id") { id: ID! }')])


def test_unparsable_sdl_is_refused_naming_the_subgraph() -> None:
    with pytest.raises(CompositionError, match='subgraph "broken": its SDL does not parse'):
        compose([SubgraphSource("broken", "type Query {")])


def test_tag_and_inaccessible_type_are_accepted_and_the_type_is_hidden() -> None:
    a = subgraph("a", 'type Query { x: Int @tag(name: "public") } type Secret @inaccessible { id: ID! }')
    api = print_schema(compose([a]).api_schema)
    assert "Secret" not in api and "x: Int" in api
