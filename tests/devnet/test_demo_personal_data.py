"""The demo leaks no one: after `fae demo`'s whole sample business, no natural person's name or ID number
(the individual investors', the individual borrower's, the guarantor's) is anywhere in the ledger — not in
a state value, a transaction envelope, a receipt, an event, a block, an index or genesis — while the vault
holds each person's document and the regulator reads every one of them back, checked against its
commitment."""

from __future__ import annotations

import os

import pytest

from faechain.cli.demo import seed_node
from faechain.core.encoding import decode
from faechain.devnet.demo import create_demo
from faechain.devnet.samples import membership as membership_sample
from faechain.devnet.samples import npa as npa_sample
from faechain.node.config import paths
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Client
from faechain.sdk.personal import read_personal_data
from tests.conftest import SUITE_NOW, wallet

PEOPLE = membership_sample.PEOPLE + npa_sample.PEOPLE
SECRETS = sorted({s for p in PEOPLE for s in (p.name, p.id_number)})


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("demo-pii"))
    create_demo(home, free_port(), now=SUITE_NOW)
    nt = NodeThread(home, heartbeat=1.0)
    nt.start()
    ran = seed_node(nt.node)
    assert {"membership", "npa", "products"} <= set(ran)
    yield nt
    nt.stop()


def hits(blob: bytes) -> list[str]:
    return [s for s in SECRETS if s.encode() in blob]


def test_the_demo_has_natural_persons_at_all():
    assert len(PEOPLE) == 4 and {p.id_type for p in PEOPLE} == {"resident_id"}


def test_no_name_or_id_number_of_a_person_is_anywhere_in_the_ledger(demo):
    store = demo.node.store
    tables = [t for (t,) in store.read.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert {"kv", "txs", "blocks", "events", "meta"} <= set(tables), tables
    scanned = 0
    for table in tables:
        for row in store.read.execute(f'SELECT * FROM "{table}"'):  # every column of every row
            for value in row:
                blob = value if isinstance(value, bytes) else str(value).encode()
                assert not hits(blob), (table, hits(blob), row[:3])
                scanned += 1
    assert scanned > 10_000  # the whole sample business, not an empty ledger
    # and every byte of the database files (pages of tables and indexes alike) and of genesis
    p = paths(demo.node.home)
    for path in (p["db"], p["db"] + "-wal", p["genesis"]):
        if os.path.exists(path):
            with open(path, "rb") as f:
                assert not hits(f.read()), path


def test_tx_envelopes_receipts_and_events_decoded_name_no_one(demo):
    with Client(demo.node.url, identity=wallet(demo.node.home)("regulator")) as c:
        head = c.info()["height"]
        seen = 0
        for h in range(1, head + 1):
            block = c.block(h)
            assert not hits(repr(block).encode()), h
            for tx in block.get("txs", []):
                full = c.tx(tx["hash"] if isinstance(tx, dict) else tx)
                assert not hits(repr(full).encode()), (h, full.get("method"))
                seen += 1
        assert seen > 100


def test_the_vault_holds_each_person_and_the_regulator_reads_them_back(demo):
    node = demo.node
    # the control: the same scan finds every secret in the vault, so it would have found a leak
    found: set[str] = set()
    for folder, _, names in os.walk(node.vault.root):
        for name in names:
            with open(os.path.join(folder, name), "rb") as f:
                found.update(hits(f.read()))
    assert found == set(SECRETS)
    # the commitments the chain holds name exactly the demo's people (and the two company borrowers)
    commitments = [decode(v)["person"] for k, v in node.store.scan_prefix(b"membership/org/", None, -1)
                   if "person" in decode(v)]
    loans = [decode(v) for _, v in node.store.scan_prefix(b"npa/loan/", None, -1)]
    npa_commitments = [c for loan in loans for c in [loan["borrower"], *loan["guarantors"]]]
    who = wallet(node.home)
    with Client(node.url, identity=who("regulator")) as reg:
        members = {read_personal_data(reg, "membership", c) for c in commitments}
        borrowers = {read_personal_data(reg, "npa", c) for c in npa_commitments}
    assert members == set(membership_sample.PEOPLE)
    assert borrowers == set(npa_sample.BORROWERS.values()) | set(npa_sample.GUARANTORS["BHRB-TJ-2021-0417"])
    # the individual reads its own, another investor does not
    mine = next(c for k, v in node.store.scan_prefix(b"membership/org/", None, -1)
                if decode(v)["id"] == who("investor3").org_id for c in [decode(v)["person"]])
    with Client(node.url, identity=who("investor3")) as me:
        assert read_personal_data(me, "membership", mine) == membership_sample.INDIVIDUALS["investor3"]
    with Client(node.url, identity=who("investor1")) as other:
        with pytest.raises(Exception) as e:
            read_personal_data(other, "membership", mine)
        assert getattr(e.value, "code", None) == "not_found"
