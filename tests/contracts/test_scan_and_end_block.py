"""ctx.state.scan against a model (committed rows + the block's + the transaction's own
writes), and end_block hooks: order, namespacing, rollback of a failing hook."""

from __future__ import annotations

import tempfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faechain.chain.state import BlockState, CommittedState, TxState
from faechain.contracts.runtime import REGISTRY, Contract, ContractState, register, tx
from faechain.core.encoding import encode
from faechain.ledger.storage import BlockWrite, Store
from faechain.node.verify import verify_chain

# -- scan --------------------------------------------------------------------------------

keys = st.text(alphabet="ab/é中\x00z", max_size=5)
values = st.integers(0, 9)
writes = st.dictionaries(keys, st.none() | values, max_size=8)


def commit(store: Store, height: int, values: dict[bytes, bytes | None]) -> None:
    store.commit(BlockWrite(height=height, block_hash=bytes([height]) * 32, header=b"h", app_hash=bytes(32),
                            txs=[], executed=[], events=[], values=values, nodes={}, index_del=[], index_add=[],
                            meta={}))


def merged(*layers: dict) -> dict:
    out: dict = {}
    for layer in layers:
        out.update(layer)
    return {k: v for k, v in out.items() if v is not None}


def expect(model: dict, prefix: str, limit: int | None) -> list:
    rows = sorted(((k, v) for k, v in model.items() if k.startswith(prefix)), key=lambda kv: kv[0].encode())
    return rows if limit is None else rows[:limit]


@given(
    first=st.dictionaries(keys, values, max_size=8),
    second=writes,
    block=writes,
    own=writes,
    prefix=st.sampled_from(["", "a", "a/", "é", "b/a", "\x00"]),
    limit=st.none() | st.integers(0, 6),
)
def test_scan_matches_a_model(first, second, block, own, prefix, limit):
    with tempfile.TemporaryDirectory() as d:
        store = Store(f"{d}/s.db", synchronous="OFF")
        try:
            enc = lambda layer, c="c": {f"{c}/{k}".encode(): (None if v is None else encode(v))  # noqa: E731
                                        for k, v in layer.items()}
            noise = {f"{k}".encode(): encode(1) for k in ("c", "c0/a", "d/a", "cc/a", "b/a")}
            commit(store, 1, {**enc(first), **noise, **enc(first, "c2")})
            commit(store, 2, enc(second))
            blk = BlockState(store)
            blk.writes.update(enc(block))
            blk.writes.update(enc(block, "d"))
            txs = TxState(blk)
            txs.writes.update(enc(own))
            assert ContractState("c", txs).scan(prefix, limit) == expect(merged(first, second, block, own),
                                                                         prefix, limit)
            assert ContractState("c", blk).scan(prefix, limit) == expect(merged(first, second, block), prefix, limit)
            committed = ContractState("c", CommittedState(store, None))
            assert committed.scan(prefix, limit) == expect(merged(first, second), prefix, limit)
            at_one = ContractState("c", CommittedState(store, 1))
            assert at_one.scan(prefix, limit) == expect(merged(first), prefix, limit)
        finally:
            store.close()


# -- end_block ------------------------------------------------------------------------------


class HookA(Contract):
    name = "hook_a_test"

    @tx
    def arm(self, ctx, due: int) -> None:
        ctx.state.put(f"due/{due:06d}", due)

    def end_block(self, ctx) -> None:
        for key, due in ctx.state.scan("due/"):
            if due <= ctx.height:
                ctx.state.delete(key)
                ctx.emit("Due", due=due, at=ctx.height)


class HookM(Contract):
    name = "hook_m_test"

    def end_block(self, ctx) -> None:
        ctx.state.put("touched", ctx.height)
        if ctx.height % 2 == 0:
            ctx.emit("Partial", h=ctx.height)
            raise RuntimeError("a bug on even heights")


class HookZ(Contract):
    name = "hook_z_test"

    def end_block(self, ctx) -> None:
        ctx.emit("Last", caller=ctx.caller.role, index=ctx.tx_index)


@pytest.fixture
def hooked(make_chain):
    for cls in (HookZ, HookA, HookM):
        register(cls)
    try:
        yield make_chain()
    finally:
        for cls in (HookA, HookM, HookZ):
            REGISTRY.pop(cls.name, None)


def mine(events):
    return [(e["contract"], e["type"]) for e in events if e["contract"].endswith("_test")]


def test_hooks_run_in_name_order_after_the_transactions(hooked):
    c = hooked
    r = c.block([c.sign("exchange", "hook_a_test", "arm", {"due": 2}), c.sign("exchange", "hook_a_test", "arm",
                                                                           {"due": 1})])
    assert [x.code for x in r.receipts] == ["ok", "ok"]
    assert r.height == 1
    assert mine(r.end_events) == [("hook_a_test", "Due"), ("hook_z_test", "Last")]  # odd height: m quiet
    assert [e for e in r.end_events if e["type"] == "Last"][0]["attrs"] == {"caller": "SYSTEM", "index": 2}
    r = c.block([])
    assert mine(r.end_events) == [("hook_a_test", "Due"), ("hook_m_test", "EndBlockFailed"), ("hook_z_test", "Last")]
    failed = [e for e in r.end_events if e["type"] == "EndBlockFailed"][0]
    assert failed["attrs"] == {"error": "RuntimeError"}  # and its own Partial event is gone
    assert verify_chain(c.store, c.genesis).ok


def test_failing_hook_writes_nothing(hooked):
    c = hooked
    c.block([])  # height 1: hook m writes
    assert c.store.get_value(b"hook_m_test/touched") == encode(1)
    c.block([])  # height 2: hook m fails after writing
    assert c.store.get_value(b"hook_m_test/touched") == encode(1)
    c.block([])
    assert c.store.get_value(b"hook_m_test/touched") == encode(3)


def test_hook_state_is_namespaced_and_deterministic(hooked, tmp_path):
    from faechain.chain.application import Application

    c = hooked
    txs = [c.sign("exchange", "hook_a_test", "arm", {"due": d}) for d in (3, 5, 4)]
    results = [c.block(txs), c.block([]), c.block([]), c.block([]), c.block([])]
    other = Application(Store(str(tmp_path / "o.db")), c.genesis)
    for r, batch in zip(results, [txs, [], [], [], []], strict=True):
        again = other.finalize_block(r.height, r.time, batch, b"test")
        other.commit()
        assert (again.block_hash, again.app_hash, again.end_events) == (r.block_hash, r.app_hash, r.end_events)
    written = {k for (k,) in c.store.read.execute("SELECT key FROM kv WHERE height > 0")}
    hooks = {k for k in written if k.startswith(b"hook_")}
    assert hooks and all(k.split(b"/")[0] in (b"hook_a_test", b"hook_m_test") for k in hooks)
    dues = [e["attrs"]["due"] for r in results for e in r.end_events if e["type"] == "Due"]
    assert dues == [3, 4, 5]
