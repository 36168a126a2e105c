// What waits for a member, role by role: the home page's to-do items (views/home.js draws them)
// and the figures beside them, computed from the queries the member may run — so a count never
// tells a member what it may not read (docs/confidentiality.md). The registrar's, rating
// agency's and intermediary's views load their desks with the same functions (`registrarDesk`,
// `ratingDesk`, `intermediaryDesk`), so a count on the home page and the rows of the view agree.
//
// An item: {key, count, amount?, href, tone}. tone "act": the member's to do; "warn": to do and
// late or near a deadline; "wait": on someone else's desk, shown so the member knows.
import * as api from "../api.js";
import { LIVE, nowSeconds } from "./common.js";

export const DAY = 86400;
export const HOLD_DAYS = 5; // products: a holding is held this long before it is resold (records.HOLD_DAYS)
const SOON = 30 * DAY; // "near": a maturity or a disclosure due within 30 days

// a listing the member's role may not run answers an error: for a to-do list that is "none"
const list = (contract, method, args) => api.query(contract, method, args).catch((e) => {
  console.warn(contract, method, e);
  return [];
});
const one = (contract, method, args) => api.query(contract, method, args).catch(() => null);
const sum = (rows, f) => rows.reduce((s, r) => s + Number(typeof f === "function" ? f(r) : r[f] || 0), 0);

// an item: count and amount of `rows`, a link to `view` focused on the first row's `focusOf`
function item(key, rows, view, opts = {}) {
  const focus = rows.length && opts.focus ? `?focus=${encodeURIComponent(opts.focus(rows[0]))}` : "";
  return { key, count: rows.length, amount: opts.amount ? sum(rows, opts.amount) : null,
    href: `#/v/${view}${focus}`, tone: opts.tone || "act" };
}

async function statuses(contract, method, list_, extra = {}) {
  const rows = await Promise.all(list_.map((status) => list(contract, method, { status, ...extra })));
  return rows.flat();
}

// -- the registrar: products it keeps the register of, and their transfers ---------------------------
export async function registrarDesk(me) {
  const seen = await statuses("products", "products", ["DRAFT", "RATED", "FILED", "OPEN", "ESTABLISHED", "OUTSTANDING",
    "MATURED", "DEFAULT", "FAILED", "CLOSED"]);
  const full = (await Promise.all(seen.map((p) => one("products", "product", { id: p.id })))).filter(Boolean);
  const products = full.filter((v) => v.product.registrar === me);
  const byId = new Map(products.map((v) => [v.product.id, v]));
  const transfers = (await statuses("products", "transfers", ["ACCEPTED", "PROPOSED"])).filter((tr) => byId.has(tr.product));
  // when the seller may resell: HOLD_DAYS after it last acquired units of that tranche
  for (const tr of transfers) {
    const hd = (byId.get(tr.product).holdings || []).find((x) => x.holder === tr.seller && x.tranche === tr.tranche);
    tr.resale = hd && hd.acquired_at ? hd.acquired_at + HOLD_DAYS * DAY : null;
  }
  return { products, transfers };
}

// what the registrar may do with a product now: establish, distribute, mature, close (or nothing yet)
export function registrarSteps(p, now) {
  const steps = [];
  const full = p.tranches.every((tr) => tr.subscribed === tr.size);
  if (p.status === "OPEN" && (full || now >= p.closes)) steps.push("establish");
  if (["OUTSTANDING", "MATURED", "DEFAULT"].includes(p.status) && p.collected > p.distributed) steps.push("distribute");
  if (p.status === "OUTSTANDING" && now >= p.maturity) steps.push("mature");
  if (["MATURED", "DEFAULT"].includes(p.status) && p.collected === p.distributed) steps.push("close");
  return steps;
}

