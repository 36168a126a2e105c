// Exchange: filings and listings to approve (plans, products, NPA packages), listing an approved
// package for auction, and the consortium's members (qualified investors).
//
// The exchange approves what it has seen: each filing opens on what is being approved — a plan's
// pool (assets, payers, amounts and totals in 元), its disclosures (titles, status, document hashes)
// and documents; a product's tranches, underlying vouchers and rating; a package's loans and due
// diligence findings — and offers approval only when the contract would accept it now (a plan's
// initial disclosure published, a package's due diligence recorded and not adverse), saying why not.
import * as api from "../api.js";
import { bps, date, orgName, short, yuan } from "../fmt.js";
import { t, tv } from "../i18n.js";
import { badge, button, clear, form, h, idLink, kv, org, section, signAndSubmit, slot, table } from "../ui.js";
import { day, disclosureTitle, fen, inDays, int, nowSeconds, settlementBanks, stateNote, today } from "./common.js";

const hashCell = (hash) => h("code", { title: hash }, short(hash, 16));

export async function render(el, ctx) {
  const refresh = () => ctx.rerender();
  const sign = async (contract, method, args, title) => {
    const r = await signAndSubmit(contract, method, args, title);
    if (r && r.code === "ok") refresh();
  };

  // approval number and subscription window, typed beside what is approved
  const approveForm = (id, onApprove, maxDays) => form([
    { name: "approval_no", label: t("approval_no"), placeholder: t("approval_no_hint") },
    { name: "opens", label: t("opens"), type: "date", value: today() },
    { name: "closes", label: t("closes"), type: "date", value: inDays(7), hint: t("window_hint", { days: maxDays }) },
  ], t("approve"), (v) => onApprove({ approval_no: v.approval_no, opens: Math.max(day(v.opens, t("opens")), nowSeconds()), closes: day(v.closes, t("closes")) + 86399 }), { id });

  const [plans, products, dd, approved] = await Promise.all([
    api.query("plans", "plans", { status: "FILED" }).catch(() => []),
    api.query("products", "products", { status: "FILED" }).catch(() => []),
    api.query("npa", "packages", { status: "DUE_DILIGENCE" }).catch(() => []),
    api.query("npa", "packages", { status: "APPROVED" }).catch(() => []),
  ]);

  const planBox = plans.length ? h("div.filings", plans.map((p) => filing(idLink(p.id, "plan"), p.name, slot(() => planReview(p, sign, approveForm))))) : h("p.empty", t("nothing_to_approve"));
  const productBox = products.length ? h("div.filings", products.map((p) => filing(idLink(p.id, "product"), p.name, slot(() => productReview(p, sign, approveForm))))) : h("p.empty", t("nothing_to_approve"));
  const ddBox = dd.length ? h("div.filings", dd.map((p) => filing(idLink(p.id, "package"), p.name, slot(() => packageReview(p, sign))))) : h("p.empty", t("nothing_to_approve"));

  const pkgCols = [
    [t("package"), (p) => idLink(p.id, "package")], [t("name"), (p) => p.name], [t("seller"), (p) => org(p.seller)],
    [t("principal"), (p) => yuan(p.principal)], [t("reserve"), (p) => yuan(p.reserve_price)], [t("list_price"), (p) => yuan(p.list_price)],
    [t("margin"), (p) => yuan(p.margin)], [t("status"), (p) => badge(p.status)],
  ];
  const listBox = h("div",
    table(pkgCols, approved, { empty: t("nothing_to_list") }),
    approved.length ? form([
      { name: "package", label: t("package"), type: "select", options: approved.map((p) => [p.id, `${p.id} · ${p.name}`]) },
      { name: "mode", label: t("mode"), type: "select", options: [["english", tv("mode", "english")], ["dutch", tv("mode", "dutch")], ["sealed", tv("mode", "sealed")]] },
      { name: "minutes", label: t("duration_minutes"), value: "60" },
      { name: "increment", label: t("increment_yuan"), value: "100,000.00", hint: t("increment_mode_hint") },
      { name: "reveal", label: t("reveal_minutes"), value: "60", hint: t("reveal_minutes_hint") },
      { name: "bank", label: t("settlement_bank"), type: "select", options: settlementBanks() },
    ], t("list_for_auction"), async (v) => {
      const start = nowSeconds() + 5, end = start + int(v.minutes, t("duration_minutes")) * 60;
      const args = { package: v.package, mode: v.mode, start, end, settlement_bank: v.bank, pay_days: 10 };
      if (v.mode === "english") Object.assign(args, { increment: fen(v.increment), extend_window: 120, extend_by: 120 });
      if (v.mode === "dutch") Object.assign(args, { step: fen(v.increment), interval: 60 });
      if (v.mode === "sealed") Object.assign(args, { reveal_end: end + int(v.reveal, t("reveal_minutes")) * 60 });
      await sign("npa", "list_package", args, t("list_for_auction"));
    }, { id: "list-package" }) : null);

  const members = slot(async () => {
    const orgs = await api.query("membership", "orgs");
    return table([
      [t("organisation"), (o) => h("a", { href: `#/explorer/org/${o.id}` }, o.name)], [t("id"), (o) => h("code", o.id)],
      [t("type"), (o) => tv("role", o.type)], [t("status"), (o) => badge(o.status)],
      [t("attributes"), (o) => Object.entries(o.attributes || {}).map(([k, v]) => h("span.tag", `${k}=${JSON.stringify(v)}`))],
      [t("actions"), (o) => o.type === "INVESTOR" ? button(o.attributes && o.attributes.qualified ? t("unqualify") : t("qualify"),
        () => sign("membership", "set_attributes", { org_id: o.id, attributes: { qualified: !(o.attributes && o.attributes.qualified) } }, t("set_qualified")), "small") : null],
    ], orgs);
  });

  clear(el,
    h("h1", t("view.exchange"), " · ", orgName(ctx.me)),
    section(t("plan_filings"), planBox),
    section(t("product_filings"), productBox),
    section(t("packages_dd"), h("p.note", t("packages_dd_note")), ddBox),
    section(t("packages_to_list"), listBox),
    section(t("auctions"), h("p", h("a", { href: "#/v/auctions" }, t("view.auctions") + " →"))),
    section(t("members"), members));
  ctx.listen({ contract: "plans", blocks: "false" }, (k, ev) => { if (ev.type === "PlanFiled") refresh(); });
}

