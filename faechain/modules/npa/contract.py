"""The `npa` contract: non-performing loan packages from registration to inspection (domain.md section 3).

A bank or an AMC (the seller) registers its non-performing loans, puts them in a
package, an intermediary does the due diligence, the exchange approves the
package and lists it in an auction (the generic `auctions` contract runs the
bidding: registration, margins, bids, award, payment), the seller and the winner
sign the deal, the settlement bank's payment confirmation makes it PAID, the
seller delivers the files, the transfer notice is published, the buyer records
what it does with the loans afterwards, an inspector appointed by the exchange
inspects, and the exchange closes the package: the loans belong to the buyer.

    DRAFT -> DUE_DILIGENCE -> APPROVED -> LISTED -> BIDDING -> AWARDED -> CONTRACTED -> PAID
          -> DELIVERED -> NOTICED -> POST_TRANSFER -> INSPECTED -> CLOSED
    an auction without a valid bid, or a winner who does not pay: back to APPROVED (relisting);
    DRAFT, DUE_DILIGENCE, APPROVED, or LISTED before any bid: WITHDRAWN (the loans are released)

State (under `npa/`):

    loan/<seller>/<loan_no>   a loan as its seller registered it; `package` while it sits in an active one,
                              `owner` (the seller, the buyer once its package closes)
    package/<id>              terms, parties, status, loans, every listing and its outcome, the deal,
                              notice, inspection, and `log`: [[status, time, by], ...] of every move
    doc/<hash>                a data-room or deal document's record (its bytes are in the node's vault)
    docs/<package>            the package's document hashes, in registration order
    view/<package>/<hash>/<org>  a reader's logged views of a data-room document (first, last, count)
    disposition/<package>/<n> the buyer's n-th post-transfer disposition event (n zero-padded, from 1)
    due/<day>, cursor         transfer notices falling due (faechain/contracts/deadlines.py)

The auction is the `auctions` contract's: `list_package` opens it through
`ctx.call("auctions", "open", ...)`, which makes `npa` its owner, and the engine
reports back through the `@internal` callbacks `auction_started`,
`auction_awarded`, `auction_failed`, `auction_paid` and `auction_defaulted`, each
in the transaction or block where it happens. A package therefore becomes PAID
only in the settlement bank's payment confirmation.

Payment before signature: the auction engine gives the winner `pay_days` after
the award to pay, and does not know about the deal contract. A payment the bank
confirms while the deal is still unsigned (AWARDED) is recorded on the deal and
the package stays AWARDED; the signature that completes the contract then moves
it through CONTRACTED to PAID in the same transaction. Refusing the confirmation
instead would leave money that did move unrecorded.
"""

from __future__ import annotations

import re

from faechain.contracts.deadlines import Deadlines
from faechain.contracts.freeze import ensure_not_frozen
from faechain.contracts.errors import (
    BadRequest,
    Duplicate,
    InvalidState,
    LimitExceeded,
    NotFound,
    Unauthorized,
    ensure,
)
from faechain.contracts.money import MAX_AMOUNT
from faechain.contracts.records import ensure_status, member as _member
from faechain.contracts.runtime import Contract, Ctx, QueryCtx, internal, query, register, tx

DAY = 86_400
MAX_LOANS = 200  # loans per package
MAX_DOCS = 300  # documents per package
MAX_LISTINGS = 10  # auctions per package (relistings included)
MAX_DISPOSITIONS = 500
MAX_LOG = 80  # never reached: MAX_LISTINGS bounds the moves a package can make
NOTICE_DUE = 30 * DAY  # the transfer notice is published within 30 days of delivery
ASSET_PREFIX = "package:"  # the auction sells `package:<id>`, the freeze registry's reference
HEX64 = re.compile(r"^[0-9a-f]{64}$")
MEDIA_TYPE = re.compile(r"^[a-z]+/[0-9a-z.+-]{1,64}$")
LOAN_NO = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$")

# package states
DRAFT, DUE_DILIGENCE, APPROVED, LISTED, BIDDING = "DRAFT", "DUE_DILIGENCE", "APPROVED", "LISTED", "BIDDING"
AWARDED, CONTRACTED, PAID, DELIVERED, NOTICED = "AWARDED", "CONTRACTED", "PAID", "DELIVERED", "NOTICED"
POST_TRANSFER, INSPECTED, CLOSED, WITHDRAWN = "POST_TRANSFER", "INSPECTED", "CLOSED", "WITHDRAWN"
EDITABLE = (DRAFT,)  # loans change only in a draft
PRICED = (DRAFT, DUE_DILIGENCE, APPROVED)  # prices change until the package is listed
OPEN_FOR_BIDDERS = (LISTED, BIDDING)  # the data room is open to registered bidders

SELLER_TYPES = ("BANK", "AMC")
CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")  # the five-category classification
NPL_CLASSES = ("substandard", "doubtful", "loss")  # what may be disposed of as a non-performing asset
LITIGATION = ("none", "filed", "judgment", "enforcement", "terminated")
OPINIONS = ("clean", "qualified", "adverse")
RESULTS = ("compliant", "deficient")
MODES = ("english", "sealed", "dutch")
DISPOSITION_KINDS = ("litigation_party_change", "mortgage_change", "restructuring", "collection", "resale")
DOC_KINDS = ("loan_file", "valuation", "collateral", "court", "due_diligence", "announcement", "contract",
             "payment", "delivery", "notice", "disposition", "inspection", "other")
SEE_ALL = frozenset({"REGULATOR", "EXCHANGE"})
PARTY_FIELDS = ("seller", "intermediary", "winner", "inspector")


def _amount(value: int, what: str, minimum: int = 1) -> int:
    ensure(value >= minimum, BadRequest(f"{what} must be at least {minimum} fen"))
    ensure(value <= MAX_AMOUNT, BadRequest(f"{what} exceeds the 64-bit limit"))
    return value


def _text(value: str, what: str, limit: int = 200, empty: bool = False) -> str:
    ensure((empty or len(value) > 0) and len(value) <= limit,
           BadRequest(f"{what} must be {0 if empty else 1}-{limit} characters"))
    return value


def _one_of(value: str, options: tuple[str, ...], what: str) -> str:
    ensure(value in options, BadRequest(f"{what} must be one of {', '.join(options)}"))
    return value



def _package(ctx: Ctx, package_id: str) -> dict:
    return ctx.state.require(f"package/{package_id}", "package")


