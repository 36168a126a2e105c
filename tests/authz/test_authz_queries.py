"""The authorization matrix of reads: every `@query` method of every contract, asked by every
member about a given record of the world (`authz_support`).

Each row says who sees the record (`see`) and how everyone else is refused, as the contract
documents it (docs/confidentiality.md): `not_found` where the reader may not read the record —
exactly as for a record that does not exist, so a refusal never reveals existence —,
`unauthorized` where the record is the reader's to know of but an act on it is not (an NPA
data-room document whose view was not logged, a plan's upload), or, for a listing, simply not
in the answer (`refused=None`). `details` check the parts of an answer that depend on the reader
(a plan's documents for its parties only, an auction's margins for the seller, ...).

Signers that are not members are refused before any contract runs: `removed` `not_member`,
`revoked` `revoked`. (Anonymous reads exist only on a dev chain on loopback; the HTTP matrix
checks that a node that does not allow them answers 401.)

A new `@query` method fails `test_every_query_method_has_a_row` until it is added here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from faechain.chain.application import load_contracts
from faechain.chain.results import Rejected
from faechain.contracts.errors import ContractError
from faechain.core.personal import PersonalData, make_document
from tests.authz.authz_support import (
    ANYONE,
    NAMES,
    OUTSIDERS,
    QUALIFIED,
    SEE_ALL,
    TYPE,
    VAL_C,
    Who,
    World,
    party,
    person,
    roles,
)

EXCHANGE = roles("EXCHANGE")
PERSON_DOC = make_document(PersonalData("Authz Person", "resident_id", "110101199001011234"), b"\x01" * 32)
PLAN_PARTIES = party("supplier1", "underwriter", "factor", "bank",
                     what="the plan's sponsor, underwriter, servicer, settlement bank")
PLAN_HOLDERS = party("investor1", "investor2", what="the plan's investors")
PACKAGE_PARTIES = party("bank2", "lawfirm", what="the package's seller and DD intermediary")
SOLD_PARTIES = party("bank2", "lawfirm", "amc", "underwriter", what="seller, DD intermediary, winner, inspector")
PRODUCT_PARTIES = party("factor", "registrar", "bank", what="the product's originator, registrar, settlement bank")
PRODUCT_HOLDERS = party("investor1", "investor2", "investor3", what="the product's holders")
AGENCIES = roles("RATING_AGENCY")
INVOICE_PARTIES = party("supplier1", "core", what="the frozen invoice's seller and buyer, the frozen voucher's "
                        "holder and payer")
TAX = roles("TAX_SERVICE")  # reads every invoice: the invoices are the tax authority's own data
REGISTRY = roles("REGISTRY_AGENT")  # reads every financing: it attests their registrations and searches
FUNDED = party("supplier2", "factor", what="its holder and funder") | party(
    "core", what="the payer (debtor) notified of it when funded") | REGISTRY
RFQ_PARTIES = party("supplier1", what="the holder") | party("factor", "bank2", what="the funders it invited")
INSTRUCTION_PARTIES = party("core", "supplier1", "bank", what="the instruction's payer, payee and rail")
CONDITIONAL_PARTIES = party("supplier1", "supplier2", "bank", what="the payment's payer, payee and rail") | party(
    "core", what="the organisation its `confirmed` condition names")
ACCOUNT_PARTIES = party("supplier2", "ecny", what="the organisation and the rail")


@dataclass(frozen=True)
class Detail:
    who: Who  # exactly these readers (of those who see the record) get an answer that passes `check`
    check: Callable[[Any, World, str], bool]
    what: str


@dataclass(frozen=True)
class QRow:
    args: Callable[[World], dict]
    see: Who
    refused: str | None  # the code for everyone else; None: a listing, the record is simply absent
    found: Callable[[Any, World, str], bool]  # the answer holds the record
    why: str
    details: tuple[Detail, ...] = field(default_factory=tuple)


def ids(res: Any) -> set:
    return {r["id"] for r in res}


def margins_shown(res: dict) -> set:
    return {m["bidder"] for m in res["margins"]}


def frozen(w: World) -> set:
    """The assets the world's regulator froze: an invoice and a voucher, both of supplier1 and core."""
    return {f"invoice:{w.t['INV_frozen']}", f"voucher:{w.t['V_frozen']}"}


