// Rating agency (评级机构): rates revenue-sharing products (products.rate). A factor's draft with
// its underlying vouchers locked to it waits for a rating before it can be filed; a rating is
// appended, never replaced, so the agency re-rates (跟踪评级) a product it rated while it lives.
// The report itself stays with the agency: the chain keeps its SHA-256, hashed here from the
// report's text (or typed as a hash).
import { bars } from "../charts.js";
import { date, orgName, short, yuan } from "../fmt.js";
import { t, tv } from "../i18n.js";
import { badge, button, clear, form, h, org, section, signAndSubmit, table } from "../ui.js";
import { hashOf, nowSeconds } from "./common.js";
import { SURVEILLANCE, ratingDesk } from "./todos.js";

// the contract's words (products/records.py GRADES, OUTLOOKS)
const GRADES = ["AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B", "CCC", "CC", "C", "D"];
const OUTLOOKS = ["stable", "positive", "negative", "developing"];
const size = (p) => (p.tranches || []).reduce((s, tr) => s + tr.size, 0);
const productLink = (p) => h("a", { href: `#/explorer/product/${encodeURIComponent(p.id)}`, title: p.id }, p.id);
const tranches = (p) => (p.tranches || []).map((tr) => h("div", `${tr.name}: ${yuan(tr.size)}`, tr.coupon_bps ? ` · ${(tr.coupon_bps / 100).toFixed(2)}%` : ""));

export async function render(el, ctx) {
  const now = nowSeconds();
  const { requested, unpooled, rated } = await ratingDesk(ctx.me);
  const rateable = [...requested, ...rated.filter((p) => !["FAILED", "CLOSED"].includes(p.status))];

  const rateForm = form([
    { name: "product", label: t("product"), type: "select", options: rateable.map((p) => [p.id, `${p.id} · ${p.name}`]) },
    { name: "grade", label: t("rat.grade"), type: "select", options: GRADES.map((g) => [g, g]), value: "AA" },
    { name: "outlook", label: t("rat.outlook"), type: "select", options: OUTLOOKS.map((o) => [o, tv("outlook", o)]) },
    { name: "report", label: t("rat.report"), type: "textarea", hint: t("rat.report_hint") },
  ], t("rat.rate"), async (v) => {
    if (!v.report) throw new Error(t("rat.report_missing"));
    const r = await signAndSubmit("products", "rate", { product: v.product, grade: v.grade, outlook: v.outlook, report_hash: await hashOf(v.report) }, t("rat.rate"));
    if (r && r.code === "ok") ctx.rerender();
  }, { id: "rate" });
  // the hash that will be signed, shown as the report is typed
  const hashLine = h("small.state-why#rate-hash");
  rateForm.inputs.report.addEventListener("input", async () => {
    hashLine.textContent = rateForm.inputs.report.value.trim() ? "SHA-256 " + await hashOf(rateForm.inputs.report.value) : "";
  });
  rateForm.inputs.report.after(hashLine);
  const pick = (id) => {
    rateForm.inputs.product.value = id;
    rateForm.inputs.report.focus();
    rateForm.scrollIntoView({ block: "center" });
  };

  const requestBox = table([
    [t("product"), productLink], [t("name"), (p) => p.name], [t("originator"), (p) => org(p.originator)],
    [t("tranches"), tranches], [t("underlying"), (p) => [yuan(p.underlying_amount), h("br"), h("small", t("rat.vouchers", { n: p.underlying.length }))]],
    [t("rat.coverage"), (p) => (size(p) ? `${((p.underlying_amount * 100) / size(p)).toFixed(1)}%` : "—")],
    [t("actions"), (p) => button(t("rat.rate"), () => pick(p.id), "small primary", { id: `rate-${p.id}` })],
  ], requested, { empty: t("rat.no_requests"), rowAttrs: (p) => ({ "data-product": p.id }) });

  const ratedBox = table([
    [t("product"), productLink], [t("name"), (p) => p.name], [t("status"), (p) => badge(p.status)],
    [t("rat.my_rating"), (p) => h("strong", `${p.mine.grade} · ${tv("outlook", p.mine.outlook)}`)],
    [t("rat.rated_on"), (p) => date(p.mine.at)], [t("rat.report"), (p) => h("code", { title: p.mine.report_hash }, short(p.mine.report_hash, 12))],
    [t("rat.latest"), (p) => (p.ratings.at(-1).agency === ctx.me ? t("rat.yours") : `${p.ratings.at(-1).grade} · ${orgName(p.ratings.at(-1).agency)}`)],
    [t("actions"), (p) => ["FAILED", "CLOSED"].includes(p.status) ? h("span.state-why", t("rat.why.ended"))
      : [now - p.mine.at >= SURVEILLANCE ? h("span.badge.s-overdue", t("rat.review_due")) : null,
        button(t("rat.rerate"), () => pick(p.id), "small", { id: `rerate-${p.id}` })]],
  ], rated, { empty: t("rat.none_rated"), rowAttrs: (p) => ({ "data-product": p.id }) });

  const grades = new Map();
  for (const p of rated) grades.set(p.mine.grade, (grades.get(p.mine.grade) || 0) + size(p));
  clear(el,
    h("h1", t("view.rating"), " · ", orgName(ctx.me)),
    section(t("rat.requests"), h("p.note", t("rat.requests_note")), requestBox,
      unpooled.length ? h("p.state-why#unpooled", t("rat.unpooled", { ids: unpooled.map((p) => p.id).join(", ") })) : null),
    section(t("rat.rate"), rateable.length ? [h("p.note", t("rat.rate_note")), rateForm] : h("p.empty", t("rat.nothing_to_rate"))),
    section(t("rat.rated"), ratedBox,
      grades.size ? [h("h3", t("chart.size_by_grade")), bars([...grades].map(([label, value]) => ({ label, value })), { title: t("chart.size_by_grade") })] : null));
}
