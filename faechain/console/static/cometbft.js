// A CometBFT light client in the browser: headers trusted because the validators signed them,
// not because the node served them (a port of faechain/sdk/light/{records,rpcjson,cometbft}.py,
// with the same checks and the same messages; tests/e2e/test_console_light.py runs both on the
// same vectors and compares).
//
// On the CometBFT engine, faechain's app hash after block h is in CometBFT's header h+1, and
// the validators sign that header's hash in their precommits. Checked here, from nothing but
// the JSON CometBFT's RPC serves (relayed by the node at /v1/light):
//   * every hash recomputed, never read from the node: Header.hash() (the RFC 6962 Merkle root
//     of its 14 protobuf-encoded fields), the validator set's hash, each precommit's sign bytes;
//   * Ed25519 signatures by WebCrypto;
//   * verifyAdjacent (h -> h+1: the new validators are the ones header h announced, and more
//     than 2/3 of their power signed), verifyNonAdjacent (skipping: more than the trust level,
//     1/3, of the *trusted* validators' power signed the far header, and more than 2/3 of its
//     own did), both inside the trusting period and refusing headers from the future;
//   * verifyTo: skip to the target, bisecting where too few trusted validators signed it;
//   * evidenceTrace: the light blocks an evidence bundle carries, as faechain.sdk.evidence builds them.
// What a verified header guarantees rests on the starting block being genuine (genesis, as
// pinned by genesis.js) and on fewer than 1/3 of the trusted voting power being faulty within
// the trusting period.
//
// Records are plain objects: integers that can exceed 2^53 (voting powers, times in ns) are
// BigInt; heights and rounds are Numbers.
import { bytesToHex } from "./cbor.js";
import { badHeader, LightError, NotEnoughTrust } from "./lighterror.js";
import * as proto from "./proto.js";
import { sha256 } from "./smt.js";

export const BLOCK_PROTOCOL = 11; // the header format of CometBFT v0.38
export const BLOCK_ID_FLAG_ABSENT = 1;
export const BLOCK_ID_FLAG_COMMIT = 2;
export const BLOCK_ID_FLAG_NIL = 3;
export const DEFAULT_TRUST_LEVEL = [1n, 3n]; // at least one honest validator signed
export const DEFAULT_TRUSTING_PERIOD_S = 168 * 3600; // `cometbft light`'s default: one week
export const DEFAULT_MAX_CLOCK_DRIFT_S = 10;
const HASH_SIZE = 32, ADDRESS_SIZE = 20, MAX_SIGNATURE_SIZE = 64, MAX_CHAIN_ID_LEN = 50;
const ED25519_TYPE = "tendermint/PubKeyEd25519";
const NANOS = 1_000_000_000n;
const PIVOT = [9, 16]; // bisection looks 9/16 of the way, as CometBFT does

const HEX = (b) => bytesToHex(b).toUpperCase();
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// -- hashing -----------------------------------------------------------------------------------
// merkle.HashFromByteSlices: RFC 6962 with SHA-256, leaf = H(0x00||item), inner = H(0x01||l||r),
// split at the largest power of two below n; the hash of nothing for no items
export async function merkleRoot(items) {
  const n = items.length;
  if (n === 0) return sha256(new Uint8Array(0));
  if (n === 1) return sha256(proto.concat(Uint8Array.of(0), items[0]));
  let k = 1;
  while (k * 2 < n) k *= 2;
  const [left, right] = await Promise.all([merkleRoot(items.slice(0, k)), merkleRoot(items.slice(k))]);
  return sha256(proto.concat(Uint8Array.of(1), left, right));
}

export async function addressOf(ed25519Key) {
  return (await sha256(ed25519Key)).slice(0, ADDRESS_SIZE);
}

// -- times: nanoseconds since the epoch, as BigInt (signatures cover every nanosecond) ------------
const TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

