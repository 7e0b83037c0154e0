"""The embedded gateway: composes subgraphs, plans operations and executes them in-process or over HTTP.

`Gateway.execute` takes a GraphQL request and answers the body Hive Gateway would answer for it. The parts:
composition (subgraph SDLs -> Supergraph), plan, execute and shape, transports (with dedup), endpoint."""

from govgraph.federation.gateway.composition import compose
from govgraph.federation.gateway.engine import Gateway
from govgraph.federation.gateway.plan import PlanningError
from govgraph.federation.gateway.supergraph import CompositionError, SubgraphSource, Supergraph

__all__ = ["CompositionError", "Gateway", "PlanningError", "SubgraphSource", "Supergraph", "compose"]
