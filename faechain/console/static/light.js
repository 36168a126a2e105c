// The console's light client: block headers trusted by signatures, starting from the genesis
// the member trusts (genesis.js pins it), never from what the node says about its own blocks.
// A port of faechain/sdk/light/{solo,client}.py (same checks, same messages).
//
//   solo      verifySolo: the header bytes of a solo chain's block, decoded as faechain's
//             canonical header (cbor.js), hashed, and checked against the block signer key the
//             *pinned genesis* declares: Ed25519 over faechain.core.block.header_signing_bytes.
//   cometbft  (cometbft.js) CometBFT light block h+1, verified from genesis's validators by
//             skipping verification; its header carries the app hash after faechain block h.
//   LightClient.trusted(height) -> a trusted header {height, appHash, timeMs, basis, ...}, or a
//             LightError naming what failed. The node only relays (GET /console/api/light/{h}).
//
// Not checkable here: a chain on the sm2-sm3 suite. Browsers have no SM2 or SM3, so such a
// header's signature cannot be verified in the browser; LightClient says so (code
// "untrusted") rather than pretending, and points to `fae state --prove` and the SDK.
// Not covered: witnesses (a second node to compare with) and freshness against the newest
// signed header; the console shows the height and time each check rests on instead.
import { bytesToHex, CborError, decode, encode, hexToBytes, jsonable, sameValue } from "./cbor.js";
import * as cb from "./cometbft.js";
import { badHeader, LightError } from "./lighterror.js";
import { concat } from "./proto.js";
import { sha256 } from "./smt.js";

export { LightError } from "./lighterror.js";

const HEADER_SIGNATURE_DOMAIN = new TextEncoder().encode("faechain/header/v1\0");
const HEADER_FIELDS = { chain: "str", height: "int", time: "int", prev: "bytes", txs_root: "bytes", results_root: "bytes", app_hash: "bytes", proposer: "bytes" };
const CACHE_MAX = 4096;

// what a solo chain's block signer signs for block `height` (faechain.core.block.header_signing_bytes)
export function headerSigningBytes(chainId, height, blockHash) {
  return concat(HEADER_SIGNATURE_DOMAIN, encode({ chain: chainId, height, block_hash: blockHash }));
}

const repr = (v) => (v === null || v === undefined ? "None" : typeof v === "string" ? `'${v}'` : String(v));
const isInt = (v) => (typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint";
const kindOf = (v) => (v instanceof Uint8Array ? "bytes" : typeof v === "string" ? "str" : isInt(v) ? "int" : v === null ? "NoneType" : typeof v);

function hexField(doc, name, height) {
  const value = doc[name];
  if (typeof value !== "string") throw badHeader(`block ${height}: ${name} is missing or not a hex string`);
  try {
    return hexToBytes(value);
  } catch {
    throw badHeader(`block ${height}: ${name} is not hex`);
  }
}

// header_bytes as a faechain header, if it is exactly the canonical encoding of one
function soloHeader(raw, height) {
  let header;
  try {
    header = decode(raw);
  } catch (e) {
    if (!(e instanceof CborError)) throw e;
    throw badHeader(`block ${height}: header_bytes is not a canonical faechain header (${e.message})`);
  }
  const keys = header && typeof header === "object" && !Array.isArray(header) && !(header instanceof Uint8Array) ? Object.keys(header).sort() : null;
  if (!keys || !sameValue(keys, Object.keys(HEADER_FIELDS).sort())) {
    throw badHeader(`block ${height}: header_bytes is not a canonical faechain header (its fields are ${keys ? keys.join(", ") : kindOf(header)})`);
  }
  for (const [name, kind] of Object.entries(HEADER_FIELDS)) {
    if (kindOf(header[name]) !== kind) throw badHeader(`block ${height}: header field ${name} is ${kindOf(header[name])}, not ${kind}`);
  }
  return header;
}

// The header `doc` (a GET /v1/light/{height} answer of a solo node) proves, once checked against
// `signerKey`, the block signer in the member's pinned genesis (never the `signer` the node sends,
// which must merely equal it). -> trusted header; LightError("bad_header") naming the first failure.
export async function verifySolo(doc, chainId, signerKey, height = null) {
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw badHeader(`the light block is not a JSON object but ${doc === null ? "NoneType" : typeof doc}`);
  if (doc.engine !== "solo") throw badHeader(`the light block is from engine ${repr(doc.engine)}, not a solo chain's`);
  const at = doc.height;
  if (!Number.isSafeInteger(at) || at < 0) throw badHeader(`the light block's height ${repr(at)} is not a block height`);
  if (height !== null && at !== height) throw badHeader(`asked for the header at height ${height}, the node answered height ${at}`);
  const raw = hexField(doc, "header_bytes", at);
  const header = soloHeader(raw, at);
  const blockHash = await sha256(raw);
  const claimed = hexField(doc, "block_hash", at);
  if (bytesToHex(claimed) !== bytesToHex(blockHash)) throw badHeader(`block ${at}: block_hash ${bytesToHex(claimed)} is not the hash of header_bytes (${bytesToHex(blockHash)})`);
  if (header.chain !== chainId) throw badHeader(`block ${at}: the header is of chain ${repr(header.chain)}, not ${repr(chainId)}`);
  if (header.height !== at) throw badHeader(`block ${at}: the header says height ${header.height}`);
  const shown = doc.header;
  const rendered = jsonable(header);
  if (shown !== undefined && shown !== null && !sameValue(shown, rendered)) {
    const differs = Object.keys(rendered).sort().filter((k) => !shown || typeof shown !== "object" || !sameValue(shown[k], rendered[k]));
    throw badHeader(`block ${at}: the rendered header differs from header_bytes in ${differs.join(", ") || "its keys"}`);
  }
  const keyHex = bytesToHex(signerKey);
  if (doc.signer === null || doc.signer === undefined || doc.signature === null || doc.signature === undefined) {
    throw badHeader(`block ${at} is unsigned: the node's chain declares no block signer, or did not sign it (the member's genesis declares ${keyHex})`);
  }
  const signer = hexField(doc, "signer", at);
  if (bytesToHex(signer) !== keyHex) throw badHeader(`block ${at}: signed by ${bytesToHex(signer)}, not by the block signer genesis declares (${keyHex})`);
  const signature = hexField(doc, "signature", at);
  if (signerKey.length !== 32) throw badHeader(`the block signer key in genesis is not a ed25519 public key: ${signerKey.length} bytes`);
  if (!(await cb.ed25519Verify(signerKey, signature, headerSigningBytes(chainId, at, blockHash)))) {
    throw badHeader(`block ${at}: the signature does not verify under the block signer ${keyHex} over chain ${repr(chainId)}, height ${at}, block hash ${bytesToHex(blockHash)}`);
  }
  return {
    engine: "solo", height: at, blockHash, appHash: header.app_hash, timeMs: Number(header.time), signer: keyHex,
    basis: `signed by the solo chain's block signer ${keyHex.slice(0, 16)}… declared in genesis`,
  };
}

function b64(text, what) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) throw new LightError(`genesis ${what} is not base64`, "genesis");
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

