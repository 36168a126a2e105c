// Helpers several views share: organisation pickers, voucher lineage, amounts and hashes typed in forms.
import * as api from "../api.js";
import { allOrgs, bps, date, nowMs, orgName, parseDate, parseYuan, yuan } from "../fmt.js";
import { t, tv } from "../i18n.js";
import { bytesToHex } from "../cbor.js";
import { sha256 } from "../smt.js";
import { badge, button, form, h, idLink, section, signAndSubmit, slot, table } from "../ui.js";

export const LIVE = ["ISSUED", "ACTIVE", "FINANCING", "FINANCED", "OVERDUE"];

// [[org id, name], ...] of the given organisation types (all if none), excluding `except`
export function orgOptions(types, except) {
  return allOrgs()
    .filter((o) => (!types || types.includes(o.type)) && o.id !== except && o.status !== "REMOVED")
    .map((o) => [o.id, `${o.name} (${o.id})`]);
}

export function settlementBanks() {
  return allOrgs().filter((o) => o.type === "BANK" && o.attributes && o.attributes.settlement).map((o) => [o.id, `${o.name} (${o.id})`]);
}

export function fen(text, what) {
  const v = parseYuan(text);
  if (v === null || v <= 0) throw new Error(t("bad_amount", { what: what || t("amount") }));
  return v;
}

export function day(text, what) {
  const v = parseDate(text);
  if (v === null) throw new Error(t("bad_date", { what: what || t("date") }));
  return v;
}

export function int(text, what) {
  if (!/^-?\d+$/.test(String(text).trim())) throw new Error(t("bad_number", { what }));
  return Number(text);
}

// a 64-hex hash as typed, or the SHA-256 of the text typed (a document's content)
export async function hashOf(text) {
  const s = String(text).trim();
  if (/^[0-9a-f]{64}$/.test(s)) return s;
  return bytesToHex(await sha256(new TextEncoder().encode(s)));
}

// every piece of the trees `ids` belong to, as far as the member may see (voucher query lineage)
export async function lineage(ids) {
  const pieces = new Map();
  for (const id of ids) {
    if (pieces.has(id) && pieces.get(id).full) continue;
    let v;
    try {
      v = await api.query("receivables", "voucher", { id });
    } catch {
      continue;
    }
    pieces.set(id, { ...v.voucher, full: true });
    for (const p of [...v.ancestors, ...v.descendants]) if (!pieces.has(p.id)) pieces.set(p.id, p);
  }
  // children from parent links (summaries carry the parent only)
  const all = [...pieces.values()].map((p) => ({ ...p, children: [] }));
  const byId = new Map(all.map((p) => [p.id, p]));
  for (const p of all) if (p.parent && byId.has(p.parent)) byId.get(p.parent).children.push(p.id);
  for (const p of all) p.children.sort();
  for (const p of all) {
    let top = p;
    while (top.parent && byId.has(top.parent)) top = byId.get(top.parent);
    p.root = p.root || top.id;
  }
  return all;
}

export function today() {
  return inDays(0);
}

export function inDays(n) {
  return new Date(nowMs() + 8 * 3600e3 + n * 86400e3).toISOString().slice(0, 10);
}

export function nowSeconds() {
  return Math.floor(nowMs() / 1000);
}

export { orgName };

// -- added for issue 19 (choices that follow state; forms instead of raw JSON) -----------------------------

// a rate typed in percent ("5.5", "5.25 %") -> integer basis points (550, 525), without floats
export function percentBps(text, what, max = 10_000) {
  const m = /^(\d{1,3})(?:\.(\d{0,2}))?$/.exec(String(text).replace(/[%\s％]/g, ""));
  const v = m ? Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0") || "0") : null;
  if (v === null || v > max) throw new Error(t("bad_percent", { what: what || t("rate"), max: max / 100 }));
  return v;
}

// a state that limits what may be done with a record, explained where the record is shown:
// the badge says what it is, the sentence what that means for the member now
export function stateNote(key, vars, cls = "s-frozen") {
  return h("p.state-note", h("span.badge." + cls, t("state." + key)), " ", t("state." + key + ".why", vars));
}

