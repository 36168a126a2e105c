// Sentences of what a transaction will do: auctions, npa (non-performing loan packages), plans
// (debt financing plans), products (revenue-sharing products). Each entry is async (a, c) =>
// [sentence, ...] as in outcomes_claims.js: `a` the call's arguments, `c` the kit of outcomes.js.

// a record read as the member: the named field of the query's answer, or null
async function record(c, contract, method, args, field) {
  const got = await c.read(contract, method, args);
  return got && got[field] ? got[field] : null;
}

// `“name” (id)` when the record's name could be read, else the id
function named(c, id, rec) {
  return rec && rec.name ? c.s("named", { name: rec.name, id }) : String(id ?? "—");
}

async function pkg(c, id) {
  const p = await record(c, "npa", "package", { id }, "package");
  return [p, named(c, id, p)];
}

async function plan(c, id) {
  const p = await record(c, "plans", "plan", { id }, "plan");
  return [p, named(c, id, p)];
}

async function product(c, id) {
  const p = await record(c, "products", "product", { id }, "product");
  return [p, named(c, id, p)];
}

// an auction and what it sells ("package “name” (PKG-…)")
async function auction(c, id) {
  const au = await record(c, "auctions", "auction", { id }, "auction");
  let asset = "—";
  if (au && typeof au.asset === "string") {
    const [kind, ref] = au.asset.split(":");
    asset = kind === "package" ? c.s("npa.package_ref", { pkg: (await pkg(c, ref))[1] }) : au.asset;
  }
  return [au, asset];
}

// a document's sentence: name, kind and size, and what it supersedes
function documentWords(c, a, kinds) {
  return [c.s("doc.register", { doc: a.name, kind: c.label(kinds, a.kind), size: a.size, hash: c.short(a.hash) }),
    a.supersedes ? c.s("doc.supersedes", { old: c.short(a.supersedes) }) : c.s("doc.never_replaced")];
}

// the loan fields an update_loan call changes, as "class → doubtful; days past due → 400"
function loanChanges(c, a) {
  const out = [];
  if (a.interest !== undefined && a.interest !== null) out.push(c.s("npa.chg_interest", { v: c.m(a.interest) }));
  if (a.classification) out.push(c.s("npa.chg_class", { v: c.label("class", a.classification) }));
  if (a.days_past_due !== undefined && a.days_past_due !== null) out.push(c.s("npa.chg_dpd", { v: a.days_past_due }));
  if (a.litigation) out.push(c.s("npa.chg_litigation", { v: c.label("litigation", a.litigation) }));
  if (a.collateral !== undefined && a.collateral !== null) out.push(c.s("npa.chg_collateral", { v: a.collateral || c.s("unsecured") }));
  return out.join(c.s("sep")) || c.s("nothing");
}

// how a listing runs, by its mode
function listingRule(c, a) {
  if (a.mode === "english") return c.s("npa.rule_english", { inc: c.m(a.increment) });
  if (a.mode === "dutch") return c.s("npa.rule_dutch", { step: c.m(a.step), interval: a.interval });
  if (a.mode === "sealed") return c.s("npa.rule_sealed", { reveal: c.dt(a.reveal_end) });
  return null;
}

