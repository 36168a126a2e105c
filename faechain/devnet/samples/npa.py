"""The npa sample of `fae demo`: a package of three non-performing loans sold in a finished English auction.

Bohai Rim Bank (`bank2`) registers three doubtful and loss loans (CNY 9,650,000
principal) and packages them with a reserve of CNY 4,200,000, a list price of
CNY 4,500,000 and a margin of CNY 450,000. Haidian Tongda Law Firm (`lawfirm`)
does the due diligence, the exchange approves the package and lists it in a
ten-minute English auction. Huabei AMC (`amc`) and Yanshan Insurance
(`investor1`) register, Capital Commercial Bank (`bank`) confirms their margins,
Yanshan reads the loan tape (its view logged on the ledger) and opens at the list
price, Huabei bids one increment more. The demo clock is advanced past the end,
the auction awards the package to Huabei at CNY 4,600,000, both sides sign the
transfer contract, the bank confirms the balance, Bohai Rim delivers the files
and publishes the transfer notice: the package is NOTICED, waiting for Huabei's
dispositions and an inspection. Every document is in the node's vault.

No borrower or guarantor is named on the ledger: each is a personal data document in the
vault (name and ID number, with a random salt), and the loans carry its commitment
(faechain/contracts/personal.py). Two of them are people — the owner of the Wuqing
logistics business, who borrowed in her own name, and the steel-pipe company's chairman,
who guaranteed its loan — and the ledger-wide scan of the demo
(tests/devnet/test_demo_personal_data.py) finds neither their names nor their ID numbers
in any state value, transaction, receipt or event.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.time import DAY
from faechain.core.personal import PersonalData, make_document
from faechain.devnet.demo import Samples

YUAN = 100  # fen

# who the loans name (fictitious people and ID numbers); only their commitments go on chain
BORROWERS = {
    "BHRB-TJ-2021-0417": PersonalData("Tianjin Haihe Steel Pipe Co., Ltd.", "uscc", "91120110MA05K3RT2Q"),
    "BHRB-TJ-2022-0093": PersonalData("Binhai Xinke Electronics Co., Ltd.", "uscc", "91120116MA06B7XW4L"),
    "BHRB-TJ-2020-1128": PersonalData("Zhao Lihua", "resident_id", "120114198204156627"),
}
GUARANTORS = {"BHRB-TJ-2021-0417": [PersonalData("Liu Guoqiang", "resident_id", "120102196509233018")]}
PEOPLE = [BORROWERS["BHRB-TJ-2020-1128"], *GUARANTORS["BHRB-TJ-2021-0417"]]  # the natural persons among them

LOANS: list[dict[str, Any]] = [  # register_loan arguments but the people: text and amounts mixed
    dict(loan_no="BHRB-TJ-2021-0417", principal=5_200_000 * YUAN,
         interest=680_000 * YUAN, classification="doubtful", days_past_due=540, litigation="judgment",
         collateral="mortgage: plant and land use right, Dongli District, 12,400 m2"),
    dict(loan_no="BHRB-TJ-2022-0093", principal=3_100_000 * YUAN,
         interest=295_000 * YUAN, classification="substandard", days_past_due=210, litigation="filed",
         collateral="guarantee by Tianjin Xinke Holdings"),
    dict(loan_no="BHRB-TJ-2020-1128", principal=1_350_000 * YUAN,
         interest=402_000 * YUAN, classification="loss", days_past_due=1_130, litigation="terminated",
         collateral=""),
]

DOCUMENTS = {
    "tape": ("loan_file", "Loan tape as at the base date (3 loans)",
             "loan_no,borrower,principal_fen,interest_fen,class,dpd,litigation\n"
             "BHRB-TJ-2021-0417,Tianjin Haihe Steel Pipe,520000000,68000000,doubtful,540,judgment\n"
             "BHRB-TJ-2022-0093,Binhai Xinke Electronics,310000000,29500000,substandard,210,filed\n"
             "BHRB-TJ-2020-1128,individual (personal data document),135000000,40200000,loss,1130,terminated\n"),
    "valuation": ("valuation", "Collateral valuation, Dongli plant",
                  "Appraised value of the Dongli plant and land use right: CNY 3,900,000.00 (forced sale).\n"),
    "dd": ("due_diligence", "Due diligence report, Bohai Rim NPL package 2026-1",
           "Haidian Tongda Law Firm: the loans, judgments and the mortgage are validly held by the seller;\n"
           "no restriction on assignment; the Wuqing loan is unsecured and enforcement was terminated.\n"),
    "contract": ("contract", "Transfer contract for the Bohai Rim NPL package 2026-1",
                 "Creditor's rights transfer contract between Bohai Rim Bank (transferor) and Huabei Asset\n"
                 "Management Co., Ltd. (transferee): 3 loans, price CNY 4,600,000.00, base date as listed.\n"),
    "delivery": ("delivery", "Delivery note: loan files handed over",
                 "Received: 3 loan files (contracts, notes, judgments, mortgage certificates), 14 boxes.\n"),
    "notice": ("notice", "Joint notice of the transfer of creditor's rights",
               "Bohai Rim Bank and Huabei Asset Management Co., Ltd. give notice to the borrowers and\n"
               "guarantors listed below that the creditor's rights have been transferred to Huabei AMC.\n"),
}


def seed(samples: Samples) -> dict:
    """Submit the sample as signed transactions (documents through the vault); returns its ids."""
    ids = samples.org_ids

    def tx(who: str, method: str, contract: str = "npa", **args) -> dict:
        return samples.tx(who, contract, method, **args)

    def document(who: str, package: str, key: str) -> str:
        kind, name, text = DOCUMENTS[key]
        data = text.encode()
        h = samples.upload(data)
        tx(who, "register_document", package=package, hash=h, kind=kind, name=name, size=len(data),
           media_type="text/plain")
        return h

    def person(data: PersonalData) -> str:
        return samples.upload(make_document(data))  # into the vault; its hash is the commitment

    loans = [tx("bank2", "register_loan", borrower=person(BORROWERS[loan["loan_no"]]),
                guarantors=[person(g) for g in GUARANTORS.get(loan["loan_no"], [])], **loan)["loan"]
             for loan in LOANS]
    package = tx("bank2", "create_package", name="Bohai Rim Bank NPL package 2026-1",
                 loans=[loan["loan_no"] for loan in LOANS], base_date=samples.now() - 30 * DAY,
                 reserve_price=4_200_000 * YUAN, list_price=4_500_000 * YUAN, margin=450_000 * YUAN)["package"]
    tape = document("bank2", package, "tape")
    docs = [tape, document("bank2", package, "valuation")]
    tx("bank2", "submit_for_due_diligence", package=package, intermediary=ids["lawfirm"])
    report = document("lawfirm", package, "dd")
    docs.append(report)
    tx("lawfirm", "record_due_diligence", package=package, report_hash=report, opinion="qualified",
       summary="titles and judgments in order; one unsecured loan with enforcement terminated")
    tx("exchange", "approve", package=package)

    start = samples.now() + 5  # block time moves on while the listing is signed and committed
    auction = tx("exchange", "list_package", package=package, mode="english", start=start, end=start + 600,
                 settlement_bank=ids["bank"], increment=100_000 * YUAN, extend_window=120, extend_by=120,
                 pay_days=10)["auction"]
    for bidder in ("amc", "investor1"):
        tx(bidder, "register", "auctions", auction=auction)
        tx("bank", "confirm_margin", "auctions", auction=auction, bidder=ids[bidder], bank_ref=f"CCB-MGN-{bidder}")
    tx("investor1", "view_document", package=package, hash=tape)
    samples.advance(10)  # the auction opens
    tx("investor1", "bid", "auctions", auction=auction, price=4_500_000 * YUAN)
    tx("amc", "bid", "auctions", auction=auction, price=4_600_000 * YUAN)
    samples.advance(600)  # past the end: the auction engine awards the package in that block

    contract = document("bank2", package, "contract")
    tx("bank2", "sign_deal", package=package, contract_hash=contract)
    tx("amc", "sign_deal", package=package, contract_hash=contract)
    tx("bank", "confirm_payment", "auctions", auction=auction, amount=4_600_000 * YUAN - 450_000 * YUAN,
       bank_ref="CCB-NPL-20261127-0007")
    delivery = document("bank2", package, "delivery")
    tx("bank2", "deliver", package=package, delivery_doc_hash=delivery)
    notice = document("bank2", package, "notice")
    tx("bank2", "publish_notice", package=package, notice_hash=notice)
    return {"package": package, "auction": auction, "loans": loans,
            "documents": docs + [contract, delivery, notice]}
