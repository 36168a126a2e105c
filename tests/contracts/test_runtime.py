"""The contract runtime: argument checking, namespacing, rollback, deterministic ids,
queries. Uses a small contract registered only for these tests."""

from __future__ import annotations

from typing import Any

import pytest

from faechain.chain.results import Rejected
from faechain.contracts.errors import BadRequest, InvalidState, ensure
from faechain.contracts.runtime import REGISTRY, Contract, Ctx, QueryCtx, query, register, tx
from faechain.node.verify import verify_chain

NAME = "probe_test"


class Probe(Contract):
    name = NAME
    indexes = {"item": ("owner", "tags")}

    @tx
    def typed(self, ctx: Ctx, i: int, s: str, b: bytes, flag: bool, items: list[int], m: dict,
              maybe: str | None = None, n: int = 5, anything: Any = None) -> dict:
        return {"i": i, "s": s, "b": b, "flag": flag, "items": items, "m": m, "maybe": maybe, "n": n}

    @tx
    def put(self, ctx: Ctx, key: str, value: Any) -> None:
        ctx.state.put(key, value)
        ctx.emit("Put", key=key)

    @tx
    def delete(self, ctx: Ctx, key: str) -> None:
        ctx.state.delete(key)

    @tx
    def put_then_fail(self, ctx: Ctx, key: str) -> None:
        ctx.state.put(key, "written")
        ctx.emit("Written", key=key)
        ensure(ctx.state.get(key) == "written", BadRequest("a transaction reads its own writes"))
        raise InvalidState("changed my mind")

    @tx
    def put_then_crash(self, ctx: Ctx, key: str) -> None:
        ctx.state.put(key, "written")
        {}["no such key"]  # a bug in the contract

    @tx
    def new_ids(self, ctx: Ctx, count: int) -> list:
        return [ctx.new_id("item") for _ in range(count)]

    @tx
    def whoami(self, ctx: Ctx) -> dict:
        return {"org": ctx.caller.org_id, "role": ctx.caller.role, "name": ctx.caller.name,
                "time": ctx.time, "time_ms": ctx.time_ms, "height": ctx.height, "index": ctx.tx_index,
                "tx": ctx.tx_hash, "chain": ctx.chain, "attributes": ctx.caller.attributes}

    @tx
    def read_member(self, ctx: Ctx, org_id: str) -> str:
        return ctx.read("membership", f"org/{org_id}")["name"]

    @tx
    def float_result(self, ctx: Ctx) -> Any:
        return 1.5

    @tx
    def float_event(self, ctx: Ctx) -> None:
        ctx.emit("Bad", x=0.5)

    @tx
    def text_event(self, ctx: Ctx, code_point: int) -> None:
        ctx.emit("Text", s=chr(code_point))

    @tx
    def text_result(self, ctx: Ctx, code_point: int) -> str:
        return chr(code_point)

    @query
    def get(self, q: QueryCtx, key: str) -> Any:
        return q.state.get(key)

    @query
    def by_owner(self, q: QueryCtx, owner: str) -> list:
        return [k for k, _ in q.find("item", "owner", owner)]

    @query
    def sneaky_write(self, q: QueryCtx) -> None:
        q.state.put("x", 1)


@pytest.fixture
def probe():
    register(Probe)
    yield Probe
    REGISTRY.pop(NAME, None)


@pytest.fixture
def pc(probe, make_chain):
    """A chain whose Application includes the probe contract."""
    c = make_chain()
    assert NAME in c.app.contracts
    return c


def keys_written(chain, height: int) -> list[bytes]:
    return [r[0] for r in chain.store.read.execute("SELECT key FROM kv WHERE height=? ORDER BY key", (height,))]


# -- argument checking (Method.bind) ----------------------------------------------------

GOOD = {"i": 1, "s": "x", "b": b"\x00", "flag": False, "items": [1, 2], "m": {"k": [1.5]}}


def bind(**over):
    args = {**GOOD, **over}
    return Probe.methods["typed"].bind({k: v for k, v in args.items() if v is not ...})


def test_bind_fills_defaults():
    out = bind()
    assert out == {**GOOD, "maybe": None, "n": 5, "anything": None}
    assert bind(maybe="y", n=-1, anything=[None])["maybe"] == "y"


