// What a member signs, in words a person reads (issue 19): each argument by its name — amounts
// in 元, times as China-time dates, basis points as percentages, organisations by name beside
// their code, [invoice, fen] pairs as "invoice: amount". The raw body stays one click away.
// Large sums also in 万元/亿元 for Chinese readers (money, below); outcomes.js says in a sentence
// what the call will do.
import { date, datetime, orgName, yuan, yuanNumber } from "./fmt.js";
import { lang, t, tv } from "./i18n.js";
import { ruleText } from "./thresholds.js";

// units: a product tranche's units are fen of principal
const MONEY = /^(amount|price|size|reserve_price|list_price|margin|principal|interest|min_ticket|limit|payment|total|fee|deposit|balance|paid|units|increment|step)$|_(amount|price|fen)$/;
const DAY = /^(date|maturity|base_date|value_date|due)$|_date$/;
const TIME = /^(expires|opens|closes|deadline|until|since|starts|ends)$|_at$/;
const BPS = /_bps$/;
const ORG_ID = /^[0-9A-Z]{18}$/;

// The 万/亿 rule, one for the whole console's sentences: in Chinese, an amount of at least
// 100 万元 is written in 万元 (at least 1 亿元: in 亿元) when that unit gives it exactly in two
// decimals (100 元 is 0.01 万元, 100 万元 is 0.01 亿元); otherwise, and in English, in 元 with
// separators. A signing dialog never rounds an amount: 1,234,567.89 元 stays in 元.
const WAN = 10_000n * 100n; // fen in 1 万元
const YI = 10_000n * WAN; // fen in 1 亿元

// fen -> its hundredths of `unit` printed as "1,234.56" (yuanNumber prints hundredths so)
function hundredthsOf(fen, unit) {
  return yuanNumber(fen / (unit / 100n));
}

// fen (integer, BigInt or numeric string) -> "300,000.00 元", "300.00 万元", "1.25 亿元"
export function money(fen) {
  if (fen === null || fen === undefined || fen === "") return "—";
  const v = typeof fen === "bigint" ? fen : BigInt(Math.trunc(Number(fen)));
  const abs = v < 0n ? -v : v;
  if (lang() === "zh") {
    if (abs >= YI && v % (YI / 100n) === 0n) return hundredthsOf(v, YI) + " 亿元";
    if (abs >= 100n * WAN && v % (WAN / 100n) === 0n) return hundredthsOf(v, WAN) + " 万元";
  }
  return yuan(v);
}

// an amount in a summary row: exact in 元, and beside it in 万元/亿元 for Chinese readers
// ("3,000,000.00 元（300.00 万元）"; "（约 123.46 万元）" where that unit would round it)
export function moneyRow(value) {
  const exact = yuan(value);
  if (lang() !== "zh") return exact;
  const v = BigInt(Math.trunc(Number(value)));
  const abs = v < 0n ? -v : v;
  if (abs < 100n * WAN) return exact;
  const big = money(v);
  if (big !== exact) return `${exact}（${big}）`;
  const unit = abs >= YI ? YI : WAN;
  const rounded = (abs * 100n + unit / 2n) / unit; // hundredths of the unit, rounded half up
  return `${exact}（约 ${v < 0n ? "-" : ""}${yuanNumber(rounded)} ${unit === YI ? "亿元" : "万元"}）`;
}

function org(v) {
  const name = orgName(v);
  return name && name !== v ? `${name} (${v})` : v;
}

// one argument's value as text
export function readable(name, value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number" || (typeof value === "string" && /^\d+$/.test(value))) {
    if (MONEY.test(name)) return moneyRow(value);
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
  // a risk rule and its threshold (a set_threshold proposal): the value in the rule's own unit
  if (typeof value.rule === "string" && "value" in value) {
    return `${tv("rule", value.rule)}: ${ruleText(value.contract || "supervision", value.rule, value.value)}`;
  }
  return Object.entries(value).map(([k, v]) => `${t(k)}: ${readable(k, v)}`).join("; ");
}

// [label, text] rows of a call's arguments, in the order the call gave them
export function summaryRows(args) {
  return Object.entries(args || {}).map(([name, value]) => [t(name), readable(name, value)]);
}
