"""Every rejection of the npa contract: a stable code, a message, nothing changed."""

from __future__ import annotations

import shutil

import pytest

from faechain.contracts.runtime import REGISTRY, Contract, Ctx, register, tx
from tests.modules.conftest import open_demo_chain
from tests.modules.npa.npa_support import DAY, INCREMENT, PRICES, PRINCIPAL, Np, doc_hash, person

MAX = 2**63 - 1


def test_registering_a_loan_checks_the_seller_and_every_amount(n):
    base = dict(loan_no="BH-1", borrower=person("Tianjin Steel Pipe Co."), principal=PRINCIPAL, interest=0,
                classification="loss", days_past_due=900)
    for who in ("investor1", "lawfirm", "exchange", "core"):
        n.rejected(who, "register_loan", "unauthorized", **base)
    for bad in [dict(principal=0), dict(principal=-1), dict(principal=2**63), dict(principal="100"),
                dict(interest=-1), dict(principal=MAX, interest=1), dict(classification="bad"),
                dict(days_past_due=-1), dict(days_past_due=36_501), dict(litigation="appeal"), dict(borrower=""),
                dict(borrower="Tianjin Steel Pipe Co."), dict(borrower=person("x").upper()),
                dict(loan_no="BH/1"), dict(loan_no=""), dict(loan_no="-x"), dict(collateral="x" * 501)]:
        n.rejected("bank2", "register_loan", "bad_request", **(base | bad))
    n.ok("bank2", "register_loan", **base)
    n.rejected("bank2", "register_loan", "duplicate", **base)
    # loan numbers are unique per seller (each names its borrowers by commitments of its own)
    n.ok("amc", "register_loan", **(base | dict(borrower=person("amc's borrower"))))
    assert n.loan(n.ref("BH-1", "amc"))["seller"] == n.o["amc"]


def test_a_loan_sits_in_one_active_package(n):
    o = n.o
    package, nos = n.draft(2)
    other, _ = n.draft(1)
    n.rejected("bank2", "create_package", "duplicate", name="x", loans=[nos[0]], base_date=n.c.now - DAY, **PRICES)
    n.rejected("bank2", "add_loans", "duplicate", package=other, loans=[nos[1]])
    n.rejected("bank2", "add_loans", "duplicate", package=package, loans=[nos[0]])  # already in this one
    [free] = n.loans(1)
    n.rejected("bank2", "add_loans", "duplicate", package=other, loans=[free, free])
    n.rejected("bank2", "add_loans", "not_found", package=other, loans=["BH-NO-SUCH"])
    [theirs] = n.loans(1, seller="amc")
    n.rejected("bank2", "add_loans", "not_found", package=other, loans=[theirs])  # read as bank2's own number
    n.rejected("bank2", "add_loans", "unauthorized", package=other, loans=[n.ref(theirs, "amc")])
    [performing] = n.loans(1, classification="special_mention")
    n.rejected("bank2", "add_loans", "invalid_state", package=other, loans=[performing])
    n.rejected("bank2", "add_loans", "bad_request", package=other, loans=[])
    # out of the first package, the loan can go into the other
    n.ok("bank2", "remove_loans", package=package, loans=[nos[1]])
    n.ok("bank2", "add_loans", package=other, loans=[nos[1]])
    assert n.loan(n.ref(nos[1]))["package"] == other
    n.rejected("bank2", "remove_loans", "not_found", package=package, loans=[nos[1]])
    # withdrawn, its loans are free again
    n.ok("bank2", "withdraw", package=package, reason="repackaging")
    assert n.loan(n.ref(nos[0]))["package"] is None
    n.ok("bank2", "add_loans", package=other, loans=[nos[0]])
    n.rejected("bank2", "withdraw", "invalid_state", package=package, reason="again")
    assert n.pkg(package)["withdrawal"]["by"] == o["bank2"]