async function registrar(me, now) {
  const { products, transfers } = await registrarDesk(me);
  const ps = products.map((v) => v.product);
  const can = (step) => ps.filter((p) => registrarSteps(p, now).includes(step));
  const accepted = transfers.filter((tr) => tr.status === "ACCEPTED");
  const due = accepted.filter((tr) => tr.resale !== null && now >= tr.resale);
  const live = ps.filter((p) => ["ESTABLISHED", "OUTSTANDING", "MATURED", "DEFAULT"].includes(p.status));
  return {
    items: [
      item("establish_products", can("establish"), "registrar", { focus: (p) => p.id }),
      item("register_transfers", due, "registrar", { focus: (tr) => tr.id, amount: "price" }),
      item("distribute_collections", can("distribute"), "registrar", { focus: (p) => p.id, amount: (p) => p.collected - p.distributed }),
      item("mature_products", can("mature"), "registrar", { focus: (p) => p.id, tone: "warn" }),
      item("close_products", can("close"), "registrar", { focus: (p) => p.id }),
      item("transfers_on_hold", accepted.filter((tr) => !due.includes(tr)), "registrar", { focus: (tr) => tr.id, tone: "wait" }),
      item("subscriptions_open", ps.filter((p) => p.status === "OPEN" && !can("establish").includes(p)), "registrar", { focus: (p) => p.id, tone: "wait" }),
    ],
    kpis: [["kpi.products_registered", live.length], ["kpi.holders", sum(live, (p) => p.holders.length)],
      ["kpi.collected", sum(live, "collected"), "fen"], ["kpi.distributed", sum(live, "distributed"), "fen"]],
    chart: { kind: "bars", title: "chart.outstanding_by_tranche",
      items: live.flatMap((p) => p.tranches.map((tr) => ({ label: `${p.id} ${tr.name}`, value: tr.outstanding }))) },
  };
}

// -- the rating agency: drafts to rate, and the products it rated ---------------------------------
export async function ratingDesk(me) {
  const seen = await statuses("products", "products", ["DRAFT", "RATED", "FILED", "OPEN", "ESTABLISHED", "OUTSTANDING",
    "MATURED", "DEFAULT"]);
  const full = (await Promise.all(seen.map((p) => one("products", "product", { id: p.id })))).filter(Boolean).map((v) => v.product);
  const mine = (p) => (p.ratings || []).filter((r) => r.agency === me);
  return {
    requested: full.filter((p) => p.status === "DRAFT" && p.underlying && p.underlying.length && !mine(p).length),
    unpooled: full.filter((p) => p.status === "DRAFT" && (!p.underlying || !p.underlying.length)),
    rated: full.filter((p) => mine(p).length).map((p) => ({ ...p, mine: mine(p).at(-1) })),
  };
}

export const SURVEILLANCE = 365 * DAY; // a rating is reviewed at least yearly (跟踪评级)

async function rating(me, now) {
  const { requested, rated } = await ratingDesk(me);
  const size = (p) => (p.tranches ? sum(p.tranches, "size") : 0);
  const grades = new Map();
  for (const p of rated) grades.set(p.mine.grade, (grades.get(p.mine.grade) || 0) + size(p));
  return {
    items: [
      item("rate_products", requested, "rating", { focus: (p) => p.id, amount: size }),
      item("surveillance_due", rated.filter((p) => now - p.mine.at >= SURVEILLANCE), "rating", { focus: (p) => p.id, tone: "warn" }),
    ],
    kpis: [["kpi.products_rated", rated.length], ["kpi.size_rated", sum(rated, size), "fen"], ["kpi.ratings_requested", requested.length]],
    chart: { kind: "bars", title: "chart.size_by_grade", items: [...grades].map(([label, value]) => ({ label, value })) },
  };
}

// -- the intermediary: plans it underwrites, packages it does due diligence on or inspects ------------
export async function intermediaryDesk(me) {
  const [plans, dd, inspected] = await Promise.all([
    list("plans", "plans", { underwriter: me }),
    list("npa", "packages", { intermediary: me }),
    list("npa", "packages", { inspector: me }),
  ]);
  const full = (await Promise.all(plans.filter((p) => p.status !== "CLOSED").map((p) => one("plans", "plan", { id: p.id })))).filter(Boolean);
  const packages = async (rows) => (await Promise.all(rows.map((p) => one("npa", "package", { id: p.id })))).filter(Boolean);
  return { plans: full, closed: plans.filter((p) => p.status === "CLOSED"), dd: await packages(dd), inspections: await packages(inspected) };
}

// the pool a plan must hold before it is filed: size x coverage, rounded up to the fen
export const poolNeeded = (p) => Math.floor((p.size * p.coverage_bps + 9_999) / 10_000);

// what the underwriter may do with a plan now: file, establish, close
export function planSteps(p, now) {
  const steps = [];
  if (p.status === "DRAFT" && p.pooled >= poolNeeded(p)) steps.push("file");
  if (p.status === "LISTED" && p.subscribed > 0 && (now >= p.closes || p.subscribed === p.size)) steps.push("establish");
  if (["REDEEMED", "DEFAULTED"].includes(p.status) || (p.status === "LISTED" && now >= p.closes && !p.subscribed)) steps.push("close");
  return steps;
}

