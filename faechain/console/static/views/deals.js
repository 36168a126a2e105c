// After the sale (不良资产交割): an NPA package's steps from the award to the close, for the member
// taking part — the seller (a bank or an AMC), the winning bidder, and the exchange (which sees every
// package). The contract is faechain/modules/npa/transfer.py:
//
//   AWARDED -(seller and winner sign_deal the same contract)-> CONTRACTED -(settlement bank confirms
//   the balance)-> PAID -(seller delivers)-> DELIVERED -(seller or exchange publish_notice)-> NOTICED
//   -(winner record_disposition)-> POST_TRANSFER -(exchange assign_inspector, inspector inspects)->
//   INSPECTED -(exchange close)-> CLOSED: the loans belong to the buyer.
//
// Each package is one card: its status, price, counterparty and what has happened so far, then ONLY
// the step this member may take now, as a form, or a sentence saying whose step it is and what it
// waits for. Every document a step names (the contract, the delivery note, the notice) must be a
// document of the package (npa `document_of`): the text typed is hashed here, registered with
// `register_document` unless it already is (the seller, the winner and the exchange may), and then
// named by its hash. Every transaction goes through ui.js `signAndSubmit` (dry run, what will happen).
import * as api from "../api.js";
import { date, datetime, short, yuan } from "../fmt.js";
import { t } from "../i18n.js";
import { badge, button, clear, form, h, idLink, kv, org, section, signAndSubmit, table } from "../ui.js";
import { fen, hashOf, int, orgName, orgOptions } from "./common.js";

// npa/records.py: the package's states after the award, and the words of a disposition
export const AFTER = ["AWARDED", "CONTRACTED", "PAID", "DELIVERED", "NOTICED", "POST_TRANSFER", "INSPECTED", "CLOSED"];
const DISPOSITION_KINDS = ["litigation_party_change", "mortgage_change", "restructuring", "collection", "resale"];
const OTHER = { seller: "winner", winner: "seller" };

// the packages the member takes part in after an auction: as seller or winner; every one for the exchange
async function packagesOf(ctx) {
  const ask = (args) => api.query("npa", "packages", args).catch(() => []);
  const rows = ctx.member.role === "EXCHANGE"
    ? (await Promise.all(AFTER.map((status) => ask({ status })))).flat()
    : (await Promise.all([ask({ seller: ctx.me }), ask({ winner: ctx.me })])).flat();
  const ids = [...new Set(rows.filter((p) => AFTER.includes(p.status)).map((p) => p.id))];
  const full = await Promise.all(ids.map(async (id) => {
    const v = await api.query("npa", "package", { id }).catch(() => null);
    if (!v || !v.deal) return null;
    v.auction = await api.query("auctions", "auction", { id: v.deal.auction }).then((a) => a.auction).catch(() => null);
    return v;
  }));
  const order = (v) => AFTER.indexOf(v.package.status);
  return full.filter(Boolean).sort((a, b) => order(a) - order(b) || a.package.id.localeCompare(b.package.id));
}

export async function render(el, ctx) {
  const sign = async (contract, method, args, title) => {
    const r = await signAndSubmit(contract, method, args, title);
    if (r && r.code === "ok") ctx.rerender();
    return r;
  };
  const deals = await packagesOf(ctx);
  const open = deals.filter((v) => v.package.status !== "CLOSED");
  const closed = deals.filter((v) => v.package.status === "CLOSED");
  clear(el,
    h("h1", t("view.deals"), " · ", orgName(ctx.me)),
    h("p.note", t("deals.note")),
    open.length ? h("div.deals", open.map((v) => dealCard(v, ctx, sign))) : h("p.empty#deals-empty", t(deals.length ? "deals.none_open" : "deals.none")),
    closed.length ? section(t("deals.closed"), table([
      [t("package"), (v) => idLink(v.package.id, "package")], [t("name"), (v) => v.package.name],
      [t("deals.price"), (v) => yuan(v.deal.price)], [t("deals.seller"), (v) => org(v.package.seller)],
      [t("deals.buyer"), (v) => org(v.package.winner)], [t("deals.closed_at"), (v) => date(v.package.closed_at)],
    ], closed, { rowAttrs: (v) => ({ id: `deal-${v.package.id}`, "data-status": "CLOSED" }) })) : null);
}