function daysFromCivil(y, m, d) { // days since 1970-01-01 of a proleptic Gregorian date
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

function civilFromDays(z) {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

// an RFC 3339 time as CometBFT's JSON writes it -> nanoseconds since the epoch, exact
export function parseTime(text) {
  const m = typeof text === "string" ? TIME.exec(text) : null;
  if (!m) throw badHeader(`malformed time '${text}'`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const mdays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (year < 1 || !mdays || day < 1 || day > mdays || hour > 23 || minute > 59 || second > 59) {
    throw badHeader(`malformed time '${text}'`);
  }
  let seconds = BigInt(daysFromCivil(year, month, day)) * 86400n + BigInt(hour * 3600 + minute * 60 + second);
  const zone = m[8];
  if (zone !== "Z") {
    const offset = BigInt(Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60);
    seconds += zone[0] === "-" ? offset : -offset;
  }
  return seconds * NANOS + BigInt((m[7] || "").padEnd(9, "0") || "0");
}

// nanoseconds -> RFC 3339 in UTC with trailing zeros trimmed (Go's RFC3339Nano)
export function formatTime(timeNs) {
  const t = BigInt(timeNs);
  let seconds = t / NANOS, nanos = t % NANOS;
  if (nanos < 0n) {
    seconds -= 1n;
    nanos += NANOS;
  }
  let days = seconds / 86400n, rest = seconds % 86400n;
  if (rest < 0n) {
    days -= 1n;
    rest += 86400n;
  }
  const [y, mo, d] = civilFromDays(Number(days));
  const r = Number(rest);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  let text = `${p(y, 4)}-${p(mo)}-${p(d)}T${p(Math.floor(r / 3600))}:${p(Math.floor(r / 60) % 60)}:${p(r % 60)}`;
  if (nanos) text += "." + p(nanos, 9).replace(/0+$/, "");
  return text + "Z";
}

export const ZERO_TIME_NS = parseTime("0001-01-01T00:00:00Z"); // Go's zero time: an absent vote's
export const timeMs = (timeNs) => Number(BigInt(timeNs) / 1_000_000n); // floored, as faechain reads it

// Python's "%g" (6 significant digits), for messages that say a period in seconds
export function g(x) {
  if (x === 0) return "0";
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= 6) {
    const [mant, e] = x.toExponential(5).split("e");
    const n = Number(e);
    return mant.replace(/\.?0+$/, "") + "e" + (n < 0 ? "-" : "+") + String(Math.abs(n)).padStart(2, "0");
  }
  return x.toFixed(Math.max(0, 5 - exp)).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
}

export function percent(part, whole) {
  const value = whole ? (100 * Number(part)) / Number(whole) : 0;
  return value.toFixed(1).replace(/0+$/, "").replace(/\.$/, "");
}

// -- records from CometBFT's JSON (upper-case hex hashes, base64 keys, 64-bit integers as strings) --
function hex(value) {
  if (!value) return new Uint8Array(0);
  if (typeof value !== "string" || value.length % 2 || /[^0-9a-f]/i.test(value)) throw new TypeError(`not hex: ${value}`);
  return Uint8Array.from(value.match(/../g), (x) => parseInt(x, 16));
}

function b64(value) {
  if (!value) return new Uint8Array(0);
  if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4) throw new TypeError(`not base64: ${value}`);
  return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
}

function int(value) { // a JSON integer, given as number or decimal string (Number; safe range)
  const n = typeof value === "number" ? value : typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new TypeError(`not an integer: ${JSON.stringify(value)}`);
  return n;
}

function bigint(value) {
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  throw new TypeError(`not an integer: ${JSON.stringify(value)}`);
}

function blockIdJson(doc) {
  const parts = doc.parts || doc.part_set_header || {};
  return { hash: hex(doc.hash), parts: { total: int(parts.total || 0), hash: hex(parts.hash) } };
}

function malformed(what, fn) {
  try {
    return fn();
  } catch (e) {
    if (e instanceof LightError) throw e;
    throw badHeader(`malformed ${what}: ${e.name} ${e.message}`);
  }
}

export function headerFromJson(doc) {
  return malformed("header", () => {
    const version = doc.version || {};
    if (typeof doc.chain_id !== "string") throw new TypeError("no chain_id");
    return {
      chainId: doc.chain_id, height: int(doc.height), timeNs: parseTime(doc.time), lastBlockId: blockIdJson(doc.last_block_id || {}),
      lastCommitHash: hex(doc.last_commit_hash), dataHash: hex(doc.data_hash), validatorsHash: hex(doc.validators_hash),
      nextValidatorsHash: hex(doc.next_validators_hash), consensusHash: hex(doc.consensus_hash), appHash: hex(doc.app_hash),
      lastResultsHash: hex(doc.last_results_hash), evidenceHash: hex(doc.evidence_hash), proposerAddress: hex(doc.proposer_address),
      versionBlock: int(version.block || 0), versionApp: int(version.app || 0),
    };
  });
}

export function commitFromJson(doc) {
  return malformed("commit", () => ({
    height: int(doc.height), round: int(doc.round || 0), blockId: blockIdJson(doc.block_id),
    signatures: doc.signatures.map((s) => ({
      flag: int(s.block_id_flag), address: hex(s.validator_address),
      timestampNs: parseTime(s.timestamp || "0001-01-01T00:00:00Z"), signature: b64(s.signature),
    })),
  }));
}

export function validatorFromJson(doc) {
  return malformed("validator", () => {
    const key = doc.pub_key;
    if (key.type !== ED25519_TYPE) throw badHeader(`validator ${doc.address} has a ${key.type} key; only Ed25519 is supported`);
    return { address: hex(doc.address), pubKey: b64(key.value), power: bigint(doc.voting_power) };
  });
}

export function validatorSet(validators) {
  return { validators, total: validators.reduce((n, v) => n + v.power, 0n) };
}

// {"signed_header": {header, commit}, "validator_set": {"validators": [...]}}
export function lightBlockFromJson(doc) {
  const vals = doc && doc.validator_set && doc.validator_set.validators;
  if (!Array.isArray(vals)) throw badHeader("malformed light block: no validator set");
  const sh = doc.signed_header || {};
  if (!sh.header || !sh.commit) throw badHeader(`malformed signed header: no '${sh.header ? "commit" : "header"}'`);
  const header = headerFromJson(sh.header);
  return { header, commit: commitFromJson(sh.commit), validatorSet: validatorSet(vals.map(validatorFromJson)), height: header.height };
}

// the set CometBFT forms from genesis's (Ed25519 key, power) pairs: zero-power ones left out,
// sorted by power descending, then by address
export async function validatorSetOf(keysAndPowers) {
  const vals = [];
  for (const [pubKey, power] of keysAndPowers) {
    if (BigInt(power) > 0n) vals.push({ address: await addressOf(pubKey), pubKey, power: BigInt(power) });
  }
  vals.sort((a, b) => (a.power !== b.power ? (a.power > b.power ? -1 : 1) : HEX(a.address) < HEX(b.address) ? -1 : HEX(a.address) > HEX(b.address) ? 1 : 0));
  return validatorSet(vals);
}

// -- hashes --------------------------------------------------------------------------------------
const memo = new WeakMap();

function encodeBlockId(b) {
  return proto.blockId(b.hash, b.parts.total, b.parts.hash);
}

// Header.Hash(): the Merkle root of the 14 fields, each encoded as CometBFT does; empty when
// the header has no validators hash (such a header is never valid)
export async function headerHash(h) {
  if (!memo.has(h)) {
    memo.set(h, !h.validatorsHash.length ? Promise.resolve(new Uint8Array(0)) : merkleRoot([
      proto.consensusVersion(h.versionBlock, h.versionApp), proto.stringValue(h.chainId), proto.int64Value(h.height),
      proto.timestamp(h.timeNs), encodeBlockId(h.lastBlockId), proto.bytesValue(h.lastCommitHash), proto.bytesValue(h.dataHash),
      proto.bytesValue(h.validatorsHash), proto.bytesValue(h.nextValidatorsHash), proto.bytesValue(h.consensusHash),
      proto.bytesValue(h.appHash), proto.bytesValue(h.lastResultsHash), proto.bytesValue(h.evidenceHash),
      proto.bytesValue(h.proposerAddress),
    ]));
  }
  return memo.get(h);
}

// ValidatorSet.Hash(): Merkle root of each validator's SimpleValidator bytes, in the set's order
export async function validatorSetHash(vals) {
  if (!memo.has(vals)) memo.set(vals, merkleRoot(vals.validators.map((v) => proto.simpleValidator(v.pubKey, v.power))));
  return memo.get(vals);
}

// what validator `index` of `commit` signed (Commit.VoteSignBytes)
export function commitSignBytes(chainId, commit, index) {
  const sig = commit.signatures[index];
  return proto.voteSignBytes(voteParts(chainId, commit, sig.flag === BLOCK_ID_FLAG_COMMIT), sig.timestampNs);
}

function voteParts(chainId, commit, forBlock) {
  const b = commit.blockId;
  return proto.canonicalVoteParts(chainId, commit.height, commit.round, b.hash, b.parts.total, b.parts.hash, forBlock);
}

// -- Ed25519 by WebCrypto -----------------------------------------------------------------------
const keys = new Map();

export async function ed25519Verify(pubKey, signature, message) {
  const k = bytesToHex(pubKey);
  try {
    if (!keys.has(k)) keys.set(k, crypto.subtle.importKey("raw", pubKey, { name: "Ed25519" }, false, ["verify"]));
    return await crypto.subtle.verify({ name: "Ed25519" }, await keys.get(k), signature, message);
  } catch {
    keys.delete(k);
    return false;
  }
}

// -- shape checks (ValidateBasic) ----------------------------------------------------------------
function validateBlockId(b, what) {
  for (const [name, value] of [["hash", b.hash], ["part set hash", b.parts.hash]]) {
    if (value.length && value.length !== HASH_SIZE) throw badHeader(`${what}: ${name} is ${value.length} bytes, expected ${HASH_SIZE}`);
  }
  if (b.parts.total < 0) throw badHeader(`${what}: negative part count`);
}

const isZeroBlockId = (b) => !b.hash.length && b.parts.total === 0 && !b.parts.hash.length;

function validateHeader(h) {
  const at = h.height;
  if (h.versionBlock !== BLOCK_PROTOCOL) throw badHeader(`header at height ${at} has block protocol ${h.versionBlock}, expected ${BLOCK_PROTOCOL}`);
  if (h.chainId.length > MAX_CHAIN_ID_LEN) throw badHeader(`header at height ${at} has a chain id of ${h.chainId.length} characters, more than ${MAX_CHAIN_ID_LEN}`);
  if (at <= 0) throw badHeader(`header has height ${at}; heights start at 1`);
  validateBlockId(h.lastBlockId, `header at height ${at}, last block id`);
  for (const [name, field] of [["last_commit_hash", "lastCommitHash"], ["data_hash", "dataHash"], ["evidence_hash", "evidenceHash"],
    ["validators_hash", "validatorsHash"], ["next_validators_hash", "nextValidatorsHash"], ["consensus_hash", "consensusHash"],
    ["last_results_hash", "lastResultsHash"]]) {
    const value = h[field];
    if (value.length && value.length !== HASH_SIZE) throw badHeader(`header at height ${at}: ${name} is ${value.length} bytes, expected ${HASH_SIZE}`);
  }
  if (!h.validatorsHash.length) throw badHeader(`header at height ${at} has no validators hash`);
  if (h.proposerAddress.length !== ADDRESS_SIZE) throw badHeader(`header at height ${at}: proposer address is ${h.proposerAddress.length} bytes, expected ${ADDRESS_SIZE}`);
}

function validateCommitSig(sig, height, index) {
  const what = `commit at height ${height}, signature #${index}`;
  if (sig.flag === BLOCK_ID_FLAG_ABSENT) {
    if (sig.address.length || sig.signature.length || sig.timestampNs !== ZERO_TIME_NS) throw badHeader(`${what} is marked absent but carries an address, time or signature`);
  } else if (sig.flag === BLOCK_ID_FLAG_COMMIT || sig.flag === BLOCK_ID_FLAG_NIL) {
    if (sig.address.length !== ADDRESS_SIZE) throw badHeader(`${what}: validator address is ${sig.address.length} bytes, expected ${ADDRESS_SIZE}`);
    if (!sig.signature.length) throw badHeader(`${what} has no signature`);
    if (sig.signature.length > MAX_SIGNATURE_SIZE) throw badHeader(`${what}: signature of ${sig.signature.length} bytes, at most ${MAX_SIGNATURE_SIZE}`);
  } else throw badHeader(`${what} has unknown block id flag ${sig.flag}`);
}

function validateCommit(c) {
  if (c.height < 0 || c.round < 0) throw badHeader(`commit at height ${c.height} has a negative height or round (${c.round})`);
  if (c.height >= 1) {
    if (isZeroBlockId(c.blockId)) throw badHeader(`commit at height ${c.height} is for no block`);
    validateBlockId(c.blockId, `commit at height ${c.height}, block id`);
    if (!c.signatures.length) throw badHeader(`commit at height ${c.height} has no signatures`);
    c.signatures.forEach((s, i) => validateCommitSig(s, c.height, i));
  }
}

async function validateValidatorSet(vals, height) {
  if (!vals.validators.length) throw badHeader(`validator set at height ${height} is empty`);
  for (const [i, v] of vals.validators.entries()) {
    const what = `validator #${i} at height ${height}`;
    if (v.pubKey.length !== 32) throw badHeader(`${what}: Ed25519 key of ${v.pubKey.length} bytes, expected 32`);
    if (v.power < 0n) throw badHeader(`${what} has negative voting power ${v.power}`);
    const derived = await addressOf(v.pubKey);
    if (!equal(v.address, derived)) throw badHeader(`${what}: address ${HEX(v.address)} is not derived from its key (${HEX(derived)})`);
  }
}

// LightBlock.ValidateBasic: well formed, of `chainId`, the commit is for this header (its block
// id is the header's hash, recomputed here), the set is the one the header names. No signature yet.
export async function validateLightBlock(lb, chainId) {
  const h = lb.header, c = lb.commit;
  validateHeader(h);
  validateCommit(c);
  if (h.chainId !== chainId) throw badHeader(`header at height ${h.height} belongs to chain '${h.chainId}', not '${chainId}'`);
  if (c.height !== h.height) throw badHeader(`header at height ${h.height} comes with the commit of height ${c.height}`);
  const hh = await headerHash(h);
  if (!equal(c.blockId.hash, hh)) throw badHeader(`commit at height ${h.height} signs block ${HEX(c.blockId.hash)}, but the header hashes to ${HEX(hh)}`);
  await validateValidatorSet(lb.validatorSet, h.height);
  const vh = await validatorSetHash(lb.validatorSet);
  if (!equal(vh, h.validatorsHash)) throw badHeader(`validator set given for height ${h.height} hashes to ${HEX(vh)}, but the header names validators ${HEX(h.validatorsHash)}`);
}

// -- signatures ----------------------------------------------------------------------------------
// who signed: `signed` of `validators` validators holding `power` of `totalPower`
export function tallyText(t) {
  return `signed by ${t.signed} of ${t.validators} validators (${percent(t.power, t.totalPower)} % of voting power)`;
}

function signatureChecker(chainId, commit) {
  const parts = new Map();
  return (index, validator) => {
    const sig = commit.signatures[index];
    const forBlock = sig.flag === BLOCK_ID_FLAG_COMMIT;
    if (!parts.has(forBlock)) parts.set(forBlock, voteParts(chainId, commit, forBlock));
    return ed25519Verify(validator.pubKey, sig.signature, proto.voteSignBytes(parts.get(forBlock), sig.timestampNs));
  };
}

// VerifyCommitLight: more than 2/3 of `vals`' power signed `commit` for its block; the i-th
// signature must be the i-th validator's. Stops past 2/3 unless allSignatures.
export async function verifyCommitLight(chainId, vals, commit, height, allSignatures = false) {
  if (vals.validators.length !== commit.signatures.length) throw badHeader(`commit at height ${height} has ${commit.signatures.length} signature slots for ${vals.validators.length} validators`);
  if (commit.height !== height) throw badHeader(`commit for height ${commit.height} given for height ${height}`);
  const needed = (vals.total * 2n) / 3n;
  const check = signatureChecker(chainId, commit);
  let power = 0n, signed = 0;
  for (const [i, sig] of commit.signatures.entries()) {
    if (sig.flag !== BLOCK_ID_FLAG_COMMIT) continue;
    const v = vals.validators[i];
    if (!equal(sig.address, v.address)) throw badHeader(`commit at height ${height}: signature #${i} is by ${HEX(sig.address)}, which is not validator #${i} of the set (${HEX(v.address)})`);
    if (!(await check(i, v))) throw badHeader(`commit at height ${height}: signature #${i} by validator ${HEX(v.address)} does not verify`);
    power += v.power;
    signed += 1;
    if (!allSignatures && power > needed) break;
  }
  if (power <= needed) throw badHeader(`commit at height ${height} has ${signed} of ${vals.validators.length} validators' signatures: ${percent(power, vals.total)} % of voting power, needs more than 2/3`);
  return { signed, validators: vals.validators.length, power, totalPower: vals.total };
}

// VerifyCommitLightTrusting: more than `trustLevel` of the power of `trustedVals` (an earlier
// height's validators) signed `commit`; matched by address, unknown signers skipped, a validator
// signing twice fails. NotEnoughTrust when too little power signed.
export async function verifyCommitLightTrusting(chainId, trustedVals, commit, trustLevel, trustedHeight) {
  const [num, den] = trustLevel;
  const needed = (trustedVals.total * num) / den;
  const check = signatureChecker(chainId, commit);
  const index = new Map(trustedVals.validators.map((v, j) => [bytesToHex(v.address), j]));
  const seen = new Map();
  let power = 0n, signed = 0;
  for (const [i, sig] of commit.signatures.entries()) {
    if (sig.flag !== BLOCK_ID_FLAG_COMMIT) continue;
    const j = index.get(bytesToHex(sig.address));
    if (j === undefined) continue;
    const v = trustedVals.validators[j];
    if (seen.has(j)) throw badHeader(`commit at height ${commit.height}: validator ${HEX(v.address)} signed twice (#${seen.get(j)} and #${i})`);
    seen.set(j, i);
    if (!(await check(i, v))) throw badHeader(`commit at height ${commit.height}: signature #${i} by validator ${HEX(v.address)} does not verify`);
    power += v.power;
    signed += 1;
    if (power > needed) return { signed, validators: trustedVals.validators.length, power, totalPower: trustedVals.total };
  }
  throw new NotEnoughTrust(`commit at height ${commit.height} carries signatures of ${signed} of the ${trustedVals.validators.length} validators trusted at height ${trustedHeight}: ${percent(power, trustedVals.total)} % of their voting power, needs more than ${num}/${den}`);
}

// -- verification between two blocks ---------------------------------------------------------------
function checkTrustLevel([num, den]) {
  if (!(3n * num >= den && num <= den)) throw new RangeError(`trust level must be within [1/3, 1], got ${num}/${den}`);
}

function checkNotExpired(trusted, trustingPeriodS, nowMs) {
  const expiresNs = trusted.header.timeNs + BigInt(Math.round(trustingPeriodS * 1e9));
  const nowNs = BigInt(nowMs) * 1_000_000n;
  if (!(expiresNs > nowNs)) {
    throw new LightError(`trusted header at height ${trusted.height} (${formatTime(trusted.header.timeNs)}) expired at ${formatTime(expiresNs)}, past its trusting period of ${g(trustingPeriodS)} s (now ${formatTime(nowNs)}); start again from a newer trusted block`, "untrusted");
  }
}

async function checkNewBlock(trusted, untrusted, nowMs, maxClockDriftS) {
  await validateLightBlock(untrusted, trusted.header.chainId);
  const h = untrusted.header, t = trusted.header;
  if (h.height <= t.height) throw badHeader(`header at height ${h.height} is not above the trusted height ${t.height}`);
  if (!(h.timeNs > t.timeNs)) throw badHeader(`header at height ${h.height} has time ${formatTime(h.timeNs)}, not after the trusted header ${t.height}'s ${formatTime(t.timeNs)}`);
  const nowNs = BigInt(nowMs) * 1_000_000n;
  const limitNs = nowNs + BigInt(Math.round(maxClockDriftS * 1e9));
  if (!(h.timeNs < limitNs)) throw badHeader(`header at height ${h.height} has time ${formatTime(h.timeNs)}, in the future (now ${formatTime(nowNs)}, allowed clock drift ${g(maxClockDriftS)} s)`);
}

// header h+1 from trusted header h: its validators are the ones h announced, and more than 2/3 signed
export async function verifyAdjacent(trusted, untrusted, trustingPeriodS, nowMs, maxClockDriftS = DEFAULT_MAX_CLOCK_DRIFT_S) {
  if (untrusted.height !== trusted.height + 1) throw new RangeError(`heights ${trusted.height} and ${untrusted.height} are not adjacent`);
  checkNotExpired(trusted, trustingPeriodS, nowMs);
  await checkNewBlock(trusted, untrusted, nowMs, maxClockDriftS);
  if (!equal(untrusted.header.validatorsHash, trusted.header.nextValidatorsHash)) {
    throw badHeader(`header at height ${untrusted.height} names validators ${HEX(untrusted.header.validatorsHash)}, but trusted header ${trusted.height} announced ${HEX(trusted.header.nextValidatorsHash)} as next`);
  }
  return verifyCommitLight(trusted.header.chainId, untrusted.validatorSet, untrusted.commit, untrusted.height);
}

// a far header from a trusted one (skipping): more than trustLevel of the trusted validators'
// power signed it (NotEnoughTrust otherwise), then more than 2/3 of its own validators did
export async function verifyNonAdjacent(trusted, untrusted, trustingPeriodS, nowMs, maxClockDriftS = DEFAULT_MAX_CLOCK_DRIFT_S, trustLevel = DEFAULT_TRUST_LEVEL) {
  checkTrustLevel(trustLevel);
  if (untrusted.height === trusted.height + 1) throw new RangeError(`heights ${trusted.height} and ${untrusted.height} are adjacent; use verifyAdjacent`);
  checkNotExpired(trusted, trustingPeriodS, nowMs);
  await checkNewBlock(trusted, untrusted, nowMs, maxClockDriftS);
  const chainId = trusted.header.chainId;
  await verifyCommitLightTrusting(chainId, trusted.validatorSet, untrusted.commit, trustLevel, trusted.height);
  return verifyCommitLight(chainId, untrusted.validatorSet, untrusted.commit, untrusted.height);
}

export async function verify(trusted, untrusted, trustingPeriodS, nowMs, maxClockDriftS = DEFAULT_MAX_CLOCK_DRIFT_S, trustLevel = DEFAULT_TRUST_LEVEL) {
  if (untrusted.height === trusted.height + 1) return verifyAdjacent(trusted, untrusted, trustingPeriodS, nowMs, maxClockDriftS);
  return verifyNonAdjacent(trusted, untrusted, trustingPeriodS, nowMs, maxClockDriftS, trustLevel);
}

async function fetchAt(fetch, height) {
  const lb = await fetch(height);
  if (lb.height !== height) throw badHeader(`asked for the light block at height ${height}, got one for height ${lb.height}`);
  return lb;
}

// The block at targetHeight verified from `trusted`, fetching what it needs (`fetch(height)` ->
// light block, async). Forward it skips, bisecting at 9/16 where too few trusted validators
// signed; backward it follows the chain of header hashes. -> {block, trace}
export async function verifyTo(trusted, targetHeight, fetch, { nowMs, trustingPeriodS = DEFAULT_TRUSTING_PERIOD_S, maxClockDriftS = DEFAULT_MAX_CLOCK_DRIFT_S, trustLevel = DEFAULT_TRUST_LEVEL }) {
  checkTrustLevel(trustLevel);
  if (targetHeight < 1) throw new LightError(`no block at height ${targetHeight}`, "untrusted");
  if (targetHeight === trusted.height) {
    checkNotExpired(trusted, trustingPeriodS, nowMs);
    return { block: trusted, trace: [trusted] };
  }
  if (targetHeight < trusted.height) return verifyBackwards(trusted, targetHeight, fetch, trustingPeriodS, nowMs);
  let verified = trusted;
  const trace = [trusted];
  const cache = [await fetchAt(fetch, targetHeight)];
  let depth = 0;
  for (;;) {
    const candidate = cache[depth];
    try {
      await verify(verified, candidate, trustingPeriodS, nowMs, maxClockDriftS, trustLevel);
    } catch (e) {
      if (!(e instanceof NotEnoughTrust)) throw e;
      if (depth === cache.length - 1) {
        const pivot = verified.height + Math.floor(((candidate.height - verified.height) * PIVOT[0]) / PIVOT[1]);
        cache.push(await fetchAt(fetch, pivot));
      }
      depth += 1;
      continue;
    }
    trace.push(candidate);
    if (depth === 0) return { block: candidate, trace };
    verified = candidate;
    cache.length = depth;
    depth = 0;
  }
}

async function verifyBackwards(trusted, targetHeight, fetch, trustingPeriodS, nowMs) {
  checkNotExpired(trusted, trustingPeriodS, nowMs);
  const chainId = trusted.header.chainId;
  let verified = trusted;
  const trace = [trusted];
  for (let height = trusted.height - 1; height >= targetHeight; height--) {
    const lb = await fetchAt(fetch, height);
    const h = lb.header;
    validateHeader(h);
    if (h.chainId !== chainId) throw badHeader(`header at height ${height} belongs to chain '${h.chainId}', not '${chainId}'`);
    if (!(h.timeNs < verified.header.timeNs)) throw badHeader(`header at height ${height} has time ${formatTime(h.timeNs)}, not before header ${verified.height}'s ${formatTime(verified.header.timeNs)}`);
    const hh = await headerHash(h);
    if (!equal(hh, verified.header.lastBlockId.hash)) throw badHeader(`header at height ${height} hashes to ${HEX(hh)}, but header ${verified.height} names ${HEX(verified.header.lastBlockId.hash)} as its predecessor`);
    const vh = await validatorSetHash(lb.validatorSet);
    if (!equal(vh, h.validatorsHash)) throw badHeader(`validator set given for height ${height} hashes to ${HEX(vh)}, but the header names validators ${HEX(h.validatorsHash)}`);
    verified = lb;
    trace.push(lb);
  }
  return { block: verified, trace };
}

// -- starting points and faechain blocks ---------------------------------------------------------------
// block 1, trusted because genesis's validators (from the genesis pinned in this browser) are
// the ones its header names and more than 2/3 of them signed it
export async function trustGenesis(chainId, validators, fetch) {
  const lb = await fetchAt(fetch, 1);
  const gh = await validatorSetHash(validators);
  if (!equal(lb.header.validatorsHash, gh)) throw badHeader(`header at height 1 names validators ${HEX(lb.header.validatorsHash)}, not genesis's ${HEX(gh)}`);
  await validateLightBlock(lb, chainId);
  await verifyCommitLight(chainId, lb.validatorSet, lb.commit, 1);
  return lb;
}

// faechain block h as a *verified* CometBFT light block h+1 establishes it: header h+1 carries
// the app hash after block h. Every signature is counted for the basis. faechain's own block hash
// is in no CometBFT header, so blockHash is left empty (as in faechain.sdk.light.cometbft).
export async function trustedHeader(after, chainId) {
  const h = after.height - 1;
  if (h < 1) throw new LightError(`CometBFT header ${after.height} carries the genesis app hash, no block's`, "untrusted");
  const tally = await verifyCommitLight(chainId || after.header.chainId, after.validatorSet, after.commit, after.height, true);
  return {
    engine: "cometbft", height: h, blockHash: new Uint8Array(0), appHash: after.header.appHash, timeMs: timeMs(after.header.timeNs),
    tally, cometHeight: after.height,
    basis: `${tallyText(tally)}, CometBFT header ${after.height} (time of header ${after.height})`,
  };
}

// Is `lb` still a starting point at `nowMs`: its time plus the trusting period lies ahead?
export function withinTrustingPeriod(lb, trustingPeriodS, nowMs) {
  return lb.header.timeNs + BigInt(Math.round(trustingPeriodS * 1e9)) > BigInt(nowMs) * 1_000_000n;
}

// The light blocks an evidence bundle carries (docs/evidence.md §5.3; faechain.sdk.evidence.cometbft_trace
// ported): from `anchor` through every target height, ascending, each verified here from the one before
// it *judged at its own time*, as an offline verifier judges it years later. Skipping goes as far as
// the validators allow (bisecting where too few trusted ones signed); where a target lies a trusting
// period or more after the block before it, the trace first hops to the last block within that period.
export async function evidenceTrace(anchor, targets, fetch, { trustingPeriodS = DEFAULT_TRUSTING_PERIOD_S, maxClockDriftS = DEFAULT_MAX_CLOCK_DRIFT_S, trustLevel = DEFAULT_TRUST_LEVEL } = {}) {
  const periodNs = BigInt(Math.round(trustingPeriodS * 1e9));
  const trace = [anchor];
  let current = anchor;
  for (const target of [...new Set(targets)].sort((a, b) => a - b)) {
    if (target < anchor.height) throw new LightError(`block ${target - 1} lies before the anchor, CometBFT header ${anchor.height}: export from genesis or an earlier checkpoint`, "untrusted");
    while (current.height < target) {
      let goal = target;
      const limit = current.header.timeNs + periodNs;
      if (!((await fetchAt(fetch, goal)).header.timeNs < limit)) { // too far for one step: the last block within the period
        let lo = current.height + 1, hi = goal - 1;
        if (lo > hi || !((await fetchAt(fetch, lo)).header.timeNs < limit)) {
          throw new LightError(`no CometBFT block follows header ${current.height} within the trusting period (${g(trustingPeriodS)} s): export from a later checkpoint`, "untrusted");
        }
        while (lo < hi) {
          const mid = Math.floor((lo + hi + 1) / 2);
          if ((await fetchAt(fetch, mid)).header.timeNs < limit) lo = mid;
          else hi = mid - 1;
        }
        goal = lo;
      }
      const nowMs = timeMs((await fetchAt(fetch, goal)).header.timeNs);
      const step = await verifyTo(current, goal, fetch, { nowMs, trustingPeriodS, maxClockDriftS, trustLevel });
      trace.push(...step.trace.slice(1));
      current = step.block;
    }
  }
  return trace;
}
