"""A driver for the plans tests: `Pl(c)` is a `Driver` of the plans contract on the demo chain.

    p.rcv                                   the receivables driver on the same chain
    p.draft(size=..., **terms)              a DRAFT plan sponsored by supplier1; its id
    p.pooled(size, vouchers=1, invoice=0)   a draft plan with vouchers (and an invoice) covering it
    p.listed(...) / p.outstanding(...)      the same plan carried to LISTED / OUTSTANDING
    p.doc(plan, name, who)                  register a document (hash of `name`); its hash
    p.plan(id)                              the committed plan record
"""

from __future__ import annotations

import hashlib
from typing import Any

from tests.modules.driver import Driver
from tests.modules.receivables.rcv_support import DAY, Rcv

YUAN = 100


def doc_hash(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


class Pl(Driver):
    contract = "plans"

    def __init__(self, c):
        super().__init__(c)
        self.rcv = Rcv(c)

    def plan(self, plan_id: str) -> dict:
        return self.get(f"plan/{plan_id}")

    def draft(self, size: int = 1_000_000 * YUAN, sponsor: str = "supplier1", **terms: Any) -> str:
        args = dict(name="Tianhe receivables plan 2026-1", underwriter=self.o["underwriter"],
                    servicer=self.o["factor"], settlement_bank=self.o["bank"], size=size, coupon_bps=450,
                    term_days=180)
        args.update(terms)
        return self.ok(sponsor, "create", **args)["plan"]

    def voucher(self, amount: int, holder: str = "supplier1", days: int = 120) -> str:
        return self.rcv.issue(amount, to=holder, days=days)

    def pooled(self, size: int = 1_000_000 * YUAN, vouchers: int = 1, invoice: int = 0, days: int = 120,
               **terms: Any) -> tuple[str, list[str]]:
        plan = self.draft(size, **terms)
        each = size // vouchers + 1
        vids = [self.voucher(each, days=days) for _ in range(vouchers)]
        invs = [self.rcv.invoice(invoice)] if invoice else []
        self.ok("supplier1", "pool", plan=plan, vouchers=vids, invoices=invs)
        return plan, vids + invs

    def doc(self, plan: str, name: str, who: str = "underwriter", kind: str = "report", **extra: Any) -> str:
        h = doc_hash(name)
        self.ok(who, "register_document", plan=plan, hash=h, kind=kind, name=name, size=1000 + len(name), **extra)
        return h

    def listed(self, size: int = 1_000_000 * YUAN, window_days: int = 10, **terms: Any) -> tuple[str, list[str]]:
        plan, assets = self.pooled(size, **terms)
        item = self.ok("underwriter", "file", plan=plan)["initial_disclosure"]
        h = self.doc(plan, f"offering circular of {plan}", kind="prospectus")
        self.ok("underwriter", "publish", plan=plan, item=item, summary="offering circular", documents=[h])
        self.ok("exchange", "approve", plan=plan, approval_no=f"BFAE-{plan}", opens=self.c.now,
                closes=self.c.now + window_days * DAY)
        return plan, assets

    def outstanding(self, size: int = 1_000_000 * YUAN, subscriptions: dict[str, int] | None = None,
                    **terms: Any) -> tuple[str, list[str]]:
        plan, assets = self.listed(size, **terms)
        subs = subscriptions or {"investor1": size * 3 // 5, "investor2": size - size * 3 // 5}
        for who, amount in subs.items():
            self.ok(who, "subscribe", plan=plan, amount=amount)
        if sum(subs.values()) < size:
            self.c.advance(11 * DAY)
        self.ok("underwriter", "establish", plan=plan)
        self.ok("bank", "confirm_funding", plan=plan, bank_ref=f"FUND-{plan}")
        return plan, assets