// one filing, folded: its id and name as the summary, what is being approved inside
function filing(link, name, body) {
  return h("details.filing", { open: true }, h("summary", link, " ", h("strong", name)), body);
}

function docTable(docs) {
  return table([[t("name"), (d) => d.name], [t("kind"), (d) => tv("doc", d.kind)], [t("hash"), (d) => hashCell(d.hash)]], docs, { empty: t("no_documents") });
}

// a filed plan: terms, pool with totals, disclosures and documents; approval once the initial disclosure is out
async function planReview(s, sign, approveForm) {
  const [view, tree] = await Promise.all([
    api.query("plans", "plan", { id: s.id }),
    api.query("plans", "penetrate", { plan: s.id, prove: false }).catch(() => null),
  ]);
  const p = view.plan;
  const need = Math.ceil((p.size * p.coverage_bps) / 10000);
  const pool = tree ? tree.assets.map((a) => ({ asset: a.asset, ...a.entry.value })) : [];
  const disclosures = view.disclosures || [];
  const initial = disclosures.filter((d) => d.kind === "initial" && d.status !== "SUPERSEDED").pop();
  const ready = initial && initial.status === "PUBLISHED";
  return h("div.review", { "data-plan": p.id },
    kv([
      [t("sponsor"), org(p.sponsor)], [t("underwriter"), org(p.underwriter)], [t("servicer"), org(p.servicer)],
      [t("settlement_bank"), org(p.settlement_bank)], [t("size"), yuan(p.size)], [t("coupon"), bps(p.coupon_bps)],
      [t("term_days"), p.term_days], [t("min_ticket_yuan"), yuan(p.min_ticket)],
      [t("pool_total"), h("strong", { class: p.pooled >= need ? "ok" : "bad" }, yuan(p.pooled), " ", t("pool_need", { need: yuan(need), cover: bps(p.coverage_bps) }))],
    ]),
    h("h3", t("pool"), " (", pool.length, ")"),
    table([[t("asset"), (a) => h("code", a.asset)], [t("payer"), (a) => org(a.payer)], [t("amount"), (a) => yuan(a.amount)], [t("maturity"), (a) => date(a.maturity)]],
      pool, { empty: t("pool_empty"), cls: "pool" }),
    h("h3", t("disclosures")),
    table([[t("kind"), (d) => tv("disclosure", d.kind)], [t("title"), (d) => disclosureTitle(d.title)], [t("status"), (d) => badge(d.status)], [t("due"), (d) => date(d.due)],
      [t("documents"), (d) => (d.documents || []).map((x) => [hashCell(x), " "])]], disclosures, { empty: t("none"), cls: "disclosures" }),
    h("h3", t("documents")), docTable(view.documents || []),
    ready ? approveForm(`approve-plan-${p.id}`, (v) => sign("plans", "approve", { plan: p.id, ...v }, t("approve_plan")), 90)
      : stateNote("initial_unpublished", {}, "s-issued"),
    form([{ name: "reason", label: t("return_reason") }], t("return_filing"), (v) => sign("plans", "return_filing", { plan: p.id, reason: v.reason }, t("return_filing")), { id: `return-plan-${p.id}` }));
}

