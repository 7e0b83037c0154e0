"""The Apollo subgraph compatibility suite's 15 behaviours, checked against our products subgraph (built with
the kit) directly, and through the real Hive Gateway with the users and inventory subgraphs."""

from __future__ import annotations

import time

import pytest
from graphql import parse, print_ast, strip_ignored_characters

from tests.govgraph.federation.compliance import products
from tests.govgraph.federation.compliance.users import USERS_NAME
from tests.govgraph.federation.ftv1 import decode_trace

EMAIL = "support@apollographql.com"


@pytest.fixture(scope="module")
def sdl(live_subgraphs) -> str:
    return live_subgraphs.post("products", "{ _service { sdl } }")["data"]["_service"]["sdl"]


@pytest.fixture(scope="module")
def compact_sdl(sdl: str) -> str:
    return strip_ignored_characters(sdl)


def _definition(sdl: str, name: str) -> str:
    """One type's definition, printed canonically, for exact comparison."""
    document = parse(sdl)
    matches = [d for d in document.definitions if getattr(getattr(d, "name", None), "value", None) == name]
    assert len(matches) == 1, f"{name} defined {len(matches)} times"
    return print_ast(matches[0])


def entities(live_subgraphs, representations: list[dict], selection: str) -> list:
    query = f"query ($r: [_Any!]!) {{ _entities(representations: $r) {{ {selection} }} }}"
    body = live_subgraphs.post("products", query, {"r": representations})
    assert "errors" not in body, body
    return body["data"]["_entities"]


# 1. _service
def test_service_sdl_declares_the_reference_products_schema(sdl: str) -> None:
    assert _definition(sdl, "Product") == (
        'type Product @custom @key(fields: "id") @key(fields: "sku package") '
        '@key(fields: "sku variation { id }") {\n'
        "  id: ID!\n  sku: String\n  package: String\n  variation: ProductVariation\n"
        "  dimensions: ProductDimension\n"
        '  createdBy: User @provides(fields: "totalProductsCreated")\n'
        '  notes: String @tag(name: "internal")\n  research: [ProductResearch!]!\n}'
    )
    assert _definition(sdl, "DeprecatedProduct") == (
        'type DeprecatedProduct @key(fields: "sku package") {\n'
        "  sku: String!\n  package: String!\n  reason: String\n  createdBy: User\n}"
    )
    assert _definition(sdl, "ProductResearch") == (
        'type ProductResearch @key(fields: "study { caseNumber }") {\n'
        "  study: CaseStudy!\n  outcome: String\n}"
    )
    assert _definition(sdl, "_Entity") == (
        "union _Entity = DeprecatedProduct | Inventory | Product | ProductResearch | User"
    )


# 2. @key (single)
def test_single_key_resolves_a_user_by_email(live_subgraphs) -> None:
    assert entities(
        live_subgraphs, [{"__typename": "User", "email": EMAIL}], "... on User { email name }"
    ) == [{"email": EMAIL, "name": "Jane Smith"}]


# 3. @key (multi): a key of several fields
def test_multi_field_key_resolves_a_deprecated_product(live_subgraphs) -> None:
    representation = {
        "__typename": "DeprecatedProduct",
        "sku": "apollo-federation-v1",
        "package": "@apollo/federation-v1",
    }
    assert entities(live_subgraphs, [representation], "... on DeprecatedProduct { sku package reason }") == [
        {
            "sku": "apollo-federation-v1",
            "package": "@apollo/federation-v1",
            "reason": "Migrate to Federation V2",
        }
    ]


# 4. @key (composite): a key with a nested selection
def test_composite_key_resolves_research_by_nested_case_number(live_subgraphs) -> None:
    representation = {"__typename": "ProductResearch", "study": {"caseNumber": "1234"}}
    assert entities(
        live_subgraphs,
        [representation],
        "... on ProductResearch { study { caseNumber description } outcome }",
    ) == [{"study": {"caseNumber": "1234", "description": "Federation Study"}, "outcome": None}]


# 5. repeatable @key: any of the three keys finds the product, all in one loader batch
def test_each_of_three_keys_resolves_a_product_in_one_batch(live_subgraphs) -> None:
    products.LOAD_CALLS.clear()
    representations = [
        {"__typename": "Product", "id": "apollo-federation"},
        {"__typename": "Product", "sku": "federation", "package": "@apollo/federation"},
        {"__typename": "Product", "sku": "studio", "variation": {"id": "platform"}},
    ]
    assert entities(live_subgraphs, representations, "... on Product { id sku }") == [
        {"id": "apollo-federation", "sku": "federation"},
        {"id": "apollo-federation", "sku": "federation"},
        {"id": "apollo-studio", "sku": "studio"},
    ]
    assert products.LOAD_CALLS == [
        [
            ("id", "apollo-federation"),
            ("sku package", "federation", "@apollo/federation"),
            ("sku variation", "studio", "platform"),
        ]
    ]


# 6. @requires
def test_requires_computes_from_the_fields_the_gateway_supplies(live_subgraphs, compact_sdl: str) -> None:
    assert (
        'averageProductsCreatedPerYear:Int@requires(fields:"totalProductsCreated yearsOfEmployment")'
        in compact_sdl
    )
    representation = {
        "__typename": "User",
        "email": EMAIL,
        "totalProductsCreated": 1337,
        "yearsOfEmployment": 10,
    }
    assert entities(live_subgraphs, [representation], "... on User { averageProductsCreatedPerYear }") == [
        {"averageProductsCreatedPerYear": 134}
    ]


