"""Hand-written differential operations: each gateway feature at least once, with the data it should reach."""

from __future__ import annotations

P = '"apollo-federation"'
# Twelve levels of identity: past its depth limit once inside an entity fetch.
DEEP = (
    "enrolledBy { credentialSchemas { issuer { credentialSchemas { issuer { credentialSchemas { issuer { "
    "credentialSchemas { issuer { credentialSchemas { issuer { name } } } } } } } } } } }"
)
OPERATIONS: list[tuple] = [  # (name, query, variables[, operationName])
    # Root fields routed to their owners, several subgraphs in one operation.
    ("one root field", "{ agencies { id name } }", None),
    (
        "roots in three subgraphs",
        f"{{ agencies {{ id }} parcels(first: 2) {{ id }} product(id: {P}) {{ sku }} }}",
        None,
    ),
    ("root typename", "{ __typename }", None),
    ("aliases on root and nested fields", "{ a: agencies { key: id label: name } b: agencies { id } }", None),
    (
        "same field twice with different arguments",
        "{ few: parcels(first: 1) { id } more: parcels(first: 3) { id } }",
        None,
    ),
    # Entity hops through _entities.
    (
        "two-hop join parcel owner enrolledBy",
        "{ parcels(first: 3) { id owner { id enrolledBy { name } } } }",
        None,
    ),
    (
        "back and forth identity land identity",
        "{ citizens(first: 2) { edges { node { id parcels { id owner { enrolledBy { id } } } } } } }",
        None,
    ),
    (
        "deep join through titles",
        "{ titles(first: 5) { totalCount edges { cursor node { id current registeredOn owner { id enrolledBy "
        "{ name credentialSchemas { name version attributes } } } parcel { area locality } } } } }",
        None,
    ),
    (
        "entity list of parcels",
        "{ parcels(first: 10) { id area locality titles { id current owner { id } } } }",
        None,
    ),
    (
        "citizen by id with parcels",
        '{ citizen(id: "cit_5b0e2f7c1a9d4e83") { id enrolledBy { id } parcels { id } } }',
        None,
    ),
    ("unknown citizen is null", '{ citizen(id: "nobody") { id parcels { id } } }', None),
    (
        "page info of connections",
        "{ citizens(first: 1) { pageInfo { hasNextPage hasPreviousPage startCursor "
        "endCursor } totalCount } titles(first: 1) { pageInfo { hasNextPage endCursor } } }",
        None,
    ),
    # Compliance features.
    (
        "product by id",
        f"{{ product(id: {P}) {{ id sku package variation {{ id }} dimensions {{ size weight }} }} }}",
        None,
    ),
    (
        "provides serves totalProductsCreated from products",
        f"{{ product(id: {P}) {{ createdBy {{ email totalProductsCreated }} }} }}",
        None,
    ),
    (
        "requires fetches from users first",
        f"{{ product(id: {P}) {{ createdBy {{ averageProductsCreatedPerYear email }} }} }}",
        None,
    ),
    (
        "requires and provides together",
        f"{{ product(id: {P}) {{ createdBy {{ email name totalProductsCreated yearsOfEmployment "
        "averageProductsCreatedPerYear } } }",
        None,
    ),
    ("override answers name from products", f"{{ product(id: {P}) {{ createdBy {{ name }} }} }}", None),
    (
        "requires nested external dimensions",
        f'{{ product(id: {P}) {{ delivery(zip: "94111") {{ estimatedDelivery fastestDelivery }} }} }}',
        None,
    ),
    (
        "shareable dimensions with delivery",
        f"{{ product(id: {P}) {{ dimensions {{ size weight }} delivery {{ estimatedDelivery }} }} }}",
        None,
    ),
    ("inaccessible field is refused", f"{{ product(id: {P}) {{ dimensions {{ unit }} }} }}", None),
    (
        "composite key research",
        f"{{ product(id: {P}) {{ research {{ study {{ caseNumber description }} outcome }} }} }}",
        None,
    ),
    (
        "deprecated product multi-key",
        '{ deprecatedProduct(sku: "apollo-federation-v1", package: "@apollo/federation-v1") '
        "{ sku package reason createdBy { email name totalProductsCreated } } }",
        None,
    ),
    (
        "interface object adds fields",
        '{ inventory(id: "apollo-oss") { id deprecatedProducts { sku reason } } }',
        None,
    ),
    (
        "interface with inline fragment",
        '{ inventory(id: "apollo-oss") { __typename ... on OpenSourceInventory { id products { id sku '
        "delivery { fastestDelivery } } } } }",
        None,
    ),
    (
        "interface object and implementation fields together",
        '{ inventory(id: "apollo-oss") { __typename id products { id createdBy { email } } '
        "deprecatedProducts { createdBy { averageProductsCreatedPerYear } } } }",
        None,
    ),
    ("missing inventory is null", '{ inventory(id: "nope") { id deprecatedProducts { sku } } }', None),
    ("missing product is null", '{ product(id: "nope") { id createdBy { name } } }', None),
    # Fragments, variables, directives.
    (
        "named fragments",
        "query { parcels(first: 2) { ...P } } fragment P on Parcel { id owner { ...C } } "
        "fragment C on Citizen { id enrolledBy { name } }",
        None,
    ),
    ("nested inline fragments", "{ parcels(first: 2) { ... on Parcel { id ... { area } } } }", None),
    ("variables in root arguments", "query ($n: Int!) { parcels(first: $n) { id } }", {"n": 4}),
    ("variable default", "query ($n: Int! = 2) { parcels(first: $n) { id } }", None),
    (
        "variables in entity fetch",
        'query ($zip: String) { product(id: "apollo-studio") { delivery(zip: $zip) { estimatedDelivery } } }',
        {"zip": "10001"},
    ),
    (
        "skip true",
        "query ($s: Boolean!) { parcels(first: 2) { id owner @skip(if: $s) { id enrolledBy { name } } } }",
        {"s": True},
    ),
    (
        "skip false",
        "query ($s: Boolean!) { parcels(first: 2) { id owner @skip(if: $s) { id enrolledBy { name } } } }",
        {"s": False},
    ),
    (
        "include on an entity field",
        "query ($i: Boolean!) { parcels(first: 2) { id owner { id enrolledBy @include(if: $i) { name } } } }",
        {"i": False},
    ),
    (
        "include on a fragment",
        "query ($i: Boolean!) { agencies { id ... @include(if: $i) { name } } }",
        {"i": True},
    ),
    ("literal skip", "{ agencies { id name @skip(if: true) } }", None),
    (
        "root fragment excluded",
        "query ($i: Boolean!) { ... @include(if: $i) { agencies { id } parcels(first: 1) "
        '{ id owner { id } } } ...Q } fragment Q on Query { parcel(id: "parcel-0001") { id } }',
        {"i": False},
    ),
    (
        "root fragment included across subgraphs",
        "query ($i: Boolean!) { ... @include(if: $i) { agencies { id } "
        "parcels(first: 1) { id owner { id enrolledBy { id } } } } }",
        {"i": True},
    ),
    (
        "skip inside an entity fetch",
        "query ($s: Boolean!) { parcels(first: 2) { owner { enrolledBy { id name @skip(if: $s) } } } }",
        {"s": True},
    ),
    (
        "named fragment on an interface",
        '{ inventory(id: "apollo-oss") { ...I } } fragment I on Inventory '
        "{ id deprecatedProducts { sku } ... on OpenSourceInventory { products { sku } } }",
        None,
    ),
    (
        "operation name picks one",
        "query A { agencies { id } } query B { parcels(first: 1) { id } }",
        None,
        "B",
    ),
    ("unknown operation name", "query A { agencies { id } }", None, "C"),
    # Errors: subgraph errors with paths, partial data, request errors.
    ("subgraph error nulls the whole data", "{ parcels(first: 1000) { id } }", None),
    ("subgraph error beside good data", '{ agencies { id } parcel(id: "") { id } }', None),
    ("non-null root error nulls data", "{ agencies { id } parcels(first: 1000) { id } }", None),
    ("error through a variable", "query ($n: Int!) { parcels(first: $n) { id owner { id } } }", {"n": -1}),
    ("error under an alias", '{ ok: parcel(id: "parcel-0001") { id } bad: parcel(id: "") { id } }', None),
    # An entity fetch the subgraph refuses (identity's depth and cost limits): the entities are null there,
    # the errors sit at the fetch's path, and the null does not propagate past a non-null entity.
    (
        "entity fetch refused under a nullable field",
        "{ parcels(first: 2) { id owner { id " + DEEP + " } } }",
        None,
    ),
    (
        "entity fetch refused under a non-null field",
        "{ titles(first: 2) { totalCount edges { node { id owner { id " + DEEP + " } } } } }",
        None,
    ),
    (
        "entity fetch refused beside one that answers",
        "{ titles(first: 2) { edges { node { owner { id parcels { id } " + DEEP + " } } } } }",
        None,
    ),
    (
        "entity fetch refused three hops down",
        '{ citizen(id: "cit_5b0e2f7c1a9d4e83") { parcels { titles { owner { ' + DEEP + " } } } } }",
        None,
    ),
    ("unknown field", "{ nope }", None),
    ("syntax error", "{ parcels( }", None),
    ("wrong argument", "{ parcel { id } agency(id: 1, x: 2) { nope } }", None),
    ("variable of the wrong type", "query ($n: Int!) { parcels(first: $n) { id } }", {"n": "ten"}),
    ("variable missing", "query ($n: Int!) { parcels(first: $n) { id } }", None),
    ("variable null", "query ($n: Int!) { parcels(first: $n) { id } }", {"n": None}),
    ("object where an ID is expected", "query ($id: ID!) { product(id: $id) { sku } }", {"id": {"no": 1}}),
    ("list where an ID is expected", "query ($id: ID!) { parcel(id: $id) { id } }", {"id": [1, "a"]}),
    ("boolean where an Int is expected", "query ($n: Int!) { parcels(first: $n) { id } }", {"n": True}),
    ("unused variable", "query ($n: Int) { agencies { id } }", None),
    ("ambiguous operation", "query A { agencies { id } } query B { agencies { name } }", None),
    # Introspection of the supergraph.
    (
        "type introspection",
        '{ __type(name: "Parcel") { name kind fields { name type { name kind ofType { name } } } } }',
        None,
    ),
    (
        "type introspection of an entity",
        '{ __type(name: "Citizen") { name fields { name description } } }',
        None,
    ),
    ("root query type name", "{ __schema { queryType { name } mutationType { name } } }", None),
    (
        "inaccessible type field hidden in introspection",
        '{ __type(name: "ProductDimension") { fields { name } } }',
        None,
    ),
    (
        "typename everywhere",
        "{ __typename parcels(first: 1) { __typename owner { __typename enrolledBy { __typename } } } "
        'inventory(id: "apollo-oss") { __typename } }',
        None,
    ),
]