// the member's part in a package: "seller", "winner" or "exchange"
function sideOf(p, ctx) {
  if (p.seller === ctx.me) return "seller";
  if (p.winner === ctx.me) return "winner";
  return ctx.member.role === "EXCHANGE" ? "exchange" : null;
}

function dealCard(v, ctx, sign) {
  const p = v.package, deal = v.deal;
  const side = sideOf(p, ctx);
  const counterparty = side === "seller" ? org(p.winner) : side === "winner" ? org(p.seller) : [org(p.seller), " → ", org(p.winner)];
  return h("section.card.deal", { id: `deal-${p.id}`, "data-status": p.status },
    h("h2", h("span", p.name), " ", badge(p.status, "deals.status")),
    kv([
      [t("package"), idLink(p.id, "package")],
      [t("deals.my_part"), t("deals.side." + side)],
      [t(side === "exchange" ? "deals.parties" : "deals.counterparty"), counterparty],
      [t("deals.price"), h("strong", yuan(deal.price))],
      [t("deals.loans"), t("deals.loans_line", { n: p.loans.length, principal: yuan(p.principal) })],
      ...progress(v),
    ]),
    h("div.deal-step", { id: `step-${p.id}` }, stepFor(v, side, sign)),
    ["NOTICED", "POST_TRANSFER", "INSPECTED"].includes(p.status) ? dispositions(v) : null);
}

// what has happened so far, from the deal's signatures to the inspection
function progress(v) {
  const p = v.package, deal = v.deal, a = v.auction;
  const rows = [];
  if (p.status === "AWARDED") {
    for (const s of ["seller", "winner"]) {
      const sig = deal.signed[s];
      rows.push([t("deals.signed_by." + s), sig ? [t("deals.signed_at", { at: datetime(sig.at) }), " ", h("code", { title: sig.hash }, short(sig.hash, 16))] : t("deals.not_signed")]);
    }
    const [x, y] = [deal.signed.seller, deal.signed.winner];
    if (x && y) rows.push([t("deals.hashes"), h("span#hashes-" + p.id, x.hash === y.hash ? "✓ " + t("deals.hashes_match") : "✗ " + t("deals.hashes_differ"))]);
  } else if (deal.contract_hash) {
    rows.push([t("deals.contract"), [t("deals.contracted_at", { at: datetime(deal.contracted_at) }), " ", h("code", { title: deal.contract_hash }, short(deal.contract_hash, 16))]]);
  }
  if (deal.payment) rows.push([t("deals.payment"), t("deals.paid_line", { amount: yuan(deal.payment.amount), at: datetime(deal.payment.at), ref: deal.payment.bank_ref })]);
  else if (a) rows.push([t("deals.payment"), t("deals.balance_due", { amount: yuan(a.price - a.margin), bank: orgName(a.settlement_bank), due: datetime(a.pay_by) })]);
  if (deal.delivery) rows.push([t("deals.delivery"), [t("deals.delivered_at", { at: datetime(deal.delivery.at) }), " ", h("code", { title: deal.delivery.hash }, short(deal.delivery.hash, 16))]]);
  if (p.notice) rows.push([t("deals.notice"), t(p.notice.late ? "deals.noticed_late" : "deals.noticed_at", { at: datetime(p.notice.at), by: orgName(p.notice.by) })]);
  else if (p.notice_due) rows.push([t("deals.notice"), h("span" + (p.notice_overdue ? ".bad" : ""), t(p.notice_overdue ? "deals.notice_overdue" : "deals.notice_due", { due: date(p.notice_due) }))]);
  if (p.inspector) rows.push([t("deals.inspector"), org(p.inspector)]);
  if (p.inspection) {
    const i = p.inspection;
    rows.push([t("deals.inspection"), h("span#inspection-" + p.id, t("deals.inspection_line", { result: t("deals.result." + i.result), at: date(i.at), n: i.dispositions }), i.remarks ? " · " + i.remarks : "")]);
  }
  return rows;
}