def _movable_package(ctx: Ctx, package_id: str) -> dict:
    """The package, for a step that changes or moves it (refused while the regulator has it frozen)."""
    p = _package(ctx, package_id)
    ensure_not_frozen(ctx, f"package:{package_id}")
    return p


def _save(ctx: Ctx, p: dict) -> None:
    ctx.state.put(f"package/{p['id']}", p)


def _status(p: dict, *allowed: str) -> None:
    ensure_status("package", p, *allowed)


def _move(ctx: Ctx, p: dict, status: str, by: str | None = None) -> None:
    """Set the package's status and log the move (who: the signer's organisation, or the engine)."""
    ensure(len(p["log"]) < MAX_LOG, LimitExceeded(f"package {p['id']} has moved {MAX_LOG} times"))
    p["status"] = status
    p["log"].append([status, ctx.time, by if by is not None else ctx.caller.org_id])


def _seller(ctx: Ctx, p: dict) -> str:
    ensure(ctx.caller.org_id == p["seller"], Unauthorized(f"only the seller of package {p['id']} may do this"))
    return p["seller"]


def _exchange(ctx: Ctx, what: str) -> None:
    ensure(ctx.caller.role == "EXCHANGE", Unauthorized(f"only the exchange {what}"))


def _loan_ref(owner: str, loan: str) -> str:
    """`<seller>/<loan_no>`; a bare loan number names one the owner registered itself."""
    return loan if "/" in loan else f"{owner}/{loan}"


def _loan(ctx: Ctx, ref: str) -> dict:
    rec = ctx.state.get(f"loan/{ref}")
    ensure(rec is not None, NotFound(f"loan {ref!r} not found"))
    return rec


def _prices(reserve_price: int, list_price: int, margin: int) -> None:
    _amount(reserve_price, "reserve_price")
    _amount(list_price, "list_price")
    _amount(margin, "margin")
    ensure(list_price >= reserve_price, BadRequest("the list price cannot be below the reserve price"))
    ensure(margin <= list_price, BadRequest("the margin cannot exceed the list price"))


def _take_loans(ctx: Ctx, p: dict, refs: list[str]) -> list[str]:
    """Put the seller's loans in the package: each unpackaged, non-performing and the seller's own."""
    ensure(refs, BadRequest("give at least one loan"))
    ensure(len(set(refs)) == len(refs), Duplicate("a loan is listed twice"))
    ensure(len(p["loans"]) + len(refs) <= MAX_LOANS, LimitExceeded(f"a package holds at most {MAX_LOANS} loans"))
    for ref in refs:
        loan = _loan(ctx, ref)
        ensure(loan["owner"] == p["seller"], Unauthorized(f"loan {ref} does not belong to {p['seller']}"))
        ensure(loan["package"] is None, Duplicate(f"loan {ref} is already in package {loan['package']}"))
        ensure(loan["classification"] in NPL_CLASSES,
               InvalidState(f"loan {ref} is classified {loan['classification']}; only substandard, doubtful or "
                            "loss loans are disposed of as NPAs"))
        loan["package"] = p["id"]
        loan["last_package"] = p["id"]
        ctx.state.put(f"loan/{ref}", loan)
        p["loans"].append(ref)
        p["principal"] += loan["principal"]
        p["interest"] += loan["interest"]
    ensure(p["principal"] <= MAX_AMOUNT and p["interest"] <= MAX_AMOUNT,
           BadRequest("the package's total principal or interest exceeds the 64-bit limit"))
    return refs


def _release_loans(ctx: Ctx, p: dict, new_owner: str | None = None) -> None:
    """Take every loan out of the package (at most MAX_LOANS); `new_owner` acquires them."""
    for ref in p["loans"]:
        loan = ctx.state.get(f"loan/{ref}")
        loan["package"] = None
        if new_owner is not None:
            loan["acquired"] = {"from": loan["owner"], "package": p["id"], "at": ctx.time}
            loan["owner"] = new_owner
        ctx.state.put(f"loan/{ref}", loan)


def _document_of(ctx: Ctx, p: dict, doc_hash: str, what: str) -> dict:
    """A document registered to the package and not superseded."""
    d = ctx.state.get(f"doc/{doc_hash}")
    ensure(d is not None and d["package"] == p["id"],
           NotFound(f"{what} {doc_hash} is not a document of package {p['id']}; register it first"))
    ensure(d["superseded_by"] is None, InvalidState(f"document {doc_hash} has been superseded by {d['superseded_by']}"))
    return d


def _uploader(org_id: str, role: str, p: dict) -> bool:
    """Who adds documents to a package: its seller, DD intermediary, winner, inspector, and the exchange."""
    return role == "EXCHANGE" or org_id in {p[f] for f in PARTY_FIELDS if p[f] is not None}


def _auction_package(ctx: Ctx, auction: str, asset: str) -> dict:
    """The package an auction callback is about (only the auction engine calls back)."""
    ensure(ctx.via == "auctions", Unauthorized("only the auctions contract reports auction outcomes"))
    ensure(asset.startswith(ASSET_PREFIX), BadRequest(f"asset {asset!r} is not an NPA package"))
    p = _package(ctx, asset[len(ASSET_PREFIX):])
    ensure(p["auction"] == auction, InvalidState(f"auction {auction} is not package {p['id']}'s current auction"))
    return p