// a filed product: tranches, underlying vouchers against its size, and its ratings
async function productReview(s, sign, approveForm) {
  const view = await api.query("products", "product", { id: s.id });
  const p = view.product;
  const size = p.tranches.reduce((n, x) => n + x.size, 0);
  // each underlying voucher's entry (payer, amount, maturity), as the product locked it
  const underlying = await Promise.all(p.underlying.slice(0, 200).map((v) => api.read(`state?key=${encodeURIComponent("products/underlying/" + v)}`)
    .then((d) => ({ voucher: v, ...(d.decoded || {}) })).catch(() => ({ voucher: v }))));
  return h("div.review", { "data-product": p.id },
    kv([[t("originator"), org(p.originator)], [t("registrar"), org(p.registrar)], [t("settlement_bank"), org(p.settlement_bank)],
      [t("size"), yuan(size)], [t("underlying"), h("strong", { class: p.underlying_amount >= size ? "ok" : "bad" }, yuan(p.underlying_amount))],
      [t("min_ticket_yuan"), yuan(p.min_ticket)], [t("term_days"), p.term_days], [t("fee_pct"), bps(p.fee_bps)]]),
    h("h3", t("tranches")),
    table([[t("priority"), (x) => x.priority], [t("name"), (x) => x.name], [t("size"), (x) => yuan(x.size)], [t("coupon"), (x) => bps(x.coupon_bps)]], p.tranches),
    h("h3", t("underlying")),
    table([[t("voucher"), (u) => idLink(u.voucher, "voucher")], [t("payer"), (u) => (u.payer ? org(u.payer) : "—")], [t("amount"), (u) => (u.amount ? yuan(u.amount) : "—")],
      [t("maturity"), (u) => (u.maturity ? date(u.maturity) : "—")]], underlying, { empty: t("none") }),
    h("h3", t("rating")),
    table([[t("rating_agency"), (r) => org(r.agency)], [t("grade"), (r) => r.grade], [t("outlook"), (r) => r.outlook], [t("date"), (r) => date(r.at)],
      [t("report"), (r) => hashCell(r.report_hash)]], p.ratings || [], { empty: t("not_rated") }),
    approveForm(`approve-product-${p.id}`, (v) => sign("products", "approve", { product: p.id, ...v }, t("approve_product")), 60));
}

// a package in due diligence: its loans and the intermediary's findings; approval once they are in and not adverse
async function packageReview(s, sign) {
  const view = await api.query("npa", "package", { id: s.id });
  const p = view.package;
  const dd = p.due_diligence;
  return h("div.review", { "data-package": p.id },
    kv([[t("seller"), org(p.seller)], [t("intermediary"), p.intermediary ? org(p.intermediary) : "—"], [t("base_date"), date(p.base_date)],
      [t("principal"), yuan(p.principal)], [t("interest"), yuan(p.interest)], [t("reserve"), yuan(p.reserve_price)], [t("list_price"), yuan(p.list_price)],
      [t("margin"), yuan(p.margin)]]),
    h("h3", t("loans")),
    table([[t("loan"), (l) => l.loan_no], [t("principal"), (l) => yuan(l.principal)], [t("interest"), (l) => yuan(l.interest)],
      [t("classification"), (l) => tv("class", l.classification)], [t("days_past_due"), (l) => l.days_past_due], [t("litigation"), (l) => tv("litigation", l.litigation)]],
    view.loans || []),
    h("h3", t("dd_findings")),
    dd ? kv([[t("by"), org(dd.by)], [t("opinion"), h("strong#dd-opinion-" + p.id, tv("opinion", dd.opinion))], [t("summary"), dd.summary || "—"],
      [t("report"), hashCell(dd.report_hash)], [t("date"), date(dd.at)]]) : null,
    h("h3", t("documents")), docTable(view.documents || []),
    !dd ? stateNote("dd_pending", {}, "s-issued")
      : dd.opinion === "adverse" ? stateNote("dd_adverse", {}, "s-frozen")
        : button(t("approve"), () => sign("npa", "approve", { package: p.id }, t("approve_package")), "small primary", { id: `approve-package-${p.id}` }));
}

export { date };
