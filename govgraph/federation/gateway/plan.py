"""Query planning: split one operation into subgraph fetches (root fields to their owners, entity hops
through `_entities`), each printed once as a subgraph document. Plans are cached per (document, operation).

A fetch's children run after it, over the entities its answer put at `path`; a field with @requires is
fetched by a child of whichever fetch supplies the required fields. A fragment spread again where its
fields are already planned is skipped (the spec's CollectFields skips visited fragments the same way), so
planning is linear in the document however often fragments spread one another."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    Visitor,
    print_ast,
    visit,
)

from govgraph.federation.gateway.supergraph import Supergraph, list_depth, named_type

LIST = "@"  # a path step that fans out over a list's items


class PlanningError(Exception):
    """The operation needs something the supergraph cannot route (a field no reachable subgraph resolves)."""


@dataclass
class Out:
    """A selection in a subgraph document being built: a field, or an inline fragment (`name` None)."""

    key: str  # response key (alias or name), or the fragment's type condition ("" for none)
    name: str | None
    node: FieldNode | InlineFragmentNode | None = None  # arguments and directives are copied from it
    children: list[Out] | None = None

    def find(self, key: str, name: str | None) -> Out | None:
        for child in self.children or ():
            if child.key == key and child.name == name and (child.node is None or name is None):
                return child
        return None


@dataclass
class Fetch:
    subgraph: str
    path: tuple[str, ...] = ()
    entity_type: str | None = None  # None: a root fetch
    representation: list[SelectionSetNode] = field(default_factory=list)  # keys and @requires to send
    typename: str | None = None  # __typename to send when it differs (an @interfaceObject hop)
    accepts: frozenset[str] = frozenset()  # the __typenames of objects this entity fetch applies to
    selections: Out = field(default_factory=lambda: Out("", None, children=[]))
    children: list[Fetch] = field(default_factory=list)
    operation: str = "query"
    document: str = ""
    variables: tuple[str, ...] = ()
    # For an entity fetch batched with others into one request: its selection and variable definitions.
    body: str = ""
    declared: tuple[str, ...] = ()

    def walk(self) -> Iterator[Fetch]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Plan:
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    roots: list[Fetch]
    sequential: bool  # mutations: root fetches one after another
    introspection: bool  # the root selects __schema or __type
    # The shaper's steps for each (selection set, type) it met, worked out once for all the plan's requests.
    projections: dict = field(default_factory=dict, repr=False, compare=False)


class Planner:
    def __init__(self, supergraph: Supergraph) -> None:
        self.graph = supergraph

    def plan(self, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]) -> Plan:
        self.fragments = fragments
        # Fragment spreads already planned, by where they were planned: planning one again there adds nothing.
        self.planned: dict[tuple, set[int]] = {}
        # A subscription (one root field: validation saw to it) is a root fetch the subgraph streams; each
        # of its events then runs the root fetch's children like a query's answer (see subscriptions.py).
        root_type = {
            OperationType.QUERY: "Query",
            OperationType.MUTATION: "Mutation",
            OperationType.SUBSCRIPTION: "Subscription",
        }[operation.operation]
        roots: list[Fetch] = []
        introspection = False
        sequential = operation.operation == OperationType.MUTATION
        for node, wrapped in self._flatten(operation.selection_set):
            if node.name.value in ("__schema", "__type"):
                introspection = True
                continue
            if node.name.value == "__typename":
                continue
            merged = self.graph.types[root_type].fields[node.name.value]
            owners = list(merged.sites)
            if not owners:
                raise PlanningError(f'no subgraph resolves "{root_type}.{node.name.value}"')
            if sequential:
                # Mutations run in order: only consecutive fields of one subgraph share a fetch.
                fetch = roots[-1] if roots and roots[-1].subgraph == owners[0] else None
            else:
                fetch = next((f for f in roots if f.subgraph in owners), None)
            if fetch is None:
                fetch = Fetch(owners[0], operation=operation.operation.value)
                roots.append(fetch)
            self._plan_set(root_type, [wrapped], fetch.subgraph, fetch.selections, fetch, (), None)
        for root in roots:
            for fetch in root.walk():
                self._print(fetch, operation)
        return Plan(operation, fragments, roots, sequential, introspection)

    def _flatten(
        self, selection_set: SelectionSetNode, visited: set[tuple[str, str]] | None = None
    ) -> list[tuple[FieldNode, FieldNode | InlineFragmentNode]]:
        """Root fields (to route each to its owner), each with the selection to plan: the field itself, or
        the field inside copies of the root fragments that carry @skip/@include around it. `visited`: the
        fragment spreads (name, directives) already flattened under the same directives, skipped."""
        visited = set() if visited is None else visited
        found = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found.append((selection, selection))
                continue
            if isinstance(selection, FragmentSpreadNode):
                spread = (selection.name.value, _printed(selection.directives))
                if spread in visited:
                    continue
                visited.add(spread)
            fragment = self._fragment(selection)
            # Inside a fragment with directives, fields are wrapped in them: what was visited outside differs.
            inner = set() if selection.directives else visited
            for node, wrapped in self._flatten(fragment.selection_set, inner):
                if selection.directives:
                    wrapped = InlineFragmentNode(
                        type_condition=None,
                        directives=selection.directives,
                        selection_set=SelectionSetNode(selections=(wrapped,)),
                    )
                found.append((node, wrapped))
        return found

    def _fragment(self, selection) -> InlineFragmentNode | FragmentDefinitionNode:
        if isinstance(selection, FragmentSpreadNode):
            return self.fragments[selection.name.value]
        return selection

    # -- the planner's core ---------------------------------------------------------------------------------

    def _plan_set(
        self,
        parent: str,
        selections,
        subgraph: str,
        out: Out,
        fetch: Fetch,
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
        exclude: str | None = None,
    ) -> set[int]:
        """Plan `selections` on `parent` within `fetch` (a document for `subgraph`), adding to `out`.
        Returns the ids of the fetches that supply these fields (for @requires ordering)."""
        suppliers = {id(fetch)}
        if self.graph.is_abstract(parent):  # the shaper needs each object's type
            self._emit(out, Out("__typename", "__typename"))
        for selection in selections:
            if isinstance(selection, FieldNode):
                suppliers |= self._plan_field(
                    parent, selection, subgraph, out, fetch, path, provided, exclude
                )
                continue
            where = None
            if isinstance(selection, FragmentSpreadNode):
                name, directives = selection.name.value, _printed(selection.directives)
                where = (id(out), parent, name, directives, subgraph, id(fetch), path, id(provided), exclude)
                if where in self.planned:
                    suppliers |= self.planned[where]
                    continue
                self.planned[where] = set()  # while planning it: a cycle (refused by validation) stops here
            fragment = self._fragment(selection)
            condition = fragment.type_condition.name.value if fragment.type_condition else parent
            directives = selection.directives
            planned: set[int] = set()
            for target in self._applicable(parent, condition):
                if target == parent:
                    wrapper = (
                        self._emit(out, Out("", "", _directives_only(selection), [])) if directives else out
                    )
                else:
                    if not self._knows(subgraph, target):
                        continue  # this subgraph never returns that type
                    wrapper = self._emit(out, Out(target, "", _fragment_on(target, selection), []))
                planned |= self._plan_set(
                    target,
                    fragment.selection_set.selections,
                    subgraph,
                    wrapper,
                    fetch,
                    path,
                    provided,
                    exclude,
                )
            if where is not None:
                self.planned[where] = planned
            suppliers |= planned
        return suppliers

    def _knows(self, subgraph: str, type_name: str) -> bool:
        composite = self.graph.types.get(type_name)
        return composite is not None and subgraph in composite.subgraphs

    def _applicable(self, parent: str, condition: str) -> list[str]:
        """The types to plan a fragment's selections on, given the parent and the fragment's condition."""
        if condition == parent:
            return [parent]
        graph = self.graph
        if not graph.is_abstract(parent):
            if condition in graph.possible_types and parent not in graph.possible_types[condition]:
                return []
            return [parent] if graph.is_abstract(condition) else []
        if not graph.is_abstract(condition):
            return [condition] if condition in graph.possible_types[parent] else []
        return [t for t in graph.possible_types[parent] if t in graph.possible_types[condition]]

    def _plan_field(
        self,
        parent: str,
        node: FieldNode,
        subgraph: str,
        out: Out,
        fetch: Fetch,
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
        exclude: str | None,
    ) -> set[int]:
        name = node.name.value
        key = node.alias.value if node.alias else name
        if name == "__typename":
            self._emit(out, Out(key, name, node))
            return {id(fetch)}
        composite = self.graph.types[parent]
        merged = composite.fields.get(name)
        if merged is None:
            raise PlanningError(f'no subgraph resolves "{parent}.{name}"')
        site = merged.sites.get(subgraph) if subgraph != exclude else None
        provided_here = _sub_selection(provided, name)
        local = (site is not None and site.requires is None) or (
            provided_here is not None and subgraph in merged.external
        )
        if local:
            return self._local(merged, node, subgraph, out, fetch, path, site, provided_here)
        return self._hop(parent, node, subgraph, out, fetch, path)

    def _local(
        self,
        merged,
        node: FieldNode,
        subgraph: str,
        out: Out,
        fetch: Fetch,
        path: tuple[str, ...],
        site,
        provided_here: SelectionSetNode | None,
    ) -> set[int]:
        """The field resolved by `subgraph` itself, in `fetch`'s document."""
        key = node.alias.value if node.alias else node.name.value
        if node.selection_set is None:
            self._emit(out, Out(key, node.name.value, node))
            return {id(fetch)}
        target = self._emit(out, Out(key, node.name.value, node, []))
        child_path = path + (key,) + (LIST,) * list_depth(merged.type)
        child_provided = site.provides if site is not None and site.provides is not None else provided_here
        return self._plan_set(
            named_type(merged.type),
            node.selection_set.selections,
            subgraph,
            target,
            fetch,
            child_path,
            child_provided,
        )

    def _hop(
        self, parent: str, node: FieldNode, subgraph: str, out: Out, fetch: Fetch, path: tuple[str, ...]
    ) -> set[int]:
        """An entity fetch to a subgraph that resolves the field, keyed by fields this subgraph can give."""
        graph = self.graph
        name = node.name.value
        merged = graph.types[parent].fields[name]
        targets = list(merged.sites)
        if graph.is_abstract(parent):
            targets = [t for t in targets if t in graph.types[parent].interface_object_in]
            if not targets:
                # Resolved per implementation: plan the field under each object type this subgraph returns.
                suppliers: set[int] = set()
                for concrete in graph.possible_types[parent]:
                    if self._knows(subgraph, concrete):
                        wrapper = self._emit(out, Out(concrete, "", _fragment_on(concrete, None), []))
                        suppliers |= self._plan_field(
                            concrete, node, subgraph, wrapper, fetch, path, None, None
                        )
                return suppliers
        for target in targets:
            if target == subgraph and merged.sites[target].requires is None:
                continue
            entity, typename = parent, None
            interface = None if graph.is_abstract(parent) else graph.entity_interface(parent, target)
            if interface is not None and target not in graph.types[parent].subgraphs:
                entity, typename = interface, interface
            elif graph.is_abstract(parent):
                typename = parent
            key = self._usable_key(entity, target, subgraph)
            if key is None:
                continue
            self._emit(out, Out("__typename", "__typename"))
            self._plan_set(parent, key.selections, subgraph, out, fetch, path, None)
            depends_on = fetch
            site = merged.sites[target]
            representation = [key]
            if site.requires is not None:
                suppliers = self._plan_set(
                    parent, site.requires.selections, subgraph, out, fetch, path, None, exclude=target
                )
                depends_on = self._latest(fetch, suppliers, path)
                representation.append(site.requires)
            child = self._child(depends_on, target, path, parent, typename, representation)
            wrapper = self._emit(child.selections, Out(entity, "", _fragment_on(entity, None), []))
            return {id(child)} | self._local(merged, node, target, wrapper, child, path, site, None)
        raise PlanningError(
            f'field "{parent}.{name}" cannot be reached from subgraph "{subgraph}": no key of '
            f'"{parent}" that a resolving subgraph ({", ".join(merged.sites) or "none"}) accepts'
        )

    def _latest(self, fetch: Fetch, suppliers: set[int], path: tuple[str, ...]) -> Fetch:
        """The fetch a dependent fetch must follow: the deepest supplier of its required fields."""
        latest = fetch
        for candidate in fetch.walk():
            if id(candidate) in suppliers and candidate.path == path:
                latest = candidate
        return latest

    def _child(
        self,
        parent_fetch: Fetch,
        subgraph: str,
        path: tuple[str, ...],
        entity_type: str,
        typename: str | None,
        representation: list[SelectionSetNode],
    ) -> Fetch:
        for child in parent_fetch.children:
            if (child.subgraph, child.path, child.entity_type, child.typename) == (
                subgraph,
                path,
                entity_type,
                typename,
            ):
                for selection in representation:
                    if all(print_ast(selection) != print_ast(s) for s in child.representation):
                        child.representation.append(selection)
                return child
        accepts = frozenset({entity_type, *self.graph.possible_types.get(entity_type, ())})
        child = Fetch(subgraph, path, entity_type, list(representation), typename, accepts)
        parent_fetch.children.append(child)
        return child

    def _usable_key(self, entity: str, target: str, subgraph: str) -> SelectionSetNode | None:
        for key in self.graph.types[entity].keys.get(target, ()):
            if all(self._resolvable(entity, s, subgraph) for s in key.selections):
                return key
        return None

    def _resolvable(self, type_name: str, node: FieldNode, subgraph: str) -> bool:
        merged = self.graph.types[type_name].fields.get(node.name.value)
        if merged is None or subgraph not in merged.sites or merged.sites[subgraph].requires is not None:
            return False
        if node.selection_set is None:
            return True
        child = named_type(merged.type)
        return all(self._resolvable(child, s, subgraph) for s in node.selection_set.selections)

    @staticmethod
    def _emit(out: Out, item: Out) -> Out:
        """Add `item` under `out`, merging with an equal selection already there."""
        for existing in out.children:
            if existing.key != item.key or existing.name != item.name:
                continue
            if item.name == "":  # fragments merge when their directives match
                if print_ast(existing.node) == print_ast(item.node):
                    return existing
                continue
            if existing.node is None or item.node is None or _same_call(existing.node, item.node):
                if existing.node is None:
                    existing.node = item.node
                return existing
        out.children.append(item)
        return item

    # -- printing -----------------------------------------------------------------------------------------

    def _print(self, fetch: Fetch, operation: OperationDefinitionNode) -> None:
        body = _print_selections(fetch.selections.children)
        used = _variables_in(fetch.selections)
        definitions = [d for d in operation.variable_definitions or () if d.variable.name.value in used]
        fetch.variables = tuple(d.variable.name.value for d in definitions)
        declared = [print_ast(d) for d in definitions]
        fetch.body, fetch.declared = body, tuple(declared)
        if fetch.entity_type is None:
            head = fetch.operation + (f"({','.join(declared)})" if declared else "")
            fetch.document = f"{head}{{{body}}}"
        else:
            head = "query(" + ",".join(["$representations:[_Any!]!", *declared]) + ")"
            fetch.document = f"{head}{{_entities(representations:$representations){{{body}}}}}"


