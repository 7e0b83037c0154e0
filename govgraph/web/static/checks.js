// "Verify in your browser": reads what to check from a section's data-* attributes (ledger, log key,
// witness keys, optionally an entry and its index), fetches the signed checkpoint and the tiles, and shows
// each check's outcome as <li data-check="verified|failed" data-name="..."> with a sentence. Checkpoints
// seen before are kept in localStorage, so a later one that does not extend them (a split view) is caught.
// The log key is the page's unless the reader pinned one (pasted, kept in localStorage per origin); the
// signature check's sentence says which key was used.

import {
  CheckFailed,
  TiledTree,
  checkCosignatures,
  equalBytes,
  fromBase64,
  leafHash,
  openCheckpoint,
  parseVkey,
  rootFromInclusionProof,
  toBase64,
  toHex,
  verifyConsistency,
} from "./tlog.js";

const STORE = "govgraph.checkpoints.v1";
const PINS = "govgraph.logkeys.v1";

function stored(key) {
  try {
    const all = JSON.parse(localStorage.getItem(key) || "{}");
    return all && typeof all === "object" && !Array.isArray(all) ? all : {};
  } catch {
    return {};
  }
}

function pinnedKey(origin) {
  const pin = stored(PINS)[origin];
  if (!pin || typeof pin.vkey !== "string") return null;
  return { vkey: pin.vkey, pinnedAt: String(pin.pinnedAt || "") };
}

function setPin(origin, vkey) {
  const all = stored(PINS);
  if (vkey === null) delete all[origin];
  else all[origin] = { vkey, pinnedAt: new Date().toISOString() };
  localStorage.setItem(PINS, JSON.stringify(all));
}

// The key a section's checks use, and the words that say where it came from.
function logKeyOf(section) {
  const pin = pinnedKey(section.dataset.origin);
  if (pin === null) {
    return {
      vkey: section.dataset.vkey,
      source: "the log key this page names (not pinned: paste the key the agency publishes to pin it)",
    };
  }
  const differs = pin.vkey !== section.dataset.vkey ? "; the page itself names another key" : "";
  return { vkey: pin.vkey, source: `the log key you pinned in this browser on ${pin.pinnedAt}${differs}` };
}

class CheckList {
  constructor(list) {
    this.list = list;
    list.replaceChildren();
  }

  start(name, sentence) {
    const item = document.createElement("li");
    item.dataset.name = name;
    item.dataset.check = "pending";
    item.textContent = sentence;
    this.list.append(item);
    return {
      item,
      verified: (text) => this.finish(item, "verified", text),
      failed: (text) => this.finish(item, "failed", text),
      skipped: (text) => this.finish(item, "skipped", text),
    };
  }

  finish(item, outcome, text) {
    item.dataset.check = outcome;
    item.textContent = text;
  }
}

async function fetchBytes(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new CheckFailed(`the ledger did not serve ${url} (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

function why(error) {
  return error instanceof CheckFailed ? error.message : `the check could not run (${error.message || error})`;
}

function remembered(origin) {
  try {
    const all = JSON.parse(localStorage.getItem(STORE) || "{}");
    const seen = all[origin];
    if (!seen || !Number.isSafeInteger(seen.size) || typeof seen.root !== "string") return null;
    return { size: seen.size, root: fromBase64(seen.root), seenAt: String(seen.seenAt || "") };
  } catch {
    return null;
  }
}

function remember(origin, checkpoint) {
  let all = {};
  try {
    all = JSON.parse(localStorage.getItem(STORE) || "{}");
  } catch {
    all = {};
  }
  all[origin] = { size: checkpoint.size, root: toBase64(checkpoint.root), seenAt: new Date().toISOString() };
  localStorage.setItem(STORE, JSON.stringify(all));
}

async function checkConsistency(checks, origin, current, fetchTile) {
  const check = checks.start("consistency", "Comparing with the checkpoint this browser saw before…");
  const seen = remembered(origin);
  if (seen === null) {
    remember(origin, current);
    check.skipped(
      `This browser had not seen ledger ${origin} before; it keeps this checkpoint ` +
        `(tree size ${current.size}) to check that the next one it sees extends it.`,
    );
    return;
  }
  try {
    if (seen.size <= current.size) {
      const proof = await new TiledTree(current.size, fetchTile).consistencyProof(seen.size);
      await verifyConsistency(seen.size, current.size, seen.root, current.root, proof);
      remember(origin, current);
    } else {
      const proof = await new TiledTree(seen.size, fetchTile).consistencyProof(current.size);
      await verifyConsistency(current.size, seen.size, current.root, seen.root, proof);
    }
    check.verified(
      `The checkpoint of tree size ${current.size} and the one this browser saw before ` +
        `(tree size ${seen.size}) describe one history: the consistency proof rebuilt from the ledger's ` +
        "tiles verifies.",
    );
  } catch (error) {
    check.failed(
      `Split view: the checkpoint of tree size ${current.size} ` +
        `(root ${toHex(current.root).slice(0, 16)}…) ` +
        `does not extend the one this browser saw before (tree size ${seen.size}, root ` +
        `${toHex(seen.root).slice(0, 16)}…): ${why(error)}. Keep both as evidence and tell the witnesses.`,
    );
  }
}