def test_creating_a_package_checks_its_seller_dates_and_prices(n):
    nos = n.loans(2)
    base = dict(name="p", loans=nos, base_date=n.c.now - DAY, **PRICES)
    n.rejected("investor1", "create_package", "unauthorized", **base)
    n.rejected("lawfirm", "create_package", "unauthorized", **base)
    for bad in [dict(reserve_price=0), dict(reserve_price=-5), dict(list_price=PRICES["reserve_price"] - 1),
                dict(margin=0), dict(margin=PRICES["list_price"] + 1), dict(list_price=2**63),
                dict(base_date=n.c.now + DAY), dict(base_date=0), dict(name=""), dict(loans=[])]:
        n.rejected("bank2", "create_package", "bad_request", **(base | bad))
    # totals beyond 64 bits cannot arise from any mix of loans
    n.ok("bank2", "register_loan", loan_no="BIG-1", borrower=person("b"), principal=MAX // 2 + 1, interest=0,
         classification="loss", days_past_due=1)
    n.ok("bank2", "register_loan", loan_no="BIG-2", borrower=person("b"), principal=MAX // 2 + 1, interest=0,
         classification="loss", days_past_due=1)
    n.rejected("bank2", "create_package", "bad_request", **(base | dict(loans=["BIG-1", "BIG-2"])))
    package = n.ok("bank2", "create_package", **base)["package"]
    n.rejected("bank2", "set_prices", "bad_request", package=package, reserve_price=-1, list_price=1, margin=1)
    n.rejected("bank2", "add_loans", "bad_request", package=package, loans=["BIG-1", "BIG-2"])


@pytest.mark.parametrize("who", ["amc", "exchange", "lawfirm", "regulator"])
def test_only_the_seller_edits_its_draft(n, who):
    package, nos = n.draft(2)
    [free] = n.loans(1)
    n.rejected(who, "add_loans", "unauthorized", package=package, loans=[n.ref(free)])
    n.rejected(who, "remove_loans", "unauthorized", package=package, loans=[n.ref(nos[0])])
    n.rejected(who, "set_prices", "unauthorized", package=package, **PRICES)
    n.rejected(who, "submit_for_due_diligence", "unauthorized", package=package, intermediary=n.o["lawfirm"])
    n.rejected(who, "update_loan", "not_found", loan=nos[0], days_past_due=1)  # a bare number is the caller's own
    n.rejected(who, "update_loan", "unauthorized", loan=n.ref(nos[0]), days_past_due=1)


def test_unknown_ids_are_not_found(n):
    package, _ = n.draft(1)
    for method, args in [("add_loans", dict(loans=["x"])), ("set_prices", PRICES),
                         ("submit_for_due_diligence", dict(intermediary=n.o["lawfirm"])),
                         ("withdraw", dict(reason="r")), ("sign_deal", dict(contract_hash=doc_hash("c"))),
                         ("register_document", dict(hash=doc_hash("d"), kind="other", name="d", size=1))]:
        n.rejected("bank2", method, "not_found", package="PKG-no-such", **args)
    for method in ("approve", "close"):
        n.rejected("exchange", method, "not_found", package="PKG-no-such")
    n.rejected("bank2", "update_loan", "not_found", loan="BH-no-such", days_past_due=1)
    n.rejected("bank2", "submit_for_due_diligence", "not_found", package=package, intermediary="91110000MA9999999X")
    n.rejected("bank2", "submit_for_due_diligence", "bad_request", package=package, intermediary=n.o["amc"])


def test_due_diligence_and_approval_need_the_right_party_and_order(n):
    package, _ = n.draft(1)
    n.rejected("exchange", "approve", "invalid_state", package=package)  # still a draft
    n.in_due_diligence(package)
    n.rejected("bank2", "add_loans", "invalid_state", package=package, loans=n.loans(1))  # loans change in DRAFT only
    report = n.doc(package, "report", who="lawfirm", kind="due_diligence")
    n.rejected("underwriter", "record_due_diligence", "unauthorized", package=package, report_hash=report,
               opinion="clean")
    n.rejected("bank2", "record_due_diligence", "unauthorized", package=package, report_hash=report, opinion="clean")
    n.rejected("lawfirm", "record_due_diligence", "not_found", package=package, report_hash=doc_hash("unregistered"),
               opinion="clean")
    n.rejected("lawfirm", "record_due_diligence", "bad_request", package=package, report_hash=report,
               opinion="fine")
    n.rejected("exchange", "approve", "invalid_state", package=package)  # no report yet
    n.ok("lawfirm", "record_due_diligence", package=package, report_hash=report, opinion="qualified")
    n.rejected("lawfirm", "record_due_diligence", "duplicate", package=package, report_hash=report, opinion="clean")
    for who in ("bank2", "lawfirm", "regulator", "amc"):
        n.rejected(who, "approve", "unauthorized", package=package)
    n.ok("exchange", "approve", package=package)
    n.rejected("exchange", "approve", "invalid_state", package=package)
    # an adverse opinion stops the package
    other, _ = n.draft(1)
    n.in_due_diligence(other)
    n.due_diligence(other, "adverse")
    n.rejected("exchange", "approve", "invalid_state", package=other)