// the one step the member may take now, or why it waits
function stepFor(v, side, sign) {
  const p = v.package, deal = v.deal, a = v.auction;
  const wait = (key, vars) => h("p.state-why", { id: `wait-${p.id}` }, t("deals.wait." + key, vars));
  const buyer = orgName(p.winner), seller = orgName(p.seller);
  switch (p.status) {
    case "AWARDED": {
      const mine = side === "exchange" ? null : deal.signed[side];
      const theirs = side === "exchange" ? null : deal.signed[OTHER[side]];
      if (side === "exchange") return wait("sign_both", { seller, buyer });
      if (mine && !theirs) return wait("sign_other", { who: side === "seller" ? buyer : seller });
      return [mine && theirs ? wait("mismatch") : null, signForm(v, side, sign)];
    }
    case "CONTRACTED":
      return wait("payment", { bank: a ? orgName(a.settlement_bank) : "—", amount: a ? yuan(a.price - a.margin) : "—", due: a ? datetime(a.pay_by) : "—" });
    case "PAID":
      return side === "seller" ? documentForm(v, "deliver", "delivery", sign) : wait("deliver", { who: seller });
    case "DELIVERED":
      return side === "winner" ? wait("notice", { due: date(p.notice_due) })
        : [h("p.note", t("deals.notice_due_note", { due: date(p.notice_due) })), documentForm(v, "notice", "notice", sign)];
    case "NOTICED":
    case "POST_TRANSFER":
      if (side === "winner") return [dispositionForm(v, sign), inspectionWait(v, wait)];
      if (side === "exchange") return [inspectionWait(v, wait), inspectorForm(v, sign)];
      return [wait("dispositions", { who: buyer }), inspectionWait(v, wait)];
    case "INSPECTED":
      if (side === "exchange") return closeStep(v, sign);
      return [wait("close"), side === "winner" ? dispositionForm(v, sign) : null];
    default:
      return null;
  }
}

function inspectionWait(v, wait) {
  const p = v.package;
  if (!p.inspector) return wait("inspector");
  return wait(p.status === "NOTICED" ? "inspect_later" : "inspection", { who: orgName(p.inspector) });
}

// -- documents: typed (text or hash), hashed here, registered in the package unless they are ------------
async function typedDocument(v, text, sizeText) {
  const s = String(text || "").trim();
  if (!s) throw new Error(t("deals.doc_missing"));
  const hash = await hashOf(s);
  const known = (v.documents || []).find((d) => d.hash === hash);
  if (known && known.superseded_by) throw new Error(t("deals.doc_superseded", { by: short(known.superseded_by, 12) }));
  if (known) return { hash, known: true };
  if (hash === s) { // a hash of bytes this browser has not seen: its size is the member's to give
    if (!String(sizeText || "").trim()) throw new Error(t("deals.size_needed"));
    return { hash, size: int(sizeText, t("deals.size")), media_type: "application/octet-stream" };
  }
  return { hash, size: new TextEncoder().encode(s).length, media_type: "text/plain" };
}

// register the document (one signed transaction) if the package does not hold it yet; -> its hash or null
async function registered(v, kind, values) {
  const d = await typedDocument(v, values.text, values.size);
  if (d.known) return d.hash;
  const name = String(values.name || "").trim() || t("deals.doc_name." + kind, { name: v.package.name });
  // not `sign`: its redraw would drop the step that follows
  const r = await signAndSubmit("npa", "register_document", { package: v.package.id, kind, name, hash: d.hash, size: d.size, media_type: d.media_type }, t("deals.register_doc." + kind));
  return r && r.code === "ok" ? d.hash : null;
}

function docFields(kind, value, hint) {
  return [
    { name: "text", label: t("deals.doc_text." + kind), type: "textarea", value, hint },
    { name: "name", label: t("deals.doc_title"), optional: true, placeholder: t("deals.doc_name." + kind, { name: "…" }) },
    { name: "size", label: t("deals.size"), optional: true, hint: t("deals.size_hint") },
  ];
}

// under the text: its SHA-256 as typed, and whether it is the contract the other side signed
function hashLine(f, other) {
  const line = h("small.hash-line", { "aria-live": "polite" });
  const input = f.inputs.text;
  const update = async () => {
    const s = input.value.trim();
    if (!s) return clear(line);
    const hash = await hashOf(s);
    if (input.value.trim() !== s) return; // typed on meanwhile
    const same = other ? (hash === other.hash ? " · ✓ " + t("deals.same_as_other") : " · ✗ " + t("deals.not_as_other")) : "";
    clear(line, "SHA-256 ", h("code", { title: hash }, short(hash, 16)), same);
  };
  input.addEventListener("input", update);
  input.parentElement.append(line);
  update();
}

