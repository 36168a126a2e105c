// The block explorer: latest blocks and transactions (live), search, and pages for a block,
// a transaction (signer, certificate chain, events, the state it changed with proofs checked
// here against a header trusted by signatures), a voucher, plan, package, product, auction,
// invoice, financing and organisation. A block page checks its own header the same way, and a
// voucher page its lineage. Where a view is verified, its evidence can be downloaded (evidence.js).
import * as api from "../api.js";
import { bytesToHex } from "../cbor.js";
import { voucherTree } from "../charts.js";
import { bps, date, datetime, orgName, short, yuan } from "../fmt.js";
import { t, tv } from "../i18n.js";
import { hasherFor } from "../smt.js";
import { evidenceButton, recordOf } from "../evidence.js";
import { basisLine, freshHeader, noBrowserCheck, trustAnchor, trustedHeader, trustFailure } from "../trust.js";
import { verifyLineage, verifyWrite } from "../verify.js";
import { badge, button, clear, h, idLink, kv, org, section, slot, table, txLink } from "../ui.js";
import { personCell } from "../personal.js";
import { lineage } from "./common.js";
import { verificationCell } from "./outside.js";

// what the search box refuses before asking the node: the rules of search.py's Query, said in the
// reader's language (the node refuses the same texts with the same reasons)
export function searchProblem(text) {
  const q = text.normalize("NFKC").trim();
  if (!q) return "empty";
  if (q.length > 128) return "too_long";
  if (/^0x/i.test(q)) {
    const rest = q.slice(2);
    if (!/^[0-9a-f]+$/i.test(rest)) return "not_hex";
    if (rest.length < 6) return "too_short";
  } else if (q.length >= 32 && /^[0-9a-z]+$/i.test(q) && !/^[0-9a-f]+$/i.test(q)) {
    return "not_hex";
  }
  if (q.length < 2 && !/^[0-9]$/.test(q)) return "too_short";
  return null;
}

// at the top of every explorer page: one box for names, ids, heights and hash prefixes
function searchBox(initial = "") {
  const input = h("input#search-input", { type: "search", placeholder: t("explorer.search_placeholder"), title: t("explorer.search_title"), value: initial,
    "aria-label": t("search"), autocomplete: "off", enterkeyhint: "search" });
  const msg = h("p.bad#search-problem", { role: "alert", hidden: true });
  const f = h("form.search#search", { role: "search" }, input, h("button.primary#search-go", { type: "submit" }, t("search")));
  f.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const problem = searchProblem(input.value);
    msg.hidden = !problem;
    msg.textContent = problem ? t("search_bad." + problem) : "";
    if (!problem) location.hash = `#/explorer/search/${encodeURIComponent(input.value.normalize("NFKC").trim())}`;
  });
  return [f, msg];
}

export async function render(el, ctx) {
  const [kind, id] = ctx.params;
  const pages = { search: searchPage, block: blockPage, tx: txPage, voucher: voucherPage, plan: planPage, package: packagePage, product: productPage, auction: auctionPage, invoice: invoicePage, financing: financingPage, org: orgPage };
  const body = h("div");
  clear(el, h("h1", h("a", { href: "#/explorer" }, t("view.explorer"))), searchBox(kind && id ? id : ""), body);
  if (kind && pages[kind]) return pages[kind](body, id, ctx);
  return home(body, ctx);
}

// -- search results (GET /console/api/search: search.py) ------------------------------------------
// where a result leads: the page of its kind
function resultHref(kind, item) {
  if (kind === "block") return `#/explorer/block/${item.height}`;
  if (kind === "tx") return `#/explorer/tx/${item.hash}`;
  return `#/explorer/${kind}/${encodeURIComponent(item.id)}`;
}

function resultLink(kind, item, text) {
  return h("a.result", { href: resultHref(kind, item), "data-kind": kind, title: item.id || item.hash || null }, text);
}

const RESULT_COLUMNS = {
  org: (k) => [[t("name"), (o) => resultLink(k, o, o.name || o.id)], [t("org_code"), (o) => h("code", o.id)],
    [t("type"), (o) => tv("role", o.type)], [t("status"), (o) => badge(o.status)]],
  block: (k) => [[t("height"), (b) => resultLink(k, b, b.height)], [t("time_cst"), (b) => datetime(b.time)],
    [t("hash"), (b) => h("code", { title: b.hash }, short(b.hash, 16))], [t("txs"), (b) => b.txs]],
  tx: (k) => txListColumns((x) => resultLink(k, x, short(x.hash, 12))),
};

