// Auctions: open and recent auctions; an auction's live page with the current price, a
// countdown to the (possibly extended) end, the price over time, and bidding. Updates come
// from the event stream (contract=auctions), each re-reading the auction from the chain.
//
// Only what the member may do now is offered: the leading bidder is told it leads (no bid
// form: the contract refuses outbidding oneself), the seller and the settlement bank are told
// their part, a bidder whose margin is not in yet is told where to pay it. Sealed bids are made
// here: the salt is drawn in this browser, the commitment computed here exactly as the contract
// checks it (faechain/crypto/sealed_bid.py), and price and salt are kept in this browser (and a
// backup file) until the reveal, which is offered, with a reminder, once the reveal window opens.
import * as api from "../api.js";
import { priceLine } from "../charts.js";
import { bytesToHex, encode, hexToBytes } from "../cbor.js";
import { datetime, duration, nowMs, orgName, yuan } from "../fmt.js";
import { t, tv } from "../i18n.js";
import { hasherFor } from "../smt.js";
import { badge, button, clear, form, h, idLink, kv, org, section, signAndSubmit, table, toast } from "../ui.js";
import { download, fen, packageSection, stateNote } from "./common.js";

// -- sealed bids: the commitment and the salt kept in this browser ------------------------------------------
const SEALED_DOMAIN = "faechain/sealed-bid/1"; // faechain.crypto.sealed_bid.DOMAIN
const SALT_BYTES = 32; // the SDK's new_salt(); the contract wants at least 16

// H(canonical CBOR of [domain, auction, bidder, price, salt]) as hex: what `auctions.commit` records and
// `auctions.reveal` recomputes. `hash` is the chain suite's hash (null: this browser cannot compute it).
export async function sealedDigest(hash, auction, bidder, price, salt) {
  return bytesToHex(await hash(encode([SEALED_DOMAIN, auction, bidder, price, salt])));
}

const keptKey = (auction, bidder) => `fae.sealed.${auction}.${bidder}`;

// {auction, bidder, price, salt (hex), digest, saved} kept for a sealed bid, or null
export function keptBid(auction, bidder) {
  try {
    const doc = JSON.parse(localStorage.getItem(keptKey(auction, bidder)) || "null");
    return doc && doc.auction === auction && doc.bidder === bidder && /^[0-9a-f]{32,}$/.test(doc.salt) ? doc : null;
  } catch {
    return null;
  }
}

function keepBid(doc) {
  localStorage.setItem(keptKey(doc.auction, doc.bidder), JSON.stringify(doc));
}

function backup(doc) {
  download(`sealed-bid-${doc.auction}-${doc.bidder}.json`, JSON.stringify({ ...doc, note: t("sealed_backup_note") }, null, 2));
}

