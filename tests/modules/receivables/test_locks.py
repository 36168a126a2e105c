"""Locks: another contract (a plan's pool, a product's underlying) takes a piece out of
circulation through `ctx.call("receivables", "lock", ...)` in the holder's transaction."""

from __future__ import annotations

import shutil

import pytest

from faechain.contracts.errors import Unauthorized, ensure
from faechain.contracts.runtime import REGISTRY, Contract, Ctx, internal, register, tx
from tests.modules.receivables.conftest import DAY, open_demo_chain
from tests.modules.receivables.pay_support import payments, pending_instructions
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

    @internal
    def voucher_paid(self, ctx: Ctx, voucher: str, root: str, paid: int, payer: str, holder: str, bank_ref: str,
                     held: bool) -> None:
        ensure(ctx.via == "receivables", Unauthorized("only receivables reports payments"))
        total = ctx.state.get("collected", 0)
        ctx.state.put("collected", total + paid)
        ctx.emit("Collected", voucher=voucher, paid=paid, bank_ref=bank_ref)


    @tx
    def pool_invoice(self, ctx: Ctx, invoice: str) -> dict:
        return ctx.call("receivables", "lock_invoice", id=invoice, purpose="pooled")

    @tx
    def release_invoice(self, ctx: Ctx, invoice: str) -> dict:
        return ctx.call("receivables", "unlock_invoice", id=invoice)


class OtherProbe(PoolProbe):
    name = "other_probe"


class NoCallbackProbe(Contract):
    """A locker without `voucher_paid`: payments of its pieces cannot be confirmed."""

    name = "no_callback_probe"
    pool = PoolProbe.pool


@pytest.fixture
def r(demo_template, tmp_path):
    register(PoolProbe)
    register(OtherProbe)
    register(NoCallbackProbe)
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
        REGISTRY.pop(NoCallbackProbe.name, None)


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
    r.ok("bank", "confirm_payment", root=vid, amount=1_000_000_00, bank_ref="LOCK-1")
    r.c.block([])  # end_block instructs each piece
    by_piece = {i["ref"]: i for i in pending_instructions(r)}
    assert {ref: i["amount"] for ref, i in by_piece.items()} == {f"voucher:{piece}": 250_000_00,
                                                                 f"voucher:{rest}": 750_000_00}
    assert r.c.app.state_value(b"pool_probe/collected")["value"] is None  # nothing credited before the rail pays
    # the locked piece is paid, and its locker credited, inside the rail's confirmation of its instruction
    res = payments(r).tx("bank", "confirm", results=[[by_piece[f"voucher:{piece}"]["id"], "PAID", "LOCK-1/1"]])
    assert res.ok, res
    assert [e["attrs"] for e in res.events if e["type"] == "Collected"] == [
        dict(voucher=piece, paid=250_000_00, bank_ref="LOCK-1/1")]
    assert r.c.app.state_value(b"pool_probe/collected")["value"] is not None
    assert r.v(piece)["status"] == "PAID" and r.v(piece)["paid"] == 250_000_00
    assert r.v(rest)["status"] == "ACTIVE" and r.v(rest).get("paid", 0) == 0  # its own instruction is not yet paid
    res = payments(r).tx("bank", "confirm", results=[[by_piece[f"voucher:{rest}"]["id"], "PAID", "LOCK-1/2"]])
    assert res.ok and not [e for e in res.events if e["type"] == "Collected"]  # an unlocked piece tells no locker
    assert r.v(rest)["status"] == "PAID"
    # unlocking a paid piece only clears the mark; the root's lock count stays consistent
    assert r.c.run("supplier2", "pool_probe", "release", {"voucher": piece}).ok
    assert r.v(piece)["locked_by"] is None


def test_a_locker_that_refuses_the_payment_stops_the_confirmation(r):
    """Crediting is part of the rail's confirmation of the piece's instruction: nothing is half-done."""
    vid = r.issue(1_000_00, days=1)
    assert r.c.run("supplier1", "no_callback_probe", "pool", {"voucher": vid}).ok
    r.c.advance(DAY)
    r.ok("bank", "confirm_payment", root=vid, amount=1_000_00, bank_ref="LOCK-2")
    r.c.block([])
    [ins] = pending_instructions(r)
    payments(r).rejected("bank", "confirm", "bad_request", results=[[ins["id"], "PAID", "LOCK-2/1"]])
    assert r.v(vid)["status"] == "ACTIVE" and r.v(vid).get("paid", 0) == 0
    assert payments(r).get(f"instruction/{ins['id']}")["status"] == "PENDING"


def test_locked_pieces_per_root_are_bounded(r, monkeypatch):
    from faechain.modules.receivables import locks

    monkeypatch.setattr(locks, "MAX_LOCKS_PER_ROOT", 2)
    vid = r.issue(1_000_00, days=30)
    a, rest = r.transfer("supplier1", vid, "supplier2", 100)
    b, rest = r.transfer("supplier1", rest, "supplier2", 100)
    c, rest = r.transfer("supplier1", rest, "supplier2", 100)
    for piece in (a, b):
        assert r.c.run("supplier2", "pool_probe", "pool", {"voucher": piece}).ok
    assert r.c.run("supplier2", "pool_probe", "pool", {"voucher": c}).code == "limit_exceeded"
    assert r.c.run("supplier2", "pool_probe", "release", {"voucher": a}).ok
    assert r.c.run("supplier2", "pool_probe", "pool", {"voucher": c}).ok


def test_invoice_lock_keeps_an_invoice_out_of_vouchers(r):
    o = r.o
    inv = r.invoice(500_000_00)
    assert r.c.run("supplier2", "pool_probe", "pool_invoice", {"invoice": inv}).code == "unauthorized"
    res = r.c.run("supplier1", "pool_probe", "pool_invoice", {"invoice": inv})
    assert res.ok and res.result["undrawn"] == 500_000_00
    assert r.c.run("supplier1", "other_probe", "pool_invoice", {"invoice": inv}).code == "invalid_state"
    r.rejected("core", "issue", "invalid_state", to=o["supplier1"], amount=100, maturity=r.c.now + 30 * DAY,
               invoices=[[inv, 100]], contract_hash="ab" * 32)
    assert r.c.run("supplier1", "other_probe", "release_invoice", {"invoice": inv}).code == "unauthorized"
    assert r.c.run("supplier1", "pool_probe", "release_invoice", {"invoice": inv}).ok
    r.ok("core", "issue", to=o["supplier1"], amount=100, maturity=r.c.now + 30 * DAY,
         invoices=[[inv, 100]], contract_hash="ab" * 32)