TABLE: dict[str, QRow] = {
    # -- membership and governance: the consortium itself is every member's business ------------------------
    "membership.org": QRow(lambda w: dict(org_id=w.o["bank2"]), ANYONE, None, lambda r, w, m: r["id"] == w.o["bank2"],
                           "members know who their counterparties are"),
    "membership.orgs": QRow(lambda w: dict(type="BANK"), ANYONE, None, lambda r, w, m: w.o["bank2"] in ids(r),
                            "as org"),
    "membership.cert": QRow(lambda w: dict(cert_id=w.chain.ids["supplier1"].cert_id.hex()), ANYONE, None,
                            lambda r, w, m: r["org_id"] == w.o["supplier1"],
                            "revocation status must be checkable by any counterparty"),
    "membership.person": QRow(
        lambda w: dict(person=person("investor4")), party("investor4", what="the individual itself") | SEE_ALL,
        "not_found", lambda r, w, m: r["commitment"] == person("investor4"),
        "an individual investor's personal data: the individual, the exchange that registered it, the regulator"),
    "membership.vault_document": QRow(
        lambda w: dict(hash=person("investor4")), party("investor4", what="the individual itself") | SEE_ALL,
        "not_found", lambda r, w, m: r["hash"] == person("investor4"), "as person: what the vault serves"),
    "membership.vault_upload": QRow(
        lambda w: dict(subject="person", hash=w.chain.app.hash(PERSON_DOC).hex(), document=PERSON_DOC), EXCHANGE,
        "unauthorized", lambda r, w, m: r == {"person": w.chain.app.hash(PERSON_DOC).hex()},
        "the exchange uploads individual investors' personal data documents"),
    "membership.whoami": QRow(lambda w: {}, ANYONE, None, lambda r, w, m: r["org_id"] == w.o[m],
                              "each reader learns who the chain takes it for (its own organisation)"),
    "governance.proposal": QRow(lambda w: dict(id=w.t["G_open"]), ANYONE, None,
                                lambda r, w, m: r["id"] == w.t["G_open"], "every member sees every proposal"),
    "governance.proposals": QRow(lambda w: {}, ANYONE, None, lambda r, w, m: w.t["G_open"] in ids(r), "as proposal"),
    "governance.validators": QRow(lambda w: {}, ANYONE, None,
                                  lambda r, w, m: VAL_C in {v["pub_key"] for v in r["validators"]}, "as proposal"),
    # -- receivables: a member sees what it holds, owes, sent or funded; funders check invoices ---------------
    "receivables.voucher": QRow(
        lambda w: dict(id=w.t["V_q_financed"]),
        party("factor", "core", "supplier2", what="its holder and funder, payer, sender") | SEE_ALL, "not_found",
        lambda r, w, m: r["voucher"]["id"] == w.t["V_q_financed"],
        "README receivables: 'a member sees the vouchers it holds, owes, sent or funded; the regulator and the "
        "exchange see all' (supplier1, an earlier holder of its root, is none of these for this piece)"),
    "receivables.vouchers": QRow(
        lambda w: dict(root=w.t["V_q"]),
        party("factor", "core", "supplier2", what="its holder and funder, payer, sender") | SEE_ALL, None,
        lambda r, w, m: w.t["V_q_financed"] in ids(r), "as voucher, filtered from the listing"),
    "receivables.invoice": QRow(
        lambda w: dict(id=w.t["INV_q"]),
        party("supplier1", "core", what="its seller and buyer")
        | party("factor", what="the funder supplier2 offered a piece drawing on it to") | TAX | SEE_ALL, "not_found",
        lambda r, w, m: r["invoice"]["id"] == w.t["INV_q"],
        "README: 'invoices to their seller, buyer, the funders a holder has offered them to, the exchange and the "
        "regulator'; and every TAX_SERVICE, whose own data the invoice is (receivables/reading.py read_invoice) "
        "(bank, bank2, factor2: funders never offered it, refused as if it did not exist)"),
    "receivables.credit": QRow(
        lambda w: dict(core=w.o["core"]),
        party("core", what="the core enterprise") | party("bank", what="a bank with a line to it") | SEE_ALL,
        "not_found", lambda r, w, m: r["core"] == w.o["core"],
        "README: 'a credit line to the core and the bank that granted it'; bank2 has no line to core",
        (Detail(party("core", what="the core") | SEE_ALL, lambda r, w, m: "limit" in r and "open" in r,
                "the core's limit, open total and headroom (every bank's line)"),
         Detail(party("bank", what="the granting bank"),
                lambda r, w, m: set(r) == {"core", "lines"} and [x["bank"] for x in r["lines"]] == [w.o["bank"]],
                "its own line only"))),
    "receivables.financing": QRow(
        lambda w: dict(id=w.t["F_q"]), FUNDED | SEE_ALL, "not_found", lambda r, w, m: r["id"] == w.t["F_q"],
        "docs/confidentiality.md: a financing to its holder and funder; once funded, the payer notified of it; "
        "every REGISTRY_AGENT, which attests its registration and search (supplier1, the root's first holder, "
        "is none of these)"),
    "receivables.financing#requested": QRow(
        lambda w: dict(id=w.t["F_requested"]),
        party("supplier1", "factor", what="its holder and funder") | REGISTRY | SEE_ALL, "not_found",
        lambda r, w, m: r["id"] == w.t["F_requested"],
        "as financing: an offer not yet funded has notified nobody, so its payer (core) does not read it"),
    "receivables.financings": QRow(
        lambda w: dict(funder=w.o["factor"]), FUNDED | SEE_ALL, None, lambda r, w, m: w.t["F_q"] in ids(r),
        "as financing, filtered from the listing"),
    "receivables.quotes": QRow(
        lambda w: dict(rfq=w.t["RFQ"]), RFQ_PARTIES | SEE_ALL, "not_found",
        lambda r, w, m: r["rfq"]["id"] == w.t["RFQ"],
        "receivables/reading.py: a request for quotes to its holder and the funders it invited; each quote to the "
        "holder and its funder only, never to a competitor",
        (Detail(party("supplier1", what="the holder") | SEE_ALL,
                lambda r, w, m: {x["funder"] for x in r["quotes"]} == {w.o["factor"], w.o["bank2"]}, "every quote"),
         Detail(party("factor", what="an invited funder"),
                lambda r, w, m: [x["funder"] for x in r["quotes"]] == [w.o["factor"]], "the factor's own quote only"),
         Detail(party("bank2", what="an invited funder"),
                lambda r, w, m: [x["funder"] for x in r["quotes"]] == [w.o["bank2"]], "bank2's own quote only"))),
    "receivables.rules": QRow(
        lambda w: {}, ANYONE, None, lambda r, w, m: r["unverified_invoice_cap"]["value"] > 0 and "max_rate_bps" in r,
        "the receivables rules in force (the genesis's override included) are every member's: they bind all"),
    # -- payments: an account, instruction or conditional payment is its parties' and its rail's -----------------
    "payments.account": QRow(
        lambda w: dict(org=w.o["supplier2"], rail=w.o["ecny"]), ACCOUNT_PARTIES | SEE_ALL, "not_found",
        lambda r, w, m: r["account"] == "ECNY-WALLET-0002",
        "payments/reading.py: the account an organisation is paid at on a rail, to that organisation and that rail "
        "(not the bank, another rail)"),
    "payments.instruction": QRow(
        lambda w: dict(id=w.t["I_pending"]), INSTRUCTION_PARTIES | SEE_ALL, "not_found",
        lambda r, w, m: r["id"] == w.t["I_pending"], "a clearing instruction: its payer, payee and rail"),
    "payments.instructions": QRow(
        lambda w: dict(field="payee", value=w.o["supplier1"], status="PENDING"), INSTRUCTION_PARTIES | SEE_ALL, None,
        lambda r, w, m: w.t["I_pending"] in ids(r), "as instruction, filtered from the listing",
        (Detail(INSTRUCTION_PARTIES | SEE_ALL, lambda r, w, m: w.t["I_failed"] not in ids(r)
                and {x["status"] for x in r} == {"PENDING"}, "only the status asked for (not the FAILED one)"),)),
    "payments.conditional": QRow(
        lambda w: dict(id=w.t["CP_met"]), CONDITIONAL_PARTIES | SEE_ALL, "not_found",
        lambda r, w, m: r["id"] == w.t["CP_met"],
        "a conditional payment: its payer, payee and rail, and the organisation whose confirmation it waits for",
        (Detail(CONDITIONAL_PARTIES | SEE_ALL, lambda r, w, m: r["met"] is True, "whether its condition is met"),)),
    # -- plans: listed ones offered to qualified investors; the inside for parties, investors, exchange, regulator --
    "plans.plan": QRow(
        lambda w: dict(id=w.t["PL_outstanding"]), PLAN_PARTIES | PLAN_HOLDERS | SEE_ALL | QUALIFIED, "not_found",
        lambda r, w, m: r["plan"]["id"] == w.t["PL_outstanding"],
        "README plans: 'a listed plan is offered to qualified investors; its documents, cash flows and pool only to "
        "its parties, its investors, the exchange and the regulator'",
        (Detail(PLAN_PARTIES | SEE_ALL, lambda r, w, m: "documents" in r and len(r.get("holdings", [])) == 2,
                "the documents and everyone's holdings"),
         Detail(PLAN_HOLDERS, lambda r, w, m: "documents" not in r
                and [h["investor"] for h in r.get("holdings", [])] == [w.o[m]],
                "an investor's own holding only"),
         Detail(PLAN_PARTIES | PLAN_HOLDERS | SEE_ALL, lambda r, w, m: "assets" in r["plan"] and "holders" in r["plan"],
                "the plan record: its pool and investors (a qualified investor outside it: the offering terms)"))),
    "plans.plan#draft": QRow(
        lambda w: dict(id=w.t["PL_draft"]), PLAN_PARTIES | SEE_ALL, "not_found",
        lambda r, w, m: r["plan"]["id"] == w.t["PL_draft"], "a draft is seen by its parties only"),
    "plans.plans": QRow(
        lambda w: dict(sponsor=w.o["supplier1"]), PLAN_PARTIES | PLAN_HOLDERS | SEE_ALL | QUALIFIED, None,
        lambda r, w, m: w.t["PL_outstanding"] in ids(r), "as plan, filtered from the listing"),
    "plans.plans#draft": QRow(
        lambda w: dict(sponsor=w.o["supplier1"]), PLAN_PARTIES | SEE_ALL, None,
        lambda r, w, m: w.t["PL_draft"] in ids(r), "as plan#draft"),
    "plans.disclosures": QRow(
        lambda w: dict(plan=w.t["PL_outstanding"]), PLAN_PARTIES | PLAN_HOLDERS | SEE_ALL | QUALIFIED, "not_found",
        lambda r, w, m: len(r) >= 1, "disclosures are what the plan is offered on: whoever sees the plan"),
    "plans.cash_flows": QRow(
        lambda w: dict(plan=w.t["PL_outstanding"]), PLAN_PARTIES | PLAN_HOLDERS | SEE_ALL, "not_found",
        lambda r, w, m: len(r) == 1, "parties, investors, exchange, regulator (investor3 sees the plan, not this)"),
    "plans.holding": QRow(
        lambda w: dict(plan=w.t["PL_outstanding"], investor=w.o["investor1"]),
        PLAN_PARTIES | SEE_ALL | party("investor1", what="the investor itself"), "not_found",
        lambda r, w, m: r["investor"] == w.o["investor1"],
        "one investor's holding: itself, the parties, exchange, regulator"),
    "plans.document": QRow(
        lambda w: dict(hash=w.t["PL_doc"]), PLAN_PARTIES | PLAN_HOLDERS | SEE_ALL, "not_found",
        lambda r, w, m: r["hash"] == w.t["PL_doc"],
        "domain: 'documents in the vault only to the parties of their plan'"),
    "plans.penetrate": QRow(
        lambda w: dict(plan=w.t["PL_outstanding"], prove=False), PLAN_PARTIES | PLAN_HOLDERS | SEE_ALL, "not_found",
        lambda r, w, m: r["plan_id"] == w.t["PL_outstanding"], "seeing through to each invoice: as cash_flows"),
    "plans.vault_upload": QRow(
        lambda w: dict(subject=w.t["PL_outstanding"], hash="ab" * 32), PLAN_PARTIES, "unauthorized",
        lambda r, w, m: r["plan"] == w.t["PL_outstanding"],
        "uploads by those who register documents (the plan's parties; not the exchange or the regulator)"),
    "plans.vault_document": QRow(
        lambda w: dict(hash=w.t["PL_doc"]), PLAN_PARTIES | PLAN_HOLDERS | SEE_ALL, "not_found",
        lambda r, w, m: r["hash"] == w.t["PL_doc"], "as document: what the vault serves"),
    # -- auctions: public to members (the ledger is); margins for the seller, exchange, regulator, each its own ----
    "auctions.auction": QRow(
        lambda w: dict(id=w.t["P_listed_auction"]), ANYONE, None,
        lambda r, w, m: r["auction"]["id"] == w.t["P_listed_auction"],
        "auctions.auction docstring: bids are public to members; margins to the seller, its settlement bank, "
        "the exchange and the regulator",
        (Detail(party("bank2", what="the seller") | party("bank", what="the settlement bank") | SEE_ALL,
                lambda r, w, m: margins_shown(r) == {w.o[n] for n in ("amc", "investor1", "investor2")},
                "every margin"),
         Detail(party("amc", "investor1", "investor2", what="the registered bidders"),
                lambda r, w, m: margins_shown(r) == {w.o[m]}, "its own margin only"))),
    "auctions.auctions": QRow(lambda w: dict(seller=w.o["bank2"]), ANYONE, None,
                              lambda r, w, m: w.t["P_listed_auction"] in ids(r), "as auction"),
    # -- npa: a package is its parties' until listed, then every member's; documents follow the data room ----------
    "npa.package": QRow(
        lambda w: dict(id=w.t["P_approved"]), PACKAGE_PARTIES | SEE_ALL, "not_found",
        lambda r, w, m: r["package"]["id"] == w.t["P_approved"],
        "README npa: 'seen by its seller, its intermediary, the exchange and the regulator until it is listed'"),
    "npa.package#listed": QRow(
        lambda w: dict(id=w.t["P_post"]), ANYONE, None, lambda r, w, m: r["package"]["id"] == w.t["P_post"],
        "'... then by every member'; documents beyond the data room and the notice only to its parties",
        (Detail(SOLD_PARTIES | SEE_ALL, lambda r, w, m: w.t["P_post_contract"] in {d["hash"] for d in r["documents"]},
                "the transfer contract among its documents"),)),
    "npa.packages": QRow(lambda w: dict(seller=w.o["bank2"]), PACKAGE_PARTIES | SEE_ALL, None,
                         lambda r, w, m: w.t["P_approved"] in ids(r), "as package"),
    "npa.packages#listed": QRow(lambda w: dict(seller=w.o["bank2"]), ANYONE, None,
                                lambda r, w, m: w.t["P_post"] in ids(r), "as package#listed"),
    "npa.loan": QRow(
        lambda w: dict(seller=w.o["bank2"], loan_no="L-FREE"), party("bank2", what="its owner") | SEE_ALL, "not_found",
        lambda r, w, m: r["loan"]["ref"] == f"{w.o['bank2']}/L-FREE", "an unpackaged loan: its owner (the seller)"),
    "npa.loan#packaged": QRow(
        lambda w: dict(zip(("seller", "loan_no"), w.t["P_approved_loan"].split("/"), strict=True)),
        PACKAGE_PARTIES | SEE_ALL,
        "not_found", lambda r, w, m: r["loan"]["ref"] == w.t["P_approved_loan"],
        "a loan of an unlisted package: as package"),
    "npa.loan#listed": QRow(
        lambda w: dict(zip(("seller", "loan_no"), w.t["P_listed_loan"].split("/"), strict=True)), ANYONE, None,
        lambda r, w, m: r["loan"]["ref"] == w.t["P_listed_loan"], "a loan of a listed package: every member"),
    "npa.loans": QRow(
        lambda w: dict(owner=w.o["bank2"]), party("bank2", what="the owner") | SEE_ALL, "unauthorized",
        lambda r, w, m: f"{w.o['bank2']}/L-FREE" in {x["ref"] for x in r}, "'an organisation's loan book is its own'"),
    "npa.loans#package": QRow(
        lambda w: dict(package=w.t["P_approved"]), PACKAGE_PARTIES | SEE_ALL, "not_found",
        lambda r, w, m: w.t["P_approved_loan"] in {x["ref"] for x in r}, "as package"),
    "npa.documents": QRow(
        lambda w: dict(package=w.t["P_post"]), ANYONE, None, lambda r, w, m: len(r) >= 1,
        "the data room and the notice for every member once listed; all documents for its parties",
        (Detail(SOLD_PARTIES | SEE_ALL, lambda r, w, m: w.t["P_post_contract"] in {d["hash"] for d in r},
                "the transfer contract"),)),
    "npa.document": QRow(
        lambda w: dict(hash=w.t["P_listed_tape"]),
        PACKAGE_PARTIES | SEE_ALL | party("investor1", what="a bidder that logged its view"), "unauthorized",
        lambda r, w, m: r["hash"] == w.t["P_listed_tape"],
        "a data-room document: its parties, exchange, regulator, and a bidder only after view_document (amc and "
        "investor2 registered but did not log a view)"),
    "npa.document#notice": QRow(
        lambda w: dict(hash=w.t["P_post_notice"]), ANYONE, None, lambda r, w, m: r["hash"] == w.t["P_post_notice"],
        "the published transfer notice: every member"),
    "npa.document#contract": QRow(
        lambda w: dict(hash=w.t["P_post_contract"]), SOLD_PARTIES | SEE_ALL, "not_found",
        lambda r, w, m: r["hash"] == w.t["P_post_contract"], "a deal document (not data room): its parties"),
    "npa.vault_document": QRow(
        lambda w: dict(hash=w.t["P_listed_tape"]),
        PACKAGE_PARTIES | SEE_ALL | party("investor1", what="a bidder that logged its view"), "unauthorized",
        lambda r, w, m: r["hash"] == w.t["P_listed_tape"], "as document: what the vault serves"),
    "npa.vault_upload": QRow(
        lambda w: dict(subject=w.t["P_listed"], hash="ab" * 32), PACKAGE_PARTIES | EXCHANGE, "unauthorized",
        lambda r, w, m: r["package"] == w.t["P_listed"],
        "those who register its documents (no winner or inspector yet)"),
    "npa.person": QRow(
        lambda w: dict(person=person("bank2/L-FREE")), party("bank2", what="the seller that registered it") | SEE_ALL,
        "not_found", lambda r, w, m: r["commitment"] == person("bank2/L-FREE"),
        "a borrower of an unpackaged loan: the seller that registered it, the exchange, the regulator"),
    "npa.person#listed": QRow(
        lambda w: dict(person=w.get("npa", f"loan/{w.t['P_listed_loan']}")["borrower"]), PACKAGE_PARTIES | SEE_ALL,
        "not_found", lambda r, w, m: r["uses"] == [w.t["P_listed_loan"]],
        "a listed package's loan is every member's, its borrower only the package's parties' (not its bidders')"),
    "npa.vault_document#person": QRow(
        lambda w: dict(hash=w.get("npa", f"loan/{w.t['P_listed_loan']}")["borrower"]), PACKAGE_PARTIES | SEE_ALL,
        "not_found", lambda r, w, m: r["hash"] == w.get("npa", f"loan/{w.t['P_listed_loan']}")["borrower"],
        "as person#listed: what the vault serves"),
    "npa.vault_upload#person": QRow(
        lambda w: dict(subject="person", hash=w.chain.app.hash(PERSON_DOC).hex(), document=PERSON_DOC),
        roles("BANK", "AMC"), "unauthorized", lambda r, w, m: r == {"person": w.chain.app.hash(PERSON_DOC).hex()},
        "banks and AMCs upload their borrowers' and guarantors' personal data documents"),
    "npa.views": QRow(
        lambda w: dict(package=w.t["P_listed"]), ANYONE, None, lambda r, w, m: isinstance(r, list),
        "npa.views docstring: the seller, the exchange and the regulator see every logged view; a bidder its own",
        (Detail(party("bank2", what="the seller") | SEE_ALL | party("investor1", what="the viewer itself"),
                lambda r, w, m: w.o["investor1"] in {v["org"] for v in r}, "investor1's logged view"),)),
    "npa.life": QRow(
        lambda w: dict(package=w.t["P_approved"], prove=False), PACKAGE_PARTIES | SEE_ALL, "not_found",
        lambda r, w, m: r["package"]["id"] == w.t["P_approved"], "as package"),
    # -- products: offered (OPEN on) to qualified investors and rating agencies; the register to its parties ------
    "products.product": QRow(
        lambda w: dict(id=w.t["PR_outstanding"]), PRODUCT_PARTIES | PRODUCT_HOLDERS | SEE_ALL | AGENCIES | QUALIFIED,
        "not_found", lambda r, w, m: r["product"]["id"] == w.t["PR_outstanding"],
        "products/reading.py: parties, holders, the rating agency that rated it; qualified investors once offered",
        (Detail(PRODUCT_PARTIES | SEE_ALL, lambda r, w, m: "distributions" in r and len(r.get("holdings", [])) == 3,
                "the whole register, distributions and collections"),
         Detail(PRODUCT_HOLDERS, lambda r, w, m: "distributions" not in r
                and {h["holder"] for h in r.get("holdings", [])} == {w.o[m]},
                "a holder's own holdings only"),
         Detail(PRODUCT_PARTIES | PRODUCT_HOLDERS | SEE_ALL | AGENCIES, lambda r, w, m: "holders" in r["product"],
                "the product record with its holders (a qualified investor outside it: the offering terms; "
                "the demo's one rating agency rated it)"))),
    "products.product#draft": QRow(
        lambda w: dict(id=w.t["PR_draft"]), PRODUCT_PARTIES | SEE_ALL | AGENCIES, "not_found",
        lambda r, w, m: r["product"]["id"] == w.t["PR_draft"], "before it is offered: its parties and rating agencies"),
    "products.products": QRow(
        lambda w: dict(originator=w.o["factor"]), PRODUCT_PARTIES | PRODUCT_HOLDERS | SEE_ALL | AGENCIES | QUALIFIED,
        None, lambda r, w, m: w.t["PR_outstanding"] in ids(r), "as product, filtered from the listing"),
    "products.transfer": QRow(
        lambda w: dict(id=w.t["T_proposed"]),
        PRODUCT_PARTIES | SEE_ALL | party("investor1", "investor3", what="its seller and buyer"), "not_found",
        lambda r, w, m: r["id"] == w.t["T_proposed"],
        "products.transfer docstring: its parties, registrar, exchange, regulator"),
    "products.transfers": QRow(
        lambda w: dict(status="ACCEPTED"),
        PRODUCT_PARTIES | SEE_ALL | party("investor2", "investor3", what="its seller and buyer"), None,
        lambda r, w, m: w.t["T_accepted"] in ids(r), "as transfer, filtered from the listing"),
    # -- supervision: alerts, the frozen list and the action log for the regulator and the exchange; whether an
    # -- asset is frozen for all, why (and its actions) for its parties --------------------------------------------
    "supervision.alerts": QRow(lambda w: {}, SEE_ALL, "unauthorized", lambda r, w, m: len(r) >= 1,
                               "domain 5: the regulator (and the exchange, README) receive alerts"),
    "supervision.frozen": QRow(
        lambda w: dict(asset=f"invoice:{w.t['INV_frozen']}"), ANYONE, None, lambda r, w, m: r["frozen"] is True,
        "a counterparty checks whether an asset is frozen before it trades; the reason is its parties'",
        (Detail(INVOICE_PARTIES | SEE_ALL, lambda r, w, m: r.get("reason") == "suspected duplicate"
                and r.get("by") == w.o["regulator"], "the regulator's reason and who acted"),)),
    "supervision.frozen#voucher": QRow(
        lambda w: dict(asset=f"voucher:{w.t['V_frozen']}"), ANYONE, None, lambda r, w, m: r["frozen"] is True,
        "as frozen: a voucher piece's parties are its holder and payer (who issued it to the holder)",
        (Detail(INVOICE_PARTIES | SEE_ALL, lambda r, w, m: r.get("reason") == "court order 2026-17",
                "the regulator's reason"),)),
    "supervision.frozen_assets": QRow(lambda w: {}, SEE_ALL, "unauthorized",
                                      lambda r, w, m: f"invoice:{w.t['INV_frozen']}" in {x["asset"] for x in r},
                                      "the frozen list: the regulator and the exchange"),
    "supervision.actions": QRow(
        lambda w: {}, INVOICE_PARTIES | SEE_ALL, None, lambda r, w, m: bool({a["asset"] for a in r} & frozen(w)),
        "the whole log for the regulator and the exchange; any other member sees the actions on its own assets "
        "only (supplier1 and core are parties of both frozen assets; no other member of either)",
        (Detail(INVOICE_PARTIES | SEE_ALL, lambda r, w, m: {a["asset"] for a in r} >= frozen(w),
                "the actions on both frozen assets"),)),
    "supervision.actions#asset": QRow(
        lambda w: dict(asset=f"invoice:{w.t['INV_frozen']}"), INVOICE_PARTIES | SEE_ALL, "unauthorized",
        lambda r, w, m: [a["reason"] for a in r] == ["suspected duplicate"],
        "one asset's actions: the regulator, the exchange and the asset's parties"),
    "supervision.rules": QRow(lambda w: {}, ANYONE, None, lambda r, w, m: "large_transfer" in r,
                              "the thresholds in force are public to members"),
}