// why a voucher piece the member holds cannot be financed or transferred now (null: it can)
export function voucherBlock(v) {
  if (v.frozen) return { key: "frozen", cls: "s-frozen", vars: { reason: v.frozen_reason || "—" } };
  if (v.locked_by) return { key: "locked", cls: "s-locked", vars: { to: lockedTo(v) } };
  if (v.status === "ISSUED") return { key: "to_accept", cls: "s-issued", vars: {} };
  // reserved while funders quote (quotes.py: the piece's `financing` names the request for quotes)
  if (v.status === "FINANCING" && String(v.financing || "").startsWith("Q-")) return { key: "quoting", cls: "s-financing", vars: {} };
  if (v.status === "FINANCING") return { key: "financing", cls: "s-financing", vars: { funder: orgName(v.funder) || "—" } };
  if (v.status === "OVERDUE") return { key: "overdue", cls: "s-overdue", vars: {} };
  return null;
}

// "计划 P-12" / "plan P-12": what a piece is locked to, from the lock's purpose ("plan P-12", "product R-3")
export function lockedTo(v) {
  const m = /^(plan|product|package) (\S+)$/.exec(v.lock_purpose || "");
  return m ? `${t(m[1])} ${m[2]}` : v.lock_purpose || v.locked_by;
}

export function blockNote(v) {
  const b = voucherBlock(v);
  return b ? stateNote(b.key, b.vars, b.cls) : null;
}

// a file the browser saves (a backup, an export), made here and never sent anywhere
export function download(name, text, type = "application/json") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: name, style: "display:none" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// a day typed in a date field -> unix seconds at noon China time (a maturity, a base date)
export function noon(text, what) {
  return day(text, what) + 12 * 3600;
}

// a text field's value or, when empty, the default given
export function orElse(text, fallback) {
  return String(text || "").trim() || fallback;
}

// -- forms for drafting what each role originates (instead of "Contract calls" with raw JSON) ------------------
// Each is a section a view places: the drafting form, then the member's own drafts with the next step each
// may take now. Amounts are typed in 元, rates in %, dates as dates, organisations picked by name.

function signThen(ctx) {
  return async (contract, method, args, title) => {
    const r = await signAndSubmit(contract, method, args, title);
    if (r && r.code === "ok") ctx.rerender();
    return r;
  };
}

// checkboxes of [value, label] placed in a form before its button; .checked() -> the values ticked
export function checkList(formEl, label, options, id) {
  const boxes = options.map(([v, text]) => h("label.check", h("input", { type: "checkbox", value: v, name: id }), " ", text));
  const group = h("fieldset.checks#" + id, h("legend", label), boxes.length ? boxes : h("p.empty", t("none")));
  formEl.insertBefore(group, formEl.querySelector(".actions"));
  return { checked: () => [...group.querySelectorAll("input:checked")].map((b) => b.value) };
}

// NPA packages: a bank or an AMC packages loans it owns, and sends the draft to due diligence
export function packageSection(ctx) {
  const me = ctx.me;
  const sign = signThen(ctx);
  return section(t("my_packages"), slot(async () => {
    const [loans, packages] = await Promise.all([
      api.query("npa", "loans", { owner: me }).catch(() => []),
      api.query("npa", "packages", { seller: me }).catch(() => []),
    ]);
    const free = loans.filter((l) => !l.package);
    let picked = null;
    const f = form([
      { name: "name", label: t("package_name"), placeholder: t("package_name_hint") },
      { name: "base_date", label: t("base_date"), type: "date", value: inDays(-1) },
      { name: "reserve", label: t("reserve_yuan") },
      { name: "list", label: t("list_price_yuan") },
      { name: "margin", label: t("margin_yuan") },
    ], t("create_package"), async (v) => {
      const chosen = picked.checked();
      if (!chosen.length) throw new Error(t("pick_loans"));
      const refs = chosen.map((ref) => { const l = free.find((x) => x.ref === ref); return l.seller === me ? l.loan_no : l.ref; });
      await sign("npa", "create_package", { name: v.name, loans: refs, base_date: day(v.base_date), reserve_price: fen(v.reserve, t("reserve")),
        list_price: fen(v.list, t("list_price")), margin: fen(v.margin, t("margin")) }, t("create_package"));
    }, { id: "create-package" });
    picked = checkList(f, t("loans_to_package"), free.map((l) => [l.ref, `${l.loan_no} · ${t("principal")} ${yuan(l.principal)} · ${tv("class", l.classification)}`]), "package-loans");
    const intermediaries = orgOptions(["INTERMEDIARY"], me);
    const rows = table([
      [t("package"), (p) => idLink(p.id, "package")], [t("name"), (p) => p.name], [t("status"), (p) => badge(p.status)],
      [t("principal"), (p) => yuan(p.principal)], [t("reserve"), (p) => yuan(p.reserve_price)], [t("list_price"), (p) => yuan(p.list_price)],
      [t("margin"), (p) => yuan(p.margin)],
      [t("actions"), (p) => {
        if (p.status !== "DRAFT") return h("small", t("next." + p.status) === "next." + p.status ? "" : t("next." + p.status));
        const pick = h("select", { id: `dd-${p.id}`, "aria-label": t("intermediary") }, intermediaries.map(([v, l]) => h("option", { value: v }, l)));
        return [pick, " ", button(t("send_to_dd"), () => sign("npa", "submit_for_due_diligence", { package: p.id, intermediary: pick.value }, t("send_to_dd")), "small primary", { id: `send-dd-${p.id}` })];
      }],
    ], packages, { empty: t("no_packages") });
    // no loan free to package: say so instead of a form that could only be refused
    return h("div", h("p.note", free.length ? t("package_note") : t("no_free_loans")), free.length ? f : null, h("h3", t("my_packages_list")), rows);
  }));
}

