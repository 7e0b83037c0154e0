"""The Apollo subgraph compatibility suite's three subgraphs (products, users, inventory) re-created with
our kit.

Schemas and data follow the suite's COMPATIBILITY.md (products is the subgraph under test; users and
inventory are the suite's reference subgraphs, re-created in Python so the gateway tests need no Docker)."""
