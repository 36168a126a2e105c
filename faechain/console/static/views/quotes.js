// Competing quotes (receivables/quotes.py): the holder asks several funders at once and accepts the
// quote with the advance it likes; each invited funder quotes a yearly rate and a fee. The chain
// computes each advance to the fen (`advance_now`: as if funded today); a funder's quote is shown
// to the holder and to that funder only, so a funder sees its own quote and never its competitors'.
//
// There is no query listing requests for quotes: both sides find theirs by the QuotesRequested
// events they may see (the holder and the invited funders), then read each with `quotes`.
import * as api from "../api.js";
import { bps, datetime, nowMs, orgName, parseYuan, yuan } from "../fmt.js";
import { t } from "../i18n.js";
import { button, form, h, org, section, signAndSubmit, slot, table } from "../ui.js";
import { checkList, day, fen, inDays, orgOptions, percentBps } from "./common.js";
import { kindLabel } from "./outside.js";

const DAY = 86_400;
const WINDOW = 30 * DAY; // quotes are taken for at most 30 days (quotes.py MAX_WINDOW)
const SHOWN = 20; // the latest requests shown

function signThen(ctx) {
  return async (contract, method, args, title) => {
    const r = await signAndSubmit(contract, method, args, title);
    if (r && r.code === "ok") ctx.rerender();
    return r;
  };
}

// the requests for quotes this member may see, newest first, each {rfq, quotes} as `quotes` answers
async function requests(keep) {
  const evs = await api.recentEvents({ contract: "receivables", type: "QuotesRequested", limit: 300 }).catch(() => []);
  const out = [];
  for (const e of evs.filter((x) => keep(x.attrs)).slice(0, SHOWN)) {
    const got = await api.query("receivables", "quotes", { rfq: e.attrs.rfq }).catch(() => null);
    if (got) out.push(got);
  }
  return out;
}

// a fee typed in 元: 0 allowed (fen() refuses 0), empty is 0
function feeFen(text) {
  const v = String(text).trim() ? parseYuan(text) : 0;
  if (v === null) throw new Error(t("outside.bad_yuan", { what: t("fee") }));
  return v;
}

function rfqStatus(r) {
  return h(`span.badge.s-${r.status === "OPEN" ? "open" : r.status === "ACCEPTED" ? "funded" : "cancelled"}`, t("rfq.status." + r.status));
}

function terms(r) {
  return [kindLabel(r), " · ", r.recourse ? t("with_recourse") : t("without_recourse")];
}

// -- the holder -----------------------------------------------------------------------------------

// The request form (pieces that may be financed now; several funders ticked) and the member's requests,
// each with its quotes, the best advance marked, Accept on each and Withdraw while it is open.
export function holderQuotes(ctx, financeable) {
  const me = ctx.me;
  const sign = signThen(ctx);
  const maturityOf = (id) => (financeable.find((v) => v.id === id) || {}).maturity;
  let funders = null;
  const f = !financeable.length ? null : form([
    { name: "id", label: t("voucher"), type: "select", options: financeable.map((v) => [v.id, `${v.id} · ${yuan(v.amount)}`]) },
    { name: "amount", label: t("amount_yuan"), type: "money", max: (v) => (financeable.find((p) => p.id === v.id) || {}).amount ?? null },
    { name: "closes", label: t("rfq.closes"), type: "date", value: inDays(7), hint: t("rfq.closes_hint") },
    { name: "kind", label: t("fin_kind"), type: "select", options: [["ASSIGNMENT", t("kind.ASSIGNMENT")], ["PLEDGE", t("kind.PLEDGE")]] },
    { name: "recourse", label: t("recourse"), type: "select", options: [["no", t("without_recourse")], ["yes", t("with_recourse")]] },
  ], t("rfq.submit"), async (v) => {
    const picked = funders.checked();
    if (!picked.length || picked.length > 10) throw new Error(t("rfq.pick_funders"));
    // quotes close at 18:00 China time on the day picked, kept inside the 30 days and before maturity
    const now = Math.floor(nowMs() / 1000);
    const closes = Math.min(day(v.closes, t("rfq.closes")) + 18 * 3600, now + WINDOW - 60, (maturityOf(v.id) || Infinity) - 60);
    await sign("receivables", "request_quotes", { id: v.id, amount: fen(v.amount), funders: picked, closes,
      kind: v.kind, recourse: v.recourse === "yes" }, t("rfq.ask"));
  }, { id: "rfq" });
  if (f) funders = checkList(f, t("rfq.funders"), orgOptions(["FACTOR", "BANK"], me), "rfq-funders");

  const mine = slot(async () => {
    const got = await requests((a) => a.holder === me);
    if (!got.length) return h("p.empty", t("rfq.none"));
    return h("div.rfqs", got.map(({ rfq: r, quotes }) => {
      const best = Math.max(...quotes.map((q) => q.advance_now));
      const open = r.status === "OPEN";
      return h("div.rfq", { "data-rfq": r.id },
        h("h3", t("rfq.id"), " ", h("code", r.id), " ", rfqStatus(r)),
        h("p", h("code", r.voucher), " · ", h("span.amount", yuan(r.amount)), " · ", terms(r), " · ", t("rfq.closes"), " ", datetime(r.closes)),
        r.status === "ACCEPTED" ? h("p.note", t("rfq.accepted", { funder: orgName(r.accepted), financing: r.financing })) : null,
        table([
          [t("funder"), (q) => org(q.funder)],
          [t("rfq.rate"), (q) => bps(q.rate_bps)],
          [t("fee"), (q) => yuan(q.fee)],
          [t("rfq.advance_now"), (q) => [h("strong.amount", yuan(q.advance_now)), q.advance_now === best && quotes.length > 1 ? h("span.badge.s-active", " ", t("rfq.best")) : null]],
          [t("actions"), (q) => (open ? button(t("rfq.accept"), () => sign("receivables", "accept_quote", { rfq: r.id, funder: q.funder }, t("rfq.accept")),
            q.advance_now === best ? "small primary" : "small", { id: `accept-quote-${r.id}-${q.funder}` }) : null)],
        ], quotes, { empty: t("rfq.no_quotes"), rowAttrs: (q) => ({ "data-quote": q.funder }) }),
        open ? button(t("rfq.withdraw"), () => sign("receivables", "cancel_rfq", { rfq: r.id }, t("rfq.withdraw")), "small", { id: `cancel-rfq-${r.id}` }) : null);
    }));
  });

  return section(t("rfq.ask"), h("p.note", t("rfq.ask_note")), f || h("p.empty", t("rfq.none_financeable")), h("h3", t("rfq.mine")), mine);
}

