"""Putting a package together: the seller's draft, its loans and prices, the due diligence, the exchange's approval.

    DRAFT -(submit_for_due_diligence)-> DUE_DILIGENCE -(record_due_diligence, approve)-> APPROVED
"""

from __future__ import annotations

from faechain.contracts.errors import BadRequest, Duplicate, InvalidState, LimitExceeded, NotFound, Unauthorized, ensure
from faechain.contracts.money import MAX_AMOUNT
from faechain.contracts.records import member
from faechain.contracts.roles import a_role
from faechain.contracts.runtime import Ctx, tx
from faechain.contracts.validators import one_of, text
from faechain.modules.npa.records import (
    APPROVED,
    DRAFT,
    DUE_DILIGENCE,
    EDITABLE,
    MAX_LOANS,
    NPL_CLASSES,
    OPINIONS,
    PRICED,
    SELLER_TYPES,
    Loan,
    Package,
    documents_key,
    loan_key,
    loan_ref,
)
from faechain.modules.npa.rules import (
    check_prices,
    document_of,
    ensure_exchange,
    ensure_package_status,
    ensure_seller,
    load_loan,
    load_package,
    movable_package,
    move,
    save_package,
)


def _take_loans(ctx: Ctx, p: Package, refs: list[str]) -> list[str]:
    """Put the seller's loans in the package: each unpackaged, non-performing and the seller's own."""
    ensure(refs, BadRequest("give at least one loan"))
    ensure(len(set(refs)) == len(refs), Duplicate("a loan is listed twice"))
    ensure(len(p["loans"]) + len(refs) <= MAX_LOANS, LimitExceeded(f"a package holds at most {MAX_LOANS} loans"))
    for ref in refs:
        loan = load_loan(ctx, ref)
        ensure(loan["owner"] == p["seller"], Unauthorized(f"loan {ref} does not belong to {p['seller']}"))
        ensure(loan["package"] is None, Duplicate(f"loan {ref} is already in package {loan['package']}"))
        ensure(loan["classification"] in NPL_CLASSES,
               InvalidState(f"loan {ref} is classified {loan['classification']}; only substandard, doubtful or "
                            "loss loans are disposed of as NPAs"))
        loan["package"] = p["id"]
        loan["last_package"] = p["id"]
        ctx.state.put(loan_key(ref), loan)
        p["loans"].append(ref)
        p["principal"] += loan["principal"]
        p["interest"] += loan["interest"]
    ensure(p["principal"] <= MAX_AMOUNT and p["interest"] <= MAX_AMOUNT,
           BadRequest("the package's total principal or interest exceeds the 64-bit limit"))
    return refs


