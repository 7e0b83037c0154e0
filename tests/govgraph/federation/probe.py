"""A small schema exercising the kit's edges (errors, scalars, recursion, lists, subscriptions) for tests."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncGenerator

import strawberry

from govgraph.federation.errors import Conflict, NotFound
from govgraph.federation.scalars import Base64, UInt64


@strawberry.type
class Tree:
    depth: int

    @strawberry.field
    def child(self) -> Tree:
        return Tree(depth=self.depth + 1)

    @strawberry.field
    def children(self, first: int = 10) -> list[Tree]:
        return [Tree(depth=self.depth + 1) for _ in range(first)]


@strawberry.type
class Query:
    @strawberry.field
    def tree(self) -> Tree:
        return Tree(depth=0)

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("database password is hunter2")

    @strawberry.field
    def missing(self) -> str:
        raise NotFound("No parcel 'p-9'.")

    @strawberry.field
    def taken(self) -> str:
        raise Conflict("Title already registered.")

    @strawberry.field
    def tree_size(self, size: UInt64) -> UInt64:
        return UInt64(size * 2)

    @strawberry.field
    def digest(self, data: Base64) -> Base64:
        return Base64(bytes(reversed(data)))

    @strawberry.field
    def next_day(self, day: datetime.date) -> datetime.date:
        return day + datetime.timedelta(days=1)


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self, count: int = 3) -> AsyncGenerator[int, None]:
        for tick in range(count):
            yield tick
            await asyncio.sleep(0)

    @strawberry.subscription
    async def forever(self) -> AsyncGenerator[int, None]:
        while True:
            yield 1
            await asyncio.sleep(0.5)
