"""Seeded generator of differential operations: random selections over the supergraph's API schema, with
aliases, fragments, variables (some null or invalid) and arguments that make subgraphs fail.

`python -m tests.govgraph.federation.corpus.generate` rewrites generated.json; a test checks the file is
current."""

from __future__ import annotations

import json
import random
from pathlib import Path

from graphql import GraphQLNonNull, GraphQLSchema, build_schema, get_named_type, is_leaf_type

SEED = 20261121
COUNT = 260
CORPUS = Path(__file__).with_name("generated.json")
API_SDL = Path(__file__).with_name("api.graphql")

CITIZEN = "cit_5b0e2f7c1a9d4e83"
# Root entry points with argument values worth trying (valid, missing, and ones the subgraphs refuse).
ROOTS: dict[str, dict[str, list]] = {
    "agencies": {},
    "agency": {"id": ["identity-bureau", "land-registry", "nope"]},
    "citizen": {"id": [CITIZEN, "nobody", ""]},
    "citizens": {"first": [1, 2, 5, None]},
    "credentialSchemas": {},
    "parcel": {"id": ["parcel-0001", "parcel-0003", "nope", ""]},
    "parcels": {"first": [1, 2, 5, 50, 1000, -1]},
    "titles": {"first": [1, 3, None]},
    "product": {"id": ["apollo-federation", "apollo-studio", "nope"]},
    "deprecatedProduct": {"sku": ["apollo-federation-v1"], "package": ["@apollo/federation-v1", "other"]},
    "inventory": {"id": ["apollo-oss", "nope"]},
}
INJECTED_ERROR = (
    "deep: enrolledBy { credentialSchemas { issuer { credentialSchemas { issuer { credentialSchemas { issuer "
    "{ credentialSchemas { issuer { credentialSchemas { issuer { name } } } } } } } } } } }"
)
GRAPHQL_TYPES = {"first": "Int", "id": "ID!", "sku": "String!", "package": "String!"}


def _literal(value) -> str:
    return json.dumps(value) if value is not None else "null"


class Generator:
    def __init__(self, schema: GraphQLSchema, seed: int) -> None:
        self.schema = schema
        self.random = random.Random(seed)
        # A second stream decides the injected subgraph errors, so adding them left the other draws unchanged.
        self.inject = random.Random(seed + 1)
        self.fragments: list[str] = []
        self.variables: dict[str, object] = {}
        self.definitions: list[str] = []
        self.counter = 0

    def operation(self, index: int) -> tuple[str, str, dict | None]:
        self.fragments, self.variables, self.definitions = [], {}, []
        rng = self.random
        roots = rng.sample(sorted(ROOTS), k=rng.choice([1, 1, 1, 2, 3]))
        parts = [self._root(name) for name in roots]
        head = "query" + (f" ({', '.join(self.definitions)})" if self.definitions else "")
        query = f"{head} {{ {' '.join(parts)} }}" + "".join(" " + f for f in self.fragments)
        return f"generated {index:03d}", query, dict(self.variables) or None

    def _root(self, name: str) -> str:
        rng = self.random
        field = self.schema.query_type.fields[name]
        arguments = []
        for argument, values in ROOTS[name].items():
            value = rng.choice(values)
            if argument == "first" and value is None:
                continue
            if rng.random() < 0.4:
                variable = f"v{len(self.definitions)}"
                declared = GRAPHQL_TYPES[argument] if name != "parcels" else "Int!"
                self.definitions.append(f"${variable}: {declared}")
                # Now and then the variable is left out or sent as null: a request error, like Hive's.
                if rng.random() > 0.05:
                    self.variables[variable] = value if rng.random() > 0.03 else None
                arguments.append(f"{argument}: ${variable}")
            else:
                arguments.append(f"{argument}: {_literal(value)}")
        call = f"{name}({', '.join(arguments)})" if arguments else name
        return self._alias(name) + call + self._selection(field.type, 0)

    def _alias(self, name: str) -> str:
        if self.random.random() < 0.2:
            self.counter += 1
            return f"{name}{self.counter % 3}: "
        return ""

    def _selection(self, type_, depth: int) -> str:
        named = get_named_type(type_)
        if is_leaf_type(named):
            return ""
        rng = self.random
        if hasattr(named, "types") or named.__class__.__name__ == "GraphQLInterfaceType":
            implementations = self.schema.get_possible_types(named)
            inner = ["__typename"]
            if hasattr(named, "fields"):
                inner += self._fields(named, depth, limit=2)
            for implementation in implementations:
                if rng.random() < 0.7:
                    inner.append(
                        f"... on {implementation.name} {{ {' '.join(self._fields(implementation, depth))} }}"
                    )
            return " { " + " ".join(inner) + " }"
        roll = rng.random()
        directive = ""
        if 0.25 <= roll < 0.32:
            variable = f"v{len(self.definitions)}"
            self.definitions.append(f"${variable}: Boolean!")
            self.variables[variable] = rng.random() < 0.5
            directive = f" @{rng.choice(['skip', 'include'])}(if: ${variable})"
        fields = self._fields(named, depth, directive=directive)
        if roll < 0.15:
            name = f"F{len(self.fragments)}"
            self.fragments.append(f"fragment {name} on {named.name} {{ {' '.join(fields)} }}")
            return f" {{ ...{name} }}"
        if roll < 0.25:
            return f" {{ ... on {named.name} {{ {' '.join(fields)} }} }}"
        return " { " + " ".join(fields) + " }"

    def _fields(self, object_type, depth: int, limit: int = 4, directive: str = "") -> list[str]:
        rng = self.random
        names = sorted(object_type.fields)
        if depth >= 3:
            names = [n for n in names if is_leaf_type(get_named_type(object_type.fields[n].type))] or names[
                :1
            ]
        chosen = rng.sample(names, k=min(len(names), rng.randint(1, limit)))
        parts = []
        for name in chosen:
            field = object_type.fields[name]
            if any(isinstance(a.type, GraphQLNonNull) for a in field.args.values()):
                continue
            arguments = ""
            if name == "delivery" and rng.random() < 0.5:
                arguments = f'(zip: "{rng.choice(["94111", "10001"])}")'
            parts.append(
                self._alias(name)
                + name
                + arguments
                + (directive if not parts else "")
                + self._selection(field.type, depth + 1)
            )
        if object_type.name == "Citizen" and self.inject.random() < 0.2:
            # Past identity's depth limit once inside an entity fetch: an error injected in that subgraph.
            parts.append(INJECTED_ERROR)
        return parts or ["__typename"]


def generate(
    schema: GraphQLSchema, seed: int = SEED, count: int = COUNT
) -> list[tuple[str, str, dict | None]]:
    generator = Generator(schema, seed)
    return [generator.operation(index) for index in range(count)]


def main() -> None:
    operations = generate(build_schema(API_SDL.read_text()))
    CORPUS.write_text(json.dumps([list(op) for op in operations], indent=1) + "\n")


if __name__ == "__main__":
    main()
