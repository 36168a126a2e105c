"""The governance sample of `fae demo` on a real node: the new member admitted by vote signs
from the demo wallet, the threshold vote reached supervision, and one proposal is still open."""

from __future__ import annotations

import os

import pytest

from faechain.cli.demo import seed_node
from faechain.devnet.demo import MEMBERS, create_demo, demo_org_id
from faechain.modules.governance.records import need_for
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Client, Identity


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("govdemo"))
    create_demo(home, free_port())
    nt = NodeThread(home, anonymous_reads=False, heartbeat=1.0)
    nt.start()
    ran = seed_node(nt.node)
    assert ran[-1] == "governance"
    yield home, nt.node
    nt.stop()


def test_the_demo_admits_a_member_by_vote_and_its_wallet_identity_signs(seeded):
    home, node = seeded
    factor2 = Identity.load(home, "factor2")  # the new member's identity is in the demo wallet
    assert factor2.org_id == demo_org_id(len(MEMBERS) + 1) and os.path.exists(os.path.join(home, "ca", "factor2"))
    client = Client(node.url, identity=factor2)
    org = client.query("membership", "org", org_id=factor2.org_id)
    assert org["status"] == "ACTIVE" and org["type"] == "FACTOR"
    assert client.query("membership", "whoami")["org_id"] == factor2.org_id
    [executed] = client.query("governance", "proposals", kind="admit_org")
    assert executed["status"] == "EXECUTED" and executed["yes"] == need_for(len(MEMBERS))
    assert len(executed["electorate"]) == len(MEMBERS)
    # a member like any other: it signs, and votes on what is proposed after it joined
    r = client.submit(factor2, "governance", "propose", kind="set_validator",
                      params={"pub_key": "ab" * 32, "power": 1, "org_id": factor2.org_id})
    assert r.ok, (r.code, r.message)
    assert client.submit(factor2, "governance", "vote", proposal=r.result["proposal"], approve=False).ok


def test_the_demo_threshold_vote_reached_supervision(seeded):
    home, node = seeded
    client = Client(node.url, identity=Identity.load(home, "regulator"))
    [done] = client.query("governance", "proposals", kind="set_threshold", status="EXECUTED")
    assert done["params"] == {"rule": "large_transfer", "value": 5_000_000_00}
    [pending] = client.query("governance", "proposals", kind="set_threshold", status="OPEN")
    assert (pending["yes"], pending["no"]) == (3, 1) and pending["params"]["rule"] == "holders_near_limit"
    rules = client.query("supervision", "rules")
    assert rules["large_transfer"]["value"] == 5_000_000_00 and rules["holders_near_limit"]["value"] == 180
