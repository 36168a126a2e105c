"""Contract-to-contract calls: `ctx.call` reaches only `@internal` methods, inside one
transaction (atomic across both contracts), with the same signer and `ctx.via` set."""

from __future__ import annotations

import pytest

from faechain.contracts.errors import InvalidState, Unauthorized, ensure
from faechain.contracts.runtime import REGISTRY, Contract, Ctx, QueryCtx, internal, query, register, tx


class Vault(Contract):
    name = "vault_test"

    @internal
    def lock(self, ctx: Ctx, item: str) -> dict:
        ensure(ctx.via == "pool_test", Unauthorized("only the pool locks items"))
        ensure(not ctx.state.has(f"lock/{item}"), InvalidState(f"{item} is already locked"))
        ctx.state.put(f"lock/{item}", {"by": ctx.via, "signer": ctx.caller.org_id})
        ctx.emit("Locked", item=item)
        return {"lock": ctx.new_id("L")}

    @internal
    def deeper(self, ctx: Ctx, n: int) -> int:
        return n if n == 0 else ctx.call("vault_test", "deeper", n=n - 1)

    @tx
    def direct(self, ctx: Ctx) -> None:
        """A transaction method: not callable through ctx.call."""

    @query
    def locked(self, q: QueryCtx, item: str) -> dict | None:
        return q.state.get(f"lock/{item}")


class Pool(Contract):
    name = "pool_test"

    @tx
    def add(self, ctx: Ctx, item: str, fail_after: bool = False) -> dict:
        mine = ctx.new_id("P")
        ctx.state.put(f"item/{item}", {"id": mine})
        lock = ctx.call("vault_test", "lock", item=item)
        ctx.emit("Added", item=item)
        if fail_after:
            raise InvalidState("changed my mind after the call")
        return {"pool": mine, **lock}

    @tx
    def call_tx_method(self, ctx: Ctx) -> None:
        ctx.call("vault_test", "direct")

    @tx
    def call_unknown(self, ctx: Ctx) -> None:
        ctx.call("no_such_contract", "lock", item="x")

    @tx
    def recurse(self, ctx: Ctx, n: int) -> int:
        return ctx.call("vault_test", "deeper", n=n)


@pytest.fixture
def cc(make_chain):
    register(Vault)
    register(Pool)
    try:
        yield make_chain()
    finally:
        REGISTRY.pop(Vault.name, None)
        REGISTRY.pop(Pool.name, None)


def test_call_writes_both_namespaces_in_one_transaction(cc):
    r = cc.run("bank", "pool_test", "add", {"item": "a"})
    assert r.ok, r
    h = r.height
    assert r.result == {"pool": f"P-{h}-0-1", "lock": f"L-{h}-0-2"}  # one id sequence per transaction
    assert [(e["contract"], e["type"]) for e in r.events] == [("vault_test", "Locked"), ("pool_test", "Added")]
    lock = cc.app.run_query("vault_test", "locked", {"item": "a"}, None)
    assert lock == {"by": "pool_test", "signer": cc.org_ids["bank"]}  # the signer travels with the call


def test_a_failure_after_the_call_undoes_the_callee_too(cc):
    unchanged = cc.empty_block_app_hash()
    r = cc.block([cc.sign("bank", "pool_test", "add", {"item": "b", "fail_after": True})])
    assert r.receipts[0].code == "invalid_state" and r.receipts[0].events == []
    assert r.app_hash == unchanged
    assert cc.app.run_query("vault_test", "locked", {"item": "b"}, None) is None


def test_a_failure_in_the_callee_fails_the_caller(cc):
    assert cc.run("bank", "pool_test", "add", {"item": "c"}).ok
    unchanged = cc.empty_block_app_hash()
    r = cc.block([cc.sign("bank", "pool_test", "add", {"item": "c"})])
    assert r.receipts[0].code == "invalid_state" and r.app_hash == unchanged


def test_only_internal_methods_are_callable_and_only_through_call(cc):
    assert cc.run("bank", "pool_test", "call_tx_method", {}).code == "bad_request"
    assert cc.run("bank", "pool_test", "call_unknown", {}).code == "bad_request"
    # an internal method is not a transaction method
    raw = cc.sign("bank", "vault_test", "lock", {"item": "z"})
    assert cc.app.check_tx(raw, cc.clock).code == "unknown_method"
    assert cc.block([raw]).receipts[0].code == "unknown_method"


def test_call_depth_is_bounded(cc):
    assert cc.run("bank", "pool_test", "recurse", {"n": 2}).result == 0
    assert cc.run("bank", "pool_test", "recurse", {"n": 10}).code == "bad_request"
