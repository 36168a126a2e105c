"""A driver for the products tests: `Pr(c)` is a Driver of the products contract on the demo chain.

    p.rcv                                   the receivables driver on the same chain
    p.financed(amount, days)                a voucher financed by `factor` (it holds the FINANCED piece)
    p.draft(tranches, **terms)              a DRAFT product of `factor` with fresh financed underlying
    p.open_(...) / p.outstanding(...)       carried to OPEN / OUTSTANDING with given subscriptions
"""

from __future__ import annotations

from typing import Any

from tests.modules.driver import Driver
from tests.modules.receivables.rcv_support import DAY, Rcv

YUAN = 100
H = "ee" * 32
TWO_TRANCHES = [dict(name="senior", size=800_000 * YUAN, coupon_bps=500, priority=1),
                dict(name="sub", size=200_000 * YUAN, coupon_bps=0, priority=2)]


class Pr(Driver):
    contract = "products"

    def __init__(self, c):
        super().__init__(c)
        self.rcv = Rcv(c)

    def product(self, pid: str) -> dict:
        return self.get(f"product/{pid}")

    def financed(self, amount: int, days: int = 90) -> str:
        vid = self.rcv.issue(amount, days=days)
        return self.rcv.finance("supplier1", vid, "factor", amount, rate_bps=500)["voucher"]

    def draft(self, tranches: list[dict] | None = None, underlying: int = 1_000_000 * YUAN, vouchers: int = 1,
              days: int = 90, **terms: Any) -> tuple[str, list[str]]:
        args = dict(name="Zhongguancun receivables revenue-sharing product 2026-3",
                    tranches=tranches or TWO_TRANCHES, registrar=self.o["registrar"],
                    settlement_bank=self.o["bank"], min_ticket=100_000 * YUAN, term_days=180, fee_bps=50)
        args.update(terms)
        pid = self.ok("factor", "create", **args)["product"]
        amounts = [underlying // vouchers] * vouchers
        amounts[0] += underlying - sum(amounts)
        vids = [self.financed(amount, days) for amount in amounts]
        self.ok("factor", "add_underlying", product=pid, vouchers=vids)
        return pid, vids

    def open_(self, **kw: Any) -> tuple[str, list[str]]:
        pid, vids = self.draft(**kw)
        self.ok("rating", "rate", product=pid, grade="AA", outlook="stable", report_hash=H)
        self.ok("factor", "file", product=pid)
        self.ok("exchange", "approve", product=pid, approval_no=f"TJFAE-{pid}", opens=self.c.now,
                closes=self.c.now + 10 * DAY)
        return pid, vids

    def outstanding(self, subs: list[tuple[str, str, int]] | None = None, **kw: Any) -> tuple[str, list[str]]:
        pid, vids = self.open_(**kw)
        subs = subs or [("investor1", "senior", 500_000 * YUAN), ("investor2", "senior", 300_000 * YUAN),
                        ("investor3", "sub", 200_000 * YUAN)]
        for who, tranche, amount in subs:
            self.ok(who, "subscribe", product=pid, tranche=tranche, amount=amount)
        self.ok("registrar", "establish", product=pid)
        self.ok("bank", "confirm_funding", product=pid, bank_ref=f"FUND-{pid}")
        return pid, vids

    def holding(self, pid: str, tranche: str, who: str) -> dict | None:
        return self.get(f"holding/{pid}/{tranche}/{self.o[who]}")
