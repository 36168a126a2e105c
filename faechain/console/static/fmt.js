// Formatting: amounts in 元 (integer fen on chain), ISO dates in China time, short ids.
import { lang } from "./i18n.js";

const CST_MS = 8 * 3600 * 1000; // the chain's business days are China Standard Time days

function groupThousands(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

// fen (integer or BigInt or numeric string) -> "1,234,567.89"
export function yuanNumber(fen) {
  if (fen === null || fen === undefined || fen === "") return "";
  let v = typeof fen === "bigint" ? fen : BigInt(Math.trunc(Number(fen)));
  const neg = v < 0n;
  if (neg) v = -v;
  const whole = v / 100n;
  const cents = (v % 100n).toString().padStart(2, "0");
  return (neg ? "-" : "") + groupThousands(whole.toString()) + "." + cents;
}

// "1,234,567.89 元"
export function yuan(fen) {
  if (fen === null || fen === undefined || fen === "") return "—";
  return yuanNumber(fen) + " 元";
}

// a typed amount in yuan ("1,234.5") -> integer fen, or null if it is not an amount
export function parseYuan(text) {
  const t = String(text).replace(/[,\s元¥]/g, "");
  const m = /^(\d+)(?:\.(\d{0,2}))?$/.exec(t);
  if (!m) return null;
  const fen = BigInt(m[1]) * 100n + BigInt((m[2] || "").padEnd(2, "0") || "0");
  if (fen > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(fen);
}

function toMs(t) {
  if (t === null || t === undefined) return null;
  const n = Number(t);
  return n > 1e11 ? n : n * 1000; // seconds (contracts) or milliseconds (blocks)
}

// unix seconds or ms -> "2026-11-27" (China time)
export function date(t) {
  const ms = toMs(t);
  if (ms === null) return "—";
  return new Date(ms + CST_MS).toISOString().slice(0, 10);
}

// unix seconds or ms -> "2026-11-27 14:03:05" (China time)
export function datetime(t) {
  const ms = toMs(t);
  if (ms === null) return "—";
  return new Date(ms + CST_MS).toISOString().slice(0, 19).replace("T", " ");
}

// "2026-11-27" (China time) -> unix seconds at that day's start, China time
export function parseDate(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text).trim());
  if (!m) return null;
  return Math.floor((Date.UTC(+m[1], +m[2] - 1, +m[3]) - CST_MS) / 1000);
}

export function short(hex, n = 10) {
  if (!hex) return "";
  return hex.length > n + 2 ? hex.slice(0, n) + "…" : hex;
}

export function bps(v) {
  return (Number(v) / 100).toFixed(2) + "%";
}

export function duration(seconds) {
  let s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const pad = (x) => String(x).padStart(2, "0");
  const zh = lang() === "zh";
  return (d ? d + (zh ? "天 " : "d ") : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
}

// organisations, loaded once per session by app.js
const orgs = new Map();
export function setOrgs(list) {
  orgs.clear();
  for (const o of list || []) orgs.set(o.id, o);
}
export function allOrgs() {
  return [...orgs.values()];
}
export function orgName(id) {
  const o = orgs.get(id);
  return o ? o.name : id || "—";
}
export function orgType(id) {
  const o = orgs.get(id);
  return o ? o.type : "";
}

// the chain's clock (a dev chain's may run ahead of the wall clock): offset set from /v1/info
let clockOffset = 0;
export function setChainTime(chainMs) {
  clockOffset = Number(chainMs) - Date.now();
}
export function nowMs() {
  return Date.now() + clockOffset;
}
