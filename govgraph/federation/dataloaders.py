"""Per-request DataLoaders, so N entity representations or N parent rows cost one query, not N.

Strawberry's `_entities` calls `resolve_reference` once per representation, serially; each call returns
`loader.load(key)` and the loader batches every key asked for in the same event-loop tick."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

BatchLoad = Callable[[Sequence[Any]], Awaitable[Sequence[Any]]]


class Loaders:
    """The DataLoaders of one request, one per name. Never shared between requests: a loader caches."""

    def __init__(self) -> None:
        self._loaders: dict[Hashable, DataLoader] = {}

    def get(self, name: Hashable, batch_load: BatchLoad) -> DataLoader:
        loader = self._loaders.get(name)
        if loader is None:
            loader = self._loaders[name] = DataLoader(load_fn=batch_load)
        return loader


def by_key(rows: Sequence[Any], keys: Sequence[Any], key: Callable[[Any], Any]) -> list[Any]:
    """Rows reordered to match `keys` (a DataLoader's contract), None where a key has no row."""
    index = {key(row): row for row in rows}
    return [index.get(k) for k in keys]


def grouped_by_key(rows: Sequence[Any], keys: Sequence[Any], key: Callable[[Any], Any]) -> list[list[Any]]:
    """Rows grouped per key, in `keys` order (for one-to-many loads)."""
    groups: dict[Any, list[Any]] = {k: [] for k in keys}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return [groups[k] for k in keys]
