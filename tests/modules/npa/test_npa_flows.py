"""An NPA package from registration to close through a real auction, and the ways back to APPROVED."""

from __future__ import annotations

from faechain.core.encoding import encode
from faechain.ledger.smt import verify_proof
from tests.modules.npa.npa_support import DAY, INCREMENT, PRICES, PRINCIPAL, STATES, YUAN, doc_hash


def test_a_package_from_registration_to_close_through_an_english_auction(n):
    o = n.o
    nos = n.loans(3)
    assert n.loan(n.ref(nos[0])) == n.loan(n.ref(nos[0])) | {
        "seller": o["bank2"], "owner": o["bank2"], "package": None, "principal": PRINCIPAL,
        "classification": "doubtful", "version": 1}
    package = n.ok("bank2", "create_package", name="Bohai Rim Bank NPL package 2026-1", loans=nos,
                   base_date=n.c.now - 30 * DAY, **PRICES)["package"]
    p = n.pkg(package)
    assert p["status"] == "DRAFT" and p["seller"] == o["bank2"]
    assert p["loans"] == [n.ref(x) for x in nos] and p["principal"] == 3 * PRINCIPAL
    assert all(n.loan(n.ref(x))["package"] == package for x in nos)
    files = n.doc(package, "loan files: contracts, judgments, collateral certificates")

    n.in_due_diligence(package)
    report = n.due_diligence(package)
    assert n.pkg(package)["due_diligence"]["report_hash"] == report
    n.ok("exchange", "approve", package=package)
    auction = n.list(package, "english")
    p = n.pkg(package)
    assert p["status"] == "LISTED" and p["auction"] == auction
    a = n.auction(auction)
    assert a == a | {"asset": f"package:{package}", "owner": "npa", "seller": o["bank2"], "mode": "english",
                     "reserve": PRICES["reserve_price"], "margin": PRICES["margin"],
                     "start_price": PRICES["list_price"], "increment": INCREMENT}

    n.bidders(auction, "amc", "investor1")
    # a registered bidder logs its read of the data room, on the ledger
    assert n.ok("investor1", "view_document", package=package, hash=files)["count"] == 1
    r = n.tx("investor1", "view_document", package=package, hash=files)
    assert r.ok and [e["type"] for e in r.events] == ["DocumentViewed"]
    assert n.get(f"view/{package}/{files}/{o['investor1']}")["count"] == 2

    n.au.ok("investor1", "bid", auction=auction, price=PRICES["list_price"])
    assert n.pkg(package)["status"] == "BIDDING"
    n.au.ok("amc", "bid", auction=auction, price=PRICES["list_price"] + INCREMENT)
    n.rejected("bank2", "add_loans", "invalid_state", package=package, loans=n.loans(1))  # frozen while listed
    n.close_auction(auction)
    p = n.pkg(package)
    price = PRICES["list_price"] + INCREMENT
    assert p["status"] == "AWARDED" and p["winner"] == o["amc"]
    assert p["deal"] == p["deal"] | {"auction": auction, "winner": o["amc"], "price": price, "payment": None}
    assert n.au.get(f"margin/{auction}/{o['investor1']}")["status"] == "REFUNDED"

    contract = n.doc(package, "transfer contract BH-NPL-2026-1", kind="contract")
    assert n.ok("bank2", "sign_deal", package=package, contract_hash=contract)["status"] == "AWARDED"
    n.rejected("bank2", "deliver", "invalid_state", package=package, delivery_doc_hash=contract)  # not paid
    assert n.ok("amc", "sign_deal", package=package, contract_hash=contract)["status"] == "CONTRACTED"
    n.rejected("bank2", "deliver", "invalid_state", package=package, delivery_doc_hash=contract)  # still unpaid
    n.pay(auction)
    p = n.pkg(package)
    assert p["status"] == "PAID" and p["deal"]["payment"] == {"amount": price, "bank_ref": f"PAY-{auction}",
                                                            "at": p["deal"]["payment"]["at"]}
    assert n.au.get(f"margin/{auction}/{o['amc']}")["status"] == "APPLIED"

    note = n.doc(package, "delivery note: 3 loan files handed over", kind="delivery")
    due = n.ok("bank2", "deliver", package=package, delivery_doc_hash=note)["notice_due"]
    assert due == n.pkg(package)["deal"]["delivery"]["at"] + 30 * DAY
    notice = n.doc(package, "joint notice of transfer of creditor's rights", kind="notice")
    assert n.ok("exchange", "publish_notice", package=package, notice_hash=notice) == {"package": package,
                                                                                      "late": False}
    evidence = n.doc(package, "ruling substituting the plaintiff", who="amc", kind="court")
    n.ok("amc", "record_disposition", package=package, kind="litigation_party_change",
         description="AMC substituted as plaintiff in the enforcement case", documents=[evidence], loan=nos[0])
    assert n.pkg(package)["status"] == "POST_TRANSFER"
    n.ok("amc", "record_disposition", package=package, kind="collection", description="partial collection",
         loan=nos[1], amount=300_000 * YUAN)
    n.ok("exchange", "assign_inspector", package=package, inspector=o["underwriter"])
    inspection = n.doc(package, "post-transfer inspection report", who="underwriter", kind="inspection")
    n.ok("underwriter", "inspect", package=package, result="compliant", report_hash=inspection)
    assert n.pkg(package)["inspection"]["dispositions"] == 2
    n.ok("exchange", "close", package=package)

    p = n.pkg(package)
    assert [s for s, _, _ in p["log"]] == STATES
    assert [by for s, _, by in p["log"] if s in ("BIDDING", "AWARDED", "PAID")] == ["auctions"] * 3
    assert p["log"][0][2] == o["bank2"] and p["log"][-1][2] == o["exchange"]
    for x in nos:  # the loans now belong to the buyer, free of any package
        loan = n.loan(n.ref(x))
        assert loan["owner"] == o["amc"] and loan["package"] is None and loan["last_package"] == package
        assert loan["acquired"] == {"from": o["bank2"], "package": package, "at": p["closed_at"]}
    # the buyer may dispose of them on the platform in turn; the former seller no longer can
    refs = [n.ref(x) for x in nos]
    n.rejected("bank2", "create_package", "unauthorized", name="resale", loans=refs, base_date=n.c.now - DAY,
               **PRICES)
    n.rejected("bank2", "update_loan", "unauthorized", loan=refs[2], litigation="enforcement")
    n.ok("amc", "update_loan", loan=refs[2], litigation="enforcement")
    resale = n.ok("amc", "create_package", name="Huabei AMC resale 2027-1", loans=refs, base_date=n.c.now - DAY,
                  **PRICES)["package"]
    assert n.pkg(resale)["seller"] == o["amc"] and n.loan(refs[0])["package"] == resale

    # the whole life, each current record with its proof against the app hash
    life = n.q("life", as_="investor2", package=package, prove=True)
    statuses = []
    for v in life["versions"]:
        if not statuses or statuses[-1] != v["value"]["status"]:
            statuses.append(v["value"]["status"])
    assert statuses == STATES
    for lv in life["loans"]:  # registered, packaged, sold (, updated by the buyer), packaged for resale
        assert [(v["value"]["package"], v["value"]["owner"]) for v in lv["versions"]][:3] == [
            (None, o["bank2"]), (package, o["bank2"]), (None, o["amc"])]
        assert lv["loan"]["package"] == resale
    assert [a["id"] for a in life["auctions"]] == [auction] and life["auctions"][0]["status"] == "SETTLED"
    assert len(life["dispositions"]) == 2
    # a member that is no party sees the data room (the DD report too) and the public notice, not deal papers
    assert {d["hash"] for d in life["documents"]} == {files, report, notice}
    assert len(life["proofs"]) == 1 + 3 + 2 + 3 + 1  # package, loans, dispositions, documents, auction
    for key, proven in life["proofs"].items():
        raw = n.c.store.get_value(proven["key"])
        assert proven["value"] == raw and raw is not None
        assert verify_proof(n.c.app.hash, proven["app_hash"], proven["key"], raw, proven["proof"]), key
    assert life["proofs"][f"package/{package}"]["value"] == encode(p)