def test_an_empty_draft_cannot_go_to_due_diligence(n):
    package, nos = n.draft(1)
    n.ok("bank2", "remove_loans", package=package, loans=nos)
    n.rejected("bank2", "submit_for_due_diligence", "invalid_state", package=package, intermediary=n.o["lawfirm"])


def test_listing_is_the_exchanges_and_checks_the_auction_terms(n, monkeypatch):
    from faechain.modules.npa import listing

    package = n.approved(1)

    def terms(**kw):  # starting at the next block's time
        return dict(package=package, mode="english", start=n.c.now, end=n.c.now + 3600, settlement_bank=n.o["bank"],
                    increment=INCREMENT) | kw

    for who in ("bank2", "lawfirm", "regulator", "bank"):
        n.rejected(who, "list_package", "unauthorized", **terms())
    for bad in [dict(mode="japanese"), dict(increment=0), dict(settlement_bank=n.o["bank2"]),
                dict(end=n.c.now - 1), dict(pay_days=0), dict(increment=-INCREMENT)]:
        n.rejected("exchange", "list_package", "bad_request", **terms(**bad))
    n.rejected("exchange", "list_package", "invalid_state", **terms(package=n.draft(1)[0]))
    monkeypatch.setattr(listing, "MAX_LISTINGS", 1)  # where list_package reads it
    auction = n.ok("exchange", "list_package", **terms())["auction"]
    n.rejected("exchange", "list_package", "invalid_state", **terms())  # listed already
    n.close_auction(auction)  # no bids: failed
    n.ok("bank2", "set_prices", package=package, reserve_price=1, list_price=1, margin=1)
    n.rejected("exchange", "list_package", "limit_exceeded", **terms())


def test_a_listed_package_is_frozen(n):
    package, auction = n.listed("english", loans=2)
    ref = n.pkg(package)["loans"][0]
    [free] = n.loans(1)
    n.rejected("bank2", "add_loans", "invalid_state", package=package, loans=[free])
    n.rejected("bank2", "remove_loans", "invalid_state", package=package, loans=[ref])
    n.rejected("bank2", "set_prices", "invalid_state", package=package, reserve_price=1, list_price=1, margin=1)
    n.rejected("bank2", "update_loan", "invalid_state", loan=ref, days_past_due=999)
    n.rejected("bank2", "update_loan", "invalid_state", loan=ref, interest=0)
    n.rejected("bank2", "submit_for_due_diligence", "invalid_state", package=package, intermediary=n.o["lawfirm"])
    n.bidders(auction, "amc")
    n.au.ok("amc", "bid", auction=auction, price=PRICES["list_price"])
    n.rejected("bank2", "set_prices", "invalid_state", package=package, reserve_price=1, list_price=1, margin=1)
    n.rejected("bank2", "withdraw", "invalid_state", package=package, reason="changed my mind")
    # a loan outside any package, or in a draft, can be updated
    n.ok("bank2", "update_loan", loan=free, days_past_due=500, litigation="enforcement")
    assert n.loan(n.ref(free)) == n.loan(n.ref(free)) | {"days_past_due": 500, "litigation": "enforcement",
                                                        "version": 2}
    n.rejected("bank2", "update_loan", "bad_request", loan=free)
    n.rejected("bank2", "update_loan", "bad_request", loan=free, interest=-1)


