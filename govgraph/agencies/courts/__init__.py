"""The courts: evidence notarization (document hashes on the courts ledger, RFC 3161 receipts)."""
