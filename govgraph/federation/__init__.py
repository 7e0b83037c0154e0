"""The federation kit every agency subgraph is built with: schema factory, HTTP view, limits, errors,
tracing; and the embedded gateway (gateway/)."""
