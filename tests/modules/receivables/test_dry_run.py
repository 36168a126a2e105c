"""A dry run answers what the next block would, and changes nothing (issue 19, item 3).

`Application.dry_run` executes one signed transaction against the committed head at the
next height: the code and message of a refusal, or the result and events of success, must
be exactly those the block gives the same envelope at the same time — else the console
would tell a member something the chain then contradicts. And a dry run must leave no
trace: no state, no spent nonce (the envelope can be sent afterwards), no block.
"""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faechain.chain.results import Rejected
from tests.modules.receivables.rcv_support import Rcv


@pytest.fixture
def r(demo_chain) -> Rcv:
    r = Rcv(demo_chain)
    r.warm()
    r.line()
    return r


def same_as_block(r: Rcv, raw: bytes):
    """Dry-run `raw`, check nothing moved, then commit it alone at the dry run's height and
    time: the two receipts must agree in everything the member is told."""
    c = r.c
    head = c.head()
    trial = c.app.dry_run(raw, c.clock)
    assert c.head() == head, "a dry run committed something"
    assert trial.height == head[0] + 1
    block = c.block([raw]).receipts[0]
    assert (trial.code, trial.message, trial.result, trial.events) == \
        (block.code, block.message, block.result, block.events)
    assert trial.tx_hash == block.tx_hash
    return trial


def test_a_refusal_is_foreseen_with_the_blocks_code_and_message(r):
    vid = r.issue(1_000_000_00)
    raw = r.c.sign("supplier1", "receivables", "transfer", {"id": vid, "to": r.o["supplier2"], "amount": 1_500_000_00})
    trial = same_as_block(r, raw)
    assert trial.code == "limit_exceeded" and "150000000" in trial.message


def test_success_is_foreseen_with_its_result_and_events(r):
    vid = r.issue(1_000_000_00)
    raw = r.c.sign("supplier1", "receivables", "transfer", {"id": vid, "to": r.o["supplier2"], "amount": 300_000_00})
    trial = same_as_block(r, raw)
    assert trial.ok and trial.result["voucher"] and trial.events
    assert r.v(trial.result["voucher"])["amount"] == 300_000_00


def test_a_dry_run_spends_nothing_and_writes_nothing(r):
    vid = r.issue(1_000_000_00)
    raw = r.c.sign("supplier1", "receivables", "transfer", {"id": vid, "to": r.o["supplier2"], "amount": 300_000_00})
    before = r.v(vid)
    unchanged = r.c.empty_block_app_hash()
    for _ in range(3):  # tried again and again: still accepted, never "replay"
        assert r.c.app.dry_run(raw, r.c.clock).ok
    assert r.v(vid) == before
    assert r.c.empty_block_app_hash() == unchanged
    assert r.c.block([raw]).receipts[0].ok  # the same envelope is then sent for real
    assert r.c.app.dry_run(raw, r.c.clock).code == "replay"  # and now it is spent


def test_envelope_faults_are_foreseen_too(r):
    envelope = cbor2.loads(r.c.sign("supplier1", "receivables", "accept", {"id": "V-none"}))
    envelope[2] = bytes([envelope[2][0] ^ 1]) + envelope[2][1:]  # the signature
    assert same_as_block(r, cbor2.dumps(envelope)).code == "bad_signature"
    assert r.c.app.dry_run(b"\x00garbage", r.c.clock).code == "bad_encoding"
    assert r.c.app.dry_run(r.c.sign("supplier1", "receivables", "accept", {"id": "V-none"}), r.c.clock).code == \
        "not_found"


def test_a_member_node_sends_dry_runs_to_a_validator(r):
    r.c.app.own_view_of = r.o["supplier1"]
    raw = r.c.sign("supplier1", "receivables", "accept", {"id": "V-none"})
    with pytest.raises(Rejected) as err:
        r.c.app.dry_run(raw, r.c.clock)
    assert err.value.code == "not_available_here"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["transfer", "finance", "accept"]),
                                st.integers(min_value=-1, max_value=1_200_000_00)), min_size=1, max_size=6))
def test_dry_runs_agree_with_blocks_whatever_the_business_did(demo_chain, steps):
    """Property: along any sequence of transfers, financing requests and acceptances (good
    and bad amounts), each dry run equals the block's receipt for the same envelope."""
    r = Rcv(demo_chain)
    if "_dry_line" not in demo_chain.__dict__:
        r.line()
        demo_chain.__dict__["_dry_line"] = True
    vid = r.issue(1_000_000_00, accept=False)
    for kind, amount in steps:
        if kind == "transfer":
            args = {"id": vid, "to": r.o["supplier2"], "amount": amount}
            raw = demo_chain.sign("supplier1", "receivables", "transfer", args)
        elif kind == "finance":
            args = {"id": vid, "funder": r.o["factor"], "amount": amount, "rate_bps": 600}
            raw = demo_chain.sign("supplier1", "receivables", "request_financing", args)
        else:
            raw = demo_chain.sign("supplier1", "receivables", "accept", {"id": vid})
        same_as_block(r, raw)
