"""Payouts through the payment rails: one clearing instruction per payee of an allocation (a plan's
coupon, a product's distribution), made by the `payments` contract, and each leg marked paid when
the rail confirms it (docs/outside-world.md). The contract that pays keeps the legs in its own
record and provides `@internal instruction_paid(instruction, ref, payee, amount, rail_ref)`.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import InvalidState, Unauthorized, ensure
from faechain.contracts.runtime import Ctx

PENDING, PAID = "PENDING", "PAID"


def instruct_legs(ctx: Ctx, payer: str, rail: str, ref: str, allocations: list[tuple[str, int]]) -> list[list[Any]]:
    """An instruction for each (payee, fen) with fen > 0, in the given order: [[payee, fen, instruction, status]]."""
    legs: list[list[Any]] = []
    for payee, fen in allocations:
        if fen > 0:
            out = ctx.call("payments", "instruct", payer=payer, payee=payee, rail=rail, amount=fen, ref=ref)
            legs.append([payee, fen, out["instruction"], PENDING])
    return legs


def mark_leg_paid(legs: list[list[Any]], instruction: str) -> list[Any]:
    """The leg of `instruction`, now PAID (refused if it is not one of these legs or already paid)."""
    for leg in legs:
        if leg[2] == instruction:
            ensure(leg[3] == PENDING, InvalidState(f"instruction {instruction} is already paid"))
            leg[3] = PAID
            return leg
    raise InvalidState(f"instruction {instruction} pays no leg of this record")


def record_leg_paid(ctx: Ctx, key: str, what: str, instruction: str) -> dict[str, Any]:
    """In a contract's `instruction_paid`: the record at `key` (a plan payment, a distribution) with
    the leg of `instruction` marked PAID and written back; only the payments contract calls it."""
    ensure(ctx.via == "payments", Unauthorized("only the payments contract reports paid instructions"))
    record: dict[str, Any] = ctx.state.require(key, what)
    mark_leg_paid(record.get("legs", []), instruction)
    ctx.state.put(key, record)
    return record

