// Sentences of what a transaction will do on the payment leg (issue 20): the payments contract
// and the receivables steps that pay vouchers. Same shape as outcomes_claims.js.
const condText = (c, cond) => {
  if (!cond || typeof cond !== "object") return "—";
  if (cond.kind === "confirmed") return c.s("pay.cond_confirmed", { org: c.who(cond.by), what: cond.what || "—" });
  if (cond.kind === "voucher_delivered") return c.s("pay.cond_voucher", { id: cond.piece || "—", to: c.who(cond.to), amount: c.m(cond.amount) });
  return String(cond.kind);
};

export const PAYMENTS = {
  "payments.register_account": async (a, c) => [c.s("pay.register_account", { rail: c.who(a.rail), account: a.account })],
  "payments.confirm": async (a, c) => {
    const rows = Array.isArray(a.results) ? a.results : [];
    const paid = rows.filter((r) => r[1] === "PAID").length;
    return [c.s("pay.confirm", { paid, failed: rows.length - paid }), c.s("pay.confirm_effect")];
  },
  "payments.retry": async (a, c) => [c.s("pay.retry", { id: a.instruction })],
  "payments.create_conditional": async (a, c) => [c.s("pay.create_conditional", { payee: c.who(a.payee), amount: c.m(a.amount), rail: c.who(a.rail) }),
    c.s("pay.when", { cond: condText(c, a.condition), expires: c.d(a.expires) })],
  "payments.reserve": async (a, c) => [c.s("pay.reserve", { id: a.payment, ref: a.rail_ref })],
  "payments.decline": async (a, c) => [c.s("pay.decline", { id: a.payment }), c.reason(a.reason)],
  "payments.confirm_condition": async (a, c) => [c.s("pay.confirm_condition", { id: a.payment })],
  "payments.settle_conditional": async (a, c) => [c.s("pay.settle_conditional", { id: a.payment, ref: a.rail_ref })],
  "payments.cancel_conditional": async (a, c) => [c.s("pay.cancel_conditional", { id: a.payment }), c.reason(a.reason)],
  "payments.release_reserve": async (a, c) => [c.s("pay.release_reserve", { id: a.payment, ref: a.rail_ref })],
  "receivables.schedule_instalments": async (a, c) => [c.s("pay.schedule_instalments", {
    root: a.root, n: Array.isArray(a.instalments) ? a.instalments.length : 0,
    list: (Array.isArray(a.instalments) ? a.instalments : []).map(([due, fen]) => `${c.d(due)} ${c.m(fen)}`).join(c.s("pay.sep_list")) })],
  "receivables.offer_early_payment": async (a, c) => [Number(a.rate_bps) === 0 ? c.s("pay.withdraw_early", { root: a.root })
    : c.s("pay.offer_early_payment", { root: a.root, rate: c.pct(a.rate_bps), until: c.d(a.until) })],
  "receivables.accept_early_payment": async (a, c) => [c.s("pay.accept_early_payment", { id: a.id })],
  "receivables.claim_recourse": async (a, c) => [c.s("pay.claim_recourse", { id: a.id })],
  // competing quotes (receivables/quotes.py)
  "receivables.request_quotes": async (a, c) => [c.s("rfq.request", {
    id: a.id, amount: c.m(a.amount), funders: c.list((a.funders || []).map((f) => c.who(f))), closes: c.dt(a.closes) }),
  a.recourse ? c.s("rfq.with_recourse") : c.s("rfq.without_recourse")],
  "receivables.quote": async (a, c) => {
    const got = await c.read("receivables", "quotes", { rfq: a.rfq });
    const r = got && got.rfq;
    const out = [c.s("rfq.quote", { rfq: a.rfq, rate: c.pct(a.rate_bps), fee: c.m(a.fee || 0) })];
    if (r) out.push(c.s("rfq.quote_amount", { amount: c.m(r.amount), holder: c.who(r.holder) }));
    return out;
  },
  "receivables.accept_quote": async (a, c) => [c.s("rfq.accept", { rfq: a.rfq, funder: c.who(a.funder) })],
  "receivables.cancel_rfq": async (a, c) => [c.s("rfq.cancel", { rfq: a.rfq })],
};