READERS = NAMES + tuple(OUTSIDERS)
CASES = [(key, member) for key in TABLE for member in READERS]


def expected(row: QRow, member: str) -> str:
    if member in OUTSIDERS:
        return OUTSIDERS[member]
    if member in row.see:
        return "sees"
    return row.refused or "absent"


@pytest.mark.parametrize("key,member", CASES, ids=[f"{k}-{m}-{expected(TABLE[k], m)}" for k, m in CASES])
def test_query(world: World, key: str, member: str) -> None:
    row = TABLE[key]
    contract, method = key.split("#")[0].split(".")
    want = expected(row, member)
    where = f"{member} ({TYPE.get(member, 'outsider')}) reading {key}: {row.see!r}: {row.why}"
    try:
        res = world.query(member, contract, method, row.args(world))
    except (ContractError, Rejected) as exc:
        assert want not in ("sees", "absent"), f"{where}\n  refused {exc.code}: {exc.message}"
        assert exc.code == want, f"{where}\n  expected {want}, got {exc.code}: {exc.message}"
        assert exc.message
        return
    assert want in ("sees", "absent"), f"{where}\n  expected {want}, got an answer: {str(res)[:300]}"
    assert row.found(res, world, member) == (want == "sees"), \
        f"{where}\n  {'the record is missing from' if want == 'sees' else 'the record is in'} {str(res)[:300]}"
    if want == "sees":
        for d in row.details:
            assert d.check(res, world, member) == (member in d.who), \
                f"{where}\n  {d.what}: expected for {d.who!r} only; got {str(res)[:300]}"


def test_every_query_method_has_a_row() -> None:
    have = {(name, m) for name, cls in load_contracts().items() for m, meth in cls.methods.items()
            if meth.kind == "query"}
    rows = {tuple(key.split("#")[0].split(".")) for key in TABLE}
    assert have - rows == set(), f"query methods without a row in the authorization matrix: {sorted(have - rows)}"
    assert rows - have == set(), f"rows for methods that are not queries: {sorted(rows - have)}"
