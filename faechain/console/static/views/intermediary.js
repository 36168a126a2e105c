// Intermediary (中介机构: underwriter, law firm, accountant …): the plans it underwrites (plans
// contract: file, establish, disclose, register documents, declare a default, close or withdraw)
// and the NPA packages it does the due diligence on or was appointed to inspect (npa contract:
// record_due_diligence, inspect). Each row offers what the member may do now, or says why not.
// A document's bytes stay with the member: the chain keeps its SHA-256, hashed here from the
// text typed (or typed as a hash, with its size).
import { date, datetime, orgName, short, yuan } from "../fmt.js";
import { t, tv } from "../i18n.js";
import { askText, badge, button, clear, dialog, form, h, org, section, signAndSubmit, table } from "../ui.js";
import { day, disclosureTitle, hashOf, int, nowSeconds } from "./common.js";
import { DAY, intermediaryDesk, planSteps, poolNeeded } from "./todos.js";

// the contracts' words (plans/records.py DOC_KINDS, DISCLOSURE_KINDS; npa/records.py OPINIONS, RESULTS)
const PLAN_DOC_KINDS = ["prospectus", "legal_opinion", "report", "contract", "invoice", "bank_statement", "rating", "other"];
const DISCLOSURE_KINDS = ["periodic", "major_event", "initial"];
const OPINIONS = ["clean", "qualified", "adverse"];
const RESULTS = ["compliant", "deficient"];
const link = (kind, id) => h("a", { href: `#/explorer/${kind}/${encodeURIComponent(id)}`, title: id }, id);

// a document as typed: its text (hashed here) or a 64-hex hash with its size in bytes
async function documentOf(text, sizeText) {
  const s = String(text || "").trim();
  if (!s) throw new Error(t("imd.document_missing"));
  if (/^[0-9a-f]{64}$/.test(s)) {
    if (!String(sizeText || "").trim()) throw new Error(t("imd.size_needed"));
    return { hash: s, size: int(sizeText, t("imd.size")), media_type: "application/octet-stream" };
  }
  return { hash: await hashOf(s), size: new TextEncoder().encode(s).length, media_type: "text/plain" };
}

export async function render(el, ctx) {
  const now = nowSeconds();
  const desk = await intermediaryDesk(ctx.me);
  const sign = async (contract, method, args, title) => {
    const r = await signAndSubmit(contract, method, args, title);
    if (r && r.code === "ok") ctx.rerender();
    return r;
  };
  const plans = desk.plans.map((v) => v.plan);
  const planOptions = (ok) => plans.filter(ok).map((p) => [p.id, `${p.id} · ${p.name}`]);

  // -- plans -----------------------------------------------------------------------------------
  const planBox = table([
    [t("plan"), (p) => link("plan", p.id)], [t("name"), (p) => p.name], [t("sponsor"), (p) => org(p.sponsor)],
    [t("status"), (p) => badge(p.status)], [t("size"), (p) => yuan(p.size)],
    [t("imd.pool"), (p) => [yuan(p.pooled), h("br"), h("small", t("imd.needed"), " ", yuan(poolNeeded(p)))]],
    [t("imd.dates"), (p) => (p.status === "LISTED" ? `${date(p.opens)} – ${date(p.closes)}` : p.maturity ? `${t("maturity")} ${date(p.maturity)}` : "—")],
    [t("subscribed"), (p) => (p.subscribed ? yuan(p.subscribed) : "—")],
    [t("reg.now"), (p) => planActions(p, now, sign)],
  ], plans, { empty: t("imd.no_plans"), rowAttrs: (p) => ({ "data-plan": p.id }) });

  const items = desk.plans.flatMap((v) => v.disclosures.map((d) => ({ ...d, docs: v.documents || [] })));
  const shown = items.filter((d) => ["SCHEDULED", "OVERDUE"].includes(d.status) || (d.status === "PUBLISHED"));
  const disclosureBox = table([
    [t("plan"), (d) => link("plan", d.plan)], ["#", (d) => d.n], [t("kind"), (d) => tv("dkind", d.kind)], [t("title"), (d) => disclosureTitle(d.title)],
    [t("due"), (d) => [datetime(d.due), d.status === "SCHEDULED" ? h("br") : null, d.status === "SCHEDULED" ? h("small", dueIn(d.due - now)) : null]],
    [t("status"), (d) => [badge(d.status), d.late ? h("small", " " + t("imd.late")) : null]],
    [t("reg.now"), (d) => (d.status === "PUBLISHED"
      ? button(t("imd.correct"), () => publish(d, true, sign), "small", { id: `correct-${d.plan}-${d.n}` })
      : button(t("imd.publish"), () => publish(d, false, sign), "small primary", { id: `publish-${d.plan}-${d.n}` }))],
  ], shown.sort((a, b) => (a.status === "PUBLISHED") - (b.status === "PUBLISHED") || a.due - b.due),
  { empty: t("imd.no_disclosures"), rowAttrs: (d) => ({ "data-item": `${d.plan}-${d.n}` }) });

  const open = (p) => p.status !== "CLOSED";
  const docForm = form([
    { name: "plan", label: t("plan"), type: "select", options: planOptions(open) },
    { name: "kind", label: t("kind"), type: "select", options: PLAN_DOC_KINDS.map((k) => [k, tv("doc", k)]) },
    { name: "name", label: t("imd.doc_name") },
    { name: "text", label: t("imd.doc_text"), type: "textarea", hint: t("imd.doc_hint") },
    { name: "size", label: t("imd.size"), optional: true, hint: t("imd.size_hint") },
  ], t("imd.register_document"), async (v) => {
    const d = await documentOf(v.text, v.size);
    await sign("plans", "register_document", { plan: v.plan, name: v.name, kind: v.kind, ...d }, t("imd.register_document"));
  }, { id: "plan-document" });

  const scheduleForm = form([
    { name: "plan", label: t("plan"), type: "select", options: planOptions((p) => !["CLOSED"].includes(p.status)) },
    { name: "kind", label: t("kind"), type: "select", options: DISCLOSURE_KINDS.map((k) => [k, tv("dkind", k)]) },
    { name: "title", label: t("title") },
    { name: "due", label: t("due"), type: "date", value: new Date((now + 30 * DAY + 8 * 3600) * 1000).toISOString().slice(0, 10) },
  ], t("imd.schedule"), (v) => sign("plans", "schedule_disclosure", { plan: v.plan, kind: v.kind, title: v.title, due: day(v.due) + DAY - 1 }, t("imd.schedule")), { id: "schedule" });

  const eventForm = form([
    { name: "plan", label: t("plan"), type: "select", options: planOptions((p) => !["DRAFT", "CLOSED"].includes(p.status)) },
    { name: "title", label: t("title"), placeholder: t("imd.event_placeholder") },
  ], t("imd.report_event"), (v) => sign("plans", "report_event", { plan: v.plan, title: v.title }, t("imd.report_event")), { id: "major-event" });

  clear(el,
    h("h1", t("view.intermediary"), " · ", orgName(ctx.me)),
    section(t("imd.plans"), h("p.note", t("imd.plans_note")), planBox),
    section(t("imd.disclosures"), h("p.note", t("imd.disclosures_note")), disclosureBox),
    plans.some(open) ? h("div.cols",
      section(t("imd.register_document"), h("p.note", t("imd.register_note")), docForm),
      section(t("imd.schedule"), scheduleForm, h("h3", t("imd.report_event")), eventForm)) : null,
    ...packageSections(desk, sign));
}