// debt financing plans: a sponsor (core enterprise, supplier, factor or bank) drafts one and pools
// vouchers it holds into it; its underwriter files it with the exchange
export function planSection(ctx, held) {
  const me = ctx.me;
  const sign = signThen(ctx);
  const poolable = (held || []).filter((v) => ["ACTIVE", "FINANCED"].includes(v.status) && !v.locked_by && !v.frozen);
  return section(t("my_plans"), slot(async () => {
    const [sponsored, underwritten] = await Promise.all([
      api.query("plans", "plans", { sponsor: me }).catch(() => []),
      api.query("plans", "plans", { underwriter: me }).catch(() => []),
    ]);
    const f = form([
      { name: "name", label: t("plan_name") },
      { name: "underwriter", label: t("underwriter"), type: "select", options: orgOptions(["INTERMEDIARY", "BANK"], me) },
      { name: "servicer", label: t("servicer"), type: "select", options: orgOptions(["CORE_ENTERPRISE", "SUPPLIER", "FACTOR", "BANK", "INTERMEDIARY"]), value: me },
      { name: "bank", label: t("settlement_bank"), type: "select", options: settlementBanks() },
      { name: "size", label: t("size_yuan") },
      { name: "coupon", label: t("coupon_pct"), value: "4.5", hint: t("percent_hint") },
      { name: "term", label: t("term_days"), value: "180" },
      { name: "coverage", label: t("coverage_pct"), value: "100", hint: t("coverage_hint") },
      { name: "min_ticket", label: t("min_ticket_yuan"), optional: true },
    ], t("create_plan"), async (v) => {
      const args = { name: v.name, underwriter: v.underwriter, servicer: v.servicer, settlement_bank: v.bank, size: fen(v.size, t("size")),
        coupon_bps: percentBps(v.coupon, t("coupon")), term_days: int(v.term, t("term_days")), coverage_bps: percentBps(v.coverage, t("coverage_pct"), 50_000) };
      if (v.min_ticket) args.min_ticket = fen(v.min_ticket, t("min_ticket_yuan"));
      await sign("plans", "create", args, t("create_plan"));
    }, { id: "create-plan" });
    const mine = [...sponsored, ...underwritten.filter((p) => p.sponsor !== me)];
    const rows = table([
      [t("plan"), (p) => idLink(p.id, "plan")], [t("name"), (p) => p.name], [t("status"), (p) => badge(p.status)],
      [t("size"), (p) => yuan(p.size)], [t("pooled"), (p) => yuan(p.pooled)], [t("coupon"), (p) => bps(p.coupon_bps)],
      [t("actions"), (p) => {
        const out = [];
        if (p.status === "DRAFT" && p.sponsor === me) {
          if (!poolable.length) out.push(h("small", t("nothing_to_pool")));
          else {
            const pick = h("select", { id: `pool-${p.id}-voucher`, "aria-label": t("voucher") }, poolable.map((v) => h("option", { value: v.id }, `${v.id} · ${yuan(v.amount)}`)));
            out.push(pick, " ", button(t("pool_voucher"), () => sign("plans", "pool", { plan: p.id, vouchers: [pick.value] }, t("pool_voucher")), "small", { id: `pool-${p.id}` }));
          }
        }
        if (p.status === "DRAFT" && p.underwriter === me) {
          out.push(" ", button(t("file_plan"), () => sign("plans", "file", { plan: p.id }, t("file_plan")), "small primary", { id: `file-plan-${p.id}` }));
        }
        if (!out.length && t("next." + p.status) !== "next." + p.status) out.push(h("small", t("next." + p.status)));
        return out;
      }],
    ], mine, { empty: t("no_plans") });
    return h("div", h("p.note", t("plan_note")), f, h("h3", t("my_plans_list")), rows);
  }));
}

