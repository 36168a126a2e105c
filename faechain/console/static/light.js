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
//
// Also here, as in faechain.sdk.light.client: the newest verified header is kept between page
// loads (localStorage, keyed by chain id and genesis hash) and the next page starts from it;
// latestHeight() is what freshness is measured against (trust.js); an optional witness (a second
// node, GET {url}/v1/light/{h} with CORS) is asked for every header, and a different header that
// the same signatures back is reported as an attack ("diverged", with both headers as evidence);
// and soloEvidence / evidenceTrace hand evidence.js the signed header material a bundle carries.
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

// where the newest verified header is kept between page loads: one entry per chain id and genesis
// hash (a header of another genesis is another chain's, whatever its chain id says)
export const ANCHOR_PREFIX = "fae.anchor/";
export const anchorKey = (chainId, genesisHash) => `${ANCHOR_PREFIX}${chainId}/${genesisHash}`;
const BACKWARD_MAX = 16; // below a kept anchor: hash links down this far, else forward from genesis

function storageKeys(storage) {
  const keys = [];
  try {
    for (let i = 0; i < storage.length; i++) keys.push(storage.key(i));
  } catch {
    /* no storage */
  }
  return keys;
}

// A witness: a second node asked for the same signed headers (GET {url}/v1/light/{height}, which it
// serves with CORS headers). -> {url, fetchLight(height) -> doc or null (it has none yet)}
export function witnessAt(url) {
  const base = url.replace(/\/+$/, "");
  return {
    url: base,
    async fetchLight(height) {
      const resp = await fetch(`${base}/v1/light/${height}`, { mode: "cors", credentials: "omit", headers: { Accept: "application/json" } });
      if (resp.status === 404) return null;
      if (!resp.ok) throw new Error(`HTTP ${resp.status} for block ${height}`);
      return resp.json();
    },
  };
}

// an attack: two headers at one height, each backed by the signatures the member trusts
function diverged(message, evidence) {
  const e = new LightError(message, "diverged");
  e.evidence = evidence;
  return e;
}

// Trusted headers for one chain, from its genesis (the decoded document genesis.js pinned) and a
// relay that may lie: fetchLight(height) -> the node's GET /v1/light/{height} answer, or null when
// it has none yet. Options as CometBFT's light client: trustingPeriodS, maxClockDriftS,
// trustLevel ([num, den], default 1/3); nowMs, the clock (injected by tests). And:
//   genesisHash, storage  keep the newest verified header (localStorage) and start from it next
//                         time, as CometBFT's light client keeps its trusted store;
//   head                  async () -> the node's head height, for latest() (freshness);
//   witness               witnessAt(url): every header is compared with what it serves;
//   primaryUrl            how messages name the node the console reads from.
export class LightClient {
  constructor(genesis, fetchLight, { nowMs = () => Date.now(), trustingPeriodS = cb.DEFAULT_TRUSTING_PERIOD_S, maxClockDriftS = cb.DEFAULT_MAX_CLOCK_DRIFT_S, trustLevel = cb.DEFAULT_TRUST_LEVEL,
    genesisHash = null, storage = null, head = null, witness = null, primaryUrl = "the node" } = {}) {
    this.genesis = genesis;
    this.chainId = genesis.chain_id;
    this.fetchLight = fetchLight;
    this.options = { nowMs, trustingPeriodS, maxClockDriftS, trustLevel };
    this.engine = Array.isArray(genesis.validators) && genesis.validators.length ? "cometbft" : "solo";
    this.genesisHash = genesisHash;
    this.storage = storage;
    this.head = head;
    this.witness = witness;
    this.primaryUrl = primaryUrl;
    this.cache = new Map(); // faechain height -> trusted header
    this.verified = new Map(); // CometBFT height -> verified light block
    this.root = null; // CometBFT block 1, trusted from genesis's validators
    this.docs = new Map(); // solo: faechain height -> the signed header document verified
    this.fetched = new Map(); // CometBFT height -> {lb, json}: what the node relayed (checked where used)
    this.newest = null; // the newest header verified: {height, hash, doc} (solo) or a light block
    this.from = { kind: "genesis" }; // where this page's checks start: genesis, or a kept anchor
    this.discarded = null; // why a kept anchor was not used
    this.witnessNotes = []; // what a witness could not back with signatures (not an attack)
    this.loaded = null;
  }