// disclosure items still to publish, each with its plan
function openItems(plans) {
  return plans.flatMap((v) => v.disclosures.filter((d) => ["SCHEDULED", "OVERDUE"].includes(d.status)).map((d) => ({ ...d, planName: v.plan.name })));
}

async function intermediary(me, now) {
  const desk = await intermediaryDesk(me);
  const ps = desk.plans.map((v) => v.plan);
  const can = (step) => ps.filter((p) => planSteps(p, now).includes(step));
  const items = openItems(desk.plans);
  const key = (d) => `${d.plan}-${d.n}`;
  const live = ps.filter((p) => !["CLOSED"].includes(p.status));
  const byStatus = new Map();
  for (const p of live) byStatus.set(p.status, (byStatus.get(p.status) || 0) + p.size);
  return {
    items: [
      item("file_plans", can("file"), "intermediary", { focus: (p) => p.id, amount: "size" }),
      item("disclosures_overdue", items.filter((d) => d.status === "OVERDUE"), "intermediary", { focus: key, tone: "warn" }),
      item("disclosures_due", items.filter((d) => d.status === "SCHEDULED" && d.due - now <= SOON), "intermediary", { focus: key }),
      item("establish_plans", can("establish"), "intermediary", { focus: (p) => p.id, amount: "subscribed" }),
      item("close_plans", can("close"), "intermediary", { focus: (p) => p.id }),
      item("record_due_diligence", desk.dd.filter((v) => v.package.status === "DUE_DILIGENCE" && !v.package.due_diligence), "intermediary", { focus: (v) => v.package.id }),
      item("inspect_packages", desk.inspections.filter((v) => v.package.status === "POST_TRANSFER"), "intermediary", { focus: (v) => v.package.id }),
      item("plans_to_pool", ps.filter((p) => p.status === "DRAFT" && !can("file").includes(p)), "intermediary", { focus: (p) => p.id, tone: "wait" }),
      item("packages_noticed", desk.inspections.filter((v) => v.package.status === "NOTICED"), "intermediary", { focus: (v) => v.package.id, tone: "wait" }),
    ],
    kpis: [["kpi.plans_underwritten", live.length], ["kpi.size_underwritten", sum(live, "size"), "fen"],
      ["kpi.disclosures_open", items.length], ["kpi.packages", desk.dd.length + desk.inspections.length]],
    chart: { kind: "bars", title: "chart.plans_by_status", items: [...byStatus].map(([s, value]) => ({ label: s, value, status: true })) },
  };
}

// -- the roles whose views other pages hold ----------------------------------------------------------
const maturityMonth = (v) => new Date((v.maturity + 8 * 3600) * 1000).toISOString().slice(0, 7);
function byMonth(rows) {
  const m = new Map();
  for (const v of rows) m.set(maturityMonth(v), (m.get(maturityMonth(v)) || 0) + v.amount);
  return [...m].sort().map(([label, value]) => ({ label, value }));
}

async function supplier(me, now) {
  const [held, fins] = await Promise.all([list("receivables", "vouchers", { holder: me, limit: 1000 }), list("receivables", "financings", { holder: me })]);
  const live = held.filter((v) => LIVE.includes(v.status));
  const settled = live.filter((v) => v.status !== "ISSUED" && v.status !== "OVERDUE");
  return {
    items: [
      item("accept_vouchers", live.filter((v) => v.status === "ISSUED"), "supplier", { focus: (v) => v.id, amount: "amount" }),
      item("vouchers_maturing", settled.filter((v) => v.maturity - now <= SOON), "supplier", { focus: (v) => v.id, amount: "amount", tone: "warn" }),
      item("vouchers_overdue", live.filter((v) => v.status === "OVERDUE"), "supplier", { focus: (v) => v.id, amount: "amount", tone: "warn" }),
      item("financing_pending", fins.filter((f) => ["REQUESTED", "REGISTERED"].includes(f.status)), "supplier", { focus: (f) => f.voucher, amount: "amount", tone: "wait" }),
    ],
    kpis: [["kpi.held", sum(settled, "amount"), "fen"], ["kpi.pieces", settled.length],
      ["kpi.financed", sum(fins.filter((f) => f.status === "FUNDED"), "amount"), "fen"]],
    chart: { kind: "bars", title: "chart.held_by_month", items: byMonth(settled) },
  };
}