def test_a_failed_auction_returns_the_package_for_relisting_only_below_the_failed_reserve(n):
    package, auction = n.listed("english")
    n.bidders(auction, "amc")  # registered, never bids
    r = n.close_auction(auction)
    [failed] = [e for e in r.end_events if e["type"] == "PackageAuctionFailed"]
    assert failed["attrs"] == {"package": package, "auction": auction, "seller": n.o["bank2"], "reason": "no bids",
                               "reserve": PRICES["reserve_price"], "listing": 1}
    p = n.pkg(package)
    assert p["status"] == "APPROVED" and p["auction"] is None
    assert p["failed_reserve"] == PRICES["reserve_price"]
    assert p["listings"][0] == p["listings"][0] | {"auction": auction, "outcome": "failed", "reason": "no bids"}
    assert [s for s, _, _ in p["log"]][-2:] == ["LISTED", "APPROVED"]
    # the same reserve again is refused; a lower one lists
    n.rejected("exchange", "list_package", "invalid_state", package=package, mode="english", start=n.c.now,
               end=n.c.now + 3600, settlement_bank=n.o["bank"], increment=INCREMENT)
    n.ok("bank2", "set_prices", package=package, reserve_price=PRICES["reserve_price"], list_price=1_300_000 * YUAN,
         margin=PRICES["margin"])
    n.rejected("exchange", "list_package", "invalid_state", package=package, mode="english", start=n.c.now,
               end=n.c.now + 3600, settlement_bank=n.o["bank"], increment=INCREMENT)
    n.ok("bank2", "set_prices", package=package, reserve_price=1_000_000 * YUAN, list_price=1_100_000 * YUAN,
         margin=100_000 * YUAN)
    second = n.list(package, "dutch", step=20_000 * YUAN, interval=600)
    assert second != auction and n.auction(second)["reserve"] == 1_000_000 * YUAN
    assert len(n.pkg(package)["listings"]) == 2
    # the relisted package sells: a dutch acceptance wins at the current price at once
    n.bidders(second, "investor2")
    n.c.advance(1200)  # two intervals: 1,100,000 - 2 x 20,000
    n.au.ok("investor2", "accept", auction=second)
    p = n.pkg(package)
    assert p["status"] == "AWARDED" and p["deal"]["price"] == 1_060_000 * YUAN
    assert [s for s, _, _ in p["log"]][-3:] == ["LISTED", "BIDDING", "AWARDED"]


