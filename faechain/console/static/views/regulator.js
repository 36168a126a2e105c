// Regulator: the figures at a glance (alerts per day by severity, by rule), live risk alerts
// with their evidence in words (amounts in 元, dates in China time, organisations by name,
// assets and transactions linked to the explorer, the raw JSON one click away) and filters,
// freeze and unfreeze with a reason, the freeze registry and action log, the risk rules in the
// member's language and units with a form proposing a new threshold (a governance vote), and
// the audit export. Every label is in strings/regulator.js.
import * as api from "../api.js";
import { countBars, stackedCounts } from "../charts.js";
import { bps, date, datetime, nowMs, orgName, yuan } from "../fmt.js";
import { t, tv } from "../i18n.js";
import { MAX_FEN, MAX_WHOLE, UNITS, thresholdText } from "../thresholds.js";
import { askText, badge, button, clear, form, h, org, section, signAndSubmit, table, txLink } from "../ui.js";

const KINDS = ["voucher", "invoice", "plan", "package", "product", "holding", "auction"];
const SEVERITIES = ["critical", "warning", "info"];
const SEVERITY_COLOURS = { critical: "#c0392b", warning: "#e8a33d", info: "#2a6fb0" };
const STATUSES = ["open", "frozen", "handled"];
const STATUS_BADGE = { open: "warning", frozen: "frozen", handled: "active" }; // the badge colours of style.css
const USCC = /^[0-9A-Z]{18}$/;
const DAY_MS = 86_400_000;
const TREND_DAYS = 30;

// the rules' units and thresholds in words live in thresholds.js (the signing summary uses them too)
// what the contract records, in words: "123400 分", "1234 个基点"
function contractText(unit, value) {
  if (unit === "yuan") return t("reg.fen", { n: value });
  if (unit === "percent") return t("reg.bps", { n: value });
  return String(value);
}

// typed text in the rule's unit -> {value: integer in the contract's unit} or {code, error: message}.
// Exact: decimal digits only, integer arithmetic (BigInt), never a float ("12.34" 元 -> 1234 fen).
export function parseThreshold(unit, text) {
  const raw = String(text ?? "").trim();
  const s = raw.replace(/[,，\s]/g, "").replace(/(元|%|％|天|名|days?|yuan)$/i, "");
  const refuse = (code, vars) => ({ code, error: t("reg.err." + code, vars) });
  if (!s) return refuse("empty");
  if (unit === "switch") return s === "1" || s === "0" ? { value: Number(s) } : refuse("whole");
  if (/^-/.test(s)) return refuse("negative");
  const example = unit === "yuan" ? "1234.56" : unit === "percent" ? "12.5" : "180";
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) return refuse("not_number", { text: raw, example });
  const [, whole, frac = ""] = m;
  if (unit === "yuan" || unit === "percent") {
    if (frac.length > 2) return refuse(unit === "yuan" ? "decimals_yuan" : "decimals_percent");
    const n = BigInt(whole) * 100n + BigInt(frac.padEnd(2, "0"));
    const max = unit === "yuan" ? MAX_FEN : 10_000n;
    if (n > max) return refuse("too_big", { max: unit === "yuan" ? yuan(max) : "100%" });
    return { value: Number(n) };
  }
  if (frac) return refuse("whole");
  const max = MAX_WHOLE[unit] || 1_000_000;
  if (BigInt(whole) > BigInt(max)) return refuse("too_big", { max });
  return { value: Number(whole) };
}

// -- evidence in words --------------------------------------------------------------------------
const ASSET_LINKS = { voucher: "voucher", root: "voucher", piece: "voucher", remainder: "voucher", plan: "plan", product: "product", auction: "auction", package: "package", financing: "financing" };
const LIST_LINKS = { vouchers: "voucher", invoices: "invoice" };
const MONEY = new Set(["amount", "price", "underlying", "underlying_amount", "balance", "margin", "advance", "discount", "reserve", "list_price", "principal", "interest", "subscribed"]);
const DATES = new Set(["maturity", "pay_by"]);
const TIMES = new Set(["due"]);
const ORDER = ["tx", "event", "method", "code", "message", "invoices", "root", "voucher", "piece", "remainder", "product", "plan", "auction", "asset", "payer", "holder", "sender", "to", "seller", "buyer", "investor", "winner", "sponsor", "underwriter", "amount", "price", "balance", "underlying", "underlying_amount", "share_bps", "holders", "tenor_days", "maturity", "due", "pay_by"];

