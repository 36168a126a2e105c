// Supplier: my vouchers as a tree (each with what is paid and still owed, early payment, recourse),
// accept/reject, transfer or split, request financing (assignment or pledge) or ask several funders
// for quotes (views/quotes.js), register invoices (with the tax service's verification), and plans.
//
// Only what may be done now is offered: a frozen piece, one locked to a plan or product, one
// awaiting acceptance or a financing answer is left out of the transfer and financing choices and
// explained where it is listed (a badge and a sentence), and an empty choice says why it is empty.
import * as api from "../api.js";
import { voucherTree } from "../charts.js";
import { bps, date, orgName, yuan } from "../fmt.js";
import { t } from "../i18n.js";
import { badge, button, clear, form, h, idLink, org, section, signAndSubmit, slot, table } from "../ui.js";
import { LIVE, blockNote, day, fen, hashOf, lineage, orgOptions, percentBps, planSection, stateNote, today, voucherBlock } from "./common.js";
import { kindLabel, verificationCell } from "./outside.js";
import { legActions, owedCell, paidCell, rootsOf } from "./payleg.js";
import { holderQuotes } from "./quotes.js";

export async function render(el, ctx) {
  const me = ctx.me;
  const [mine, myFinancings] = await Promise.all([
    api.query("receivables", "vouchers", { holder: me }),
    api.query("receivables", "financings", { holder: me }).catch(() => []),
  ]);
  // a piece offered for financing names the funder in its note ("offered to ..."): the piece itself does not carry it
  const funderOf = new Map(myFinancings.filter((f) => ["REQUESTED", "REGISTERED"].includes(f.status)).map((f) => [f.id, f.funder]));
  for (const v of mine) if (v.status === "FINANCING" && !v.funder && funderOf.has(v.financing)) v.funder = funderOf.get(v.financing);
  const live = mine.filter((v) => LIVE.includes(v.status));
  const movable = live.filter((v) => ["ACTIVE", "FINANCED"].includes(v.status) && !voucherBlock(v));
  const financeable = live.filter((v) => v.status === "ACTIVE" && !voucherBlock(v));
  const blocked = live.filter((v) => voucherBlock(v));
  // an empty choice says why: the pieces held that cannot be used now, each with its reason
  const whyNone = (what) => h("div.why-none", stateNote("none_" + what, {}, "s-closed"),
    blocked.length ? h("ul", blocked.map((v) => h("li", h("code", v.id), " · ", yuan(v.amount), " · ", t("state." + voucherBlock(v).key)))) : null);
  const refresh = () => ctx.rerender();

  const act = async (method, args, title) => {
    const r = await signAndSubmit("receivables", method, args, title);
    if (r && r.code === "ok") refresh();
  };
  const sign = async (contract, method, args, title) => {
    const r = await signAndSubmit(contract, method, args, title);
    if (r && r.code === "ok") refresh();
    return r;
  };

  // each piece's root: the payer's early-payment offer a piece may take (payleg.js)
  const roots = await rootsOf(live);
  const pieceRows = table([
    [t("voucher"), (v) => idLink(v.id, "voucher")],
    [t("tier"), (v) => v.tier],
    [t("payer"), (v) => org(v.payer)],
    [t("amount"), (v) => h("span.amount", yuan(v.amount))],
    [t("maturity"), (v) => date(v.maturity)],
    [t("status"), (v) => badge(v.status)],
    [t("leg.paid"), paidCell],
    [t("leg.outstanding"), owedCell],
    [t("actions"), (v) => v.status === "ISSUED" && !v.frozen ? [
      button(t("accept"), () => act("accept", { id: v.id }, t("accept_voucher")), "small primary", { id: `accept-${v.id}` }),
      button(t("reject"), () => act("reject", { id: v.id, reason: t("rejected_in_console") }, t("reject_voucher")), "small", { id: `reject-${v.id}` }),
    ] : [blockNote(v), legActions(v, roots, sign)]],
  ], live, { empty: t("no_vouchers"), rowAttrs: (v) => ({ "data-voucher": v.id }) });

  const treeBox = slot(async () => {
    const pieces = await lineage([...new Set(mine.map((v) => v.id))]);
    if (!pieces.length) return h("p.empty", t("no_vouchers"));
    const roots = [...new Set(pieces.map((p) => p.root || p.id))];
    return h("div.trees", roots.map((r) => {
      const ofRoot = pieces.filter((p) => (p.root || p.id) === r || p.id === r);
      return h("div.tree-wrap", h("h3", t("root"), " ", idLink(r, "voucher")),
        voucherTree(ofRoot, { me, onPick: (id) => (location.hash = `#/explorer/voucher/${id}`) }));
    }));
  });

  const suppliers = orgOptions(["SUPPLIER", "FACTOR", "BANK", "CORE_ENTERPRISE", "AMC", "INVESTOR", "INTERMEDIARY"], me);
  const transferForm = !movable.length ? whyNone("movable") : form([
    { name: "id", label: t("voucher"), type: "select", options: movable.map((v) => [v.id, `${v.id} · ${yuan(v.amount)}`]) },
    { name: "to", label: t("to"), type: "select", options: suppliers },
    { name: "amount", label: t("amount_yuan"), placeholder: "100,000.00", type: "money", max: (v) => amountOf(movable, v.id) },
    { name: "recourse", label: t("recourse_choice"), type: "select", options: [["no", t("without_recourse")], ["yes", t("with_recourse")]] },
  ], t("transfer_or_split"), async (v) => {
    const args = { id: v.id, to: v.to, amount: fen(v.amount) };
    if (v.recourse === "yes") args.recourse = true;  // the sender stays liable (receivables.transfer)
    await act("transfer", args, t("transfer_or_split"));
  }, { id: "transfer" });

  const financeForm = !financeable.length ? whyNone("financeable") : form([
    { name: "id", label: t("voucher"), type: "select", options: financeable.map((v) => [v.id, `${v.id} · ${yuan(v.amount)}`]) },
    { name: "funder", label: t("funder"), type: "select", options: orgOptions(["FACTOR", "BANK"], me) },
    { name: "amount", label: t("amount_yuan"), type: "money", max: (v) => amountOf(financeable, v.id) },
    { name: "rate", label: t("discount_rate_pct"), value: "5.50", hint: t("percent_hint") },
    { name: "kind", label: t("fin_kind"), type: "select", options: [["ASSIGNMENT", t("kind.ASSIGNMENT")], ["PLEDGE", t("kind.PLEDGE")]] },
  ], t("request_financing"), async (v) => {
    await act("request_financing", { id: v.id, funder: v.funder, amount: fen(v.amount), rate_bps: percentBps(v.rate, t("discount_rate_pct")), kind: v.kind }, t("request_financing"));
  }, { id: "finance" });

  const invoiceForm = form([
    { name: "code", label: t("invoice_code"), placeholder: "011002600999" },
    { name: "number", label: t("invoice_number"), placeholder: "00000001" },
    { name: "buyer", label: t("buyer"), type: "select", options: orgOptions(["CORE_ENTERPRISE"], me) },
    { name: "amount", label: t("amount_yuan"), type: "money" },
    { name: "date", label: t("invoice_date"), type: "date", value: today() },
    { name: "doc", label: t("invoice_scan"), hint: t("hash_hint") },
  ], t("register_invoice"), async (v) => {
    await act("register_invoice", { code: v.code, number: v.number, seller: me, buyer: v.buyer, amount: fen(v.amount), date: Math.min(day(v.date), Math.floor(Date.now() / 1000)), doc_hash: await hashOf(v.doc || `${v.code}-${v.number}`) }, t("register_invoice"));
  }, { id: "register-invoice" });

  const financings = slot(async () => table([
    [t("financing"), (f) => h("code", f.id)],
    [t("voucher"), (f) => idLink(f.voucher, "voucher")],
    [t("funder"), (f) => org(f.funder)],
    [t("fin_kind"), (f) => [kindLabel(f), f.recourse ? h("small", " · ", t("with_recourse")) : null]],
    [t("amount"), (f) => yuan(f.amount)],
    [t("rate"), (f) => [bps(f.rate_bps), f.fee ? h("small", " · ", t("fee"), " ", yuan(f.fee)) : null]],
    [t("status"), (f) => badge(f.status)],
    [t("advance"), (f) => (f.advance ? yuan(f.advance) : "—")],
    [t("actions"), (f) => ["REQUESTED", "REGISTERED"].includes(f.status) ? button(t("withdraw"), () => act("cancel_financing", { financing: f.id, reason: t("withdrawn_in_console") }, t("withdraw_financing")), "small", { id: `withdraw-${f.id}` }) : null],
  ], myFinancings, { empty: t("none") }));

  const invoices = slot(async () => {
    const evs = (await api.recentEvents({ contract: "receivables", type: "InvoiceRegistered", limit: 200 })).filter((e) => e.attrs.seller === me);
    const rows = [];
    for (const e of evs.slice(0, 30)) {
      try {
        rows.push(await api.query("receivables", "invoice", { id: e.attrs.invoice }));
      } catch { /* not visible */ }
    }
    return table([
      [t("invoice"), (r) => h("code", r.invoice.id)],
      [t("buyer"), (r) => org(r.invoice.buyer)],
      [t("amount"), (r) => yuan(r.invoice.amount)],
      [t("undrawn"), (r) => yuan(r.undrawn)],
      [t("verification"), (r) => verificationCell(r.invoice)],
      [t("date"), (r) => date(r.invoice.date)],
      [t("pooled"), (r) => r.invoice.locked_by || ""],
    ], rows, { empty: t("none"), rowAttrs: (r) => ({ "data-invoice": r.invoice.id }) });
  });

  clear(el,
    h("h1", t("view.supplier"), " · ", orgName(me)),
    section(t("my_vouchers"), pieceRows),
    section(t("voucher_tree"), h("p.note", t("tree_note")), treeBox),
    h("div.cols",
      section(t("transfer_or_split"), h("p.note", t("transfer_note")), transferForm),
      section(t("request_financing"), financeForm)),
    holderQuotes(ctx, financeable),
    section(t("my_financings"), financings),
    h("div.cols", section(t("register_invoice"), invoiceForm), section(t("my_invoices"), invoices)),
    planSection(ctx, live));
}

// the amount of the piece `id` among `pieces` (what a transfer or financing may use), null if none
function amountOf(pieces, id) {
  const v = pieces.find((p) => p.id === id);
  return v ? v.amount - (v.paid || 0) : null;  // what is still owed on it moves
}
