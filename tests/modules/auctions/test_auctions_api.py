"""A sealed auction through a node's HTTP API with the SDK's commit_bid / reveal_bid."""

from __future__ import annotations

import pytest

from faechain.contracts.runtime import REGISTRY, register
from faechain.devnet.demo import create_demo
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Client, Identity
from tests.modules.auctions.auction_support import SEALED, LotProbe
from tests.sdk.lying_proxy import HonestHeaders


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("auctionnode"))
    create_demo(home, free_port())
    register(LotProbe)
    nt = NodeThread(home, anonymous_reads=False, heartbeat=0.5)
    nt.start()
    yield nt.node
    nt.stop()
    REGISTRY.pop(LotProbe.name, None)


def test_sealed_bids_through_the_sdk(node):
    ids = {n: Identity.load(node.home, n) for n in ("bank2", "bank", "amc", "investor1", "regulator")}
    with Client(node.url, identity=ids["regulator"]) as c:
        now = c.now_ms() // 1000
        terms = dict(SEALED, start=now, end=now + 60, reveal_end=now + 3600, settlement_bank=ids["bank"].org_id)
        r = c.submit(ids["bank2"], "lot_probe", "list_lot", lot="API-1", terms=terms)
        assert r.ok, r
        aid = r.result["auction"]
        salts = {}
        for name, price in (("amc", 1_300_000), ("investor1", 1_200_000)):
            assert c.submit(ids[name], "auctions", "register", auction=aid).ok
            assert c.submit(ids["bank"], "auctions", "confirm_margin", auction=aid, bidder=ids[name].org_id,
                            bank_ref=f"M-{name}").ok
            receipt, salts[name] = c.commit_bid(ids[name], aid, price)
            assert receipt.ok, receipt
            assert len(salts[name]) == 32
        # on the record: digests only
        c.trust = HonestHeaders(node.url, ids["regulator"])
        seen = c.verified("auctions", "auction", id=aid)
        assert [b["price"] for b in seen.bids] == [None, None] and len(seen.margins) == 2
        early = c.reveal_bid(ids["amc"], aid, 1_300_000, salts["amc"])
        assert early.code == "invalid_state"
        c.advance_time(61)
        assert c.reveal_bid(ids["amc"], aid, 1_300_001, salts["amc"]).code == "bad_request"
        assert c.reveal_bid(ids["amc"], aid, 1_300_000, salts["amc"]).ok
        assert c.reveal_bid(ids["investor1"], aid, 1_200_000, salts["investor1"]).ok
        c.advance_time(3600)
        c.submit(ids["amc"], "auctions", "register", auction=aid)  # any later block; refused, closed
        rec = c.query("auctions", "auction", id=aid)["auction"]
        assert (rec["status"], rec["winner"], rec["price"]) == ("AWARDED", ids["amc"].org_id, 1_300_000)