// a backup file chosen by the member, checked against the commitment on chain before it is kept
async function restore(file, auction, bidder, digest, hash) {
  let doc;
  try {
    doc = JSON.parse(await file.text());
  } catch {
    throw new Error(t("sealed_restore_bad"));
  }
  if (!doc || doc.auction !== auction || doc.bidder !== bidder || !Number.isSafeInteger(doc.price) || typeof doc.salt !== "string") {
    throw new Error(t("sealed_restore_bad"));
  }
  if ((await sealedDigest(hash, auction, bidder, doc.price, hexToBytes(doc.salt))) !== digest) throw new Error(t("sealed_restore_mismatch"));
  keepBid({ auction, bidder, price: doc.price, salt: doc.salt, digest, saved: doc.saved || null });
}

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
  // sealed bids kept in this browser whose reveal window is open and that are not revealed yet
  const nowS = Math.floor(nowMs() / 1000);
  const reveal = [];
  for (const a of lists.OPEN.filter((x) => x.mode === "sealed" && x.end <= nowS)) {
    const kept = keptBid(a.id, ctx.me);
    if (!kept) continue;
    const full = await api.query("auctions", "auction", { id: a.id }).catch(() => null);
    const mine = full && (full.bids || []).find((b) => b.bidder === ctx.me && b.digest === kept.digest);
    if (mine && !mine.revealed_at && nowS < full.auction.reveal_end) reveal.push(full.auction);
  }
  clear(el,
    h("h1", t("view.auctions")),
    reveal.length ? h("section.card#reveal-reminder", reveal.map((a) => h("p.state-note", h("span.badge.s-due", t("state.reveal")), " ", t("reveal_now", { auction: a.id, until: datetime(a.reveal_end) }), " ",
      h("a", { href: `#/v/auctions/${a.id}` }, t("go_reveal"))))) : null,
    ctx.member.role === "AMC" ? packageSection(ctx) : null,
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
  const marginsBox = h("div");
  let a = null;
  let view = null;
  let drawnPhase = -1; // the phase (before, bidding, revealing, decided) the choices were drawn for

  const draw = () => {
    const nowS = Math.floor(nowMs() / 1000);
    const price = currentPrice(a, nowS);
    priceEl.textContent = yuan(price);
    const left = a.end - nowS;
    const revealing = a.mode === "sealed" && left <= 0 && nowS < a.reveal_end; // bids are revealed until reveal_end
    countdownEl.textContent = a.status !== "OPEN" ? tv("status", a.status) : nowS < a.start ? t("starts_in") + " " + duration(a.start - nowS)
      : left > 0 ? duration(left) : revealing ? t("reveal_left") + " " + duration(a.reveal_end - nowS) : t("closing");
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
    const nowS = Math.floor(nowMs() / 1000);
    drawnPhase = nowS < a.start ? 0 : nowS < a.end ? 1 : a.mode === "sealed" && nowS < a.reveal_end ? 2 : 3;
    clear(actionsBox, await choices(a, margin));
    clear(marginsBox, marginTable(a));
    draw();
  };

  // what the member may do on this auction now, or why not (a badge and a sentence)
  const choices = async (a, margin) => {
    const nowS = Math.floor(nowMs() / 1000);
    if (me === a.seller) return stateNote("seller", {}, "s-info");
    if (me === a.settlement_bank) {
      return [stateNote("settlement_bank", {}, "s-info"), " ", h("a#to-settlement", { href: "#/v/funder" }, t("go_settlement"))];
    }
    if (!isBidder) return null;
    if (a.status !== "OPEN") {
      if (a.winner === me) return stateNote("you_won", { price: yuan(a.price) }, "s-active");
      return margin ? stateNote("auction_closed", { status: tv("status", a.status) }, "s-closed") : null;
    }
    if (!margin) {
      if (nowS >= a.end) return stateNote("registration_closed", {}, "s-closed");
      return button(t("register_bidder"), async () => {
        const r = await signAndSubmit("auctions", "register", { auction: id }, t("register_bidder"));
        if (r) await load();
      }, "primary", { id: "auction-register" });
    }
    if (margin.status !== "RECEIVED") {
      return h("p.note#margin-status", t("margin_status"), ": ", badge(margin.status), " ", t("margin_pay_to", { bank: orgName(a.settlement_bank), amount: yuan(margin.amount) }));
    }
    if (a.mode === "english") {
      if (nowS < a.start) return stateNote("not_started", { at: datetime(a.start) }, "s-issued");
      if (a.best && a.best.bidder === me) return h("p.state-note#auction-lead", h("span.badge.s-active", t("state.leading")), " ", t("you_lead", { price: yuan(a.best.price) }));
      const next = a.best ? a.best.price + a.increment : a.start_price;
      return form([{ name: "price", label: t("your_bid_yuan"), value: (next / 100).toFixed(2), hint: t("increment_hint", { inc: yuan(a.increment) }) }], t("place_bid"), async (v) => {
        const r = await signAndSubmit("auctions", "bid", { auction: id, price: fen(v.price) }, t("place_bid"));
        if (r) await load();
      }, { id: "bid" });
    }
    if (a.mode === "dutch") {
      if (nowS < a.start) return stateNote("not_started", { at: datetime(a.start) }, "s-issued");
      return button(t("accept_price"), async () => {
        const r = await signAndSubmit("auctions", "accept", { auction: id }, t("accept_price"));
        if (r) await load();
      }, "primary", { id: "auction-accept" });
    }
    return sealedChoices(a, margin, nowS);
  };

  // sealed: commit before the deadline, reveal (with the salt kept here) until the reveal deadline
  const sealedChoices = async (a, margin, nowS) => {
    const hash = hasherFor(ctx.session.chain.suite);
    if (!hash) return h("p.note", t("sealed_no_browser_hash"));
    const mine = margin.commit ? (view.bids || []).find((b) => b.n === margin.commit) : null;
    const kept = keptBid(id, me);
    if (!mine) {
      if (nowS >= a.end) return stateNote("no_commit", {}, "s-closed");
      if (nowS < a.start) return stateNote("not_started", { at: datetime(a.start) }, "s-issued");
      return [h("p.note", t("sealed_commit_note", { end: datetime(a.end), reveal_end: datetime(a.reveal_end) })),
        form([{ name: "price", label: t("your_bid_yuan"), value: (a.reserve / 100).toFixed(2), hint: t("sealed_price_hint") }], t("commit_bid"), async (v) => {
          const price = fen(v.price);
          const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
          const digest = await sealedDigest(hash, id, me, price, salt);
          // kept before signing: a commitment on chain without its salt could never be revealed
          const doc = { auction: id, bidder: me, price, salt: bytesToHex(salt), digest, saved: new Date(nowMs()).toISOString() };
          keepBid(doc);
          const r = await signAndSubmit("auctions", "commit", { auction: id, digest }, t("commit_bid"));
          if (r && r.code === "ok") {
            toast(t("sealed_kept"));
            await load();
          } else if (!r) {
            localStorage.removeItem(keptKey(id, me)); // nothing committed: nothing to keep
          }
        }, { id: "seal" })];
    }
    const out = [];
    if (mine.revealed_at) return stateNote("revealed", { price: yuan(mine.price) }, "s-active");
    const usable = kept && kept.digest === mine.digest;
    if (usable) {
      out.push(h("p.state-note#sealed-kept", h("span.badge.s-received", t("state.committed")), " ", t("sealed_committed", { price: yuan(kept.price) })),
        button(t("download_backup"), async () => backup(kept), "small", { id: "sealed-backup" }));
    } else {
      const input = h("input#sealed-restore", { type: "file", accept: "application/json,.json" });
      input.addEventListener("change", async () => {
        try {
          await restore(input.files[0], id, me, mine.digest, hash);
          toast(t("sealed_restored"));
          await load();
        } catch (e) {
          toast(e.message, "error");
        }
      });
      out.push(stateNote("salt_missing", {}, "s-frozen"), h("label", h("span", t("restore_backup")), input));
    }
    if (nowS < a.end) {
      out.push(h("p.note", t("reveal_opens", { at: datetime(a.end), until: datetime(a.reveal_end) })));
    } else if (usable) {
      out.push(h("p.state-note#reveal-reminder", h("span.badge.s-due", t("state.reveal")), " ", t("reveal_now", { auction: id, until: datetime(a.reveal_end) })),
        button(t("reveal_bid"), async () => {
          const r = await signAndSubmit("auctions", "reveal", { auction: id, price: kept.price, salt: { $bytes: kept.salt } }, t("reveal_bid"));
          if (r) await load();
        }, "primary", { id: "sealed-reveal" }));
    }
    return out;
  };

  // the margins this member may see (the seller and the settlement bank see every bidder's)
  const marginTable = (a) => {
    const others = (view.margins || []).filter((m) => m.bidder !== me);
    if (!others.length) return null;
    return section(t("margins"), table([
      [t("bidder"), (m) => org(m.bidder)], [t("amount"), (m) => yuan(m.amount)], [t("status"), (m) => badge(m.status)],
      [t("bank_ref"), (m) => (m.received ? m.received.bank_ref : "—")],
    ], view.margins, { rowAttrs: (m) => ({ "data-margin": m.bidder }) }));
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
    marginsBox,
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
  // the chain decides at the deadline (a sealed auction's reveal window opens at `end`): read it again
  // once a block passes a deadline the page was drawn before
  ctx.onBlock(() => {
    if (!a || a.status !== "OPEN") return;
    const nowS = Math.floor(nowMs() / 1000);
    const phase = nowS < a.start ? 0 : nowS < a.end ? 1 : a.mode === "sealed" && nowS < a.reveal_end ? 2 : 3;
    if (phase !== drawnPhase || phase === 3) load();
  });
}