function dueIn(seconds) {
  const days = Math.floor(Math.abs(seconds) / DAY);
  return seconds >= 0 ? t("imd.due_in", { n: days }) : t("imd.overdue_by", { n: days });
}

function planActions(p, now, sign) {
  const out = planSteps(p, now).map((step) => step === "close"
    ? button(t("imd.step.close"), async () => sign("plans", "close", { plan: p.id, reason: await askText(t("reason")) }, t("imd.step.close")), "small primary", { id: `close-${p.id}` })
    : button(t("imd.step." + step), () => sign("plans", step, { plan: p.id }, t("imd.step." + step)), "small primary", { id: `${step}-${p.id}` }));
  if (!out.length) out.push(h("span.state-why", t("imd.why." + p.status, { needed: yuan(poolNeeded(p)), closes: datetime(p.closes) })));
  if (["DRAFT", "FILED", "LISTED"].includes(p.status) && !planSteps(p, now).includes("close")) {
    out.push(h("br"), button(t("imd.withdraw"), async () => sign("plans", "close", { plan: p.id, reason: await askText(t("imd.withdraw_reason")) }, t("imd.withdraw")), "small", { id: `withdraw-${p.id}` }));
  }
  if (["ESTABLISHED", "OUTSTANDING"].includes(p.status)) {
    out.push(h("br"), button(t("imd.declare_default"), async () => sign("plans", "declare_default", { plan: p.id, reason: await askText(t("imd.default_reason")) }, t("imd.declare_default")), "small", { id: `default-${p.id}` }));
  }
  return out;
}