  // faechain block `height`, verified by signatures (and agreed by the witness, if one is set)
  async trusted(height) {
    if (!Number.isSafeInteger(height) || height < 0) throw new LightError(`${height} is not a block height`, "untrusted");
    await this.start();
    if (this.cache.has(height)) return this.cache.get(height);
    const header = this.engine === "solo" ? await this.verifySoloAt(height) : await this.verifyCometAt(height);
    header.from = this.from;
    this.remember(height, header);
    return header;
  }

  remember(height, header) {
    this.cache.set(height, header);
    if (this.cache.size > CACHE_MAX) this.cache.delete(this.cache.keys().next().value);
  }

  // The newest block whose header is signed now (the node's head, or on CometBFT usually the one
  // before it) — or the newest this browser verified before, if later: a node that falls behind,
  // or claims to, cannot make an old answer look fresh. -> its faechain height
  async latestHeight() {
    await this.start();
    let best = null;
    if (this.head) {
      const head = await this.head();
      const lowest = this.engine === "solo" ? 0 : 1;  // CometBFT signs no header for faechain's block 0
      for (const h of [head, head - 1]) {
        if (!Number.isSafeInteger(h) || h < lowest) break;
        try {
          best = (await this.trusted(h)).height;
          break;
        } catch (e) {
          if (!(e instanceof LightError && e.code === "unavailable")) throw e;
        }
      }
    }
    const known = this.newestHeight();
    if (best === null && known === null) throw new LightError("the node has no signed header at its head or just before it; a node that has just started has none until its next block", "unavailable");
    return Math.max(best ?? -1, known ?? -1);
  }

  newestHeight() {
    if (this.newest === null) return null;
    return this.engine === "solo" ? this.newest.height : this.newest.height - 1;
  }

  async doc(height) {
    const doc = await this.fetchLight(height);
    if (doc === null || doc === undefined) throw new LightError(`the node has no signed header for block ${height} yet`, "unavailable");
    return doc;
  }

  soloKey() {
    if (this.genesis.suite !== "ed25519") {
      throw new LightError(`this chain signs its headers with the ${this.genesis.suite} suite (SM2 signatures, SM3 hashes), which browsers cannot compute: the block signer's signature cannot be checked here. Check it with \`fae state --prove\` or the SDK's light client`, "untrusted");
    }
    const signer = this.genesis.block_signer;
    if (!signer || typeof signer !== "object") throw new LightError("this chain's genesis declares no block signer: its solo headers are unsigned and cannot be verified", "untrusted");
    return b64(signer.pub_key, "block_signer pub_key");
  }

  async verifySoloAt(height) {
    const key = this.soloKey();
    const doc = await this.doc(height);
    const header = await verifySolo(doc, this.chainId, key, height);
    this.docs.set(height, doc);
    if (this.docs.size > CACHE_MAX) this.docs.delete(this.docs.keys().next().value);
    if (this.witness) header.witness = await this.compareSolo(height, header, doc, key);
    if (this.newest === null || height > this.newest.height) {
      this.newest = { height, hash: bytesToHex(header.blockHash), doc };
      this.keep({ height, hash: this.newest.hash, doc });
    }
    return header;
  }

  // the witness's header at the same height, checked against the same genesis key: another one is
  // the block signer signing two headers at one height; one it cannot back is only noted
  async compareSolo(height, header, doc, key) {
    const url = this.witness.url;
    let theirs, wdoc;
    try {
      wdoc = await this.witness.fetchLight(height);
      if (wdoc === null) return this.witnessNote(`${url} has no signed header for block ${height} yet`);
      theirs = await verifySolo(wdoc, this.chainId, key, height);
    } catch (e) {
      return this.witnessNote(`${url}: ${e.message}`);
    }
    const mine = bytesToHex(header.blockHash), other = bytesToHex(theirs.blockHash);
    if (mine !== other) {
      throw diverged(`the block signer signed two headers at height ${height}: ${this.primaryUrl} serves ${mine}, witness ${url} serves ${other}`,
        { height, primary: { url: this.primaryUrl, hash: mine, doc }, witness: { url, hash: other, doc: wdoc } });
    }
    return { url, agrees: true, height };
  }

  witnessNote(note) {
    this.witnessNotes.push(note);
    return { url: this.witness.url, agrees: false, note };
  }

