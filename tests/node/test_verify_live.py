"""`fae verify` beside a node that is committing: one consistent snapshot, no false alarms.

Issue 24: beside a node committing ~20 tx/s, verification reported "committed blocks were
lost" on every run — it checked the chain in one read snapshot, then read the head mark
(written after each commit) afresh, which by then named blocks the snapshot did not hold.
Here the node commits a block *while* verification walks the chain (from its progress
callback), deterministically: the mark then runs ahead of the snapshot, and the report must
still be clean.
"""

from __future__ import annotations

import dataclasses

from faechain.cli.verify import open_readonly_store
from faechain.core.genesis import Genesis
from faechain.devnet.demo import MEMBERS, create_demo, demo_org_id
from faechain.ledger.integrity import HeadMark
from faechain.node.config import NodeConfig, paths
from faechain.node.node import Node
from faechain.node.verify import verify_store


def org(name: str) -> str:
    return demo_org_id([m.name for m in MEMBERS].index(name) + 1)


def test_verify_beside_a_committing_node_reads_one_snapshot(tmp_path):
    home = str(tmp_path / "home")
    create_demo(home)
    node = Node(home, dataclasses.replace(NodeConfig.load(home), verify_workers=0))
    node.engine.start()
    try:
        for i in range(3):
            assert node.submit_as("exchange", "membership", "set_attributes",
                                  {"org_id": org("investor4"), "attributes": {"round": i}}).ok
        db = paths(home)["db"]
        mark = HeadMark(db)
        store = open_readonly_store(db)
        committed: list[int] = []

        def commit_meanwhile(height: int) -> None:
            if not committed:  # the node commits two more blocks while the walk is under way
                for i in range(2):
                    r = node.submit_as("exchange", "membership", "set_attributes",
                                       {"org_id": org("investor4"), "attributes": {"later": i}})
                    assert r.ok, r
                committed.append(node.app.height)

        genesis = Genesis.load(paths(home)["genesis"])
        report = verify_store(store, genesis, mark=mark, engine="solo", progress=commit_meanwhile)
        assert committed, "the node never committed during verification"
        assert mark.read()[0] == committed[0] > report.head  # the race really happened
        assert report.ok, [str(f) for f in report.findings]
        # and a fresh run, after the node has gone quiet, sees the new blocks
        again = verify_store(open_readonly_store(db), genesis, mark=mark, engine="solo")
        assert again.ok and again.head == committed[0]
    finally:
        node.close()