function recordColumns(k) {
  return [[t("id"), (r) => resultLink(k, r, r.id)], [t("name"), (r) => r.name || "—"],
    [t("status"), (r) => (r.status ? badge(r.status) : "—")], [t("amount"), (r) => (r.amount !== undefined ? yuan(r.amount) : "—")]];
}

function resultGroup(group, perGroup) {
  const cols = (RESULT_COLUMNS[group.kind] || recordColumns)(group.kind);
  return h("section.card.results", { "data-kind": group.kind },
    h("h2", t("search_group." + group.kind), " ", h("span.note", `(${group.items.length}${group.more ? "+" : ""})`)),
    table(cols, group.items, { rowAttrs: () => ({ class: "result-row" }) }),
    group.more ? h("p.note.more", t("search_more", { n: perGroup })) : null);
}

async function searchPage(el, q) {
  clear(el, h("p.loading", t("searching")));
  let doc;
  try {
    doc = await api.search(q);
  } catch (e) {
    return clear(el, h("p.bad#search-problem", { role: "alert" }, e.msg || String(e)));
  }
  const all = doc.groups.flatMap((g) => g.items.map((item) => [g.kind, item]));
  // one exact match (a whole hash, id, code or height): its page, as if its link were followed
  if (all.length === 1 && all[0][1].exact) return location.replace(resultHref(...all[0]));
  clear(el, h("div#search-results", { "data-query": q },
    h("p.note", t("search_results", { q })),
    all.length ? doc.groups.map((g) => resultGroup(g, doc.per_group)) : h("p.empty#search-none", t("search_none", { q })),
    doc.notes.includes("short_hex") ? h("p.note#search-short-hex", t("search_short_hex")) : null));
}

// a run of empty blocks, folded into one row (heartbeat blocks would otherwise fill the list)
function emptyRun(from, to) {
  return h("tr.empty-run", { "data-from": from, "data-to": to },
    h("td", { colspan: 5 }, h("span.note", t("empty_blocks", { from, to, n: to - from + 1 }))));
}

// newest first: each run of two or more empty blocks as one row
function foldedRows(blocks) {
  const rows = [];
  for (let i = 0; i < blocks.length;) {
    let j = i;
    while (j < blocks.length && (blocks[j].txs.length ?? blocks[j].txs) === 0) j++;
    if (j - i >= 2) {
      rows.push(emptyRun(blocks[j - 1].height, blocks[i].height));
      i = j;
    } else {
      rows.push(blockRow(blocks[i]));
      i++;
    }
  }
  return rows;
}

// a new block on top of the list: an empty one extends the empty run (or empty block) just below
function addBlock(body, b) {
  const top = body.firstElementChild;
  const empty = (b.txs.length ?? b.txs) === 0;
  if (empty && top && top.classList.contains("empty-run") && Number(top.dataset.to) === b.height - 1) {
    top.replaceWith(emptyRun(Number(top.dataset.from), b.height));
  } else if (empty && top && top.dataset.empty === "1" && Number(top.dataset.height) === b.height - 1) {
    top.replaceWith(emptyRun(b.height - 1, b.height));
  } else {
    body.prepend(blockRow(b));
  }
}

function blockRow(b) {
  const n = b.txs.length ?? b.txs;
  return h("tr", { "data-height": b.height, "data-empty": n === 0 ? "1" : null },
    h("td", h("a", { href: `#/explorer/block/${b.height}` }, b.height)),
    h("td", datetime(b.time ?? (b.header && b.header.time))),
    h("td", h("code", short(b.hash, 16))),
    h("td", n),
    h("td", h("code", short(b.app_hash ?? b.header.app_hash, 16))));
}

// a transaction the reader may not see (docs/confidentiality.md): its hash and position only
function callCell(tx) {
  return tx.withheld ? h("em.withheld", t("withheld")) : h("code", `${tx.contract || "?"}.`, h("wbr"), tx.method || "?");
}

function codeCell(tx) {
  if (tx.withheld) return h("em.withheld", "—");
  return tx.code === "ok" ? h("span.ok", "ok") : h("span.bad", tx.code);
}

