"""One root for the ledger's failures: every ledger exception is a LedgerError and keeps its built-in base."""

from __future__ import annotations

import pytest

from govgraph.ledger.checkpoint import CheckpointError, QuorumNotMet
from govgraph.ledger.errors import LedgerError
from govgraph.ledger.keys import KeyFileError
from govgraph.ledger.log import EntryTooLarge, LogError, LogExists, LogNotFound, NotIntegrated
from govgraph.ledger.merkle import ProofError
from govgraph.ledger.note import MalformedNote, NoteError
from govgraph.ledger.receipt import ReceiptError
from govgraph.ledger.tiles import MissingHash, TilePathError
from govgraph.ledger.witness import SplitView


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (CheckpointError, ValueError),
        (QuorumNotMet, ValueError),
        (KeyFileError, LookupError),
        (LogError, Exception),
        (LogNotFound, LookupError),
        (LogExists, Exception),
        (EntryTooLarge, ValueError),
        (NotIntegrated, ValueError),
        (ProofError, ValueError),
        (NoteError, ValueError),
        (MalformedNote, ValueError),
        (ReceiptError, ValueError),
        (TilePathError, ValueError),
        (MissingHash, LookupError),
        (SplitView, Exception),
    ],
)
def test_every_ledger_error_is_a_ledger_error_and_keeps_its_builtin_base(error, builtin):
    assert issubclass(error, LedgerError)
    assert issubclass(error, builtin)
