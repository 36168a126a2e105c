// The payment leg at the desks (docs/outside-world.md, "The payment leg"): what a holder has been paid
// on each piece and what is still owed, its recourse claim and an early-payment offer it may take;
// the payer's notices of funded financings and its early-payment offers; and every member's
// receiving account on each rail. Amounts in 元, dates in China time.
import * as api from "../api.js";
import { allOrgs, bps, date, nowMs, orgName, yuan } from "../fmt.js";
import { t } from "../i18n.js";
import { badge, button, form, h, idLink, org, section, signAndSubmit, slot, table } from "../ui.js";
import { LIVE, day, inDays, percentBps } from "./common.js";
import { kindLabel } from "./outside.js";

const MAX_PIECES = 40; // pieces whose root is read for its offer (one query each)

function signThen(ctx) {
  return async (contract, method, args, title) => {
    const r = await signAndSubmit(contract, method, args, title);
    if (r && r.code === "ok") ctx.rerender();
    return r;
  };
}

const nowSec = () => Math.floor(nowMs() / 1000);

// -- a holder's pieces ----------------------------------------------------------------------------

// root id -> the root as `voucher` shows it (early_offer, settlement_bank, status), for the pieces given
export async function rootsOf(pieces) {
  const roots = new Map();
  for (const v of pieces.slice(0, MAX_PIECES)) {
    if (roots.has(v.root)) continue;
    const got = await api.query("receivables", "voucher", { id: v.id }).catch(() => null);
    if (got && got.root) roots.set(v.root, got.root);
  }
  return roots;
}

// what a piece has been paid, and the rail's pending part
export function paidCell(v) {
  return [yuan(v.paid || 0), v.pending ? h("small", " ", t("leg.pending", { amount: yuan(v.pending) })) : null];
}

export function owedCell(v) {
  return h("span.amount", yuan(v.outstanding ?? v.amount - (v.paid || 0)));
}

const movable = (v) => ["ACTIVE", "FINANCED"].includes(v.status) && !v.frozen && !v.locked_by;

// the payment-leg actions on one piece: claim recourse (overdue, received with recourse), take the payer's
// early-payment offer (a whole piece that may move), or what was already taken
export function legActions(v, roots, sign) {
  const out = [];
  if (v.early) out.push(h("small", t("leg.early_taken", { advance: yuan(v.early.advance), discount: yuan(v.early.discount) })));
  if (v.recourse && v.status === "OVERDUE" && !v.pending && !v.frozen) {
    out.push(h("small", t("leg.recourse_from", { org: orgName(v.recourse) }), " "),
      button(t("leg.claim_recourse"), () => sign("receivables", "claim_recourse", { id: v.id }, t("leg.claim_recourse")), "small primary", { id: `recourse-${v.id}` }));
  }
  const root = roots && roots.get(v.root);
  const offer = root && root.early_offer;
  if (offer && nowSec() < offer.until && root.settlement_bank && !v.early && !v.pending && movable(v)) {
    out.push(h("small", t("leg.early_offer", { rate: bps(offer.rate_bps), until: date(offer.until) }), " "),
      button(t("leg.accept_early"), () => sign("receivables", "accept_early_payment", { id: v.id }, t("leg.accept_early")), "small", { id: `early-${v.id}` }));
  }
  return out.length ? out : null;
}

// a funder's (or any holder's) live pieces: paid, still owed, and the actions above
export function heldSection(ctx, held) {
  const sign = signThen(ctx);
  const live = (held || []).filter((v) => LIVE.includes(v.status));
  return section(t("leg.held"), h("p.note", t("leg.held_note")), slot(async () => {
    const roots = await rootsOf(live);
    return table([
      [t("voucher"), (v) => idLink(v.id, "voucher")],
      [t("payer"), (v) => org(v.payer)],
      [t("amount"), (v) => yuan(v.amount)],
      [t("maturity"), (v) => date(v.maturity)],
      [t("status"), (v) => badge(v.status)],
      [t("leg.paid"), paidCell],
      [t("leg.outstanding"), owedCell],
      [t("actions"), (v) => legActions(v, roots, sign)],
    ], live, { empty: t("no_vouchers"), rowAttrs: (v) => ({ "data-held": v.id }) });
  }));
}

// -- the payer (core enterprise) --------------------------------------------------------------------

