"""The explorer's search (`GET /console/api/search?q=`, faechain/console/search.py) on a seeded demo
node, through HTTP as the console calls it: organisations by name (any part, any case, Chinese or
Latin) or code, records by id or its beginning, blocks by height, blocks and transactions by hash
prefix, refused texts — and what two competing members (two banks, two suppliers) are told: a
record one may not read is answered exactly as one that does not exist. Also the signer, in words,
on every transaction the explorer lists."""

from __future__ import annotations

import os
import urllib.parse

import pytest

from faechain.cli.demo import seed_node
from faechain.console import search
from faechain.devnet.demo import create_demo, demo_org_id, demo_org_ids
from faechain.identity.ca import create_org_ca
from faechain.node.config import paths
from faechain.node.testing import NodeThread, free_port
from tests.console.test_console_server import Http

ORG = demo_org_ids()
CHINESE_ORG = demo_org_id(90)
CHINESE_NAME = "北京中关村测试银行股份有限公司"


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("searchnode"))
    create_demo(home, free_port())
    nt = NodeThread(home, heartbeat=1.0)  # the demo's config: anonymous reads as a non-member
    nt.start()
    seed_node(nt.node)
    ca = create_org_ca(os.path.join(paths(home)["ca"], "zgc"), CHINESE_ORG, CHINESE_NAME, "BANK")
    assert nt.node.submit_as("exchange", "membership", "admit", {"org_id": CHINESE_ORG, "name": CHINESE_NAME,
                                                                   "type": "BANK", "ca": ca.cert_der}).ok
    yield nt.node
    nt.stop()


@pytest.fixture(scope="module")
def as_member(node):
    clients: dict[str, Http] = {}

    def get(name: str | None) -> Http:
        if name not in clients:
            c = Http(node)
            if name is not None:
                assert c.sign_in(name)[0] == 200
            clients[name] = c
        return clients[name]

    return get


def find(client: Http, text: str) -> dict:
    status, doc = client.call("GET", "/console/api/search?q=" + urllib.parse.quote(text))
    assert status == 200, doc
    return doc


def group(doc: dict, kind: str) -> list[dict]:
    return next((g["items"] for g in doc["groups"] if g["kind"] == kind), [])


def ids(doc: dict, kind: str) -> list[str]:
    return [i.get("id", i.get("hash")) for i in group(doc, kind)]


def bare(doc: dict) -> dict:
    """The answer without the moment it was read at (the head)."""
    return {k: v for k, v in doc.items() if k != "height"}


def stored_ids(node, prefix: str) -> list[str]:
    """The ids of the records under `prefix` (ids of vouchers, plans, products carry the height they
    were made at, which the demo's heartbeat blocks move from run to run: read, not written down)."""
    return [k.decode()[len(prefix):] for k, _ in node.store.scan_prefix(prefix.encode())
            if "/" not in k.decode()[len(prefix):]]


def first_tx(node, contract: bytes, method: bytes) -> tuple[int, bytes]:
    for height in range(1, node.app.height + 1):
        for _, tx_hash, env, _ in node.store.block_txs(height):
            if contract in env and method in env:
                return height, tx_hash
    raise AssertionError(f"no {method!r} transaction")


# -- organisations ----------------------------------------------------------------------------------
def test_organisations_by_any_part_of_their_name_in_any_case_or_by_code(as_member):
    bank2 = as_member("bank2")
    for text in ("capital", "CAPITAL commercial", "Commercial Bank", "ｃａｐｉｔａｌ"):  # full-width too
        assert ORG["bank"] in ids(find(bank2, text), "org"), text
    whole = find(bank2, "capital commercial bank")
    assert group(whole, "org") == [{"id": ORG["bank"], "name": "Capital Commercial Bank", "type": "BANK",
                                     "status": "ACTIVE", "exact": True}]
    for text in ("中关村", "测试银行", CHINESE_NAME):
        assert ids(find(bank2, text), "org") == [CHINESE_ORG], text
    assert ids(find(bank2, ORG["factor"]), "org") == [ORG["factor"]]
    assert group(find(bank2, ORG["factor"].lower()), "org")[0]["exact"]
    many = find(bank2, "91110000MA00000")  # every demo organisation's code starts so: 20 of them
    [orgs] = [g for g in many["groups"] if g["kind"] == "org"]
    assert len(orgs["items"]) == search.PER_GROUP and orgs["more"] is True
    assert find(bank2, "no such company")["groups"] == []


