"""The payment leg in tests: a rail confirming what the payer paid and then each piece's own
clearing instruction (docs/outside-world.md).

    settle(r, root, amount=None, rail="bank")   confirm_payment of `amount` (default: all still
                                                owed) as the rail, then confirm every instruction
                                                it produced, PAID; returns the instructions
    pending_instructions(r, rail)               the rail's PENDING instructions, oldest first
    confirm_all(r, rail)                        confirm them all PAID (batches of 500)
"""

from __future__ import annotations

from typing import Any

from tests.modules.driver import Driver


def payments(r) -> Driver:
    return Driver(r.c, "payments")


def pending_instructions(r, rail: str = "bank") -> list[dict[str, Any]]:
    rows = payments(r).scan("instruction/").values()
    return sorted((i for i in rows if i["status"] == "PENDING" and i["rail"] == r.o[rail]),
                  key=lambda i: (i["created_at"], i["id"]))


def confirm_all(r, rail: str = "bank") -> list[dict[str, Any]]:
    todo = pending_instructions(r, rail)
    for at in range(0, len(todo), 500):
        batch = todo[at:at + 500]
        payments(r).ok(rail, "confirm", results=[[i["id"], "PAID", f"RAIL-{i['id']}"] for i in batch])
    return todo


def owed(r, root: str) -> int:
    """Fen still owed on a root: its pieces awaiting a round, in either pool."""
    return sum(r.scan(f"live/{root}/").values()) + sum(r.scan(f"rest/{root}/").values())


def settle(r, root: str, amount: int | None = None, rail: str = "bank") -> list[dict[str, Any]]:
    """The rail confirms the payer paid `amount` (default all owed), the round is instructed (one
    block suffices below 2,000 pieces), and every instruction is confirmed PAID."""
    amount = owed(r, root) if amount is None else amount
    n = r.get(f"root/{root}").get("rounds", 0) + 1
    r.ok(rail, "confirm_payment", root=root, amount=amount, bank_ref=f"REF-{root}-{n}")
    while r.get(f"root/{root}").get("round"):
        r.c.block([])
    return confirm_all(r, rail)