function explorerLink(kind, id) {
  return h("a", { href: `#/explorer/${kind}/${encodeURIComponent(id)}` }, id);
}

function orgLink(code) {
  const name = orgName(code);
  return h("a.org", { href: `#/explorer/org/${code}`, title: code }, name && name !== code ? `${name} (${code})` : code);
}

function orgText(code) {
  const name = orgName(code);
  return name && name !== code ? name : code;
}

function subjectLink(subject) {
  const m = /^(voucher|plan|package|product|auction|invoice):(.+)$/.exec(subject || "");
  if (m) return h("span", t(m[1]), " ", explorerLink(m[1], m[2]));
  if (USCC.test(subject || "")) return orgLink(subject);
  return subject || "—";
}

// a contract message with its fen amounts in 元 (and the one message a rule shows often, in words)
function messageText(text) {
  const s = String(text || "");
  const m = /^invoice (\S+) has (\d+) fen undrawn, (\d+) fen requested$/.exec(s);
  if (m) return t("reg.msg.undrawn", { invoice: m[1], undrawn: yuan(m[2]), requested: yuan(m[3]) });
  return s.replace(/(\d+) fen\b/g, (_, n) => yuan(n));
}

// one evidence value: a node (link) or text
function evidenceValue(key, v) {
  if (v === null || v === undefined || v === "") return "—";
  if (key === "tx") return txLink(v);
  if (key === "event") return tv("reg.event", v);
  if (key === "code") return `${tv("reg.code", v)} (${v})`;
  if (key === "method") return `${tv("reg.method", v)} (${v})`;
  if (key === "message") return messageText(v);
  if (key === "asset") return subjectLink(v);
  if (ASSET_LINKS[key] && typeof v === "string") return explorerLink(ASSET_LINKS[key], v);
  if (LIST_LINKS[key] && Array.isArray(v)) return v.flatMap((x, i) => [i ? ", " : null, explorerLink(LIST_LINKS[key], String(x))]);
  if (typeof v === "string" && USCC.test(v)) return orgLink(v);
  if (typeof v === "number") {
    if (MONEY.has(key)) return yuan(v);
    if (DATES.has(key)) return date(v);
    if (TIMES.has(key)) return datetime(v);
    if (key === "share_bps") return bps(v);
    if (key === "tenor_days") return t("reg.n_days", { n: v });
    if (key === "holders") return t("reg.n_holders", { n: v });
    return v.toLocaleString("en-US");
  }
  if (typeof v === "boolean") return t(v ? "yes" : "no");
  if (Array.isArray(v)) return v.map((x) => (typeof x === "string" && USCC.test(x) ? orgText(x) : String(x))).join(", ");
  return String(v);
}

