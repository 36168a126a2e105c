// Auctions: open and recent auctions; an auction's live page with the current price, a
// countdown to the (possibly extended) end, the price over time, and bidding. Updates come
// from the event stream (contract=auctions), each re-reading the auction from the chain.
import * as api from "../api.js";
import { priceLine } from "../charts.js";
import { datetime, duration, nowMs, orgName, yuan } from "../fmt.js";
import { t, tv } from "../i18n.js";
import { badge, button, clear, form, h, idLink, kv, org, section, signAndSubmit, table } from "../ui.js";
import { fen } from "./common.js";

const BIDDERS = ["AMC", "INVESTOR", "FACTOR", "BANK", "INTERMEDIARY", "CORE_ENTERPRISE"];

export async function render(el, ctx) {
  if (ctx.params[0]) return auctionPage(el, ctx, ctx.params[0]);
  const lists = {};
  for (const s of ["OPEN", "AWARDED", "SETTLED", "FAILED"]) lists[s] = await api.query("auctions", "auctions", { status: s }).catch(() => []);
  const cols = [
    [t("auction"), (a) => h("a", { href: `#/v/auctions/${a.id}`, id: `auction-${a.id}` }, a.id)],
    [t("asset"), (a) => a.asset],
    [t("seller"), (a) => org(a.seller)],
    [t("mode"), (a) => tv("mode", a.mode)],
    [t("price"), (a) => yuan(a.price ?? (a.best ? a.best.price : a.start_price))],
    [t("end"), (a) => datetime(a.end)],
    [t("status"), (a) => badge(a.status)],
  ];
  clear(el,
    h("h1", t("view.auctions")),
    section(t("open_auctions"), table(cols, lists.OPEN, { empty: t("no_open_auctions") })),
    section(t("recent_auctions"), table(cols, [...lists.AWARDED, ...lists.SETTLED, ...lists.FAILED], { empty: t("none") })));
  ctx.listen({ contract: "auctions", blocks: "false" }, (kind, ev) => {
    if (["AuctionOpened", "AuctionAwarded", "AuctionFailed"].includes(ev.type)) ctx.rerender();
  });
}

// the price a bidder faces now
function currentPrice(a, nowS) {
  if (a.mode === "dutch") {
    if (nowS < a.start) return a.start_price;
    const steps = Math.floor((nowS - a.start) / a.interval);
    return Math.max(a.reserve, a.start_price - steps * a.step);
  }
  if (a.best) return a.best.price;
  return a.start_price;
}

