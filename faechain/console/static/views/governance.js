// Governance proposals and votes (the `governance` contract; the view is listed only when the
// node runs that contract). A member that has voted sees its vote, one outside a proposal's
// electorate is told so, and a proposal is made with a form per kind (faechain/modules/governance/
// records.py KINDS), its parameters asked in words, amounts in 元 and shares in %.
import * as api from "../api.js";
import { datetime, parseYuan, yuan } from "../fmt.js";
import { t, tv } from "../i18n.js";
import { RECEIVABLES_UNITS, ruleText, UNITS } from "../thresholds.js";
import { badge, button, clear, form, h, org, section, signAndSubmit, table } from "../ui.js";
import { fen, int, orgOptions, percentBps, stateNote } from "./common.js";

const ORG_TYPES = ["CORE_ENTERPRISE", "SUPPLIER", "FACTOR", "BANK", "AMC", "INVESTOR", "RATING_AGENCY", "REGISTRAR", "INTERMEDIARY",
  "REGISTRY_AGENT", "TAX_SERVICE", "PAYMENT_RAIL"];
// a threshold's unit as a person types it: a share of a product in %, an amount in 元, else a whole number
const RULE_UNITS = { payer_concentration: "pct", large_transfer: "yuan" };
// the contracts whose rules a `set_rule` proposal changes (governance records.py RULE_CONTRACTS); each rule's
// unit (days, an amount in 元, a rate in %, a count, or a switch 1/0) is written once, in thresholds.js
const RULE_CONTRACTS = ["receivables", "supervision"];
const unitOf = (contract, rule) => (contract === "receivables" ? RECEIVABLES_UNITS : UNITS)[rule] || "count";
const UNIT_LABEL = { yuan: "unit.yuan", percent: "unit.pct", days: "outside.unit.days", switch: "outside.unit.switch",
  count: "unit.int" };

// a rule's value as typed, in its unit: 元 to fen (0 allowed: a cap of none), % to basis points, else a whole number
function ruleValue(unit, text, what) {
  if (unit === "yuan") {
    const v = parseYuan(text);
    if (v === null || v < 0) throw new Error(t("outside.bad_yuan", { what }));
    return v;
  }
  if (unit === "percent") return percentBps(text, what);
  const v = int(text, what);
  if (v < 0 || (unit === "switch" && v > 1)) throw new Error(t(unit === "switch" ? "outside.bad_switch" : "bad_number", { what }));
  return v;
}

export async function render(el, ctx) {
  const me = ctx.me;
  const refresh = () => ctx.rerender();
  const sign = async (method, args, title) => {
    const r = await signAndSubmit("governance", method, args, title || t("view.governance"));
    if (r && r.code === "ok") refresh();
  };
  const rows = [];
  for (const status of ["OPEN", "PASSED", "EXECUTED", "REJECTED", "EXPIRED"]) {
    rows.push(...(await api.query("governance", "proposals", { status }).catch(() => [])));
  }

  // what this member may do on a proposal now, or what it did
  const choice = (p) => {
    const mine = p.votes ? p.votes[me] : undefined;
    if (mine !== undefined) return h("span.state-note.voted", { id: `voted-${p.id}` }, h("span.badge." + (mine ? "s-active" : "s-cancelled"), mine ? t("voted_yes") : t("voted_no")), " ", t("state.voted.why"));
    if (p.status !== "OPEN") return null;
    if (!(p.electorate || []).includes(me)) return stateNote("not_electorate", {}, "s-closed");
    return [
      button(t("vote_yes"), () => sign("vote", { proposal: p.id, approve: true }, t("vote_yes")), "small primary", { id: `vote-yes-${p.id}` }),
      button(t("vote_no"), () => sign("vote", { proposal: p.id, approve: false }, t("vote_no")), "small", { id: `vote-no-${p.id}` }),
    ];
  };

  clear(el,
    h("h1", t("view.governance")),
    section(t("proposals"), table([
      [t("id"), (p) => h("code", p.id)], [t("kind"), (p) => tv("gov", p.kind)], [t("summary"), (p) => p.summary || ""],
      [t("proposer"), (p) => org(p.proposer)], [t("votes"), (p) => `${p.yes ?? 0} / ${p.need ?? "?"} (${t("no_votes")} ${p.no ?? 0})`],
      [t("expires"), (p) => datetime(p.expires)], [t("status"), (p) => badge(p.status)],
      [t("actions"), choice],
    ], rows, { empty: t("no_proposals"), rowAttrs: (p) => ({ "data-proposal": p.id }) })),
    section(t("propose"), h("p.note", t("propose_form_note")), proposeForm(sign)));
}

// the form of one kind of proposal: kind chosen first, then its own fields
function proposeForm(sign) {
  const box = h("div");
  const kinds = ["admit_org", "remove_org", "revoke_cert", "set_threshold", "set_rule", "set_validator"];
  const pick = h("select#propose-kind", { "aria-label": t("kind") }, kinds.map((k) => h("option", { value: k }, tv("gov", k))));
  const draw = async () => clear(box, h("p.note", t("gov." + pick.value + ".what")), await kindForm(pick.value, sign));
  pick.addEventListener("change", draw);
  draw();
  return h("div", h("label", h("span", t("proposal_kind")), pick), box);
}