def test_a_winner_who_does_not_pay_loses_the_deal_and_the_package_is_relisted(n):
    o = n.o
    package, auction = n.awarded("amc")
    n.sign(package, "amc")
    assert n.pkg(package)["status"] == "CONTRACTED"
    n.c.advance(10 * DAY)
    r = n.c.block([])
    assert "DealDefaulted" in [e["type"] for e in r.end_events]
    p = n.pkg(package)
    assert p["status"] == "APPROVED" and p["deal"] is None and p["winner"] is None and p["auction"] is None
    assert p["failed_reserve"] is None  # a valid bid was made: no need to lower the price
    assert p["listings"][0]["outcome"] == "defaulted" and p["listings"][0]["deal"]["winner"] == o["amc"]
    assert n.au.get(f"margin/{auction}/{o['amc']}")["status"] == "FORFEITED"
    # the defaulted winner is no party any more
    n.rejected("amc", "sign_deal", "unauthorized", package=package, contract_hash=doc_hash("x"))
    second = n.list(package, "sealed")
    assert n.pkg(package)["status"] == "LISTED" and n.auction(second)["reserve"] == PRICES["reserve_price"]


def test_a_payment_confirmed_before_the_signatures_makes_the_package_paid_at_the_last_signature(n):
    package, auction = n.awarded("amc")
    contract = n.doc(package, "transfer contract", kind="contract")
    n.ok("bank2", "sign_deal", package=package, contract_hash=contract)
    n.pay(auction)
    p = n.pkg(package)
    assert p["status"] == "AWARDED" and p["deal"]["payment"]["bank_ref"] == f"PAY-{auction}"
    # the winner first signs another text: no contract yet
    other = n.doc(package, "winner's markup of the contract", who="amc", kind="contract")
    assert n.ok("amc", "sign_deal", package=package, contract_hash=other)["status"] == "AWARDED"
    r = n.tx("amc", "sign_deal", package=package, contract_hash=contract)
    assert r.ok and r.result["status"] == "PAID"
    assert [e["type"] for e in r.events] == ["DealSigned", "DealContracted", "PackagePaid"]
    assert [s for s, _, _ in n.pkg(package)["log"]][-3:] == ["AWARDED", "CONTRACTED", "PAID"]
    # paid: the engine will not default the winner later
    n.c.advance(11 * DAY)
    n.c.block([])
    assert n.pkg(package)["status"] == "PAID"