export const MARKETS = {
  // -- auctions ------------------------------------------------------------------------------
  "auctions.register": async (a, c) => {
    const [au, asset] = await auction(c, a.auction);
    return au ? [c.s("auc.register", { id: a.auction, asset }), c.s("auc.register_margin", { margin: c.m(au.margin), bank: c.who(au.settlement_bank) })]
      : [c.s("auc.register_plain", { id: a.auction }), c.s("auc.register_margin_plain")];
  },
  "auctions.confirm_margin": async (a, c) => {
    const [au] = await auction(c, a.auction);
    const vars = { bidder: c.who(a.bidder), id: a.auction, ref: a.bank_ref };
    return [au ? c.s("auc.confirm_margin", { ...vars, margin: c.m(au.margin) }) : c.s("auc.confirm_margin_plain", vars)];
  },
  "auctions.bid": async (a, c) => {
    const [au, asset] = await auction(c, a.auction);
    const out = [au ? c.s("auc.bid", { id: a.auction, price: c.m(a.price), asset }) : c.s("auc.bid_plain", { id: a.auction, price: c.m(a.price) })];
    if (au && au.best && au.best.price) out.push(c.s("auc.bid_best", { best: c.m(au.best.price) }));
    out.push(au ? c.s("auc.bid_win", { balance: c.m(a.price - au.margin), margin: c.m(au.margin) }) : c.s("auc.bid_win_plain"));
    return out;
  },
  "auctions.accept": async (a, c) => {
    const [au, asset] = await auction(c, a.auction);
    return au ? [c.s("auc.accept", { id: a.auction, asset, price: c.m(au.price) }), c.s("auc.bid_win", { balance: c.m(au.price - au.margin), margin: c.m(au.margin) })]
      : [c.s("auc.accept_plain", { id: a.auction })];
  },
  "auctions.commit": async (a, c) => [c.s("auc.commit", { id: a.auction })],
  "auctions.reveal": async (a, c) => [c.s("auc.reveal", { id: a.auction, price: c.m(a.price) })],
  "auctions.confirm_payment": async (a, c) => {
    const [au, asset] = await auction(c, a.auction);
    return au ? [c.s("auc.confirm_payment", { winner: c.who(au.winner), amount: c.m(a.amount), ref: a.bank_ref, margin: c.m(au.margin), id: a.auction, asset })]
      : [c.s("auc.confirm_payment_plain", { amount: c.m(a.amount), ref: a.bank_ref, id: a.auction })];
  },

  // -- npa -----------------------------------------------------------------------------------
  "npa.register_loan": async (a, c) => [
    c.s("npa.register_loan", { loan: a.loan_no, principal: c.m(a.principal), interest: c.m(a.interest), cls: c.label("class", a.classification), dpd: a.days_past_due }),
    c.s("npa.register_loan_persons", { n: (a.guarantors || []).length }),
  ],
  "npa.update_loan": async (a, c) => [c.s("npa.update_loan", { loan: a.loan, changes: loanChanges(c, a) })],
  "npa.create_package": async (a, c) => {
    const loans = a.loans || [];
    const out = [c.s("npa.create_package", { name: a.name, n: loans.length, base: c.d(a.base_date) }),
      c.s("npa.prices", { reserve: c.m(a.reserve_price), list: c.m(a.list_price), margin: c.m(a.margin) })];
    const mine = await c.read("npa", "loans", { owner: c.me });
    if (Array.isArray(mine)) {
      const by = new Map(mine.flatMap((l) => [[l.loan_no, l], [l.ref, l]]));
      const found = loans.map((x) => by.get(x)).filter(Boolean);
      if (found.length === loans.length && loans.length) {
        out.push(c.s("npa.package_book", { principal: c.m(found.reduce((s, l) => s + l.principal, 0)), interest: c.m(found.reduce((s, l) => s + l.interest, 0)) }));
      }
    }
    return out;
  },
  "npa.add_loans": async (a, c) => [c.s("npa.add_loans", { pkg: (await pkg(c, a.package))[1], n: (a.loans || []).length, loans: c.list(a.loans) })],
  "npa.remove_loans": async (a, c) => [c.s("npa.remove_loans", { pkg: (await pkg(c, a.package))[1], n: (a.loans || []).length, loans: c.list(a.loans) })],
  "npa.set_prices": async (a, c) => {
    const [p, name] = await pkg(c, a.package);
    return [c.s("npa.set_prices", { pkg: name }), c.s("npa.prices", { reserve: c.m(a.reserve_price), list: c.m(a.list_price), margin: c.m(a.margin) }),
      p && p.reserve_price !== undefined ? c.s("npa.prices_were", { reserve: c.m(p.reserve_price), list: c.m(p.list_price), margin: c.m(p.margin) }) : null];
  },
  "npa.submit_for_due_diligence": async (a, c) => [c.s("npa.submit_dd", { pkg: (await pkg(c, a.package))[1], who: c.who(a.intermediary) })],
  "npa.record_due_diligence": async (a, c) => [
    c.s("npa.record_dd", { pkg: (await pkg(c, a.package))[1], opinion: c.label("opinion", a.opinion), hash: c.short(a.report_hash) }),
    a.opinion === "adverse" ? c.s("npa.dd_adverse") : c.s("npa.dd_next"),
  ],
  "npa.approve": async (a, c) => [c.s("npa.approve", { pkg: (await pkg(c, a.package))[1] })],
  "npa.list_package": async (a, c) => {
    const [p, name] = await pkg(c, a.package);
    return [c.s("npa.list", { pkg: name, mode: c.label("mode", a.mode), start: c.dt(a.start), end: c.dt(a.end), bank: c.who(a.settlement_bank) }),
      p ? c.s("npa.list_prices", { list: c.m(p.list_price), reserve: c.m(p.reserve_price), margin: c.m(p.margin) }) : c.s("npa.list_prices_plain"),
      listingRule(c, a), c.s("npa.list_pay", { days: a.pay_days ?? 10 })];
  },
  "npa.withdraw": async (a, c) => [c.s("npa.withdraw", { pkg: (await pkg(c, a.package))[1] }), c.reason(a.reason)],
  "npa.sign_deal": async (a, c) => {
    const [p, name] = await pkg(c, a.package);
    const price = p && p.deal && p.deal.price;
    return [c.s("npa.sign_deal", { pkg: name, hash: c.short(a.contract_hash) }), price ? c.s("npa.deal_price", { price: c.m(price), winner: c.who(p.winner) }) : null,
      c.s("npa.sign_deal_both")];
  },
  "npa.deliver": async (a, c) => [c.s("npa.deliver", { pkg: (await pkg(c, a.package))[1], hash: c.short(a.delivery_doc_hash) })],
  "npa.publish_notice": async (a, c) => [c.s("npa.publish_notice", { pkg: (await pkg(c, a.package))[1], hash: c.short(a.notice_hash) })],
  "npa.record_disposition": async (a, c) => [
    c.s("npa.record_disposition", { pkg: (await pkg(c, a.package))[1], kind: c.label("disposition", a.kind), what: a.description, loan: a.loan || c.s("all_loans") }),
    a.amount ? c.s("npa.recovered", { amount: c.m(a.amount) }) : null,
    (a.documents || []).length ? c.s("with_documents", { n: a.documents.length }) : null,
  ],
  "npa.assign_inspector": async (a, c) => [c.s("npa.assign_inspector", { pkg: (await pkg(c, a.package))[1], who: c.who(a.inspector) })],
  "npa.inspect": async (a, c) => [c.s("npa.inspect", { pkg: (await pkg(c, a.package))[1], result: c.label("result", a.result), hash: c.short(a.report_hash) }),
    a.remarks ? c.s("remarks", { text: a.remarks }) : null],
  "npa.close": async (a, c) => {
    const [p, name] = await pkg(c, a.package);
    return [p && p.winner ? c.s("npa.close", { pkg: name, winner: c.who(p.winner) }) : c.s("npa.close_plain", { pkg: name })];
  },
  "npa.register_document": async (a, c) => [c.s("npa.document_of", { pkg: (await pkg(c, a.package))[1] }), ...documentWords(c, a, "npa_doc")],
  "npa.view_document": async (a, c) => [c.s("npa.view_document", { pkg: (await pkg(c, a.package))[1], hash: c.short(a.hash) })],
  "npa.request_erasure": async (a, c) => [c.s("person.request_erasure", { person: c.short(a.person) }), c.reason(a.reason)],
  "npa.approve_erasure": async (a, c) => [c.s("person.approve_erasure", { person: c.short(a.person) })],
  "npa.reject_erasure": async (a, c) => [c.s("person.reject_erasure", { person: c.short(a.person) }), c.reason(a.reason)],

  // -- plans ---------------------------------------------------------------------------------
  "plans.create": async (a, c) => [
    c.s("plan.create", { name: a.name, size: c.m(a.size), coupon: c.pct(a.coupon_bps), days: a.term_days }),
    c.s("plan.parties", { u: c.who(a.underwriter), s: c.who(a.servicer), b: c.who(a.settlement_bank), min: c.m(a.min_ticket ?? 0) }),
    c.s("plan.create_next"),
  ],
  "plans.pool": async (a, c) => {
    const vouchers = a.vouchers || [];
    const out = [c.s("plan.pool", { plan: (await plan(c, a.plan))[1], nv: vouchers.length, ni: (a.invoices || []).length })];
    const pieces = await Promise.all(vouchers.map((id) => c.read("receivables", "voucher", { id })));
    if (vouchers.length && pieces.every((x) => x && x.voucher)) out.push(c.s("plan.pool_vouchers", { amount: c.m(pieces.reduce((s, x) => s + x.voucher.amount, 0)) }));
    return out;
  },
  "plans.unpool": async (a, c) => [c.s("plan.unpool", { plan: (await plan(c, a.plan))[1], asset: a.asset })],
  "plans.file": async (a, c) => [c.s("plan.file", { plan: (await plan(c, a.plan))[1] })],
  "plans.return_filing": async (a, c) => [c.s("plan.return_filing", { plan: (await plan(c, a.plan))[1] }), c.reason(a.reason)],
  "plans.approve": async (a, c) => [c.s("plan.approve", { plan: (await plan(c, a.plan))[1], no: a.approval_no, opens: c.dt(a.opens), closes: c.dt(a.closes) })],
  "plans.subscribe": async (a, c) => {
    const [p, name] = await plan(c, a.plan);
    return [c.s("plan.subscribe", { plan: name, amount: c.m(a.amount) }),
      p ? c.s("plan.subscribe_terms", { coupon: c.pct(p.coupon_bps), days: p.term_days }) : null, c.s("plan.subscribe_adds")];
  },
  "plans.establish": async (a, c) => {
    const [p, name] = await plan(c, a.plan);
    return [p ? c.s("plan.establish", { plan: name, amount: c.m(p.subscribed) }) : c.s("plan.establish_plain", { plan: name }), c.s("plan.establish_reports")];
  },
  "plans.confirm_funding": async (a, c) => {
    const [p, name] = await plan(c, a.plan);
    return [p ? c.s("plan.confirm_funding", { plan: name, amount: c.m(p.subscribed), sponsor: c.who(p.sponsor), ref: a.bank_ref })
      : c.s("plan.confirm_funding_plain", { plan: name, ref: a.bank_ref })];
  },
  "plans.pay": async (a, c) => {
    const [p, name] = await plan(c, a.plan);
    const out = [c.s("plan.pay", { plan: name, kind: c.label("pay", a.kind), amount: c.m(a.amount), ref: a.bank_ref })];
    if (a.kind === "principal" && p && typeof p.outstanding === "number") {
      out.push(a.amount >= p.outstanding ? c.s("plan.pay_redeems") : c.s("plan.pay_left", { left: c.m(p.outstanding - a.amount) }));
    }
    return out;
  },
  "plans.record_cash_flow": async (a, c) => [
    c.s("plan.cash_flow", { plan: (await plan(c, a.plan))[1], payer: c.who(a.payer), payee: c.who(a.payee), amount: c.m(a.amount), date: c.d(a.value_date), ref: a.bank_ref }),
    a.asset ? c.s("plan.cash_flow_asset", { asset: a.asset }) : null,
  ],
  "plans.register_document": async (a, c) => [c.s("plan.document_of", { plan: (await plan(c, a.plan))[1] }), ...documentWords(c, a, "plan_doc")],
  "plans.schedule_disclosure": async (a, c) => [c.s("plan.schedule", { plan: (await plan(c, a.plan))[1], kind: c.label("disclosure", a.kind), title: a.title, due: c.dt(a.due) })],
  "plans.publish": async (a, c) => [c.s("plan.publish", { plan: (await plan(c, a.plan))[1], item: a.item, n: (a.documents || []).length }), c.s("plan.publish_final")],
  "plans.correct": async (a, c) => [c.s("plan.correct", { plan: (await plan(c, a.plan))[1], item: a.item }), c.reason(a.reason)],
  "plans.report_event": async (a, c) => [c.s("plan.report_event", { plan: (await plan(c, a.plan))[1], title: a.title })],
  "plans.declare_default": async (a, c) => [c.s("plan.declare_default", { plan: (await plan(c, a.plan))[1] }), c.reason(a.reason)],
  "plans.close": async (a, c) => {
    const [p, name] = await plan(c, a.plan);
    const early = p && ["DRAFT", "FILED", "LISTED"].includes(p.status);
    return [c.s("plan.close", { plan: name }), early ? c.s("plan.close_lapse") : null, c.reason(a.reason)];
  },

  // -- products ------------------------------------------------------------------------------
  "products.create": async (a, c) => [
    c.s("prd.create", { name: a.name, days: a.term_days, fee: c.pct(a.fee_bps ?? 0) }),
    c.s("prd.tranches", { list: (a.tranches || []).map((x) => c.s("prd.tranche", { name: x.name, size: c.m(x.size), coupon: c.pct(x.coupon_bps) })).join(c.s("sep")) || "—" }),
    c.s("prd.parties", { r: c.who(a.registrar), b: c.who(a.settlement_bank), min: c.m(a.min_ticket) }),
  ],
  "products.add_underlying": async (a, c) => {
    const vouchers = a.vouchers || [];
    const out = [c.s("prd.add_underlying", { product: (await product(c, a.product))[1], n: vouchers.length, list: c.list(vouchers) })];
    const pieces = await Promise.all(vouchers.map((id) => c.read("receivables", "voucher", { id })));
    if (vouchers.length && pieces.every((x) => x && x.voucher)) out.push(c.s("prd.underlying_amount", { amount: c.m(pieces.reduce((s, x) => s + x.voucher.amount, 0)) }));
    return out;
  },
  "products.rate": async (a, c) => [c.s("prd.rate", { product: (await product(c, a.product))[1], grade: a.grade, outlook: c.label("outlook", a.outlook) }), c.s("prd.rate_appended")],
  "products.file": async (a, c) => [c.s("prd.file", { product: (await product(c, a.product))[1] })],
  "products.approve": async (a, c) => [c.s("prd.approve", { product: (await product(c, a.product))[1], no: a.approval_no, opens: c.dt(a.opens), closes: c.dt(a.closes) })],
  "products.subscribe": async (a, c) => {
    const [p, name] = await product(c, a.product);
    const tr = p && (p.tranches || []).find((x) => x.name === a.tranche);
    return [c.s("prd.subscribe", { product: name, tranche: a.tranche, amount: c.m(a.amount) }),
      tr ? c.s("prd.subscribe_room", { coupon: c.pct(tr.coupon_bps), left: c.m(tr.size - tr.subscribed) }) : null];
  },
  "products.establish": async (a, c) => [c.s("prd.establish", { product: (await product(c, a.product))[1] })],
  "products.confirm_funding": async (a, c) => {
    const [p, name] = await product(c, a.product);
    return [p ? c.s("prd.confirm_funding", { product: name, originator: c.who(p.originator), ref: a.bank_ref })
      : c.s("prd.confirm_funding_plain", { product: name, ref: a.bank_ref })];
  },
  "products.distribute": async (a, c) => {
    const [p, name] = await product(c, a.product);
    const left = p && typeof p.collected === "number" ? p.collected - p.distributed : null;
    const amount = a.amount !== undefined && a.amount !== null ? c.m(a.amount) : left !== null ? c.m(left) : c.s("all_collected");
    return [c.s("prd.distribute", { product: name, amount }), c.s("prd.distribute_order")];
  },
  "products.propose_transfer": async (a, c) => [
    c.s("prd.propose_transfer", { product: (await product(c, a.product))[1], tranche: a.tranche, units: c.m(a.units), buyer: c.who(a.buyer), price: c.m(a.price) }),
    c.s("prd.transfer_steps"),
  ],
  "products.accept_transfer": async (a, c) => {
    const tr = await c.read("products", "transfer", { id: a.transfer });
    if (!tr) return [c.s("prd.accept_transfer_plain", { id: a.transfer }), c.s("prd.transfer_registrar")];
    const [, name] = await product(c, tr.product);
    return [c.s("prd.accept_transfer", { id: a.transfer, seller: c.who(tr.seller), product: name, tranche: tr.tranche, units: c.m(tr.units), price: c.m(tr.price) }), c.s("prd.transfer_registrar")];
  },
  "products.cancel_transfer": async (a, c) => {
    const tr = await c.read("products", "transfer", { id: a.transfer });
    return [tr ? c.s("prd.cancel_transfer", { id: a.transfer, units: c.m(tr.units), tranche: tr.tranche, buyer: c.who(tr.buyer) }) : c.s("prd.cancel_transfer_plain", { id: a.transfer })];
  },
  "products.register_transfer": async (a, c) => {
    const tr = await c.read("products", "transfer", { id: a.transfer });
    return [tr ? c.s("prd.register_transfer", { id: a.transfer, seller: c.who(tr.seller), buyer: c.who(tr.buyer), units: c.m(tr.units), tranche: tr.tranche, price: c.m(tr.price) })
      : c.s("prd.register_transfer_plain", { id: a.transfer }), c.s("prd.register_checks")];
  },
  "products.mature": async (a, c) => [c.s("prd.mature", { product: (await product(c, a.product))[1] })],
  "products.declare_default": async (a, c) => [c.s("prd.declare_default", { product: (await product(c, a.product))[1] }), c.reason(a.reason)],
  "products.close": async (a, c) => [c.s("prd.close", { product: (await product(c, a.product))[1] })],
};
