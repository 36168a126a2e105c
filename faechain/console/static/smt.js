// The sparse Merkle proof check of faechain.ledger.smt.verify_proof, in the browser.
// SHA-256 comes from WebCrypto; it is the hash of the ed25519 suite only (see /v1/info).
//
//   leaf     = 0x00 || hash(key) || hash(value)      internal = 0x01 || left || right
//   empty    = 32 zero bytes
// A key's path is the bits of hash(key), most significant first; siblings run top-down.

export class ProofError extends Error {}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

// the hash of a chain suite, or null when the browser cannot compute it
export function hasherFor(suite) {
  return suite === "ed25519" ? sha256 : null;
}

function bit(h, depth) {
  return (h[depth >> 3] >> (7 - (depth & 7))) & 1;
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
}

// proof: {siblings: [Uint8Array(32)...], leaf: [keyHash, valueHash] | null}; value: Uint8Array | null
export async function verifyProof(hash, root, key, value, proof) {
  if (!proof || !Array.isArray(proof.siblings) || !("leaf" in proof)) throw new ProofError("proof must have 'siblings' and 'leaf'");
  const siblings = proof.siblings;
  if (siblings.length > 256 || siblings.some((s) => !(s instanceof Uint8Array) || s.length !== 32)) {
    throw new ProofError("siblings must be at most 256 hashes of 32 bytes");
  }
  const keyHash = await hash(key);
  let node;
  const leaf = proof.leaf;
  if (leaf === null) {
    if (value !== null) return false;
    node = new Uint8Array(32);
  } else {
    if (!Array.isArray(leaf) || leaf.length !== 2 || leaf.some((x) => !(x instanceof Uint8Array) || x.length !== 32)) {
      throw new ProofError("leaf must be [key hash, value hash]");
    }
    const [leafKey, leafValue] = leaf;
    if (value !== null) {
      if (!equal(leafKey, keyHash) || !equal(leafValue, await hash(value))) return false;
    } else {
      if (equal(leafKey, keyHash)) return false; // present: not an absence proof
      for (let d = 0; d < siblings.length; d++) if (bit(leafKey, d) !== bit(keyHash, d)) return false;
    }
    node = await hash(concat(Uint8Array.of(0), leafKey, leafValue));
  }
  for (let depth = siblings.length - 1; depth >= 0; depth--) {
    const sib = siblings[depth];
    node = bit(keyHash, depth) ? await hash(concat(Uint8Array.of(1), sib, node)) : await hash(concat(Uint8Array.of(1), node, sib));
  }
  return equal(node, root);
}
