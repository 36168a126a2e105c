"""The authorization matrix of the raw routes: per record kind, transaction kind and end-of-block
event kind of every contract, who may see it (docs/confidentiality.md).

What `GET /v1/state`, `/v1/txs/{hash}`, `/v1/blocks/{h}`, `/v1/events` and the console's explorer
show a reader is `Application.read_view(reader, height)`'s answer (`faechain.chain.visibility`),
which asks the same per-contract rules the business queries ask (test_authz_queries.py). Each
row names a record of the world (`authz_support`), a committed transaction or an end-of-block
event, and who may see it; every member is asked, and the regulator and the exchange see all.
A transaction is evaluated at its own height (its signer, and whoever may read every record it
is about, then). How the routes render a withheld transaction, and that none of them leaks, is
tests/test_confidentiality.py's; which routes answer whom at all is test_authz_http.py's.

`test_every_record_kind_has_a_row` fails for a kind of key the world holds that no row covers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from faechain.chain.results import Receipt
from faechain.contracts.runtime import NOBODY
from faechain.core.encoding import decode
from faechain.core.tx import Tx, decode_tx
from tests.authz.authz_support import ANYONE, NAMES, QUALIFIED, SEE_ALL, Who, World, party
from tests.authz.test_authz_queries import (
    ACCOUNT_PARTIES,
    CONDITIONAL_PARTIES,
    FUNDED,
    INSTRUCTION_PARTIES,
    INVOICE_PARTIES,
    PACKAGE_PARTIES,
    PLAN_HOLDERS,
    PLAN_PARTIES,
    PRODUCT_HOLDERS,
    PRODUCT_PARTIES,
    REGISTRY,
    RFQ_PARTIES,
    SOLD_PARTIES,
    TAX,
)

NOBODY_ELSE = Who(set(), "no one but the regulator and the exchange")
LINE = party("core", "bank", what="the core and the bank that granted the line")
CHAIN_OF_TITLE = party("supplier1", "core", "supplier2", "factor",
                       what="the root piece's holder and payer, and the parties of the pieces split from it")
FINANCED = party("factor", "core", "supplier2", what="its holder and funder, payer, sender")
OFFERED_INVOICE = party("supplier1", "core", what="its seller and buyer") | party(
    "factor", what="the funder supplier2 offered a piece drawing on it to")
POOLED = party("supplier1", "core", what="the pooled piece's holder and payer") | PLAN_PARTIES | PLAN_HOLDERS
RATED = party("rating", what="the rating agency that rated it")


@dataclass(frozen=True)
class Row:
    target: Callable[[World], Any]  # a state key (text) / a (contract, method, args test) / an event finder
    see: Who
    why: str


def _paid_root(w: World) -> str:
    """The root whose payment the bank confirmed and end_block instructed as I_pending."""
    piece = w.get("payments", f"instruction/{w.t['I_pending']}")["ref"].split(":", 1)[1]
    return w.get("receivables", f"voucher/{piece}")["root"]


def _pooled(w: World) -> str:
    asset = w.get("plans", f"plan/{w.t['PL_outstanding']}")["assets"][0]
    return f"receivables/voucher/{asset.split(':', 1)[1]}"


RECORDS: dict[str, Row] = {
    # receivables
    "receivables/invoice": Row(lambda w: f"receivables/invoice/{w.t['INV_q']}", OFFERED_INVOICE | TAX,
                               "README: seller, buyer, the funders a holder offered it to; every TAX_SERVICE (the "
                               "tax authority's own data)"),
    "receivables/drawers": Row(lambda w: f"receivables/drawers/{w.t['INV_q']}/{w.t['V_q']}", OFFERED_INVOICE | TAX,
                               "what a root draws on an invoice: as the invoice (reading.py read_drawer), the tax "
                               "service included (it voids the invoice and so freezes the roots)"),
    "receivables/line": Row(lambda w: f"receivables/line/{w.o['core']}/{w.o['bank']}", LINE,
                            "README: a credit line to the core and the bank that granted it"),
    "receivables/core": Row(lambda w: f"receivables/core/{w.o['core']}", party("core", what="the core enterprise"),
                            "the core's banks and open total: the core's (a bank sees its own line)"),
    "receivables/voucher": Row(lambda w: f"receivables/voucher/{w.t['V_q_financed']}", FINANCED,
                               "a piece: its holder, payer, sender and funder"),
    "receivables/voucher#root": Row(lambda w: f"receivables/voucher/{w.t['V_q']}", CHAIN_OF_TITLE,
                                    "the root piece: every piece's title runs through it"),
    "receivables/voucher#pooled": Row(_pooled, POOLED, "a piece pooled in a plan: the plan's readers too "
                                                       "(penetration shows it them)"),
    "receivables/root": Row(lambda w: f"receivables/root/{w.t['V_q']}", CHAIN_OF_TITLE,
                            "a root: whoever may read a piece of it (and its invoices' readers: the same here)"),
    "receivables/financing": Row(lambda w: f"receivables/financing/{w.t['F_q']}", FUNDED,
                                 "the rate, advance and registration: the two parties of the offer, the payer "
                                 "notified once it was funded, every REGISTRY_AGENT (it attests them)"),
    "receivables/financing#requested": Row(lambda w: f"receivables/financing/{w.t['F_requested']}",
                                           party("supplier1", "factor", what="its holder and funder") | REGISTRY,
                                           "not funded: no notice yet, so not the payer (core)"),
    "receivables/bankref": Row(lambda w: f"receivables/bankref/{w.t['V_paid_rail']}/PAY-{w.t['V_paid_rail']}",
                               party("supplier1", "core", "bank",
                                     what="the root's holder and payer, the settlement bank it names and that "
                                          "confirmed its payment"),
                               "a confirmed payment's bank reference: as its root (like live/)"),
    "receivables/rfq": Row(lambda w: f"receivables/rfq/{w.t['RFQ']}", RFQ_PARTIES,
                           "a request for quotes: its holder and the funders it invited"),
    "receivables/quote": Row(lambda w: f"receivables/quote/{w.t['RFQ']}/{w.o['factor']}",
                             party("supplier1", "factor", what="the holder and the quoting funder"),
                             "a quote: the holder and that funder, not its competitor (bank2, invited too)"),
    "receivables/quote#competitor": Row(lambda w: f"receivables/quote/{w.t['RFQ']}/{w.o['bank2']}",
                                        party("supplier1", "bank2", what="the holder and the quoting funder"),
                                        "as quote: the factor does not read bank2's"),
    "receivables/rules": Row(lambda w: "receivables/rules", ANYONE, "the receivables rules in force: every member"),
    "receivables/cursor": Row(lambda w: "receivables/cursor", NOBODY_ELSE, "bookkeeping"),
    # payments
    "payments/account": Row(lambda w: f"payments/account/{w.o['supplier2']}/{w.o['ecny']}", ACCOUNT_PARTIES,
                            "an account: that organisation and that rail"),
    "payments/instruction": Row(lambda w: f"payments/instruction/{w.t['I_pending']}", INSTRUCTION_PARTIES,
                                "a clearing instruction: its payer, payee and rail"),
    "payments/conditional": Row(lambda w: f"payments/conditional/{w.t['CP_met']}", CONDITIONAL_PARTIES,
                                "a conditional payment: payer, payee, rail, and who its condition names"),
    # plans
    "plans/plan": Row(lambda w: f"plans/plan/{w.t['PL_outstanding']}", PLAN_PARTIES | PLAN_HOLDERS,
                      "README: a plan's pool, holdings and cash flows to its parties and investors (qualified "
                      "investors outside it are offered its terms by the query, not the record)"),
    "plans/holding": Row(lambda w: f"plans/holding/{w.t['PL_outstanding']}/{w.o['investor1']}",
                         PLAN_PARTIES | party("investor1", what="the investor itself"),
                         "one investor's holding: not the other investors'"),
    "plans/disclosure": Row(lambda w: f"plans/disclosure/{w.t['PL_outstanding']}/0001",
                            PLAN_PARTIES | PLAN_HOLDERS | QUALIFIED,
                            "disclosures are what a listed plan is offered on"),
    "plans/disclosure#draft": Row(lambda w: f"plans/disclosure/{w.t['PL_filed']}/0001", PLAN_PARTIES,
                                  "a filed plan's disclosures: its parties until the exchange approves it"),
    "plans/cashflow": Row(lambda w: f"plans/cashflow/{w.t['PL_outstanding']}/000001", PLAN_PARTIES | PLAN_HOLDERS,
                          "cash flows: parties and investors"),
    "plans/doc": Row(lambda w: f"plans/doc/{w.t['PL_doc']}", PLAN_PARTIES | PLAN_HOLDERS, "as the plan"),
    "plans/asset": Row(lambda w: f"plans/asset/{w.t['PL_draft_asset']}", PLAN_PARTIES,
                       "a draft plan's pool entry: its parties"),
    # products
    "products/product": Row(lambda w: f"products/product/{w.t['PR_outstanding']}",
                            PRODUCT_PARTIES | PRODUCT_HOLDERS | RATED,
                            "the record (holders, underlying, totals): parties, holders, the agency that rated it"),
    "products/transfer": Row(lambda w: f"products/transfer/{w.t['T_proposed']}",
                             PRODUCT_PARTIES | party("investor1", "investor3", what="its seller and buyer"),
                             "a negotiated price: the two parties and the product's"),
    "products/holding": Row(lambda w: f"products/holding/{w.t['PR_outstanding']}/senior/{w.o['investor1']}",
                            PRODUCT_PARTIES | party("investor1", what="the holder"), "one holder's units"),
    "products/collection": Row(lambda w: f"products/collection/{w.t['PR_outstanding']}/00001", PRODUCT_PARTIES,
                               "collections and distributions: the parties"),
    # npa
    "npa/package": Row(lambda w: f"npa/package/{w.t['P_approved']}", PACKAGE_PARTIES,
                       "before listing: its parties (the prices are theirs)"),
    "npa/package#listed": Row(lambda w: f"npa/package/{w.t['P_post']}", ANYONE, "listed: every member"),
    "npa/loan": Row(lambda w: f"npa/loan/{w.t['P_approved_loan']}", PACKAGE_PARTIES,
                    "a loan of an unlisted package: its owner and the package's parties"),
    "npa/doc": Row(lambda w: f"npa/doc/{w.t['P_post_contract']}", SOLD_PARTIES, "a deal document: the parties"),
    "npa/doc#data_room": Row(lambda w: f"npa/doc/{w.t['P_listed_tape']}", ANYONE,
                             "a listed package's data-room record (its bytes only after a logged view)"),
    "npa/view": Row(lambda w: f"npa/view/{w.t['P_listed']}/{w.t['P_listed_tape']}/{w.o['investor1']}",
                    party("bank2", "investor1", what="the seller and the reader itself"), "a logged view"),
    # auctions
    "auctions/auction": Row(lambda w: f"auctions/auction/{w.t['P_listed_auction']}", ANYONE,
                            "auctions are public to members"),
    "auctions/margin": Row(lambda w: f"auctions/margin/{w.t['P_listed_auction']}/{w.o['investor1']}",
                           party("investor1", "bank2", "bank", what="the bidder, the seller, the settlement bank"),
                           "a bidder's margin"),
    # supervision
    "supervision/frozen": Row(lambda w: f"supervision/frozen/invoice:{w.t['INV_frozen']}", INVOICE_PARTIES,
                              "the regulator's reason: the asset's parties (whether frozen: the query, any member)"),
    "supervision/action": Row(lambda w: "supervision/action/00000001", INVOICE_PARTIES,
                              "an action: the parties of its asset (the first froze V_frozen: supplier1's, core's)"),
    "supervision/alert": Row(lambda w: "supervision/alert/0000000001", NOBODY_ELSE, "alerts"),
    "supervision/rules": Row(lambda w: "supervision/rules", ANYONE, "the thresholds in force"),
    # the consortium
    "membership/org": Row(lambda w: f"membership/org/{w.o['bank2']}", ANYONE, "the roster"),
    "governance/proposal": Row(lambda w: f"governance/proposal/{w.t['G_open']}", ANYONE, "proposals and votes"),
}


def _tx(w: World, contract: str, method: str, test: Callable[[dict], bool] = lambda a: True) -> tuple:
    """(height, tx, receipt) of the first committed transaction `contract.method` whose args pass `test`."""
    store = w.chain.store
    for h in range(1, w.app.height + 1):
        for _, _, envelope, receipt in store.block_txs(h):
            tx: Tx = decode_tx(envelope, w.app.hash)
            if tx.contract == contract and tx.method == method and test(tx.args):
                return h, tx, Receipt.from_map(decode(receipt))
    raise AssertionError(f"no {contract}.{method} in the world")


TXS: dict[str, Row] = {
    "receivables.grant_credit": Row(lambda w: _tx(w, "receivables", "grant_credit", lambda a: a["core"] == w.o["core"]),
                                    LINE, "the line's readers: the bank (its signer) and the core"),
    "receivables.register_invoice": Row(lambda w: _tx(w, "receivables", "register_invoice",
                                                      lambda a: f"{a['code']}-{a['number']}" == w.t["INV_q"]),
                                        party("supplier1", "core", what="seller and buyer") | TAX,
                                        "the invoice's readers at its height (no offer yet; the tax service's)"),
    "receivables.request_financing": Row(lambda w: _tx(w, "receivables", "request_financing",
                                                       lambda a: a.get("rate_bps") == 600),
                                         party("supplier2", "factor", what="holder and funder") | REGISTRY,
                                         "the financing's readers at its height: not yet the payer (not notified)"),
    "receivables.fund": Row(lambda w: _tx(w, "receivables", "fund", lambda a: a["financing"] == w.t["F_q"]), FUNDED,
                            "funding notifies the payer: it reads the financing from then on"),
    "receivables.request_quotes": Row(lambda w: _tx(w, "receivables", "request_quotes"), RFQ_PARTIES,
                                      "the request's readers: its holder and the funders invited"),
    "receivables.quote": Row(lambda w: _tx(w, "receivables", "quote", lambda a: a["rate_bps"] == 500),
                             party("supplier1", "factor", what="the holder and the quoting funder"),
                             "a quote's readers: not the competing funder (bank2)"),
    "payments.register_account": Row(lambda w: _tx(w, "payments", "register_account"), ACCOUNT_PARTIES,
                                     "the account's readers"),
    "payments.create_conditional": Row(lambda w: _tx(w, "payments", "create_conditional"), CONDITIONAL_PARTIES,
                                       "the conditional payment's readers"),
    "receivables.transfer": Row(lambda w: _tx(w, "receivables", "transfer", lambda a: a["id"] == w.t["V_q"]),
                                party("supplier1", "core", "supplier2", what="sender, payer, recipient"),
                                "the piece transferred: its parties and those whose title runs through it at the "
                                "transfer's height (not factor, which funded a piece split from it later)"),
    "plans.subscribe": Row(lambda w: _tx(w, "plans", "subscribe", lambda a: a["plan"] == w.t["PL_outstanding"]),
                           PLAN_PARTIES | party("investor1", what="the subscriber"),
                           "a subscription: the investor and the plan's parties, not the other investors"),
    "plans.publish": Row(lambda w: _tx(w, "plans", "publish", lambda a: a["plan"] == w.t["PL_outstanding"]),
                         PLAN_PARTIES, "published while the plan was FILED: its parties (offerees see it once listed "
                                       "through the query)"),
    "products.propose_transfer": Row(lambda w: _tx(w, "products", "propose_transfer",
                                                   lambda a: a["price"] == 51_000_00),
                                     PRODUCT_PARTIES | party("investor1", "investor3", what="seller and buyer"),
                                     "a negotiated price"),
    "npa.create_package": Row(lambda w: _tx(w, "npa", "create_package"),
                              party("bank2", what="the seller (no intermediary yet at its height)"),
                              "a draft: its parties at its height, even once listed"),
    "supervision.freeze": Row(lambda w: _tx(w, "supervision", "freeze", lambda a: a["asset"].startswith("invoice:")),
                              INVOICE_PARTIES, "the reason: the asset's parties"),
    "governance.vote": Row(lambda w: _tx(w, "governance", "vote"), ANYONE, "votes are every member's"),
    "auctions.bid": Row(lambda w: _tx(w, "auctions", "bid"), ANYONE, "bids are public to members"),
}


def _event(w: World, type_: str, test: Callable[[dict], bool] = lambda a: True) -> tuple[int, dict]:
    """(height, event) of the first end-of-block event of `type_` whose attributes pass `test`."""
    for h in range(1, w.app.height + 1):
        n_txs = len(w.chain.store.block_txs(h))
        for contract, t, data in w.chain.store.events_at(h, n_txs):
            if t == type_ and test(decode(data)):
                return h, {"contract": contract, "type": t, "attrs": decode(data)}
    raise AssertionError(f"no end-of-block {type_} in the world")


EVENTS: dict[str, Row] = {
    "receivables VoucherOverdue": Row(lambda w: _event(w, "VoucherOverdue"),
                                      party("supplier1", "core", what="the overdue root's holder and payer"),
                                      "an overdue root: its readers"),
    "payments ClearingInstructed": Row(lambda w: _event(w, "ClearingInstructed",
                                                        lambda a: a["instruction"] == w.t["I_pending"]),
                                       INSTRUCTION_PARTIES, "an instruction made at end of block: its readers"),
    "auctions AuctionAwarded": Row(lambda w: _event(w, "AuctionAwarded"), ANYONE, "public to members"),
    "supervision Alert": Row(lambda w: _event(w, "Alert"), NOBODY_ELSE, "alerts: the regulator and the exchange"),
}


def _view(w: World, who: str, height: int | None = None):
    ident = w.chain.ids[who]
    return w.app.read_view(w.app.caller_for_cert(ident.cert_id, ident.cert), height)


def _check(row: Row, who: str, seen: bool, what: str) -> None:
    want = who in row.see or who in SEE_ALL
    assert seen == want, f"{who} {'sees' if seen else 'does not see'} {what}: expected {row.see!r}: {row.why}"


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_record(world: World, name: str) -> None:
    row = RECORDS[name]
    key = row.target(world).encode()
    assert world.chain.store.get_value(key) is not None or name == "supervision/rules", f"{key!r} is not in the world"
    for who in NAMES:
        _check(row, who, _view(world, who).may_read(key), f"{key.decode()}")
    assert not world.app.read_view(NOBODY).may_read(key), "an anonymous non-member reads nothing"
    assert world.app.read_view(None).may_read(key), "an open node's anonymous reader reads everything"


@pytest.mark.parametrize("name", sorted(TXS))
def test_transaction(world: World, name: str) -> None:
    row = TXS[name]
    height, tx, receipt = row.target(world)
    for who in NAMES:
        _check(row, who, _view(world, who, height).sees_tx(tx, receipt), f"{name} at height {height}")
    assert not world.app.read_view(NOBODY, height).sees_tx(tx, receipt)


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_end_block_event(world: World, name: str) -> None:
    row = EVENTS[name]
    height, event = row.target(world)
    for who in NAMES:
        _check(row, who, _view(world, who, height).sees_event(event), f"{name} at height {height}")


def test_the_bank_that_confirmed_a_payment_reads_the_root(world: World) -> None:
    """docs/confidentiality.md: a root (and its live/, rest/, bankref/ records) is read by 'the
    settlement bank that confirmed its payment'. The root of I_pending names no rail; the bank
    confirmed its payment (`confirm_payment` accepts any settlement bank then)."""
    root = _paid_root(world)
    assert world.get("receivables", f"root/{root}")["settlement_bank"] is None
    assert world.get("receivables", f"root/{root}")["payment"]["bank"] == world.o["bank"]
    assert world.get("receivables", f"root/{root}")["rails"] == [world.o["bank"]]
    view = _view(world, "bank")
    for key in (f"receivables/root/{root}", f"receivables/bankref/{root}/PAY-{root}"):
        assert view.may_read(key.encode()), f"the confirming bank does not read {key}"


def test_a_refused_transaction_is_its_signers(world: World) -> None:
    """A refused transaction wrote nothing: its signer, the regulator and the exchange see it."""
    _, tx, receipt = _tx(world, "receivables", "grant_credit", lambda a: a["core"] == world.o["core"])
    refused = Receipt(receipt.tx_hash, receipt.height, receipt.index, "limit_exceeded", "no")
    for who in NAMES:
        want = who in ("bank", "regulator", "exchange")
        assert _view(world, who, receipt.height).sees_tx(tx, refused) == want, who


# kinds of key without a row of their own, and the rule that covers them (reading.py of each contract)
COVERED = {
    "receivables/due": "bookkeeping: the regulator and the exchange", "receivables/clearing": "bookkeeping",
    "receivables/live": "as its root (receivables/root)", "receivables/locked": "as its root",
    "receivables/rest": "as its root (reading.py read_of_root: the second pool, like live/)",
    "receivables/paydue": "bookkeeping", "receivables/paydue_cursor": "bookkeeping",
    "plans/due": "bookkeeping", "plans/cursor": "bookkeeping", "plans/bankref": "the plan's parties",
    "plans/docs": "as the plan", "plans/payment": "as the plan (penetration shows investors every payment)",
    "npa/due": "bookkeeping", "npa/cursor": "bookkeeping", "npa/docs": "the package's parties",
    "npa/disposition": "as the package", "npa/person": "may_read_person (contracts/personal.py)",
    "npa/erased": "as its person", "auctions/due": "bookkeeping", "auctions/cursor": "bookkeeping",
    "auctions/bid": "as the auction: every member", "products/underlying": "the product's parties",
    "products/sub": "as products/holding", "products/distribution": "as products/collection",
    "supervision/actions": "bookkeeping", "supervision/alerts": "bookkeeping", "supervision/once": "bookkeeping",
    "membership/ca": "the roster: every member", "membership/cert": "the roster", "membership/revoked": "the roster",
    "membership/person": "may_read_person", "membership/erased": "as its person",
    "governance/config": "every member", "governance/validators": "every member", "governance/updates": "every member",
    "governance/due": "every member", "governance/cursor": "every member",
}


def test_every_record_kind_has_a_row(world: World) -> None:
    """Each kind of key the world holds (`<contract>/<kind>/...`) has a row, or is named in COVERED
    with the rule that covers it."""
    kinds = {"/".join(r.target(world).split("/")[:2]) for r in RECORDS.values()}
    rows = world.chain.store.read.execute("SELECT DISTINCT key FROM kv").fetchall()
    missing = sorted({"/".join(bytes(k).decode().split("/")[:2]) for (k,) in rows} - kinds - set(COVERED))
    assert not missing, f"kinds of state key without a row in the raw matrix: {missing}"


# events about no record: the regulator's and the exchange's alone
NO_SUBJECT = {("supervision", "Alert"), ("supervision", "EndBlockFailed")}


def test_every_event_the_world_emitted_is_about_records(world: World) -> None:
    """Each (contract, type) of event in the world's blocks names the records it is about
    (`event_subjects`): an event without one would hide its transaction from its own parties."""
    rows = world.chain.store.read.execute("SELECT DISTINCT contract, type, data FROM events").fetchall()
    seen: dict[tuple[str, str], bool] = {}
    for contract, type_, data in rows:
        subjects = world.app.contracts[contract].event_subjects(type_, decode(data))
        seen[(contract, type_)] = seen.get((contract, type_), False) or bool(subjects)
    missing = sorted(k for k, ok in seen.items() if not ok and k not in NO_SUBJECT)
    assert not missing, f"events about no record: {missing}"
    assert len(seen) > 60, "the world emits most kinds of event"
