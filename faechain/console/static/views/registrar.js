// Registrar (登记结算机构): keeps the register of the revenue-sharing products it is named for in
// the products contract — establishes a product when its subscription window closes (or it is
// fully subscribed), enters accepted negotiated transfers in the register once the seller's
// 5-day hold has passed, distributes collections down the waterfall, marks maturity, declares a
// default, and closes a product whose collections are all distributed. Each product shows what
// the registrar may do with it now, or why it may do nothing yet.
//
//   #/v/registrar                  its products and the transfers waiting on it
//   #/v/registrar/product/<id>     one product's register, collections and distributions
import * as api from "../api.js";
import { bars } from "../charts.js";
import { bps, date, datetime, orgName, yuan, yuanNumber } from "../fmt.js";
import { t, tv } from "../i18n.js";
import { askText, badge, button, clear, form, h, kv, org, section, signAndSubmit, table } from "../ui.js";
import { fen, nowSeconds } from "./common.js";
import { registrarDesk, registrarSteps } from "./todos.js";

const size = (p) => p.tranches.reduce((s, tr) => s + tr.size, 0);
const subscribed = (p) => p.tranches.reduce((s, tr) => s + tr.subscribed, 0);
const productLink = (id) => h("a", { href: `#/v/registrar/product/${encodeURIComponent(id)}`, title: id }, id);

export async function render(el, ctx) {
  if (ctx.params[0] === "product" && ctx.params[1]) return productPage(el, ctx, ctx.params[1]);
  const now = nowSeconds();
  const { products, transfers } = await registrarDesk(ctx.me);
  const sign = async (method, args, title) => {
    const r = await signAndSubmit("products", method, args, title);
    if (r && r.code === "ok") ctx.rerender();
  };
  const ps = products.map((v) => v.product);

  const productBox = table([
    [t("product"), (p) => productLink(p.id)],
    [t("name"), (p) => p.name],
    [t("originator"), (p) => org(p.originator)],
    [t("status"), (p) => badge(p.status)],
    [t("reg.size_subscribed"), (p) => [yuan(size(p)), h("br"), h("small", t("subscribed"), " ", yuan(subscribed(p)))]],
    [t("reg.dates"), (p) => dates(p)],
    [t("holders"), (p) => p.holders.length],
    [t("reg.collected_distributed"), (p) => [yuan(p.collected), h("br"), h("small", t("distributed"), " ", yuan(p.distributed))]],
    [t("reg.now"), (p) => {
      const steps = registrarSteps(p, now);
      return steps.length ? steps.map((s) => stepButton(s, p, sign)) : h("span.state-why", why(p, now));
    }],
  ], ps, { empty: t("reg.no_products"), rowAttrs: (p) => ({ "data-product": p.id }) });

  const transferBox = table([
    [t("reg.transfer"), (tr) => h("code", tr.id)],
    [t("product"), (tr) => productLink(tr.product)],
    [t("tranche"), (tr) => tr.tranche],
    [t("seller"), (tr) => org(tr.seller)],
    [t("buyer"), (tr) => org(tr.buyer)],
    [t("reg.units"), (tr) => yuan(tr.units)],
    [t("price"), (tr) => yuan(tr.price)],
    [t("status"), (tr) => badge(tr.status)],
    [t("reg.now"), (tr) => {
      if (tr.status === "PROPOSED") return h("span.state-why", t("reg.why.proposed", { buyer: orgName(tr.buyer) }));
      if (tr.resale === null) return h("span.state-why", t("reg.why.no_units", { seller: orgName(tr.seller) }));
      if (now < tr.resale) return h("span.state-why", t("reg.why.hold", { date: datetime(tr.resale) }));
      return button(t("reg.register_transfer"), () => sign("register_transfer", { transfer: tr.id }, t("reg.register_transfer")),
        "small primary", { id: `register-transfer-${tr.id}` });
    }],
  ], transfers, { empty: t("reg.no_transfers"), rowAttrs: (tr) => ({ "data-transfer": tr.id }) });

  const defaultable = ps.filter((p) => ["ESTABLISHED", "OUTSTANDING", "MATURED"].includes(p.status));
  const defaultForm = defaultable.length ? form([
    { name: "product", label: t("product"), type: "select", options: defaultable.map((p) => [p.id, `${p.id} · ${p.name}`]) },
    { name: "reason", label: t("reason"), type: "textarea", placeholder: t("reg.default_placeholder") },
  ], t("reg.declare_default"), (v) => sign("declare_default", { product: v.product, reason: v.reason }, t("reg.declare_default")), { id: "declare-default" })
    : h("p.empty", t("reg.nothing_to_default"));

  clear(el,
    h("h1", t("view.registrar"), " · ", orgName(ctx.me)),
    section(t("reg.products"), h("p.note", t("reg.products_note")), productBox),
    section(t("reg.transfers"), h("p.note", t("reg.transfers_note")), transferBox),
    section(t("reg.declare_default"), h("p.note", t("reg.default_note")), defaultForm));
}

