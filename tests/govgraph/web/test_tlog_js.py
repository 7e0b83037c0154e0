"""The browser's Merkle code (static/tlog.js) agrees with the ledger's (govgraph/ledger/merkle.py) on a
65,800-entry ledger served by the real `govgraph serve`: roots, inclusion proofs and consistency proofs
rebuilt from tiles at tile levels 0 and 1 (partial and full tiles, sizes around powers of two and tile edges)
are byte for byte the Python ones, the browser's verifiers accept them and refuse them with one hash altered;
and the readers of untrusted bytes, in the browser (checkpoints, keys, entry bundles: read or refused with
CheckFailed, never another error) and on the server (readable_entry, _head), take any input."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
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


# What the browser makes of untrusted bytes: "ok" (read), "refused" (CheckFailed) or the unexpected error.
READ = """async ([kind, text, bytes, vkey]) => {
  const tlog = await import(location.origin + "/static/tlog.js");
  try {
    if (kind === "checkpoint") await tlog.openCheckpoint(text, await tlog.parseVkey(vkey));
    else if (kind === "vkey") await tlog.parseVkey(text, { cosigner: true });
    else await new tlog.TiledTree(3, async () => Uint8Array.from(bytes)).entry(2);
    return "ok";
  } catch (error) {
    return error instanceof tlog.CheckFailed ? "refused" : `${error.name}: ${error.message}`;
  }
}"""


@pytest.fixture(scope="module")
def module_page(served, chromium) -> Iterator[tuple[object, str, str]]:
    """One page on the service (the module is imported from its origin), the courts log's checkpoint and
    vkey."""
    server, _ = served
    context = chromium.new_context()
    page = context.new_page()
    page.goto(server.url + "/explorer/courts")
    vkey = page.locator("section[data-vkey]").get_attribute("data-vkey")
    checkpoint = httpx.get(server.url + "/ledgers/courts/checkpoint").text
    try:
        yield page, checkpoint, vkey
    finally:
        context.close()


@st.composite
def edited(draw, original: str) -> str:
    """`original` with a few characters replaced, inserted or cut."""
    text = original
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        what = draw(st.sampled_from(["replace", "insert", "cut"]))
        piece = draw(st.text(max_size=3))
        if what == "cut":
            text = text[:at]
        elif what == "insert":
            text = text[:at] + piece + text[at:]
        else:
            text = text[:at] + piece + text[at + 1 :]
    return text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_browser_refuses_malformed_checkpoints_keys_and_bundles_cleanly(module_page, data) -> None:
    page, checkpoint, vkey = module_page
    kind = data.draw(st.sampled_from(["checkpoint", "vkey", "bundle"]))
    text = data.draw(edited(checkpoint) if kind == "checkpoint" else edited(vkey) | st.text(max_size=80))
    bundle = data.draw(st.binary(max_size=40), label="bundle") if kind == "bundle" else b""
    outcome = page.evaluate(READ, [kind, text, list(bundle), vkey])
    assert outcome in ("ok", "refused")
    if kind == "checkpoint" and outcome == "ok":
        # Read only if the signed part is intact: log signature lines and body untouched.
        signed = checkpoint.split("\n\n")[0]
        assert text.startswith(signed + "\n\n")