// who signed, in words: the organisation's name (its page), then its code and the identity's name
// (signers.py names those the reader sees in full; a withheld transaction shows none)
function signerCell(tx) {
  if (tx.withheld) return h("em.withheld", "—");
  if (!tx.signer_org) return tx.signer ? h("code", { title: tx.signer }, short(tx.signer, 12)) : "—";
  return h("span.signer", h("a", { href: `#/explorer/org/${tx.signer_org}` }, tx.signer_org_name || tx.signer_org), " ",
    h("small", h("span", { style: "white-space: nowrap" }, `(${tx.signer_org})`), " · ", h("span.identity", tx.signer_name || "—")));
}

// the block (height, position) and its time, China time
function whenLine(x) {
  return [h("a", { href: `#/explorer/block/${x.height}`, style: "white-space: nowrap" }, `${x.height} #${x.index}`), " · ",
    h("span.time", { style: "white-space: nowrap" }, datetime(x.time))];
}

// every list of transactions (latest, a block's, search results) in two columns, so that a phone
// shows all of it without scrolling sideways: the transaction (hash; call and outcome) and its
// place (block and time; signer). A function: labels in the language chosen when the list is drawn.
function txListColumns(hashCell = (x) => txLink(x.hash)) {
  return [
    [t("tx_and_call"), (x) => [hashCell(x), h("br"), callCell(x), " ", x.withheld ? null : codeCell(x)]],
    [t("when_and_signer"), (x) => [whenLine(x), h("br"), signerCell(x)]],
  ];
}

function txRow(b, tx) {
  const x = { ...tx, height: b.height, time: b.header.time };
  return h("tr", { "data-tx": tx.hash }, txListColumns().map(([, cell]) => h("td", cell(x))));
}

async function home(el, ctx) {
  const doc = await api.blocks(20);
  const blocksBody = h("tbody#latest-blocks", foldedRows(doc.blocks.map((b) => ({ ...b, time: b.header.time, app_hash: b.header.app_hash }))));
  const txs = [];
  for (const b of doc.blocks) for (const tx of b.txs) txs.push([b, tx]);
  const txBody = h("tbody#latest-txs", txs.slice(0, 25).map(([b, tx]) => txRow(b, tx)));
  clear(el,
    h("div.cols",
      section([t("latest_blocks"), " ", h("span.live", "● " + t("live"))], h("table", h("thead", h("tr", [t("height"), t("time_cst"), t("hash"), t("txs"), t("app_hash")].map((x) => h("th", x)))), blocksBody)),
      section(t("latest_txs"), h("table", h("thead", h("tr", txListColumns().map(([label]) => h("th", label)))), txBody))));
  ctx.onBlock(async (b) => {
    addBlock(blocksBody, { height: b.height, time: b.time, hash: b.hash, txs: { length: b.txs }, app_hash: b.app_hash });
    while (blocksBody.children.length > 30) blocksBody.lastChild.remove();
    if (b.txs > 0) {
      const full = await api.block(b.height);
      for (const tx of [...full.txs].reverse()) txBody.prepend(txRow(full, tx));
      while (txBody.children.length > 40) txBody.lastChild.remove();
    }
  });
}

// is the block the node shows the one its signatures establish? (app hash; on solo, the block hash)
function headerCheck(b, ctx) {
  const box = h("div#header-verify.verify-result", t("not_verified_yet"));
  const run = async () => {
    if (!hasherFor(ctx.session.chain.suite)) return clear(box, noBrowserCheck());
    clear(box, t("verifying"));
    let trusted, genesis;
    try {
      genesis = (await trustAnchor()).genesis;
      trusted = await trustedHeader(b.height, () => clear(box, t("waiting_header", { h: b.height })));
    } catch (e) {
      return clear(box, trustFailure(e, "header-bad"));
    }
    const signed = bytesToHex(trusted.appHash);
    const differs = [];
    if (signed !== b.header.app_hash) differs.push(t("shown_vs_signed", { what: t("app_hash"), shown: b.header.app_hash, signed }));
    if (trusted.blockHash.length && bytesToHex(trusted.blockHash) !== b.hash) differs.push(t("shown_vs_signed", { what: t("hash"), shown: b.hash, signed: bytesToHex(trusted.blockHash) }));
    clear(box, differs.length
      ? h("div.bad#header-bad", h("strong", "✗ " + t("header_differs")), h("ul", differs.map((d) => h("li", d))), basisLine(trusted, genesis))
      : h("div.ok#header-ok", "✓ " + t("header_verified", { h: b.height }), " ", h("code", short(signed, 16)), basisLine(trusted, genesis)));
  };
  return [h("div.actions", button(t("verify_header"), run, "primary", { id: "verify-header" })), box];
}

