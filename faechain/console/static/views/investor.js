// Investor: plans and products on offer, subscriptions, holdings, distributions, and the
// penetration view of a plan whose proofs are checked here, in the browser, against the app
// hash of a header trusted by signatures (trust.js), not the node's word — and fresh (at most
// MAX_LAG_BLOCKS behind the newest signed header known), with its evidence offered as a file.
import * as api from "../api.js";
import { watchAmount } from "../amount.js";
import { bars } from "../charts.js";
import { bps, date, datetime, orgName, short, yuan } from "../fmt.js";
import { t, tv } from "../i18n.js";
import { hasherFor } from "../smt.js";
import { evidenceButton, recordOf } from "../evidence.js";
import { basisLine, freshHeader, noBrowserCheck, trustAnchor, trustFailure } from "../trust.js";
import { verifyPenetration } from "../verify.js";
import { badge, button, clear, h, idLink, kv, org, section, signAndSubmit, slot, table } from "../ui.js";
import { disclosureTitle, fen, nowSeconds, stateNote } from "./common.js";

// what an investor may do with an offer now: subscribe inside the window if qualified, else why not
function offerState(p, qualified) {
  const now = nowSeconds();
  if (!qualified) return stateNote("not_qualified", {}, "s-cancelled");
  if (p.opens && now < p.opens) return stateNote("window_not_open", { at: date(p.opens) }, "s-issued");
  if (p.closes && now >= p.closes) return stateNote("window_closed", { at: date(p.closes) }, "s-closed");
  return null;
}

// an amount (and, for a product, a tranche) typed beside the offer, checked as it is typed (amount.js:
// at least the minimum ticket, at most what remains of the plan or of the tranche picked), then signed.
// `maxOf(tranche)`: what remains to subscribe (null: not known to this investor).
function subscribeForm(id, tranches, minTicket, maxOf, onSubmit) {
  const amount = h("input", { type: "text", id: `subscribe-${id}-amount`, placeholder: minTicket ? "≥ " + (minTicket / 100).toFixed(2) : t("amount_yuan"), "aria-label": t("amount_yuan"), size: 12 });
  const pick = tranches ? h("select", { id: `subscribe-${id}-tranche`, "aria-label": t("tranche") }, tranches.map((x) => h("option", { value: x.name }, `${x.name} · ${bps(x.coupon_bps)}`))) : null;
  const line = watchAmount(amount, { min: () => minTicket || null, max: () => maxOf(pick && pick.value) }, () => ({}),
    () => h("small.live", { id: `subscribe-${id}-live`, "aria-live": "polite" }));
  if (pick) pick.addEventListener("change", line.update);
  line.update();
  const go = () => {
    line.update();
    if (!amount.checkValidity()) throw new Error(amount.validationMessage); // refused here, before anything is signed
    return onSubmit(fen(amount.value, t("amount_yuan")), pick && pick.value);
  };
  return h("span.inline-form", pick, " ", amount, " ", button(t("subscribe"), go, "small primary", { id: `subscribe-${id}` }), line.live);
}