// Trusted headers for one chain, from its genesis (the decoded document genesis.js pinned) and a
// relay that may lie: fetchLight(height) -> the node's GET /v1/light/{height} answer, or null when
// it has none yet. Options as CometBFT's light client: trustingPeriodS, maxClockDriftS,
// trustLevel ([num, den], default 1/3); nowMs, the clock (injected by tests).
export class LightClient {
  constructor(genesis, fetchLight, { nowMs = () => Date.now(), trustingPeriodS = cb.DEFAULT_TRUSTING_PERIOD_S, maxClockDriftS = cb.DEFAULT_MAX_CLOCK_DRIFT_S, trustLevel = cb.DEFAULT_TRUST_LEVEL } = {}) {
    this.genesis = genesis;
    this.chainId = genesis.chain_id;
    this.fetchLight = fetchLight;
    this.options = { nowMs, trustingPeriodS, maxClockDriftS, trustLevel };
    this.engine = Array.isArray(genesis.validators) && genesis.validators.length ? "cometbft" : "solo";
    this.cache = new Map(); // faechain height -> trusted header
    this.verified = new Map(); // CometBFT height -> verified light block
    this.root = null; // CometBFT block 1, trusted from genesis's validators
  }

  // faechain block `height`, verified by signatures
  async trusted(height) {
    if (!Number.isSafeInteger(height) || height < 0) throw new LightError(`${height} is not a block height`, "untrusted");
    if (this.cache.has(height)) return this.cache.get(height);
    const header = this.engine === "solo" ? await this.verifySoloAt(height) : await this.verifyCometAt(height);
    this.cache.set(height, header);
    if (this.cache.size > CACHE_MAX) this.cache.delete(this.cache.keys().next().value);
    return header;
  }

  async doc(height) {
    const doc = await this.fetchLight(height);
    if (doc === null || doc === undefined) throw new LightError(`the node has no signed header for block ${height} yet`, "unavailable");
    return doc;
  }

  async verifySoloAt(height) {
    if (this.genesis.suite !== "ed25519") {
      throw new LightError(`this chain signs its headers with the ${this.genesis.suite} suite (SM2 signatures, SM3 hashes), which browsers cannot compute: the block signer's signature cannot be checked here. Check it with \`fae state --prove\` or the SDK's light client`, "untrusted");
    }
    const signer = this.genesis.block_signer;
    if (!signer || typeof signer !== "object") throw new LightError("this chain's genesis declares no block signer: its solo headers are unsigned and cannot be verified", "untrusted");
    return verifySolo(await this.doc(height), this.chainId, b64(signer.pub_key, "block_signer pub_key"), height);
  }

  // CometBFT light block H, relayed with faechain block H - 1
  async fetchComet(cometHeight) {
    const doc = await this.doc(cometHeight - 1);
    try {
      return cb.lightBlockFromJson({ signed_header: doc.commit.signed_header, validator_set: { validators: doc.validators.validators } });
    } catch (e) {
      if (e instanceof LightError) throw e;
      throw badHeader(`the light block for height ${cometHeight - 1} is malformed (${e.message})`);
    }
  }

  async verifyCometAt(height) {
    if (height < 1) throw new LightError("block 0 is faechain's genesis block: its state is the genesis document's, which the member holds", "untrusted");
    const fetch = (h) => this.fetchComet(h);
    if (this.root === null) {
      const vals = await cb.validatorSetOf(this.genesis.validators.map((v) => [b64(v.pub_key, "validator pub_key"), BigInt(v.power)]));
      this.root = await cb.trustGenesis(this.chainId, vals, fetch);
      this.verified.set(1, this.root);
    }
    const options = { ...this.options, nowMs: this.options.nowMs() };
    const target = height + 1;
    const heights = [...this.verified.keys()].sort((a, b) => a - b);
    const below = heights.filter((h) => h <= target).pop();
    const above = heights.find((h) => h > target);
    let result;
    try {
      result = await cb.verifyTo(this.verified.get(below), target, fetch, options);
    } catch (e) {
      // an expired starting point: the chain of header hashes down from a newer verified block
      if (!(e instanceof LightError && e.code === "untrusted" && above !== undefined)) throw e;
      result = await cb.verifyTo(this.verified.get(above), target, fetch, options);
    }
    for (const lb of result.trace) this.verified.set(lb.height, lb);
    return cb.trustedHeader(result.block, this.chainId);
  }
}