async function blockPage(el, height, ctx) {
  const b = await api.block(height);
  const hd = b.header;
  clear(el,
    section(t("block") + " " + b.height, kv([
      [t("hash"), h("code", b.hash)], [t("time_cst"), datetime(hd.time)], [t("prev"), hd.height > 0 ? h("a", { href: `#/explorer/block/${hd.height - 1}` }, h("code", hd.prev)) : h("code", hd.prev)],
      [t("app_hash"), h("code#block-app-hash", hd.app_hash)], [t("txs_root"), h("code", hd.txs_root)], [t("results_root"), h("code", hd.results_root)],
      [t("proposer"), h("code", hd.proposer || "")],
    ]), headerCheck(b, ctx), h("p", h("a", { href: `#/explorer/block/${b.height + 1}` }, t("next_block") + " →"))),
    section(t("transactions"), table(txListColumns(), b.txs.map((x) => ({ ...x, height: b.height, time: hd.time })),
      { empty: t("empty_block"), rowAttrs: (x) => ({ "data-tx": x.hash }) })));
}

async function txPage(el, hash, ctx) {
  const d = await api.tx(hash);
  if (d.withheld) {
    clear(el, section(t("transaction"), kv([
      [t("tx_hash"), h("code#tx-hash", d.tx_hash)], [t("block"), h("a", { href: `#/explorer/block/${d.height}` }, `${d.height} (#${d.index})`)],
      [t("time_cst"), h("span#tx-time", datetime(d.time))], [t("receipt_hash"), h("code", d.receipt_hash)],
    ]), h("p.note#tx-withheld", t("withheld_note"))));
    return;
  }
  const r = d.receipt;
  const certs = d.certificates || {};
  const m = certs.member || certs.attached || {};
  const verifyBox = h("div#writes-verify.verify-result", t("not_verified_yet"));
  const verify = async () => {
    const hasher = hasherFor(ctx.session.chain.suite);
    if (!hasher) {
      clear(verifyBox, noBrowserCheck());
      return;
    }
    clear(verifyBox, t("verifying"));
    // the app hash of the transaction's block, from the header trusted by its signatures
    let header, genesis;
    try {
      genesis = (await trustAnchor()).genesis;
      header = await trustedHeader(d.height, () => clear(verifyBox, t("waiting_header", { h: d.height })));
    } catch (e) {
      clear(verifyBox, trustFailure(e, "writes-bad"));
      return;
    }
    let ok = 0;
    const bad = [];
    for (const w of d.writes) (await verifyWrite(w, header, hasher).catch(() => false)) ? ok++ : bad.push(w.key);
    clear(verifyBox, bad.length
      ? h("div.bad#writes-bad", "✗ " + t("writes_failed", { keys: bad.join(", ") }), basisLine(header, genesis))
      : h("div.ok#writes-ok", "✓ " + t("writes_verified", { n: ok, h: d.height }), basisLine(header, genesis),
        // the state this transaction's block wrote, as just verified: a bundle of kind "records"
        evidenceButton(async () => ({ subject: { kind: "records", id: d.tx_hash }, height: d.height,
          records: d.writes.map((w) => recordOf({ key: w.key_hex, value: w.value, height: d.height, proof: w.proof })) }))));
  };
  clear(el,
    section(t("transaction"), kv([
      [t("tx_hash"), h("code#tx-hash", d.tx_hash)], [t("block"), h("a", { href: `#/explorer/block/${d.height}` }, `${d.height} (#${d.index})`)],
      [t("time_cst"), h("span#tx-time", datetime(d.time))], [t("call"), h("code#tx-call", `${d.contract}.${d.method}`)],
      [t("signer"), h("span#tx-signer", signerCell(d.signer_org ? d : { signer_org: m.org_id, signer_org_name: m.org_id && orgName(m.org_id), signer_name: m.name, signer: certs.signer }))],
      [t("outcome"), r.code === "ok" ? h("span.ok#tx-code", "ok") : h("span.bad#tx-code", `${r.code}: ${r.message}`)],
      [t("result"), r.result ? h("code", JSON.stringify(r.result)) : null],
      [t("nonce"), h("code", d.nonce)], [t("expires"), datetime(d.expires)], [t("size"), d.size + " B"],
    ]), h("h3", t("args")), h("pre.args", JSON.stringify(d.args, null, 2))),
    section(t("signer_and_certs"), h("div.certchain#cert-chain",
      h("div.cert", h("h4", t("member_cert")), kv([
        [t("name"), m.name], [t("role"), tv("role", m.role)], [t("organisation"), m.org_id ? h("a", { href: `#/explorer/org/${m.org_id}` }, orgName(m.org_id)) : null],
        [t("cert_id"), h("code", certs.signer)], [t("valid"), m.not_before ? `${date(m.not_before)} – ${date(m.not_after)}` : null],
        [t("revoked"), m.revoked ? h("span.bad", t("yes")) : t("no")],
        [t("attributes"), m.attributes ? h("code", JSON.stringify(m.attributes)) : null],
      ])),
      h("div.arrow", "⟵ " + t("issued_by") + " " + (certs.issued_by_ca === true ? "✓" : certs.issued_by_ca === false ? "✗" : "")),
      h("div.cert", h("h4", t("org_ca")), kv([
        [t("organisation"), certs.org ? certs.org.name : null], [t("type"), certs.org ? tv("role", certs.org.type) : null],
        [t("status"), certs.org ? badge(certs.org.status) : null],
        [t("ca_id"), certs.ca ? h("code", certs.ca.ca_id) : null], [t("valid"), certs.ca ? `${date(certs.ca.not_before)} – ${date(certs.ca.not_after)}` : null],
      ]))),
    h("p.note", d.cert_attached ? t("cert_attached_note") : t("cert_registered_note"))),
    section(t("events"), table([
      ["#", (e, i) => e.n], [t("event"), (e) => h("code", `${e.contract}.${e.type}`)], [t("attributes"), (e) => h("code", JSON.stringify(e.attrs))],
    ], r.events.map((e, n) => ({ ...e, n })), { empty: t("no_events") })),
    section(t("state_changes"), h("p.note", t("writes_note")), h("div.actions", button(t("verify_proofs"), verify, "primary", { id: "verify-writes" })), verifyBox,
      table([
        [t("key"), (w) => h("code", w.key)],
        [t("attributed"), (w) => (w.attributed ? h("span.ok", "●") : "")],
        [t("value"), (w) => (w.value === null ? h("em", t("deleted")) : h("code.val", JSON.stringify(w.decoded ?? w.value).slice(0, 240)))],
      ], d.writes, { rowAttrs: (w) => ({ class: w.attributed ? "attributed" : null }) }),
      d.writes_truncated ? h("p.note", t("writes_truncated")) : null),
    section(t("signed_body"), h("pre.args", d.body)));
}

