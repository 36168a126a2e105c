"""Money arithmetic in integer fen: pro-rata shares that add up exactly.

Largest-remainder (Hamilton) allocation: each share is first rounded down, then
the fen left over go one each to the shares with the largest remainders, ties
broken by the share's key so that every node allocates identically.

`ProRata` lets a very large allocation (a voucher root split into 10,000 pieces)
be paid out in several blocks: the cut-off remainder is computed once, after
which any single share can be computed on its own, in any order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_AMOUNT = 2**63 - 1  # amounts are signed 64-bit on the wire


def largest_remainder(total: int, weights: Sequence[int], keys: Sequence[str] | None = None) -> list[int]:
    """Split `total` fen in proportion to `weights`; the result sums to `total` exactly."""
    plan = ProRata.plan(total, weights, keys)
    keys = keys if keys is not None else [f"{i:012d}" for i in range(len(weights))]
    return [plan.share(w, k) for w, k in zip(weights, keys, strict=True)]


@dataclass(frozen=True)
class ProRata:
    """A frozen largest-remainder allocation of `total` over weights summing to `weight_sum`.

    A share gets one extra fen when its (remainder, key) ranks among the
    `extra` largest, i.e. when remainder > cut_remainder, or remainder ==
    cut_remainder and key <= cut_key (keys ascending among equal remainders).
    """

    total: int
    weight_sum: int
    extra: int
    cut_remainder: int
    cut_key: str

    @classmethod
    def plan(cls, total: int, weights: Sequence[int], keys: Sequence[str] | None = None) -> ProRata:
        if total < 0 or any(w < 0 for w in weights):
            raise ValueError("amounts and weights must not be negative")
        weight_sum = sum(weights)
        if weight_sum == 0:
            if total:
                raise ValueError("cannot allocate a positive amount over zero weight")
            return cls(0, 0, 0, 0, "")
        keys = keys if keys is not None else [f"{i:012d}" for i in range(len(weights))]
        floors = 0
        ranked = []
        for w, k in zip(weights, keys, strict=True):
            q, r = divmod(total * w, weight_sum)
            floors += q
            ranked.append((-r, k))
        extra = total - floors
        if extra == 0:
            return cls(total, weight_sum, 0, 0, "")
        ranked.sort()
        neg_r, key = ranked[extra - 1]
        return cls(total, weight_sum, extra, -neg_r, key)

    def share(self, weight: int, key: str) -> int:
        if self.weight_sum == 0:
            return 0
        q, r = divmod(self.total * weight, self.weight_sum)
        if self.extra and (r > self.cut_remainder or (r == self.cut_remainder and key <= self.cut_key)):
            q += 1
        return q

    def to_map(self) -> dict[str, Any]:
        return {"total": self.total, "weight_sum": self.weight_sum, "extra": self.extra,
                "cut_remainder": self.cut_remainder, "cut_key": self.cut_key}

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> ProRata:
        return cls(m["total"], m["weight_sum"], m["extra"], m["cut_remainder"], m["cut_key"])