def test_the_data_room_is_read_by_registered_bidders_only(n):
    package, auction = n.listed("english")
    files = n.doc(package, "loan tape as at the base date")
    n.bidders(auction, "amc")
    n.au.ok("investor1", "register", auction=auction)  # registered, margin not yet received: may read
    for who in ("investor2", "core", "bank"):
        n.rejected(who, "view_document", "unauthorized", package=package, hash=files)
    n.rejected("amc", "view_document", "not_found", package=package, hash=doc_hash("no such document"))
    n.ok("amc", "view_document", package=package, hash=files)
    n.ok("investor1", "view_document", package=package, hash=files)
    # once awarded, the data room is closed to further reading
    n.au.ok("amc", "bid", auction=auction, price=PRICES["list_price"])
    n.close_auction(auction)
    n.rejected("amc", "view_document", "invalid_state", package=package, hash=files)
    contract_doc = n.doc(package, "transfer contract", kind="contract")
    n.rejected("amc", "view_document", "not_found", package=package, hash=contract_doc)  # not in the data room


def test_documents_need_a_party_a_good_record_and_are_never_overwritten(n):
    package, _ = n.draft(1)
    h = doc_hash("valuation")
    doc = dict(package=package, hash=h, kind="valuation", name="valuation", size=10)
    for who in ("investor1", "amc", "regulator", "lawfirm"):  # lawfirm is not its intermediary yet
        n.rejected(who, "register_document", "unauthorized", **doc)
    for bad in [dict(hash=h.upper()), dict(hash="ab"), dict(kind="selfie"), dict(size=0), dict(size=2**41),
                dict(media_type="pdf"), dict(name="")]:
        n.rejected("bank2", "register_document", "bad_request", **(doc | bad))
    n.rejected("bank2", "register_document", "not_found", **(doc | dict(supersedes=doc_hash("nothing"))))
    n.ok("bank2", "register_document", **doc)
    n.rejected("exchange", "register_document", "duplicate", **doc)
    n.in_due_diligence(package)
    n.rejected("lawfirm", "register_document", "unauthorized", **(doc | dict(hash=doc_hash("v2"), supersedes=h)))
    n.ok("bank2", "register_document", **(doc | dict(hash=doc_hash("v2"), supersedes=h)))
    n.rejected("bank2", "register_document", "invalid_state", **(doc | dict(hash=doc_hash("v3"), supersedes=h)))
    assert n.get(f"doc/{h}")["superseded_by"] == doc_hash("v2")
    n.rejected("lawfirm", "record_due_diligence", "invalid_state", package=package, report_hash=h, opinion="clean")