# -- records by id ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, prefix", search.ID_KINDS)
def test_records_by_id_or_its_beginning_in_any_case(node, as_member, kind, prefix):
    reg = as_member("regulator")
    stored = stored_ids(node, prefix)
    assert stored, prefix
    for rid in stored:
        [found] = [i for i in group(find(reg, rid.lower()), kind) if i["id"] == rid]  # ids are upper case
        assert found["exact"], found
        by_beginning = ids(find(reg, rid[:-2]), kind)
        assert rid in by_beginning and set(by_beginning) <= set(stored), (rid, by_beginning)


def test_one_text_may_name_several_kinds(node, as_member):
    reg = as_member("regulator")
    [package] = stored_ids(node, "npa/package/")
    assert ids(find(reg, "PK"), "package") == [package] and not group(find(reg, "PK"), "plan")
    both = find(reg, "13")  # a height, and a part of a name ("Individual investor 0013"): two groups
    assert [g["kind"] for g in both["groups"]] == ["org", "block"] and ids(both, "org") == [ORG["investor3"]]
    assert len(ids(find(reg, "0110026"), "invoice")) == len(stored_ids(node, "receivables/invoice/"))  # all seeded
    assert find(reg, "V-99999")["groups"] == []


# -- heights and hashes -----------------------------------------------------------------------------
def test_blocks_by_height_and_by_hash_prefix(node, as_member):
    bank2 = as_member("bank2")
    [b] = group(find(bank2, "5"), "block")
    block_hash = node.store.block(5)[0].hex()
    assert b == {"height": 5, "hash": block_hash, "time": b["time"], "txs": node.store.tx_count(5), "exact": True}
    assert group(find(bank2, str(node.app.height + 1000)), "block") == []
    for text in (block_hash[:8], block_hash[:8].upper(), "0x" + block_hash[:10], block_hash):
        assert 5 in [i["height"] for i in group(find(bank2, text), "block")], text
    assert group(find(bank2, block_hash), "block")[0]["exact"]


def test_transactions_by_hash_prefix(node, as_member):
    height, tx_hash = first_tx(node, b"membership", b"admit")
    reg = as_member("regulator")
    [tx] = [i for i in group(find(reg, tx_hash.hex()[:6]), "tx") if i["hash"] == tx_hash.hex()]
    assert tx["height"] == height and tx["contract"] == "membership" and tx["method"] == "admit"
    assert tx["signer_org"] == ORG["exchange"] and tx["signer_org_name"] == "Beijing Financial Assets Exchange"
    assert tx["signer_name"] and tx["time"] == group(find(reg, str(height)), "block")[0]["time"]
    assert not tx["exact"] and group(find(reg, tx_hash.hex()), "tx")[0]["exact"]
    assert find(reg, "0x" + tx_hash.hex()[:7].upper())["groups"]  # odd length, upper case, 0x: the same


# -- refused texts ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text, reason", [
    ("", "empty"), ("   ", "empty"), ("x", "too_short"), ("0x12ab", "too_short"), ("0xabcdeg", "not_hex"),
    ("g" + "a" * 63, "not_hex"), ("a" * 129, "too_long"),
])
def test_bad_text_is_refused_with_a_reason(as_member, text, reason):
    status, doc = as_member("bank2").call("GET", "/console/api/search?q=" + urllib.parse.quote(text))
    assert status == 400 and doc["code"] == "bad_request" and doc["reason"] == reason, doc
    assert len(doc["message"]) > 20  # a sentence a person can act on


def test_a_few_hex_digits_are_searched_as_text_and_the_answer_says_a_hash_needs_six(as_member):
    doc = find(as_member("bank2"), "ab12")
    assert doc["notes"] == ["short_hex"] and doc["groups"] == []


# -- confidentiality: competing members ------------------------------------------------------------------
@pytest.mark.parametrize("reader, rival, record", [
    ("bank", "bank2", "plans/plan/"),  # the plan the first bank settles
    ("bank", "bank2", "products/product/"),  # the product it settles
    ("bank", "bank2", "receivables/invoice/011002600111-04512876"),  # an invoice pooled in that plan
    ("supplier2", "supplier1", "receivables/invoice/011002600222-00093511"),  # each supplier's own invoice
    ("supplier1", "supplier2", "receivables/invoice/011002600111-04512877"),
])
def test_a_record_the_reader_may_not_read_is_answered_as_one_that_does_not_exist(node, as_member, reader, rival,
                                                                                  record):
    prefix, _, hidden = record.rpartition("/")
    if not hidden:
        [hidden] = stored_ids(node, record)
    absent = hidden[:-1] + ("9" if hidden[-1] != "9" else "8")  # one nobody made, of the same shape
    assert absent not in stored_ids(node, prefix + "/")
    assert hidden in [i["id"] for g in find(as_member(reader), hidden)["groups"] for i in g["items"]]
    other = as_member(rival)
    for cut in (len(hidden), len(hidden) - 2):  # the whole id, and its beginning
        assert bare(find(other, hidden[:cut])) == bare(find(other, absent[:cut])), (rival, hidden[:cut])
    assert find(other, hidden)["groups"] == []
    anonymous = as_member(None)
    assert find(anonymous, hidden)["groups"] == [] and bare(find(anonymous, hidden)) == bare(find(anonymous, absent))


