"""A driver for the npa tests: `Np(c)` is a `Driver` of the npa contract on the demo chain, with the
real `auctions` contract behind it.

    n.au                                       the auctions driver on the same chain
    n.loans(k, seller="bank2", **fields)       k registered loans; their loan numbers
    n.draft(loans=3, **prices)                 a DRAFT package by bank2; (id, loan numbers)
    n.doc(package, name, who, kind)            register a document (hash of `name`); its hash
    n.approved(...)                            a draft carried through due diligence by lawfirm to APPROVED
    n.listed(mode="english", ...)              ... and listed by the exchange; (package, auction)
    n.bidders(auction, *names)                 register each and have the settlement bank confirm its margin
    n.awarded(...)                             an english auction won by amc over investor1; (package, auction)
    n.paid(...) / n.delivered(...)             ... signed and paid / and delivered
    n.close_auction(auction)                   a block at the auction's deadline (end_block decides)
    n.pkg(id) / n.loan(ref)                    committed records
"""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

from tests.modules.driver import Driver

DAY = 86_400
YUAN = 100
PRINCIPAL = 1_000_000 * YUAN
PRICES = dict(reserve_price=1_200_000 * YUAN, list_price=1_500_000 * YUAN, margin=150_000 * YUAN)
INCREMENT = 50_000 * YUAN
STATES = ["DRAFT", "DUE_DILIGENCE", "APPROVED", "LISTED", "BIDDING", "AWARDED", "CONTRACTED", "PAID", "DELIVERED",
          "NOTICED", "POST_TRANSFER", "INSPECTED", "CLOSED"]


def doc_hash(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def person(label: str) -> str:
    """A stand-in commitment of a borrower's or guarantor's personal data document."""
    return hashlib.sha256(b"person:" + label.encode()).hexdigest()


class Np(Driver):
    contract = "npa"

    def __init__(self, c):
        super().__init__(c)
        self.au = Driver(c, "auctions")
        self._numbers = itertools.count(1)

    # -- records -----------------------------------------------------------------------------------
    def pkg(self, package: str) -> dict:
        return self.get(f"package/{package}")

    def loan(self, ref: str) -> dict:
        return self.get(f"loan/{ref}")

    def ref(self, loan_no: str, seller: str = "bank2") -> str:
        return f"{self.o[seller]}/{loan_no}"

    def auction(self, auction: str) -> dict:
        return self.au.get(f"auction/{auction}")

    # -- set-ups -----------------------------------------------------------------------------------
    def loans(self, k: int = 3, seller: str = "bank2", **fields: Any) -> list[str]:
        out = []
        for _ in range(k):
            no = f"BH-2023-{next(self._numbers):05d}"
            args = dict(loan_no=no, borrower=person(f"{seller}/{no}"), principal=PRINCIPAL, interest=80_000 * YUAN,
                        classification="doubtful", days_past_due=400, litigation="judgment",
                        collateral="factory building, Binhai New Area")
            args.update(fields)
            self.ok(seller, "register_loan", **args)
            out.append(no)
        return out

    def draft(self, loans: int = 3, seller: str = "bank2", **prices: Any) -> tuple[str, list[str]]:
        nos = self.loans(loans, seller)
        args = dict(name="Bohai Rim Bank NPL package 2026-1", loans=nos, base_date=self.c.now - 30 * DAY, **PRICES)
        args.update(prices)
        return self.ok(seller, "create_package", **args)["package"], nos

    def doc(self, package: str, name: str, who: str = "bank2", kind: str = "loan_file", **extra: Any) -> str:
        h = doc_hash(name)
        self.ok(who, "register_document", package=package, hash=h, kind=kind, name=name, size=1000 + len(name),
                **extra)
        return h

    def in_due_diligence(self, package: str) -> None:
        self.ok("bank2", "submit_for_due_diligence", package=package, intermediary=self.o["lawfirm"])

    def due_diligence(self, package: str, opinion: str = "clean") -> str:
        report = self.doc(package, f"due diligence report on {package} ({opinion})", who="lawfirm",
                          kind="due_diligence")
        self.ok("lawfirm", "record_due_diligence", package=package, report_hash=report, opinion=opinion,
                summary="titles, judgments and collateral checked")
        return report

    def approved(self, loans: int = 3, **prices: Any) -> str:
        package, _ = self.draft(loans, **prices)
        self.doc(package, f"loan files of {package}")
        self.in_due_diligence(package)
        self.due_diligence(package)
        self.ok("exchange", "approve", package=package)
        return package

    def list(self, package: str, mode: str = "english", duration: int = 3600, **terms: Any) -> str:
        args = dict(package=package, mode=mode, start=self.c.now, end=self.c.now + duration,
                    settlement_bank=self.o["bank"], pay_days=10)
        if mode == "english":
            args.update(increment=INCREMENT, extend_window=300, extend_by=300)
        elif mode == "sealed":
            args.update(reveal_end=args["end"] + 3600)
        else:
            args.update(step=INCREMENT, interval=600)
        args.update(terms)
        return self.ok("exchange", "list_package", **args)["auction"]

    def listed(self, mode: str = "english", loans: int = 3, **terms: Any) -> tuple[str, str]:
        package = self.approved(loans)
        return package, self.list(package, mode, **terms)

    def bidders(self, auction: str, *names: str) -> None:
        for name in names:
            self.au.ok(name, "register", auction=auction)
            self.au.ok("bank", "confirm_margin", auction=auction, bidder=self.o[name], bank_ref=f"M-{auction}-{name}")

    def close_auction(self, auction: str):
        """One block at (or after) the auction's deadline: its end_block awards or fails it; the block's result."""
        a = self.auction(auction)
        closes = a["reveal_end"] if a["mode"] == "sealed" else a["end"]
        if closes > self.c.now:
            self.c.advance(closes - self.c.now)
        return self.c.block([])

    def awarded(self, winner: str = "amc", rival: str = "investor1") -> tuple[str, str]:
        """An english auction: the rival opens at the list price, the winner bids one increment more."""
        package, auction = self.listed("english")
        self.bidders(auction, winner, rival)
        self.au.ok(rival, "bid", auction=auction, price=PRICES["list_price"])
        self.au.ok(winner, "bid", auction=auction, price=PRICES["list_price"] + INCREMENT)
        self.close_auction(auction)
        return package, auction

    def sign(self, package: str, winner: str = "amc") -> str:
        contract = self.doc(package, f"transfer contract for {package}", kind="contract")
        self.ok("bank2", "sign_deal", package=package, contract_hash=contract)
        self.ok(winner, "sign_deal", package=package, contract_hash=contract)
        return contract

    def pay(self, auction: str) -> None:
        a = self.auction(auction)
        self.au.ok("bank", "confirm_payment", auction=auction, amount=a["price"] - a["margin"],
                   bank_ref=f"PAY-{auction}")

    def paid(self, winner: str = "amc") -> tuple[str, str]:
        package, auction = self.awarded(winner)
        self.sign(package, winner)
        self.pay(auction)
        return package, auction

    def delivered(self, winner: str = "amc") -> tuple[str, str]:
        package, auction = self.paid(winner)
        note = self.doc(package, f"delivery note for {package}", kind="delivery")
        self.ok("bank2", "deliver", package=package, delivery_doc_hash=note)
        return package, auction

    def noticed(self, winner: str = "amc") -> tuple[str, str]:
        package, auction = self.delivered(winner)
        notice = self.doc(package, f"transfer notice for {package}", kind="notice")
        self.ok("bank2", "publish_notice", package=package, notice_hash=notice)
        return package, auction
