// Factor or bank: financing requests (register; fund once the registry agent has attested a matching
// registration and a clear search, views/outside.js), requests for quotes addressed to it (views/quotes.js),
// the pieces it holds with what is paid and owed (views/payleg.js), credit lines, what it originates (a factor's
// revenue-sharing products, a bank's NPA packages, plans either sponsors or underwrites), and for a
// settlement bank one list of everything waiting on its confirmation — vouchers at maturity, plan and
// product funding, plan coupon and principal payments, auction margins and balances — each with the
// amount due in 元 and the one action that moves it forward.
import * as api from "../api.js";
import { bps, date, datetime, orgName, yuan } from "../fmt.js";
import { t } from "../i18n.js";
import { askText, badge, button, clear, form, h, idLink, org, section, signAndSubmit, slot, table } from "../ui.js";
import { blockNote, day, fen, inDays, orgOptions, packageSection, planSection, productSection, stateNote } from "./common.js";
import { kindLabel, registryNote, registryState } from "./outside.js";
import { heldSection } from "./payleg.js";
import { funderQuotes } from "./quotes.js";

export async function render(el, ctx) {
  const me = ctx.me;
  const m = ctx.member;
  const isBank = m.role === "BANK";
  const settlement = isBank && !!(m.attributes && m.attributes.settlement);
  const refresh = () => ctx.rerender();
  const sign = async (contract, method, args, title) => {
    const r = await signAndSubmit(contract, method, args, title);
    if (r && r.code === "ok") refresh();
    return r;
  };

  const [financings, held, rules] = await Promise.all([
    api.query("receivables", "financings", { funder: me }),
    api.query("receivables", "vouchers", { holder: me }).catch(() => []),
    api.query("receivables", "rules").catch(() => ({})),
  ]);
  // Fund only when the chain would accept it: the registry agent's matching attestation and clear search
  const registryFirst = !rules.registration_before_funding || rules.registration_before_funding.value !== 0;
  // the piece each open request is about: a frozen one can be neither registered nor funded
  const pieces = new Map();
  for (const f of financings.filter((x) => ["REQUESTED", "REGISTERED"].includes(x.status))) {
    const v = await api.query("receivables", "voucher", { id: f.voucher }).catch(() => null);
    if (v) pieces.set(f.voucher, v.voucher);
  }
  const frozen = (f) => (pieces.get(f.voucher) || {}).frozen;
  const fundOrWait = (f) => {
    const reg = registryState(f, registryFirst);
    return reg.ok ? button(t("fund"), async () => sign("receivables", "fund", { financing: f.id }, t("fund")), "small primary", { id: `fund-${f.id}` })
      : registryNote(reg, f.id);
  };
  const finBox = table([
    [t("financing"), (f) => h("code", f.id)],
    [t("voucher"), (f) => idLink(f.voucher, "voucher")],
    [t("holder"), (f) => org(f.holder)],
    [t("amount"), (f) => yuan(f.amount)],
    [t("fin_kind"), (f) => [kindLabel(f), f.recourse ? h("small", " · ", t("with_recourse")) : null]],
    [t("rate"), (f) => [bps(f.rate_bps), f.fee ? h("small", " · ", t("fee"), " ", yuan(f.fee)) : null]],
    [t("registration"), (f) => f.registration || "—"],
    [t("status"), (f) => badge(f.status)],
    [t("advance"), (f) => (f.advance ? `${yuan(f.advance)} (${t("discount")} ${yuan(f.discount)})` : "—")],
    [t("actions"), (f) => frozen(f) && ["REQUESTED", "REGISTERED"].includes(f.status) ? blockNote(pieces.get(f.voucher))
      : f.status === "REQUESTED" ? [
        button(t("record_registration"), async () => sign("receivables", "record_registration", { financing: f.id, reg_no: await askText(t("reg_no_prompt")) }, t("record_registration")), "small primary", { id: `register-${f.id}` }),
        button(t("decline"), async () => sign("receivables", "cancel_financing", { financing: f.id, reason: t("declined_in_console") }, t("decline")), "small", { id: `decline-${f.id}` }),
      ] : f.status === "REGISTERED" ? fundOrWait(f) : null],
  ], financings, { empty: t("no_financing_requests"), rowAttrs: (f) => ({ "data-financing": f.id }) });

  const parts = [h("h1", t("view.funder"), " · ", orgName(me)), section(t("financing_requests"), h("p.note", t("financing_note")), finBox),
    funderQuotes(ctx), heldSection(ctx, held)];

  if (isBank) {
    parts.push(section(t("grant_credit"), form([
      { name: "core", label: t("core_enterprise"), type: "select", options: orgOptions(["CORE_ENTERPRISE"]) },
      { name: "amount", label: t("line_yuan"), type: "money" },
      { name: "expires", label: t("expires"), type: "date", value: inDays(365) },
    ], t("grant_credit"), (v) => sign("receivables", "grant_credit", { core: v.core, amount: fen(v.amount), expires: day(v.expires) }, t("grant_credit")), { id: "grant-credit" })));
  }

  if (settlement) {
    parts.push(section(t("settlement_due"), h("p.note", t("settlement_due_note")), slot(() => settlementRows(me, sign))));
    parts.push(section(t("instructions_pending"), h("p.note", t("instructions_note")), slot(() => instructionRows(me, sign))));
    parts.push(section(t("confirm_voucher_payment"), h("p.note", t("confirm_payment_note")), form([
      { name: "root", label: t("root_voucher"), placeholder: "V-…" },
      { name: "amount", label: t("amount_yuan"), type: "money" },
      { name: "bank_ref", label: t("bank_ref") },
    ], t("confirm_payment"), (v) => sign("receivables", "confirm_payment", { root: v.root, amount: fen(v.amount), bank_ref: v.bank_ref }, t("confirm_payment")), { id: "confirm-payment" })));
    // a bidder registering, a payment falling due: the list follows the chain without a reload
    ctx.listen({ contract: "auctions", blocks: "false" }, (k, ev) => {
      if (["BidderRegistered", "AuctionAwarded", "AuctionFailed", "AuctionSettled"].includes(ev.type)) refresh();
    });
  }

  if (m.role === "FACTOR") parts.push(productSection(ctx, held));
  if (isBank) parts.push(packageSection(ctx));
  parts.push(planSection(ctx, held));
  clear(el, ...parts);
}