@pytest.mark.parametrize("member", ["supplier1", "supplier2", "supplier3", "core2", "bank", "bank2", "factor"])
def test_search_finds_exactly_the_vouchers_the_voucher_query_shows_the_member(node, as_member, member):
    """Search follows the reader's view as the business query does: of every voucher on the chain,
    it lists those `receivables.voucher` answers for this member, and no other."""
    client = as_member(member)
    readable = sorted(v for v in stored_ids(node, "receivables/voucher/")
                      if client.call("POST", "/console/api/query/receivables/voucher", {"id": v})[0] == 200)
    found = find(client, "V-")
    assert sorted(ids(found, "voucher")) == readable[:search.PER_GROUP]
    for v in readable:
        assert v in ids(find(client, v), "voucher")


def test_what_a_rival_learns_of_a_transaction_is_what_every_block_shows(node, as_member):
    """The first bank's credit line: its bank sees the call and who signed it; the other bank finds
    the transaction by hash (every block lists it) but learns nothing of it."""
    height, tx_hash = first_tx(node, b"receivables", b"grant_credit")
    [seen] = group(find(as_member("core"), tx_hash.hex()), "tx")
    assert seen["method"] == "grant_credit" and seen["signer_org"] in (ORG["core"], ORG["bank"])
    [held] = group(find(as_member("bank2"), tx_hash.hex()), "tx")
    assert held["withheld"] is True and held["height"] == height
    assert not {"contract", "method", "code", "signer", "signer_name", "signer_org", "signer_org_name"} & set(held)
    assert "grant_credit" not in str(find(as_member("bank2"), tx_hash.hex()[:6]))


def test_an_anonymous_reader_finds_blocks_and_hashes_only(node, as_member):
    anonymous = as_member(None)
    assert find(anonymous, "capital")["groups"] == []  # organisations are members' records
    assert [b["height"] for b in group(find(anonymous, "5"), "block")] == [5]
    _, tx_hash = first_tx(node, b"membership", b"admit")
    [tx] = group(find(anonymous, tx_hash.hex()), "tx")
    assert tx["withheld"] and "method" not in tx


# -- the signer, in words, on every listed transaction -------------------------------------------------
def test_blocks_and_transactions_name_their_signers(node, as_member):
    height, tx_hash = first_tx(node, b"membership", b"admit")
    status, block = as_member("bank2").call("GET", f"/console/api/blocks/{height}")
    [tx] = [t for t in block["txs"] if t["hash"] == tx_hash.hex()]
    assert tx["signer_org"] == ORG["exchange"] and tx["signer_org_name"] == "Beijing Financial Assets Exchange"
    assert tx["signer_name"] == "exchange"
    status, latest = as_member("bank2").call("GET", "/console/api/blocks?limit=100")
    assert all("signer_org" in t for b in latest["blocks"] for t in b["txs"] if not t.get("withheld"))
    status, doc = as_member("bank2").call("GET", f"/console/api/txs/{tx_hash.hex()}")
    assert (doc["signer_name"], doc["signer_org"], doc["signer_org_name"]) == (
        "exchange", ORG["exchange"], "Beijing Financial Assets Exchange")
    _, line = first_tx(node, b"receivables", b"grant_credit")
    status, doc = as_member("bank2").call("GET", f"/console/api/txs/{line.hex()}")
    assert doc["withheld"] and "signer_org_name" not in doc


# -- bounded: every hash lookup is a range on an index ----------------------------------------------------
@pytest.mark.parametrize("sql", [search.BLOCKS_BY_HASH, search.TXS_BY_HASH, search.WITHHELD_BY_HASH])
def test_hash_lookups_read_a_range_of_an_index_not_the_table(node, sql):
    plan = " ".join(str(r[-1]) for r in node.store.read.execute("EXPLAIN QUERY PLAN " + sql, (b"\0", b"\1", 11)))
    assert "USING" in plan and ("INDEX" in plan or "PRIMARY KEY" in plan) and "hash>?" in plan.replace(" ", ""), plan



@pytest.mark.parametrize("raw", ["%ED%A0%80", "%00%00", "%FF%FE", "V-%00", "%E4%B8%AD" * 40, "q&q=x"])
def test_odd_bytes_are_answered_or_refused_never_a_server_error(as_member, raw):
    status, doc = as_member("bank2").call("GET", "/console/api/search?q=" + raw)
    assert status in (200, 400), doc