def test_the_deal_steps_need_their_parties_and_order(n):
    o = n.o
    package, auction = n.awarded("amc")
    contract_doc = n.doc(package, "transfer contract", kind="contract")
    for who in ("investor1", "exchange", "lawfirm"):
        n.rejected(who, "sign_deal", "unauthorized", package=package, contract_hash=contract_doc)
    n.rejected("amc", "sign_deal", "not_found", package=package, contract_hash=doc_hash("unregistered"))
    n.rejected("amc", "publish_notice", "unauthorized", package=package, notice_hash=contract_doc)
    n.rejected("bank2", "publish_notice", "invalid_state", package=package, notice_hash=contract_doc)
    n.sign(package)
    n.rejected("amc", "sign_deal", "invalid_state", package=package, contract_hash=contract_doc)
    n.pay(auction)
    note = n.doc(package, "delivery note", kind="delivery")
    n.rejected("amc", "deliver", "unauthorized", package=package, delivery_doc_hash=note)
    n.rejected("exchange", "deliver", "unauthorized", package=package, delivery_doc_hash=note)
    n.rejected("bank2", "deliver", "not_found", package=package, delivery_doc_hash=doc_hash("x"))
    n.rejected("amc", "record_disposition", "invalid_state", package=package, kind="collection", description="d")
    n.ok("bank2", "deliver", package=package, delivery_doc_hash=note)
    n.rejected("bank2", "deliver", "invalid_state", package=package, delivery_doc_hash=note)
    n.rejected("exchange", "assign_inspector", "invalid_state", package=package, inspector=o["underwriter"])
    notice = n.doc(package, "notice", kind="notice")
    n.ok("bank2", "publish_notice", package=package, notice_hash=notice)
    dispo = dict(package=package, kind="collection", description="collected")
    for who in ("bank2", "investor1", "exchange"):
        n.rejected(who, "record_disposition", "unauthorized", **dispo)
    for bad in [dict(kind="write_off"), dict(amount=-1), dict(description=""), dict(amount=2**63)]:
        n.rejected("amc", "record_disposition", "bad_request", **(dispo | bad))
    n.rejected("amc", "record_disposition", "not_found", **(dispo | dict(loan="BH-no-such")))
    n.rejected("amc", "record_disposition", "not_found", **(dispo | dict(documents=[doc_hash("x")])))
    n.rejected("amc", "record_disposition", "duplicate", **(dispo | dict(documents=[notice, notice])))
    for who in ("bank2", "lawfirm", "regulator"):
        n.rejected(who, "assign_inspector", "unauthorized", package=package, inspector=o["underwriter"])
    n.rejected("exchange", "assign_inspector", "bad_request", package=package, inspector=o["amc"])
    n.ok("exchange", "assign_inspector", package=package, inspector=o["underwriter"])
    report = n.doc(package, "inspection", who="underwriter", kind="inspection")
    n.rejected("underwriter", "inspect", "invalid_state", package=package, result="compliant",
               report_hash=report)  # no disposition yet: nothing to inspect
    n.ok("amc", "record_disposition", **dispo)
    n.rejected("lawfirm", "inspect", "unauthorized", package=package, result="compliant", report_hash=report)
    n.rejected("underwriter", "inspect", "bad_request", package=package, result="fine", report_hash=report)
    n.rejected("exchange", "close", "invalid_state", package=package)
    n.ok("underwriter", "inspect", package=package, result="deficient", report_hash=report,
         remarks="collection records incomplete")
    n.rejected("bank2", "close", "unauthorized", package=package)
    n.rejected("regulator", "close", "unauthorized", package=package)
    n.ok("exchange", "close", package=package)
    n.rejected("exchange", "close", "invalid_state", package=package)
    n.rejected("bank2", "register_document", "invalid_state", package=package, hash=doc_hash("late"),
               kind="other", name="late", size=1)


def test_the_auction_callbacks_are_not_transactions(n):
    package, auction = n.listed("english")
    for method, args in [("auction_awarded", dict(winner=n.o["amc"], price=1)), ("auction_failed", dict(reason="r")),
                         ("auction_started", {}), ("auction_defaulted", dict(winner=n.o["amc"])),
                         ("auction_paid", dict(winner=n.o["amc"], price=1, bank_ref="x"))]:
        n.rejected("exchange", method, "unknown_method", auction=auction, asset=f"package:{package}", **args)


class AuctionsImpostor(Contract):
    """Another contract calling npa's auction callbacks: refused, whatever it claims."""

    name = "auctions_probe"

    @tx
    def award(self, ctx: Ctx, auction: str, asset: str, winner: str, price: int) -> None:
        ctx.call("npa", "auction_awarded", auction=auction, asset=asset, winner=winner, price=price)

    @tx
    def fail(self, ctx: Ctx, auction: str, asset: str) -> None:
        ctx.call("npa", "auction_failed", auction=auction, asset=asset, reason="no bids")


@pytest.fixture
def impostor(demo_template, tmp_path):
    register(AuctionsImpostor)
    home = str(tmp_path / "home")
    shutil.copytree(demo_template, home)
    c = open_demo_chain(home)
    try:
        np_ = Np(c)
        np_.warm()
        yield np_
    finally:
        c.close()
        REGISTRY.pop(AuctionsImpostor.name, None)


def test_only_the_auctions_contract_reports_outcomes(impostor):
    n = impostor
    package, auction = n.listed("english")
    probe = Np(n.c)
    probe.contract = "auctions_probe"
    probe.rejected("amc", "award", "unauthorized", auction=auction, asset=f"package:{package}", winner=n.o["amc"],
                   price=PRICES["list_price"])
    probe.rejected("amc", "fail", "unauthorized", auction=auction, asset=f"package:{package}")
    assert n.pkg(package)["status"] == "LISTED"