// everything waiting on this settlement bank, each row {kind, what, party, amount, due, action}
async function settlementRows(me, sign) {
  const rows = [];
  const ref = () => askText(t("bank_ref"));

  // vouchers at maturity that settle through this bank: the roots it is named on that fell due unpaid
  const overdue = await api.recentEvents({ contract: "receivables", type: "VoucherOverdue", limit: 200 }).catch(() => []);
  for (const id of [...new Set(overdue.map((e) => e.attrs.root))]) {
    const doc = await api.read(`state?key=${encodeURIComponent("receivables/root/" + id)}`).catch(() => null);
    const r = doc && doc.decoded;
    if (!r || r.settlement_bank !== me || !["ACTIVE", "OVERDUE"].includes(r.status)) continue;
    const owed = r.amount - (r.collected || 0) - (r.discounts || 0);  // earlier rounds and early payments are not owed again
    rows.push({ kind: "voucher_at_maturity", what: idLink(r.id, "voucher"), party: r.payer, amount: owed, due: date(r.maturity),
      action: r.frozen ? stateNote("frozen", { reason: "—" })
        : button(t("confirm_payment"), async () => sign("receivables", "confirm_payment", { root: r.id, amount: owed, bank_ref: await ref() }, t("confirm_payment")), "small primary", { id: `pay-root-${r.id}` }) });
  }

  // plans: funding once established, then coupon and principal payments while outstanding
  for (const status of ["ESTABLISHED", "OUTSTANDING"]) {
    for (const s of await api.query("plans", "plans", { status }).catch(() => [])) {
      const full = await api.query("plans", "plan", { id: s.id }).catch(() => null);
      const p = full && full.plan;
      if (!p || p.settlement_bank !== me) continue;
      if (status === "ESTABLISHED") {
        rows.push({ kind: "plan_funding", what: [idLink(p.id, "plan"), " ", p.name], party: p.sponsor, amount: p.subscribed, due: "—",
          action: button(t("confirm_funding"), async () => sign("plans", "confirm_funding", { plan: p.id, bank_ref: await ref() }, t("confirm_funding")), "small primary", { id: `confirm-funding-${p.id}` }) });
      } else {
        rows.push({ kind: "plan_payment", what: [idLink(p.id, "plan"), " ", p.name], party: p.sponsor, amount: p.outstanding, note: t("outstanding_principal"), due: date(p.maturity),
          action: planPayment(p, sign) });
      }
    }
  }

  // products: the subscription money reaching the originator
  for (const s of await api.query("products", "products", { status: "ESTABLISHED" }).catch(() => [])) {
    const full = await api.query("products", "product", { id: s.id }).catch(() => null);
    const p = full && full.product;
    if (!p || p.settlement_bank !== me) continue;
    const subscribed = p.tranches.reduce((n, x) => n + x.subscribed, 0);
    rows.push({ kind: "product_funding", what: [idLink(p.id, "product"), " ", p.name], party: p.originator, amount: subscribed, due: "—",
      action: button(t("confirm_funding"), async () => sign("products", "confirm_funding", { product: p.id, bank_ref: await ref() }, t("confirm_funding")), "small primary", { id: `confirm-funding-${p.id}` }) });
  }

  // auctions: each bidder's margin before the deadline, the winner's balance after the award
  for (const status of ["OPEN", "AWARDED"]) {
    for (const s of await api.query("auctions", "auctions", { status }).catch(() => [])) {
      const full = await api.query("auctions", "auction", { id: s.id }).catch(() => null);
      const a = full && full.auction;
      if (!a || a.settlement_bank !== me) continue;
      const what = [h("a", { href: `#/v/auctions/${a.id}` }, a.id), " ", h("small", a.asset)];
      if (status === "OPEN") {
        for (const mg of full.margins.filter((x) => x.status === "DUE")) {
          rows.push({ kind: "margin", what, party: mg.bidder, amount: mg.amount, due: datetime(a.end),
            action: button(t("confirm_margin"), async () => sign("auctions", "confirm_margin", { auction: a.id, bidder: mg.bidder, bank_ref: await ref() }, t("confirm_margin")), "small primary", { id: `margin-${a.id}-${mg.bidder}` }) });
        }
      } else {
        const balance = a.price - a.margin;
        rows.push({ kind: "balance", what, party: a.winner, amount: balance, due: datetime(a.pay_by),
          action: button(t("confirm_balance"), async () => sign("auctions", "confirm_payment", { auction: a.id, amount: balance, bank_ref: await ref() }, t("confirm_balance")), "small primary", { id: `balance-${a.id}` }) });
      }
    }
  }

  return table([
    [t("kind"), (r) => t("due." + r.kind)],
    [t("subject"), (r) => r.what],
    [t("counterparty"), (r) => org(r.party)],
    [t("amount_due"), (r) => [h("span.amount", yuan(r.amount)), r.note ? h("small", " ", r.note) : null]],
    [t("due_by"), (r) => r.due],
    [t("actions"), (r) => r.action],
  ], rows, { empty: t("nothing_to_confirm"), rowAttrs: (r) => ({ "data-due": r.kind }) });
}

