// The console's trust anchor: the chain's genesis document, pinned in this browser.
//
// Every header check (light.js) starts from genesis: the block signer key a solo chain
// declares, or a CometBFT network's first validators. If the browser took genesis from the
// node each time, a lying node could hand it a genesis naming its own key and then sign
// whatever it likes. So the genesis is pinned on first use (localStorage, per console origin)
// and on every later visit the node's genesis must hash to the pinned one; a different one is
// refused, loudly, and nothing is verified against it.
//
// What this assumes, stated: on the *first* visit the browser trusts the node's genesis. The
// member closes that gap by comparing the hash the console shows with the one `fae genesis
// hash` prints from the genesis file the member holds (or the one the consortium published).
//
// The node serves the genesis as its canonical CBOR (GET /console/api/genesis, "canonical");
// the hash pinned and shown is SHA-256 of exactly those bytes, and the document used is
// decoded from exactly those bytes (cbor.js refuses any non-canonical encoding). On an
// ed25519 chain that SHA-256 is the chain's genesis hash (block 0's parent hash); on an SM
// chain `fae genesis hash` prints the SHA-256 as well, for comparing with the console.
import { bytesToHex, decode, hexToBytes } from "./cbor.js";
import { LightError } from "./lighterror.js";
import { sha256 } from "./smt.js";

export const PIN_KEY = "fae.genesis";

function readPin(storage) {
  try {
    const pin = JSON.parse(storage.getItem(PIN_KEY) || "null");
    return pin && typeof pin.hash === "string" ? pin : null;
  } catch {
    return null;
  }
}

// answer: the node's {"canonical": hex}. -> {doc, hash, chainId, suite, pin, firstUse}, or
// LightError("genesis") when the bytes are not a genesis or differ from the pinned one.
export async function pinGenesis(answer, storage = localStorage, nowMs = Date.now()) {
  let bytes, doc;
  try {
    bytes = hexToBytes(answer.canonical);
    doc = decode(bytes);
  } catch (e) {
    throw new LightError(`the node's genesis is not a canonically encoded document (${e.message})`, "genesis");
  }
  if (!doc || typeof doc !== "object" || typeof doc.chain_id !== "string") throw new LightError("the node's genesis has no chain_id", "genesis");
  const hash = bytesToHex(await sha256(bytes));
  let pin = readPin(storage);
  let firstUse = false;
  if (pin === null) {
    pin = { hash, chain_id: doc.chain_id, pinned_at: nowMs };
    try {
      storage.setItem(PIN_KEY, JSON.stringify(pin));
    } catch {
      /* private mode: pinned for this page only */
    }
    firstUse = true;
  } else if (pin.hash !== hash) {
    throw new LightError(`this node serves genesis ${hash} (chain '${doc.chain_id}'), not the genesis ${pin.hash} (chain '${pin.chain_id}') pinned in this browser on ${new Date(pin.pinned_at).toISOString().slice(0, 10)}: refused. Nothing is verified against it. If the consortium really started a new chain, compare the new hash with the one \`fae genesis hash\` prints, then forget the old pin`, "genesis");
  }
  return { doc, hash, chainId: doc.chain_id, suite: doc.suite, pin, firstUse };
}

// drop the pin: the next visit pins whatever genesis the node then serves
export function forgetGenesis(storage = localStorage) {
  storage.removeItem(PIN_KEY);
}
