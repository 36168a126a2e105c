// Sentences of what a transaction will do: receivables, supervision, membership, governance.
// Each entry is async (a, c) => [sentence, ...] with `a` the call's arguments and `c` the kit of
// outcomes.js (reads that answer null on failure, names, amounts, labels). An entry reads state
// only to say more; with every read null it still says what the arguments say.
import { ruleText, thresholdText } from "./thresholds.js";

// a voucher piece and its root, or nulls
async function voucherOf(c, id) {
  const got = await c.read("receivables", "voucher", { id });
  return got && got.voucher ? [got.voucher, got.root || null] : [null, null];
}

// the rest of a sentence about a governance proposal kind
function proposalWhat(c, kind, p) {
  p = p || {};
  if (kind === "admit_org") return c.s("gov.admit_org", { name: p.name || "—", org: p.org_id || "—", type: c.label("role", p.type) });
  if (kind === "revoke_cert") return c.s("gov.revoke_cert", { cert: c.short(p.cert_id), org: c.who(p.org_id) });
  if (kind === "remove_org") return c.s("gov.remove_org", { org: c.who(p.org_id) });
  if (kind === "set_threshold") return c.s("gov.set_threshold", { rule: c.label("rule", p.rule), value: (p.value === undefined || p.value === null ? "—" : thresholdText(p.rule, p.value)) });
  if (kind === "set_rule") {
    const value = p.value === undefined || p.value === null ? "—" : ruleText(p.contract, p.rule, p.value);
    return c.s("gov.set_rule", { contract: c.label("outside.contract", p.contract), rule: c.label("rule", p.rule), value });
  }
  if (kind === "set_validator") {
    const v = p.name || (p.org_id ? c.who(p.org_id) : c.short(p.pub_key));
    return Number(p.power) === 0 ? c.s("gov.remove_validator", { v }) : c.s("gov.set_validator", { v, power: p.power });
  }
  return c.s("gov.other", { kind });
}