function signForm(v, side, sign) {
  const p = v.package;
  const other = v.deal.signed[OTHER[side]];
  const f = form([...docFields("contract", other ? other.hash : "", t(other ? "deals.contract_hint_other" : "deals.contract_hint"))],
    t("deals.sign"), async (values) => {
      const hash = await registered(v, "contract", values);
      if (hash) await sign("npa", "sign_deal", { package: p.id, contract_hash: hash }, t("deals.sign"));
    }, { id: `sign-${p.id}` });
  hashLine(f, other);
  return [h("h3", t("deals.step.sign")), f];
}

// the seller's delivery note (PAID), the transfer notice (DELIVERED)
function documentForm(v, step, kind, sign) {
  const p = v.package;
  const f = form(docFields(kind, "", t("deals.doc_hint")), t("deals.do." + step), async (values) => {
    const hash = await registered(v, kind, values);
    if (!hash) return;
    if (step === "deliver") await sign("npa", "deliver", { package: p.id, delivery_doc_hash: hash }, t("deals.do.deliver"));
    else await sign("npa", "publish_notice", { package: p.id, notice_hash: hash }, t("deals.do.notice"));
  }, { id: `${step}-${p.id}` });
  hashLine(f, null);
  return [h("h3", t("deals.step." + step)), f];
}

function dispositionForm(v, sign) {
  const p = v.package;
  const loans = (v.loans || []).filter(Boolean);
  const f = form([
    { name: "kind", label: t("deals.disposition_kind"), type: "select", options: DISPOSITION_KINDS.map((k) => [k, t("deals.kind." + k)]) },
    { name: "description", label: t("deals.description"), type: "textarea", placeholder: t("deals.description_hint") },
    { name: "amount", label: t("deals.recovered_yuan"), type: "money", optional: true, hint: t("deals.recovered_hint") },
    { name: "loan", label: t("deals.loan"), type: "select", optional: true,
      options: [["", t("deals.whole_package")], ...loans.map((l) => [l.ref, `${l.loan_no} · ${t("deals.principal")} ${yuan(l.principal)}`])] },
  ], t("deals.do.dispose"), async (values) => {
    const args = { package: p.id, kind: values.kind, description: values.description };
    if (values.amount) args.amount = fen(values.amount, t("deals.recovered_yuan"));
    if (values.loan) args.loan = values.loan;
    await sign("npa", "record_disposition", args, t("deals.do.dispose"));
  }, { id: `dispose-${p.id}` });
  return [h("h3", t("deals.step.dispose")), f];
}

function inspectorForm(v, sign) {
  const p = v.package;
  const f = form([
    { name: "inspector", label: t("deals.inspector"), type: "select", options: orgOptions(["INTERMEDIARY"]), value: p.inspector || undefined },
  ], t(p.inspector ? "deals.do.replace_inspector" : "deals.do.assign_inspector"),
  (values) => sign("npa", "assign_inspector", { package: p.id, inspector: values.inspector }, t("deals.do.assign_inspector")), { id: `inspector-${p.id}` });
  return [h("h3", t(p.inspector ? "deals.step.replace_inspector" : "deals.step.assign_inspector")), f];
}

function closeStep(v, sign) {
  const p = v.package;
  return [h("h3", t("deals.step.close")), h("p.note", t("deals.close_note", { buyer: orgName(p.winner), n: p.loans.length })),
    h("div.actions", button(t("deals.do.close"), () => sign("npa", "close", { package: p.id }, t("deals.do.close")), "primary", { id: `close-package-${p.id}` }))];
}

// the buyer's dispositions so far
function dispositions(v) {
  const rows = (v.dispositions || []).filter(Boolean);
  const loanNo = (ref) => (ref ? ref.split("/").slice(1).join("/") : t("deals.whole_package"));
  return h("div.deal-dispositions", h("h3", t("deals.dispositions", { n: rows.length })),
    table([
      ["#", (d) => d.n], [t("deals.disposition_kind"), (d) => t("deals.kind." + d.kind)], [t("deals.loan"), (d) => loanNo(d.loan)],
      [t("deals.recovered"), (d) => (d.amount ? yuan(d.amount) : "—")], [t("deals.description"), (d) => d.description], [t("date"), (d) => date(d.at)],
    ], rows, { empty: t("deals.no_dispositions"), rowAttrs: (d) => ({ "data-n": d.n }) }));
}

