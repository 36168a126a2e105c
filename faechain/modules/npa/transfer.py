"""From the award to the close: the deal, the delivery, the transfer notice, the buyer's dispositions, the
inspection, and the close that hands the loans to the buyer.

    AWARDED -(sign_deal x2)-> CONTRACTED (-> PAID at once if the payment came first) -(auction_paid)-> PAID
    PAID -(deliver)-> DELIVERED -(publish_notice)-> NOTICED -(record_disposition)-> POST_TRANSFER
    POST_TRANSFER -(assign_inspector, inspect)-> INSPECTED -(close)-> CLOSED
"""

from __future__ import annotations

from faechain.contracts.deadlines import Deadlines
from faechain.contracts.errors import BadRequest, Duplicate, LimitExceeded, NotFound, Unauthorized, ensure
from faechain.contracts.records import member
from faechain.contracts.runtime import Ctx, tx
from faechain.contracts.validators import amount_at_least, one_of, text
from faechain.modules.npa.records import (
    AWARDED,
    CLOSED,
    CONTRACTED,
    DELIVERED,
    DISPOSITION_KINDS,
    INSPECTED,
    MAX_DISPOSITIONS,
    NOTICE_DUE,
    NOTICED,
    PAID,
    POST_TRANSFER,
    RESULTS,
    Disposition,
    disposition_key,
    document_key,
    loan_ref,
)
from faechain.modules.npa.rules import (
    document_of,
    ensure_exchange,
    ensure_package_status,
    ensure_seller,
    load_package,
    movable_package,
    move,
    release_loans,
    save_package,
)