// a risk threshold in its unit (supervision.rules: fen, basis points, days or a count)
export const CLAIMS = {
  // -- receivables ---------------------------------------------------------------------------
  "receivables.register_invoice": async (a, c) => [
    c.s("rcv.register_invoice", { invoice: `${a.code}-${a.number}`, buyer: c.who(a.buyer), amount: c.m(a.amount), date: c.d(a.date) }),
    c.s("rcv.register_invoice_once"),
  ],
  "receivables.grant_credit": async (a, c) => {
    const credit = await c.read("receivables", "credit", { core: a.core });
    const old = credit && (credit.lines || []).find((l) => l.bank === c.me);
    return [
      c.s("rcv.grant_credit", { core: c.who(a.core), amount: c.m(a.amount), expires: c.d(a.expires) }),
      old ? c.s("rcv.grant_credit_replaces", { old: c.m(old.amount) }) : c.s("rcv.grant_credit_new"),
    ];
  },
  "receivables.issue": async (a, c) => {
    const n = (a.invoices || []).length;
    const out = [c.s("rcv.issue", { to: c.who(a.to), amount: c.m(a.amount), maturity: c.d(a.maturity), n })];
    const credit = await c.read("receivables", "credit", { core: c.me });
    if (credit && typeof credit.headroom === "number" && typeof a.amount === "number") {
      out.push(c.s("rcv.issue_headroom", { before: c.m(credit.headroom), after: c.m(credit.headroom - a.amount) }));
    }
    if (a.settlement_bank) out.push(c.s("rcv.issue_bank", { bank: c.who(a.settlement_bank) }));
    return out;
  },
  "receivables.accept": async (a, c) => {
    const [v] = await voucherOf(c, a.id);
    return v ? [c.s("rcv.accept", { id: a.id, payer: c.who(v.payer), amount: c.m(v.amount), maturity: c.d(v.maturity) })]
      : [c.s("rcv.accept_plain", { id: a.id })];
  },
  "receivables.reject": async (a, c) => {
    const [v] = await voucherOf(c, a.id);
    return [v ? c.s("rcv.reject", { id: a.id, amount: c.m(v.amount) }) : c.s("rcv.reject_plain", { id: a.id }), c.reason(a.reason)];
  },
  "receivables.transfer": async (a, c) => {
    const [v] = await voucherOf(c, a.id);
    const vars = { to: c.who(a.to), id: a.id, amount: c.m(a.amount) };
    const recourse = a.recourse ? [c.s("pay.transfer_recourse", { to: c.who(a.to) })] : [];
    if (!v || typeof v.amount !== "number" || typeof a.amount !== "number") return [c.s("rcv.transfer_plain", vars), ...recourse];
    const owed = v.amount - (v.paid || 0);  // what is still owed on it moves
    const out = [a.amount >= owed ? c.s("rcv.transfer_all", vars)
      : c.s("rcv.transfer_part", { ...vars, rest: c.m(owed - a.amount) })];
    out.push(c.s("rcv.transfer_payer", { payer: c.who(v.payer), maturity: c.d(v.maturity) }));
    return [...out, ...recourse];
  },
  "receivables.request_financing": async (a, c) => {
    const out = [c.s("rcv.request_financing", { funder: c.who(a.funder), id: a.id, amount: c.m(a.amount), rate: c.pct(a.rate_bps) })];
    const [v] = await voucherOf(c, a.id);
    const est = v && discountEstimate(a.amount, a.rate_bps, v.maturity, c.now());
    if (est) out.push(c.s("rcv.financing_estimate", { maturity: c.d(v.maturity), days: est.days, discount: c.m(est.discount), advance: c.m(est.advance) }));
    return out;
  },
  "receivables.cancel_financing": async (a, c) => {
    const f = await c.read("receivables", "financing", { id: a.financing });
    return [f ? c.s("rcv.cancel_financing", { financing: a.financing, id: f.voucher, amount: c.m(f.amount) })
      : c.s("rcv.cancel_financing_plain", { financing: a.financing }), c.reason(a.reason)];
  },
  "receivables.record_registration": async (a, c) => [c.s("rcv.record_registration", { financing: a.financing, reg: a.reg_no })],
  // the outside services' attestations (docs/outside-world.md; labels in strings/outside.js)
  "receivables.verify_invoice": async (a, c) => [a.status === "VOIDED"
    ? c.s("rcv.verify_invoice_voided", { invoice: a.invoice, ref: a.reference })
    : c.s("rcv.verify_invoice", { invoice: a.invoice, seller: c.who(a.seller), buyer: c.who(a.buyer), amount: c.m(a.amount), ref: a.reference })],
  "receivables.void_invoice": async (a, c) => [c.s("rcv.void_invoice", { invoice: a.invoice, ref: a.reference }), c.reason(a.reason)],
  "receivables.attest_registration": async (a, c) => [c.s("rcv.attest_registration", {
    reg: a.reg_no, kind: c.label("kind", a.kind), creditor: c.who(a.creditor), debtor: c.who(a.debtor), amount: c.m(a.amount),
    voucher: a.voucher, financing: a.financing })],
  "receivables.attest_search": async (a, c) => [a.earlier && a.earlier.length
    ? c.s("rcv.attest_search_found", { search: a.search_no, earlier: c.list(a.earlier), financing: a.financing })
    : c.s("rcv.attest_search_clear", { search: a.search_no, financing: a.financing })],
  "receivables.attest_release": async (a, c) => [c.s("rcv.attest_release", { financing: a.financing, ref: a.reference })],
  "receivables.acknowledge_notice": async (a, c) => [c.s("rcv.acknowledge_notice", { financing: a.financing })],
  "receivables.fund": async (a, c) => {
    const f = await c.read("receivables", "financing", { id: a.financing });
    if (!f) return [c.s("rcv.fund_plain", { financing: a.financing })];
    const out = [c.s("rcv.fund", { financing: a.financing, id: f.voucher, amount: c.m(f.amount), holder: c.who(f.holder) })];
    const [v] = await voucherOf(c, f.voucher);
    const est = v && discountEstimate(f.amount, f.rate_bps, v.maturity, c.now());
    if (est) out.push(c.s("rcv.fund_pay", { holder: c.who(f.holder), advance: c.m(est.advance), discount: c.m(est.discount), rate: c.pct(f.rate_bps), days: est.days }));
    return out;
  },
  "receivables.confirm_payment": async (a, c) => {
    const [v, root] = await voucherOf(c, a.root);
    const vars = { root: a.root, amount: c.m(a.amount), ref: a.bank_ref, payer: v ? c.who(v.payer) : "—" };
    return [v ? c.s("rcv.confirm_payment", vars) : c.s("rcv.confirm_payment_plain", vars),
      root && root.live_count ? c.s("rcv.confirm_payment_pieces", { n: root.live_count }) : c.s("rcv.confirm_payment_prorata")];
  },
  "receivables.freeze": async (a, c) => [c.s("rcv.freeze", { id: a.id }), c.reason(a.reason)],
  "receivables.unfreeze": async (a, c) => [c.s("rcv.unfreeze", { id: a.id }), c.reason(a.reason)],

  // -- supervision ---------------------------------------------------------------------------
  "supervision.freeze": async (a, c) => [c.s("sup.freeze", { asset: a.asset }), c.reason(a.reason)],
  "supervision.unfreeze": async (a, c) => [c.s("sup.unfreeze", { asset: a.asset }), c.reason(a.reason)],

  // -- membership ----------------------------------------------------------------------------
  "membership.admit": async (a, c) => [c.s("mem.admit", { name: a.name, org: a.org_id, type: c.label("role", a.type) })],
  "membership.set_attributes": async (a, c) => [c.s("mem.set_attributes", {
    org: c.who(a.org_id),
    attrs: Object.entries(a.attributes || {}).map(([k, v]) => `${c.label("attr", k)} = ${typeof v === "boolean" ? c.s(v ? "yes" : "no") : JSON.stringify(v)}`).join(c.s("sep")) || "—",
  })],
  "membership.revoke": async (a, c) => [c.s("mem.revoke", { org: c.who(a.org_id), cert: c.short(a.cert_id) }), c.reason(a.reason)],
  "membership.register_person": async (a, c) => [c.s("mem.register_person", { org: c.who(a.org_id), person: c.short(a.person) })],
  "membership.request_erasure": async (a, c) => [c.s("person.request_erasure", { person: c.short(a.person) }), c.reason(a.reason)],
  "membership.approve_erasure": async (a, c) => [c.s("person.approve_erasure", { person: c.short(a.person) })],
  "membership.reject_erasure": async (a, c) => [c.s("person.reject_erasure", { person: c.short(a.person) }), c.reason(a.reason)],

  // -- governance ----------------------------------------------------------------------------
  "governance.propose": async (a, c) => [
    c.s("gov.propose", { what: proposalWhat(c, a.kind, a.params) }),
    a.summary ? c.s("gov.summary", { summary: a.summary }) : null,
  ],
  "governance.vote": async (a, c) => {
    const p = await c.read("governance", "proposal", { id: a.proposal });
    const vote = c.s(a.approve ? "gov.yes" : "gov.no");
    if (!p) return [c.s("gov.vote_plain", { id: a.proposal, vote })];
    const out = [c.s("gov.vote", { id: a.proposal, vote, what: p.summary || proposalWhat(c, p.kind, p.params) })];
    if (a.approve && typeof p.yes === "number" && p.yes + 1 >= p.need) out.push(c.s("gov.vote_carries", { need: p.need }));
    else if (typeof p.yes === "number") out.push(c.s("gov.vote_tally", { yes: p.yes + (a.approve ? 1 : 0), need: p.need }));
    return out;
  },
  "governance.execute": async (a, c) => {
    const p = await c.read("governance", "proposal", { id: a.proposal });
    return [p ? c.s("gov.execute", { id: a.proposal, what: p.summary || proposalWhat(c, p.kind, p.params) }) : c.s("gov.execute_plain", { id: a.proposal })];
  },
};

// the discount and advance a funder would pay today for `fen` at `bps` a year to `maturity`
// (as receivables.fund computes them: whole days rounded up, a 365-day year; `now` in seconds of
// the chain's clock); null if unknown
function discountEstimate(fen, bps, maturity, now) {
  if (typeof fen !== "number" || typeof bps !== "number" || typeof maturity !== "number") return null;
  const days = Math.max(0, Math.ceil((maturity - now) / 86400));
  const discount = Number((BigInt(fen) * BigInt(bps) * BigInt(days)) / (10000n * 365n));
  return { days, discount, advance: fen - discount };
}