@pytest.mark.parametrize(
    "over",
    [
        {"i": True}, {"i": "1"}, {"i": 2**63}, {"i": -(2**63) - 1}, {"i": None},
        {"s": b"x"}, {"s": 1}, {"s": "x" * 4097}, {"s": None},
        {"b": "00"}, {"b": bytearray(b"x")},
        {"flag": 1}, {"flag": "true"}, {"flag": None},
        {"items": (1, 2)}, {"items": [1, "2"]}, {"items": [True]}, {"items": {"a": 1}}, {"items": list(range(1001))},
        {"m": [1]}, {"m": "x"},
        {"maybe": 1}, {"maybe": b"x"}, {"n": "5"},
        {"i": ...}, {"s": ...}, {"m": ...},  # missing
        {"extra": 1}, {"": 1},  # unknown
    ],
)
def test_bind_rejects(over):
    with pytest.raises(BadRequest):
        bind(**over)


def test_bind_integer_range_is_int64():
    assert bind(i=2**63 - 1)["i"] == 2**63 - 1
    assert bind(i=-(2**63))["i"] == -(2**63)
    assert bind(s="x" * 4096)["s"] == "x" * 4096
    assert len(bind(items=list(range(1000)))["items"]) == 1000


def test_bind_error_names_the_argument():
    with pytest.raises(BadRequest, match=r"items\[1\]"):
        bind(items=[1, "2"])
    with pytest.raises(BadRequest, match="missing argument 'i'"):
        bind(i=...)


def test_unsupported_hint_fails_at_class_creation():
    with pytest.raises(TypeError):
        class Bad(Contract):
            name = "bad_probe"

            @tx
            def m(self, ctx: Ctx, x: float) -> None:
                pass


def test_methods_are_only_the_marked_ones():
    assert Probe.methods["typed"].kind == "tx" and Probe.methods["get"].kind == "query"
    assert "genesis" not in Probe.methods and "index_rows" not in Probe.methods
    described = Probe.methods["typed"].describe()
    assert described["args"]["i"] == {"required": True} and described["args"]["n"] == {"required": False}


def test_register_needs_a_name():
    class Nameless(Contract):
        pass

    with pytest.raises(TypeError):
        register(Nameless)


def test_contract_name_cannot_reach_into_another_namespace():
    """A '/' in a name would put one contract's keys inside another's prefix."""
    class Nested(Contract):
        name = "probe_test/sub"

    with pytest.raises(TypeError):
        register(Nested)
    assert "probe_test/sub" not in REGISTRY


# -- through the chain ----------------------------------------------------------------------


def test_arguments_checked_in_a_block(pc):
    GOOD = {"i": 1, "s": "x", "b": b"\x00", "flag": False, "items": [1, 2], "m": {"k": [1]}}
    r = pc.block([
        pc.sign("exchange", NAME, "typed", GOOD),
        pc.sign("exchange", NAME, "typed", {**GOOD, "i": 2**63}),  # in the value model, beyond int64
        pc.sign("exchange", NAME, "typed", {**GOOD, "flag": 0}),
        pc.sign("exchange", NAME, "typed", {**GOOD, "surplus": 1}),
    ])
    assert [x.code for x in r.receipts] == ["ok", "bad_request", "bad_request", "bad_request"]
    assert r.receipts[0].result["n"] == 5
    assert pc.app.check_tx(pc.sign("exchange", NAME, "typed", {**GOOD, "i": 2**63}), pc.clock).code == "bad_request"


def test_writes_stay_in_the_contract_namespace(pc):
    bank = pc.org_ids["bank"]
    org_before = pc.store.get_value(f"membership/org/{bank}".encode())
    r = pc.block([
        pc.sign("exchange", NAME, "put", {"key": f"../membership/org/{bank}", "value": "pwned"}),
        pc.sign("exchange", NAME, "put", {"key": f"/membership/org/{bank}", "value": "pwned"}),
        pc.sign("exchange", NAME, "put", {"key": "", "value": 1}),
        pc.sign("exchange", NAME, "delete", {"key": f"../membership/org/{bank}"}),
    ])
    assert all(x.ok for x in r.receipts), r.receipts
    written = keys_written(pc, r.height)
    assert b"probe_test/../membership/org/" + bank.encode() in written
    assert [k for k in written if k.startswith(b"membership/org/")] == []
    assert pc.store.get_value(f"membership/org/{bank}".encode()) == org_before