export async function render(el, ctx) {
  if (ctx.params[0] === "plan" && ctx.params[1]) return penetration(el, ctx, ctx.params[1]);
  const me = ctx.me;
  const qualified = !!(ctx.member.attributes && ctx.member.attributes.qualified);
  const refresh = () => ctx.rerender();
  const sign = async (contract, method, args, title) => {
    const r = await signAndSubmit(contract, method, args, title);
    if (r && r.code === "ok") refresh();
  };

  const [listedPlans, myPlans, openProducts, myProducts] = await Promise.all([
    api.query("plans", "plans", { status: "LISTED" }).catch(() => []),
    api.query("plans", "plans", { investor: me }).catch(() => []),
    api.query("products", "products", { status: "OPEN" }).catch(() => []),
    api.query("products", "products", { holder: me }).catch(() => []),
  ]);

  const offers = h("div",
    h("h3", t("plans")),
    table([
      [t("plan"), (p) => idLink(p.id, "plan")],
      [t("name"), (p) => p.name],
      [t("size"), (p) => yuan(p.size)],
      [t("subscribed"), (p) => yuan(p.subscribed)],
      [t("coupon"), (p) => bps(p.coupon_bps)],
      [t("window"), (p) => `${date(p.opens)} – ${date(p.closes)}`],
      [t("actions"), (p) => offerState(p, qualified) || slot(async () => {
        // the minimum ticket counts what this investor already subscribed; what remains is known to it
        // only once it holds the plan (an outsider is not told the subscribed total): else the size
        const [view, mine] = await Promise.all([api.query("plans", "plan", { id: p.id }).catch(() => null),
          myPlans.some((x) => x.id === p.id) ? api.query("plans", "holding", { plan: p.id, investor: me }).catch(() => null) : null]);
        const plan = (view && view.plan) || p;
        const min = Math.max(0, (plan.min_ticket || 0) - ((mine && mine.subscribed) || 0));
        const left = plan.size - (plan.subscribed || 0);
        return subscribeForm(p.id, null, min, () => left, (amount) => sign("plans", "subscribe", { plan: p.id, amount }, t("subscribe")));
      })],
    ], listedPlans, { empty: t("no_offers") }),
    h("h3", t("products")),
    table([
      [t("product"), (p) => idLink(p.id, "product")],
      [t("name"), (p) => p.name],
      [t("rating"), (p) => (p.rating ? `${p.rating.grade} (${p.rating.outlook})` : "—")],
      [t("window"), (p) => `${date(p.opens)} – ${date(p.closes)}`],
      [t("actions"), (p) => offerState(p, qualified) || slot(async () => {
        const view = await api.query("products", "product", { id: p.id });
        const left = (name) => { const x = view.product.tranches.find((tr) => tr.name === name); return x ? x.size - (x.subscribed || 0) : null; };
        return subscribeForm(p.id, view.product.tranches, view.product.min_ticket, left,
          (amount, tranche) => sign("products", "subscribe", { product: p.id, tranche, amount }, t("subscribe")));
      })],
    ], openProducts, { empty: t("no_offers") }));

  const holdings = slot(async () => {
    const rows = [];
    for (const p of myPlans) {
      const hd = await api.query("plans", "holding", { plan: p.id, investor: me }).catch(() => null);
      if (hd) rows.push({ kind: "plan", id: p.id, name: p.name, status: p.status, principal: hd.principal, received: (hd.coupon_received || 0) + (hd.principal_received || 0), since: hd.since });
    }
    for (const p of myProducts) {
      const view = await api.query("products", "product", { id: p.id }).catch(() => null);
      for (const hd of (view && view.holdings) || []) {
        if (hd.holder !== me) continue;
        rows.push({ kind: "product", id: p.id, name: `${p.name} · ${hd.tranche}`, status: p.status, principal: hd.units, received: hd.received, since: hd.acquired_at });
      }
    }
    return table([
      [t("kind"), (r) => t(r.kind)],
      [t("id"), (r) => idLink(r.id, r.kind)],
      [t("name"), (r) => r.name],
      [t("status"), (r) => badge(r.status)],
      [t("holding"), (r) => yuan(r.principal)],
      [t("received"), (r) => yuan(r.received)],
      [t("since"), (r) => date(r.since)],
      [t("actions"), (r) => r.kind === "plan" ? h("a.button.small#penetrate-" + r.id, { href: `#/v/investor/plan/${r.id}` }, t("penetration")) : null],
    ], rows, { empty: t("no_holdings"), rowAttrs: (r) => ({ "data-holding": r.id }) });
  });

  const distributions = slot(async () => {
    const out = [];
    for (const p of myProducts) {
      const view = await api.query("products", "product", { id: p.id }).catch(() => null);
      let periods = view && view.distributions ? view.distributions.map((d) => ({ n: d.n, at: d.record_date, amount: d.amount })) : null;
      if (!periods) {
        const evs = await api.recentEvents({ contract: "products", type: "DistributionMade", limit: 500 });
        periods = evs.filter((e) => e.attrs.product === p.id).reverse().map((e) => ({ n: e.attrs.n, at: e.time, amount: e.attrs.amount }));
      }
      out.push(h("div.dist", h("h3", p.name),
        periods.length ? bars(periods.map((d) => ({ label: `#${d.n} ${date(d.at)}`, value: d.amount, colour: "#6b5bb5" })), { title: t("distributions") }) : h("p.empty", t("no_distributions")),
        table([[t("period"), (d) => "#" + d.n], [t("record_date"), (d) => date(d.at)], [t("amount"), (d) => yuan(d.amount)]], periods)));
    }
    return out.length ? h("div", out) : h("p.empty", t("no_distributions"));
  });

  clear(el,
    h("h1", t("view.investor"), " · ", orgName(me), " ", qualified ? h("span.badge.s-active", t("qualified")) : h("span.badge.s-cancelled", t("not_qualified"))),
    qualified ? null : h("p.note", t("not_qualified_note")),
    section(t("offers"), offers),
    section(t("my_holdings"), holdings),
    section(t("distributions"), distributions));
}