async function checkEntry(checks, tree, index, shown, root) {
  const entryCheck = checks.start("entry", `Reading entry ${index} from the ledger's tiles…`);
  let leaf;
  try {
    const entry = await tree.entry(index);
    if (!equalBytes(entry, shown)) {
      throw new CheckFailed(`the ledger's tile holds a different entry ${index} than this page shows`);
    }
    leaf = await leafHash(entry);
    const stored = await tree.node(0, index);
    if (!equalBytes(leaf, stored)) {
      throw new CheckFailed("the entry's leaf hash is not the one the ledger's hash tile holds");
    }
    entryCheck.verified(
      `Entry ${index} in the ledger's tiles is the entry shown on this page; its leaf hash is ` +
        `${toHex(leaf)}.`,
    );
  } catch (error) {
    entryCheck.failed(`Entry ${index} could not be matched: ${why(error)}.`);
    leaf = await leafHash(shown);
  }
  const inclusion = checks.start("inclusion", `Rebuilding the inclusion proof of entry ${index}…`);
  try {
    const proof = await tree.inclusionProof(index);
    const computed = await rootFromInclusionProof(index, tree.size, leaf, proof);
    if (!equalBytes(computed, root)) {
      throw new CheckFailed("the proof leads to a different root than the signed checkpoint's");
    }
    inclusion.verified(
      `Entry ${index} is in the ledger: its inclusion proof (${proof.length} hashes, rebuilt from the ` +
        "tiles) " +
        `leads to the signed root of the tree of size ${tree.size}.`,
    );
  } catch (error) {
    inclusion.failed(
      `Entry ${index} is not proved to be in the signed tree of size ${tree.size}: ${why(error)}.`,
    );
  }
}

export async function verifySection(section) {
  section.dataset.verified = "running";
  try {
    await runChecks(section);
  } finally {
    section.dataset.verified = "done";
  }
}

async function runChecks(section) {
  const checks = new CheckList(section.querySelector("[data-checks]"));
  const base = section.dataset.base;
  const fetchTile = (path) => fetchBytes(`${base}/${path}`);
  const signature = checks.start("signature", "Fetching the ledger's checkpoint, checking its signature…");
  let opened;
  const used = logKeyOf(section);
  signature.item.dataset.key = used.vkey;
  try {
    if (!globalThis.crypto?.subtle) {
      throw new CheckFailed("this browser offers no WebCrypto on this page (it needs HTTPS)");
    }
    const logKey = await parseVkey(used.vkey);
    const text = new TextDecoder("utf-8", { fatal: true }).decode(await fetchBytes(`${base}/checkpoint`));
    opened = await openCheckpoint(text, logKey);
    signature.verified(
      `The checkpoint (tree size ${opened.size}, root ${toHex(opened.root)}) is signed by the ledger's key ` +
        `${logKey.name} (key ID ${logKey.id.toString(16).padStart(8, "0")}): its Ed25519 signature ` +
        `verifies under ${used.source}.`,
    );
  } catch (error) {
    signature.failed(`The ledger's checkpoint does not verify under ${used.source}: ${why(error)}.`);
    return;
  }
  const vkeys = (section.dataset.witnessVkeys || "").split(" ").filter(Boolean);
  if (vkeys.length) {
    const cosigning = checks.start("cosignatures", "Checking the witnesses' cosignatures…");
    try {
      const keys = await Promise.all(vkeys.map((v) => parseVkey(v, { cosigner: true })));
      const { cosigned, invalid } = await checkCosignatures(opened, keys);
      if (invalid.length) throw new CheckFailed(`the cosignature of ${invalid.join(", ")} does not verify`);
      if (!cosigned.length) throw new CheckFailed("no witness cosigned it");
      cosigning.verified(
        `${cosigned.length} of ${keys.length} witnesses cosigned this checkpoint, each signature ` +
          `verified: ${cosigned.join(", ")}.`,
      );
    } catch (error) {
      cosigning.failed(`The witnesses' cosignatures do not hold: ${why(error)}.`);
    }
  }
  if (section.dataset.index !== undefined) {
    const index = Number(section.dataset.index);
    const tree = new TiledTree(opened.size, fetchTile);
    await checkEntry(checks, tree, index, fromBase64(section.dataset.entry), opened.root);
  }
  await checkConsistency(checks, opened.origin, opened, fetchTile);
}

// The pin form (hidden without script): a pasted key is checked to be a log key of this ledger's origin,
// kept, and the checks run again with it; "Forget" goes back to the page's key.
function pinForm(section) {
  const form = section.querySelector("form[data-pin]");
  if (!form) return;
  const input = form.querySelector("input[name=vkey]");
  const status = form.querySelector("[data-pin-status]");
  const origin = section.dataset.origin;
  input.value = pinnedKey(origin)?.vkey || "";
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const vkey = input.value.trim();
    try {
      const key = await parseVkey(vkey);
      if (key.name !== origin) throw new CheckFailed(`that key is for ${key.name}, not for ${origin}`);
    } catch (error) {
      status.textContent = `Not pinned: ${why(error)}. Paste the key exactly as the agency publishes it.`;
      return;
    }
    setPin(origin, vkey);
    status.textContent = `Pinned: the checks of ${origin} in this browser now use this key.`;
    verifySection(section);
  });
  form.querySelector("[data-unpin]").addEventListener("click", () => {
    setPin(origin, null);
    input.value = "";
    status.textContent = `Forgotten: the checks of ${origin} use the key this page names again.`;
    verifySection(section);
  });
}

for (const section of document.querySelectorAll("section[data-vkey]")) {
  pinForm(section);
  verifySection(section);
}
