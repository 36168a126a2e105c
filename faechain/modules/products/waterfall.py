"""The distribution waterfall of a revenue-sharing product, as plain integer arithmetic.

Available collections are paid in strict order, each step taking what it is
owed before the next gets anything:

    1. fees (accrued at `fee_bps` a year on the outstanding principal, plus fees unpaid before)
    2. for each tranche by priority (senior first):
         a. interest (accrued at its coupon on its outstanding principal, plus interest unpaid before)
         b. principal (up to its outstanding)
    3. residual: whatever is left, to the most junior tranche's holders

With a senior tranche bearing a coupon and a subordinated one without, that is
fees, senior interest, senior principal, subordinated principal, residual.
Each step is then split over the tranche's holders in proportion to their
holdings on the record date, to the fen (largest remainder). Nothing here reads
a clock: `days` is computed by the caller from block times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from faechain.contracts.money import largest_remainder
from faechain.contracts.time import YEAR_DAYS
from faechain.modules.products.records import Tranche


def accrued(principal: int, rate_bps: int, days: int) -> int:
    """Simple interest in whole fen, rounded down: principal x rate x days / 365."""
    return principal * rate_bps * days // (10_000 * YEAR_DAYS)


@dataclass(frozen=True)
class Step:
    kind: str  # "fees", "interest", "principal", "residual"
    tranche: str | None
    owed: int  # what this step could have taken (residual: everything left)
    paid: int


def run(available: int, fees_owed: int, tranches: Sequence[Tranche]) -> list[Step]:
    """The waterfall over `available` fen. `tranches` (senior first) carry `name`,
    `interest_owed` and `outstanding`. The steps' `paid` sum to `available` exactly."""
    left = available
    steps: list[Step] = []

    def take(kind: str, tranche: str | None, owed: int) -> None:
        nonlocal left
        paid = min(left, owed)
        left -= paid
        steps.append(Step(kind, tranche, owed, paid))

    take("fees", None, fees_owed)
    for t in tranches:
        take("interest", t["name"], t["interest_owed"])
        take("principal", t["name"], t["outstanding"])
    steps.append(Step("residual", tranches[-1]["name"], left, left))
    return steps


def allocate(amount: int, holdings: dict[str, int]) -> list[list[Any]]:
    """`amount` over holders in proportion to their units: [[holder, fen], ...] by holder id."""
    holders = sorted(h for h, units in holdings.items() if units > 0)
    if not holders:
        return []
    shares = largest_remainder(amount, [holdings[h] for h in holders], holders)
    return [[h, s] for h, s in zip(holders, shares, strict=True)]
