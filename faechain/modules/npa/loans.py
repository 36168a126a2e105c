"""The loan book: a bank or AMC registers its loans and keeps them up to date (npa's first steps).

A loan names its borrower and guarantors by the commitments of their personal data
documents in the vault (faechain/contracts/personal.py), never by name or ID number: the
seller uploads each document (`PUT /v1/vault/<commitment>?scope=npa&subject=person`) and
passes its commitment. The first loan naming a commitment registers the person as the
seller's; later loans of the same seller reuse it (the same borrower, or a borrower who
guarantees another loan), which is how loans are matched to one person without revealing
who.
"""

from __future__ import annotations

from faechain.contracts.errors import BadRequest, Duplicate, InvalidState, Unauthorized, ensure
from faechain.contracts.money import MAX_AMOUNT
from faechain.contracts.personal import check_commitment, enrol
from faechain.contracts.roles import a_role
from faechain.contracts.runtime import Ctx, tx
from faechain.contracts.validators import amount_at_least, one_of, text
from faechain.modules.npa.records import (
    CLASSES,
    EDITABLE,
    LITIGATION,
    LOAN_NO,
    MAX_DAYS_PAST_DUE,
    MAX_GUARANTORS,
    NPL_CLASSES,
    SELLER_TYPES,
    Loan,
    Package,
    loan_key,
    loan_ref,
    package_key,
)
from faechain.modules.npa.rules import load_loan, save_package


class LoanSteps:
    @tx
    def register_loan(self, ctx: Ctx, loan_no: str, borrower: str, principal: int, interest: int,
                      classification: str, days_past_due: int, litigation: str = "none",
                      collateral: str = "", guarantors: list[str] | None = None) -> dict:
        """A bank or AMC registers a loan under its own number (e.g. the loan contract's): `<seller>/<loan_no>`.

        `borrower` and each of `guarantors` is the commitment (64 hex digits) of a
        personal data document the seller put in the vault (scope npa, subject
        person): the name and ID number stay off the ledger. Amounts are the
        outstanding principal and accrued interest in fen; `classification` is the
        five-category class, `litigation` how far the recovery has gone in court,
        `collateral` a description (empty: unsecured; it names no person).
        """
        ensure(ctx.caller.role in SELLER_TYPES, Unauthorized(f"{a_role(ctx.caller.role)} does not sell loans"))
        ensure(LOAN_NO.match(loan_no) is not None,
               BadRequest("loan_no must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"))
        check_commitment(borrower, "borrower")
        guarantors = list(guarantors or [])
        ensure(len(guarantors) <= MAX_GUARANTORS, BadRequest(f"a loan has at most {MAX_GUARANTORS} guarantors"))
        for g in guarantors:
            check_commitment(g, "each guarantor")
        ensure(len(set(guarantors)) == len(guarantors) and borrower not in guarantors,
               BadRequest("a person appears once among the borrower and the guarantors"))
        amount_at_least(principal, "principal", 1)
        amount_at_least(interest, "interest", 0)
        ensure(principal + interest <= MAX_AMOUNT, BadRequest("principal plus interest exceeds the 64-bit limit"))
        one_of(classification, CLASSES, "classification")
        ensure(0 <= days_past_due <= MAX_DAYS_PAST_DUE, BadRequest("days_past_due must be 0 .. 36500"))
        one_of(litigation, LITIGATION, "litigation")
        text(collateral, "collateral", 500, empty=True)
        ref = f"{ctx.caller.org_id}/{loan_no}"
        ensure(not ctx.state.has(loan_key(ref)), Duplicate(f"loan {loan_no} is already registered"))
        enrol(ctx, borrower, ref, "borrower")
        for g in guarantors:
            enrol(ctx, g, ref, "guarantor")
        loan: Loan = {
            "ref": ref, "seller": ctx.caller.org_id, "loan_no": loan_no, "borrower": borrower, "guarantors": guarantors,
            "principal": principal,
            "interest": interest, "classification": classification, "days_past_due": days_past_due,
            "litigation": litigation, "collateral": collateral, "owner": ctx.caller.org_id, "package": None,
            "last_package": None, "acquired": None, "registered_at": ctx.time, "updated_at": ctx.time, "version": 1,
        }
        ctx.state.put(loan_key(ref), loan)
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
        ref = loan_ref(ctx.caller.org_id, loan)
        rec = load_loan(ctx, ref)
        ensure(rec["owner"] == ctx.caller.org_id, Unauthorized(f"only the owner of loan {ref} updates it"))
        changes = {k: v for k, v in (("interest", interest), ("classification", classification),
                                     ("days_past_due", days_past_due), ("litigation", litigation),
                                     ("collateral", collateral)) if v is not None}
        ensure(changes, BadRequest("give at least one field to change"))
        if interest is not None:
            amount_at_least(interest, "interest", 0)
            ensure(rec["principal"] + interest <= MAX_AMOUNT,
                   BadRequest("principal plus interest exceeds the 64-bit limit"))
        if classification is not None:
            one_of(classification, CLASSES, "classification")
        if days_past_due is not None:
            ensure(0 <= days_past_due <= MAX_DAYS_PAST_DUE, BadRequest("days_past_due must be 0 .. 36500"))
        if litigation is not None:
            one_of(litigation, LITIGATION, "litigation")
        if collateral is not None:
            text(collateral, "collateral", 500, empty=True)
        if rec["package"] is not None:
            p: Package = ctx.state.get(package_key(rec["package"]))
            ensure(p["status"] in EDITABLE,
                   InvalidState(f"loan {ref} is in package {p['id']}, which is {p['status']}: its loans are frozen"))
            if interest is not None:
                p["interest"] += interest - rec["interest"]
                ensure(p["interest"] <= MAX_AMOUNT, BadRequest("the package's total interest exceeds the 64-bit limit"))
            if classification is not None:
                ensure(classification in NPL_CLASSES,
                       InvalidState(f"loan {ref} is in package {p['id']}: only an NPA classification fits there"))
            save_package(ctx, p)
        rec.update(changes)  # type: ignore[typeddict-item]
        rec["updated_at"] = ctx.time
        rec["version"] += 1
        ctx.state.put(loan_key(ref), rec)
        ctx.emit("LoanUpdated", loan=ref, fields=sorted(changes), version=rec["version"])
        return {"loan": ref, "version": rec["version"]}