@register
class Npa(Contract):
    name = "npa"
    indexes = {
        "package": ("seller", "status", "intermediary", "winner", "inspector"),
        "loan": ("seller", "owner", "package"),
        "doc": ("package",),
        "view": ("package", "org"),
    }

    # -- loans ----------------------------------------------------------------------------------------
    @tx
    def register_loan(self, ctx: Ctx, loan_no: str, borrower: str, principal: int, interest: int,
                      classification: str, days_past_due: int, litigation: str = "none",
                      collateral: str = "") -> dict:
        """A bank or AMC registers a loan under its own number (e.g. the loan contract's): `<seller>/<loan_no>`.

        Amounts are the outstanding principal and accrued interest in fen;
        `classification` is the five-category class, `litigation` how far the
        recovery has gone in court, `collateral` a description (empty: unsecured).
        """
        ensure(ctx.caller.role in SELLER_TYPES, Unauthorized(f"a {ctx.caller.role} does not sell loans"))
        ensure(LOAN_NO.match(loan_no) is not None,
               BadRequest("loan_no must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"))
        _text(borrower, "borrower")
        _amount(principal, "principal")
        _amount(interest, "interest", minimum=0)
        ensure(principal + interest <= MAX_AMOUNT, BadRequest("principal plus interest exceeds the 64-bit limit"))
        _one_of(classification, CLASSES, "classification")
        ensure(0 <= days_past_due <= 36_500, BadRequest("days_past_due must be 0 .. 36500"))
        _one_of(litigation, LITIGATION, "litigation")
        _text(collateral, "collateral", 500, empty=True)
        ref = f"{ctx.caller.org_id}/{loan_no}"
        ensure(not ctx.state.has(f"loan/{ref}"), Duplicate(f"loan {loan_no} is already registered"))
        ctx.state.put(f"loan/{ref}", {
            "ref": ref, "seller": ctx.caller.org_id, "loan_no": loan_no, "borrower": borrower, "principal": principal,
            "interest": interest, "classification": classification, "days_past_due": days_past_due,
            "litigation": litigation, "collateral": collateral, "owner": ctx.caller.org_id, "package": None,
            "last_package": None, "acquired": None, "registered_at": ctx.time, "updated_at": ctx.time, "version": 1,
        })
        ctx.emit("LoanRegistered", loan=ref, seller=ctx.caller.org_id, principal=principal, interest=interest,
                 classification=classification)
        return {"loan": ref}

    @tx
    def update_loan(self, ctx: Ctx, loan: str, interest: int | None = None, classification: str | None = None,
                    days_past_due: int | None = None, litigation: str | None = None,
                    collateral: str | None = None) -> dict:
        """The loan's owner updates what changes over a loan's life (each version stays in its history).

        Not while the loan sits in a package beyond DRAFT: what was examined,
        approved and offered is what is sold.
        """
        ref = _loan_ref(ctx.caller.org_id, loan)
        rec = _loan(ctx, ref)
        ensure(rec["owner"] == ctx.caller.org_id, Unauthorized(f"only the owner of loan {ref} updates it"))
        changes = {k: v for k, v in (("interest", interest), ("classification", classification),
                                     ("days_past_due", days_past_due), ("litigation", litigation),
                                     ("collateral", collateral)) if v is not None}
        ensure(changes, BadRequest("give at least one field to change"))
        if interest is not None:
            _amount(interest, "interest", minimum=0)
            ensure(rec["principal"] + interest <= MAX_AMOUNT,
                   BadRequest("principal plus interest exceeds the 64-bit limit"))
        if classification is not None:
            _one_of(classification, CLASSES, "classification")
        if days_past_due is not None:
            ensure(0 <= days_past_due <= 36_500, BadRequest("days_past_due must be 0 .. 36500"))
        if litigation is not None:
            _one_of(litigation, LITIGATION, "litigation")
        if collateral is not None:
            _text(collateral, "collateral", 500, empty=True)
        if rec["package"] is not None:
            p = ctx.state.get(f"package/{rec['package']}")
            ensure(p["status"] in EDITABLE,
                   InvalidState(f"loan {ref} is in package {p['id']}, which is {p['status']}: its loans are frozen"))
            if interest is not None:
                p["interest"] += interest - rec["interest"]
                ensure(p["interest"] <= MAX_AMOUNT, BadRequest("the package's total interest exceeds the 64-bit limit"))
            if classification is not None:
                ensure(classification in NPL_CLASSES,
                       InvalidState(f"loan {ref} is in package {p['id']}: only an NPA classification fits there"))
            _save(ctx, p)
        rec.update(changes, updated_at=ctx.time, version=rec["version"] + 1)
        ctx.state.put(f"loan/{ref}", rec)
        ctx.emit("LoanUpdated", loan=ref, fields=sorted(changes), version=rec["version"])
        return {"loan": ref, "version": rec["version"]}

    # -- packages -------------------------------------------------------------------------------------
    @tx
    def create_package(self, ctx: Ctx, name: str, loans: list[str], base_date: int, reserve_price: int,
                       list_price: int, margin: int) -> dict:
        """The seller packages loans it owns: a DRAFT with its base date, reserve price, list price and
        the margin each bidder pays. `loans` are loan numbers it registered (or `<seller>/<loan_no>`
        refs of loans it acquired); a loan sits in one active package only."""
        ensure(ctx.caller.role in SELLER_TYPES, Unauthorized(f"a {ctx.caller.role} does not sell loan packages"))
        _text(name, "name")
        ensure(0 < base_date <= ctx.time, BadRequest("the base date is a past date (unix seconds)"))
        _prices(reserve_price, list_price, margin)
        pid = ctx.new_id("PKG")
        p = {
            "id": pid, "name": name, "seller": ctx.caller.org_id, "loans": [], "principal": 0, "interest": 0,
            "base_date": base_date, "reserve_price": reserve_price, "list_price": list_price, "margin": margin,
            "status": DRAFT, "created_at": ctx.time, "intermediary": None, "due_diligence": None,
            "approval": None, "listings": [], "auction": None, "failed_reserve": None, "winner": None,
            "deal": None, "notice": None, "notice_due": None, "notice_overdue": False, "dispositions": 0,
            "inspector": None, "inspection": None, "docs": 0, "withdrawal": None, "closed_at": None,
            "log": [[DRAFT, ctx.time, ctx.caller.org_id]],
        }
        _take_loans(ctx, p, [_loan_ref(ctx.caller.org_id, x) for x in loans])
        _save(ctx, p)
        ctx.state.put(f"docs/{pid}", [])
        ctx.emit("PackageCreated", package=pid, seller=p["seller"], loans=len(p["loans"]), principal=p["principal"],
                 reserve_price=reserve_price)
        return {"package": pid}

    @tx
    def add_loans(self, ctx: Ctx, package: str, loans: list[str]) -> dict:
        """The seller adds loans to its draft."""
        p = _movable_package(ctx, package)
        _seller(ctx, p)
        _status(p, *EDITABLE)
        added = _take_loans(ctx, p, [_loan_ref(p["seller"], x) for x in loans])
        _save(ctx, p)
        ctx.emit("LoansAdded", package=package, loans=added, principal=p["principal"])
        return {"package": package, "loans": len(p["loans"]), "principal": p["principal"]}

    @tx
    def remove_loans(self, ctx: Ctx, package: str, loans: list[str]) -> dict:
        """The seller takes loans back out of its draft (they are free for another package)."""
        p = _movable_package(ctx, package)
        _seller(ctx, p)
        _status(p, *EDITABLE)
        refs = [_loan_ref(p["seller"], x) for x in loans]
        ensure(refs, BadRequest("give at least one loan"))
        ensure(len(set(refs)) == len(refs), Duplicate("a loan is listed twice"))
        for ref in refs:
            ensure(ref in p["loans"], NotFound(f"loan {ref} is not in package {package}"))
            rec = ctx.state.get(f"loan/{ref}")
            rec["package"] = None
            ctx.state.put(f"loan/{ref}", rec)
            p["loans"].remove(ref)
            p["principal"] -= rec["principal"]
            p["interest"] -= rec["interest"]
        _save(ctx, p)
        ctx.emit("LoansRemoved", package=package, loans=refs, principal=p["principal"])
        return {"package": package, "loans": len(p["loans"]), "principal": p["principal"]}

    @tx
    def set_prices(self, ctx: Ctx, package: str, reserve_price: int, list_price: int, margin: int) -> dict:
        """The seller sets its prices, until the package is listed (e.g. lower, after a failed auction)."""
        p = _movable_package(ctx, package)
        _seller(ctx, p)
        _status(p, *PRICED)
        _prices(reserve_price, list_price, margin)
        p.update(reserve_price=reserve_price, list_price=list_price, margin=margin)
        _save(ctx, p)
        ctx.emit("PricesSet", package=package, reserve_price=reserve_price, list_price=list_price, margin=margin)
        return {"package": package}

    # -- due diligence and approval -------------------------------------------------------------------
    @tx
    def submit_for_due_diligence(self, ctx: Ctx, package: str, intermediary: str) -> dict:
        """The seller hands its draft to an intermediary (law firm, accountant, ...) for due diligence."""
        p = _package(ctx, package)
        _seller(ctx, p)
        _status(p, DRAFT)
        ensure(p["loans"], InvalidState(f"package {package} has no loans"))
        _member(ctx, intermediary, ("INTERMEDIARY",), "due diligence intermediary")
        p["intermediary"] = intermediary
        _move(ctx, p, DUE_DILIGENCE)
        _save(ctx, p)
        ctx.emit("DueDiligenceRequested", package=package, intermediary=intermediary)
        return {"package": package}

    @tx
    def record_due_diligence(self, ctx: Ctx, package: str, report_hash: str, opinion: str, summary: str = "") -> dict:
        """The package's intermediary records its report (a registered document) and opinion."""
        p = _package(ctx, package)
        ensure(ctx.caller.org_id == p["intermediary"],
               Unauthorized(f"only the due diligence intermediary of package {package} records it"))
        _status(p, DUE_DILIGENCE)
        ensure(p["due_diligence"] is None, Duplicate(f"the due diligence of package {package} is already recorded"))
        _one_of(opinion, OPINIONS, "opinion")
        _text(summary, "summary", 2000, empty=True)
        _document_of(ctx, p, report_hash, "report")
        p["due_diligence"] = {"by": ctx.caller.org_id, "report_hash": report_hash, "opinion": opinion,
                              "summary": summary, "at": ctx.time}
        _save(ctx, p)
        ctx.emit("DueDiligenceRecorded", package=package, intermediary=p["intermediary"], opinion=opinion,
                 report_hash=report_hash)
        return {"package": package}

    @tx
    def approve(self, ctx: Ctx, package: str) -> dict:
        """The exchange approves a package whose due diligence is recorded without an adverse opinion."""
        _exchange(ctx, "approves packages")
        p = _movable_package(ctx, package)
        _status(p, DUE_DILIGENCE)
        dd = p["due_diligence"]
        ensure(dd is not None, InvalidState(f"the due diligence of package {package} is not recorded yet"))
        ensure(dd["opinion"] != "adverse", InvalidState(f"the due diligence opinion on package {package} is adverse"))
        p["approval"] = {"by": ctx.caller.org_id, "at": ctx.time}
        _move(ctx, p, APPROVED)
        _save(ctx, p)
        ctx.emit("PackageApproved", package=package, seller=p["seller"])
        return {"package": package}

    # -- listing and the auction ----------------------------------------------------------------------
    @tx
    def list_package(self, ctx: Ctx, package: str, mode: str, start: int, end: int, settlement_bank: str,
                     increment: int = 0, extend_window: int = 0, extend_by: int = 0, reveal_end: int = 0,
                     step: int = 0, interval: int = 0, pay_days: int = 10) -> dict:
        """The exchange lists an approved package: an auction opens (see the `auctions` contract) at the
        package's reserve, margin and list price (the start price); from now on it is frozen.

        After a failed auction the package is relisted only at a reserve strictly
        below the one that failed (the seller lowers it with `set_prices`).
        """
        _exchange(ctx, "lists packages")
        p = _movable_package(ctx, package)
        _status(p, APPROVED)
        _one_of(mode, MODES, "mode")
        ensure(len(p["listings"]) < MAX_LISTINGS, LimitExceeded(f"package {package} was listed {MAX_LISTINGS} times"))
        failed = p["failed_reserve"]
        ensure(failed is None or p["reserve_price"] < failed,
               InvalidState(f"an auction of package {package} at a reserve of {failed} fen failed: it is relisted "
                            f"only below that (the reserve is {p['reserve_price']})"))
        opened = ctx.call("auctions", "open", asset=f"{ASSET_PREFIX}{package}", seller=p["seller"], mode=mode,
                          start=start, end=end, reserve=p["reserve_price"], margin=p["margin"],
                          settlement_bank=settlement_bank, start_price=p["list_price"], increment=increment,
                          extend_window=extend_window, extend_by=extend_by, reveal_end=reveal_end, step=step,
                          interval=interval, pay_days=pay_days)
        auction = opened["auction"]
        p["listings"].append({"auction": auction, "mode": mode, "start": start, "end": end,
                              "reserve": p["reserve_price"], "list_price": p["list_price"], "margin": p["margin"],
                              "settlement_bank": settlement_bank, "listed_at": ctx.time, "outcome": None})
        p["auction"] = auction
        _move(ctx, p, LISTED)
        _save(ctx, p)
        ctx.emit("PackageListed", package=package, auction=auction, mode=mode, start=start, end=end,
                 list_price=p["list_price"], margin=p["margin"], listing=len(p["listings"]))
        return {"package": package, "auction": auction}

    @tx
    def withdraw(self, ctx: Ctx, package: str, reason: str) -> dict:
        """The seller or the exchange withdraws a package not yet bid for; its loans are released.

        A listed package with no bid yet is withdrawn with its auction (received
        margins are refunded by the auction engine).
        """
        p = _package(ctx, package)
        ensure(ctx.caller.org_id == p["seller"] or ctx.caller.role == "EXCHANGE",
               Unauthorized(f"only the seller or the exchange withdraws package {package}"))
        _status(p, DRAFT, DUE_DILIGENCE, APPROVED, LISTED)
        _text(reason, "reason", 500)
        if p["status"] == LISTED:
            ctx.call("auctions", "cancel", auction=p["auction"], reason=f"package withdrawn: {reason}"[:500])
            p["listings"][-1]["outcome"] = "cancelled"
            p["auction"] = None
        _release_loans(ctx, p)
        p["withdrawal"] = {"by": ctx.caller.org_id, "reason": reason, "at": ctx.time}
        _move(ctx, p, WITHDRAWN)
        _save(ctx, p)
        ctx.emit("PackageWithdrawn", package=package, reason=reason, released=len(p["loans"]))
        return {"package": package}

    @internal
    def auction_started(self, ctx: Ctx, auction: str, asset: str) -> None:
        """The first bid, commit or acceptance: the package is in BIDDING."""
        p = _auction_package(ctx, auction, asset)
        _status(p, LISTED)
        _move(ctx, p, BIDDING, "auctions")
        _save(ctx, p)
        ctx.emit("BiddingStarted", package=p["id"], auction=auction)

    @internal
    def auction_awarded(self, ctx: Ctx, auction: str, asset: str, winner: str, price: int) -> None:
        """The auction is won: the deal (winner, price) awaits both signatures and the payment."""
        p = _auction_package(ctx, auction, asset)
        _status(p, LISTED, BIDDING)
        p["listings"][-1].update(outcome="awarded", winner=winner, price=price)
        p["winner"] = winner
        p["deal"] = {"auction": auction, "winner": winner, "price": price, "awarded_at": ctx.time, "signed": {},
                     "contract_hash": None, "contracted_at": None, "payment": None, "delivery": None}
        _move(ctx, p, AWARDED, "auctions")
        _save(ctx, p)
        ctx.emit("PackageAwarded", package=p["id"], auction=auction, winner=winner, price=price)

    @internal
    def auction_failed(self, ctx: Ctx, auction: str, asset: str, reason: str) -> None:
        """No valid bid: back to APPROVED, to be relisted below the failed reserve (or withdrawn)."""
        p = _auction_package(ctx, auction, asset)
        _status(p, LISTED, BIDDING)
        listing = p["listings"][-1]
        listing.update(outcome="failed", reason=reason[:500])
        p["failed_reserve"] = listing["reserve"]
        p["auction"] = None
        _move(ctx, p, APPROVED, "auctions")
        _save(ctx, p)
        ctx.emit("PackageAuctionFailed", package=p["id"], auction=auction, seller=p["seller"], reason=reason[:500],
                 reserve=listing["reserve"], listing=len(p["listings"]))

    @internal
    def auction_paid(self, ctx: Ctx, auction: str, asset: str, winner: str, price: int, bank_ref: str) -> None:
        """The settlement bank confirmed the full price: PAID, if the deal is signed (else recorded and
        PAID at the completing signature; see the module docstring)."""
        p = _auction_package(ctx, auction, asset)
        _status(p, AWARDED, CONTRACTED)
        deal = p["deal"]
        ensure(deal["winner"] == winner and deal["price"] == price,
               InvalidState(f"the payment of auction {auction} does not match the deal of package {p['id']}"))
        deal["payment"] = {"amount": price, "bank_ref": bank_ref, "at": ctx.time}
        if p["status"] == CONTRACTED:
            _move(ctx, p, PAID, "auctions")
            ctx.emit("PackagePaid", package=p["id"], auction=auction, winner=winner, price=price, bank_ref=bank_ref)
        else:
            ctx.emit("PaymentRecorded", package=p["id"], auction=auction, winner=winner, price=price,
                     bank_ref=bank_ref, contracted=False)
        _save(ctx, p)

    @internal
    def auction_defaulted(self, ctx: Ctx, auction: str, asset: str, winner: str) -> None:
        """The winner did not pay in time (its margin is forfeited by the engine): the deal is void and
        the package is back in APPROVED for relisting."""
        p = _auction_package(ctx, auction, asset)
        _status(p, AWARDED, CONTRACTED)
        deal = p["deal"]
        p["listings"][-1].update(outcome="defaulted", deal=deal)
        p.update(deal=None, winner=None, auction=None)
        _move(ctx, p, APPROVED, "auctions")
        _save(ctx, p)
        ctx.emit("DealDefaulted", package=p["id"], auction=auction, winner=winner, price=deal["price"],
                 seller=p["seller"])

    # -- the deal -------------------------------------------------------------------------------------
    @tx
    def sign_deal(self, ctx: Ctx, package: str, contract_hash: str) -> dict:
        """The seller and the winner each sign the transfer contract (a registered document); the deal
        is CONTRACTED when both have signed the same one. A party may sign again until then."""
        p = _movable_package(ctx, package)
        deal = p["deal"]
        who = ctx.caller.org_id
        ensure(deal is not None and who in (p["seller"], deal["winner"]),
               Unauthorized(f"only the seller and the winner of package {package} sign its deal"))
        _status(p, AWARDED)
        _document_of(ctx, p, contract_hash, "contract")
        side = "seller" if who == p["seller"] else "winner"
        deal["signed"][side] = {"hash": contract_hash, "at": ctx.time}
        ctx.emit("DealSigned", package=package, side=side, contract_hash=contract_hash)
        other = deal["signed"].get("winner" if side == "seller" else "seller")
        if other is not None and other["hash"] == contract_hash:
            deal.update(contract_hash=contract_hash, contracted_at=ctx.time)
            _move(ctx, p, CONTRACTED)
            ctx.emit("DealContracted", package=package, winner=deal["winner"], price=deal["price"],
                     contract_hash=contract_hash)
            if deal["payment"] is not None:  # the bank confirmed the payment before the signatures were complete
                _move(ctx, p, PAID)
                ctx.emit("PackagePaid", package=package, auction=deal["auction"], winner=deal["winner"],
                         price=deal["price"], bank_ref=deal["payment"]["bank_ref"])
        _save(ctx, p)
        return {"package": package, "status": p["status"]}

    @tx
    def deliver(self, ctx: Ctx, package: str, delivery_doc_hash: str) -> dict:
        """The seller hands over the loan files (a registered delivery note) after full payment; the
        transfer notice then falls due within 30 days."""
        p = _movable_package(ctx, package)
        _seller(ctx, p)
        _status(p, PAID)
        _document_of(ctx, p, delivery_doc_hash, "delivery note")
        p["deal"]["delivery"] = {"hash": delivery_doc_hash, "at": ctx.time}
        p["notice_due"] = ctx.time + NOTICE_DUE
        Deadlines(ctx.state).add(p["notice_due"], "notice", package)
        _move(ctx, p, DELIVERED)
        _save(ctx, p)
        ctx.emit("PackageDelivered", package=package, winner=p["winner"], delivery_doc_hash=delivery_doc_hash,
                 notice_due=p["notice_due"])
        return {"package": package, "notice_due": p["notice_due"]}

    @tx
    def publish_notice(self, ctx: Ctx, package: str, notice_hash: str) -> dict:
        """The seller or the exchange publishes the transfer notice to borrowers and guarantors (a
        registered document, readable by every member from now on)."""
        p = _package(ctx, package)
        ensure(ctx.caller.org_id == p["seller"] or ctx.caller.role == "EXCHANGE",
               Unauthorized(f"only the seller or the exchange publishes the notice of package {package}"))
        _status(p, DELIVERED)
        d = _document_of(ctx, p, notice_hash, "notice")
        d["public"] = True
        ctx.state.put(f"doc/{notice_hash}", d)
        late = ctx.time > p["notice_due"]
        p["notice"] = {"hash": notice_hash, "by": ctx.caller.org_id, "at": ctx.time, "late": late}
        _move(ctx, p, NOTICED)
        _save(ctx, p)
        ctx.emit("NoticePublished", package=package, notice_hash=notice_hash, late=late)
        return {"package": package, "late": late}

    # -- after the transfer ---------------------------------------------------------------------------
    @tx
    def record_disposition(self, ctx: Ctx, package: str, kind: str, description: str,
                           documents: list[str] = [], loan: str | None = None,  # noqa: B006
                           amount: int = 0) -> dict:
        """The buyer records what it did with the loans (a change of litigation party or mortgagee, a
        restructuring, a collection, a resale), with documents; `amount` is what it recovered, if any."""
        p = _package(ctx, package)
        ensure(p["winner"] is not None and ctx.caller.org_id == p["winner"],
               Unauthorized(f"only the buyer of package {package} records dispositions"))
        _status(p, NOTICED, POST_TRANSFER, INSPECTED)
        _one_of(kind, DISPOSITION_KINDS, "kind")
        _text(description, "description", 2000)
        _amount(amount, "amount", minimum=0)
        ensure(len(documents) <= 20, BadRequest("at most 20 documents per disposition"))
        ensure(len(set(documents)) == len(documents), Duplicate("a document is listed twice"))
        for h in documents:
            _document_of(ctx, p, h, "document")
        ref = None
        if loan is not None:
            ref = _loan_ref(p["seller"], loan)
            ensure(ref in p["loans"], NotFound(f"loan {ref} is not in package {package}"))
        ensure(p["dispositions"] < MAX_DISPOSITIONS,
               LimitExceeded(f"a package records at most {MAX_DISPOSITIONS} dispositions"))
        p["dispositions"] += 1
        n = p["dispositions"]
        ctx.state.put(f"disposition/{package}/{n:04d}", {
            "package": package, "n": n, "kind": kind, "description": description, "documents": documents,
            "loan": ref, "amount": amount, "by": ctx.caller.org_id, "at": ctx.time,
        })
        if p["status"] == NOTICED:
            _move(ctx, p, POST_TRANSFER)
        _save(ctx, p)
        ctx.emit("DispositionRecorded", package=package, n=n, kind=kind, loan=ref, amount=amount)
        return {"package": package, "disposition": n}

    @tx
    def assign_inspector(self, ctx: Ctx, package: str, inspector: str) -> dict:
        """The exchange appoints (or replaces, until the report is in) the intermediary that inspects
        the post-transfer disposition."""
        _exchange(ctx, "appoints inspectors")
        p = _package(ctx, package)
        _status(p, NOTICED, POST_TRANSFER)
        _member(ctx, inspector, ("INTERMEDIARY",), "inspector")
        p["inspector"] = inspector
        _save(ctx, p)
        ctx.emit("InspectorAssigned", package=package, inspector=inspector)
        return {"package": package}

    @tx
    def inspect(self, ctx: Ctx, package: str, result: str, report_hash: str, remarks: str = "") -> dict:
        """The appointed inspector files its report (a registered document) on the dispositions so far."""
        p = _package(ctx, package)
        ensure(p["inspector"] is not None and ctx.caller.org_id == p["inspector"],
               Unauthorized(f"only the inspector appointed for package {package} inspects it"))
        _status(p, POST_TRANSFER)
        _one_of(result, RESULTS, "result")
        _text(remarks, "remarks", 2000, empty=True)
        _document_of(ctx, p, report_hash, "report")
        p["inspection"] = {"inspector": ctx.caller.org_id, "result": result, "report_hash": report_hash,
                           "remarks": remarks, "at": ctx.time, "dispositions": p["dispositions"]}
        _move(ctx, p, INSPECTED)
        _save(ctx, p)
        ctx.emit("PackageInspected", package=package, inspector=ctx.caller.org_id, result=result,
                 report_hash=report_hash)
        return {"package": package}

    @tx
    def close(self, ctx: Ctx, package: str) -> dict:
        """The exchange closes an inspected package: its loans now belong to the buyer."""
        _exchange(ctx, "closes packages")
        p = _movable_package(ctx, package)
        _status(p, INSPECTED)
        _release_loans(ctx, p, new_owner=p["winner"])
        p["closed_at"] = ctx.time
        _move(ctx, p, CLOSED)
        _save(ctx, p)
        ctx.emit("PackageClosed", package=package, buyer=p["winner"], loans=len(p["loans"]))
        return {"package": package}

    # -- the data room --------------------------------------------------------------------------------
    @tx
    def register_document(self, ctx: Ctx, package: str, hash: str, kind: str, name: str, size: int,
                          media_type: str = "application/octet-stream", supersedes: str | None = None) -> dict:
        """A party records a document it put in the vault (the seller, the DD intermediary, the exchange;
        the winner and the inspector once they have a part). Documents added by the seller, the
        intermediary or the exchange before the award form the data room bidders may read.

        Documents are never replaced: a corrected one names the document it
        `supersedes` (its own, or any for the exchange), which stays on record.
        """
        p = _package(ctx, package)
        ensure(_uploader(ctx.caller.org_id, ctx.caller.role, p),
               Unauthorized(f"only the parties of package {package} and the exchange add its documents"))
        ensure(p["status"] not in (CLOSED, WITHDRAWN), InvalidState(f"package {package} is {p['status']}"))
        ensure(HEX64.match(hash) is not None, BadRequest("hash must be 64 lowercase hex characters"))
        _one_of(kind, DOC_KINDS, "kind")
        _text(name, "name")
        ensure(0 < size <= 2**40, BadRequest("size must be 1 .. 2^40 bytes"))
        ensure(MEDIA_TYPE.match(media_type) is not None, BadRequest("media_type must look like type/subtype"))
        ensure(not ctx.state.has(f"doc/{hash}"), Duplicate(f"document {hash} is already registered"))
        ensure(p["docs"] < MAX_DOCS, LimitExceeded(f"a package holds at most {MAX_DOCS} documents"))
        if supersedes is not None:
            old = ctx.state.get(f"doc/{supersedes}")
            ensure(old is not None and old["package"] == package,
                   NotFound(f"document {supersedes} is not in package {package}"))
            ensure(old["uploader"] == ctx.caller.org_id or ctx.caller.role == "EXCHANGE",
                   Unauthorized(f"only its uploader or the exchange supersedes document {supersedes}"))
            ensure(old["superseded_by"] is None, InvalidState(f"document {supersedes} is already superseded"))
            old["superseded_by"] = hash
            ctx.state.put(f"doc/{supersedes}", old)
        data_room = (p["status"] in (DRAFT, DUE_DILIGENCE, APPROVED, LISTED, BIDDING)
                     and (ctx.caller.org_id in (p["seller"], p["intermediary"]) or ctx.caller.role == "EXCHANGE"))
        ctx.state.put(f"doc/{hash}", {
            "hash": hash, "package": package, "kind": kind, "name": name, "size": size, "media_type": media_type,
            "uploader": ctx.caller.org_id, "registered_at": ctx.time, "data_room": data_room, "public": False,
            "supersedes": supersedes, "superseded_by": None,
        })
        ctx.state.put(f"docs/{package}", ctx.state.get(f"docs/{package}") + [hash])
        p["docs"] += 1
        _save(ctx, p)
        ctx.emit("DocumentRegistered", package=package, hash=hash, kind=kind, name=name, data_room=data_room,
                 supersedes=supersedes)
        return {"package": package, "document": hash}

    @tx
    def view_document(self, ctx: Ctx, package: str, hash: str) -> dict:
        """A registered bidder logs that it reads a data-room document; only then may it download it.

        A bidder is an organisation registered for the package's current auction
        (its margin record in the auctions contract). The package's parties, the
        exchange and the regulator may log their reads too.
        """
        p = _package(ctx, package)
        d = ctx.state.get(f"doc/{hash}")
        ensure(d is not None and d["package"] == package and d["data_room"],
               NotFound(f"document {hash} is not in the data room of package {package}"))
        who = ctx.caller.org_id
        bidder = p["auction"] is not None and ctx.read("auctions", f"margin/{p['auction']}/{who}") is not None
        ensure(bidder or ctx.caller.role in SEE_ALL or who in (p["seller"], p["intermediary"]),
               Unauthorized(f"only bidders registered for package {package}'s auction read its data room"))
        _status(p, *OPEN_FOR_BIDDERS)
        key = f"view/{package}/{hash}/{who}"
        v = ctx.state.get(key) or {"package": package, "hash": hash, "org": who, "first": ctx.time, "count": 0,
                                   "auction": p["auction"]}
        v["count"] += 1
        v["last"] = ctx.time
        ctx.state.put(key, v)
        ctx.emit("DocumentViewed", package=package, hash=hash, org=who, count=v["count"])
        return {"package": package, "document": hash, "count": v["count"]}

    # -- deadlines ------------------------------------------------------------------------------------
    def end_block(self, ctx: Ctx) -> None:
        """A delivered package whose transfer notice is not out by its due time raises NoticeOverdue."""
        for due, kind, package in Deadlines(ctx.state).take(ctx.time):
            p = ctx.state.get(f"package/{package}")
            if kind == "notice" and p["status"] == DELIVERED and p["notice_due"] == due:
                p["notice_overdue"] = True
                _save(ctx, p)
                ctx.emit("NoticeOverdue", package=package, seller=p["seller"], buyer=p["winner"], due=due)

    # -- queries ---------------------------------------------------------------------------------------
    @query
    def package(self, q: QueryCtx, id: str, prove: bool = False) -> dict:
        """A package with its loans, the documents the reader may see, deal, dispositions and inspection."""
        p = _visible(q, id)
        out = {
            "package": p,
            "loans": [q.state.get(f"loan/{ref}") for ref in p["loans"]],
            "documents": _documents(q, p),
            "deal": p["deal"],
            "dispositions": [q.state.get(f"disposition/{id}/{n:04d}") for n in range(1, p["dispositions"] + 1)],
            "inspection": p["inspection"],
        }
        if prove:
            out["proofs"] = {f"package/{id}": q.proof(f"package/{id}")}
        return out

    @query
    def packages(self, q: QueryCtx, status: str | None = None, seller: str | None = None,
                 intermediary: str | None = None, winner: str | None = None, inspector: str | None = None,
                 limit: int = 200) -> list:
        """Packages by seller, intermediary, winner, inspector or status, as far as the reader may see them."""
        field, value = next(((f, v) for f, v in (("seller", seller), ("intermediary", intermediary),
                                                 ("winner", winner), ("inspector", inspector), ("status", status))
                             if v is not None), (None, None))
        ensure(field is not None, BadRequest("give status, seller, intermediary, winner or inspector"))
        out = []
        for _, p in q.find("package", field, value, 10_000):
            if status is not None and p["status"] != status:
                continue
            if _may_see(q, p):
                out.append(_summary(p))
            if len(out) >= max(1, min(limit, 1000)):
                break
        return out

    @query
    def loan(self, q: QueryCtx, seller: str, loan_no: str, prove: bool = False) -> dict:
        """A loan and every committed version of it (its owner and seller, the exchange, the regulator,
        and whoever may see the package it is or was last in)."""
        key = f"loan/{seller}/{loan_no}"
        rec = q.state.get(key)
        if rec is None or not _may_see_loan(q, rec):
            raise NotFound(f"loan {seller}/{loan_no} not found")
        out = {"loan": rec, "versions": q.history(key)}
        if prove:
            out["proofs"] = {key: q.proof(key)}
        return out

    @query
    def loans(self, q: QueryCtx, owner: str | None = None, package: str | None = None, limit: int = 1000) -> list:
        """The loans an organisation owns (itself, the exchange, the regulator), or a visible package's."""
        ensure((owner is None) != (package is None), BadRequest("give owner or package"))
        if package is not None:
            p = _visible(q, package)
            return [q.state.get(f"loan/{ref}") for ref in p["loans"]]
        if not (q.caller is None or q.caller.role in SEE_ALL or q.caller.org_id == owner):
            raise Unauthorized("an organisation's loan book is its own (and the regulator's)")
        return [rec for _, rec in q.find("loan", "owner", owner, max(1, min(limit, 10_000)))]

    @query
    def documents(self, q: QueryCtx, package: str) -> list:
        """The package's documents the reader may see: all for its parties, the data room (and the
        published notice) for every member once the package has been listed."""
        return _documents(q, _visible(q, package))

    @query
    def document(self, q: QueryCtx, hash: str) -> dict:
        """A document's record, if the reader may download it (see `vault_document`)."""
        return _readable_document(q, hash)

    @query
    def views(self, q: QueryCtx, package: str) -> list:
        """Who logged reading which data-room document (the seller, the exchange, the regulator; a
        bidder sees its own)."""
        p = _visible(q, package)
        everyone = q.caller is None or q.caller.role in SEE_ALL or q.caller.org_id == p["seller"]
        return [v for _, v in q.find("view", "package", package, 100_000)
                if everyone or v["org"] == q.caller.org_id]

    @query
    def life(self, q: QueryCtx, package: str, prove: bool = False) -> dict:
        """The package's whole life: every committed version of its record (with the log of each move),
        its loans with their histories since registration, documents, auctions, dispositions and the
        inspection; with `prove`, each current record's proof against this height's app hash."""
        p = _visible(q, package)
        loan_keys = [f"loan/{ref}" for ref in p["loans"]]
        doc_keys = [f"doc/{h}" for h in q.state.get(f"docs/{package}", [])]
        disposition_keys = [f"disposition/{package}/{n:04d}" for n in range(1, p["dispositions"] + 1)]
        auctions = [listing["auction"] for listing in p["listings"]]
        out = {
            "package": p,
            "log": p["log"],
            "versions": q.history(f"package/{package}"),
            "loans": [{"loan": q.state.get(k), "versions": q.history(k)} for k in loan_keys],
            "documents": _documents(q, p),
            "auctions": [q.read("auctions", f"auction/{a}") for a in auctions],
            "dispositions": [q.state.get(k) for k in disposition_keys],
        }
        if prove:
            seen = {d["hash"] for d in out["documents"]}
            proofs = {k: q.proof(k) for k in [f"package/{package}", *loan_keys, *disposition_keys]}
            proofs.update({k: q.proof(k) for k in doc_keys if k[4:] in seen})
            proofs.update({f"auctions/auction/{a}": q.proof(f"auction/{a}", "auctions") for a in auctions})
            out["proofs"] = proofs
        return out

    # -- the vault's questions (see faechain/api/vault.py) ---------------------------------------------
    @query
    def vault_upload(self, q: QueryCtx, subject: str, hash: str) -> dict:
        """May the reader upload a document for package `subject`? Those who may register one."""
        p = q.state.get(f"package/{subject}")
        if p is None or q.caller is None or not _uploader(q.caller.org_id, q.caller.role, p):
            raise Unauthorized(f"only the parties of package {subject!r} and the exchange upload its documents")
        ensure(p["status"] not in (CLOSED, WITHDRAWN), InvalidState(f"package {subject} is {p['status']}"))
        return {"package": subject}

    @query
    def vault_document(self, q: QueryCtx, hash: str) -> dict:
        """The record of a document the reader may download: the seller, the DD intermediary, the
        inspector, the winner, the exchange and the regulator; a bidder a data-room document whose
        reading it logged with `view_document`; any member the published transfer notice."""
        return _readable_document(q, hash)


