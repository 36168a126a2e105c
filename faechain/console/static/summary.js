// What a member signs, in words a person reads (issue 19): each argument by its name — amounts
// in 元, times as China-time dates, basis points as percentages, organisations by name beside
// their code, [invoice, fen] pairs as "invoice: amount". The raw body stays one click away.
import { date, datetime, orgName, yuan } from "./fmt.js";
import { t } from "./i18n.js";

const MONEY = /^(amount|price|size|reserve_price|list_price|margin|principal|interest|min_ticket|limit|payment|total|fee|deposit|balance|paid|value)$|_(amount|price|fen)$/;
const DAY = /^(date|maturity|base_date|value_date|due)$|_date$/;
const TIME = /^(expires|opens|closes|deadline|until|since|starts|ends)$|_at$/;
const BPS = /_bps$/;
const ORG_ID = /^[0-9A-Z]{18}$/;

function org(v) {
  const name = orgName(v);
  return name && name !== v ? `${name} (${v})` : v;
}

// one argument's value as text
export function readable(name, value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number" || (typeof value === "string" && /^\d+$/.test(value))) {
    if (MONEY.test(name)) return yuan(value);
    if (DAY.test(name)) return date(value);
    if (TIME.test(name)) return datetime(value);
    if (BPS.test(name)) return (Number(value) / 100).toFixed(2) + "%";
    return String(value);
  }
  if (typeof value === "string") return ORG_ID.test(value) ? org(value) : value;
  if (typeof value === "boolean") return t(value ? "yes" : "no");
  if (Array.isArray(value)) {
    if (value.every((x) => Array.isArray(x) && x.length === 2 && typeof x[1] === "number")) {
      return value.map(([id, fen]) => `${typeof id === "string" && ORG_ID.test(id) ? org(id) : id}: ${yuan(fen)}`).join("; ");
    }
    return value.map((x) => readable(name, x)).join(", ");
  }
  return Object.entries(value).map(([k, v]) => `${t(k)}: ${readable(k, v)}`).join("; ");
}

// [label, text] rows of a call's arguments, in the order the call gave them
export function summaryRows(args) {
  return Object.entries(args || {}).map(([name, value]) => [t(name), readable(name, value)]);
}
