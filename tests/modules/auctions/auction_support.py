"""A test owner for the auction engine, and a driver over the demo chain.

`LotProbe` ("lot_probe") stands in for a module like npa: `list_lot(...)` opens an
auction for a lot through `ctx.call("auctions", "open", ...)`, and each callback the
engine makes is recorded under `lot_probe/told/<auction>` so tests can see exactly
what the owner heard, in which order.

`Au(c)` is a Driver of the auctions contract with set-ups:
    a.open(mode, **terms)            an auction of a fresh lot by `bank2` (the seller); its id
    a.bidders(auction, *names)       register each and have the settlement bank confirm its margin
    a.close()                        a block after every deadline so far (end_block acts)
"""

from __future__ import annotations

import itertools
from typing import Any

from faechain.contracts.errors import Unauthorized, ensure
from faechain.contracts.runtime import Contract, Ctx, internal, tx
from tests.modules.driver import Driver

DAY = 86_400


class LotProbe(Contract):
    name = "lot_probe"

    @tx
    def list_lot(self, ctx: Ctx, lot: str, terms: dict) -> dict:
        return ctx.call("auctions", "open", asset=f"lot:{lot}", seller=ctx.caller.org_id, **terms)

    @tx
    def withdraw(self, ctx: Ctx, auction: str) -> dict:
        return ctx.call("auctions", "cancel", auction=auction, reason="withdrawn")

    def _told(self, ctx: Ctx, auction: str, what: list) -> None:
        ensure(ctx.via == "auctions", Unauthorized("only the auction engine reports outcomes"))
        ctx.state.put(f"told/{auction}", ctx.state.get(f"told/{auction}", []) + [what])

    @internal
    def auction_started(self, ctx: Ctx, auction: str, asset: str) -> None:
        self._told(ctx, auction, ["started"])

    @internal
    def auction_awarded(self, ctx: Ctx, auction: str, asset: str, winner: str, price: int) -> None:
        self._told(ctx, auction, ["awarded", winner, price])

    @internal
    def auction_failed(self, ctx: Ctx, auction: str, asset: str, reason: str) -> None:
        self._told(ctx, auction, ["failed", reason])

    @internal
    def auction_paid(self, ctx: Ctx, auction: str, asset: str, winner: str, price: int, bank_ref: str) -> None:
        self._told(ctx, auction, ["paid", winner, price])

    @internal
    def auction_defaulted(self, ctx: Ctx, auction: str, asset: str, winner: str) -> None:
        self._told(ctx, auction, ["defaulted", winner])


ENGLISH = dict(mode="english", reserve=1_000_000, margin=100_000, start_price=800_000, increment=50_000,
               extend_window=300, extend_by=300, pay_days=10)
SEALED = dict(mode="sealed", reserve=1_000_000, margin=100_000, start_price=1, pay_days=10)
DUTCH = dict(mode="dutch", reserve=600_000, margin=100_000, start_price=1_000_000, step=50_000, interval=600,
             pay_days=10)


class Au(Driver):
    contract = "auctions"

    def __init__(self, c):
        super().__init__(c)
        self._lots = itertools.count(1)

    def open(self, terms: dict, duration: int = 3600, reveal: int = 3600, seller: str = "bank2", **more: Any) -> str:
        t = dict(terms, start=self.c.now, end=self.c.now + duration, settlement_bank=self.o["bank"], **more)
        if t["mode"] == "sealed":
            t.setdefault("reveal_end", t["end"] + reveal)
        r = self.c.run(seller, "lot_probe", "list_lot", {"lot": f"L{next(self._lots)}", "terms": t})
        assert r.ok, (r.code, r.message)
        return r.result["auction"]

    def bidders(self, auction: str, *names: str) -> None:
        for name in names:
            self.ok(name, "register", auction=auction)
            self.ok("bank", "confirm_margin", auction=auction, bidder=self.o[name], bank_ref=f"M-{auction}-{name}")

    def auction(self, auction: str) -> dict:
        return self.get(f"auction/{auction}")

    def margin(self, auction: str, name: str) -> str:
        return self.get(f"margin/{auction}/{self.o[name]}")["status"]

    def told(self, auction: str) -> list:
        from faechain.core.encoding import decode

        raw = self.c.store.get_value(f"lot_probe/told/{auction}".encode())
        return [] if raw is None else decode(raw)

    def run_to(self, t: int) -> Any:
        """Blocks up to block time t (one block at t): end_block acts on what is due by then."""
        if t > self.c.now:
            self.c.advance(t - self.c.now)
        return self.c.block([])