function dates(p) {
  if (p.status === "OPEN") return [t("window"), " ", date(p.opens), " – ", date(p.closes)];
  if (p.maturity) return [t("maturity"), " ", date(p.maturity)];
  return "—";
}

// why the registrar has nothing to do with a product now, in its words
function why(p, now) {
  const key = {
    DRAFT: "pre", RATED: "pre", FILED: "pre", ESTABLISHED: "established", FAILED: "failed", CLOSED: "closed",
  }[p.status];
  if (key) return t("reg.why." + key, { bank: orgName(p.settlement_bank) });
  if (p.status === "OPEN") return t("reg.why.open", { closes: datetime(p.closes), left: yuan(size(p) - subscribed(p)) });
  if (p.status === "OUTSTANDING") return t("reg.why.outstanding", { maturity: date(p.maturity) });
  return t("reg.why.undistributed");
}

function stepButton(step, p, sign) {
  const id = `${step}-${p.id}`;
  if (step === "distribute") {
    return button(t("reg.step.distribute"), async () => {
      const left = p.collected - p.distributed;
      const typed = await askText(t("reg.distribute_prompt", { left: yuan(left) }), yuanNumber(left).replace(/,/g, ""));
      const amount = fen(typed);
      await sign("distribute", amount === left ? { product: p.id } : { product: p.id, amount }, t("reg.step.distribute"));
    }, "small primary", { id });
  }
  return button(t("reg.step." + step), () => sign(step, { product: p.id }, t("reg.step." + step)), "small primary", { id });
}

async function productPage(el, ctx, id) {
  const v = await api.query("products", "product", { id });
  const p = v.product;
  const holdings = v.holdings || [];
  clear(el,
    h("h1", t("product"), " ", p.id, " · ", p.name),
    h("p", h("a", { href: "#/v/registrar" }, "← " + t("view.registrar"))),
    section(t("terms"), kv([
      [t("status"), badge(p.status)], [t("originator"), org(p.originator)], [t("settlement_bank"), org(p.settlement_bank)],
      [t("reg.min_ticket"), yuan(p.min_ticket)], [t("reg.term_days"), t("reg.days", { n: p.term_days })], [t("reg.fee"), bps(p.fee_bps)],
      [t("window"), p.opens ? `${date(p.opens)} – ${date(p.closes)}` : "—"], [t("maturity"), p.maturity ? date(p.maturity) : "—"],
      [t("rating"), p.ratings.length ? `${p.ratings.at(-1).grade} · ${tv("outlook", p.ratings.at(-1).outlook)} · ${orgName(p.ratings.at(-1).agency)}` : "—"],
      [t("reg.collected_distributed"), `${yuan(p.collected)} / ${yuan(p.distributed)}`],
    ])),
    section(t("tranches"), table([
      [t("tranche"), (tr) => tr.name], [t("priority"), (tr) => tr.priority], [t("size"), (tr) => yuan(tr.size)],
      [t("coupon"), (tr) => bps(tr.coupon_bps)], [t("subscribed"), (tr) => yuan(tr.subscribed)], [t("outstanding"), (tr) => yuan(tr.outstanding)],
      [t("reg.interest_paid"), (tr) => yuan(tr.interest_paid)], [t("reg.principal_paid"), (tr) => yuan(tr.principal_paid)],
    ], p.tranches)),
    section(t("reg.register"), holdings.length ? bars(holdings.map((x) => ({ label: `${orgName(x.holder).slice(0, 6)} ${x.tranche}`, value: x.units })), { title: t("reg.register") }) : null,
      table([
        [t("tranche"), (x) => x.tranche], [t("holder"), (x) => org(x.holder)], [t("reg.units"), (x) => yuan(x.units)],
        [t("reg.acquired"), (x) => datetime(x.acquired_at)], [t("received"), (x) => yuan(x.received)],
      ], holdings, { empty: t("reg.no_register") })),
    section(t("reg.collections"), table([
      ["#", (c) => c.n], [t("voucher"), (c) => h("a", { href: `#/explorer/voucher/${c.voucher}` }, c.voucher)], [t("payer"), (c) => org(c.payer)],
      [t("amount"), (c) => yuan(c.amount)], [t("bank_ref"), (c) => c.bank_ref], [t("time"), (c) => datetime(c.at)],
    ], v.collections || [])),
    section(t("distributions"), table([
      ["#", (d) => d.n], [t("record_date"), (d) => datetime(d.record_date)], [t("amount"), (d) => yuan(d.amount)],
      [t("reg.days_accrued"), (d) => d.days],
      [t("reg.waterfall"), (d) => h("ul.steps", d.steps.filter((s) => s.paid || s.owed).map((s) =>
        h("li", t("reg.wf." + s.step), s.tranche ? ` (${s.tranche})` : "", ": ", yuan(s.paid), s.owed > s.paid ? ` / ${t("reg.owed")} ${yuan(s.owed)}` : "")))],
    ], v.distributions || [], { empty: t("no_distributions") })));
}