async function core(me, now) {
  const [owed, credit] = await Promise.all([list("receivables", "vouchers", { payer: me, limit: 1000 }), one("receivables", "credit", { core: me })]);
  const live = owed.filter((v) => LIVE.includes(v.status));
  const due = live.filter((v) => v.status !== "ISSUED" && v.status !== "OVERDUE" && v.maturity - now <= SOON);
  return {
    items: [
      item("pay_vouchers", due, "core", { focus: (v) => v.root, amount: "amount" }),
      item("payables_overdue", live.filter((v) => v.status === "OVERDUE"), "core", { focus: (v) => v.root, amount: "amount", tone: "warn" }),
      item("awaiting_acceptance", live.filter((v) => v.status === "ISSUED"), "core", { focus: (v) => v.id, amount: "amount", tone: "wait" }),
    ],
    kpis: [["kpi.payables", sum(live, "amount"), "fen"], ["kpi.headroom", credit ? credit.headroom : null, "fen"]],
    chart: credit && credit.limit ? { kind: "gauge", used: credit.open, limit: credit.limit } : { kind: "bars", title: "chart.payables_by_month", items: byMonth(live) },
  };
}

async function funder(me, member) {
  const fins = await list("receivables", "financings", { funder: me });
  const out = [
    item("register_financings", fins.filter((f) => f.status === "REQUESTED"), "funder", { focus: (f) => f.id, amount: "amount" }),
    item("fund_financings", fins.filter((f) => f.status === "REGISTERED"), "funder", { focus: (f) => f.id, amount: "amount" }),
  ];
  if (member.role === "BANK" && member.attributes && member.attributes.settlement) out.push(...await settlementItems(me));
  const byStatus = new Map();
  for (const f of fins) byStatus.set(f.status, (byStatus.get(f.status) || 0) + f.amount);
  return {
    items: out,
    kpis: [["kpi.financed", sum(fins.filter((f) => f.status === "FUNDED"), "amount"), "fen"],
      ["kpi.requested", sum(fins.filter((f) => ["REQUESTED", "REGISTERED"].includes(f.status)), "amount"), "fen"]],
    chart: { kind: "bars", title: "chart.financing_by_status", items: [...byStatus].map(([s, value]) => ({ label: s, value, status: true })) },
  };
}

// a settlement bank's confirmations: subscription money of plans and products, auction margins and balances
async function settlementItems(me) {
  const [plans, products, open, awarded] = await Promise.all([list("plans", "plans", { status: "ESTABLISHED" }),
    list("products", "products", { status: "ESTABLISHED" }), list("auctions", "auctions", { status: "OPEN" }), list("auctions", "auctions", { status: "AWARDED" })]);
  const mine = async (rows, contract, method, pick) => (await Promise.all(rows.map((r) => one(contract, method, { id: r.id }))))
    .filter((v) => v && pick(v).settlement_bank === me);
  const fundPlans = await mine(plans, "plans", "plan", (v) => v.plan);
  const fundProducts = await mine(products, "products", "product", (v) => v.product);
  const auctions = await mine([...open, ...awarded], "auctions", "auction", (v) => v.auction);
  const margins = auctions.filter((v) => v.auction.status === "OPEN").flatMap((v) => (v.margins || []).filter((m) => m.status === "DUE"));
  return [
    item("confirm_funding", [...fundPlans.map((v) => v.plan), ...fundProducts.map((v) => v.product)], "funder", { focus: (p) => p.id }),
    item("confirm_margins", margins, "funder", { focus: (m) => m.auction, amount: "amount" }),
    item("confirm_balances", auctions.filter((v) => v.auction.status === "AWARDED").map((v) => v.auction), "funder",
      { focus: (a) => a.id, amount: (a) => a.price - a.margin }),
  ];
}

