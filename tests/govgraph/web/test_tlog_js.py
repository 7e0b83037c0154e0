"""The browser's Merkle code (static/tlog.js) agrees with the ledger's (govgraph/ledger/merkle.py) on a
65,800-entry ledger served by the real `govgraph serve`: roots, inclusion proofs and consistency proofs
rebuilt from tiles at tile levels 0 and 1 (partial and full tiles, sizes around powers of two and tile edges)
are byte for byte the Python ones, the browser's verifiers accept them and refuse them with one hash altered;
and the page's readers of checkpoints and entries (explorer.readable_entry, explorer._head) take any bytes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph.ledger import merkle
from govgraph.web.explorer import PREVIEW_CHARS, _head, readable_entry
from tests.govgraph.web.conftest import BIG
from tests.support.bulk_ledgers import bulk_entry

SIZE = BIG
# (tree size, leaf index, old size): edges of tiles (256 leaves, and 65,536 leaves a level-1 tile).
CASES = [
    (1, 0, 1),
    (3, 2, 1),
    (7, 3, 4),
    (256, 0, 255),
    (257, 256, 256),
    (600, 300, 257),
    (65536, 12345, 65535),
    (65537, 65536, 65536),
    (SIZE, SIZE - 1, 65537),
    (SIZE, 4242, 3),
]

COMPUTE = """async ([ledger, cases]) => {
  const tlog = await import(location.origin + "/static/tlog.js");
  const fetchTile = async (path) => {
    const response = await fetch(`/ledgers/${ledger}/${path}`);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  const refused = async (check) => { try { await check(); return false; } catch { return true; } };
  const altered = (proof) => proof.map((h, i) => (i === 0 ? h.map((b, j) => (j === 0 ? b ^ 1 : b)) : h));
  const out = [];
  for (const [size, index, old] of cases) {
    const tree = new tlog.TiledTree(size, fetchTile);
    const root = await tree.rangeHash(0, size);
    const inclusion = await tree.inclusionProof(index);
    const consistency = await tree.consistencyProof(old);
    const oldRoot = await new tlog.TiledTree(old, fetchTile).rangeHash(0, old);
    const leaf = await tlog.leafHash(await tree.entry(index));
    const included = tlog.equalBytes(await tlog.rootFromInclusionProof(index, size, leaf, inclusion), root);
    let consistent = true;
    try { await tlog.verifyConsistency(old, size, oldRoot, root, consistency); } catch { consistent = false; }
    out.push({
      root: tlog.toHex(root),
      inclusion: inclusion.map(tlog.toHex),
      consistency: consistency.map(tlog.toHex),
      included,
      consistent,
      inclusionAlteredRefused: inclusion.length === 0 || !tlog.equalBytes(
        await tlog.rootFromInclusionProof(index, size, leaf, altered(inclusion)), root),
      consistencyAlteredRefused: old === size ||
        await refused(() => tlog.verifyConsistency(old, size, oldRoot, root, altered(consistency))),
    });
  }
  return out;
}"""


def test_the_browser_rebuilds_the_ledgers_proofs_from_tiles(served, browser_page) -> None:
    server, _ = served
    leaves = [merkle.leaf_hash(bulk_entry(i)) for i in range(SIZE)]
    page = browser_page.page
    page.goto(server.url + "/explorer/big")
    computed = page.evaluate(COMPUTE, ["big", CASES])
    for (size, index, old), got in zip(CASES, computed, strict=True):
        assert got["root"] == merkle.root_hash(leaves[:size]).hex(), (size, index, old)
        assert got["inclusion"] == [h.hex() for h in merkle.inclusion_proof(leaves[:size], index)]
        assert got["consistency"] == [h.hex() for h in merkle.consistency_proof(leaves[:size], old)]
        assert got["included"] and got["consistent"], (size, index, old)
        assert got["inclusionAlteredRefused"] and got["consistencyAlteredRefused"], (size, index, old)
    assert browser_page.problems.all() == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600) | st.text(max_size=300).map(str.encode))
def test_any_entry_bytes_are_shown_without_error(data: bytes) -> None:
    shown = readable_entry(7, data)
    assert shown.index == 7
    assert len(shown.preview) <= PREVIEW_CHARS
    if not shown.is_json:
        try:
            assert shown.readable == data.decode("utf-8")
        except UnicodeDecodeError:
            assert shown.readable == data.hex()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=200).map(str.encode))
def test_any_checkpoint_bytes_are_read_without_error(data: bytes) -> None:
    head = _head(data)
    if head is not None:
        assert head.published.startswith(head.body[:-1])
        assert str(head.size) == head.body.split("\n")[1]