function evidenceRows(ev) {
  const keys = Object.keys(ev || {}).filter((k) => ev[k] !== null && ev[k] !== undefined);
  const rank = (k) => (ORDER.includes(k) ? ORDER.indexOf(k) : ORDER.length);
  return keys.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

// the evidence, labelled; the raw JSON is drawn only when asked for (one click)
function evidenceBox(a) {
  const ev = a.evidence || {};
  const raw = h("details.raw", h("summary", t("reg.raw_json")));
  raw.addEventListener("toggle", () => {
    if (raw.open && !raw.querySelector("pre")) raw.append(h("pre.args", JSON.stringify(a, null, 2)));
  });
  return h("details.evidence-box", h("summary", t("reg.details")),
    h("dl.kv", evidenceRows(ev).flatMap((k) => [h("dt", tv("reg.ev", k)), h("dd", { "data-field": k }, evidenceValue(k, ev[k]))]),
      h("dt", t("reg.threshold_at")), h("dd", thresholdText(a.rule, a.threshold)),
      h("dt", t("reg.block_height")), h("dd", h("a", { href: `#/explorer/block/${a.height}` }, a.height))),
    raw);
}

// one sentence saying what happened (plain text: it is also what the search box reads)
export function summaryText(a) {
  const ev = a.evidence || {};
  const subjectId = String(a.subject || "").split(":").slice(1).join(":") || a.subject;
  const vars = {
    org: USCC.test(a.subject || "") ? orgText(a.subject) : "", invoices: (ev.invoices || []).join(", "),
    root: ev.root || subjectId, voucher: ev.voucher || subjectId, plan: ev.plan || subjectId, product: ev.product || subjectId,
    auction: ev.auction || subjectId, title: ev.title || "", reason: ev.reason || "",
    amount: yuan(ev.amount ?? ev.price), maturity: date(ev.maturity), due: datetime(ev.due),
    holders: t("reg.n_holders", { n: ev.holders }), tenor: t("reg.n_days", { n: ev.tenor_days }),
    payer: ev.payer ? orgText(ev.payer) : "", share: ev.share_bps !== undefined ? bps(ev.share_bps) : "",
    threshold: thresholdText(a.rule, a.threshold),
  };
  const key = "reg.sum." + a.rule;
  return t(key) === key ? tv("rule", a.rule) : t(key, vars);
}

// -- alert status: what the regulator has done about its subject since ------------------------------
function statusOf(a, frozen, actions) {
  if (frozen.has(a.subject)) return "frozen";
  return actions.some((x) => x.asset === a.subject && x.at >= a.time) ? "handled" : "open";
}

// every text the search box matches an alert against: ids, codes, organisation names, the summary
function haystack(a) {
  const parts = [a.subject, summaryText(a)];
  const walk = (v) => {
    if (typeof v === "string") {
      parts.push(v);
      if (USCC.test(v)) parts.push(orgName(v));
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(a.evidence);
  if (USCC.test(a.subject || "")) parts.push(orgName(a.subject));
  return parts.join(" \u0000 ").toLowerCase();
}

// two cells, so that a phone shows an alert without scrolling sideways: what and when | about what, and why
function alertRow(a, fresh, status) {
  const ev = a.evidence || {};
  return h("tr.alert" + (fresh ? ".fresh" : "") + ".sev-" + (a.severity || "info"),
    { "data-rule": a.rule, "data-n": a.n, "data-severity": a.severity || "info", "data-status": status },
    h("td.what", { style: "vertical-align:top;min-width:9em" },
      h("div", h("strong", "#" + a.n), " ", badge(a.severity || "info", "severity")),
      h("div", tv("rule", a.rule)),
      h("div", h("small", datetime(a.time))),
      h("div", h("span.badge.s-" + STATUS_BADGE[status], t("reg.status." + status)))),
    h("td.evidence", { style: "vertical-align:top;overflow-wrap:anywhere" },
      h("div.subject", subjectLink(a.subject)),
      h("div.summary", summaryText(a)), ev.tx ? h("small", t("reg.ev.tx"), " ", txLink(ev.tx)) : null, evidenceBox(a)));
}

async function allAlerts() {
  const out = [];
  for (let since = 1; out.length < 10_000;) {
    const page = await api.query("supervision", "alerts", { since, limit: 1000 });
    out.push(...page);
    if (page.length < 1000) break;
    since = page[page.length - 1].n + 1;
  }
  return out;
}

// -- the figures at a glance ------------------------------------------------------------------------
function glance(alerts, frozenCount, actionCount, statusFor) {
  const today = Math.floor((nowMs() + 8 * 3600 * 1000) / DAY_MS); // China days since 1970
  const dayOf = (a) => Math.floor((Number(a.time) * 1000 + 8 * 3600 * 1000) / DAY_MS);
  const week = alerts.filter((a) => today - dayOf(a) < 7).length;
  const kpi = (id, label, value) => h("div.kpi#" + id, h("small", label), h("strong", String(value)));
  const columns = [];
  for (let d = today - TREND_DAYS + 1; d <= today; d++) {
    const values = {};
    for (const a of alerts) if (dayOf(a) === d) values[a.severity || "info"] = (values[a.severity || "info"] || 0) + 1;
    const label = date(d * DAY_MS).slice(5);
    const n = Object.values(values).reduce((x, y) => x + y, 0);
    columns.push({ label, values, title: t("reg.chart_day", { day: date(d * DAY_MS), n }) });
  }
  const series = SEVERITIES.map((s) => ({ key: s, label: tv("severity", s), colour: SEVERITY_COLOURS[s] }));
  const byRule = Object.keys(UNITS).map((r) => ({ key: r, label: tv("rule", r), value: alerts.filter((a) => a.rule === r).length }))
    .filter((x) => x.value > 0).sort((x, y) => y.value - x.value);
  return h("div",
    h("div.kpis",
      kpi("kpi-total", t("reg.kpi_total"), alerts.length),
      kpi("kpi-critical", t("reg.kpi_critical"), alerts.filter((a) => a.severity === "critical").length),
      kpi("kpi-week", t("reg.kpi_week"), week),
      kpi("kpi-open", t("reg.kpi_open"), alerts.filter((a) => statusFor(a) === "open").length),
      kpi("kpi-frozen", t("reg.kpi_frozen"), frozenCount),
      kpi("kpi-actions", t("reg.kpi_actions"), actionCount)),
    h("div.cols",
      h("div#trend", h("h3", t("reg.trend")), stackedCounts(columns, series, { title: t("reg.trend") })),
      h("div#by-rule", h("h3", t("reg.by_rule")), byRule.length ? countBars(byRule, { title: t("reg.by_rule") }) : h("p.empty", t("reg.none_yet")))));
}

// -- the alert table with its filters ------------------------------------------------------------------
function alertTable(alerts, statusFor) {
  const select = (id, label, options) => h("label", h("span", label),
    h("select#" + id, [["", t("reg.all")], ...options].map(([v, l]) => h("option", { value: v }, l))));
  const sev = select("filter-severity", t("reg.filter_severity"), SEVERITIES.map((s) => [s, tv("severity", s)]));
  const rule = select("filter-rule", t("reg.filter_rule"), Object.keys(UNITS).map((r) => [r, tv("rule", r)]));
  const status = select("filter-status", t("reg.filter_status"), STATUSES.map((s) => [s, t("reg.status." + s)]));
  const search = h("label", h("span", t("reg.filter_search")),
    h("input#filter-search", { type: "search", placeholder: t("reg.search_placeholder") }));
  const shown = h("span.note#alerts-shown");
  const empty = h("p.empty#alerts-none", { hidden: true }, t("reg.no_match"));
  const tbody = h("tbody#alerts");
  const text = new Map(); // n -> haystack
  const apply = () => {
    const want = { severity: sev.querySelector("select").value, rule: rule.querySelector("select").value, status: status.querySelector("select").value };
    const q = search.querySelector("input").value.trim().toLowerCase();
    let n = 0;
    for (const tr of tbody.children) {
      const ok = (!want.severity || tr.dataset.severity === want.severity) && (!want.rule || tr.dataset.rule === want.rule) &&
        (!want.status || tr.dataset.status === want.status) && (!q || (text.get(tr.dataset.n) || "").includes(q));
      tr.hidden = !ok;
      if (ok) n++;
    }
    shown.textContent = t("reg.shown", { n, total: tbody.children.length });
    empty.hidden = n > 0 || tbody.children.length === 0;
  };
  const add = (a, fresh) => {
    text.set(String(a.n), haystack(a));
    const tr = alertRow(a, fresh, statusFor(a));
    if (fresh) tbody.prepend(tr);
    else tbody.append(tr);
  };
  [...alerts].reverse().forEach((a) => add(a, false));
  for (const el of [sev, rule, status]) el.querySelector("select").addEventListener("change", apply);
  search.querySelector("input").addEventListener("input", apply);
  const clearBtn = button(t("reg.clear_filters"), () => {
    for (const el of [sev, rule, status]) el.querySelector("select").value = "";
    search.querySelector("input").value = "";
    apply();
  }, "small", { id: "filter-clear" });
  apply();
  const bar = h("div.filters#alert-filters", { style: "display:flex;flex-wrap:wrap;gap:8px 14px;align-items:flex-end;margin-bottom:8px" }, sev, rule, status, search, clearBtn, shown);
  const tableEl = h("table.alert-list", h("thead", h("tr", [t("reg.col_alert"), t("reg.col_subject")].map((x) => h("th", x)))), tbody);
  return { el: h("div", bar, alerts.length ? null : h("p.empty", t("reg.none_yet")), empty, tableEl), add: (a) => { add(a, true); apply(); } };
}

// -- the rules and the threshold proposal ------------------------------------------------------------
function ruleMeaning(rule, fallback) {
  const key = "reg.rule_meaning." + rule;
  return t(key) === key ? fallback : t(key);
}

// three columns (a phone shows them without scrolling): the rule in words, its threshold, a change being voted on
function rulesTable(rules, pending) {
  return table([
    [t("rule"), ([k, v]) => [h("strong", tv("rule", k)), h("br"), h("small", ruleMeaning(k, v.meaning))]],
    [t("reg.current"), ([k, v]) => [h("strong", { "data-rule-value": k }, thresholdText(k, v.value)), h("br"),
      h("small", t("reg.default_is", { v: thresholdText(k, v.default) }))]],
    [t("reg.pending"), ([k]) => (pending[k] || []).map((p, i) => [i ? "; " : null, h("a", { href: "#/v/governance", title: p.id }, "→ " + thresholdText(k, p.params.value))])],
  ], Object.entries(rules), { rowAttrs: ([k]) => ({ "data-rule": k }) });
}

function thresholdForm(rules, refresh) {
  const names = Object.keys(rules).filter((r) => UNITS[r]);
  const ruleSel = h("select#threshold-rule", names.map((r) => h("option", { value: r }, tv("rule", r))));
  const input = h("input#threshold-value", { type: "text", inputmode: "decimal", autocomplete: "off" });
  const onoff = h("select#threshold-switch", [["1", t("reg.on")], ["0", t("reg.off")]].map(([v, l]) => h("option", { value: v }, l)));
  const unit = h("span.unit#threshold-unit");
  const current = h("small#threshold-current");
  const preview = h("small#threshold-preview");
  const error = h("p.error#threshold-error", { role: "alert" });
  const unitOf = () => UNITS[ruleSel.value];
  const typed = () => (unitOf() === "switch" ? onoff.value : input.value);
  const update = () => {
    const u = unitOf();
    input.hidden = u === "switch";
    onoff.hidden = u !== "switch";
    unit.textContent = u === "switch" ? "" : t("reg.unit." + u);
    current.textContent = t("reg.current_is", { v: thresholdText(ruleSel.value, rules[ruleSel.value].value) });
    const r = parseThreshold(u, typed());
    preview.textContent = r.error || u === "switch" ? "" : t("reg.in_contract", { v: contractText(u, r.value) });
    error.textContent = "";
  };
  ruleSel.addEventListener("change", () => {
    input.value = "";
    update();
  });
  input.addEventListener("input", update);
  onoff.addEventListener("change", update);
  const submit = h("button.primary#threshold-submit", { type: "submit" }, t("reg.propose"));
  const f = h("form.form#threshold", { autocomplete: "off" },
    h("label", h("span", t("rule")), ruleSel, current),
    h("label", h("span", t("reg.new_value")), h("span", { style: "display:flex;gap:6px;align-items:center" }, input, onoff, unit), preview),
    error, h("div.actions", submit));
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const rule = ruleSel.value, u = unitOf();
    const r = parseThreshold(u, typed());
    if (!r.error && r.value === Number(rules[rule].value)) r.error = t("reg.err.same");
    if (r.error) {
      error.textContent = r.error; // refused here, before anything is signed
      return;
    }
    submit.disabled = true;
    try {
      const summary = t("reg.proposal_summary", { rule: tv("rule", rule), value: thresholdText(rule, r.value), old: thresholdText(rule, rules[rule].value) });
      const receipt = await signAndSubmit("governance", "propose", { kind: "set_threshold", params: { rule, value: r.value }, summary }, t("reg.set_threshold"));
      if (receipt && receipt.code === "ok") refresh();
    } catch (e) {
      error.textContent = e.msg || e.message;
    } finally {
      submit.disabled = false;
    }
  });
  update();
  return h("div", h("p.note", t("reg.set_threshold_note")), f);
}

// -- the view ---------------------------------------------------------------------------------------
export async function render(el, ctx) {
  const refresh = () => ctx.rerender();
  const governance = !!ctx.session.features.governance;
  const [alerts, frozenList, actionList, rules, proposals] = await Promise.all([
    allAlerts(), api.query("supervision", "frozen_assets"), api.query("supervision", "actions", { limit: 1000 }),
    api.query("supervision", "rules"),
    governance ? api.query("governance", "proposals", { status: "OPEN" }).catch(() => []) : Promise.resolve([]),
  ]);
  const frozen = new Set(frozenList.map((f) => f.asset));
  const statusFor = (a) => statusOf(a, frozen, actionList);
  const counter = h("span#alert-count", String(alerts.length));
  const alertsBox = alertTable(alerts, statusFor);
  const glanceSlot = h("div#glance", glance(alerts, frozen.size, actionList.length, statusFor));
  const seen = new Set(alerts.map((a) => a.n));
  ctx.listen({ contract: "supervision", type: "Alert", blocks: "false" }, (kind, ev) => {
    const a = ev.attrs;
    if (seen.has(a.n)) return;
    seen.add(a.n);
    alerts.push(a);
    alertsBox.add(a);
    counter.textContent = String(seen.size);
    clear(glanceSlot, glance(alerts, frozen.size, actionList.length, statusFor));
  });

  const freezeForm = form([
    { name: "kind", label: t("asset_kind"), type: "select", options: KINDS.map((k) => [k, t(k)]) },
    { name: "id", label: t("asset_id"), placeholder: "V-5-0-1" },
    { name: "reason", label: t("reason"), type: "textarea" },
  ], t("freeze"), async (v) => {
    const r = await signAndSubmit("supervision", "freeze", { asset: `${v.kind}:${v.id}`, reason: v.reason }, t("freeze"));
    if (r && r.code === "ok") refresh();
  }, { id: "freeze" });

  const frozenTable = table([
    [t("asset"), (f) => subjectLink(f.asset)], [t("since"), (f) => datetime(f.at)], [t("by"), (f) => org(f.by)], [t("reason"), (f) => f.reason],
    [t("actions"), (f) => button(t("unfreeze"), async () => {
      const r = await signAndSubmit("supervision", "unfreeze", { asset: f.asset, reason: await askText(t("reason")) }, t("unfreeze"));
      if (r && r.code === "ok") refresh();
    }, "small", { id: `unfreeze-${f.asset.replace(/[^\w-]/g, "_")}` })],
  ], frozenList, { empty: t("nothing_frozen") });

  const actionsTable = table([
    ["#", (a) => a.n], [t("time"), (a) => datetime(a.at)], [t("action"), (a) => t(a.action)], [t("asset"), (a) => subjectLink(a.asset)],
    [t("reason"), (a) => a.reason], [t("tx_hash"), (a) => txLink(a.tx)],
  ], [...actionList].reverse(), { empty: t("none") });

  // the audit export (/v1/audit/export), fetched as a read signed by the regulator
  const audit = ctx.session.features.audit_export
    ? h("div", h("p.note", t("reg.audit_note")), form([
      { name: "ref", label: t("audit_ref"), placeholder: "V-5-0-1 / 91110000MA0000003X", optional: true },
      { name: "format", label: t("format"), type: "select", options: [["xlsx", t("reg.format_xlsx")], ["zip", t("reg.format_zip")], ["csv", t("reg.format_csv")]] },
    ], t("download"), async (v) => {
      const q = new URLSearchParams({ format: v.format });
      if (v.ref) q.set(USCC.test(v.ref) ? "org" : "ref", v.ref);
      window.location.href = `/console/api/read/audit/export?${q}`;
    }, { id: "audit-export" }))
    : h("p.note#audit-hook", t("audit_not_available"));

  const pending = {};
  for (const p of proposals) if (p.kind === "set_threshold" && p.params) (pending[p.params.rule] ||= []).push(p);

  clear(el,
    h("h1", t("view.regulator"), " · ", orgName(ctx.me)),
    section(t("reg.glance"), glanceSlot),
    section(t("live_alerts"), h("p", h("span.live", "● " + t("live")), " ", t("alerts_total"), ": ", counter), alertsBox.el),
    h("div.cols", section(t("freeze_asset"), freezeForm), section(t("frozen_assets"), frozenTable)),
    section(t("risk_rules"), h("div#rules", rulesTable(rules, pending))),
    section(t("reg.set_threshold"), governance ? thresholdForm(rules, refresh) : h("p.note", t("reg.governance_needed"))),
    section(t("audit_export"), audit),
    section(t("governance"), governance ? h("p", h("a", { href: "#/v/governance" }, t("view.governance") + " →")) : h("p.note", t("governance_not_available"))),
    section(t("supervision_actions"), actionsTable));
}