def _printed(directives) -> str:
    return " ".join(print_ast(directive) for directive in directives or ())


def _same_call(a: FieldNode, b: FieldNode) -> bool:
    return (
        a.name.value == b.name.value
        and [print_ast(x) for x in a.arguments or ()] == [print_ast(x) for x in b.arguments or ()]
        and [print_ast(d) for d in a.directives or ()] == [print_ast(d) for d in b.directives or ()]
    )


def _directives_only(selection) -> InlineFragmentNode:
    return InlineFragmentNode(
        type_condition=None, directives=selection.directives, selection_set=SelectionSetNode(selections=())
    )


def _fragment_on(type_name: str, selection) -> InlineFragmentNode:
    return InlineFragmentNode(
        type_condition=NamedTypeNode(name=NameNode(value=type_name)),
        directives=getattr(selection, "directives", None) or (),
        selection_set=SelectionSetNode(selections=()),
    )


def _sub_selection(provided: SelectionSetNode | None, name: str) -> SelectionSetNode | None:
    if provided is None:
        return None
    for selection in provided.selections:
        if isinstance(selection, FieldNode) and selection.name.value == name:
            return selection.selection_set or SelectionSetNode(selections=())
    return None


def _print_selections(items: list[Out]) -> str:
    parts = []
    for item in items:
        if item.name == "":
            fragment = item.node
            head = "..." + (f" on {fragment.type_condition.name.value}" if fragment.type_condition else "")
            head += "".join(" " + print_ast(d) for d in fragment.directives or ())
            parts.append(f"{head}{{{_print_selections(item.children)}}}")
            continue
        text = f"{item.key}:{item.name}" if item.key != item.name else item.name
        if item.node is not None and isinstance(item.node, FieldNode):
            if item.node.arguments:
                text += "(" + ",".join(print_ast(a) for a in item.node.arguments) + ")"
            text += "".join(" " + print_ast(d) for d in item.node.directives or ())
        if item.children is not None:
            text += f"{{{_print_selections(item.children)}}}"
        parts.append(text)
    return " ".join(parts)


class _Variables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node: VariableNode, *_args) -> None:
        self.names.add(node.name.value)


def _variables_in(out: Out) -> set[str]:
    names: set[str] = set()
    for item in out.children or ():
        if item.node is not None:
            if isinstance(item.node, FieldNode):
                visitor = _Variables()
                for part in (*(item.node.arguments or ()), *(item.node.directives or ())):
                    visit(part, visitor)
                names |= visitor.names
            elif isinstance(item.node, InlineFragmentNode):
                visitor = _Variables()
                for part in item.node.directives or ():
                    visit(part, visitor)
                names |= visitor.names
        names |= _variables_in(item)
    return names


__all__ = ["LIST", "Fetch", "Plan", "Planner", "PlanningError"]