async function investor(me, member, now) {
  const qualified = !!(member.attributes && member.attributes.qualified);
  const [plans, products, offers, myPlans, myProducts] = await Promise.all([
    list("plans", "plans", { status: "LISTED" }), list("products", "products", { status: "OPEN" }),
    list("products", "transfers", { buyer: me, status: "PROPOSED" }),
    list("plans", "plans", { investor: me }), list("products", "products", { holder: me })]);
  const open = (p) => p.opens <= now && now < p.closes;
  const holdings = [];
  for (const p of myPlans) {
    const hd = await one("plans", "holding", { plan: p.id, investor: me });
    if (hd) holdings.push({ label: p.id, value: hd.principal || hd.subscribed, received: hd.coupon_received + hd.principal_received });
  }
  for (const p of myProducts) {
    const v = await one("products", "product", { id: p.id });
    for (const hd of (v && v.holdings) || []) if (hd.holder === me) holdings.push({ label: `${p.id} ${hd.tranche}`, value: hd.units, received: hd.received });
  }
  const items = [
    item("transfers_to_accept", offers, "investor", { focus: (tr) => tr.id, amount: "price" }),
    item("distributions_received", holdings.filter((x) => x.received > 0), "investor", { amount: "received", tone: "wait" }),
    ...await bidderItems(me, now),
  ];
  if (qualified) {
    items.unshift(item("subscribe_plans", plans.filter(open), "investor", { focus: (p) => p.id }),
      item("subscribe_products", products.filter(open), "investor", { focus: (p) => p.id }));
  }
  return {
    items,
    kpis: [["kpi.holdings", sum(holdings, "value"), "fen"], ["kpi.received", sum(holdings, "received"), "fen"]],
    chart: { kind: "bars", title: "chart.holdings", items: holdings },
    note: qualified ? null : "home.not_qualified",
  };
}

// a bidder's auctions: open ones it registered for (margin to pay, sealed bids to reveal), and deals it won
async function bidderItems(me, now) {
  const open = await list("auctions", "auctions", { status: "OPEN" });
  const full = (await Promise.all(open.map((a) => one("auctions", "auction", { id: a.id })))).filter(Boolean);
  const mine = full.filter((v) => (v.margins || []).some((m) => m.bidder === me));
  const margin = (v) => v.margins.find((m) => m.bidder === me);
  const reveal = mine.filter((v) => v.auction.mode === "sealed" && now >= v.auction.end && now < v.auction.reveal_end
    && margin(v).commit && v.bids.some((b) => b.n === margin(v).commit && b.bidder === me && !b.revealed_at));
  return [
    item("auctions_open", full.filter((v) => now < v.auction.end).map((v) => v.auction), "auctions", { focus: (a) => a.id, tone: mine.length ? "act" : "wait" }),
    item("margins_to_pay", mine.filter((v) => margin(v).status === "DUE").map(margin), "auctions", { focus: (m) => m.auction, amount: "amount" }),
    item("reveals_due", reveal.map((v) => v.auction), "auctions", { focus: (a) => a.id, tone: "warn" }),
  ].map((x) => (x.key === "reveals_due" && reveal.length ? { ...x, href: `#/v/auctions/${reveal[0].auction.id}` } : x));
}

async function amc(me, now) {
  const [won, items] = await Promise.all([list("npa", "packages", { winner: me }), bidderItems(me, now)]);
  return {
    items: [
      ...items,
      item("deals_to_sign", won.filter((p) => p.status === "AWARDED"), "deals", { focus: (p) => p.id }),
      item("dispositions_to_record", won.filter((p) => ["NOTICED", "POST_TRANSFER"].includes(p.status)), "deals", { focus: (p) => p.id, tone: "wait" }),
    ],
    kpis: [["kpi.packages_won", won.length], ["kpi.principal_won", sum(won, "principal"), "fen"]],
    chart: { kind: "bars", title: "chart.packages_won", items: won.map((p) => ({ label: p.id, value: p.principal })) },
  };
}