// the notices of funded financings on the payer's vouchers, each acknowledged once
export function noticesSection(ctx) {
  const me = ctx.me;
  const sign = signThen(ctx);
  return section(t("leg.notices"), h("p.note", t("leg.notices_note")), slot(async () => {
    const funded = await api.query("receivables", "financings", { status: "FUNDED" }).catch(() => []);
    const mine = funded.filter((f) => f.notice && f.notice.to === me);
    return table([
      [t("financing"), (f) => h("code", f.id)],
      [t("voucher"), (f) => idLink(f.piece || f.voucher, "voucher")],
      [t("fin_kind"), (f) => kindLabel(f)],
      [t("leg.creditor"), (f) => org(f.funder)],
      [t("amount"), (f) => h("span.amount", yuan(f.amount))],
      [t("leg.notified_at"), (f) => date(f.notice.at)],
      [t("actions"), (f) => (f.notice.acknowledged_at ? h("small", t("leg.acknowledged_at", { at: date(f.notice.acknowledged_at) }))
        : button(t("leg.acknowledge"), () => sign("receivables", "acknowledge_notice", { financing: f.id }, t("leg.acknowledge")), "small primary", { id: `ack-${f.id}` }))],
    ], mine, { empty: t("leg.no_notices"), rowAttrs: (f) => ({ "data-notice": f.id }) });
  }));
}

// the payer's early-payment offers: one form for a root still running, and each root's offer with Withdraw
export function earlySection(ctx, rootPieces) {
  const sign = signThen(ctx);
  return section(t("leg.early"), h("p.note", t("leg.early_note")), slot(async () => {
    const roots = [];
    for (const p of rootPieces.slice(-MAX_PIECES)) {
      const got = await api.query("receivables", "voucher", { id: p.id }).catch(() => null);
      if (got && got.root && got.root.status === "ACTIVE" && got.root.settlement_bank && nowSec() < got.root.maturity) roots.push(got.root);
    }
    if (!roots.length) return h("p.empty", t("leg.no_roots_active"));
    const f = form([
      { name: "root", label: t("root_voucher"), type: "select", options: roots.map((r) => [r.id, `${r.id} · ${yuan(r.amount)} · ${date(r.maturity)}`]) },
      { name: "rate", label: t("discount_rate_pct"), value: "3.00", hint: t("percent_hint") },
      { name: "until", label: t("leg.until"), type: "date", value: inDays(14) },
    ], t("leg.offer_early"), async (v) => {
      const r = roots.find((x) => x.id === v.root);
      // the offer runs to 18:00 China time on the day picked, and never past maturity
      const until = Math.min(day(v.until, t("leg.until")) + 18 * 3600, r.maturity);
      await sign("receivables", "offer_early_payment", { root: v.root, rate_bps: percentBps(v.rate, t("discount_rate_pct")), until }, t("leg.offer_early"));
    }, { id: "early-offer" });
    const rows = table([
      [t("root_voucher"), (r) => idLink(r.id, "voucher")],
      [t("amount"), (r) => yuan(r.amount)],
      [t("maturity"), (r) => date(r.maturity)],
      [t("leg.current_offer"), (r) => (r.early_offer ? t("leg.early_offer", { rate: bps(r.early_offer.rate_bps), until: date(r.early_offer.until) }) : t("leg.no_offer"))],
      [t("actions"), (r) => (r.early_offer ? button(t("leg.withdraw_offer"), () => sign("receivables", "offer_early_payment", { root: r.id, rate_bps: 0, until: 0 }, t("leg.withdraw_offer")), "small", { id: `withdraw-early-${r.id}` }) : null)],
    ], roots);
    return h("div", f, rows);
  }));
}

// -- every member: receiving accounts ----------------------------------------------------------------

// the rails: payment rail operators and settlement banks (payments/instructions.py ensure_rail)
export function rails() {
  return allOrgs().filter((o) => o.status !== "REMOVED" && (o.type === "PAYMENT_RAIL" || (o.type === "BANK" && o.attributes && o.attributes.settlement)));
}

export function accountsSection(ctx) {
  const me = ctx.me;
  const sign = signThen(ctx);
  return section(t("acct.title"), h("p.note", t("acct.note")), slot(async () => {
    const list = rails();
    if (!list.length) return h("p.empty", t("acct.no_rails"));
    const rows = [];
    for (const r of list) {
      const acct = await api.query("payments", "account", { org: me, rail: r.id }).catch(() => null);
      rows.push({ rail: r.id, account: acct && acct.account });
    }
    return table([
      [t("acct.rail"), (r) => org(r.rail)],
      [t("acct.current"), (r) => (r.account ? h("code", { id: `account-${r.rail}-current` }, r.account) : h("small.muted", t("acct.none")))],
      [t("acct.register"), (r) => {
        const input = h("input.short", { id: `account-${r.rail}-input`, type: "text", "aria-label": `${t("acct.new")} · ${orgName(r.rail)}`, placeholder: t("acct.new") });
        return h("div.row-form", input, button(t("acct.register"), async () => {
          const account = input.value.trim();
          if (!account) throw new Error(t("acct.empty"));
          await sign("payments", "register_account", { rail: r.rail, account }, t("acct.register"));
        }, "small primary", { id: `account-${r.rail}` }));
      }],
    ], rows, { rowAttrs: (r) => ({ "data-rail": r.rail }) });
  }));
}
