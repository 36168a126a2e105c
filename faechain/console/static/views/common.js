// Helpers several views share: organisation pickers, voucher lineage, amounts and hashes typed in forms.
import * as api from "../api.js";
import { allOrgs, nowMs, orgName, parseDate, parseYuan } from "../fmt.js";
import { t } from "../i18n.js";
import { bytesToHex } from "../cbor.js";
import { sha256 } from "../smt.js";

export const LIVE = ["ISSUED", "ACTIVE", "FINANCING", "FINANCED", "OVERDUE"];

// [[org id, name], ...] of the given organisation types (all if none), excluding `except`
export function orgOptions(types, except) {
  return allOrgs()
    .filter((o) => (!types || types.includes(o.type)) && o.id !== except && o.status !== "REMOVED")
    .map((o) => [o.id, `${o.name} (${o.id})`]);
}

export function settlementBanks() {
  return allOrgs().filter((o) => o.type === "BANK" && o.attributes && o.attributes.settlement).map((o) => [o.id, `${o.name} (${o.id})`]);
}

export function fen(text, what) {
  const v = parseYuan(text);
  if (v === null || v <= 0) throw new Error(t("bad_amount", { what: what || t("amount") }));
  return v;
}

export function day(text, what) {
  const v = parseDate(text);
  if (v === null) throw new Error(t("bad_date", { what: what || t("date") }));
  return v;
}

export function int(text, what) {
  if (!/^-?\d+$/.test(String(text).trim())) throw new Error(t("bad_number", { what }));
  return Number(text);
}

// a 64-hex hash as typed, or the SHA-256 of the text typed (a document's content)
export async function hashOf(text) {
  const s = String(text).trim();
  if (/^[0-9a-f]{64}$/.test(s)) return s;
  return bytesToHex(await sha256(new TextEncoder().encode(s)));
}

// every piece of the trees `ids` belong to, as far as the member may see (voucher query lineage)
export async function lineage(ids) {
  const pieces = new Map();
  for (const id of ids) {
    if (pieces.has(id) && pieces.get(id).full) continue;
    let v;
    try {
      v = await api.query("receivables", "voucher", { id });
    } catch {
      continue;
    }
    pieces.set(id, { ...v.voucher, full: true });
    for (const p of [...v.ancestors, ...v.descendants]) if (!pieces.has(p.id)) pieces.set(p.id, p);
  }
  // children from parent links (summaries carry the parent only)
  const all = [...pieces.values()].map((p) => ({ ...p, children: [] }));
  const byId = new Map(all.map((p) => [p.id, p]));
  for (const p of all) if (p.parent && byId.has(p.parent)) byId.get(p.parent).children.push(p.id);
  for (const p of all) p.children.sort();
  for (const p of all) {
    let top = p;
    while (top.parent && byId.has(top.parent)) top = byId.get(top.parent);
    p.root = p.root || top.id;
  }
  return all;
}

export function today() {
  return inDays(0);
}

export function inDays(n) {
  return new Date(nowMs() + 8 * 3600e3 + n * 86400e3).toISOString().slice(0, 10);
}

export function nowSeconds() {
  return Math.floor(nowMs() / 1000);
}

export { orgName };