async function exchange() {
  const [plans, products, dd, approved, noticed, post, inspected, listed] = await Promise.all([
    list("plans", "plans", { status: "FILED" }), list("products", "products", { status: "FILED" }),
    list("npa", "packages", { status: "DUE_DILIGENCE" }), list("npa", "packages", { status: "APPROVED" }),
    list("npa", "packages", { status: "NOTICED" }), list("npa", "packages", { status: "POST_TRANSFER" }),
    list("npa", "packages", { status: "INSPECTED" }), statuses("plans", "plans", ["LISTED", "ESTABLISHED", "OUTSTANDING"])]);
  const ddFull = (await Promise.all(dd.map((p) => one("npa", "package", { id: p.id })))).filter(Boolean).map((v) => v.package);
  const afterFull = (await Promise.all([...noticed, ...post].map((p) => one("npa", "package", { id: p.id })))).filter(Boolean).map((v) => v.package);
  const ready = ddFull.filter((p) => p.due_diligence && p.due_diligence.opinion !== "adverse");
  const byStatus = new Map();
  for (const p of listed) byStatus.set(p.status, (byStatus.get(p.status) || 0) + p.size);
  return {
    items: [
      item("approve_plans", plans, "exchange", { focus: (p) => p.id, amount: "size" }),
      item("approve_products", products, "exchange", { focus: (p) => p.id }),
      item("approve_packages", ready, "exchange", { focus: (p) => p.id, amount: "principal" }),
      item("list_packages", approved, "exchange", { focus: (p) => p.id, amount: "reserve_price" }),
      item("assign_inspectors", afterFull.filter((p) => !p.inspector), "deals", { focus: (p) => p.id }),
      item("close_packages", inspected, "deals", { focus: (p) => p.id }),
      item("packages_in_dd", ddFull.filter((p) => !ready.includes(p)), "exchange", { focus: (p) => p.id, tone: "wait" }),
    ],
    kpis: [["kpi.plans_live", listed.length], ["kpi.size_live", sum(listed, "size"), "fen"]],
    chart: { kind: "bars", title: "chart.plans_by_status", items: [...byStatus].map(([s, value]) => ({ label: s, value, status: true })) },
  };
}

// every page of a numbered log (alerts, actions): 1000 at a time from `since`
async function all(contract, method) {
  const out = [];
  for (let since = 1, page = 0; page < 20; page++) {
    const rows = await list(contract, method, { since, limit: 1000 });
    out.push(...rows);
    if (rows.length < 1000) break;
    since = rows[rows.length - 1].n + 1;
  }
  return out;
}

// an alert is open until the regulator acts on its subject (freezes or unfreezes it) after it fired
async function regulator() {
  const [alerts, actions, frozen] = await Promise.all([all("supervision", "alerts"), all("supervision", "actions"), list("supervision", "frozen_assets")]);
  const open = alerts.filter((a) => !actions.some((x) => x.asset === a.subject && x.at >= a.time)).reverse();
  const rules = new Map();
  for (const a of open) rules.set(a.rule, (rules.get(a.rule) || 0) + 1);
  return {
    items: [
      item("alerts_critical", open.filter((a) => a.severity === "critical"), "regulator", { focus: (a) => a.subject, tone: "warn" }),
      item("alerts_warning", open.filter((a) => a.severity !== "critical"), "regulator", { focus: (a) => a.subject }),
      item("assets_frozen", frozen, "regulator", { focus: (f) => f.asset, tone: "wait" }),
    ],
    kpis: [["kpi.alerts_total", alerts.length], ["kpi.alerts_open", open.length], ["kpi.frozen", frozen.length]],
    chart: { kind: "counts", title: "chart.open_alerts_by_rule", items: [...rules].map(([rule, value]) => ({ label: rule, value, rule: true })) },
  };
}

// governance: open proposals the member's organisation may vote on and has not
async function votes(me) {
  const open = await list("governance", "proposals", { status: "OPEN" });
  return item("vote_proposals", open.filter((p) => (p.electorate || []).includes(me) && !(p.votes && p.votes[me] !== undefined)),
    "governance", { focus: (p) => p.id });
}

const DESKS = {
  SUPPLIER: (me, m, now) => supplier(me, now), CORE_ENTERPRISE: (me, m, now) => core(me, now),
  FACTOR: (me, m) => funder(me, m), BANK: (me, m) => funder(me, m), INVESTOR: investor,
  EXCHANGE: () => exchange(), REGULATOR: () => regulator(), AMC: (me, m, now) => amc(me, now),
  REGISTRAR: (me, m, now) => registrar(me, now), RATING_AGENCY: (me, m, now) => rating(me, now),
  INTERMEDIARY: (me, m, now) => intermediary(me, now),
};

// {items, kpis: [[label key, value, "fen"?]], chart, note?} for the signed-in member
export async function deskOf(ctx) {
  const now = nowSeconds();
  const desk = DESKS[ctx.member.role] ? await DESKS[ctx.member.role](ctx.me, ctx.member, now) : { items: [], kpis: [] };
  if (ctx.session.features && ctx.session.features.governance) desk.items.push(await votes(ctx.me));
  return desk;
}