  // CometBFT light block H, relayed with faechain block H - 1 (kept as relayed: a bundle carries it)
  async fetchComet(cometHeight, source = null) {
    if (source === null && this.fetched.has(cometHeight)) return this.fetched.get(cometHeight).lb;
    const doc = source === null ? await this.doc(cometHeight - 1) : await source.fetchLight(cometHeight - 1);
    const who = source === null ? "the node" : source.url;
    if (doc === null || doc === undefined) throw new LightError(`${who} has no signed header for block ${cometHeight - 1} yet`, "unavailable");
    let json, lb;
    try {
      json = { signed_header: doc.commit.signed_header, validator_set: { validators: doc.validators.validators } };
      lb = cb.lightBlockFromJson(json);
    } catch (e) {
      if (e instanceof LightError) throw e;
      throw badHeader(`the light block for height ${cometHeight - 1} is malformed (${e.message})`);
    }
    if (source === null) {
      this.fetched.set(cometHeight, { lb, json });
      if (this.fetched.size > CACHE_MAX) this.fetched.delete(this.fetched.keys().next().value);
    }
    return lb;
  }

  // CometBFT block 1, trusted because genesis's validators signed it
  async genesisRoot() {
    if (this.root === null) {
      const vals = await cb.validatorSetOf(this.genesis.validators.map((v) => [b64(v.pub_key, "validator pub_key"), BigInt(v.power)]));
      this.root = await cb.trustGenesis(this.chainId, vals, (h) => this.fetchComet(h));
      this.verified.set(1, this.root);
    }
    return this.root;
  }

  async verifyCometAt(height) {
    if (height < 1) throw new LightError("block 0 is faechain's genesis block: its state is the genesis document's, which the member holds", "untrusted");
    const fetch = (h) => this.fetchComet(h);
    if (this.verified.size === 0) await this.genesisRoot();
    const options = { ...this.options, nowMs: this.options.nowMs() };
    const target = height + 1;
    const heights = [...this.verified.keys()].sort((a, b) => a - b);
    const below = heights.filter((h) => h <= target).pop();
    const above = heights.find((h) => h > target);
    let start, result;
    if (below === undefined && above - target > BACKWARD_MAX) {
      start = await this.genesisRoot(); // far below a kept anchor: forward from genesis, not hundreds of hash links down
      result = await cb.verifyTo(start, target, fetch, options);
    } else if (below === undefined) {
      start = this.verified.get(above);
      result = await cb.verifyTo(start, target, fetch, options);
    } else {
      try {
        start = this.verified.get(below);
        result = await cb.verifyTo(start, target, fetch, options);
      } catch (e) {
        // an expired starting point: the chain of header hashes down from a newer verified block
        if (!(e instanceof LightError && e.code === "untrusted" && above !== undefined)) throw e;
        start = this.verified.get(above);
        result = await cb.verifyTo(start, target, fetch, options);
      }
    }
    for (const lb of result.trace) this.verified.set(lb.height, lb);
    const header = await cb.trustedHeader(result.block, this.chainId);
    if (this.witness) header.witness = await this.compareComet(start, result.block, options);
    const top = result.trace.reduce((a, b) => (b.height > a.height ? b : a));
    if ((this.newest === null || top.height > this.newest.height) && this.fetched.has(top.height)) {
      this.newest = top;
      this.keep({ height: top.height, hash: bytesToHex(await cb.headerHash(top.header)).toUpperCase(), light_block: this.fetched.get(top.height).json });
    }
    return header;
  }

  // the witness's light block at the same height, verified from the same trusted block, must be
  // the same header (faechain.sdk.light.client.LightClient._compare_witness)
  async compareComet(start, block, options) {
    const url = this.witness.url;
    let theirs;
    try {
      if (start.height === block.height) { // the trusted block itself: the witness's must be signed by the same validators
        theirs = await this.fetchComet(block.height, this.witness);
        await cb.validateLightBlock(theirs, this.chainId);
        if (bytesToHex(theirs.header.validatorsHash) !== bytesToHex(block.header.validatorsHash)) throw badHeader(`header ${block.height} names other validators`);
        await cb.verifyCommitLight(this.chainId, theirs.validatorSet, theirs.commit, block.height);
      } else {
        theirs = (await cb.verifyTo(start, block.height, (h) => this.fetchComet(h, this.witness), options)).block;
      }
    } catch (e) {
      return this.witnessNote(`${url}: ${e.message}`);
    }
    const mine = bytesToHex(await cb.headerHash(block.header)).toUpperCase();
    const other = bytesToHex(await cb.headerHash(theirs.header)).toUpperCase();
    if (mine !== other) {
      throw diverged(`two signed headers at CometBFT height ${block.height}: ${this.primaryUrl} serves ${mine}, witness ${url} serves ${other}, each verified from the same trusted header: an attack on this member, or a fork`,
        { height: block.height, primary: { url: this.primaryUrl, hash: mine }, witness: { url, hash: other } });
    }
    return { url, agrees: true, height: block.height };
  }

