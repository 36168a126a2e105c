// What a transaction will do, in a sentence or two of the member's language (issue 19): the
// signing dialog shows it above the argument rows, e.g. "supplier2 receives 300,000.00 元 of
// V-7-0-1; you keep 700,000.00 元". Every @tx method of every contract has its own sentence
// (outcomes_claims.js: receivables, supervision, membership, governance; outcomes_markets.js:
// auctions, npa, plans, products); tests/console/test_console_outcomes.py fails on a method
// without one.
//
// A sentence may need state the arguments do not carry (the voucher's amount, to say what the
// member keeps; a plan's name). It reads it as the member (api.query), and falls back to a
// sentence from the arguments alone when a read fails, is refused or is slow: the dialog never
// waits long on, or fails because of, a sentence.
import * as api from "./api.js";
import { date, datetime, nowMs, orgName } from "./fmt.js";
import { t, tv } from "./i18n.js";
import { CLAIMS } from "./outcomes_claims.js";
import { MARKETS } from "./outcomes_markets.js";
import { PAYMENTS } from "./outcomes_payments.js";
import { money } from "./summary.js";

const OUTCOMES = { ...CLAIMS, ...MARKETS, ...PAYMENTS };
const READ_TIMEOUT_MS = 4000; // a read slower than this is treated as failed (the args-only sentence)

// "contract.method" keys with a specific sentence (the completeness test reads this)
export const COVERED = Object.keys(OUTCOMES).sort();

// what the tables are given: the member, reads that never throw, and the words of a sentence
function kit(ctx, query) {
  const me = ctx.me || null;
  return {
    me,
    name: ctx.name || "",
    // the chain's time now, in seconds (ctx.now in tests)
    now: () => (typeof ctx.now === "number" ? ctx.now : Math.floor(nowMs() / 1000)),
    // a contract query as the member: its result, or null if it failed or took too long
    async read(contract, method, args) {
      if (!query) return null;
      let timer;
      try {
        const late = new Promise((resolve) => { timer = setTimeout(() => resolve(null), READ_TIMEOUT_MS); });
        const got = await Promise.race([Promise.resolve(query(contract, method, args)), late]);
        return got === undefined ? null : got;
      } catch {
        return null;
      } finally {
        clearTimeout(timer);
      }
    },
    // an organisation: "you" for the member's own, else its name (its code if unknown)
    who: (id) => (id && id === me ? t("out.you") : orgName(id)),
    m: (fen) => (fen === null || fen === undefined ? "—" : money(fen)),
    d: (s) => (s === null || s === undefined ? "—" : date(s)),
    dt: (s) => (s === null || s === undefined ? "—" : datetime(s)),
    pct: (bps) => (bps === null || bps === undefined ? "—" : (Number(bps) / 100).toFixed(2) + "%"),
    short: (hex) => (hex ? (String(hex).length > 14 ? String(hex).slice(0, 12) + "…" : String(hex)) : "—"),
    list: (xs) => (xs && xs.length ? xs.map(String).join(t("out.sep")) : "—"),
    // a coded value in words: the sentences' own label ("out.class.doubtful"), else the shell's
    // ("role.BANK"), else the value as it is
    label: (prefix, value) => {
      const own = tv("out." + prefix, value);
      return own !== String(value) ? own : tv(prefix, value);
    },
    s: (key, vars) => t("out." + key, vars),
    reason: (text) => (text ? t("out.reason", { reason: text }) : null),
  };
}

// a name ending in "Ltd." at a sentence's end ("Ltd.." -> "Ltd."); 您 between Chinese words
// without the spaces a name would have there ("向 您 支付" -> "向您支付")
function tidy(text) {
  return text.replace(/(?<!\.)\.\.(?!\.)/g, ".").replace(/(?<=[\u4e00-\u9fff]) 您 (?=[\u4e00-\u9fff])/g, "您");
}

// -> ["sentence", ...] in the current language. ctx: {me: the signer's organisation id, name:
// the signer}; ctx.query replaces api.query (tests). A method without a sentence of its own, or
// whose sentence fails, gets one naming the call.
export async function whatWillHappen(contract, method, args, ctx = {}) {
  const fn = OUTCOMES[`${contract}.${method}`];
  const query = ctx.query === undefined ? api.query : ctx.query;
  if (fn) {
    for (const q of [query, null]) { // with reads; then, should that fail, from the args alone
      try {
        const out = await fn(args || {}, kit(ctx, q));
        const lines = (Array.isArray(out) ? out : [out]).filter((x) => typeof x === "string" && x)
          .map(tidy);

        if (lines.length) return lines;
      } catch (e) {
        console.warn("outcome", contract, method, e);
      }
    }
  }
  return [t("out.generic", { call: `${contract}.${method}` })];
}
