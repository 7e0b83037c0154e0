// Transparency-log checks in the browser, with WebCrypto only: RFC 6962 / RFC 9162 Merkle trees, proofs
// rebuilt from c2sp.org/tlog-tiles tiles, C2SP signed notes (Ed25519, signature type 0x01) and
// tlog-cosignature cosignature/v1 (type 0x04). Nothing here trusts the server: every hash is recomputed.

const TILE_HEIGHT = 8;
const TILE_WIDTH = 256;
const HASH_SIZE = 32;
const ALG_ED25519 = 0x01;
const ALG_COSIGNATURE_V1 = 0x04;
const SIGNATURE_PREFIX = "\u2014 "; // EM DASH, SPACE (signed-note)
const encoder = new TextEncoder();

export class CheckFailed extends Error {}

export function fromBase64(text) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new CheckFailed("a value is not valid base64");
  }
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export function toBase64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function equalBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

// RFC 9162 §2.1.1: leaf and interior node hashes with their domain-separation prefixes.
export function leafHash(entry) {
  return sha256(concat(Uint8Array.of(0), entry));
}

export function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

function largestPowerOfTwoBelow(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n) {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

const half = (n) => Math.floor(n / 2);
const odd = (n) => n % 2 === 1;

// c2sp.org/tlog-tiles §Merkle Tree: N in 3-digit groups, all but the last prefixed with "x".
export function encodeIndex(index) {
  let digits = String(index);
  digits = "0".repeat((3 - (digits.length % 3)) % 3) + digits;
  const groups = digits.match(/.{3}/g);
  return groups.map((g, i) => (i < groups.length - 1 ? "x" + g : g)).join("/");
}

export function tilePath(level, index, width) {
  const name = level === null ? "entries" : String(level);
  return `tile/${name}/${encodeIndex(index)}${width < TILE_WIDTH ? ".p/" + width : ""}`;
}

// A tree of `size` leaves read through `fetchTile(path) -> Uint8Array`: any node hash of a complete
// subtree, the Merkle tree hash of any range, and the RFC 6962 proofs, all computed from the tiles.
export class TiledTree {
  constructor(size, fetchTile) {
    this.size = size;
    this.fetchTile = fetchTile;
    this.tiles = new Map();
  }

  async tile(level, index, width) {
    const path = tilePath(level, index, width);
    if (!this.tiles.has(path)) this.tiles.set(path, this.fetchTile(path));
    const bytes = await this.tiles.get(path);
    if (level !== null && bytes.length !== width * HASH_SIZE) {
      throw new CheckFailed(`tile ${path} holds ${bytes.length} bytes, not ${width * HASH_SIZE}`);
    }
    return bytes;
  }

  // The width of tile `index` at tile level `level` in this tree (tlog-tiles: partial tiles for the edge).
  width(level, index) {
    const count = Math.floor(this.size / 2 ** (TILE_HEIGHT * level));
    return Math.min(TILE_WIDTH, count - index * TILE_WIDTH);
  }

  // The hash of the complete subtree at tree level `level`, position `index`: a hash stored in a tile
  // (tile level floor(level / 8)) when level is a multiple of 8, else the root of 2^(level % 8) of them.
  async node(level, index) {
    const tileLevel = Math.floor(level / TILE_HEIGHT);
    const span = 2 ** (level % TILE_HEIGHT);
    const first = index * span;
    const tileIndex = Math.floor(first / TILE_WIDTH);
    const bytes = await this.tile(tileLevel, tileIndex, this.width(tileLevel, tileIndex));
    const offset = first - tileIndex * TILE_WIDTH;
    let layer = [];
    for (let i = 0; i < span; i++) {
      const at = (offset + i) * HASH_SIZE;
      if (at + HASH_SIZE > bytes.length) throw new CheckFailed("a tile is shorter than the tree needs");
      layer.push(bytes.subarray(at, at + HASH_SIZE));
    }
    while (layer.length > 1) {
      const next = [];
      for (let i = 0; i < layer.length; i += 2) next.push(await nodeHash(layer[i], layer[i + 1]));
      layer = next;
    }
    return layer[0];
  }

  // MTH(D[begin:end]) (RFC 6962 §2.1) for a range whose start is aligned as the recursion keeps it.
  async rangeHash(begin, end) {
    const n = end - begin;
    if (isPowerOfTwo(n)) return this.node(Math.log2(n), begin / n);
    const k = largestPowerOfTwoBelow(n);
    return nodeHash(await this.rangeHash(begin, begin + k), await this.rangeHash(begin + k, end));
  }

  // PATH(m, D[begin:end]) (RFC 6962 §2.1.1).
  async inclusionProof(m, begin = 0, end = this.size) {
    if (end - begin === 1) return [];
    const k = largestPowerOfTwoBelow(end - begin);
    if (m < begin + k) {
      return [...(await this.inclusionProof(m, begin, begin + k)), await this.rangeHash(begin + k, end)];
    }
    return [...(await this.inclusionProof(m, begin + k, end)), await this.rangeHash(begin, begin + k)];
  }

  // PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true) (RFC 6962 §2.1.2).
  async consistencyProof(m, begin = 0, end = this.size, complete = true) {
    const n = end - begin;
    if (m === n) return complete ? [] : [await this.rangeHash(begin, end)];
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      const left = await this.consistencyProof(m, begin, begin + k, complete);
      return [...left, await this.rangeHash(begin + k, end)];
    }
    const right = await this.consistencyProof(m - k, begin + k, end, false);
    return [...right, await this.rangeHash(begin, begin + k)];
  }

  // Entry `index` from its entry bundle (tlog-tiles: each entry prefixed with its uint16 length).
  async entry(index) {
    const tileIndex = Math.floor(index / TILE_WIDTH);
    const bundle = await this.tile(null, tileIndex, this.width(0, tileIndex));
    let at = 0;
    for (let i = 0; ; i++) {
      if (at + 2 > bundle.length) throw new CheckFailed("the entry bundle ends before the entry");
      const length = (bundle[at] << 8) | bundle[at + 1];
      if (at + 2 + length > bundle.length) throw new CheckFailed("the entry bundle is truncated");
      if (i === index - tileIndex * TILE_WIDTH) return bundle.subarray(at + 2, at + 2 + length);
      at += 2 + length;
    }
  }
}