def test_a_listed_package_without_bids_can_be_withdrawn_with_its_auction(n):
    package, auction = n.listed("english")
    nos = [ref.split("/")[1] for ref in n.pkg(package)["loans"]]
    n.bidders(auction, "amc")
    n.ok("exchange", "withdraw", package=package, reason="court order to suspend the transfer")
    p = n.pkg(package)
    assert p["status"] == "WITHDRAWN" and p["listings"][0]["outcome"] == "cancelled"
    assert n.auction(auction)["status"] == "CANCELLED"
    assert n.au.get(f"margin/{auction}/{n.o['amc']}")["status"] == "REFUNDED"
    # the loans are free for a new package
    assert n.ok("bank2", "create_package", name="again", loans=nos, base_date=n.c.now - DAY, **PRICES)
    # once bidding has started there is no withdrawing
    other, second = n.listed("english")
    n.bidders(second, "amc")
    n.au.ok("amc", "bid", auction=second, price=PRICES["list_price"])
    n.rejected("exchange", "withdraw", "invalid_state", package=other, reason="too late")


def test_an_unpublished_transfer_notice_becomes_overdue(n):
    package, _ = n.delivered()
    due = n.pkg(package)["notice_due"]
    n.c.advance(due - n.c.now - 5)
    assert n.c.block([]).end_events == []
    assert not n.pkg(package)["notice_overdue"]
    n.c.advance(10)
    r = n.c.block([])
    assert [(e["type"], e["attrs"]["package"]) for e in r.end_events] == [("NoticeOverdue", package)]
    assert r.end_events[0]["attrs"] == {"package": package, "seller": n.o["bank2"], "buyer": n.o["amc"], "due": due}
    assert n.pkg(package)["notice_overdue"]
    notice = n.doc(package, "late notice", kind="notice")
    assert n.ok("bank2", "publish_notice", package=package, notice_hash=notice)["late"] is True


def test_a_sealed_auction_sells_a_package(n):
    from faechain.crypto.sealed_bid import bid_digest

    package, auction = n.listed("sealed")
    n.bidders(auction, "amc", "investor3")
    salts = {"amc": b"a" * 16, "investor3": b"b" * 16}
    prices = {"amc": 1_400_000 * YUAN, "investor3": 1_450_000 * YUAN}
    for who in ("amc", "investor3"):
        digest = bid_digest(n.c.app.hash, auction, n.o[who], prices[who], salts[who])
        n.au.ok(who, "commit", auction=auction, digest=digest)
    assert n.pkg(package)["status"] == "BIDDING"
    n.c.advance(n.auction(auction)["end"] - n.c.now)
    for who in ("amc", "investor3"):
        n.au.ok(who, "reveal", auction=auction, price=prices[who], salt=salts[who])
    n.close_auction(auction)
    p = n.pkg(package)
    assert p["status"] == "AWARDED" and p["winner"] == n.o["investor3"] and p["deal"]["price"] == 1_450_000 * YUAN
