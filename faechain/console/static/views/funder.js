// Factor or bank: financing requests (register, fund), credit lines, and for a settlement
// bank the confirmations that move states forward (voucher payment, plan and product
// funding, auction margins and balances).
import * as api from "../api.js";
import { bps, date, orgName, yuan } from "../fmt.js";
import { t } from "../i18n.js";
import { askText, badge, button, clear, form, h, idLink, org, section, signAndSubmit, slot, table } from "../ui.js";
import { day, fen, inDays, orgOptions } from "./common.js";

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

  const financings = await api.query("receivables", "financings", { funder: me });
  const finBox = table([
    [t("financing"), (f) => h("code", f.id)],
    [t("voucher"), (f) => idLink(f.voucher, "voucher")],
    [t("holder"), (f) => org(f.holder)],
    [t("amount"), (f) => yuan(f.amount)],
    [t("rate"), (f) => bps(f.rate_bps)],
    [t("registration"), (f) => f.registration || "—"],
    [t("status"), (f) => badge(f.status)],
    [t("advance"), (f) => (f.advance ? `${yuan(f.advance)} (${t("discount")} ${yuan(f.discount)})` : "—")],
    [t("actions"), (f) => f.status === "REQUESTED" ? [
      button(t("record_registration"), async () => sign("receivables", "record_registration", { financing: f.id, reg_no: await askText(t("reg_no_prompt")) }, t("record_registration")), "small primary", { id: `register-${f.id}` }),
      button(t("decline"), async () => sign("receivables", "cancel_financing", { financing: f.id, reason: "declined" }), "small"),
    ] : f.status === "REGISTERED" ? button(t("fund"), async () => sign("receivables", "fund", { financing: f.id }, t("fund")), "small primary", { id: `fund-${f.id}` }) : null],
  ], financings, { empty: t("no_financing_requests") });

  const parts = [h("h1", t("view.funder"), " · ", orgName(me)), section(t("financing_requests"), h("p.note", t("financing_note")), finBox)];

  if (isBank) {
    parts.push(section(t("grant_credit"), form([
      { name: "core", label: t("core_enterprise"), type: "select", options: orgOptions(["CORE_ENTERPRISE"]) },
      { name: "amount", label: t("line_yuan") },
      { name: "expires", label: t("expires"), type: "date", value: inDays(365) },
    ], t("grant_credit"), (v) => sign("receivables", "grant_credit", { core: v.core, amount: fen(v.amount), expires: day(v.expires) }, t("grant_credit")), { id: "grant-credit" })));
  }

  if (settlement) {
    parts.push(section(t("confirm_voucher_payment"), h("p.note", t("confirm_payment_note")), form([
      { name: "root", label: t("root_voucher"), placeholder: "V-…" },
      { name: "amount", label: t("amount_yuan") },
      { name: "bank_ref", label: t("bank_ref") },
    ], t("confirm_payment"), (v) => sign("receivables", "confirm_payment", { root: v.root, amount: fen(v.amount), bank_ref: v.bank_ref }, t("confirm_payment")), { id: "confirm-payment" })));

    parts.push(section(t("funding_confirmations"), slot(async () => {
      const rows = [];
      for (const p of await api.query("plans", "plans", { status: "ESTABLISHED" }).catch(() => [])) {
        rows.push({ kind: "plan", id: p.id, name: p.name, amount: p.subscribed, contract: "plans", arg: "plan" });
      }
      for (const p of await api.query("products", "products", { status: "ESTABLISHED" }).catch(() => [])) {
        rows.push({ kind: "product", id: p.id, name: p.name, amount: null, contract: "products", arg: "product" });
      }
      return table([
        [t("kind"), (r) => t(r.kind)],
        [t("id"), (r) => idLink(r.id, r.kind)],
        [t("name"), (r) => r.name],
        [t("amount"), (r) => (r.amount !== null ? yuan(r.amount) : "—")],
        [t("actions"), (r) => button(t("confirm_funding"), async () => sign(r.contract, "confirm_funding", { [r.arg]: r.id, bank_ref: await askText(t("bank_ref")) }, t("confirm_funding")), "small primary", { id: `confirm-funding-${r.id}` })],
      ], rows, { empty: t("nothing_to_confirm") });
    })));

    parts.push(section(t("auction_settlement"), slot(async () => {
      const rows = [];
      for (const status of ["OPEN", "AWARDED"]) {
        for (const a of await api.query("auctions", "auctions", { status }).catch(() => [])) {
          if (a.settlement_bank && a.settlement_bank !== me) continue;
          const full = await api.query("auctions", "auction", { id: a.id });
          if (full.auction.settlement_bank !== me) continue;
          if (status === "OPEN") {
            for (const mg of full.margins || []) if (mg.status === "DUE") rows.push({ a: full.auction, what: "margin", bidder: mg.bidder, amount: mg.amount });
          } else {
            rows.push({ a: full.auction, what: "balance", bidder: full.auction.winner, amount: full.auction.price - full.auction.margin });
          }
        }
      }
      return table([
        [t("auction"), (r) => idLink(r.a.id, "auction")],
        [t("asset"), (r) => r.a.asset],
        [t("kind"), (r) => t(r.what)],
        [t("bidder"), (r) => org(r.bidder)],
        [t("amount"), (r) => yuan(r.amount)],
        [t("actions"), (r) => r.what === "margin"
          ? button(t("confirm_margin"), async () => sign("auctions", "confirm_margin", { auction: r.a.id, bidder: r.bidder, bank_ref: await askText(t("bank_ref")) }, t("confirm_margin")), "small primary", { id: `margin-${r.a.id}-${r.bidder}` })
          : button(t("confirm_balance"), async () => sign("auctions", "confirm_payment", { auction: r.a.id, amount: r.amount, bank_ref: await askText(t("bank_ref")) }, t("confirm_balance")), "small primary")],
      ], rows, { empty: t("nothing_to_confirm") });
    })));
  }
  clear(el, ...parts);
}

export { date };
