// What the outside services said, as the desks that depend on it read it (docs/outside-world.md):
// an invoice's verification by the tax service (a badge, and for a mismatch what differs), and
// whether a financing may be funded yet after the registry agent's attestation and search — the
// same test as the contract's `funding_refusal` (receivables/registration.py), so that Fund is
// offered exactly when the chain would accept it.
import { orgName, yuan } from "../fmt.js";
import { t } from "../i18n.js";
import { h } from "../ui.js";

// the badge colour of each verification status (style.css's status classes)
const VERIFY_CLASS = { UNVERIFIED: "s-issued", VERIFIED: "s-active", MISMATCH: "s-overdue", VOIDED: "s-cancelled" };

export function verificationOf(inv) {
  return (inv && inv.verification && inv.verification.status) || "UNVERIFIED";
}

// 已查验 / 未查验 / 不一致 / 已作废, with what differs (a mismatch) or why (voided) beneath
export function verificationCell(inv) {
  const v = (inv && inv.verification) || {};
  const status = verificationOf(inv);
  const out = [h(`span.badge.${VERIFY_CLASS[status] || "s-issued"}`, { "data-verification": status }, t("inv." + status))];
  if (status === "MISMATCH") {
    const rows = Object.entries(v.differences || {}).map(([field, [ours, theirs]]) => {
      const show = (x) => (field === "amount" ? yuan(x) : orgName(x));
      return h("li", t("inv.difference", { field: t("inv.field." + field), ours: show(ours), theirs: show(theirs) }));
    });
    out.push(h("ul.differences", rows));
  } else if (status === "VOIDED" && v.reason) {
    out.push(h("small", " ", t("inv.voided_note", { reason: v.reason })));
  }
  return out;
}

// the fields the registry attests, each against the financing's own (registration.py MATCHED)
const MATCHED = [["reg_no", "registration"], ["kind", "kind"], ["creditor", "funder"], ["debtor", "holder"],
  ["amount", "amount"], ["voucher", "voucher"]];

function shown(field, value) {
  if (field === "amount") return yuan(value);
  if (field === "creditor" || field === "debtor") return orgName(value);
  if (field === "kind") return t("kind_short." + value);
  return String(value);
}

// May a REGISTERED financing be funded now, as far as the registry is concerned?
// -> {ok: true} or {ok: false, key: badge label, lines: [sentences]}. `required`: the rule
// registration_before_funding (1 unless a governance vote turned it off).
export function registryState(f, required = true) {
  if (!required) return { ok: true };
  const a = f.attestation;
  if (!a) return { ok: false, key: "reg.awaiting", lines: [t("reg.awaiting_attestation", { reg: f.registration || "—" })] };
  const want = { ...f, kind: f.kind || "ASSIGNMENT" };
  const wrong = MATCHED.filter(([field, own]) => a[field] !== want[own]);
  if (wrong.length) {
    return { ok: false, key: "reg.mismatch", cls: "s-overdue", lines: wrong.map(([field, own]) =>
      t("reg.differs", { field: t("reg.field." + field), theirs: shown(field, a[field]), ours: shown(field, want[own]) })) };
  }
  if (!f.search) return { ok: false, key: "reg.awaiting", lines: [t("reg.awaiting_search")] };
  if ((f.search.earlier || []).length) {
    return { ok: false, key: "reg.mismatch", cls: "s-overdue", lines: [t("reg.earlier", { list: f.search.earlier.join(", ") })] };
  }
  return { ok: true };
}

// what stands in a financing row instead of Fund while the registry has not cleared it
export function registryNote(state, id) {
  return h("div.state-note", { id: `registry-${id}` },
    h(`span.badge.${state.cls || "s-issued"}`, t(state.key)), " ",
    state.lines.length === 1 ? state.lines[0] : h("ul.differences", state.lines.map((l) => h("li", l))));
}

// 转让 / 质押
export function kindLabel(f) {
  return t("kind_short." + ((f && f.kind) || "ASSIGNMENT"));
}
