"""`LightClient`: trusted headers from the member's own genesis, through a node that may lie,
checked against witnesses.

CometBFT cases run on synthetic chains (faechain.sdk.light.synthetic: keys the test holds,
hashed and signed exactly as CometBFT does), because an honest network cannot produce a
second validly signed header; the real-network path is tests/e2e/test_light_client_localnet.py.
Solo cases run on real demo nodes: two nodes sharing one block signer key and diverging is
the solo chain's equivocation.
"""

from __future__ import annotations

import base64
import dataclasses
import shutil
from typing import Any

import pytest

from faechain.core.genesis import Genesis
from faechain.devnet.demo import create_demo
from faechain.node.config import NodeConfig, paths
from faechain.node.testing import free_port, running_node
from faechain.sdk import Client, Identity
from faechain.sdk.light import cometbft as cb
from faechain.sdk.light.client import Checkpoint, LightClient
from faechain.sdk.light.synthetic import NANOS, Signer, SyntheticChain, private_key, sign_commit
from faechain.sdk.trust import VerificationError

CHAIN = "fae-light-test"
GENESIS_NS = 1_800_000_000 * NANOS
SIGNERS = [Signer(private_key(f"validator {i}"), 10) for i in range(4)]


def now_at(height: int) -> int:
    """A clock just after synthetic block `height` (the trusting period counts from there)."""
    return (GENESIS_NS + height * NANOS) // 1_000_000 + 500


class Relay:
    """A node's GET /v1/light relay over a synthetic chain: faechain block h is answered
    with CometBFT light block h + 1, as the real route does. `forge(height, doc)` lets a
    test rewrite what this node says."""

    def __init__(self, chain: SyntheticChain, head: int, url: str = "primary", forge=None) -> None:
        self.chain, self.head, self.url, self.forge = chain, head, url, forge
        self.asked: list[int] = []

    def light_block(self, height: int) -> dict[str, Any] | None:
        self.asked.append(height)
        if height + 1 > self.head + 1:
            return None
        lb = cb.light_block_to_json(self.chain.light_block(height + 1))
        doc = {"engine": "cometbft", "height": height, "commit": {"signed_header": lb["signed_header"]},
               "validators": {"validators": lb["validator_set"]["validators"]}}
        return self.forge(height, doc) if self.forge else doc

    def head_height(self) -> int:
        return self.head


def synthetic() -> SyntheticChain:
    return SyntheticChain(CHAIN, lambda h: SIGNERS, GENESIS_NS)


def genesis_of(signers=SIGNERS) -> Genesis:
    return Genesis(chain_id=CHAIN, validators=[
        {"name": f"v{i}", "pub_key": base64.b64encode(s.public).decode(), "power": s.power}
        for i, s in enumerate(signers)])


def test_a_header_is_trusted_by_the_validators_signatures():
    chain = synthetic()
    lc = LightClient(genesis_of(), Relay(chain, head=500), now_ms=lambda: now_at(501))
    t = lc.trusted(400)
    assert t.height == 400 and t.app_hash == chain.header(401).app_hash
    assert "4 of 4 validators" in t.basis and "CometBFT header 401" in t.basis
    assert lc.latest().height == 500
    assert lc.trusted(400) is t  # remembered


def test_a_header_forged_by_the_node_is_refused():
    chain = synthetic()

    def forge(height: int, doc: dict) -> dict:
        doc["commit"]["signed_header"]["header"]["app_hash"] = "AB" * 32  # the signatures left alone
        return doc

    lc = LightClient(genesis_of(), Relay(chain, head=50, forge=forge), now_ms=lambda: now_at(51))
    with pytest.raises(VerificationError) as info:
        lc.trusted(20)
    assert info.value.code == "bad_header" and "hashes to" in info.value.message


def test_a_genesis_with_other_validators_refuses_the_chain():
    others = [Signer(private_key(f"impostor {i}"), 10) for i in range(4)]
    lc = LightClient(genesis_of(others), Relay(synthetic(), head=10), now_ms=lambda: now_at(11))
    with pytest.raises(VerificationError) as info:
        lc.trusted(5)
    assert info.value.code == "bad_header" and "not genesis's" in info.value.message


def test_a_witness_with_another_validly_signed_header_is_reported_with_both():
    """Equivocation: the same validators signed a second header at height 31. The primary
    serves one, the witness the other; each verifies; the client reports the attack."""
    chain = synthetic()
    forged_header = dataclasses.replace(chain.header(31), app_hash=b"\x66" * 32)
    vals, keys = chain.validators(31)
    forged = cb.LightBlock(cb.SignedHeader(forged_header, sign_commit(forged_header, vals, keys)), vals)

    def other_history(height: int, doc: dict) -> dict:
        if height + 1 == 31:
            lb = cb.light_block_to_json(forged)
            doc["commit"]["signed_header"] = lb["signed_header"]
        return doc

    lc = LightClient(genesis_of(), Relay(chain, head=40),
                     witnesses=[Relay(chain, head=40, url="witness", forge=other_history)],
                     now_ms=lambda: now_at(41))
    assert lc.trusted(20).app_hash == chain.header(21).app_hash  # they agree there
    with pytest.raises(VerificationError) as info:
        lc.trusted(30)
    exc = info.value
    assert exc.code == "diverged" and "witness" in exc.message and "31" in exc.message
    assert exc.evidence["height"] == 31
    assert exc.evidence["witness"]["signed_header"]["header"]["app_hash"] == "66" * 32
    assert exc.evidence["primary"]["signed_header"]["header"]["app_hash"] == chain.header(31).app_hash.hex().upper()