// the voucher's lineage proven here (verify.js): the piece, each parent up to the root, the root
// and its invoices, against the app hash of a header trusted by its signatures; fresh, or refused
function lineageCheck(id, ctx) {
  const box = h("div#lineage-verify.verify-result", t("not_verified_yet"));
  const run = async () => {
    const hasher = hasherFor(ctx.session.chain.suite);
    if (!hasher) return clear(box, noBrowserCheck());
    clear(box, t("verifying"));
    let answer, header, genesis;
    try {
      answer = await api.queryAt("receivables", "voucher", { id, prove: true });
      genesis = (await trustAnchor()).genesis;
      header = await freshHeader(answer.height, () => clear(box, t("waiting_header", { h: answer.height })));
    } catch (e) {
      return clear(box, trustFailure(e, "lineage-bad"));
    }
    // a record the answer does not carry (the root's invoices), with its proof at the same height
    const more = async (key) => {
      const doc = await api.read(`state?key_hex=${bytesToHex(new TextEncoder().encode(key))}&height=${answer.height}&prove=true`);
      return { key: doc.key_hex, value: doc.value, height: doc.height, app_hash: doc.app_hash, proof: doc.proof };
    };
    const res = await verifyLineage(answer, id, header, hasher, more);
    if (!res.ok) return clear(box, h("div.bad#lineage-bad", "✗ " + t("verify_failed", { n: res.problems.length }), h("ul", res.problems.map((p) => h("li", p)))));
    clear(box, h("div.ok#lineage-ok", "✓ " + t("lineage_verified", { n: res.checked, h: answer.height }), " ",
      h("code#lineage-chain", [...res.lineage, res.voucher].map((x) => x.id).join(" > ")), " · ", t("root"), " ", h("code", res.root.id),
      " (", yuan(res.root.amount), ") · ", t("invoices"), " ", res.invoices.map((i) => (i ? i.id : "?")).join(", "),
      basisLine(header, genesis),
      evidenceButton(async () => ({ subject: { kind: "voucher", id }, height: answer.height, records: res.proofs.map(recordOf) }))));
  };
  return [h("p.note", t("lineage_note")), h("div.actions", button(t("verify_lineage"), run, "primary", { id: "verify-lineage" })), box];
}