async function auctionPage(el, ctx, id) {
  const me = ctx.me;
  const isBidder = BIDDERS.includes(ctx.member.role);
  const priceEl = h("strong#auction-price.big");
  const countdownEl = h("strong#auction-countdown.big");
  const statusEl = h("span#auction-status");
  const bestEl = h("span#auction-best");
  const chartBox = h("div.chart-box");
  const bidsBox = h("div");
  const actionsBox = h("div.actions");
  const liveEl = h("span.live", "● " + t("live"));
  let a = null;
  let view = null;

  const draw = () => {
    const nowS = Math.floor(nowMs() / 1000);
    const price = currentPrice(a, nowS);
    priceEl.textContent = yuan(price);
    const left = a.end - nowS;
    countdownEl.textContent = a.status !== "OPEN" ? tv("status", a.status) : nowS < a.start ? t("starts_in") + " " + duration(a.start - nowS) : left > 0 ? duration(left) : t("closing");
  };

  const load = async () => {
    view = await api.query("auctions", "auction", { id });
    a = view.auction;
    clear(statusEl, badge(a.status));
    clear(bestEl, a.best ? [yuan(a.best.price), " · ", org(a.best.bidder), a.best.bidder === me ? " (" + t("you") + ")" : ""] : t("no_bids_yet"));
    const points = (view.bids || []).filter((b) => b.price !== null && b.price !== undefined).map((b) => ({ t: b.time, price: b.price }));
    clear(chartBox, priceLine(points, { reserve: a.reserve, end: Math.min(a.end, Math.floor(nowMs() / 1000)), empty: t("no_bids_yet") }));
    clear(bidsBox, table([
      ["#", (b) => b.n], [t("time"), (b) => datetime(b.time)], [t("bidder"), (b) => org(b.bidder)],
      [t("price"), (b) => (b.price !== null && b.price !== undefined ? yuan(b.price) : t("sealed"))],
      [t("height"), (b) => h("a", { href: `#/explorer/block/${b.height}` }, b.height)],
    ], [...(view.bids || [])].reverse(), { empty: t("no_bids_yet"), cls: "bids" }));
    const margin = (view.margins || []).find((m) => m.bidder === me);
    const parts = [];
    if (isBidder && a.status === "OPEN" && me !== a.seller) {
      if (!margin) {
        parts.push(button(t("register_bidder"), async () => {
          const r = await signAndSubmit("auctions", "register", { auction: id }, t("register_bidder"));
          if (r) await load();
        }, "primary", { id: "auction-register" }));
      } else if (margin.status !== "RECEIVED") {
        parts.push(h("p.note#margin-status", t("margin_status"), ": ", badge(margin.status), " ", t("margin_pay_to", { bank: orgName(a.settlement_bank), amount: yuan(margin.amount) })));
      } else if (a.mode === "english") {
        const next = a.best ? a.best.price + a.increment : a.start_price;
        parts.push(form([{ name: "price", label: t("your_bid_yuan"), value: (next / 100).toFixed(2), hint: t("increment_hint", { inc: yuan(a.increment) }) }], t("place_bid"), async (v) => {
          const r = await signAndSubmit("auctions", "bid", { auction: id, price: fen(v.price) }, t("place_bid"));
          if (r) await load();
        }, { id: "bid" }));
      } else if (a.mode === "dutch") {
        parts.push(button(t("accept_price"), async () => {
          const r = await signAndSubmit("auctions", "accept", { auction: id }, t("accept_price"));
          if (r) await load();
        }, "primary", { id: "auction-accept" }));
      } else {
        parts.push(h("p.note", t("sealed_note")));
      }
    }
    clear(actionsBox, parts);
    draw();
  };

  await load();
  clear(el,
    h("p", h("a", { href: "#/v/auctions" }, "← " + t("view.auctions"))),
    h("h1", t("auction"), " ", id, " ", liveEl),
    h("div.cols",
      section(t("current_price"), h("p", priceEl), h("p", t("best_bid"), ": ", bestEl), h("p", t("time_left"), ": ", countdownEl), h("p", t("status"), ": ", statusEl)),
      section(t("terms"), kv([
        [t("asset"), a.asset.startsWith("package:") ? idLink(a.asset.slice(8), "package") : a.asset],
        [t("seller"), org(a.seller)], [t("mode"), tv("mode", a.mode)], [t("start_price"), yuan(a.start_price)],
        [t("reserve"), yuan(a.reserve)], [t("increment"), a.increment ? yuan(a.increment) : "—"], [t("margin"), yuan(a.margin)],
        [t("start"), datetime(a.start)], [t("end"), h("span#auction-end", datetime(a.end))],
        [t("extension"), a.extend_window ? t("extension_rule", { w: a.extend_window, by: a.extend_by }) : "—"],
      ]))),
    section(t("bid"), actionsBox),
    section(t("price_over_time"), chartBox),
    section(t("bids"), bidsBox));
  const timer = setInterval(draw, 1000);
  ctx.onLeave(() => clearInterval(timer));
  ctx.listen({ contract: "auctions", blocks: "false" }, async (kind, ev) => {
    if (ev.attrs && ev.attrs.auction === id) {
      await load();
      document.getElementById("auction-end").textContent = datetime(a.end);
    }
  });
  ctx.onBlock(() => {
    if (a && a.status === "OPEN" && Math.floor(nowMs() / 1000) >= a.end) load();
  });
}
