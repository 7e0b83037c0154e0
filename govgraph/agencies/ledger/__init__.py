"""The ledger subgraph: every agency's log (entries, checkpoints, receipts, proofs) served through GraphQL."""