async function kindForm(kind, sign) {
  const summary = { name: "summary", label: t("summary"), type: "textarea", optional: true, placeholder: t("summary_hint") };
  const submit = (params, v) => sign("propose", { kind, params, summary: v.summary || "" }, tv("gov", kind));
  const id = "propose";
  if (kind === "admit_org") {
    return form([
      { name: "org_id", label: t("uscc"), placeholder: "91110000MA0000000X" },
      { name: "name", label: t("org_name") },
      { name: "type", label: t("type"), type: "select", options: ORG_TYPES.map((x) => [x, tv("role", x)]) },
      { name: "ca", label: t("ca_pem"), type: "textarea", placeholder: "-----BEGIN CERTIFICATE-----" },
      { name: "attr", label: t("attributes"), type: "select", options: [["", t("none")], ["qualified", t("attr_qualified")], ["settlement", t("attr_settlement")]], optional: true },
      summary,
    ], t("propose"), (v) => submit({ org_id: v.org_id, name: v.name, type: v.type, ca: v.ca, ...(v.attr ? { attributes: { [v.attr]: true } } : {}) }, v), { id });
  }
  if (kind === "remove_org") {
    return form([
      { name: "org_id", label: t("organisation"), type: "select", options: orgOptions() },
      { name: "reason", label: t("reason") }, summary,
    ], t("propose"), (v) => submit({ org_id: v.org_id, reason: v.reason }, v), { id });
  }
  if (kind === "revoke_cert") {
    return form([
      { name: "cert_id", label: t("cert_id") },
      { name: "org_id", label: t("organisation"), type: "select", options: [["", t("any")], ...orgOptions()], optional: true },
      { name: "reason", label: t("reason") }, summary,
    ], t("propose"), (v) => submit({ cert_id: v.cert_id, reason: v.reason, ...(v.org_id ? { org_id: v.org_id } : {}) }, v), { id });
  }
  if (kind === "set_threshold") {
    const rules = await api.query("supervision", "rules").catch(() => ({}));
    const f = form([
      { name: "rule", label: t("rule"), type: "select", options: Object.keys(rules).map((r) => [r, tv("rule", r)]) },
      { name: "value", label: t("new_value"), hint: "" }, summary,
    ], t("propose"), (v) => {
      const unit = RULE_UNITS[v.rule];
      const value = unit === "yuan" ? fen(v.value, t("new_value")) : unit === "pct" ? percentBps(v.value, t("new_value")) : int(v.value, t("new_value"));
      return submit({ rule: v.rule, value }, v);
    }, { id });
    const hint = f.querySelector("#propose-value").nextElementSibling || f.querySelector("#propose-value").parentElement.appendChild(h("small"));
    const show = () => {
      const r = rules[f.inputs.rule.value];
      if (!r) return;
      const unit = RULE_UNITS[f.inputs.rule.value];
      const now = unit === "yuan" ? yuan(r.value) : unit === "pct" ? (r.value / 100).toFixed(2) + "%" : String(r.value);
      hint.textContent = t("threshold_now", { now, unit: t("unit." + (unit || "int")) });
    };
    f.inputs.rule.addEventListener("change", show);
    show();
    return f;
  }
  if (kind === "set_rule") {
    // one list of every rule a vote may set, each named with its contract ("应收账款 · 最长期限")
    const rules = {};
    for (const c of RULE_CONTRACTS) {
      for (const [r, v] of Object.entries(await api.query(c, "rules").catch(() => ({})))) rules[`${c}:${r}`] = v;
    }
    const f = form([
      { name: "rule", label: t("rule"), type: "select", options: Object.keys(rules).map((k) => {
        const [c, r] = k.split(":");
        return [k, `${tv("outside.contract", c)} · ${tv("rule", r)}`];
      }) },
      { name: "value", label: t("outside.new_value"), hint: "" }, summary,
    ], t("propose"), (v) => {
      const [contract, rule] = v.rule.split(":");
      return submit({ contract, rule, value: ruleValue(unitOf(contract, rule), v.value, t("outside.new_value")) }, v);
    }, { id });
    const hint = f.querySelector("#propose-value").nextElementSibling || f.querySelector("#propose-value").parentElement.appendChild(h("small"));
    const show = () => {
      const r = rules[f.inputs.rule.value];
      if (!r) return;
      const [contract, rule] = f.inputs.rule.value.split(":");
      hint.textContent = t("threshold_now", { now: ruleText(contract, rule, r.value), unit: t(UNIT_LABEL[unitOf(contract, rule)]) });
    };
    f.inputs.rule.addEventListener("change", show);
    show();
    return f;
  }
  return form([
    { name: "pub_key", label: t("validator_key"), placeholder: "64 hex" },
    { name: "power", label: t("voting_power"), value: "10", hint: t("voting_power_hint") },
    { name: "name", label: t("validator_name"), optional: true },
    { name: "org_id", label: t("organisation"), type: "select", options: [["", t("none")], ...orgOptions()], optional: true },
    summary,
  ], t("propose"), (v) => submit({ pub_key: v.pub_key, power: int(v.power, t("voting_power")), ...(v.name ? { name: v.name } : {}), ...(v.org_id ? { org_id: v.org_id } : {}) }, v), { id });
}