// -- an invited funder ----------------------------------------------------------------------------

// The requests addressed to this funder: what is asked, its own quote if any, and the quote form
// (rate in % a year, fee in 元) while the request is open; the dry run shows the advance before signing.
export function funderQuotes(ctx) {
  const me = ctx.me;
  const sign = signThen(ctx);
  const now = () => Math.floor(nowMs() / 1000);
  const body = slot(async () => {
    const got = await requests((a) => Array.isArray(a.funders) && a.funders.includes(me));
    return table([
      [t("rfq.id"), ({ rfq: r }) => [h("code", r.id), " ", rfqStatus(r)]],
      [t("holder"), ({ rfq: r }) => org(r.holder)],
      [t("amount"), ({ rfq: r }) => h("span.amount", yuan(r.amount))],
      [t("fin_kind"), ({ rfq: r }) => terms(r)],
      [t("rfq.closes"), ({ rfq: r }) => datetime(r.closes)],
      [t("rfq.my_quote"), ({ quotes }) => {
        const q = quotes.find((x) => x.funder === me);
        return q ? t("rfq.quote_line", { rate: bps(q.rate_bps), fee: yuan(q.fee), advance: yuan(q.advance_now) }) : "—";
      }],
      [t("actions"), ({ rfq: r, quotes }) => {
        if (r.status === "ACCEPTED") return h("small", r.accepted === me ? t("rfq.won", { financing: r.financing }) : t("rfq.lost"));
        if (r.status !== "OPEN") return null;
        if (now() >= r.closes) return h("small", t("rfq.closed"));
        const mineQ = quotes.find((x) => x.funder === me);
        const rate = h("input.short", { id: `quote-${r.id}-rate`, type: "text", "aria-label": t("rfq.rate_pct"), placeholder: t("rfq.rate_pct"), value: mineQ ? (mineQ.rate_bps / 100).toFixed(2) : null });
        const fee = h("input.short", { id: `quote-${r.id}-fee`, type: "text", "aria-label": t("rfq.fee_yuan"), placeholder: t("rfq.fee_yuan"), value: mineQ ? (mineQ.fee / 100).toFixed(2) : "0.00" });
        return h("div.row-form", h("label", h("span", t("rfq.rate_pct")), rate), h("label", h("span", t("rfq.fee_yuan")), fee),
          button(mineQ ? t("rfq.requote") : t("rfq.quote"), () => sign("receivables", "quote", {
            rfq: r.id, rate_bps: percentBps(rate.value, t("rfq.rate_pct")), fee: feeFen(fee.value),
          }, t("rfq.quote")), "small primary", { id: `quote-${r.id}` }));
      }],
    ], got, { empty: t("rfq.none"), rowAttrs: ({ rfq: r }) => ({ "data-rfq": r.id }) });
  });
  return section(t("rfq.to_me"), h("p.note", t("rfq.to_me_note")), body);
}

