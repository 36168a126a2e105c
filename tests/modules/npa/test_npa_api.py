"""NPA through a real node's HTTP API: the demo package seeded by `fae demo` (a finished English
auction, NOTICED), its life proven and checked by the SDK, the data room in the vault read by
parties and by bidders after a logged view, and the rest of its life to CLOSED over HTTP."""

from __future__ import annotations

import hashlib

import pytest

from faechain.cli.demo import seed_node
from faechain.devnet.demo import create_demo
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import ApiError, Client
from tests.conftest import wallet
from tests.sdk.lying_proxy import HonestHeaders

STATES = ["DRAFT", "DUE_DILIGENCE", "APPROVED", "LISTED", "BIDDING", "AWARDED", "CONTRACTED", "PAID", "DELIVERED",
          "NOTICED"]


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("npanode"))
    create_demo(home, free_port())
    nt = NodeThread(home, anonymous_reads=False, heartbeat=1.0)
    nt.start()
    ran = seed_node(nt.node)
    assert ran[:3] == ["receivables", "plans", "npa"]
    yield nt.node
    nt.stop()


@pytest.fixture(scope="module")
def who(node):
    return wallet(node.home)


@pytest.fixture(scope="module")
def demo_package(node, who) -> dict:
    with Client(node.url, identity=who("regulator")) as c:
        [package] = c.query("npa", "packages", seller=who("bank2").org_id)
    return package


def test_the_demo_package_was_sold_in_a_finished_english_auction(node, who, demo_package):
    assert demo_package["status"] == "NOTICED" and demo_package["winner"] == who("amc").org_id
    with Client(node.url, identity=who("investor2"), trust=HonestHeaders(node.url, who("investor2"))) as c:
        life = c.query("npa", "life", package=demo_package["id"], prove=True)  # a member with no part in it
        proven = c.verified("npa", "life", package=demo_package["id"])
        assert len(proven.versions) == len(life["versions"]) and not proven.documents_complete
        auction = c.query("auctions", "auction", id=demo_package["auction"])
    statuses = []
    for v in life["versions"]:
        if not statuses or statuses[-1] != v["value"]["status"]:
            statuses.append(v["value"]["status"])
    assert statuses == STATES == [s for s, _, _ in life["package"]["log"]]
    deal = life["package"]["deal"]
    assert deal["price"] == 4_600_000_00 and deal["payment"]["bank_ref"] == "CCB-NPL-20261127-0007"
    assert auction["auction"]["status"] == "SETTLED" and auction["auction"]["winner"] == who("amc").org_id
    assert [b["price"] for b in auction["bids"]] == [4_500_000_00, 4_600_000_00]
    assert [lv["loan"]["principal"] for lv in life["loans"]] == [5_200_000_00, 3_100_000_00, 1_350_000_00]
    # the stranger sees the data room and the notice, not the contract or the delivery note
    assert {d["kind"] for d in life["documents"]} == {"loan_file", "valuation", "due_diligence", "notice"}


def test_data_room_documents_download_to_parties_and_to_bidders_who_logged_a_view(node, who, demo_package):
    with Client(node.url, identity=who("regulator")) as c:
        docs = {d["kind"]: d for d in c.query("npa", "documents", package=demo_package["id"])}
        views = c.query("npa", "views", package=demo_package["id"])
    assert [(v["org"], v["hash"]) for v in views] == [(who("investor1").org_id, docs["loan_file"]["hash"])]
    for name in ("bank2", "lawfirm", "amc", "exchange", "regulator"):
        with Client(node.url, identity=who(name)) as c:
            for d in docs.values():
                data = c.download_document(None, "npa", d["hash"])
                assert hashlib.sha256(data).hexdigest() == d["hash"] and len(data) == d["size"], (name, d["kind"])
    with Client(node.url, identity=who("investor1")) as c:  # the losing bidder: what it logged, and the notice
        assert c.download_document(None, "npa", docs["loan_file"]["hash"]).startswith(b"loan_no,")
        c.download_document(None, "npa", docs["notice"]["hash"])
        # a data-room document it did not log: 403 (its record is every member's); a deal document: 404, its
        # record not the bidder's to know of either (docs/confidentiality.md)
        for kind, status in (("valuation", 403), ("contract", 404)):
            with pytest.raises(ApiError) as err:
                c.download_document(None, "npa", docs[kind]["hash"])
            assert err.value.status == status, kind
    with Client(node.url, identity=who("investor3")) as c, pytest.raises(ApiError) as err:
        c.download_document(None, "npa", docs["loan_file"]["hash"])
    assert err.value.status == 403


def test_the_buyer_and_the_inspector_finish_the_packages_life_over_http(node, who, demo_package):
    package = demo_package["id"]
    amc, exchange, inspector = who("amc"), who("exchange"), who("underwriter")
    with Client(node.url, identity=amc) as c:
        ruling = b"Tianjin No.2 Intermediate Court: Huabei AMC substituted as applicant for enforcement\n"
        up = c.upload_document(None, "npa", package, ruling)
        assert c.submit(amc, "npa", "register_document", package=package, hash=up["hash"], kind="court",
                        name="ruling on the change of applicant", size=len(ruling), media_type="text/plain").ok
        r = c.submit(amc, "npa", "record_disposition", package=package, kind="litigation_party_change",
                     description="substituted as applicant for enforcement", documents=[up["hash"]],
                     loan="BHRB-TJ-2021-0417")
        assert r.ok, r
        assert [e["type"] for e in r.events] == ["DispositionRecorded"]
        with pytest.raises(ApiError) as err:  # an inspector not yet appointed cannot add documents
            c.upload_document(inspector, "npa", package, b"early report")
        assert err.value.status == 403
        assert c.submit(exchange, "npa", "assign_inspector", package=package, inspector=inspector.org_id).ok
        report = b"Inspection of the post-transfer disposition: in order\n"
        up = c.upload_document(inspector, "npa", package, report)
        assert c.submit(inspector, "npa", "register_document", package=package, hash=up["hash"], kind="inspection",
                        name="inspection report", size=len(report)).ok
        assert c.submit(inspector, "npa", "inspect", package=package, result="compliant", report_hash=up["hash"]).ok
        assert c.submit(exchange, "npa", "close", package=package).ok
        p = c.query("npa", "package", id=package)["package"]
        assert p["status"] == "CLOSED"
        mine = c.query("npa", "loans", owner=amc.org_id)
        assert sorted(x["loan_no"] for x in mine) == sorted(["BHRB-TJ-2021-0417", "BHRB-TJ-2022-0093",
                                                             "BHRB-TJ-2020-1128"])
        with pytest.raises(ApiError) as err:  # closed: nothing more is stored for it
            c.upload_document(None, "npa", package, b"after the close")
        assert err.value.code == "invalid_state"