// publish a scheduled item (or correct a published one) with a summary and the plan's documents
async function publish(d, correcting, sign) {
  const summary = h("textarea#publish-summary", { rows: 4 });
  const reason = correcting ? h("input#publish-reason", { type: "text" }) : null;
  const docs = d.docs.filter((x) => !x.superseded_by);
  const boxes = docs.map((x) => h("input", { type: "checkbox", value: x.hash, id: `publish-doc-${x.hash.slice(0, 12)}` }));
  const ok = await dialog(t(correcting ? "imd.correct" : "imd.publish") + ` · ${d.plan} #${d.n}`, h("div.form",
    h("p.note", disclosureTitle(d.title)),
    h("label", h("span", t("summary")), summary),
    reason ? h("label", h("span", t("imd.correction_reason")), reason) : null,
    h("p", t("documents")),
    docs.length ? h("div.doc-picks", docs.map((x, i) => h("label.check", boxes[i], " ", tv("doc", x.kind), " · ", x.name, " ", h("code", short(x.hash, 10))))) : h("p.empty", t("imd.no_documents"))),
  [[t("cancel"), false, "", "publish-cancel"], [t("ok"), true, "primary", "publish-ok"]]);
  if (!ok) return;
  const documents = boxes.filter((b) => b.checked).map((b) => b.value);
  if (!summary.value.trim()) throw new Error(t("imd.summary_missing"));
  const args = { plan: d.plan, item: d.n, summary: summary.value.trim(), documents };
  if (correcting) await sign("plans", "correct", { ...args, reason: reason.value.trim() }, t("imd.correct"));
  else await sign("plans", "publish", args, t("imd.publish"));
}

// -- NPA packages: due diligence and inspection ------------------------------------------------------
function packageSections(desk, sign) {
  const cols = (extra) => [
    [t("package"), (v) => link("package", v.package.id)], [t("name"), (v) => v.package.name], [t("seller"), (v) => org(v.package.seller)],
    [t("status"), (v) => badge(v.package.status)], [t("principal"), (v) => yuan(v.package.principal)], [t("loans"), (v) => v.package.loans.length],
    ...extra,
  ];
  const ddOpen = desk.dd.filter((v) => v.package.status === "DUE_DILIGENCE" && !v.package.due_diligence);
  const ddBox = table(cols([
    [t("imd.dd"), (v) => (v.package.due_diligence ? `${tv("opinion", v.package.due_diligence.opinion)} · ${date(v.package.due_diligence.at)}` : "—")],
    [t("reg.now"), (v) => (ddOpen.includes(v) ? h("span.state-why", t("imd.why.dd_open")) : h("span.state-why", t("imd.why.dd_done")))],
  ]), desk.dd, { empty: t("imd.no_dd"), rowAttrs: (v) => ({ "data-package": v.package.id }) });
  const ddForm = ddOpen.length ? reportForm("dd", ddOpen, "opinion", OPINIONS, "due_diligence", "record_due_diligence", sign) : null;

  const toInspect = desk.inspections.filter((v) => v.package.status === "POST_TRANSFER");
  const inspectBox = table(cols([
    [t("imd.dispositions"), (v) => v.package.dispositions],
    [t("imd.inspection"), (v) => (v.package.inspection ? `${tv("result", v.package.inspection.result)} · ${date(v.package.inspection.at)}` : "—")],
    [t("reg.now"), (v) => h("span.state-why", t(toInspect.includes(v) ? "imd.why.inspect" : v.package.status === "NOTICED" ? "imd.why.noticed" : "imd.why.inspected"))],
  ]), desk.inspections, { empty: t("imd.no_inspections"), rowAttrs: (v) => ({ "data-package": v.package.id }) });
  const inspectForm = toInspect.length ? reportForm("inspect", toInspect, "result", RESULTS, "inspection", "inspect", sign) : null;

  return [
    section(t("imd.due_diligence"), h("p.note", t("imd.dd_note")), ddBox, ddForm),
    section(t("imd.inspections"), h("p.note", t("imd.inspect_note")), inspectBox, inspectForm),
  ];
}

// the report of a due diligence or an inspection: registered as a package document, then recorded
function reportForm(id, packages, field, words, docKind, method, sign) {
  return form([
    { name: "package", label: t("package"), type: "select", options: packages.map((v) => [v.package.id, `${v.package.id} · ${v.package.name}`]) },
    { name: field, label: t("imd." + field), type: "select", options: words.map((w) => [w, tv(field, w)]) },
    { name: "name", label: t("imd.report_name"), value: t("imd.report_name_" + id) },
    { name: "text", label: t("imd.report_text"), type: "textarea", hint: t("imd.doc_hint") },
    { name: "size", label: t("imd.size"), optional: true, hint: t("imd.size_hint") },
    { name: "remarks", label: t("imd.remarks"), type: "textarea", optional: true },
  ], t("imd.submit_" + id), async (v) => {
    const d = await documentOf(v.text, v.size);
    const pkg = packages.find((x) => x.package.id === v.package);
    if (!(pkg.documents || []).some((x) => x.hash === d.hash)) { // registered first, unless it already is
      // not `sign`: its redraw would close the dialog of the second step
      const r = await signAndSubmit("npa", "register_document", { package: v.package, kind: docKind, name: v.name, ...d }, t("imd.register_report"));
      if (!r || r.code !== "ok") return;
    }
    const args = { package: v.package, [field]: v[field], report_hash: d.hash };
    if (v.remarks) args[method === "inspect" ? "remarks" : "summary"] = v.remarks;
    await sign("npa", method, args, t("imd.submit_" + id));
  }, { id: `${id}-form` });
}
