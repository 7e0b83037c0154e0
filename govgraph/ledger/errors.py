"""The root of every ledger failure, so a caller can catch the whole ledger's errors with one class."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every exception the ledger raises on purpose (each subclass keeps its built-in base too)."""