// clearing instructions this rail has not yet confirmed: one per voucher piece paid in a round
async function instructionRows(me, sign) {
  const pending = await api.query("payments", "instructions", { field: "rail", value: me, status: "PENDING" }).catch(() => []);
  const confirm = (rows, label) => async () => {
    const ref = await askText(t("rail_ref"));
    if (ref) await sign("payments", "confirm", { results: rows.map((i) => [i.id, "PAID", rows.length > 1 ? `${ref}-${i.id}` : ref]) }, label);
  };
  const fail = (i) => async () => {
    const reason = await askText(t("failure_reason"));
    if (reason) await sign("payments", "confirm", { results: [[i.id, "FAILED", reason]] }, t("report_failed"));
  };
  const piece = (i) => (i.ref.startsWith("voucher:") || i.ref.includes(":") ? idLink(i.ref.split(":")[1], "voucher") : i.ref);
  return [
    table([
      [t("instruction"), (i) => h("code", i.id)],
      [t("subject"), piece],
      [t("payee"), (i) => org(i.payee)],
      [t("payee_account"), (i) => i.account || h("small.muted", t("no_account"))],
      [t("amount_due"), (i) => h("span.amount", yuan(i.amount))],
      [t("actions"), (i) => [button(t("confirm_paid"), confirm([i], t("confirm_paid")), "small primary", { id: `paid-${i.id}` }),
        " ", button(t("report_failed"), fail(i), "small", { id: `failed-${i.id}` })]],
    ], pending, { empty: t("no_instructions"), rowAttrs: (i) => ({ "data-instruction": i.id }) }),
    pending.length > 1 ? button(t("confirm_all_paid"), confirm(pending.slice(0, 500), t("confirm_all_paid")), "primary", { id: "paid-all" }) : null,
  ];
}

// a coupon or principal payment of an outstanding plan: kind, amount in 元 (principal: at most what is outstanding)
function planPayment(p, sign) {
  return form([
    { name: "kind", label: t("payment_kind"), type: "select", options: [["coupon", t("coupon_payment")], ["principal", t("principal_payment")]] },
    { name: "amount", label: t("amount_yuan"), type: "money", max: (v) => (v.kind === "principal" ? p.outstanding : null) },
    { name: "bank_ref", label: t("bank_ref") },
  ], t("confirm_payment"), (v) => sign("plans", "pay", { plan: p.id, kind: v.kind, amount: fen(v.amount), bank_ref: v.bank_ref }, t("confirm_payment")), { id: `plan-pay-${p.id}` });
}

export { date };