class TransferSteps:
    # -- the deal -------------------------------------------------------------------------------------
    @tx
    def sign_deal(self, ctx: Ctx, package: str, contract_hash: str) -> dict:
        """The seller and the winner each sign the transfer contract (a registered document); the deal
        is CONTRACTED when both have signed the same one. A party may sign again until then."""
        p = movable_package(ctx, package)
        deal = p["deal"]
        who = ctx.caller.org_id
        if deal is None or who not in (p["seller"], deal["winner"]):
            raise Unauthorized(f"only the seller and the winner of package {package} sign its deal")
        ensure_package_status(p, AWARDED)
        document_of(ctx, p, contract_hash, "contract")
        side = "seller" if who == p["seller"] else "winner"
        deal["signed"][side] = {"hash": contract_hash, "at": ctx.time}
        ctx.emit("DealSigned", package=package, side=side, contract_hash=contract_hash)
        other = deal["signed"].get("winner" if side == "seller" else "seller")
        if other is not None and other["hash"] == contract_hash:
            deal["contract_hash"], deal["contracted_at"] = contract_hash, ctx.time
            move(ctx, p, CONTRACTED)
            ctx.emit("DealContracted", package=package, winner=deal["winner"], price=deal["price"],
                     contract_hash=contract_hash)
            if deal["payment"] is not None:  # the bank confirmed the payment before the signatures were complete
                move(ctx, p, PAID)
                ctx.emit("PackagePaid", package=package, auction=deal["auction"], winner=deal["winner"],
                         price=deal["price"], bank_ref=deal["payment"]["bank_ref"])
        save_package(ctx, p)
        return {"package": package, "status": p["status"]}

    @tx
    def deliver(self, ctx: Ctx, package: str, delivery_doc_hash: str) -> dict:
        """The seller hands over the loan files (a registered delivery note) after full payment; the
        transfer notice then falls due within 30 days."""
        p = movable_package(ctx, package)
        ensure_seller(ctx, p)
        ensure_package_status(p, PAID)
        document_of(ctx, p, delivery_doc_hash, "delivery note")
        deal = p["deal"]
        assert deal is not None  # a PAID package has its deal
        deal["delivery"] = {"hash": delivery_doc_hash, "at": ctx.time}
        notice_due = ctx.time + NOTICE_DUE
        p["notice_due"] = notice_due
        Deadlines(ctx.state).add(notice_due, "notice", package)
        move(ctx, p, DELIVERED)
        save_package(ctx, p)
        ctx.emit("PackageDelivered", package=package, winner=p["winner"], delivery_doc_hash=delivery_doc_hash,
                 notice_due=notice_due)
        return {"package": package, "notice_due": notice_due}

    @tx
    def publish_notice(self, ctx: Ctx, package: str, notice_hash: str) -> dict:
        """The seller or the exchange publishes the transfer notice to borrowers and guarantors (a
        registered document, readable by every member from now on)."""
        p = load_package(ctx, package)
        ensure(ctx.caller.org_id == p["seller"] or ctx.caller.role == "EXCHANGE",
               Unauthorized(f"only the seller or the exchange publishes the notice of package {package}"))
        ensure_package_status(p, DELIVERED)
        d = document_of(ctx, p, notice_hash, "notice")
        d["public"] = True
        ctx.state.put(document_key(notice_hash), d)
        notice_due = p["notice_due"]
        assert notice_due is not None  # set on delivery
        late = ctx.time > notice_due
        p["notice"] = {"hash": notice_hash, "by": ctx.caller.org_id, "at": ctx.time, "late": late}
        move(ctx, p, NOTICED)
        save_package(ctx, p)
        ctx.emit("NoticePublished", package=package, notice_hash=notice_hash, late=late)
        return {"package": package, "late": late}

    # -- after the transfer ---------------------------------------------------------------------------
    @tx
    def record_disposition(self, ctx: Ctx, package: str, kind: str, description: str,
                           documents: list[str] = [], loan: str | None = None,  # noqa: B006
                           amount: int = 0) -> dict:
        """The buyer records what it did with the loans (a change of litigation party or mortgagee, a
        restructuring, a collection, a resale), with documents; `amount` is what it recovered, if any."""
        p = load_package(ctx, package)
        ensure(p["winner"] is not None and ctx.caller.org_id == p["winner"],
               Unauthorized(f"only the buyer of package {package} records dispositions"))
        ensure_package_status(p, NOTICED, POST_TRANSFER, INSPECTED)
        one_of(kind, DISPOSITION_KINDS, "kind")
        text(description, "description", 2000)
        amount_at_least(amount, "amount", 0)
        ensure(len(documents) <= 20, BadRequest("at most 20 documents per disposition"))
        ensure(len(set(documents)) == len(documents), Duplicate("a document is listed twice"))
        for h in documents:
            document_of(ctx, p, h, "document")
        ref = None
        if loan is not None:
            ref = loan_ref(p["seller"], loan)
            ensure(ref in p["loans"], NotFound(f"loan {ref} is not in package {package}"))
        ensure(p["dispositions"] < MAX_DISPOSITIONS,
               LimitExceeded(f"a package records at most {MAX_DISPOSITIONS} dispositions"))
        p["dispositions"] += 1
        n = p["dispositions"]
        disposition: Disposition = {
            "package": package, "n": n, "kind": kind, "description": description, "documents": documents,
            "loan": ref, "amount": amount, "by": ctx.caller.org_id, "at": ctx.time,
        }
        ctx.state.put(disposition_key(package, n), disposition)
        if p["status"] == NOTICED:
            move(ctx, p, POST_TRANSFER)
        save_package(ctx, p)
        ctx.emit("DispositionRecorded", package=package, n=n, kind=kind, loan=ref, amount=amount)
        return {"package": package, "disposition": n}

    @tx
    def assign_inspector(self, ctx: Ctx, package: str, inspector: str) -> dict:
        """The exchange appoints (or replaces, until the report is in) the intermediary that inspects
        the post-transfer disposition."""
        ensure_exchange(ctx, "appoints inspectors")
        p = load_package(ctx, package)
        ensure_package_status(p, NOTICED, POST_TRANSFER)
        member(ctx, inspector, ("INTERMEDIARY",), "inspector")
        p["inspector"] = inspector
        save_package(ctx, p)
        ctx.emit("InspectorAssigned", package=package, inspector=inspector)
        return {"package": package}

    @tx
    def inspect(self, ctx: Ctx, package: str, result: str, report_hash: str, remarks: str = "") -> dict:
        """The appointed inspector files its report (a registered document) on the dispositions so far."""
        p = load_package(ctx, package)
        ensure(p["inspector"] is not None and ctx.caller.org_id == p["inspector"],
               Unauthorized(f"only the inspector appointed for package {package} inspects it"))
        ensure_package_status(p, POST_TRANSFER)
        one_of(result, RESULTS, "result")
        text(remarks, "remarks", 2000, empty=True)
        document_of(ctx, p, report_hash, "report")
        p["inspection"] = {"inspector": ctx.caller.org_id, "result": result, "report_hash": report_hash,
                           "remarks": remarks, "at": ctx.time, "dispositions": p["dispositions"]}
        move(ctx, p, INSPECTED)
        save_package(ctx, p)
        ctx.emit("PackageInspected", package=package, inspector=ctx.caller.org_id, result=result,
                 report_hash=report_hash)
        return {"package": package}

    @tx
    def close(self, ctx: Ctx, package: str) -> dict:
        """The exchange closes an inspected package: its loans now belong to the buyer."""
        ensure_exchange(ctx, "closes packages")
        p = movable_package(ctx, package)
        ensure_package_status(p, INSPECTED)
        release_loans(ctx, p, new_owner=p["winner"])
        p["closed_at"] = ctx.time
        move(ctx, p, CLOSED)
        save_package(ctx, p)
        ctx.emit("PackageClosed", package=package, buyer=p["winner"], loans=len(p["loans"]))
        return {"package": package}