function assetCard(a) {
  const v = a.voucher;
  const inv = a.invoices || (a.invoice ? [a.invoice] : []);
  return h("div.asset",
    h("h4", a.asset),
    v ? kv([[t("voucher"), idLink(v.value.id, "voucher")], [t("holder"), org(v.value.holder)], [t("payer"), org(v.value.payer)], [t("amount"), yuan(v.value.amount)], [t("maturity"), date(v.value.maturity)], [t("status"), badge(v.value.status)]]) : null,
    inv.length ? table([[t("invoice"), (i) => h("code", i.value.id)], [t("seller"), (i) => org(i.value.seller)], [t("buyer"), (i) => org(i.value.buyer)], [t("amount"), (i) => yuan(i.value.amount)], [t("date"), (i) => date(i.value.date)]], inv) : null);
}

async function penetration(el, ctx, planId) {
  const ask = () => api.query("plans", "penetrate", { plan: planId, prove: true });
  const first = await ask();
  let current = first;
  const result = h("div#verify-result.verify-result", t("not_verified_yet"));
  const shown = h("div");
  // an answer that has gone stale while the page was open is asked again, once: what is then shown
  // is exactly the answer verified
  const run = async () => {
    clear(result, t("verifying"));
    const { chain } = ctx.session;
    const hash = hasherFor(chain.suite);
    if (!hash) {
      clear(result, noBrowserCheck());
      return;
    }
    // the app hash comes from the header the light client trusts by its signatures
    let answer, header, genesis;
    const waiting = () => clear(result, t("waiting_header", { h: answer.height }));
    try {
      answer = current;
      genesis = (await trustAnchor()).genesis;
      try {
        header = await freshHeader(answer.height, waiting);
      } catch (e) {
        if (!(e && e.code === "stale")) throw e;
        answer = await ask();
        header = await freshHeader(answer.height, waiting);
      }
    } catch (e) {
      clear(result, trustFailure(e, "verify-bad"));
      return;
    }
    const res = await verifyPenetration(answer, header, hash);
    if (answer !== current) draw((current = answer));
    clear(result, res.ok
      ? h("div.ok#verify-ok", "✓ " + t("verified_n", { n: res.checked, h: answer.height }), " ", h("code", short(res.appHashHex, 16)), basisLine(header, genesis),
        evidenceButton(async () => ({ subject: { kind: "plan", id: planId }, height: answer.height, records: res.proofs.map(recordOf) })))
      : h("div.bad#verify-bad", "✗ " + t("verify_failed", { n: res.problems.length }), h("ul", res.problems.map((p) => h("li", p)))));
  };
  const draw = (answer) => {
    const plan = answer.plan.value;
    clear(shown,
      section(t("plan"), kv([
        [t("plan"), h("code", plan.id)], [t("status"), badge(plan.status)], [t("sponsor"), org(plan.sponsor)], [t("underwriter"), org(plan.underwriter)],
        [t("size"), yuan(plan.size)], [t("issued"), yuan(plan.issued)], [t("pooled"), yuan(plan.pooled)], [t("coupon"), bps(plan.coupon_bps)],
        [t("maturity"), date(plan.maturity)], [t("read_at"), `${t("height")} ${answer.height}`],
      ])),
      section(t("pool"), h("div.assets", answer.assets.map(assetCard))),
      section(t("documents"), table([[t("name"), (d) => d.value.name], [t("kind"), (d) => d.value.kind], [t("hash"), (d) => h("a", { href: `/console/api/read/vault/${d.value.hash}?scope=plans`, title: d.value.hash }, short(d.value.hash, 16))], [t("size"), (d) => d.value.size]], answer.documents)),
      section(t("cash_flows"), table([[t("date"), (c) => date(c.value.value_date)], [t("payer"), (c) => org(c.value.payer)], [t("payee"), (c) => org(c.value.payee)], [t("amount"), (c) => yuan(c.value.amount)], [t("bank_ref"), (c) => c.value.bank_ref]], answer.cash_flows)),
      section(t("disclosures"), table([[t("kind"), (d) => tv("dkind", d.value.kind)], [t("title"), (d) => disclosureTitle(d.value.title)], [t("due"), (d) => date(d.value.due)], [t("status"), (d) => badge(d.value.status)], [t("published"), (d) => (d.value.published_at ? datetime(d.value.published_at) : "—")]], answer.disclosures)));
  };
  draw(first);
  clear(el,
    h("p", h("a", { href: "#/v/investor" }, "← " + t("view.investor"))),
    h("h1", t("penetration"), " · ", first.plan.value.name),
    section(t("verify_in_browser"), h("p.note", t("verify_note")), h("div.actions", button(t("verify"), run, "primary", { id: "penetration-verify" })), result),
    shown);
}
