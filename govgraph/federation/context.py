"""What every resolver sees as `info.context`: the request, the caller, the database sessions and per-request
loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from govgraph.federation.dataloaders import Loaders
from govgraph.federation.principal import ANONYMOUS, Principal


@dataclass(slots=True)
class RequestContext:
    request: Request | WebSocket
    response: Response | WebSocket | None
    # None for subgraphs without storage (the compliance fixtures).
    sessions: async_sessionmaker | None
    loaders: Loaders = field(default_factory=Loaders)
    # Who sent the request (govgraph.auth establishes it from the headers); anonymous until then.
    principal: Principal = ANONYMOUS
    # What mutations write through (the app's write paths, by agency); None where nothing is written. The kit
    # passes it along and never looks inside.
    writes: Any = None
    # The app's services resolvers call beyond storage and writes (e.g. the credential issuer and verifier);
    # None where the app runs none. Passed along like `writes`.
    services: Any = None
