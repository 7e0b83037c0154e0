"""govgraph: verifiable government services over federated GraphQL."""

__version__ = "0.1.0"
