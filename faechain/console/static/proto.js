// The protobuf encodings CometBFT v0.38 hashes and signs, rebuilt byte for byte in the browser
// (a port of faechain/core/protobuf.py and faechain/sdk/light/proto.py).
//
// Why: a light client may not take a header's hash or a vote's sign bytes from the node it is
// checking. It re-encodes the fields it was given, hashes or verifies them, and compares. Every
// function returns exactly the bytes CometBFT's gogoproto `Marshal` gives for the same message,
// so the same vectors pass here and in Python (tests/e2e/test_console_light.py).
//
// Wire format: tag = uvarint(field << 3 | wire type); VARINT (0), I64 (1: 8 bytes little
// endian), LEN (2: uvarint length, then bytes). proto3 leaves out fields holding 0 or empty;
// gogoproto's non-nullable sub-messages (a BlockID's PartSetHeader, a vote's timestamp) and a
// set `oneof` member are written even when empty ("always"). Integers are taken as Number or
// BigInt and handled as BigInt (voting powers and times in nanoseconds exceed 2^53).

const VARINT = 0n, I64 = 1n, LEN = 2n;
const U64 = 1n << 64n;
const utf8 = new TextEncoder();

export const PRECOMMIT = 2; // SignedMsgType SIGNED_MSG_TYPE_PRECOMMIT: the votes a commit is made of
export const NANOS = 1_000_000_000n;

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
}

// an unsigned varint, seven bits a byte, least significant group first; negatives are written
// as 64-bit two's complement (int32/int64 fields)
export function uvarint(value) {
  let n = BigInt(value);
  if (n < 0n) n += U64;
  const out = [];
  while (n >= 0x80n) {
    out.push(Number((n & 0x7fn) | 0x80n));
    n >>= 7n;
  }
  out.push(Number(n));
  return Uint8Array.from(out);
}

function key(num, wireType) {
  return uvarint((BigInt(num) << 3n) | wireType);
}

// a varint field (int64, uint32, enum, ...); left out when zero
export function fVarint(num, value) {
  const n = BigInt(value);
  return n === 0n ? new Uint8Array(0) : concat(key(num, VARINT), uvarint(n));
}

// an sfixed64 field: 8 bytes little-endian two's complement; left out when zero
export function fSfixed64(num, value) {
  let n = BigInt(value);
  if (n === 0n) return new Uint8Array(0);
  if (n < 0n) n += U64;
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return concat(key(num, I64), out);
}

// a bytes, string or sub-message field; left out when empty unless `always`
export function fBytes(num, value, always = false) {
  const bytes = typeof value === "string" ? utf8.encode(value) : value;
  if (!bytes.length && !always) return new Uint8Array(0);
  return concat(key(num, LEN), uvarint(bytes.length), bytes);
}

// a message prefixed by its length (protoio.MarshalDelimited: a vote's sign bytes)
export function delimited(message) {
  return concat(uvarint(message.length), message);
}

// google.protobuf.Timestamp{seconds, nanos} of a time in nanoseconds since the epoch (BigInt):
// seconds floored, nanos in [0, 1e9)
export function timestamp(timeNs) {
  const t = BigInt(timeNs);
  let seconds = t / NANOS, nanos = t % NANOS;
  if (nanos < 0n) {
    seconds -= 1n;
    nanos += NANOS;
  }
  return concat(fVarint(1, seconds), fVarint(2, nanos));
}

// tendermint.version.Consensus{block, app}
export function consensusVersion(block, app) {
  return concat(fVarint(1, block), fVarint(2, app));
}

// PartSetHeader (and CanonicalPartSetHeader: the same fields)
export function partSetHeader(total, hash) {
  return concat(fVarint(1, total), fBytes(2, hash));
}

// BlockID{hash, part_set_header}: the part-set header is non-nullable, always written
export function blockId(hash, partsTotal, partsHash) {
  return concat(fBytes(1, hash), fBytes(2, partSetHeader(partsTotal, partsHash), true));
}

// cdcEncode: the wrapper types Header.Hash() puts each scalar field in (empty for zero/empty)
export const stringValue = (s) => fBytes(1, s);
export const int64Value = (n) => fVarint(1, n);
export const bytesValue = (b) => fBytes(1, b);

// tendermint.crypto.PublicKey with its ed25519 member (oneof field 1) set
export function ed25519PublicKey(key) {
  return fBytes(1, key, true);
}

// SimpleValidator{pub_key, voting_power}: one leaf of a validator set's hash
export function simpleValidator(ed25519Key, votingPower) {
  return concat(fBytes(1, ed25519PublicKey(ed25519Key), true), fVarint(2, votingPower));
}

// The fields of a CanonicalVote (a precommit) before and after its timestamp: shared by every
// vote of one commit. A vote for nil carries no block id (the nullable field is left out).
export function canonicalVoteParts(chainId, height, round, blockHash, partsTotal, partsHash, forBlock = true) {
  let head = concat(fVarint(1, PRECOMMIT), fSfixed64(2, height), fSfixed64(3, round));
  if (forBlock) head = concat(head, fBytes(4, blockId(blockHash, partsTotal, partsHash), true));
  return [head, fBytes(6, chainId)];
}

// what a validator signs: the CanonicalVote with its timestamp, length-delimited
export function voteSignBytes([head, tail], timeNs) {
  return delimited(concat(head, fBytes(5, timestamp(timeNs), true), tail));
}