class Recorder:
    """A state access that records every key a method touches."""

    def __init__(self):
        self.reads, self.writes = [], {}

    def get_raw(self, key):
        self.reads.append(key)
        return self.writes.get(key)

    def put_raw(self, key, value):
        self.writes[key] = value


@pytest.mark.parametrize("key", ["../membership/org/X", "/membership/x", "", "a/../../b", "\u00e9/\x00", "x" * 300])
def test_every_key_lies_under_the_contract_prefix(probe, key):
    from faechain.contracts.runtime import Caller

    rec = Recorder()
    ctx = Ctx(NAME, Caller(b"\x00" * 32, "org", "Org", "me", "EXCHANGE"), 0, 1, b"", 0, rec)
    Probe().put(ctx, key=key, value=1)
    Probe().delete(ctx, key=key)
    ctx.state.get(key)
    ctx.state.has(key)
    assert rec.writes and all(k.startswith(b"probe_test/") for k in rec.writes)
    assert all(k.startswith(b"probe_test/") for k in rec.reads)
    ctx.read("membership", "org/X")  # reading another contract is allowed; no write is offered
    assert rec.reads[-1] == b"membership/org/X"


def test_read_of_another_contract_is_read_only(pc):
    r = pc.run("exchange", NAME, "read_member", {"org_id": pc.org_ids["bank"]})
    assert r.ok and r.result == "Test Bank"


def test_failed_transaction_rolls_back_writes_and_events(pc):
    r = pc.block([
        pc.sign("exchange", NAME, "put", {"key": "kept", "value": 1}),
        pc.sign("exchange", NAME, "put_then_fail", {"key": "dropped"}),
        pc.sign("exchange", NAME, "put_then_crash", {"key": "dropped2"}),
        pc.sign("exchange", NAME, "put", {"key": "kept2", "value": 2}),
    ])
    assert [x.code for x in r.receipts] == ["ok", "invalid_state", "internal_error", "ok"]
    assert r.receipts[1].message == "changed my mind"
    assert r.receipts[1].events == [] and r.receipts[2].events == []
    assert [e["type"] for e in r.receipts[0].events] == ["Put"]
    q = pc.app.run_query
    assert q(NAME, "get", {"key": "kept"}, None) == 1 and q(NAME, "get", {"key": "kept2"}, None) == 2
    assert q(NAME, "get", {"key": "dropped"}, None) is None and q(NAME, "get", {"key": "dropped2"}, None) is None
    events = pc.store.events_between(r.height, r.height)
    assert [(e[1], e[4]) for e in events] == [(0, "Put"), (3, "Put")]
    assert verify_chain(pc.store, pc.genesis).ok


def test_failed_transaction_alone_changes_nothing(pc):
    pc.run("exchange", NAME, "put", {"key": "warm", "value": 0})  # registers the signer
    unchanged = pc.empty_block_app_hash()
    r = pc.block([pc.sign("exchange", NAME, "put_then_fail", {"key": "k"})])
    assert r.app_hash == unchanged
    assert [k for k in keys_written(pc, r.height) if k.startswith(NAME.encode())] == []


def test_deterministic_ids(pc, tmp_path):
    txs = [pc.sign("exchange", NAME, "new_ids", {"count": 3}), pc.sign("exchange", NAME, "new_ids", {"count": 2})]
    r = pc.block(txs)
    h = r.height
    assert r.receipts[0].result == [f"item-{h}-0-1", f"item-{h}-0-2", f"item-{h}-0-3"]
    assert r.receipts[1].result == [f"item-{h}-1-1", f"item-{h}-1-2"]
    # another node computes the same ids
    from faechain.chain.application import Application
    from faechain.ledger.storage import Store

    other = Application(Store(str(tmp_path / "other.db")), pc.genesis)
    assert NAME in other.contracts
    r2 = other.finalize_block(1, r.time, txs, b"test")
    assert [x.result for x in r2.receipts] == [x.result for x in r.receipts]


def test_context_fields(pc):
    r = pc.block([pc.sign("exchange", NAME, "whoami", {})], time_ms=pc.clock + 1234)
    res = r.receipts[0].result
    assert res["org"] == pc.org_ids["exchange"] and res["role"] == "EXCHANGE" and res["name"] == "exchange"
    assert res["time_ms"] == r.time and res["time"] == r.time // 1000
    assert res["height"] == r.height and res["index"] == 0 and res["tx"] == r.receipts[0].tx_hash
    assert res["chain"] == pc.chain_id


