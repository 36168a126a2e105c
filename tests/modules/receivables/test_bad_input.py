"""Receivables bad input: every rejection has its stable code and leaves the state untouched.

`world` builds one ledger with something in every state; each case then sends one bad
transaction and `Rcv.rejected` checks the code and that the block holding it has the app
hash of an empty block at that height (end_block hooks run in every block, so "unchanged"
means "as if the transaction had not been there").
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from faechain.contracts.money import MAX_AMOUNT
from tests.modules.receivables.pay_support import settle
from tests.modules.receivables.rcv_support import DAY, H, Rcv, open_fast_chain

NOBODY = "91110000NOSUCHORGX"  # a well-formed USCC of no member


@dataclass
class World:
    r: Rcv
    o: dict
    inv_full: str  # fully drawn by root a
    inv_free: str  # 500_00 undrawn, supplier1 -> core
    a: str  # root, 30 days: split into a2 (supplier2) and a1 (supplier1, FINANCING via fa)
    a1: str
    a2: str
    fa: str  # requested, not registered
    b: str  # root, 1 day, PAID: pieces b1 (supplier1), b2 (supplier2)
    b1: str
    b2: str
    c_: str  # root, 1 day, past maturity, unpaid: c1 supplier1
    d: str  # root, ISSUED to supplier3, awaiting acceptance
    fr: str  # a2's sibling financing: registered, not funded (piece a3 of supplier2)
    a3: str
    inv_core2: str  # 500_00, supplier1 -> core2 (which has no credit line)
    inv_big: str  # 5_000_00, supplier1 -> core: more than the credit headroom


@pytest.fixture
def fast_chain(demo_template, tmp_path):
    """The demo chain on a private database without an fsync per block (~100 worlds are built)."""
    c = open_fast_chain(demo_template, str(tmp_path / "chain.db"))
    yield c
    c.close()


@pytest.fixture
def w(fast_chain) -> World:
    r = Rcv(fast_chain)
    r.warm()
    o = r.o
    r.line(3_002_000_00)
    inv_full = r.invoice(1_000_000_00)
    a = r.issue(1_000_000_00, days=30, invoice=inv_full)
    a2, a1 = r.transfer("supplier1", a, "supplier2", 300_000_00)
    a3, a2 = r.transfer("supplier2", a2, "supplier3", 100_000_00)  # a3 supplier3's, a2 (the rest) supplier2's
    fa = r.ok("supplier1", "request_financing", id=a1, funder=o["factor"], amount=100_000_00,
              rate_bps=500)["financing"]
    fr = r.ok("supplier3", "request_financing", id=a3, funder=o["bank"], amount=100_000_00,
              rate_bps=500)["financing"]
    r.ok("bank", "record_registration", financing=fr, reg_no="ZDW-7")
    r.attest(fr)  # the registry agent's attestation and clear search: fr can be funded
    b = r.issue(1_000_000_00, days=1)
    b2, b1 = r.transfer("supplier1", b, "supplier2", 400_000_00)
    c_ = r.issue(1_000_000_00, days=1)
    d = r.issue(1_000_00, to="supplier3", days=30, accept=False)
    inv_free = r.invoice(500_00)
    inv_core2 = r.invoice(500_00, buyer="core2")
    inv_big = r.invoice(5_000_00)
    r.c.advance(DAY)
    settle(r, b, 1_000_000_00)  # the rail confirms the payment and then each piece's instruction
    r.line(2_002_000_00)  # the bank lowers its line: 1,000.00 of headroom left
    assert r.v(b1)["status"] == "PAID" and r.get(f"root/{c_}")["status"] in ("ACTIVE", "OVERDUE")
    assert r.q("credit", core=o["core"])["headroom"] == 1_000_00
    return World(r, o, inv_full, inv_free, a, a1, a2, fa, b, b1, b2, c_, d, fr, a3, inv_core2, inv_big)


def issue_args(w: World, **over) -> dict:
    args = dict(to=w.o["supplier1"], amount=500_00, maturity=w.r.c.now + 30 * DAY, invoices=[[w.inv_free, 500_00]],
                contract_hash=H)
    args.update(over)
    return args


def fix_amount(args: dict) -> dict:
    """Keep the invoice draw equal to the amount (so only the amount is at fault)."""
    if "invoices" in args and "amount" in args:
        args["invoices"] = [[args["invoices"][0][0], args["amount"]]]
    return args


# (id, who, method, args(w), code)
CASES = [
    # negative or zero amounts
    ("transfer-zero", "supplier2", "transfer", lambda w: dict(id=w.a2, to=w.o["supplier3"], amount=0), "bad_request"),
    ("transfer-negative", "supplier2", "transfer", lambda w: dict(id=w.a2, to=w.o["supplier3"], amount=-1),
     "bad_request"),
    ("issue-zero", "core", "issue", lambda w: fix_amount(issue_args(w, amount=0)), "bad_request"),
    ("issue-negative", "core", "issue", lambda w: fix_amount(issue_args(w, amount=-500_00)), "bad_request"),
    ("issue-negative-draw", "core", "issue",
     lambda w: issue_args(w, invoices=[[w.inv_full, -100_00], [w.inv_free, 600_00]]), "bad_request"),
    ("financing-zero", "supplier2", "request_financing",
     lambda w: dict(id=w.a2, funder=w.o["factor"], amount=0, rate_bps=1), "bad_request"),
    ("payment-negative", "bank", "confirm_payment", lambda w: dict(root=w.c_, amount=-1, bank_ref="X"),
     "bad_request"),
    ("invoice-zero", "supplier1", "register_invoice",
     lambda w: dict(code="1", number="2", seller=w.o["supplier1"], buyer=w.o["core"], amount=0,
                    date=w.r.c.now - DAY, doc_hash=H), "bad_request"),
    ("credit-negative", "bank", "grant_credit", lambda w: dict(core=w.o["core"], amount=-1, expires=w.r.c.now + DAY),
     "bad_request"),
    # amounts beyond 64-bit: refused by argument checking
    ("transfer-2^63", "supplier2", "transfer", lambda w: dict(id=w.a2, to=w.o["supplier3"], amount=2**63),
     "bad_request"),
    ("transfer-2^64-1", "supplier2", "transfer", lambda w: dict(id=w.a2, to=w.o["supplier3"], amount=2**64 - 1),
     "bad_request"),
    ("issue-2^63", "core", "issue", lambda w: fix_amount(issue_args(w, amount=2**63)), "bad_request"),
    ("payment-2^63", "bank", "confirm_payment", lambda w: dict(root=w.c_, amount=2**63, bank_ref="X"),
     "bad_request"),
    ("rate-2^63", "supplier2", "request_financing",
     lambda w: dict(id=w.a2, funder=w.o["factor"], amount=1, rate_bps=2**63), "bad_request"),
    ("maturity-2^63", "core", "issue", lambda w: issue_args(w, maturity=2**63), "bad_request"),
    ("invoice-2^63", "supplier1", "register_invoice",
     lambda w: dict(code="1", number="2", seller=w.o["supplier1"], buyer=w.o["core"], amount=2**63,
                    date=w.r.c.now - DAY, doc_hash=H), "bad_request"),
    # wrong argument types and shapes
    ("amount-as-text", "supplier2", "transfer", lambda w: dict(id=w.a2, to=w.o["supplier3"], amount="1"),
     "bad_request"),
    ("amount-as-bool", "supplier2", "transfer", lambda w: dict(id=w.a2, to=w.o["supplier3"], amount=True),
     "bad_request"),
    ("missing-argument", "supplier2", "transfer", lambda w: dict(id=w.a2, to=w.o["supplier3"]), "bad_request"),
    ("unknown-argument", "supplier2", "transfer",
     lambda w: dict(id=w.a2, to=w.o["supplier3"], amount=1, sender=w.o["supplier2"]), "bad_request"),
    ("invoices-not-pairs", "core", "issue", lambda w: issue_args(w, invoices=[[w.inv_free]]), "bad_request"),
    # a split larger than the piece (even the largest representable amount)
    ("split-too-large", "supplier2", "transfer", lambda w: dict(id=w.a2, to=w.o["supplier3"], amount=200_000_01),
     "limit_exceeded"),
    ("split-max-amount", "supplier2", "transfer", lambda w: dict(id=w.a2, to=w.o["supplier3"], amount=MAX_AMOUNT),
     "limit_exceeded"),
    ("financing-too-large", "supplier2", "request_financing",
     lambda w: dict(id=w.a2, funder=w.o["factor"], amount=200_000_01, rate_bps=1), "limit_exceeded"),
    ("payment-above-root", "bank", "confirm_payment", lambda w: dict(root=w.c_, amount=1_000_000_01, bank_ref="X"),
     "limit_exceeded"),
    # unknown ids
    ("transfer-unknown", "supplier2", "transfer", lambda w: dict(id="V-9999-0-1", to=w.o["supplier3"], amount=1),
     "not_found"),
    ("accept-unknown", "supplier2", "accept", lambda w: dict(id="nope"), "not_found"),
    ("reject-unknown", "supplier2", "reject", lambda w: dict(id="V-1-0-1"), "not_found"),
    ("financing-unknown-voucher", "supplier2", "request_financing",
     lambda w: dict(id="V-9999-0-1", funder=w.o["factor"], amount=1, rate_bps=1), "not_found"),
    ("freeze-unknown", "regulator", "freeze", lambda w: dict(id="V-9999-0-1", reason="x"), "not_found"),
    ("unfreeze-unknown", "regulator", "unfreeze", lambda w: dict(id="V-9999-0-1", reason="x"), "not_found"),
    ("payment-unknown-root", "bank", "confirm_payment", lambda w: dict(root="V-9999-0-1", amount=1, bank_ref="X"),
     "not_found"),
    ("payment-of-a-piece-not-a-root", "bank", "confirm_payment", lambda w: dict(root=w.a2, amount=1, bank_ref="X"),
     "not_found"),
    ("fund-unknown", "factor", "fund", lambda w: dict(financing="F-9999-0-1"), "not_found"),
    ("register-unknown", "factor", "record_registration", lambda w: dict(financing="F-9999-0-1", reg_no="R"),
     "not_found"),
    ("cancel-unknown", "factor", "cancel_financing", lambda w: dict(financing="F-9999-0-1"), "not_found"),
    ("issue-unknown-invoice", "core", "issue", lambda w: issue_args(w, invoices=[["0110-0000", 500_00]]),
     "not_found"),
    # maturity in the past, now, or beyond 365 days
    ("maturity-past", "core", "issue", lambda w: issue_args(w, maturity=w.r.c.now - 1), "bad_request"),
    ("maturity-now", "core", "issue", lambda w: issue_args(w, maturity=w.r.c.now), "bad_request"),
    ("maturity-366-days", "core", "issue", lambda w: issue_args(w, maturity=w.r.c.now + 366 * DAY),
     "limit_exceeded"),
    ("maturity-365-days-and-a-second", "core", "issue", lambda w: issue_args(w, maturity=w.r.c.now + 365 * DAY + 1),
     "limit_exceeded"),
    # transfers to a non-member, to oneself, to the regulator
    ("transfer-non-member", "supplier2", "transfer", lambda w: dict(id=w.a2, to=NOBODY, amount=1), "not_found"),
    ("transfer-to-self", "supplier2", "transfer", lambda w: dict(id=w.a2, to=w.o["supplier2"], amount=1),
     "bad_request"),
    ("transfer-to-regulator", "supplier2", "transfer", lambda w: dict(id=w.a2, to=w.o["regulator"], amount=1),
     "bad_request"),
    ("transfer-to-payer", "supplier2", "transfer", lambda w: dict(id=w.a2, to=w.o["core"], amount=1),
     "bad_request"),
    ("issue-to-non-member", "core", "issue", lambda w: issue_args(w, to=NOBODY), "not_found"),
    ("financing-non-member", "supplier2", "request_financing",
     lambda w: dict(id=w.a2, funder=NOBODY, amount=1, rate_bps=1), "not_found"),
    # financing without registration; a second financing of the same piece
    ("fund-unregistered", "factor", "fund", lambda w: dict(financing=w.fa), "invalid_state"),
    ("second-financing", "supplier1", "request_financing",
     lambda w: dict(id=w.a1, funder=w.o["bank"], amount=1, rate_bps=1), "duplicate"),
    ("second-registration", "bank", "record_registration", lambda w: dict(financing=w.fr, reg_no="ZDW-8"),
     "invalid_state"),
    # payment by a bank that is not the settlement bank; before maturity; of an unaccepted root
    ("payment-bank2", "bank2", "confirm_payment", lambda w: dict(root=w.c_, amount=1, bank_ref="X"),
     "unauthorized"),
    ("payment-before-maturity", "bank", "confirm_payment", lambda w: dict(root=w.a, amount=1, bank_ref="X"),
     "invalid_state"),
    ("payment-twice", "bank", "confirm_payment", lambda w: dict(root=w.b, amount=1, bank_ref="X"), "invalid_state"),
    ("payment-unaccepted", "bank", "confirm_payment", lambda w: dict(root=w.d, amount=1, bank_ref="X"),
     "invalid_state"),
    # the invoice registry
    ("invoice-overdrawn", "core", "issue", lambda w: issue_args(w, amount=500_01, invoices=[[w.inv_free, 500_01]]),
     "limit_exceeded"),
    ("invoice-fully-drawn", "core", "issue", lambda w: issue_args(w, amount=1, invoices=[[w.inv_full, 1]]),
     "limit_exceeded"),
    ("invoice-twice", "supplier1", "register_invoice",
     lambda w: dict(code=w.inv_free.split("-")[0], number=w.inv_free.split("-")[1], seller=w.o["supplier1"],
                    buyer=w.o["core"], amount=1, date=w.r.c.now - DAY, doc_hash=H), "duplicate"),
    # issuing beyond the credit line (headroom is 1,000.00)
    ("beyond-credit", "core", "issue", lambda w: issue_args(w, amount=1_000_01, invoices=[[w.inv_big, 1_000_01]]),
     "limit_exceeded"),
    ("no-credit-line", "core2", "issue", lambda w: issue_args(w, invoices=[[w.inv_core2, 500_00]]), "limit_exceeded"),
    ("someone-elses-invoice", "core2", "issue", lambda w: issue_args(w), "bad_request"),
    # moving someone else's voucher
    ("transfer-not-holder", "supplier1", "transfer", lambda w: dict(id=w.a2, to=w.o["supplier3"], amount=1),
     "unauthorized"),
    ("transfer-by-payer", "core", "transfer", lambda w: dict(id=w.a2, to=w.o["supplier3"], amount=1),
     "unauthorized"),
    ("transfer-by-regulator", "regulator", "transfer", lambda w: dict(id=w.a2, to=w.o["supplier3"], amount=1),
     "unauthorized"),
    ("financing-not-holder", "supplier3", "request_financing",
     lambda w: dict(id=w.a2, funder=w.o["factor"], amount=1, rate_bps=1), "unauthorized"),
    # moving after maturity
    ("transfer-after-maturity", "supplier1", "transfer", lambda w: dict(id=w.c_, to=w.o["supplier3"], amount=1),
     "expired"),
    ("financing-after-maturity", "supplier1", "request_financing",
     lambda w: dict(id=w.c_, funder=w.o["factor"], amount=1, rate_bps=1), "expired"),
    # moving a PAID or a consumed piece
    ("transfer-paid", "supplier1", "transfer", lambda w: dict(id=w.b1, to=w.o["supplier3"], amount=1),
     "invalid_state"),
    ("transfer-paid-2", "supplier2", "transfer", lambda w: dict(id=w.b2, to=w.o["supplier3"], amount=1),
     "invalid_state"),
    ("financing-paid", "supplier1", "request_financing",
     lambda w: dict(id=w.b1, funder=w.o["factor"], amount=1, rate_bps=1), "invalid_state"),
    ("transfer-consumed", "supplier1", "transfer", lambda w: dict(id=w.a, to=w.o["supplier3"], amount=1),
     "invalid_state"),
    ("transfer-consumed-root-of-paid", "supplier1", "transfer", lambda w: dict(id=w.b, to=w.o["supplier3"], amount=1),
     "invalid_state"),
    ("transfer-financing-pending", "supplier1", "transfer", lambda w: dict(id=w.a1, to=w.o["supplier3"], amount=1),
     "invalid_state"),
    ("transfer-unaccepted", "supplier3", "transfer", lambda w: dict(id=w.d, to=w.o["supplier2"], amount=1),
     "invalid_state"),
    ("accept-twice", "supplier1", "accept", lambda w: dict(id=w.c_), "invalid_state"),
    ("reject-accepted", "supplier1", "reject", lambda w: dict(id=w.c_), "invalid_state"),
    ("unfreeze-not-frozen", "regulator", "unfreeze", lambda w: dict(id=w.a2, reason="x"), "invalid_state"),
    # wrong roles for every step
    ("register_invoice-not-seller", "supplier2", "register_invoice",
     lambda w: dict(code="9", number="9", seller=w.o["supplier1"], buyer=w.o["core"], amount=1,
                    date=w.r.c.now - DAY, doc_hash=H), "unauthorized"),
    ("grant_credit-factor", "factor", "grant_credit", lambda w: dict(core=w.o["core"], amount=1,
                                                                     expires=w.r.c.now + DAY), "unauthorized"),
    ("grant_credit-core", "core", "grant_credit", lambda w: dict(core=w.o["core"], amount=10**12,
                                                                 expires=w.r.c.now + DAY), "unauthorized"),
    ("issue-supplier", "supplier1", "issue", lambda w: issue_args(w), "unauthorized"),
    ("issue-bank", "bank", "issue", lambda w: issue_args(w), "unauthorized"),
    ("accept-not-holder", "supplier2", "accept", lambda w: dict(id=w.d), "unauthorized"),
    ("accept-payer", "core", "accept", lambda w: dict(id=w.d), "unauthorized"),
    ("reject-not-holder", "supplier2", "reject", lambda w: dict(id=w.d), "unauthorized"),
    ("cancel-not-party", "supplier2", "cancel_financing", lambda w: dict(financing=w.fa), "unauthorized"),
    ("registration-not-funder", "supplier1", "record_registration", lambda w: dict(financing=w.fa, reg_no="R"),
     "unauthorized"),
    ("registration-other-bank", "bank2", "record_registration", lambda w: dict(financing=w.fa, reg_no="R"),
     "unauthorized"),
    ("fund-not-funder", "supplier3", "fund", lambda w: dict(financing=w.fr), "unauthorized"),
    ("fund-other-funder", "factor", "fund", lambda w: dict(financing=w.fr), "unauthorized"),
    ("payment-by-core", "core", "confirm_payment", lambda w: dict(root=w.c_, amount=1, bank_ref="X"),
     "unauthorized"),
    ("payment-by-factor", "factor", "confirm_payment", lambda w: dict(root=w.c_, amount=1, bank_ref="X"),
     "unauthorized"),
    ("freeze-exchange", "exchange", "freeze", lambda w: dict(id=w.a2, reason="x"), "unauthorized"),
    ("freeze-bank", "bank", "freeze", lambda w: dict(id=w.a2, reason="x"), "unauthorized"),
    ("unfreeze-holder", "supplier2", "unfreeze", lambda w: dict(id=w.a2, reason="x"), "unauthorized"),
]


@pytest.mark.parametrize("who,method,make,code", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(w, who, method, make, code):
    w.r.rejected(who, method, code, **make(w))


def test_the_world_still_works_after_rejections(w):
    """The rejections above are not artefacts of a broken world: the good versions pass."""
    r, o = w.r, w.o
    r.ok("supplier2", "transfer", id=w.a2, to=o["supplier3"], amount=200_000_00)
    r.ok("core", "issue", **issue_args(w, amount=1_000_00, invoices=[[w.inv_big, 1_000_00]]))  # exactly the headroom
    r.ok("bank", "fund", financing=w.fr)
    r.ok("factor", "record_registration", financing=w.fa, reg_no="R")
    r.attest(w.fa)
    r.ok("factor", "fund", financing=w.fa)
    r.ok("supplier3", "accept", id=w.d)
    r.ok("bank", "confirm_payment", root=w.c_, amount=1, bank_ref="X")


def test_frozen_steps(w):
    r, o = w.r, w.o
    r.ok("regulator", "freeze", id=w.a2, reason="court order")
    r.rejected("supplier2", "transfer", "frozen", id=w.a2, to=o["supplier3"], amount=1)
    r.rejected("supplier2", "request_financing", "frozen", id=w.a2, funder=o["factor"], amount=1, rate_bps=1)
    r.rejected("regulator", "freeze", "invalid_state", id=w.a2, reason="again")
    r.ok("regulator", "freeze", id=w.a, reason="the whole root")
    r.rejected("bank", "fund", "frozen", financing=w.fr)
    r.rejected("supplier3", "transfer", "frozen", id=w.a3, to=o["supplier2"], amount=1)
    r.ok("regulator", "freeze", id=w.c_, reason="c")
    r.rejected("bank", "confirm_payment", "frozen", root=w.c_, amount=1, bank_ref="X")
    r.ok("regulator", "freeze", id=w.d, reason="d")
    r.rejected("supplier3", "accept", "frozen", id=w.d)


def test_a_bad_transaction_among_good_ones_changes_only_what_the_good_ones_change(w):
    """In one block: good, bad, good. The bad one's writes are discarded, the others stand."""
    r, o, c = w.r, w.o, w.r.c
    good1 = c.sign("supplier2", "receivables", "transfer", dict(id=w.a2, to=o["supplier3"], amount=1_00))
    bad = c.sign("supplier2", "receivables", "transfer", dict(id=w.a2, to=o["supplier3"], amount=1_00))  # consumed
    res = c.block([good1, bad])
    assert [x.code for x in res.receipts] == ["ok", "invalid_state"]
    assert res.receipts[1].events == []
    assert sum(r.live(w.a).values()) == 1_000_000_00
