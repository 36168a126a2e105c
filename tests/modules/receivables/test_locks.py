"""Locks: another contract (a plan's pool, a product's underlying) takes a piece out of
circulation through `ctx.call("receivables", "lock", ...)` in the holder's transaction."""

from __future__ import annotations

import shutil

import pytest

from faechain.contracts.runtime import REGISTRY, Contract, Ctx, register, tx
from tests.modules.receivables.conftest import DAY, open_demo_chain
from tests.modules.receivables.rcv_support import Rcv


class PoolProbe(Contract):
    """A stand-in for a plan: pools a voucher by locking it, releases it by unlocking."""

    name = "pool_probe"

    @tx
    def pool(self, ctx: Ctx, voucher: str) -> dict:
        piece = ctx.call("receivables", "lock", id=voucher, purpose=f"pool of {ctx.caller.org_id}")
        ctx.state.put(f"asset/{voucher}", piece)
        return piece

    @tx
    def release(self, ctx: Ctx, voucher: str) -> dict:
        return ctx.call("receivables", "unlock", id=voucher)


class OtherProbe(PoolProbe):
    name = "other_probe"


@pytest.fixture
def r(demo_template, tmp_path):
    register(PoolProbe)
    register(OtherProbe)
    home = str(tmp_path / "home")
    shutil.copytree(demo_template, home)
    c = open_demo_chain(home)
    try:
        rcv = Rcv(c)
        rcv.warm()
        rcv.line(10_000_000_00)
        yield rcv
    finally:
        c.close()
        REGISTRY.pop(PoolProbe.name, None)
        REGISTRY.pop(OtherProbe.name, None)


def test_a_locked_piece_cannot_move_be_financed_or_locked_again(r):
    o = r.o
    vid = r.issue(1_000_000_00, days=30)
    piece, rest = r.transfer("supplier1", vid, "supplier2", 400_000_00)
    locked = r.c.run("supplier2", "pool_probe", "pool", {"voucher": piece})
    assert locked.ok, locked
    assert locked.result["amount"] == 400_000_00 and locked.result["holder"] == o["supplier2"]
    assert [e["type"] for e in locked.events] == ["VoucherLocked"]
    assert r.v(piece)["locked_by"] == "pool_probe"
    for method, args, code in [
        ("transfer", dict(id=piece, to=o["supplier3"], amount=1), "invalid_state"),
        ("request_financing", dict(id=piece, funder=o["factor"], amount=1, rate_bps=100), "invalid_state"),
    ]:
        r.rejected("supplier2", method, code, **args)
    unchanged = r.c.empty_block_app_hash()
    res = r.c.block([r.c.sign("supplier2", "other_probe", "pool", {"voucher": piece})])
    assert res.receipts[0].code == "invalid_state" and res.app_hash == unchanged  # one place at a time
    # only the contract that locked it releases it
    assert r.c.run("supplier2", "other_probe", "release", {"voucher": piece}).code == "unauthorized"
    assert r.c.run("supplier2", "pool_probe", "release", {"voucher": piece}).ok
    r.ok("supplier2", "transfer", id=piece, to=o["supplier3"], amount=1)


def test_only_the_holder_can_have_a_piece_locked_and_only_a_movable_one(r):
    o = r.o
    vid = r.issue(1_000_00, days=30)
    assert r.c.run("supplier2", "pool_probe", "pool", {"voucher": vid}).code == "unauthorized"
    pending = r.issue(1_000_00, days=30, accept=False)
    assert r.c.run("supplier1", "pool_probe", "pool", {"voucher": pending}).code == "invalid_state"
    fid = r.ok("supplier1", "request_financing", id=vid, funder=o["factor"], amount=1_000_00,
               rate_bps=100)["financing"]
    assert r.c.run("supplier1", "pool_probe", "pool", {"voucher": vid}).code == "invalid_state"
    r.ok("factor", "cancel_financing", financing=fid)
    r.ok("regulator", "freeze", id=vid, reason="inquiry")
    assert r.c.run("supplier1", "pool_probe", "pool", {"voucher": vid}).code == "frozen"
    r.ok("regulator", "unfreeze", id=vid, reason="closed")
    assert r.c.run("supplier1", "pool_probe", "pool", {"voucher": vid}).ok


def test_a_locked_piece_is_paid_at_maturity_and_its_locker_is_told(r):
    vid = r.issue(1_000_000_00, days=2)
    piece, rest = r.transfer("supplier1", vid, "supplier2", 250_000_00)
    assert r.c.run("supplier2", "pool_probe", "pool", {"voucher": piece}).ok
    r.c.advance(2 * DAY)
    res = r.c.block([r.c.sign("bank", "receivables", "confirm_payment",
                              {"root": vid, "amount": 1_000_000_00, "bank_ref": "LOCK-1"})])
    assert res.receipts[0].ok, res.receipts[0]
    told = [e["attrs"] for e in res.end_events if e["type"] == "LockedVoucherPaid"]
    assert told == [dict(voucher=piece, by="pool_probe", purpose=f"pool of {r.o['supplier2']}",
                         holder=r.o["supplier2"], paid=250_000_00)]
    assert r.v(piece)["status"] == "PAID" and r.v(rest)["status"] == "PAID"