  // -- the kept anchor ---------------------------------------------------------------------------
  start() {
    if (this.loaded === null) this.loaded = this.loadKept();
    return this.loaded;
  }

  // The newest header a previous page verified, if kept for this chain id *and* this genesis (any
  // kept for another genesis of the same chain id is dropped); checked again before it is used
  // (its signatures; on CometBFT, that it is within the trusting period), dropped if it fails.
  async loadKept() {
    if (!this.storage || !this.genesisHash) return;
    const key = anchorKey(this.chainId, this.genesisHash);
    for (const k of storageKeys(this.storage)) {
      if (k && k.startsWith(`${ANCHOR_PREFIX}${this.chainId}/`) && k !== key) {
        this.storage.removeItem(k);
        this.discarded = `an anchor kept for genesis ${k.slice(k.lastIndexOf("/") + 1, k.lastIndexOf("/") + 17)}…, not this chain's genesis`;
      }
    }
    let entry = null;
    try {
      entry = JSON.parse(this.storage.getItem(key) || "null");
      if (entry === null) return;
      if (!entry || entry.chain_id !== this.chainId || entry.genesis !== this.genesisHash || entry.engine !== this.engine) {
        throw new LightError("it was kept for another chain or genesis", "untrusted");
      }
      if (this.engine === "solo") {
        const header = await verifySolo(entry.doc, this.chainId, this.soloKey(), entry.height);
        if (bytesToHex(header.blockHash) !== entry.hash) throw badHeader(`its block hash is not ${entry.hash}`);
        // not cached as a trusted header: checking it again costs one signature, and a witness
        // set since is then asked about it too
        this.newest = { height: header.height, hash: entry.hash, doc: entry.doc };
      } else {
        const lb = cb.lightBlockFromJson(entry.light_block);
        await cb.validateLightBlock(lb, this.chainId);
        await cb.verifyCommitLight(this.chainId, lb.validatorSet, lb.commit, lb.height);
        if (bytesToHex(await cb.headerHash(lb.header)).toUpperCase() !== entry.hash) throw badHeader(`its header hash is not ${entry.hash}`);
        if (!cb.withinTrustingPeriod(lb, this.options.trustingPeriodS, this.options.nowMs())) throw new LightError(`header ${lb.height} is past its trusting period`, "untrusted");
        this.verified.set(lb.height, lb);
        this.fetched.set(lb.height, { lb, json: entry.light_block });
        this.newest = lb;
      }
      this.from = { kind: "anchor", height: entry.height };
    } catch (e) {
      this.storage.removeItem(key);
      this.discarded = `the anchor kept in this browser${entry && Number.isSafeInteger(entry.height) ? ` (height ${entry.height})` : ""} was not used: ${e.message}`;
    }
  }

  keep(fields) {
    if (!this.storage || !this.genesisHash) return;
    try {
      this.storage.setItem(anchorKey(this.chainId, this.genesisHash), JSON.stringify({
        chain_id: this.chainId, genesis: this.genesisHash, engine: this.engine, kept_at: this.options.nowMs(), ...fields,
      }));
    } catch {
      /* storage full or unavailable: kept for this page only */
    }
  }

  // -- what an evidence bundle carries (evidence.js) -----------------------------------------------
  // solo: the signed header of block `height` exactly as verified (docs/evidence.md §5.2)
  async soloEvidence(height) {
    await this.trusted(height);
    const doc = this.docs.get(height) ?? (await this.verifySoloAt(height), this.docs.get(height));
    const { header_bytes, block_hash, signer, signature } = doc;
    return { height, header_bytes, block_hash, signer, signature };
  }

  // CometBFT: the light blocks from genesis through the one carrying each faechain height's app hash,
  // each verified here from the one before it at its own time (docs/evidence.md §5.3), as relayed;
  // each target's app hash must be the one this client trusts for that block
  async evidenceTrace(heights) {
    const fetch = (h) => this.fetchComet(h);
    const root = await this.genesisRoot();
    const trace = await cb.evidenceTrace(root, heights.map((h) => h + 1), fetch, this.options);
    const at = new Map(trace.map((lb) => [lb.height, lb]));
    for (const h of heights) {
      const mine = await this.trusted(h);
      if (bytesToHex(at.get(h + 1).header.appHash) !== bytesToHex(mine.appHash)) throw new LightError(`block ${h}: the light client and the trace disagree on the app hash`, "diverged");
    }
    return trace.map((lb) => {
      const kept = this.fetched.get(lb.height);
      if (!kept || kept.lb !== lb) throw new LightError(`light block ${lb.height} is no longer held as relayed`, "unavailable");
      return kept.json;
    });
  }
}
