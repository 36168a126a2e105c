// Core enterprise: issue vouchers against invoices, credit-line use, payables calendar, the notices
// of funded financings to acknowledge and early-payment offers (views/payleg.js), and the plans it sponsors. An invoice is offered for a new voucher only while it has something undrawn
// and is not pooled; otherwise the reason stands in its row.
import * as api from "../api.js";
import { bars, gauge, voucherTree } from "../charts.js";
import { date, orgName, yuan } from "../fmt.js";
import { t, tv } from "../i18n.js";
import { badge, clear, form, h, idLink, org, section, signAndSubmit, slot, table } from "../ui.js";
import { LIVE, day, fen, hashOf, inDays, lineage, lockedTo, orgOptions, planSection, settlementBanks, stateNote } from "./common.js";
import { verificationCell } from "./outside.js";
import { earlySection, noticesSection } from "./payleg.js";

export async function render(el, ctx) {
  const me = ctx.me;
  const [owed, credit] = await Promise.all([
    api.query("receivables", "vouchers", { payer: me, limit: 1000 }),
    api.query("receivables", "credit", { core: me }),
  ]);
  const refresh = () => ctx.rerender();

  // invoices addressed to me (registered by suppliers), with what is left to draw
  const invoiceBox = slot(async () => {
    const evs = (await api.recentEvents({ contract: "receivables", type: "InvoiceRegistered", limit: 300 })).filter((e) => e.attrs.buyer === me);
    const rows = [];
    for (const e of evs.slice(0, 40)) {
      try {
        rows.push(await api.query("receivables", "invoice", { id: e.attrs.invoice }));
      } catch { /* not visible */ }
    }
    return table([
      [t("invoice"), (r) => h("code", r.invoice.id)],
      [t("seller"), (r) => org(r.invoice.seller)],
      [t("amount"), (r) => yuan(r.invoice.amount)],
      [t("undrawn"), (r) => yuan(r.undrawn)],
      [t("verification"), (r) => verificationCell(r.invoice)],
      [t("pooled"), (r) => (r.invoice.locked_by ? tv("locker", r.invoice.locked_by) : "")],
      [t("actions"), (r) => r.invoice.locked_by ? stateNote("invoice_pooled", { to: lockedTo(r.invoice) }, "s-locked")
        : r.undrawn <= 0 ? stateNote("invoice_drawn", {}, "s-closed") : h("button.small", {
        type: "button", id: `use-${r.invoice.id}`,
        onclick: () => {
          const f = document.getElementById("issue");
          f.inputs.to.value = r.invoice.seller;
          f.inputs.invoices.value = `${r.invoice.id}=${(r.undrawn / 100).toFixed(2)}`;
          f.inputs.amount.value = (r.undrawn / 100).toFixed(2);
        },
      }, t("use_invoice"))],
    ], rows, { empty: t("no_invoices_to_me") });
  });

  const issueForm = form([
    { name: "to", label: t("supplier"), type: "select", options: orgOptions(["SUPPLIER"], me) },
    { name: "amount", label: t("amount_yuan"), type: "money" },
    { name: "maturity", label: t("maturity"), type: "date", value: inDays(90) },
    { name: "invoices", label: t("invoices_draw"), type: "textarea", placeholder: "011002600999-00000001=100000.00", hint: t("invoices_hint") },
    { name: "contract", label: t("contract_doc"), hint: t("hash_hint") },
    { name: "bank", label: t("settlement_bank"), type: "select", options: [["", t("any")], ...settlementBanks()], optional: true },
  ], t("issue_voucher"), async (v) => {
    const amount = fen(v.amount);
    const invoices = v.invoices.split(/[\n;,]+/).map((s) => s.trim()).filter(Boolean).map((line) => {
      const [id, amt] = line.split("=").map((x) => x.trim());
      return [id, amt ? fen(amt) : amount];
    });
    const args = { to: v.to, amount, maturity: day(v.maturity) + 12 * 3600, invoices, contract_hash: await hashOf(v.contract || `contract for ${invoices.map((i) => i[0]).join(",")}`) };
    if (v.bank) args.settlement_bank = v.bank;
    const r = await signAndSubmit("receivables", "issue", args, t("issue_voucher"));
    if (r && r.code === "ok") refresh();
  }, { id: "issue" });

  const lines = credit.lines || [];
  const creditBox = h("div",
    gauge(credit.open, credit.limit, { used: t("open_vouchers"), limit: t("credit_limit") }),
    h("p", t("headroom"), ": ", h("strong#headroom", yuan(credit.headroom))),
    table([[t("bank"), (l) => org(l.bank)], [t("line"), (l) => yuan(l.amount)], [t("expires"), (l) => date(l.expires)]], lines, { empty: t("no_credit_lines") }));

  // payables calendar: live pieces owed, by maturity date
  const livePieces = owed.filter((v) => LIVE.includes(v.status));
  const byDay = new Map();
  for (const v of livePieces) {
    const d = date(v.maturity);
    const e = byDay.get(d) || { day: d, amount: 0, pieces: 0, roots: new Set(), overdue: false };
    e.amount += v.amount;
    e.pieces += 1;
    e.roots.add(v.root);
    e.overdue = e.overdue || v.status === "OVERDUE";
    byDay.set(d, e);
  }
  const calendar = [...byDay.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
  const calendarBox = h("div",
    bars(calendar.map((c) => ({ label: c.day, value: c.amount, colour: c.overdue ? "#c0392b" : "#2a6fb0" })), { title: t("payables_calendar") }),
    table([
      [t("maturity"), (c) => c.day],
      [t("amount"), (c) => yuan(c.amount)],
      [t("pieces"), (c) => c.pieces],
      [t("roots"), (c) => [...c.roots].map((r) => [idLink(r, "voucher"), " "])],
      [t("status"), (c) => (c.overdue ? badge("OVERDUE") : badge("ACTIVE"))],
    ], calendar, { empty: t("nothing_owed") }));

  const roots = owed.filter((v) => !v.parent);
  const issuedBox = table([
    [t("voucher"), (v) => idLink(v.id, "voucher")],
    [t("supplier"), (v) => org(v.holder)],
    [t("amount"), (v) => yuan(v.amount)],
    [t("maturity"), (v) => date(v.maturity)],
    [t("status"), (v) => badge(v.status)],
  ], roots, { empty: t("none") });

  const treeBox = slot(async () => {
    if (!roots.length) return h("p.empty", t("none"));
    const latest = roots.slice(-3);
    const pieces = await lineage(latest.map((r) => r.id));
    return h("div.trees", latest.map((r) => h("div.tree-wrap", h("h3", idLink(r.id, "voucher")),
      voucherTree(pieces.filter((p) => (p.root || p.id) === r.id || p.id === r.id), { onPick: (id) => (location.hash = `#/explorer/voucher/${id}`) }))));
  });

  clear(el,
    h("h1", t("view.core"), " · ", orgName(me)),
    h("div.cols", section(t("issue_voucher"), issueForm), section(t("invoices_to_me"), invoiceBox)),
    section(t("credit_use"), creditBox),
    section(t("payables_calendar"), calendarBox),
    section(t("issued_vouchers"), issuedBox),
    noticesSection(ctx),
    earlySection(ctx, roots),
    section(t("voucher_tree"), treeBox),
    planSection(ctx, []));
}