// revenue-sharing products: a factor drafts one (tranches, senior first), locks financed vouchers to it,
// and files it once rated
export function productSection(ctx, held) {
  const me = ctx.me;
  const sign = signThen(ctx);
  const financed = (held || []).filter((v) => v.status === "FINANCED" && !v.locked_by && !v.frozen);
  return section(t("my_products"), slot(async () => {
    const products = await api.query("products", "products", { originator: me }).catch(() => []);
    const trancheFields = [1, 2, 3].flatMap((n) => [
      { name: `t${n}_name`, label: t("tranche_n_name", { n }), value: n === 1 ? "senior" : n === 2 ? "junior" : "", optional: n > 1, hint: n === 1 ? t("tranche_name_hint") : null },
      { name: `t${n}_size`, label: t("tranche_n_size", { n }), optional: n > 1 },
      { name: `t${n}_coupon`, label: t("tranche_n_coupon", { n }), optional: n > 1 },
    ]);
    const f = form([
      { name: "name", label: t("product_name") },
      ...trancheFields,
      { name: "registrar", label: t("registrar"), type: "select", options: orgOptions(["REGISTRAR"]) },
      { name: "bank", label: t("settlement_bank"), type: "select", options: settlementBanks() },
      { name: "min_ticket", label: t("min_ticket_yuan"), value: "1,000,000.00" },
      { name: "term", label: t("term_days"), value: "180", hint: t("product_term_hint") },
      { name: "fee", label: t("fee_pct"), value: "0.5", hint: t("percent_hint") },
    ], t("create_product"), async (v) => {
      const tranches = [];
      for (const n of [1, 2, 3]) {
        if (!v[`t${n}_name`] && !v[`t${n}_size`]) continue;
        tranches.push({ name: v[`t${n}_name`], size: fen(v[`t${n}_size`], t("tranche_n_size", { n })),
          coupon_bps: percentBps(v[`t${n}_coupon`], t("tranche_n_coupon", { n })), priority: tranches.length + 1 });
      }
      await sign("products", "create", { name: v.name, tranches, registrar: v.registrar, settlement_bank: v.bank,
        min_ticket: fen(v.min_ticket, t("min_ticket_yuan")), term_days: int(v.term, t("term_days")), fee_bps: percentBps(v.fee, t("fee_pct"), 1_000) }, t("create_product"));
    }, { id: "create-product" });
    const rows = table([
      [t("product"), (p) => idLink(p.id, "product")], [t("name"), (p) => p.name], [t("status"), (p) => badge(p.status)],
      [t("rating"), (p) => (p.rating ? `${p.rating.grade} (${p.rating.outlook})` : "—")],
      [t("actions"), (p) => {
        if (p.status === "DRAFT") {
          if (!financed.length) return h("small", t("nothing_to_underlie"));
          const pick = h("select", { id: `underlie-${p.id}-voucher`, "aria-label": t("voucher") }, financed.map((v) => h("option", { value: v.id }, `${v.id} · ${yuan(v.amount)}`)));
          return [pick, " ", button(t("add_underlying"), () => sign("products", "add_underlying", { product: p.id, vouchers: [pick.value] }, t("add_underlying")), "small", { id: `underlie-${p.id}` }),
            h("small", " ", t("next.DRAFT_product"))];
        }
        if (p.status === "RATED") return button(t("file_product"), () => sign("products", "file", { product: p.id }, t("file_product")), "small primary", { id: `file-product-${p.id}` });
        return t("next." + p.status) !== "next." + p.status ? h("small", t("next." + p.status)) : null;
      }],
    ], products, { empty: t("no_products") });
    return h("div", h("p.note", t("product_note")), f, h("h3", t("my_products_list")), rows);
  }));
}

// A disclosure's title as the member reads it. The plans contract writes the titles of the
// disclosures it schedules itself in English ("periodic report to 2028-05-10T06:00:00Z", "final
// report", "initial disclosure: ...", "default: <reason>"); those read in the member's language,
// the date in China time. A title a member typed stays as typed.
export function disclosureTitle(title) {
  const text = String(title || "");
  const periodic = /^periodic report to (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/.exec(text);
  if (periodic) return t("dtitle.periodic", { date: date(Date.parse(periodic[1])) });
  if (text === "final report") return t("dtitle.final");
  if (text.startsWith("initial disclosure:")) return t("dtitle.initial");
  const fault = /^default: (.*)$/s.exec(text);
  if (fault) return t("dtitle.default", { reason: fault[1] });
  return text;
}