async function voucherPage(el, id, ctx) {
  const v = await api.query("receivables", "voucher", { id });
  const p = v.voucher;
  const pieces = await lineage([id]);
  clear(el,
    section(t("voucher") + " " + id, kv([
      [t("status"), badge(p.status)], [t("holder"), org(p.holder)], [t("payer"), org(p.payer)], [t("from"), org(p.from)],
      [t("amount"), yuan(p.amount)], [t("tier"), p.tier], [t("root"), idLink(p.root, "voucher")], [t("parent"), idLink(p.parent, "voucher")],
      [t("issued"), date(p.issued_at)], [t("maturity"), date(p.maturity)], [t("financing"), p.financing ? idLink(p.financing, "financing") : null],
      [t("registration"), p.registration], [t("frozen"), p.frozen ? h("span.bad", t("yes") + " — " + (p.frozen_reason || "")) : t("no")],
      [t("locked_by"), p.locked_by],
    ])),
    section(t("verified_lineage"), lineageCheck(id, ctx)),
    section(t("voucher_tree"), voucherTree(pieces, { onPick: (x) => (location.hash = `#/explorer/voucher/${x}`) })),
    section(t("root_totals"), kv([[t("amount"), yuan(v.root.amount)], [t("status"), badge(v.root.status)], [t("live_pieces"), v.root.live_count],
      [t("invoices"), (v.root.invoices || []).map((i) => [idLink(i, "invoice"), " "])], [t("payment"), v.root.payment ? yuan(v.root.payment.amount) : "—"]])),
    section(t("history"), table([[t("height"), (x) => h("a", { href: `#/explorer/block/${x.height}` }, x.height)], [t("status"), (x) => (x.value ? badge(x.value.status) : "—")], [t("holder"), (x) => (x.value ? org(x.value.holder) : "—")]], v.history)));
}

async function planPage(el, id) {
  const v = await api.query("plans", "plan", { id });
  const p = v.plan;
  clear(el, section(t("plan") + " " + id, kv([
    [t("name"), p.name], [t("status"), badge(p.status)], [t("sponsor"), org(p.sponsor)], [t("underwriter"), org(p.underwriter)], [t("servicer"), org(p.servicer)],
    [t("size"), yuan(p.size)], [t("subscribed"), yuan(p.subscribed)], [t("pooled"), yuan(p.pooled)], [t("coupon"), bps(p.coupon_bps)], [t("maturity"), date(p.maturity)],
    [t("pool"), (p.assets || []).map((a) => [a.startsWith("voucher:") ? idLink(a.slice(8), "voucher") : idLink(a.replace(/^invoice:/, ""), "invoice"), " "])],
    [t("holders"), (p.holders || []).map((o) => [org(o), "; "])],
  ]), h("p", h("a", { href: `#/v/investor/plan/${id}` }, t("penetration") + " →"))),
  section(t("disclosures"), table([[t("kind"), (d) => d.kind], [t("title"), (d) => d.title], [t("due"), (d) => date(d.due)], [t("status"), (d) => badge(d.status)]], v.disclosures || [])));
}

