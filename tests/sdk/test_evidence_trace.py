"""The CometBFT trace an evidence bundle carries, on synthetic chains whose every key we hold.

A bundle's light blocks are each verified from the one before, judged at that block's own
time, so a bundle stays checkable years later; the exporter must therefore never make a
step longer than the trusting period, hopping through the last block within it (a chain
older than a week still starts from genesis), and bisect where the validators changed.
Every step is checked by the SDK's light client and by the standalone verifier alike.
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from faechain.sdk import evidence
from faechain.sdk import evidence_standalone as standalone
from faechain.sdk.light import cometbft as cb
from faechain.sdk.light.synthetic import NANOS, Signer, SyntheticChain, private_key
from faechain.sdk.trust import VerificationError

DAY_NS = 86_400 * NANOS
WEEK_S = 7 * 86_400.0
START_NS = 1_800_000_000 * NANOS


def _signers(tag: str) -> list[Signer]:
    return [Signer(private_key(f"{tag} validator {i}"), 10) for i in range(4)]


def _both_accept(trace: list[cb.LightBlock]) -> None:
    for a, b in pairwise(trace):
        cb.verify(a, b, WEEK_S, b.header.time_ms)
        standalone.verify_step(standalone.light_block_from_json(cb.light_block_to_json(a)),
                               standalone.light_block_from_json(cb.light_block_to_json(b)), WEEK_S)


def test_a_trace_of_an_old_chain_hops_within_the_trusting_period():
    signers = _signers("daily")
    chain = SyntheticChain("hops", lambda h: signers, START_NS, block_interval_ns=DAY_NS)  # a block a day
    trace = evidence.cometbft_trace(chain(1), [30, 45], chain, trusting_period_s=WEEK_S)
    heights = [lb.height for lb in trace]
    assert heights[0] == 1 and 30 in heights and heights[-1] == 45 and heights == sorted(set(heights))
    assert all(b.header.time_ns - a.header.time_ns < 7 * DAY_NS for a, b in pairwise(trace))
    assert len(trace) == 9  # 1, 7, 13, 19, 25, 30, 36, 42, 45: six days a hop at most
    _both_accept(trace)
    # one step of 29 days is refused by both, as expired
    first, far = chain(1), chain(30)
    with pytest.raises(VerificationError) as info:
        cb.verify(first, far, WEEK_S, far.header.time_ms)
    assert info.value.code == "untrusted" and "expired" in info.value.message
    with pytest.raises(standalone.Refused) as refused:
        standalone.verify_step(standalone.light_block_from_json(cb.light_block_to_json(first)),
                               standalone.light_block_from_json(cb.light_block_to_json(far)), WEEK_S)
    assert refused.value.code == "untrusted"


def test_a_trace_bisects_across_a_change_of_every_validator():
    old, new = _signers("old"), _signers("new")
    chain = SyntheticChain("change", lambda h: old if h < 20 else new, START_NS)
    trace = evidence.cometbft_trace(chain(1), [40], chain, trusting_period_s=WEEK_S)
    heights = [lb.height for lb in trace]
    assert 19 in heights and 20 in heights and heights[-1] == 40  # the set changes hands at 19 -> 20
    _both_accept(trace)
    # skipping straight over the change: too little of the trusted power signed, for both
    with pytest.raises(VerificationError) as info:
        cb.verify(chain(1), chain(40), WEEK_S, chain(40).header.time_ms)
    assert info.value.code == "untrusted"
    with pytest.raises(standalone.Refused) as refused:
        standalone.verify_step(standalone.light_block_from_json(cb.light_block_to_json(chain(1))),
                               standalone.light_block_from_json(cb.light_block_to_json(chain(40))), WEEK_S)
    assert refused.value.code == "untrusted"


def test_a_chain_silent_for_longer_than_the_trusting_period_needs_a_later_checkpoint():
    signers = _signers("silent")
    chain = SyntheticChain("silent", lambda h: signers, START_NS, block_interval_ns=8 * DAY_NS)
    with pytest.raises(VerificationError) as info:
        evidence.cometbft_trace(chain(1), [5], chain, trusting_period_s=WEEK_S)
    assert info.value.code == "untrusted" and "later checkpoint" in info.value.message
    with pytest.raises(VerificationError) as info:
        evidence.cometbft_trace(chain(5), [3], chain)
    assert "before the anchor" in info.value.message