def test_caller_attributes_are_never_stale(pc):
    """Org attributes changed earlier in the same block, or in the previous one, reach the
    caller even when the node resolved (and cached) that signer before."""
    inv = pc.org_ids["investor"]
    whoami = lambda: pc.sign("investor", NAME, "whoami", {})  # noqa: E731
    r = pc.block([whoami()])
    assert "qualified" not in r.receipts[0].result["attributes"]
    assert pc.app.check_tx(whoami(), pc.clock).ok  # caches the resolved signer
    r = pc.block([
        whoami(),
        pc.sign("exchange", "membership", "set_attributes", {"org_id": inv, "attributes": {"qualified": True}}),
        whoami(),
    ])
    assert [x.result["attributes"].get("qualified") for x in (r.receipts[0], r.receipts[2])] == [None, True]
    raw = whoami()
    assert pc.app.check_tx(raw, pc.clock).ok
    r = pc.block([pc.sign("exchange", "membership", "set_attributes",
                          {"org_id": inv, "attributes": {"qualified": False}})])
    assert pc.block([raw]).receipts[0].result["attributes"]["qualified"] is False


def test_unencodable_result_or_event_is_a_bad_request(pc):
    r = pc.block([pc.sign("exchange", NAME, "float_result", {}), pc.sign("exchange", NAME, "float_event", {})])
    assert [x.code for x in r.receipts] == ["bad_request", "bad_request"]


def test_lone_surrogate_in_an_event_or_result_does_not_halt_the_chain(pc):
    """Text without a UTF-8 form is outside the value model: the tx fails, the block commits."""
    r = pc.block([
        pc.sign("exchange", NAME, "text_event", {"code_point": 0xD800}),
        pc.sign("exchange", NAME, "text_result", {"code_point": 0xDFFF}),
        pc.sign("exchange", NAME, "text_event", {"code_point": 0x4E2D}),
    ])
    assert [x.code for x in r.receipts] == ["bad_request", "bad_request", "ok"]
    assert verify_chain(pc.store, pc.genesis).ok


def test_queries_and_the_index(pc):
    pc.block([
        pc.sign("exchange", NAME, "put", {"key": "item/1", "value": {"owner": "alice", "tags": ["x", "y"]}}),
        pc.sign("exchange", NAME, "put", {"key": "item/2", "value": {"owner": "bob"}}),
        pc.sign("exchange", NAME, "put", {"key": "other/3", "value": {"owner": "alice"}}),  # not an indexed kind
    ])
    h1 = pc.app.height
    assert pc.app.run_query(NAME, "by_owner", {"owner": "alice"}, None) == ["item/1"]
    pc.block([pc.sign("exchange", NAME, "put", {"key": "item/1", "value": {"owner": "bob"}})])
    assert pc.app.run_query(NAME, "by_owner", {"owner": "alice"}, None) == []
    assert sorted(pc.app.run_query(NAME, "by_owner", {"owner": "bob"}, None)) == ["item/1", "item/2"]
    assert pc.app.run_query(NAME, "get", {"key": "item/1"}, None, height=h1) == {"owner": "alice", "tags": ["x", "y"]}
    pc.block([pc.sign("exchange", NAME, "delete", {"key": "item/2"})])
    assert pc.app.run_query(NAME, "by_owner", {"owner": "bob"}, None) == ["item/1"]


def test_queries_cannot_write(pc):
    with pytest.raises(PermissionError):
        pc.app.run_query(NAME, "sneaky_write", {}, None)


def test_query_dispatch_rejections(pc):
    with pytest.raises(Rejected) as e:
        pc.app.run_query(NAME, "put", {"key": "k", "value": 1}, None)  # a tx method is not a query
    assert e.value.code == "unknown_method"
    with pytest.raises(Rejected) as e:
        pc.app.run_query("nope", "get", {}, None)
    assert e.value.code == "unknown_contract"
    with pytest.raises(BadRequest):
        pc.app.run_query(NAME, "get", {"key": 1}, None)


def test_registry_is_clean_after_the_probe(probe):
    assert REGISTRY[NAME] is Probe
