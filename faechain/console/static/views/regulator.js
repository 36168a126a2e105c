// Regulator: live risk alerts (event stream), freeze and unfreeze with a reason, the
// freeze registry and action log, the audit export, and governance (when deployed).
import * as api from "../api.js";
import { datetime, orgName } from "../fmt.js";
import { t, tv } from "../i18n.js";
import { badge, button, clear, form, h, org, section, signAndSubmit, slot, table, txLink, askText } from "../ui.js";

const KINDS = ["voucher", "invoice", "plan", "package", "product", "holding", "auction"];

function subjectLink(subject) {
  const m = /^(voucher|plan|package|product|auction|invoice):(.+)$/.exec(subject || "");
  if (m) return h("a", { href: `#/explorer/${m[1]}/${encodeURIComponent(m[2])}` }, subject);
  if (/^[0-9A-Z]{18}$/.test(subject || "")) return h("a", { href: `#/explorer/org/${subject}` }, orgName(subject));
  return subject;
}

function alertRow(a, fresh) {
  return h("tr.alert" + (fresh ? ".fresh" : "") + ".sev-" + (a.severity || "info"), { "data-rule": a.rule, "data-n": a.n },
    h("td", a.n), h("td", datetime(a.time)), h("td", badge(a.severity || "info", "severity")), h("td", tv("rule", a.rule)),
    h("td", subjectLink(a.subject)),
    h("td", a.evidence && a.evidence.tx ? txLink(a.evidence.tx) : a.evidence && a.evidence.event ? h("code", a.evidence.event) : "—"),
    h("td.evidence", h("small", a.evidence ? (a.evidence.message || JSON.stringify(a.evidence)).slice(0, 160) : "")));
}

export async function render(el, ctx) {
  const refresh = () => ctx.rerender();
  const alerts = await api.query("supervision", "alerts", { limit: 1000 });
  const tbody = h("tbody#alerts", [...alerts].reverse().slice(0, 200).map((a) => alertRow(a, false)));
  const counter = h("span#alert-count", String(alerts.length));
  const alertBox = h("table.alerts", h("thead", h("tr", ["#", t("time"), t("severity"), t("rule"), t("subject"), t("evidence"), ""].map((x) => h("th", x)))), tbody);
  const seen = new Set(alerts.map((a) => a.n));
  ctx.listen({ contract: "supervision", type: "Alert", blocks: "false" }, (kind, ev) => {
    const a = ev.attrs;
    if (seen.has(a.n)) return;
    seen.add(a.n);
    tbody.prepend(alertRow(a, true));
    counter.textContent = String(seen.size);
  });

  const freezeForm = form([
    { name: "kind", label: t("asset_kind"), type: "select", options: KINDS.map((k) => [k, t(k)]) },
    { name: "id", label: t("asset_id"), placeholder: "V-5-0-1" },
    { name: "reason", label: t("reason"), type: "textarea" },
  ], t("freeze"), async (v) => {
    const r = await signAndSubmit("supervision", "freeze", { asset: `${v.kind}:${v.id}`, reason: v.reason }, t("freeze"));
    if (r && r.code === "ok") refresh();
  }, { id: "freeze" });

  const frozen = slot(async () => table([
    [t("asset"), (f) => subjectLink(f.asset)], [t("since"), (f) => datetime(f.at)], [t("by"), (f) => org(f.by)], [t("reason"), (f) => f.reason],
    [t("actions"), (f) => button(t("unfreeze"), async () => {
      const r = await signAndSubmit("supervision", "unfreeze", { asset: f.asset, reason: await askText(t("reason")) }, t("unfreeze"));
      if (r && r.code === "ok") refresh();
    }, "small", { id: `unfreeze-${f.asset.replace(/[^\w-]/g, "_")}` })],
  ], await api.query("supervision", "frozen_assets"), { empty: t("nothing_frozen") }));

  const actions = slot(async () => table([
    ["#", (a) => a.n], [t("time"), (a) => datetime(a.at)], [t("action"), (a) => t(a.action)], [t("asset"), (a) => subjectLink(a.asset)],
    [t("reason"), (a) => a.reason], [t("tx_hash"), (a) => txLink(a.tx)],
  ], [...(await api.query("supervision", "actions", { limit: 1000 }))].reverse(), { empty: t("none") }));

  // the audit export lives under /v1/audit/export (built alongside the console); the console
  // fetches it as a read signed by the regulator. Shown only when the node serves it.
  const audit = ctx.session.features.audit_export
    ? form([
      { name: "ref", label: t("audit_ref"), placeholder: "V-5-0-1 / 91110000MA0000003X", optional: true },
      { name: "format", label: t("format"), type: "select", options: [["csv", "CSV"], ["xlsx", "XLSX"]] },
    ], t("download"), async (v) => {
      const q = new URLSearchParams({ format: v.format });
      if (v.ref) q.set(/^[0-9A-Z]{18}$/.test(v.ref) ? "org" : "ref", v.ref);
      window.location.href = `/console/api/read/audit/export?${q}`;
    }, { id: "audit-export" })
    : h("p.note#audit-hook", t("audit_not_available"));

  const rules = slot(async () => {
    const r = await api.query("supervision", "rules");
    return table([[t("rule"), ([k]) => tv("rule", k)], [t("value"), ([, v]) => v.value], [t("meaning"), ([, v]) => v.meaning]], Object.entries(r));
  });

  clear(el,
    h("h1", t("view.regulator"), " · ", orgName(ctx.me)),
    section(t("live_alerts"), h("p", h("span.live", "● " + t("live")), " ", t("alerts_total"), ": ", counter), alertBox),
    h("div.cols", section(t("freeze_asset"), freezeForm), section(t("frozen_assets"), frozen)),
    section(t("audit_export"), audit),
    section(t("governance"), ctx.session.features.governance ? h("p", h("a", { href: "#/v/governance" }, t("view.governance") + " →")) : h("p.note", t("governance_not_available"))),
    section(t("supervision_actions"), actions),
    section(t("risk_rules"), rules));
}
