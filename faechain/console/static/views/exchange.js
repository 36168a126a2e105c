// Exchange: filings and listings to approve (plans, products, NPA packages), listing an
// approved package for auction, and the consortium's members (qualified investors).
import * as api from "../api.js";
import { bps, date, orgName, yuan } from "../fmt.js";
import { t, tv } from "../i18n.js";
import { askText, badge, button, clear, form, h, idLink, org, section, signAndSubmit, slot, table } from "../ui.js";
import { day, fen, inDays, int, nowSeconds, settlementBanks, today } from "./common.js";

export async function render(el, ctx) {
  const refresh = () => ctx.rerender();
  const sign = async (contract, method, args, title) => {
    const r = await signAndSubmit(contract, method, args, title);
    if (r && r.code === "ok") refresh();
  };
  const subscriptionWindow = async () => {
    const opens = day(await askText(t("opens") + " (YYYY-MM-DD)", today()));
    const closes = day(await askText(t("closes") + " (YYYY-MM-DD)", inDays(7))) + 86399;
    return { opens: Math.max(opens, nowSeconds()), closes };
  };

  const [plans, products, dd, approved] = await Promise.all([
    api.query("plans", "plans", { status: "FILED" }).catch(() => []),
    api.query("products", "products", { status: "FILED" }).catch(() => []),
    api.query("npa", "packages", { status: "DUE_DILIGENCE" }).catch(() => []),
    api.query("npa", "packages", { status: "APPROVED" }).catch(() => []),
  ]);

  const planBox = table([
    [t("plan"), (p) => idLink(p.id, "plan")], [t("name"), (p) => p.name], [t("sponsor"), (p) => org(p.sponsor)],
    [t("size"), (p) => yuan(p.size)], [t("pooled"), (p) => yuan(p.pooled)], [t("coupon"), (p) => bps(p.coupon_bps)],
    [t("actions"), (p) => [
      button(t("approve"), async () => sign("plans", "approve", { plan: p.id, approval_no: await askText(t("approval_no")), ...(await subscriptionWindow()) }, t("approve_plan")), "small primary", { id: `approve-plan-${p.id}` }),
      button(t("return_filing"), async () => sign("plans", "return_filing", { plan: p.id, reason: await askText(t("reason")) }), "small"),
    ]],
  ], plans, { empty: t("nothing_to_approve") });

  const productBox = table([
    [t("product"), (p) => idLink(p.id, "product")], [t("name"), (p) => p.name], [t("originator"), (p) => org(p.originator)],
    [t("rating"), (p) => (p.rating ? p.rating.grade : "—")],
    [t("actions"), (p) => button(t("approve"), async () => sign("products", "approve", { product: p.id, approval_no: await askText(t("approval_no")), ...(await subscriptionWindow()) }, t("approve_product")), "small primary", { id: `approve-product-${p.id}` })],
  ], products, { empty: t("nothing_to_approve") });

  const pkgCols = (actions) => [
    [t("package"), (p) => idLink(p.id, "package")], [t("name"), (p) => p.name], [t("seller"), (p) => org(p.seller)],
    [t("principal"), (p) => yuan(p.principal)], [t("reserve"), (p) => yuan(p.reserve_price)], [t("list_price"), (p) => yuan(p.list_price)],
    [t("status"), (p) => badge(p.status)], [t("actions"), actions],
  ];
  const ddBox = table(pkgCols((p) => button(t("approve"), () => sign("npa", "approve", { package: p.id }, t("approve_package")), "small primary", { id: `approve-package-${p.id}` })), dd, { empty: t("nothing_to_approve") });
  const listBox = h("div",
    table(pkgCols(() => null), approved, { empty: t("nothing_to_list") }),
    approved.length ? form([
      { name: "package", label: t("package"), type: "select", options: approved.map((p) => [p.id, `${p.id} · ${p.name}`]) },
      { name: "mode", label: t("mode"), type: "select", options: [["english", tv("mode", "english")], ["dutch", tv("mode", "dutch")], ["sealed", tv("mode", "sealed")]] },
      { name: "minutes", label: t("duration_minutes"), value: "60" },
      { name: "increment", label: t("increment_yuan"), value: "100000" },
      { name: "bank", label: t("settlement_bank"), type: "select", options: settlementBanks() },
    ], t("list_for_auction"), async (v) => {
      const start = nowSeconds() + 5, end = start + int(v.minutes, t("duration_minutes")) * 60;
      const args = { package: v.package, mode: v.mode, start, end, settlement_bank: v.bank, pay_days: 10 };
      if (v.mode === "english") Object.assign(args, { increment: fen(v.increment), extend_window: 120, extend_by: 120 });
      if (v.mode === "dutch") Object.assign(args, { step: fen(v.increment), interval: 60 });
      if (v.mode === "sealed") Object.assign(args, { reveal_end: end + 3600 });
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

export { date };