def test_a_witness_that_cannot_back_its_header_is_noted_not_believed():
    chain = synthetic()

    def garbage(height: int, doc: dict) -> dict:
        doc["commit"]["signed_header"]["commit"]["signatures"] = []
        return doc

    lc = LightClient(genesis_of(), Relay(chain, head=40),
                     witnesses=[Relay(chain, head=40, url="broken", forge=garbage)], now_ms=lambda: now_at(41))
    assert lc.trusted(30).app_hash == chain.header(31).app_hash
    assert lc.witness_problems and lc.witness_problems[0].startswith("broken:")


def test_past_the_trusting_period_nothing_is_trusted():
    lc = LightClient(genesis_of(), Relay(synthetic(), head=40), trusting_period_s=3600,
                     now_ms=lambda: now_at(41) + 2 * 3600 * 1000)
    with pytest.raises(VerificationError) as info:
        lc.trusted(30)
    assert info.value.code == "untrusted" and "expired" in info.value.message


def test_from_a_checkpoint():
    chain = synthetic()
    lc = LightClient(genesis_of(), Relay(chain, head=900), checkpoint=Checkpoint(800, chain.header(800).hash()),
                     now_ms=lambda: now_at(901))
    assert lc.trusted(850).app_hash == chain.header(851).app_hash
    bad = LightClient(genesis_of(), Relay(chain, head=900), checkpoint=Checkpoint(800, b"\x01" * 32),
                      now_ms=lambda: now_at(901))
    with pytest.raises(VerificationError) as info:
        bad.trusted(850)
    assert info.value.code == "bad_header" and "checkpoint" in info.value.message


def test_the_head_block_waits_for_the_next_signed_header():
    chain = synthetic()
    relay = Relay(chain, head=60)
    relay.light_block = lambda h, base=relay.light_block: None if h == 60 else base(h)  # header 61 not yet made
    lc = LightClient(genesis_of(), relay, now_ms=lambda: now_at(61))
    assert lc.latest().height == 59
    with pytest.raises(VerificationError) as info:
        lc.trusted(60)
    assert info.value.code == "unavailable"


def test_a_node_at_its_first_block_has_no_signed_state_yet():
    """A validator that has committed only block 1 cannot show a signed app hash (header 2 is
    not made yet), and block 0 is faechain's genesis block, not a CometBFT one: the answer is
    "not yet" (unavailable), which a caller may wait out, not "untrusted"."""
    chain = synthetic()
    relay = Relay(chain, head=1)
    relay.light_block = lambda h, base=relay.light_block: None if h >= 1 else base(h)
    lc = LightClient(genesis_of(), relay, now_ms=lambda: now_at(2))
    with pytest.raises(VerificationError) as info:
        lc.latest()
    assert info.value.code == "unavailable" and "next block" in info.value.message


# -- solo ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def solo_homes(tmp_path_factory):
    """Two homes of one solo chain (the same genesis and block signer key)."""
    a = str(tmp_path_factory.mktemp("solo") / "a")
    create_demo(a)
    b = a.replace("/a", "/b")
    shutil.copytree(a, b)
    return a, b


def _node(home: str):
    config = dataclasses.replace(NodeConfig.load(home), port=free_port(), verify_workers=0, heartbeat=3600.0)
    return running_node(home, config)


def test_solo_headers_verify_and_equivocation_is_caught(solo_homes):
    a, b = solo_homes
    genesis = Genesis.load(paths(a)["genesis"])
    ident = Identity.load(a, "exchange")
    with _node(a) as na, _node(b) as nb:
        ca, cb_ = Client(na.url, identity=ident), Client(nb.url, identity=ident)
        org = ca.query("membership", "whoami")["org_id"]
        assert ca.submit(ident, "membership", "set_attributes", org_id=org, attributes={"side": "a"}).ok
        assert cb_.submit(ident, "membership", "set_attributes", org_id=org, attributes={"side": "b"}).ok
        lc = LightClient(genesis, ca)
        h = ca.head_height()
        assert lc.trusted(h).app_hash.hex() == ca.block(h)["header"]["app_hash"]
        assert lc.latest().height == h
        # the same signer key signed another history at b: a member asking both sees it
        watched = LightClient(genesis, ca, witnesses=[cb_])
        assert watched.trusted(0).height == 0  # genesis block: both hold the same one
        with pytest.raises(VerificationError) as info:
            watched.trusted(h)
        exc = info.value
        assert exc.code == "diverged" and "signed two headers" in exc.message
        assert exc.evidence["primary"]["block_hash"] != exc.evidence["witness"]["block_hash"]


def test_a_later_run_starts_from_the_stored_block_not_from_genesis(tmp_path):
    """Genesis trust ends with the trusting period; the newest verified block, kept between
    runs (CometBFT's trusted store), carries it on. Without it the refusal says what to do."""
    chain = synthetic()
    store = str(tmp_path / "trusted.json")
    week = 7 * 86400 * 1000
    first = LightClient(genesis_of(), Relay(chain, head=500), now_ms=lambda: now_at(501), store_path=store)
    assert first.trusted(499).app_hash == chain.header(500).app_hash
    later = now_at(500) + week - 10_000  # block 1 is older than the trusting period; block 500 is not
    resumed = LightClient(genesis_of(), Relay(chain, head=600), now_ms=lambda: later, store_path=store)
    assert resumed.trusted(599).app_hash == chain.header(600).app_hash
    fresh = LightClient(genesis_of(), Relay(chain, head=600), now_ms=lambda: later)
    with pytest.raises(VerificationError) as info:
        fresh.trusted(599)
    assert info.value.code == "untrusted" and "checkpoint" in info.value.message
    other = LightClient(dataclasses.replace(genesis_of(), chain_id="another"), Relay(chain, head=600),
                        now_ms=lambda: later, store_path=store)  # a store of another chain is not used
    with pytest.raises(VerificationError):
        other.trusted(599)