# -- who sees what -------------------------------------------------------------------------------------


def _party_view(q: QueryCtx, p: dict) -> bool:
    """The package's parties, the exchange and the regulator see all of it."""
    if q.caller is None or q.caller.role in SEE_ALL:
        return True  # anonymous reads exist only on a dev chain on loopback
    return q.caller.org_id in {p[f] for f in PARTY_FIELDS if p[f] is not None}


def _may_see(q: QueryCtx, p: dict) -> bool:
    """A package that has been listed is public to members; before that only its parties see it."""
    return _party_view(q, p) or bool(p["listings"])


def _visible(q: QueryCtx, package_id: str) -> dict:
    p = q.state.get(f"package/{package_id}")
    if p is None or not _may_see(q, p):
        raise NotFound(f"package {package_id!r} not found")
    return p


def _may_see_loan(q: QueryCtx, rec: dict) -> bool:
    if q.caller is None or q.caller.role in SEE_ALL or q.caller.org_id in (rec["owner"], rec["seller"]):
        return True
    package_id = rec["package"] or rec["last_package"]
    p = q.state.get(f"package/{package_id}") if package_id else None
    return p is not None and _may_see(q, p)


def _documents(q: QueryCtx, p: dict) -> list:
    docs = [q.state.get(f"doc/{h}") for h in q.state.get(f"docs/{p['id']}", [])]
    if _party_view(q, p):
        return docs
    return [d for d in docs if d["data_room"] or d["public"]]


def _readable_document(q: QueryCtx, doc_hash: str) -> dict:
    d = q.state.get(f"doc/{doc_hash}")
    if d is None:
        raise NotFound(f"document {doc_hash!r} not found")
    p = q.state.get(f"package/{d['package']}")
    if _party_view(q, p) or d["public"]:
        return d
    if d["data_room"] and q.state.has(f"view/{p['id']}/{doc_hash}/{q.caller.org_id}"):
        return d
    raise Unauthorized(f"document {doc_hash} of package {p['id']} is read by its parties, and by bidders who "
                       "logged their reading with view_document")


def _summary(p: dict) -> dict:
    keys = ("id", "name", "seller", "status", "principal", "interest", "base_date", "reserve_price", "list_price",
            "margin", "auction", "winner")
    return {k: p[k] for k in keys} | {"loans": len(p["loans"])}
