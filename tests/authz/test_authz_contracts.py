"""The authorization matrix of transactions: every `@tx` method of every contract, called as every
member, each alone in its own block on the same world (`authz_support`, never committed).

`TABLE` says who may call each method: a type of organisation (`roles`), a specific party of the
target (`party`: the holder, the seller, the named buyer, ...) or both. Each row's target is in a
state where the call can succeed, so the matrix asserts exactly:

- a permitted member succeeds (`ok`);
- every other member is refused `unauthorized`, with a message, no result, no events, and the
  block's app hash equal to an empty block's (state untouched; the one write a refusal may leave
  is the supervision alert about that very attempt, see tests/modules/driver.py);
- the signers that are not members at all are refused by the envelope before any contract runs:
  `removed` (its organisation was voted out) `not_member`, `revoked` (its certificate revoked)
  `revoked`.

A new `@tx` method fails `test_every_transaction_method_has_a_row` until it is added here. Where
"permitted" is a specific party, the matrix also holds a member of the same type that is not that
party (`test_party_rows_have_a_refused_peer`): supplier2 for supplier1, bank for bank2, factor2 for
factor, registrar2 for registrar, amc2 for amc, lawfirm or accountant for underwriter, ...

Rules follow domain.md and the README's step tables; each row's `why` records the rule, and the
decision where the documents leave room for one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from faechain.chain.application import load_contracts
from faechain.devnet.demo import demo_org_id
from tests.authz.authz_support import (
    ANYONE,
    DAY,
    NAMES,
    OUTSIDERS,
    QUALIFIED,
    SEE_ALL,
    SETTLEMENT,
    TYPE,
    YUAN,
    H,
    Who,
    World,
    party,
    person,
    roles,
)

EXCHANGE = roles("EXCHANGE")
RAILS = SETTLEMENT | roles("PAYMENT_RAIL")
REGULATOR = roles("REGULATOR")
PRICES = dict(reserve_price=1_200_000 * YUAN, list_price=1_500_000 * YUAN, margin=150_000 * YUAN)
T = Callable[[World, str], dict]


@dataclass(frozen=True)
class Row:
    who: Who
    args: T  # (world, calling member) -> the method's arguments
    why: str
    at: Callable[[World], int] | None = None  # the block time (ms) if not the world's next block


def root(w: World, key: str) -> dict:
    return w.get("receivables", f"root/{w.t[key]}")


def plan(w: World, key: str) -> dict:
    return w.get("plans", f"plan/{w.t[key]}")


def product(w: World, key: str) -> dict:
    return w.get("products", f"product/{w.t[key]}")


def auction(w: World, key: str) -> dict:
    return w.get("auctions", f"auction/{w.t[key]}")


TABLE: dict[str, Row] = {
    # -- membership ---------------------------------------------------------------------------
    "membership.admit": Row(
        EXCHANGE, lambda w, m: dict(org_id=demo_org_id(30), name="Newcomer Bank", type="BANK", ca=w.t["new_org_ca"]),
        "the exchange admits members directly (domain: EXCHANGE admits members); the consortium by vote"),
    "membership.register_person": Row(
        EXCHANGE, lambda w, m: dict(org_id=w.o["investor1"], person=person("investor1")),
        "the exchange records the person behind an individual investor's membership (contracts/personal.py)"),
    "membership.request_erasure": Row(
        EXCHANGE, lambda w, m: dict(person=person("investor4"), reason="the investor's PIPL request"),
        "the organisation that registered the person asks, on its behalf: for a member, the exchange"),
    "membership.approve_erasure": Row(
        REGULATOR, lambda w, m: dict(person=person("investor3")), "the regulator approves a requested erasure"),
    "membership.reject_erasure": Row(
        REGULATOR, lambda w, m: dict(person=person("investor3"), reason="kept by law"), "... or refuses it"),
    "membership.set_attributes": Row(
        EXCHANGE, lambda w, m: dict(org_id=w.o["investor4"], attributes={"qualified": True}),
        "the exchange sets qualified-investor status (domain: 'a qualified attribute set by the exchange')"),
    "membership.revoke": Row(
        party("bank2", what="the organisation's own admin"),
        lambda w, m: dict(org_id=w.o["bank2"], cert_id=b"\x11" * 32, reason="key compromised"),
        "an organisation revokes its own certificates (README governance: 'an organisation still revokes its "
        "own certificates'); without the CA's signature only an admin member of that organisation may"),
    "membership.revoke#ca_signature": Row(
        ANYONE, lambda w, m: dict(org_id=w.o["bank2"], cert_id=b"\x11" * 32, reason="key compromised",
                                  ca_signature=bytes.fromhex(w.t["revocation"]["ca_signature"])),
        "with the organisation CA's signature over the revocation the CA is the authority, whoever submits it "
        "(`fae ca revoke` output 'any member can submit', faechain/identity/ca.py)"),
    # -- receivables --------------------------------------------------------------------------
    "receivables.register_invoice": Row(
        party("supplier1", what="the seller the invoice names"),
        lambda w, m: dict(code="011001900999", number="99990001", seller=w.o["supplier1"], buyer=w.o["core"],
                          amount=100_000 * YUAN, date=w.now - DAY, doc_hash=H),
        "by the seller (domain 1: register_invoice ... by the seller); identity from the signature, so a "
        "`seller=` naming someone else is refused"),
    "receivables.grant_credit": Row(
        roles("BANK"), lambda w, m: dict(core=w.o["core"], amount=10**11, expires=w.now + 100 * DAY),
        "any BANK grants its own line (domain 1: grant_credit by a BANK); settlement status is not needed"),
    "receivables.issue": Row(
        roles("CORE_ENTERPRISE"),
        lambda w, m: dict(to=w.o["supplier1"], amount=100_000 * YUAN, maturity=w.now + 90 * DAY, contract_hash=H,
                          invoices=[[w.t["INV_core2" if m == "core2" else "INV_core"], 100_000 * YUAN]]),
        "a CORE_ENTERPRISE issues on its own credit (each core is given an invoice addressed to it)"),
    "receivables.accept": Row(
        party("supplier1", what="the named holder"), lambda w, m: dict(id=w.t["V_issued"]),
        "the supplier the voucher was issued to (domain 1: accept/reject by the holder)"),
    "receivables.reject": Row(
        party("supplier1", what="the named holder"), lambda w, m: dict(id=w.t["V_issued"], reason="wrong amount"),
        "as accept"),
    "receivables.transfer": Row(
        party("supplier1", what="the holder"),
        lambda w, m: dict(id=w.t["V_active"], to=w.o["supplier2"], amount=100_000 * YUAN),
        "only the holder moves a voucher (domain 1 invariants)"),
    "receivables.request_financing": Row(
        party("supplier1", what="the holder"),
        lambda w, m: dict(id=w.t["V_active"], funder=w.o["factor"], amount=100_000 * YUAN, rate_bps=500),
        "the holder offers its piece to a FACTOR or BANK"),
    "receivables.cancel_financing": Row(
        party("supplier1", "factor", what="the holder or the funder"), lambda w, m: dict(financing=w.t["F_requested"]),
        "either party withdraws an unfunded offer (README: cancel_financing)"),
    "receivables.record_registration": Row(
        party("factor", what="the funder"), lambda w, m: dict(financing=w.t["F_requested"], reg_no="ZDW-9001"),
        "the funder records the registry number (domain 1: record_registration by funder)"),
    "receivables.verify_invoice": Row(
        roles("TAX_SERVICE"),
        lambda w, m: dict(invoice=w.t["INV_core"], seller=w.o["supplier1"], buyer=w.o["core"], amount=500_000 * YUAN,
                          status="NORMAL", reference="SW-9001"),
        "only the tax service attests invoices (docs/outside-world.md: TAX_SERVICE signs verify_invoice)"),
    "receivables.void_invoice": Row(
        roles("TAX_SERVICE"), lambda w, m: dict(invoice=w.t["INV_core"], reference="HC-9001", reason="红冲"),
        "as verify_invoice: the tax system's voiding, reported by its service"),
    "receivables.attest_registration": Row(
        roles("REGISTRY_AGENT"),
        lambda w, m: dict(financing=w.t["F_registered"], reg_no="ZDW-0002", kind="ASSIGNMENT", creditor=w.o["bank2"],
                          debtor=w.o["supplier1"], amount=500_000 * YUAN,
                          voucher=w.get("receivables", f"financing/{w.t['F_registered']}")["voucher"]),
        "only the registry agent attests what the registry holds (docs/outside-world.md); not the funder itself"),
    "receivables.attest_search": Row(
        roles("REGISTRY_AGENT"), lambda w, m: dict(financing=w.t["F_requested"], search_no="S-9001", earlier=[]),
        "as attest_registration: the registry's search for earlier registrations"),
    "receivables.attest_release": Row(
        roles("REGISTRY_AGENT"), lambda w, m: dict(financing=w.t["F_q"], reference="REL-9001"),
        "as attest_registration: the registration of a funded financing released"),
    "receivables.acknowledge_notice": Row(
        party("core", what="the notified debtor (the payer)"), lambda w, m: dict(financing=w.t["F_q"]),
        "the payer the funding notified acknowledges the assignment (docs/outside-world.md); core2 is not it"),
    "receivables.fund": Row(
        party("bank2", what="the funder"), lambda w, m: dict(financing=w.t["F_registered"]),
        "the funder pays, after the registry agent attested the registration; bank (another BANK) is not the "
        "funder"),
    "receivables.confirm_payment": Row(
        RAILS, lambda w, m: dict(root=w.t["V_maturing"], amount=1_000_000 * YUAN, bank_ref="PAY-9001"),
        "a payment rail: a settlement BANK (the organisation's `settlement` attribute, set by the exchange) or a "
        "PAYMENT_RAIL operator confirms what the payer paid (docs/outside-world.md); the root names no settlement "
        "bank, so any rail may; bank2 is a BANK without the attribute"),
    "receivables.schedule_instalments": Row(
        party("core", what="the payer"),
        lambda w, m: dict(root=w.t["V_issued"], instalments=[[root(w, "V_issued")["maturity"] - 30 * DAY,
                                                              400_000 * YUAN],
                                                             [root(w, "V_issued")["maturity"], 600_000 * YUAN]]),
        "the payer agrees to pay in instalments, before the supplier accepts; core2 is another payer"),
    "receivables.offer_early_payment": Row(
        party("core", what="the payer"),
        lambda w, m: dict(root=w.t["V_active"], rate_bps=300, until=w.now + 30 * DAY),
        "the payer offers every holder of its root early payment at a discount; core2 is another payer"),
    "receivables.accept_early_payment": Row(
        party("supplier1", what="the holder"), lambda w, m: dict(id=w.t["V_early"]),
        "the holder takes the payer's offer for its own piece (supplier2 holds none of that root)"),
    "receivables.claim_recourse": Row(
        party("supplier2", what="the holder of a piece received with recourse"),
        lambda w, m: dict(id=w.t["V_recourse"]),
        "the holder of an overdue piece passed on with recourse claims from the one who passed it; that one "
        "(supplier1, another SUPPLIER) may not claim against itself"),
    "receivables.request_quotes": Row(
        party("supplier1", what="the holder"),
        lambda w, m: dict(id=w.t["V_active"], amount=100_000 * YUAN, funders=[w.o["factor"], w.o["bank2"]],
                          closes=w.now + 5 * DAY),
        "only the holder asks funders to quote on its piece"),
    "receivables.quote": Row(
        party("factor", "bank2", what="the funders invited"), lambda w, m: dict(rfq=w.t["RFQ"], rate_bps=450),
        "only a funder the holder invited quotes (factor2 and bank, of the same types, were not invited)"),
    "receivables.accept_quote": Row(
        party("supplier1", what="the holder"), lambda w, m: dict(rfq=w.t["RFQ"], funder=w.o["factor"]),
        "only the holder who asked accepts a quote"),
    "receivables.cancel_rfq": Row(
        party("supplier1", what="the holder"), lambda w, m: dict(rfq=w.t["RFQ"]),
        "only the holder who asked withdraws its request for quotes"),
    "receivables.freeze": Row(
        REGULATOR, lambda w, m: dict(id=w.t["V_active"], reason="investigation"),
        "only the regulator freezes (domain 1: freeze/unfreeze REGULATOR)"),
    "receivables.unfreeze": Row(
        REGULATOR, lambda w, m: dict(id=w.t["V_frozen"], reason="order lifted"), "as freeze"),
    # -- payments (instructions and conditional payments on the bank's rail; payer supplier1, payee supplier2,
    #    the condition confirmed by core) ------------------------------------------------------------------
    "payments.register_account": Row(
        ANYONE, lambda w, m: dict(rail=w.o["bank"], account="6222 0000 0000 9001"),
        "every member names the account it is paid at on each rail (docs/outside-world.md)"),
    "payments.confirm": Row(
        party("bank", what="the instruction's rail"),
        lambda w, m: dict(results=[[w.t["I_pending"], "PAID", "RAIL-9001"]]),
        "only the rail an instruction was sent to reports it paid (bank2 is a BANK and ecny a rail, neither "
        "this instruction's)"),
    "payments.retry": Row(
        party("supplier1", what="the payee"), lambda w, m: dict(instruction=w.t["I_failed"]),
        "the payee of a FAILED instruction asks the rail to pay again, once it has fixed its account"),
    "payments.create_conditional": Row(
        ANYONE,
        lambda w, m: dict(payee=w.o["supplier1" if m == "supplier2" else "supplier2"], amount=1_000 * YUAN,
                          rail=w.o["bank"], condition={"kind": "confirmed", "by": w.o["core"], "what": "delivery"},
                          expires=w.now + 10 * DAY),
        "any member pays another conditionally (e-CNY, docs/outside-world.md); the payer is the signer"),
    "payments.reserve": Row(
        party("bank", what="the payment's rail"), lambda w, m: dict(payment=w.t["CP_awaiting"], rail_ref="RSV-9001"),
        "only the rail holds the payer's funds"),
    "payments.decline": Row(
        party("bank", what="the payment's rail"),
        lambda w, m: dict(payment=w.t["CP_awaiting"], reason="balance short"), "as reserve"),
    "payments.confirm_condition": Row(
        party("core", what="the organisation the condition names"), lambda w, m: dict(payment=w.t["CP_awaiting"]),
        "only the confirmer the payer named (core2 is another core enterprise; neither payer nor payee may)"),
    "payments.settle_conditional": Row(
        party("bank", what="the payment's rail"), lambda w, m: dict(payment=w.t["CP_met"], rail_ref="STL-9001"),
        "the rail pays out reserved funds once the condition is met on chain"),
    "payments.cancel_conditional": Row(
        party("supplier1", what="the payer"), lambda w, m: dict(payment=w.t["CP_awaiting"], reason="withdrawn"),
        "only the payer withdraws (the payee supplier2 may not)"),
    "payments.release_reserve": Row(
        party("bank", what="the payment's rail"),
        lambda w, m: dict(payment=w.t["CP_cancelled"], rail_ref="REL-9001"),
        "the rail returns a cancelled payment's reserve"),
    # -- plans (sponsor supplier1, underwriter `underwriter`, servicer factor, settlement bank `bank`) ------------
    "plans.create": Row(
        roles("CORE_ENTERPRISE", "SUPPLIER", "FACTOR", "BANK"),
        lambda w, m: dict(name="plan", underwriter=w.o["underwriter"], servicer=w.o["factor"],
                          settlement_bank=w.o["bank"], size=100_000 * YUAN, coupon_bps=400, term_days=180),
        "README plans: create by CORE_ENTERPRISE, SUPPLIER, FACTOR or BANK (the sponsor is the signer)"),
    "plans.pool": Row(
        party("supplier1", what="the sponsor"), lambda w, m: dict(plan=w.t["PL_draft"], vouchers=[w.t["V_active"]]),
        "the sponsor pools what it holds (README: pool by the sponsor, DRAFT)"),
    "plans.unpool": Row(
        party("supplier1", what="the sponsor"), lambda w, m: dict(plan=w.t["PL_draft"], asset=w.t["PL_draft_asset"]),
        "as pool"),
    "plans.file": Row(
        party("underwriter", what="the plan's underwriter"), lambda w, m: dict(plan=w.t["PL_draft"]),
        "the underwriter files (lawfirm, another INTERMEDIARY, may not)"),
    "plans.return_filing": Row(
        EXCHANGE, lambda w, m: dict(plan=w.t["PL_filed"], reason="pool list incomplete"),
        "the exchange reviews filings"),
    "plans.approve": Row(
        EXCHANGE,
        lambda w, m: dict(plan=w.t["PL_filed"], approval_no="BFAE-9001", opens=w.now, closes=w.now + 10 * DAY),
        "the exchange approves and lists (domain: EXCHANGE approves filings and listings)"),
    "plans.subscribe": Row(
        QUALIFIED, lambda w, m: dict(plan=w.t["PL_listed"], amount=10_000 * YUAN),
        "only qualified investors subscribe (domain 2); investor4 is an INVESTOR without the attribute"),
    "plans.establish": Row(
        party("underwriter", what="the plan's underwriter"), lambda w, m: dict(plan=w.t["PL_listed"]),
        "the underwriter establishes once the window has closed (the call is made at the window's close)",
        at=lambda w: plan(w, "PL_listed")["closes"] * 1000),
    "plans.confirm_funding": Row(
        party("bank", what="the plan's settlement bank"),
        lambda w, m: dict(plan=w.t["PL_established"], bank_ref="F-9001"),
        "the plan's own settlement bank (with the settlement attribute) confirms the money moved"),
    "plans.record_cash_flow": Row(
        party("factor", "bank", what="the servicer or the settlement bank"),
        lambda w, m: dict(plan=w.t["PL_established"], payer=w.o["core"], payee=w.o["supplier1"], amount=1_000 * YUAN,
                          value_date=w.now - 60, bank_ref="CF-9001"),
        "README: record_cash_flow by servicer or settlement bank"),
    "plans.pay": Row(
        party("bank", what="the plan's settlement bank"),
        lambda w, m: dict(plan=w.t["PL_outstanding"], kind="coupon", amount=1_000 * YUAN, bank_ref="CP-9001"),
        "the settlement bank confirms a coupon or principal payment"),
    "plans.declare_default": Row(
        party("underwriter", "factor", what="the underwriter or the servicer"),
        lambda w, m: dict(plan=w.t["PL_established"], reason="payer missed a payment"),
        "README: declare_default by underwriter or servicer"),
    "plans.close": Row(
        party("underwriter", what="the plan's underwriter") | EXCHANGE,
        lambda w, m: dict(plan=w.t["PL_draft"], reason="withdrawn"), "README: close by underwriter or EXCHANGE"),
    "plans.register_document": Row(
        party("supplier1", "underwriter", "factor", "bank",
              what="the plan's sponsor, underwriter, servicer, settlement bank"),
        lambda w, m: dict(plan=w.t["PL_draft"], hash="cd" * 32, kind="report", name="report", size=100),
        "README: register_document by sponsor, underwriter, servicer, settlement bank; the exchange and the "
        "regulator read documents but do not add them"),
    "plans.schedule_disclosure": Row(
        party("underwriter", what="the plan's underwriter") | EXCHANGE,
        lambda w, m: dict(plan=w.t["PL_draft"], kind="periodic", title="quarterly report", due=w.now + 30 * DAY),
        "README: schedule_disclosure by underwriter or EXCHANGE"),
    "plans.report_event": Row(
        party("supplier1", "underwriter", "factor", "bank", what="any plan party"),
        lambda w, m: dict(plan=w.t["PL_filed"], title="change of servicer contact"),
        "README: report_event by any plan party (sponsor, underwriter, servicer, settlement bank)"),
    "plans.publish": Row(
        party("supplier1", "underwriter", "factor", what="the sponsor, underwriter or servicer"),
        lambda w, m: dict(plan=w.t["PL_established"], item=2, summary="periodic report"),
        "README: publish by sponsor, underwriter, servicer (the settlement bank reports events, never publishes)"),
    "plans.correct": Row(
        party("supplier1", "underwriter", "factor", what="the sponsor, underwriter or servicer"),
        lambda w, m: dict(plan=w.t["PL_filed"], item=1, summary="corrected circular", reason="typo in the coupon"),
        "as publish"),
    # -- auctions ---------------------------------------------------------------------------------
    "auctions.register": Row(
        (roles("AMC", "FACTOR", "BANK", "INTERMEDIARY", "CORE_ENTERPRISE") | QUALIFIED)
        - party("bank2", what="the seller"),
        lambda w, m: dict(auction=w.t["P_fresh_auction"]),
        "bidders: AMCs, qualified investors, factors, banks, intermediaries (SPVs, funds) and core enterprises "
        "(domain 3 participants), never the seller; the package's DD intermediary is not excluded (no rule says "
        "so); SUPPLIER, RATING_AGENCY, REGISTRAR, EXCHANGE and REGULATOR do not buy NPAs"),
    "auctions.confirm_margin": Row(
        party("bank", what="the auction's settlement bank"),
        lambda w, m: dict(auction=w.t["P_listed_auction"], bidder=w.o["investor2"], bank_ref="M-9001"),
        "the auction's settlement bank confirms margins"),
    "auctions.bid": Row(
        party("amc", "investor1", what="bidders whose margin is RECEIVED"),
        lambda w, m: dict(auction=w.t["P_listed_auction"], price=PRICES["list_price"]),
        "only bidders whose margin is RECEIVED bid (domain 3); investor2 registered but its margin is DUE"),
    "auctions.commit": Row(
        party("amc", "investor1", what="bidders whose margin is RECEIVED"),
        lambda w, m: dict(auction=w.t["P_sealed_commit_auction"], digest="de" * 32), "as bid, sealed"),
    "auctions.reveal": Row(
        party("amc", "investor3", what="bidders who committed"),
        lambda w, m: dict(auction=w.t["P_sealed_reveal_auction"], price=w.t["reveal_price"], salt=w.t["reveal_salt"]),
        "a bidder reveals its own commit (called at the bidding deadline); anyone not registered for the auction is "
        "unauthorized (it was not_found until the matrix found it: bid, commit and accept said unauthorized); a "
        "registered bidder without a commit is still not_found (nothing of its own to reveal; none in this world)",
        at=lambda w: auction(w, "P_sealed_reveal_auction")["end"] * 1000),
    "auctions.accept": Row(
        party("amc", "investor1", what="bidders whose margin is RECEIVED"),
        lambda w, m: dict(auction=w.t["P_dutch_auction"]), "as bid, dutch"),
    "auctions.confirm_payment": Row(
        party("bank", what="the auction's settlement bank"),
        lambda w, m: dict(auction=w.t["P_awarded_auction"], amount=PRICES["list_price"] - PRICES["margin"],
                          bank_ref="PAY-9001"),
        "the settlement bank's confirmation is what makes the package PAID (domain 3)"),
    # -- npa (seller bank2, DD intermediary lawfirm, winner amc, inspector underwriter) -------------------------
    "npa.register_loan": Row(
        roles("BANK", "AMC"),
        lambda w, m: dict(loan_no="L-NEW", borrower=person("L-NEW"), principal=100_000 * YUAN, interest=0,
                          classification="loss", days_past_due=800),
        "banks and AMCs sell NPAs (README: register_loan by BANK or AMC)"),
    "npa.request_erasure": Row(
        party("bank2", what="the seller that registered the borrower"),
        lambda w, m: dict(person=person("bank2/L-FREE"), reason="the borrower's PIPL request"),
        "the organisation that registered a person asks for the erasure on its behalf (contracts/personal.py)"),
    "npa.approve_erasure": Row(
        REGULATOR, lambda w, m: dict(person=person("bank2/L-ERASE")), "the regulator approves a requested erasure"),
    "npa.reject_erasure": Row(
        REGULATOR, lambda w, m: dict(person=person("bank2/L-ERASE"), reason="the enforcement file is kept"),
        "... or refuses it"),
    "npa.update_loan": Row(
        party("bank2", what="the loan's owner"), lambda w, m: dict(loan=f"{w.o['bank2']}/L-FREE", days_past_due=950),
        "the loan's owner (the other sellers own a loan of the same number of their own)"),
    "npa.create_package": Row(
        roles("BANK", "AMC"),
        lambda w, m: dict(name="package", loans=["L-FREE"], base_date=w.now - 30 * DAY, **PRICES),
        "a BANK or AMC packages loans it owns (each seller has its own L-FREE)"),
    "npa.add_loans": Row(
        party("bank2", what="the seller"), lambda w, m: dict(package=w.t["P_draft"], loans=["L-FREE"]),
        "the seller, in DRAFT"),
    "npa.remove_loans": Row(
        party("bank2", what="the seller"), lambda w, m: dict(package=w.t["P_draft"], loans=[w.t["P_draft_loan"]]),
        "the seller, in DRAFT"),
    "npa.set_prices": Row(
        party("bank2", what="the seller"),
        lambda w, m: dict(package=w.t["P_draft"], reserve_price=1_000_000 * YUAN, list_price=1_100_000 * YUAN,
                          margin=100_000 * YUAN),
        "the seller, until listed"),
    "npa.submit_for_due_diligence": Row(
        party("bank2", what="the seller"), lambda w, m: dict(package=w.t["P_draft"], intermediary=w.o["lawfirm"]),
        "the seller chooses its intermediary"),
    "npa.record_due_diligence": Row(
        party("lawfirm", what="the package's DD intermediary"),
        lambda w, m: dict(package=w.t["P_dd"], report_hash=w.t["P_dd_report"], opinion="clean"),
        "that intermediary only (underwriter is another INTERMEDIARY)"),
    "npa.approve": Row(EXCHANGE, lambda w, m: dict(package=w.t["P_dd_done"]), "the exchange approves"),
    "npa.list_package": Row(
        EXCHANGE,
        lambda w, m: dict(package=w.t["P_approved"], mode="english", start=w.now, end=w.now + DAY,
                          settlement_bank=w.o["bank"], increment=50_000 * YUAN),
        "the exchange lists and runs auctions (domain: EXCHANGE runs auctions)"),
    "npa.withdraw": Row(
        party("bank2", what="the seller") | EXCHANGE, lambda w, m: dict(package=w.t["P_draft"], reason="withdrawn"),
        "README: withdraw by the seller or EXCHANGE"),
    "npa.sign_deal": Row(
        party("bank2", "amc", what="the seller and the winner"),
        lambda w, m: dict(package=w.t["P_awarded"], contract_hash=w.t["P_awarded_contract"]),
        "both sides sign the same contract; amc2 (another AMC) did not win"),
    "npa.deliver": Row(
        party("bank2", what="the seller"),
        lambda w, m: dict(package=w.t["P_paid"], delivery_doc_hash=w.t["P_paid_delivery"]), "the seller, once PAID"),
    "npa.publish_notice": Row(
        party("bank2", what="the seller") | EXCHANGE,
        lambda w, m: dict(package=w.t["P_delivered"], notice_hash=w.t["P_delivered_notice"]),
        "README: publish_notice by the seller or EXCHANGE"),
    "npa.record_disposition": Row(
        party("amc", what="the buyer"),
        lambda w, m: dict(package=w.t["P_post"], kind="collection", description="second collection",
                          amount=1_000 * YUAN),
        "the buyer records what it does with the loans"),
    "npa.assign_inspector": Row(
        EXCHANGE, lambda w, m: dict(package=w.t["P_post"], inspector=w.o["lawfirm"]),
        "the exchange appoints the inspector"),
    "npa.inspect": Row(
        party("underwriter", what="the appointed inspector"),
        lambda w, m: dict(package=w.t["P_post"], result="compliant", report_hash=w.t["P_post_report"]),
        "only the inspector appointed (lawfirm, another INTERMEDIARY and the DD firm, is not)"),
    "npa.close": Row(EXCHANGE, lambda w, m: dict(package=w.t["P_inspected"]), "the exchange closes"),
    "npa.register_document": Row(
        party("bank2", "lawfirm", "amc", "underwriter", what="seller, DD intermediary, winner, inspector") | EXCHANGE,
        lambda w, m: dict(package=w.t["P_post"], hash="ce" * 32, kind="other", name="note", size=10),
        "README: register_document by seller, DD intermediary, EXCHANGE, and the winner and inspector once they "
        "have a part; the regulator reads but does not add documents"),
    "npa.view_document": Row(
        party("amc", "investor1", "investor2", what="bidders registered for the current auction")
        | party("bank2", "lawfirm", what="the seller and the DD intermediary") | SEE_ALL,
        lambda w, m: dict(package=w.t["P_listed"], hash=w.t["P_listed_tape"]),
        "a registered bidder logs its read (registration is enough, the margin need not be in: investor2); the "
        "package's parties, the exchange and the regulator may log theirs too (npa.view_document docstring)"),
    # -- products (originator factor, registrar `registrar`, settlement bank `bank`) -----------------------------
    "products.create": Row(
        roles("FACTOR"),
        lambda w, m: dict(name="product",
                          tranches=[dict(name="senior", size=100_000 * YUAN, coupon_bps=400, priority=1)],
                          registrar=w.o["registrar"], settlement_bank=w.o["bank"], min_ticket=10_000 * YUAN,
                          term_days=90),
        "a FACTOR originates (domain 4)"),
    "products.add_underlying": Row(
        party("factor", what="the originator"),
        lambda w, m: dict(product=w.t["PR_draft"], vouchers=[w.t["V_financed_free"]]), "the originator, DRAFT"),
    "products.rate": Row(
        roles("RATING_AGENCY"),
        lambda w, m: dict(product=w.t["PR_draft"], grade="AA", outlook="stable", report_hash=H),
        "only a RATING_AGENCY writes ratings (domain); any agency, not one named by the product"),
    "products.file": Row(party("factor", what="the originator"), lambda w, m: dict(product=w.t["PR_rated"]),
                         "the originator files"),
    "products.approve": Row(
        EXCHANGE,
        lambda w, m: dict(product=w.t["PR_filed"], approval_no="TJFAE-9001", opens=w.now, closes=w.now + 10 * DAY),
        "the exchange approves"),
    "products.subscribe": Row(
        QUALIFIED, lambda w, m: dict(product=w.t["PR_open"], tranche="senior", amount=50_000 * YUAN),
        "only qualified investors (domain 4)"),
    "products.establish": Row(
        party("registrar", what="the product's registrar"), lambda w, m: dict(product=w.t["PR_open"]),
        "the product's registrar (registrar2 is another REGISTRAR), at the window's close (not fully subscribed, "
        "the product then FAILS with refunds: still the registrar's call)",
        at=lambda w: product(w, "PR_open")["closes"] * 1000),
    "products.confirm_funding": Row(
        party("bank", what="the product's settlement bank"),
        lambda w, m: dict(product=w.t["PR_established"], bank_ref="F-R-9001"), "the settlement bank"),
    "products.propose_transfer": Row(
        party("investor1", "investor2", what="holders of the tranche"),
        lambda w, m: dict(product=w.t["PR_outstanding"], tranche="senior", buyer=w.o["investor3"],
                          units=50_000 * YUAN, price=50_000 * YUAN),
        "a holder offers its own units to a named buyer (README: propose_transfer by the holder); investor3 "
        "(the named buyer, a holder of another tranche) and every non-holder are unauthorized (the matrix found "
        "the holder never checked: non-holders were refused limit_exceeded, the named buyer bad_request)"),
    "products.accept_transfer": Row(
        party("investor3", what="the named buyer"), lambda w, m: dict(transfer=w.t["T_proposed"]),
        "only the named buyer signs (no anonymous matching, domain 4)"),
    "products.cancel_transfer": Row(
        party("investor1", "investor3", what="the seller or the named buyer"),
        lambda w, m: dict(transfer=w.t["T_proposed"]), "either party withdraws"),
    "products.register_transfer": Row(
        party("registrar", what="the product's registrar"), lambda w, m: dict(transfer=w.t["T_accepted"]),
        "the registrar keeps the register; called after the 5-day hold",
        at=lambda w: (product(w, "PR_outstanding")["established_at"] + 5 * DAY) * 1000),
    "products.distribute": Row(
        party("registrar", what="the product's registrar"), lambda w, m: dict(product=w.t["PR_outstanding"]),
        "the registrar distributes collections"),
    "products.mature": Row(
        party("registrar", what="the product's registrar"), lambda w, m: dict(product=w.t["PR_outstanding"]),
        "the registrar, at maturity", at=lambda w: product(w, "PR_outstanding")["maturity"] * 1000),
    "products.declare_default": Row(
        party("factor", "registrar", what="the originator or the registrar") | EXCHANGE,
        lambda w, m: dict(product=w.t["PR_outstanding"], reason="collections stopped"),
        "README: declare_default by originator, registrar or EXCHANGE"),
    "products.close": Row(
        party("registrar", what="the product's registrar"), lambda w, m: dict(product=w.t["PR_default"]),
        "the registrar closes once everything collected is distributed"),
    # -- supervision and governance -----------------------------------------------------------------
    "supervision.freeze": Row(
        REGULATOR, lambda w, m: dict(asset=f"plan:{w.t['PL_draft']}", reason="investigation"),
        "the regulator freezes any asset (domain 5)"),
    "supervision.unfreeze": Row(
        REGULATOR, lambda w, m: dict(asset=f"invoice:{w.t['INV_frozen']}", reason="cleared"), "as freeze"),
    "governance.propose": Row(
        ANYONE, lambda w, m: dict(kind="set_threshold", params={"rule": "long_tenor", "value": 120}),
        "any member organisation proposes (README governance)"),
    "governance.vote": Row(
        ANYONE, lambda w, m: dict(proposal=w.t["G_open"], approve=True),
        "every organisation of the proposal's electorate (all active members when it was made) votes once"),
    "governance.execute": Row(
        ANYONE, lambda w, m: dict(proposal=w.t["G_passed"]),
        "any member retries a PASSED proposal whose execution failed (README governance)"),
}

CALLERS = NAMES + tuple(OUTSIDERS)


def expected(row: Row, member: str) -> str:
    if member in OUTSIDERS:
        return OUTSIDERS[member]
    return "ok" if member in row.who else "unauthorized"


CASES = [(key, member) for key in TABLE for member in CALLERS]


@pytest.mark.parametrize("key,member", CASES,
                         ids=[f"{k}-{m}-{expected(TABLE[k], m)}" for k, m in CASES])
def test_transaction(world: World, key: str, member: str) -> None:
    row = TABLE[key]
    contract, method = key.split("#")[0].split(".")
    at = row.at(world) if row.at is not None else None
    want = expected(row, member)
    rec, res, written = world.speculate(member, contract, method, row.args(world, member), at)
    where = f"{member} ({TYPE.get(member, 'outsider')}) calling {key}: rule {row.who!r}: {row.why}"
    if want == "ok":
        assert rec.code == "ok", f"{where}\n  refused {rec.code}: {rec.message}"
        return
    assert rec.code == want, f"{where}\n  expected {want}, got {rec.code}: {rec.message}"
    assert rec.message, "a refusal needs a human message"
    assert rec.result is None and rec.events == []
    assert res.app_hash == world.empty_app_hash(at) or only_an_alert(res, written, rec), \
        f"{where}\n  the refused call changed the state"


def only_an_alert(res, written: set[bytes], rec) -> bool:
    """The one thing a refusal may leave (tests/modules/driver.py): the regulator's alert about the
    attempt itself (e.g. reusing an invoice), written by supervision at the end of the block."""
    alerts = [e for e in res.end_events if e["contract"] == "supervision" and e["type"] == "Alert"
              and e["attrs"]["evidence"].get("tx") == rec.tx_hash.hex()]
    return bool(alerts) and all(k.startswith(b"supervision/") for k in written)


def test_every_transaction_method_has_a_row() -> None:
    """Every @tx method of every registered contract is in TABLE (and nothing else is)."""
    have = {(name, m) for name, cls in load_contracts().items() for m, meth in cls.methods.items() if meth.kind == "tx"}
    rows = {tuple(key.split("#")[0].split(".")) for key in TABLE}
    assert have - rows == set(), f"transaction methods without a row in the authorization matrix: {sorted(have - rows)}"
    assert rows - have == set(), f"rows for methods that are not transaction methods: {sorted(rows - have)}"


@pytest.mark.parametrize("key", [k for k in TABLE if TABLE[k].who.parties], ids=str)
def test_party_rows_have_a_refused_peer(key: str) -> None:
    """Where a specific party may act, a member of the same type that is not that party is in the
    matrix too, and the row refuses it."""
    row = TABLE[key]
    for p in row.who.parties:
        peers = [n for n in NAMES if TYPE[n] == TYPE[p] and n not in row.who]
        assert peers, f"{key}: no member of {p}'s type {TYPE[p]} outside the permitted set {row.who!r}"


@pytest.mark.parametrize("kind", ["internal", "query"])
def test_no_member_can_call_a_non_transaction_method(world: World, kind: str) -> None:
    """@internal methods (another contract's calls) and @query methods are never transactions: the
    envelope refuses them as `unknown_method` for every member, before any contract runs."""
    unchanged = world.empty_app_hash()
    methods = [(name, m) for name, cls in load_contracts().items() for m, meth in cls.methods.items()
               if meth.kind == kind]
    assert methods
    for contract, method in methods:
        for member in NAMES:
            rec, res, _ = world.speculate(member, contract, method, {})
            assert rec.code == "unknown_method", (member, contract, method, rec.code, rec.message)
            assert res.app_hash == unchanged, (member, contract, method)