async function packagePage(el, id) {
  const v = await api.query("npa", "package", { id });
  const p = v.package;
  clear(el, section(t("package") + " " + id, kv([
    [t("name"), p.name], [t("status"), badge(p.status)], [t("seller"), org(p.seller)], [t("principal"), yuan(p.principal)], [t("interest"), yuan(p.interest)],
    [t("reserve"), yuan(p.reserve_price)], [t("list_price"), yuan(p.list_price)], [t("margin"), yuan(p.margin)],
    [t("auction"), p.auction ? h("a", { href: `#/v/auctions/${p.auction}` }, p.auction) : null], [t("winner"), p.winner ? org(p.winner) : null],
  ])),
  section(t("loans"), table([[t("loan"), (l) => h("code", l.id || l.loan_no)], [t("borrower"), (l) => personCell("npa", l.borrower)], [t("guarantors"), (l) => (l.guarantors || []).map((g) => personCell("npa", g))], [t("principal"), (l) => yuan(l.principal)], [t("classification"), (l) => l.classification], [t("days_past_due"), (l) => l.days_past_due]], v.loans || [])));
}

async function productPage(el, id) {
  const v = await api.query("products", "product", { id });
  const p = v.product;
  clear(el, section(t("product") + " " + id, kv([
    [t("name"), p.name], [t("status"), badge(p.status)], [t("originator"), org(p.originator)], [t("registrar"), org(p.registrar)],
    [t("rating"), p.ratings && p.ratings.length ? `${p.ratings.at(-1).grade} (${p.ratings.at(-1).outlook})` : "—"],
    [t("collected"), yuan(p.collected)], [t("distributed"), yuan(p.distributed)], [t("maturity"), date(p.maturity)],
    [t("underlying"), (p.underlying || []).map((x) => [idLink(x, "voucher"), " "])],
  ])),
  section(t("tranches"), table([[t("name"), (x) => x.name], [t("size"), (x) => yuan(x.size)], [t("coupon"), (x) => bps(x.coupon_bps)], [t("outstanding"), (x) => yuan(x.outstanding)], [t("priority"), (x) => x.priority]], p.tranches)));
}

async function auctionPage(el, id) {
  location.hash = `#/v/auctions/${encodeURIComponent(id)}`;
}

// the tax service's word on it (views/outside.js): 已查验 / 未查验 / 不一致 (what differs) / 已作废
async function invoicePage(el, id) {
  const v = await api.query("receivables", "invoice", { id });
  const i = v.invoice;
  clear(el, section(t("invoice") + " " + id, kv([
    [t("seller"), org(i.seller)], [t("buyer"), org(i.buyer)], [t("amount"), yuan(i.amount)], [t("drawn"), yuan(i.drawn)], [t("undrawn"), yuan(v.undrawn)],
    [t("verification"), h("div#invoice-verification", verificationCell(i))],
    [t("date"), date(i.date)], [t("doc_hash"), h("code", i.doc_hash)], [t("pooled"), i.locked_by],
    [t("roots"), v.roots.map((r) => [idLink(r.root, "voucher"), ` (${yuan(r.drawn)}) `])],
  ])));
}

async function financingPage(el, id) {
  const f = await api.query("receivables", "financing", { id });
  clear(el, section(t("financing") + " " + id, kv([
    [t("voucher"), idLink(f.voucher, "voucher")], [t("holder"), org(f.holder)], [t("funder"), org(f.funder)], [t("amount"), yuan(f.amount)],
    [t("rate"), bps(f.rate_bps)], [t("status"), badge(f.status)], [t("registration"), f.registration], [t("advance"), f.advance ? yuan(f.advance) : null],
  ])));
}

async function orgPage(el, id, ctx) {
  const o = await api.query("membership", "org", { org_id: id });
  const extra = slot(async () => {
    const parts = [];
    const held = await api.query("receivables", "vouchers", { holder: id }).catch(() => null);
    if (held) parts.push(h("h3", t("vouchers_held")), table([[t("voucher"), (v) => idLink(v.id, "voucher")], [t("amount"), (v) => yuan(v.amount)], [t("status"), (v) => badge(v.status)]], held));
    return parts.length ? parts : h("p.note", t("nothing_visible"));
  });
  clear(el, section(t("organisation") + " " + (o.name || id), kv([
    [t("id"), h("code", o.id)], [t("type"), tv("role", o.type)], [t("status"), badge(o.status)], [t("ca_id"), h("code", o.ca_id)],
    [t("attributes"), h("code", JSON.stringify(o.attributes || {}))], [t("person"), o.person ? personCell("membership", o.person) : null],
  ])), section(t("visible_to_you"), extra));
}
