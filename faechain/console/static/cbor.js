// Canonical CBOR of the faechain value model (docs/encoding.md), for checking proofs and
// signed bodies in the browser. decode() accepts only the canonical encoding of a value in
// the model: it decodes, re-encodes and compares, so a second byte string for the same value
// is refused, as faechain.core.encoding.decode refuses it.
//
// Values: null, true/false, integers (Number when safe, BigInt otherwise), Uint8Array
// (byte strings), strings, arrays, plain objects with text keys.

export class CborError extends Error {}

const MAX_DEPTH = 32;
const INT_MIN = -(2n ** 63n);
const INT_MAX = 2n ** 64n - 1n;

function readHead(buf, pos) {
  if (pos >= buf.length) throw new CborError("truncated");
  const ib = buf[pos];
  const major = ib >> 5;
  const info = ib & 31;
  let arg;
  let next = pos + 1;
  if (info < 24) arg = BigInt(info);
  else if (info <= 27) {
    const n = 1 << (info - 24);
    if (next + n > buf.length) throw new CborError("truncated");
    arg = 0n;
    for (let i = 0; i < n; i++) arg = (arg << 8n) | BigInt(buf[next + i]);
    next += n;
  } else throw new CborError("indefinite length or reserved additional information");
  return { major, info, arg, next };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8enc = new TextEncoder();

function num(big) {
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function decodeAt(buf, pos, depth) {
  const { major, info, arg, next } = readHead(buf, pos);
  switch (major) {
    case 0:
      return [num(arg), next];
    case 1: {
      const v = -1n - arg;
      if (v < INT_MIN) throw new CborError("integer outside the 64-bit range");
      return [num(v), next];
    }
    case 2:
    case 3: {
      const end = next + Number(arg);
      if (end > buf.length) throw new CborError("truncated");
      const bytes = buf.slice(next, end);
      if (major === 2) return [bytes, end];
      let s;
      try {
        s = utf8.decode(bytes);
      } catch {
        throw new CborError("invalid UTF-8");
      }
      return [s, end];
    }
    case 4: {
      if (depth >= MAX_DEPTH + 1) throw new CborError("nested too deeply");
      const out = [];
      let p = next;
      for (let i = 0n; i < arg; i++) {
        const [v, q] = decodeAt(buf, p, depth + 1);
        out.push(v);
        p = q;
      }
      return [out, p];
    }
    case 5: {
      if (depth >= MAX_DEPTH + 1) throw new CborError("nested too deeply");
      const out = {};
      let p = next;
      for (let i = 0n; i < arg; i++) {
        const [k, q] = decodeAt(buf, p, depth + 1);
        if (typeof k !== "string") throw new CborError("map keys must be text");
        if (Object.prototype.hasOwnProperty.call(out, k)) throw new CborError("duplicate map key");
        const [v, r] = decodeAt(buf, q, depth + 1);
        out[k] = v;
        p = r;
      }
      return [out, p];
    }
    case 6:
      throw new CborError("tags are not allowed");
    default:
      if (info === 20) return [false, next];
      if (info === 21) return [true, next];
      if (info === 22) return [null, next];
      throw new CborError("floats and other simple values are not allowed");
  }
}

function head(major, n) {
  let v = BigInt(n);
  if (v < 24n) return [(major << 5) | Number(v)];
  let len, info;
  if (v < 256n) [len, info] = [1, 24];
  else if (v < 65536n) [len, info] = [2, 25];
  else if (v < 4294967296n) [len, info] = [4, 26];
  else [len, info] = [8, 27];
  const out = [(major << 5) | info];
  const bytes = [];
  for (let i = 0; i < len; i++) {
    bytes.unshift(Number(v & 255n));
    v >>= 8n;
  }
  return out.concat(bytes);
}

function compareBytes(a, b) {
  if (a.length !== b.length) return a.length - b.length; // length-first, then bytewise
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function encodeInto(v, out, depth) {
  if (depth > MAX_DEPTH + 1) throw new CborError("nested too deeply");
  if (v === null) out.push(0xf6);
  else if (v === false) out.push(0xf4);
  else if (v === true) out.push(0xf5);
  else if (typeof v === "number" || typeof v === "bigint") {
    if (typeof v === "number" && !Number.isInteger(v)) throw new CborError("floats are not allowed");
    const b = BigInt(v);
    if (b < INT_MIN || b > INT_MAX) throw new CborError("integer outside the 64-bit range");
    out.push(...(b >= 0n ? head(0, b) : head(1, -1n - b)));
  } else if (v instanceof Uint8Array) {
    out.push(...head(2, v.length));
    for (const x of v) out.push(x);
  } else if (typeof v === "string") {
    const b = utf8enc.encode(v);
    out.push(...head(3, b.length));
    for (const x of b) out.push(x);
  } else if (Array.isArray(v)) {
    out.push(...head(4, v.length));
    for (const x of v) encodeInto(x, out, depth + 1);
  } else if (typeof v === "object") {
    const entries = Object.keys(v).map((k) => [Uint8Array.from(encode(k)), k]);
    entries.sort((a, b) => compareBytes(a[0], b[0]));
    out.push(...head(5, entries.length));
    for (const [kb, k] of entries) {
      for (const x of kb) out.push(x);
      encodeInto(v[k], out, depth + 1);
    }
  } else throw new CborError("not a value of the model: " + typeof v);
}

export function encode(value) {
  const out = [];
  encodeInto(value, out, 0);
  return Uint8Array.from(out);
}

export function decode(bytes) {
  const buf = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
  const [value, end] = decodeAt(buf, 0, 0);
  if (end !== buf.length) throw new CborError("trailing bytes");
  const again = encode(value);
  if (again.length !== buf.length || again.some((x, i) => x !== buf[i])) throw new CborError("not the canonical encoding");
  return value;
}

export function hexToBytes(hex) {
  if (typeof hex !== "string" || hex.length % 2 || /[^0-9a-f]/i.test(hex)) throw new CborError("not hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// the JSON shape the API shows a value in: byte strings as lowercase hex (faechain.core.wire.jsonable)
export function jsonable(v) {
  if (v instanceof Uint8Array) return bytesToHex(v);
  if (Array.isArray(v)) return v.map(jsonable);
  if (v && typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v)) out[k] = jsonable(v[k]);
    return out;
  }
  return v;
}

// deep equality of two JSON-shaped values (BigInt compared with numbers by value)
export function sameValue(a, b) {
  if (typeof a === "bigint" || typeof b === "bigint") {
    try {
      return BigInt(a) === BigInt(b);
    } catch {
      return false;
    }
  }
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameValue(a[k], b[k]));
}