@pytest.mark.e2e
def test_requires_through_the_gateway_uses_the_owning_subgraphs_values(hive_gateway) -> None:
    # The required fields come from users (4 products over 10 years): round(0.4) = 0, not products' 1337/10.
    body = hive_gateway.post(
        "query ($id: ID!) { product(id: $id) { createdBy { averageProductsCreatedPerYear email } } }",
        {"id": "apollo-federation"},
    )
    assert body == {"data": {"product": {"createdBy": {"averageProductsCreatedPerYear": 0, "email": EMAIL}}}}


# 7. @provides
@pytest.mark.e2e
def test_provides_lets_products_answer_total_products_created(hive_gateway, compact_sdl: str) -> None:
    assert 'createdBy:User@provides(fields:"totalProductsCreated")' in compact_sdl
    body = hive_gateway.post(
        "query ($id: ID!) { product(id: $id) { createdBy { email totalProductsCreated } } }",
        {"id": "apollo-federation"},
    )
    # 1337 is products' own value; users would have said 4.
    assert body == {"data": {"product": {"createdBy": {"email": EMAIL, "totalProductsCreated": 1337}}}}


# 8. ftv1
def test_ftv1_trace_is_returned_only_when_the_gateway_asks(live_subgraphs) -> None:
    query = '{ product(id: "apollo-federation") { sku createdBy { email } } }'
    plain = live_subgraphs.post("products", query)
    assert "ftv1" not in plain.get("extensions", {})
    before = int(time.time())
    traced = live_subgraphs.post("products", query, headers={"apollo-federation-include-trace": "ftv1"})
    assert traced["data"] == plain["data"]
    trace = decode_trace(traced["extensions"]["ftv1"])
    assert before <= trace.start_seconds <= trace.end_seconds <= int(time.time()) + 1
    product = trace.root.child("product")
    assert (product.type, product.parent_type) == ("Product", "Query")
    assert [c.response_name for c in product.children] == ["sku", "createdBy"]
    assert product.child("createdBy").child("email").type == "ID!"
    assert 0 < product.start <= product.end <= trace.duration_ns


# 9. @link
def test_link_imports_federation_2_7_directives(compact_sdl: str) -> None:
    assert (
        'schema@composeDirective(name:"@custom")@link(url:"https://specs.apollo.dev/federation/v2.7" '
        'import:["@composeDirective" "@external" "@inaccessible" "@interfaceObject" "@key" "@override" '
        '"@provides" "@requires" "@shareable" "@tag"])'
    ) in compact_sdl


# 10. @shareable
@pytest.mark.e2e
def test_shareable_type_is_resolved_by_either_subgraph(hive_gateway, compact_sdl: str) -> None:
    assert "type ProductDimension@shareable{size:String weight:Float unit:String@inaccessible}" in compact_sdl
    body = hive_gateway.post(
        '{ product(id: "apollo-federation") { dimensions { size weight } '
        'delivery(zip: "94111") { estimatedDelivery fastestDelivery } } }'
    )
    assert body == {
        "data": {
            "product": {
                "dimensions": {"size": "small", "weight": 1},
                "delivery": {"estimatedDelivery": "5/1/2019", "fastestDelivery": "5/30/2022"},
            }
        }
    }


# 11. @tag
def test_tag_is_applied_under_its_own_name(compact_sdl: str) -> None:
    assert 'notes:String@tag(name:"internal")' in compact_sdl
    assert "@federation__tag" not in compact_sdl


# 12. @override
@pytest.mark.e2e
def test_override_makes_products_answer_the_users_name(hive_gateway, compact_sdl: str) -> None:
    assert 'name:String@override(from:"users")' in compact_sdl
    body = hive_gateway.post('{ product(id: "apollo-federation") { createdBy { email name } } }')
    assert body == {"data": {"product": {"createdBy": {"email": EMAIL, "name": "Jane Smith"}}}}
    assert USERS_NAME != "Jane Smith"


# 13. @inaccessible
@pytest.mark.e2e
def test_inaccessible_field_is_served_by_the_subgraph_but_hidden_by_the_gateway(
    live_subgraphs, hive_gateway, compact_sdl: str
) -> None:
    assert "unit:String@inaccessible" in compact_sdl and "@federation__inaccessible" not in compact_sdl
    query = '{ product(id: "apollo-federation") { dimensions { unit } } }'
    assert live_subgraphs.post("products", query) == {"data": {"product": {"dimensions": {"unit": "kg"}}}}
    errors = hive_gateway.post(query)["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["GRAPHQL_VALIDATION_FAILED"]
    assert errors[0]["message"] == 'Cannot query field "unit" on type "ProductDimension".'


# 14. @composeDirective
@pytest.mark.e2e
def test_compose_directive_carries_custom_into_the_supergraph(compact_sdl: str, hive_gateway) -> None:
    assert '@link(url:"https://myspecs.dev/myCustomDirective/v1.0" import:["@custom"])' in compact_sdl
    assert 'schema@composeDirective(name:"@custom")' in compact_sdl
    assert "directive@custom on OBJECT" in compact_sdl
    supergraph = strip_ignored_characters(hive_gateway.supergraph)
    assert "directive@custom on OBJECT" in supergraph
    assert "type Product@custom@join__type" in supergraph


# 15. @interfaceObject
@pytest.mark.e2e
def test_interface_object_adds_fields_to_inventory_implementations(hive_gateway, compact_sdl: str) -> None:
    assert 'type Inventory@key(fields:"id")@interfaceObject{' in compact_sdl
    body = hive_gateway.post(
        "query ($id: ID!) { inventory(id: $id) { id deprecatedProducts { sku reason } products { id } } }",
        {"id": "apollo-oss"},
    )
    assert body == {
        "data": {
            "inventory": {
                "id": "apollo-oss",
                "deprecatedProducts": [{"sku": "apollo-federation-v1", "reason": "Migrate to Federation V2"}],
                "products": [{"id": "apollo-federation"}, {"id": "apollo-studio"}],
            }
        }
    }
