"""The checks and moves every npa step shares: a package is loaded, checked, moved and saved the same way
by all of them, and only here."""

from __future__ import annotations

from faechain.contracts.errors import BadRequest, InvalidState, LimitExceeded, NotFound, Unauthorized, ensure
from faechain.contracts.freeze import ensure_not_frozen
from faechain.contracts.records import ensure_status
from faechain.contracts.runtime import Ctx
from faechain.contracts.validators import amount_at_least
from faechain.modules.npa.records import (
    ASSET_PREFIX,
    MAX_LOG,
    Document,
    Loan,
    Package,
    document_key,
    loan_key,
    package_key,
    parties,
)


def load_package(ctx: Ctx, package_id: str) -> Package:
    package: Package = ctx.state.require(package_key(package_id), "package")
    return package


def movable_package(ctx: Ctx, package_id: str) -> Package:
    """The package, for a step that changes or moves it (refused while the regulator has it frozen)."""
    p = load_package(ctx, package_id)
    ensure_not_frozen(ctx, f"{ASSET_PREFIX}{package_id}")
    return p


def save_package(ctx: Ctx, p: Package) -> None:
    ctx.state.put(package_key(p["id"]), p)


def ensure_package_status(p: Package, *allowed: str) -> None:
    ensure_status("package", p, *allowed)


def move(ctx: Ctx, p: Package, status: str, by: str | None = None) -> None:
    """Set the package's status and log the move (who: the signer's organisation, or the engine)."""
    ensure(len(p["log"]) < MAX_LOG, LimitExceeded(f"package {p['id']} has moved {MAX_LOG} times"))
    p["status"] = status
    p["log"].append([status, ctx.time, by if by is not None else ctx.caller.org_id])


def ensure_seller(ctx: Ctx, p: Package) -> str:
    ensure(ctx.caller.org_id == p["seller"], Unauthorized(f"only the seller of package {p['id']} may do this"))
    return p["seller"]


def ensure_exchange(ctx: Ctx, what: str) -> None:
    ensure(ctx.caller.role == "EXCHANGE", Unauthorized(f"only the exchange {what}"))


def may_upload(org_id: str, role: str, p: Package) -> bool:
    """Who adds documents to a package: its seller, DD intermediary, winner, inspector, and the exchange."""
    return role == "EXCHANGE" or org_id in parties(p)


def load_loan(ctx: Ctx, ref: str) -> Loan:
    rec: Loan | None = ctx.state.get(loan_key(ref))
    if rec is None:
        raise NotFound(f"loan {ref!r} not found")
    return rec


def check_prices(reserve_price: int, list_price: int, margin: int) -> None:
    amount_at_least(reserve_price, "reserve_price", 1)
    amount_at_least(list_price, "list_price", 1)
    amount_at_least(margin, "margin", 1)
    ensure(list_price >= reserve_price, BadRequest("the list price cannot be below the reserve price"))
    ensure(margin <= list_price, BadRequest("the margin cannot exceed the list price"))


def release_loans(ctx: Ctx, p: Package, new_owner: str | None = None) -> None:
    """Take every loan out of the package (at most MAX_LOANS); `new_owner` acquires them."""
    for ref in p["loans"]:
        loan: Loan = ctx.state.get(loan_key(ref))
        loan["package"] = None
        if new_owner is not None:
            loan["acquired"] = {"from": loan["owner"], "package": p["id"], "at": ctx.time}
            loan["owner"] = new_owner
        ctx.state.put(loan_key(ref), loan)


def document_of(ctx: Ctx, p: Package, doc_hash: str, what: str) -> Document:
    """A document registered to the package and not superseded."""
    d: Document | None = ctx.state.get(document_key(doc_hash))
    if d is None or d["package"] != p["id"]:
        raise NotFound(f"{what} {doc_hash} is not a document of package {p['id']}; register it first")
    ensure(d["superseded_by"] is None, InvalidState(f"document {doc_hash} has been superseded by {d['superseded_by']}"))
    return d