class PackagingSteps:
    @tx
    def create_package(self, ctx: Ctx, name: str, loans: list[str], base_date: int, reserve_price: int,
                       list_price: int, margin: int) -> dict:
        """The seller packages loans it owns: a DRAFT with its base date, reserve price, list price and
        the margin each bidder pays. `loans` are loan numbers it registered (or `<seller>/<loan_no>`
        refs of loans it acquired); a loan sits in one active package only."""
        ensure(ctx.caller.role in SELLER_TYPES, Unauthorized(f"{a_role(ctx.caller.role)} does not sell loan packages"))
        text(name, "name")
        ensure(0 < base_date <= ctx.time, BadRequest("the base date is a past date (unix seconds)"))
        check_prices(reserve_price, list_price, margin)
        pid = ctx.new_id("PKG")
        p: Package = {
            "id": pid, "name": name, "seller": ctx.caller.org_id, "loans": [], "principal": 0, "interest": 0,
            "base_date": base_date, "reserve_price": reserve_price, "list_price": list_price, "margin": margin,
            "status": DRAFT, "created_at": ctx.time, "intermediary": None, "due_diligence": None,
            "approval": None, "listings": [], "auction": None, "failed_reserve": None, "winner": None,
            "deal": None, "notice": None, "notice_due": None, "notice_overdue": False, "dispositions": 0,
            "inspector": None, "inspection": None, "docs": 0, "withdrawal": None, "closed_at": None,
            "log": [[DRAFT, ctx.time, ctx.caller.org_id]],
        }
        _take_loans(ctx, p, [loan_ref(ctx.caller.org_id, x) for x in loans])
        save_package(ctx, p)
        ctx.state.put(documents_key(pid), [])
        ctx.emit("PackageCreated", package=pid, seller=p["seller"], loans=len(p["loans"]), principal=p["principal"],
                 reserve_price=reserve_price)
        return {"package": pid}

    @tx
    def add_loans(self, ctx: Ctx, package: str, loans: list[str]) -> dict:
        """The seller adds loans to its draft."""
        p = movable_package(ctx, package)
        ensure_seller(ctx, p)
        ensure_package_status(p, *EDITABLE)
        added = _take_loans(ctx, p, [loan_ref(p["seller"], x) for x in loans])
        save_package(ctx, p)
        ctx.emit("LoansAdded", package=package, loans=added, principal=p["principal"])
        return {"package": package, "loans": len(p["loans"]), "principal": p["principal"]}

    @tx
    def remove_loans(self, ctx: Ctx, package: str, loans: list[str]) -> dict:
        """The seller takes loans back out of its draft (they are free for another package)."""
        p = movable_package(ctx, package)
        ensure_seller(ctx, p)
        ensure_package_status(p, *EDITABLE)
        refs = [loan_ref(p["seller"], x) for x in loans]
        ensure(refs, BadRequest("give at least one loan"))
        ensure(len(set(refs)) == len(refs), Duplicate("a loan is listed twice"))
        for ref in refs:
            ensure(ref in p["loans"], NotFound(f"loan {ref} is not in package {package}"))
            rec: Loan = ctx.state.get(loan_key(ref))
            rec["package"] = None
            ctx.state.put(loan_key(ref), rec)
            p["loans"].remove(ref)
            p["principal"] -= rec["principal"]
            p["interest"] -= rec["interest"]
        save_package(ctx, p)
        ctx.emit("LoansRemoved", package=package, loans=refs, principal=p["principal"])
        return {"package": package, "loans": len(p["loans"]), "principal": p["principal"]}

    @tx
    def set_prices(self, ctx: Ctx, package: str, reserve_price: int, list_price: int, margin: int) -> dict:
        """The seller sets its prices, until the package is listed (e.g. lower, after a failed auction)."""
        p = movable_package(ctx, package)
        ensure_seller(ctx, p)
        ensure_package_status(p, *PRICED)
        check_prices(reserve_price, list_price, margin)
        p["reserve_price"], p["list_price"], p["margin"] = reserve_price, list_price, margin
        save_package(ctx, p)
        ctx.emit("PricesSet", package=package, reserve_price=reserve_price, list_price=list_price, margin=margin)
        return {"package": package}

    # -- due diligence and approval -------------------------------------------------------------------
    @tx
    def submit_for_due_diligence(self, ctx: Ctx, package: str, intermediary: str) -> dict:
        """The seller hands its draft to an intermediary (law firm, accountant, ...) for due diligence."""
        p = load_package(ctx, package)
        ensure_seller(ctx, p)
        ensure_package_status(p, DRAFT)
        ensure(p["loans"], InvalidState(f"package {package} has no loans"))
        member(ctx, intermediary, ("INTERMEDIARY",), "due diligence intermediary")
        p["intermediary"] = intermediary
        move(ctx, p, DUE_DILIGENCE)
        save_package(ctx, p)
        ctx.emit("DueDiligenceRequested", package=package, intermediary=intermediary)
        return {"package": package}

    @tx
    def record_due_diligence(self, ctx: Ctx, package: str, report_hash: str, opinion: str, summary: str = "") -> dict:
        """The package's intermediary records its report (a registered document) and opinion."""
        p = load_package(ctx, package)
        ensure(ctx.caller.org_id == p["intermediary"],
               Unauthorized(f"only the due diligence intermediary of package {package} records it"))
        ensure_package_status(p, DUE_DILIGENCE)
        ensure(p["due_diligence"] is None, Duplicate(f"the due diligence of package {package} is already recorded"))
        one_of(opinion, OPINIONS, "opinion")
        text(summary, "summary", 2000, empty=True)
        document_of(ctx, p, report_hash, "report")
        p["due_diligence"] = {"by": ctx.caller.org_id, "report_hash": report_hash, "opinion": opinion,
                              "summary": summary, "at": ctx.time}
        save_package(ctx, p)
        ctx.emit("DueDiligenceRecorded", package=package, intermediary=p["intermediary"], opinion=opinion,
                 report_hash=report_hash)
        return {"package": package}

    @tx
    def approve(self, ctx: Ctx, package: str) -> dict:
        """The exchange approves a package whose due diligence is recorded without an adverse opinion."""
        ensure_exchange(ctx, "approves packages")
        p = movable_package(ctx, package)
        ensure_package_status(p, DUE_DILIGENCE)
        dd = p["due_diligence"]
        if dd is None:
            raise InvalidState(f"the due diligence of package {package} is not recorded yet")
        ensure(dd["opinion"] != "adverse", InvalidState(f"the due diligence opinion on package {package} is adverse"))
        p["approval"] = {"by": ctx.caller.org_id, "at": ctx.time}
        move(ctx, p, APPROVED)
        save_package(ctx, p)
        ctx.emit("PackageApproved", package=package, seller=p["seller"])
        return {"package": package}