// RFC 9162 §2.1.3.2: the root an inclusion proof leads to from `leaf` at `index` in a tree of `size`.
export async function rootFromInclusionProof(index, size, leaf, proof) {
  if (index >= size) throw new CheckFailed(`index ${index} is beyond the tree size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new CheckFailed("the inclusion proof is too long");
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new CheckFailed("the inclusion proof is too short");
  return r;
}

// RFC 9162 §2.1.4.2: whether `proof` shows the tree (oldSize, oldRoot) is a prefix of (newSize, newRoot).
export async function verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof) {
  if (oldSize > newSize) throw new CheckFailed("the older tree is larger than the newer one");
  if (oldSize === newSize) {
    if (proof.length !== 0 || !equalBytes(oldRoot, newRoot)) {
      throw new CheckFailed(`two different roots for the same tree size ${oldSize}`);
    }
    return;
  }
  if (oldSize === 0) return;
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  if (path.length === 0) throw new CheckFailed("the consistency proof is empty");
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) throw new CheckFailed("the consistency proof is too long");
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0 || !equalBytes(fr, oldRoot) || !equalBytes(sr, newRoot)) {
    throw new CheckFailed("the two trees are not consistent: one is not a prefix of the other");
  }
}

// --- signed notes and checkpoints ----------------------------------------------------------------------

async function keyId(name, typeAndKey) {
  const digest = await sha256(concat(encoder.encode(name + "\n"), typeAndKey));
  return new DataView(digest.buffer).getUint32(0);
}

// A vkey `<name>+<hex key ID>+<base64(type || public key)>`, its key ID checked; cosignature keys
// (type 0x04, or 0x01 used as a cosigner) get the ID tlog-cosignature gives them.
export async function parseVkey(vkey, { cosigner = false } = {}) {
  const match = /^([^+\s]+)\+([0-9a-fA-F]{8})\+(.*)$/.exec(vkey);
  if (!match) throw new CheckFailed("a key is malformed");
  const [, name, hexId, encoded] = match;
  const key = fromBase64(encoded);
  const allowed = cosigner ? [ALG_ED25519, ALG_COSIGNATURE_V1] : [ALG_ED25519];
  if (key.length !== 33 || !allowed.includes(key[0])) {
    throw new CheckFailed(`key ${name} is not an Ed25519 key`);
  }
  if ((await keyId(name, key)) !== parseInt(hexId, 16)) {
    throw new CheckFailed(`key ${name} has the wrong key ID`);
  }
  const publicKey = key.subarray(1);
  const id = cosigner
    ? await keyId(name, concat(Uint8Array.of(ALG_COSIGNATURE_V1), publicKey))
    : parseInt(hexId, 16);
  return { name, id, publicKey, cosigner };
}

async function ed25519Verify(publicKey, signature, message) {
  const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

// c2sp.org/signed-note: the text (ending in a newline) and each signature line's name, key ID and bytes.
export function parseNote(text) {
  const split = text.lastIndexOf("\n\n");
  if (split < 0 || !text.endsWith("\n")) throw new CheckFailed("the checkpoint is not a signed note");
  const body = text.slice(0, split + 1);
  const signatures = text
    .slice(split + 2, -1)
    .split("\n")
    .map((line) => {
      if (!line.startsWith(SIGNATURE_PREFIX)) throw new CheckFailed("a signature line is malformed");
      const [name, encoded] = line.slice(SIGNATURE_PREFIX.length).split(" ");
      const raw = fromBase64(encoded || "");
      if (raw.length < 5) throw new CheckFailed("a signature is too short");
      return { name, id: new DataView(raw.buffer).getUint32(0), raw };
    });
  return { body, signatures };
}

// c2sp.org/tlog-checkpoint: origin, decimal size, base64 root hash, then extension lines.
export function parseCheckpoint(body) {
  const [origin, sizeText, rootText] = body.slice(0, -1).split("\n");
  if (!origin || !/^(0|[1-9][0-9]*)$/.test(sizeText || "")) {
    throw new CheckFailed("the checkpoint body is malformed");
  }
  const root = fromBase64(rootText || "");
  if (root.length !== HASH_SIZE) throw new CheckFailed("the checkpoint's root is not a SHA-256 hash");
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw new CheckFailed("the tree size is too large for this page");
  return { origin, size, root };
}

// The checkpoint opened with the log's key: its signature must verify and its origin be the key's name.
export async function openCheckpoint(text, logKey) {
  const { body, signatures } = parseNote(text);
  const own = signatures.filter((s) => s.name === logKey.name && s.id === logKey.id);
  if (own.length === 0) {
    throw new CheckFailed(`the checkpoint carries no signature by the ledger's key ${logKey.name}`);
  }
  for (const signature of own) {
    const valid =
      signature.raw.length === 68 &&
      (await ed25519Verify(logKey.publicKey, signature.raw.subarray(4), encoder.encode(body)));
    if (!valid) throw new CheckFailed(`the ledger key's signature on the checkpoint does not verify`);
  }
  const checkpoint = parseCheckpoint(body);
  if (checkpoint.origin !== logKey.name) {
    throw new CheckFailed(`the checkpoint's origin is not ${logKey.name}`);
  }
  return { ...checkpoint, body, signatures, text };
}

// tlog-cosignature §cosignature/v1: which known witnesses cosigned, and any whose line does not verify.
export async function checkCosignatures(opened, witnessKeys) {
  const cosigned = [];
  const invalid = [];
  for (const key of witnessKeys) {
    const line = opened.signatures.find((s) => s.name === key.name && s.id === key.id);
    if (!line) continue;
    let valid = line.raw.length === 4 + 8 + 64;
    if (valid) {
      const timestamp = new DataView(line.raw.buffer).getBigUint64(4);
      const message = encoder.encode(`cosignature/v1\ntime ${timestamp}\n${opened.body}`);
      valid = await ed25519Verify(key.publicKey, line.raw.subarray(12), message);
    }
    (valid ? cosigned : invalid).push(key.name);
  }
  return { cosigned, invalid };
}
