"""Plans through a real node's HTTP API: the demo plan seeded with its documents in the vault,
penetration verified by the SDK in one call, vault access by plan party, the OVERDUE alert
on the event stream."""

from __future__ import annotations

import hashlib

import pytest

from faechain.cli.demo import seed_node
from faechain.devnet.demo import create_demo
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import ApiError, Client
from tests.conftest import wallet
from tests.sdk.lying_proxy import HonestHeaders


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("plansnode"))
    create_demo(home, free_port())
    nt = NodeThread(home, anonymous_reads=False, heartbeat=1.0)
    nt.start()
    ran = seed_node(nt.node)
    assert ran[:2] == ["receivables", "plans"]
    yield nt.node
    nt.stop()


@pytest.fixture(scope="module")
def who(node):
    return wallet(node.home)


@pytest.fixture(scope="module")
def demo_plan(node, who) -> dict:
    with Client(node.url, identity=who("regulator")) as c:
        [plan] = c.query("plans", "plans", status="OUTSTANDING")
    return plan


def test_the_demo_plan_penetrates_and_verifies_in_one_call(node, who, demo_plan):
    with Client(node.url, identity=who("investor1"), trust=HonestHeaders(node.url, who("investor1"))) as c:
        seen = c.penetrate(demo_plan["id"])
    assert seen.ok, seen.problems
    tree = seen.tree
    assert tree["plan"]["status"] == "OUTSTANDING" and tree["plan"]["issued"] == 5_000_000_00
    voucher, invoice = tree["assets"]
    assert voucher["voucher"]["amount"] == 5_000_000_00 and voucher["voucher"]["locked_by"] == "plans"
    assert [i["id"] for i in voucher["invoices"]] == ["011002600111-04512876", "011002600111-04512877"]
    assert invoice["invoice"]["id"] == "011002600111-04512877"
    assert len(tree["documents"]) == 6 and len(tree["cash_flows"]) == 1
    assert {d["kind"] for d in tree["disclosures"]} == {"initial", "periodic", "major_event"}
    # a reader that is no party to the plan cannot see through it: to it, the plan is not found
    with Client(node.url, identity=who("investor3"), trust=HonestHeaders(node.url, who("investor3"))) as c, \
            pytest.raises(ApiError) as err:
        c.penetrate(demo_plan["id"])
    assert err.value.code == "not_found"


def test_plan_documents_download_to_parties_only_and_always_match_their_hash(node, who, demo_plan):
    with Client(node.url, identity=who("regulator")) as c:
        docs = c.query("plans", "plan", id=demo_plan["id"])["documents"]
    assert len(docs) == 6
    for name in ("investor2", "regulator", "underwriter", "factor"):
        with Client(node.url, identity=who(name)) as c:
            for d in docs:
                data = c.download_document(None, "plans", d["hash"])
                assert hashlib.sha256(data).hexdigest() == d["hash"] and len(data) == d["size"]
    for name in ("investor3", "supplier2", "core"):  # 404, as for a hash never recorded
        with Client(node.url, identity=who(name)) as c, pytest.raises(ApiError) as err:
            c.download_document(None, "plans", docs[0]["hash"])
        assert err.value.status == 404, name


def test_a_party_uploads_registers_and_supersedes_a_document(node, who, demo_plan):
    plan = demo_plan["id"]
    factor = who("factor")
    with Client(node.url, identity=factor) as c:
        v1 = b"servicer report, November\n"
        up = c.upload_document(None, "plans", plan, v1)
        assert up["stored"] is True
        r = c.submit(factor, "plans", "register_document", plan=plan, hash=up["hash"], kind="report",
                     name="servicer report 2026-11", size=len(v1), media_type="text/plain")
        assert r.ok, r
        v2 = b"servicer report, November (corrected)\n"
        up2 = c.upload_document(None, "plans", plan, v2)
        assert c.submit(factor, "plans", "register_document", plan=plan, hash=up2["hash"], kind="report",
                        name="servicer report 2026-11 (corrected)", size=len(v2), supersedes=up["hash"]).ok
        # the first stays on record and downloadable, marked superseded
        assert c.query("plans", "document", hash=up["hash"])["superseded_by"] == up2["hash"]
        assert c.download_document(None, "plans", up["hash"]) == v1
    with Client(node.url, identity=who("investor1")) as c, pytest.raises(ApiError) as err:
        c.upload_document(None, "plans", plan, b"an investor cannot add documents")
    assert err.value.status == 403
    with Client(node.url, identity=who("underwriter")) as c, pytest.raises(ApiError) as err:
        c._ok(*c._call("PUT", f"/v1/vault/{'0' * 64}?scope=plans&subject={plan}", b"these bytes hash elsewhere",
                       content_type="application/octet-stream", sign=who("underwriter")))
    assert err.value.code == "hash_mismatch"


def test_an_overdue_disclosure_reaches_the_regulator_on_the_event_stream(node, who, demo_plan):
    plan = demo_plan["id"]
    with Client(node.url, identity=who("regulator")) as c:
        now = c.now_ms() // 1000
        r = c.submit(who("underwriter"), "plans", "schedule_disclosure", plan=plan, kind="periodic",
                     title="monthly servicer report", due=now + 3600)
        assert r.ok, r
        item = r.result["item"]
        c.advance_time(2 * 3600)
        c.submit(who("exchange"), "membership", "set_attributes", org_id=who("investor3").org_id,
                 attributes={"qualified": True})  # any block after the due time
        for e in c.events(from_height=r.height, contract="plans", type="DisclosureOverdue", blocks=False):
            if e["attrs"]["plan"] == plan and e["attrs"]["item"] == item:
                assert e["attrs"]["underwriter"] == who("underwriter").org_id
                break
        overdue = c.query("plans", "disclosures", status="OVERDUE")
        assert [(d["plan"], d["n"]) for d in overdue] == [(plan, item)]
