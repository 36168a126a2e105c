"""Accounts and clearing instructions: what a rail should pay, and its confirmation that it did.

    register_account (any member) -> account/<org>/<rail>
    instruct (another contract, @internal) -> PENDING, event ClearingInstructed for the rail
    confirm (the rail, a batch with one result per instruction) -> PAID (the source contract's
        `instruction_paid` runs in the same transaction) or FAILED (the rail keeps the money)
    retry (the payee, after fixing its account) -> PENDING again, ClearingInstructed again
"""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.errors import BadRequest, Duplicate, InvalidState, LimitExceeded, Unauthorized, ensure
from faechain.contracts.records import active_member
from faechain.contracts.runtime import Ctx, internal, tx
from faechain.modules.payments.records import (
    FAILED,
    MAX_BATCH,
    PAID,
    PENDING,
    RAIL_TYPES,
    RESULTS,
    Account,
    Instruction,
    account_key,
    instruction_key,
)


def ensure_rail(ctx: Ctx, org_id: str) -> None:
    """`org_id` is a payment rail: a PAYMENT_RAIL operator, or a bank with the settlement attribute."""
    org = active_member(ctx, org_id)
    ensure(org["type"] in RAIL_TYPES and (org["type"] == "PAYMENT_RAIL" or org["attributes"].get("settlement")),
           BadRequest(f"{org_id} is not a payment rail (a payment rail operator or a settlement bank)"))


def account_of(ctx: Ctx, org: str, rail: str) -> str | None:
    acct: Account | None = ctx.state.get(account_key(org, rail))
    return acct["account"] if acct else None


def load_instruction(ctx: Ctx, ident: str) -> Instruction:
    i: Instruction = ctx.state.require(instruction_key(ident), "instruction")
    return i


def new_instruction(ctx: Ctx, source: str, ref: str, payer: str, payee: str, rail: str, amount: int) -> str:
    """Write a PENDING instruction and tell the rail (ClearingInstructed)."""
    ident = ctx.new_id("I")
    account = account_of(ctx, payee, rail)
    ins: Instruction = {"id": ident, "source": source, "ref": ref, "payer": payer, "payee": payee, "rail": rail,
                        "amount": amount, "account": account, "status": PENDING, "created_at": ctx.time}
    ctx.state.put(instruction_key(ident), ins)
    ctx.emit("ClearingInstructed", instruction=ident, source=source, ref=ref, payer=payer, payee=payee, rail=rail,
             amount=amount, account=account)
    return ident


class InstructionSteps:
    @tx
    def register_account(self, ctx: Ctx, rail: str, account: str) -> dict[str, Any]:
        """A member names the account it is paid at on a rail (a new one replaces the old)."""
        ensure_rail(ctx, rail)
        validators.text(account, "account", 64)
        org = ctx.caller.org_id
        rec: Account = {"org": org, "rail": rail, "account": account, "registered_at": ctx.time}
        ctx.state.put(account_key(org, rail), rec)
        ctx.emit("AccountRegistered", org=org, rail=rail, account=account)
        return {"org": org, "rail": rail}

    @internal
    def instruct(self, ctx: Ctx, payer: str, payee: str, rail: str, amount: int, ref: str) -> dict[str, Any]:
        """Another contract (`ctx.via`) instructs the rail to pay `payee` on `payer`'s behalf.

        When the rail confirms it PAID, the source's `@internal instruction_paid(instruction,
        ref, payee, amount, rail_ref)` runs in the rail's transaction: every contract that
        instructs must provide it."""
        ensure(ctx.via is not None, Unauthorized("instructions are made by contracts"))
        validators.amount(amount)
        validators.text(ref, "ref", 128)
        return {"instruction": new_instruction(ctx, str(ctx.via), ref, payer, payee, rail, amount)}

    @tx
    def confirm(self, ctx: Ctx, results: list[list[str]]) -> dict[str, Any]:
        """The rail reports what it did with each instruction: [[id, "PAID", rail_ref], [id, "FAILED",
        reason], ...]. Every result is checked before any is applied, so a batch is all or nothing."""
        ensure(0 < len(results) <= MAX_BATCH, LimitExceeded(f"a confirmation carries 1 to {MAX_BATCH} results"))
        seen: set[str] = set()
        checked: list[tuple[Instruction, str, str]] = []
        for row in results:
            ensure(type(row) is list and len(row) == 3 and all(type(x) is str for x in row),
                   BadRequest('each result is [instruction id, "PAID" or "FAILED", rail reference or reason]'))
            ident, outcome, note = row
            ensure(ident not in seen, Duplicate(f"instruction {ident} is reported twice"))
            seen.add(ident)
            validators.one_of(outcome, RESULTS, "result")
            validators.text(note, "rail reference" if outcome == PAID else "reason", 128)
            ins = load_instruction(ctx, ident)
            ensure(ins["rail"] == ctx.caller.org_id,
                   Unauthorized(f"instruction {ident} is for rail {ins['rail']}, not {ctx.caller.org_id}"))
            ensure(ins["status"] == PENDING, InvalidState(f"instruction {ident} is {ins['status']}"))
            checked.append((ins, outcome, note))
        paid = 0
        for ins, outcome, note in checked:
            if outcome == PAID:
                paid += 1
                ins.update({"status": PAID, "rail_ref": note, "settled_at": ctx.time})
                ctx.state.put(instruction_key(ins["id"]), ins)
                ctx.emit("InstructionPaid", instruction=ins["id"], source=ins["source"], ref=ins["ref"],
                         payee=ins["payee"], amount=ins["amount"], rail=ins["rail"], rail_ref=note)
                ctx.call(ins["source"], "instruction_paid", instruction=ins["id"], ref=ins["ref"],
                         payee=ins["payee"], amount=ins["amount"], rail_ref=note)
            else:
                ins.update({"status": FAILED, "failure": note, "failures": ins.get("failures", 0) + 1})
                ctx.state.put(instruction_key(ins["id"]), ins)
                ctx.emit("InstructionFailed", instruction=ins["id"], source=ins["source"], ref=ins["ref"],
                         payee=ins["payee"], amount=ins["amount"], rail=ins["rail"], reason=note)
        return {"paid": paid, "failed": len(checked) - paid}

    @tx
    def retry(self, ctx: Ctx, instruction: str) -> dict[str, Any]:
        """The payee of a FAILED instruction asks the rail to pay again (after registering an account)."""
        ins = load_instruction(ctx, instruction)
        ensure(ins["payee"] == ctx.caller.org_id, Unauthorized("only the payee retries an instruction"))
        ensure(ins["status"] == FAILED, InvalidState(f"instruction {instruction} is {ins['status']}"))
        ins["status"] = PENDING
        ins["account"] = account_of(ctx, ins["payee"], ins["rail"])
        ctx.state.put(instruction_key(instruction), ins)
        ctx.emit("ClearingInstructed", instruction=instruction, source=ins["source"], ref=ins["ref"],
                 payer=ins["payer"], payee=ins["payee"], rail=ins["rail"], amount=ins["amount"],
                 account=ins["account"])
        return {"instruction": instruction}
