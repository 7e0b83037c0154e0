"""GraphQL documents checked before any work that grows with them, for the subgraphs and the gateway alike:
a token budget at parse, the limits measured (limits.py), then validation with a budget for its one
quadratic check; and the caches of the results, bounded by the bytes of query text they keep."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator, Sequence
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    specified_rules,
    validate,
)
from graphql.validation import ASTValidationRule, OverlappingFieldsCanBeMergedRule
from graphql.validation.validate import ValidationAbortedError

from govgraph.federation.errors import ErrorCode
from govgraph.federation.limits import Limits, check_limits

# A parsed document takes about 150 bytes of memory per byte of dense query text (its tokens and nodes), so
# a cache's bytes of text, not its entries, are what bound its memory: 256 KB of text is at most ~40 MB of
# documents, and hundreds of ordinary queries. A query longer than CACHE_ENTRY_BYTES is never kept.
CACHE_BYTES = 256_000
CACHE_ENTRY_BYTES = 64_000
CACHE_ENTRIES = 1024


class DocumentCache:
    """A least-recently-used map keyed by query text (or by a tuple starting with it), bounded by the total
    length of the texts it keeps and by entries. `put` of a text longer than `max_entry_bytes` keeps nothing.
    Lengths are counted in characters, which for the ASCII of GraphQL documents are bytes."""

    def __init__(
        self,
        max_bytes: int = CACHE_BYTES,
        max_entry_bytes: int = CACHE_ENTRY_BYTES,
        max_entries: int = CACHE_ENTRIES,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.max_entries = max_entries
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._entries)

    def __getitem__(self, key: Hashable) -> Any:
        """The value kept under `key`, looked at without counting a hit or refreshing it."""
        return self._entries[key][0]

    def get(self, key: Hashable) -> Any:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: Hashable, value: Any, size: int) -> Any:
        """Keep `value` under `key` (`size`: the length of its query text); returns `value`."""
        if size > self.max_entry_bytes or size > self.max_bytes:
            return value
        previous = self._entries.pop(key, None)
        if previous is not None:
            self.bytes -= previous[1]
        self._entries[key] = (value, size)
        self.bytes += size
        while self.bytes > self.max_bytes or len(self._entries) > self.max_entries:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.bytes -= evicted
        return value


class MergeCheckTooComplex(ValidationAbortedError):
    """Validation stopped because checking that fields merge would take more steps than the limit allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"Checking that the document's fields can be merged takes more than {limit} steps; "
            f"the limit is {limit}.",
            extensions={"code": ErrorCode.QUERY_TOO_COMPLEX.value},
        )


def bounded_merge_rule(limits: Limits) -> type[ASTValidationRule]:
    """OverlappingFieldsCanBeMerged with `limits.max_merge_steps` as its budget: the rule compares fields of
    one response name pairwise, and 1,000 repeats of one field would otherwise take seconds."""
    budget = limits.max_merge_steps

    class BoundedOverlappingFieldsCanBeMerged(OverlappingFieldsCanBeMergedRule):
        def __init__(self, context) -> None:
            super().__init__(context)
            self.rule_context.remaining_complexity_budget = budget

        def enter_selection_set(self, *args) -> None:
            try:
                super().enter_selection_set(*args)
            except ValidationAbortedError:
                if self.rule_context.remaining_complexity_budget >= 0:
                    raise  # aborted for another reason (too many errors)
                raise MergeCheckTooComplex(budget) from None

    return BoundedOverlappingFieldsCanBeMerged


def validation_rules(
    limits: Limits, extra: Sequence[type[ASTValidationRule]] = ()
) -> tuple[type[ASTValidationRule], ...]:
    """graphql-core's specified rules with the field-merging check bounded by `limits`, then `extra`.
    Build it once per schema: the rule classes are part of a validation's identity."""
    bounded = bounded_merge_rule(limits)
    rules = tuple(bounded if rule is OverlappingFieldsCanBeMergedRule else rule for rule in specified_rules)
    return (*rules, *extra)


def validate_document(
    schema: GraphQLSchema,
    document: DocumentNode,
    limits: Limits,
    rules: Sequence[type[ASTValidationRule]],
    *,
    suggestions: bool = True,
) -> list[GraphQLError]:
    """The limits first (linear, before anything expands a fragment), then validation with `rules`;
    without `suggestions`, no "Did you mean ...?" (they map the schema for whoever asks)."""
    errors: list[GraphQLError] = list(check_limits(schema, document, limits))
    if errors:
        return errors
    return validate(schema, document, rules, hide_suggestions=not suggestions)


__all__ = [
    "CACHE_BYTES",
    "CACHE_ENTRIES",
    "CACHE_ENTRY_BYTES",
    "DocumentCache",
    "MergeCheckTooComplex",
    "bounded_merge_rule",
    "validate_document",
    "validation_rules",
]
