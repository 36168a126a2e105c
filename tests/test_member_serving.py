"""What a member node serves its organisation's readers (docs/member-nodes.md, "What it serves"):
the same REST API, console and event stream as a full node, each answer the validator's answer to
the same reader — over the seeded demo ledger of the confidentiality crawl (tests/test_confidentiality.py),
followed by member nodes of investor1 and supplier3.

  * the event stream (`GET /v1/events`, the SDK's `Client.events`) carries the reader's contract events
    with the validator's attrs, withheld transactions' codes null; a block committed after subscribing
    arrives on the member node's stream as on the validator's;
  * the console signs the member's wallet identity in with one click (a dev chain on loopback) and its
    explorer answers as the validator's console answers the same member;
  * `GET /v1/blocks/{h}` (also `?raw=true`) and `GET /v1/txs/{hash}` answer field by field as on the
    validator;
  * a vault document the organisation may read is fetched from the validator (its `vault_peers`) and
    served; one it may not read is refused, and never fetched.

Six differences this found were mended (the end-of-block record a member holds only part of, the
stream history's codes, the console's withheld and own transactions, records only made readable
listed as writes, the console's queries relayed like the API's); their tests now hold as written.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import test_member_nodes
from test_confidentiality import DAY, YUAN, Site
from test_member_nodes import member_home, wait_until

from faechain.member.node import MemberNode
from faechain.node.testing import NodeThread
from faechain.sdk import ApiError, Client

WHO = ("investor1", "supplier3")  # each runs a member node; both see some transactions, not all
PROSPECTUS = b"leak test plan prospectus\n"  # stored by _record_secrets for investor1's plan

site = test_member_nodes.site  # the seeded demo validator of tests/test_member_nodes.py (a module fixture)


# -- fixtures ------------------------------------------------------------------------------------------


def mixed_block(s: Site, tag: str) -> tuple[int, dict[str, int]]:
    """One block of three transactions: the bank's credit line (neither member may see it), then
    investor1's subscription and supplier3's invoice (each its own). Made by the solo engine at once,
    so that the two members' transactions are not the block's first. (height, name -> index)."""
    chain, now = s.node.app.chain_id, s.node.engine.now_ms()
    signed = [
        ("bank", s.ids["bank"].sign_tx(chain, "receivables", "grant_credit", {
            "core": s.o["core2"], "amount": 4_321_000 * YUAN + len(tag), "expires": s.now + 100 * DAY}, now_ms=now)),
        ("investor1", s.ids["investor1"].sign_tx(chain, "plans", "subscribe", {
            "plan": s.refs["plan"], "amount": 1_000 * YUAN}, now_ms=now)),
        ("supplier3", s.ids["supplier3"].sign_tx(chain, "receivables", "register_invoice", {
            "code": "0110026SERV", "number": f"SERVE{tag.upper()}", "seller": s.o["supplier3"], "buyer": s.o["core"],
            "amount": 12_345 * YUAN, "date": s.now - DAY, "doc_hash": "ab" * 32}, now_ms=now)),
    ]
    result = s.node.engine.make_block([raw for _, raw in signed])
    assert [r.code for r in result.receipts] == ["ok"] * 3, [(r.code, r.message) for r in result.receipts]
    return result.height, {who: i for i, (who, _) in enumerate(signed)}


@pytest.fixture(scope="module")
def mixed(site) -> tuple[int, dict[str, int]]:
    """A block of several transactions in the history the member nodes follow."""
    return mixed_block(site, "history")


@pytest.fixture(scope="module")
def members(site, mixed, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """A running member node of each of WHO, caught up with the validator."""
    root = str(tmp_path_factory.mktemp("serving"))
    threads = {}
    try:
        for who in WHO:
            nt = NodeThread(member_home(root, site.home, who, [site.node.url]), node_class=MemberNode)
            nt.start()
            threads[who] = nt
        caught_up(site, {who: nt.node for who, nt in threads.items()})
        yield {who: nt.node for who, nt in threads.items()}
    finally:
        for nt in threads.values():
            nt.stop()


def caught_up(s: Site, nodes: dict[str, Any]) -> int:
    head = s.node.app.height
    for who, node in nodes.items():
        wait_until(lambda node=node: node.app.height >= head, f"{who}'s member node to reach block {head}")
    return head


def clients(s: Site, node: Any, who: str) -> tuple[Client, Client]:
    """`who`'s clients of its member node and of the validator."""
    return Client(node.url, identity=s.ids[who], timeout=60), Client(s.node.url, identity=s.ids[who], timeout=60)


def withheld_at(validator: Client, height: int) -> list[int]:
    """The indexes of block `height`'s transactions the validator withholds from the client's reader."""
    return [t["index"] for t in validator.block(height)["txs"] if t.get("withheld")]


def without(doc: dict, fields: tuple[str, ...]) -> dict:
    return {k: v for k, v in doc.items() if k not in fields}


# -- the event stream ----------------------------------------------------------------------------------


def history(c: Client, first: int, last: int) -> list[dict]:
    """The event stream from block `first` up to and with block `last`'s frame."""
    out = []
    stream = c.events(from_height=first, timeout=60)
    try:
        for ev in stream:
            out.append(ev)
            if ev["event"] == "block" and ev["height"] >= last:
                return out
    finally:
        stream.close()
    raise AssertionError(f"the stream of {c.url} ended before block {last}")


def metrics(url: str) -> str:
    with urllib.request.urlopen(url + "/metrics", timeout=30) as resp:
        return resp.read().decode()


@pytest.fixture(scope="module")
def streams(site, members) -> dict[str, tuple[list[dict], list[dict]]]:
    """Each member's history stream from block 1 to the head: (member node's, validator's)."""
    head = caught_up(site, members)
    out = {}
    for who, node in members.items():
        mine, theirs = clients(site, node, who)
        out[who] = (history(mine, 1, head), history(theirs, 1, head))
    return out


@pytest.mark.parametrize("who", WHO)
def test_the_event_stream_carries_the_readers_contract_events_as_the_validator_does(site, members, mixed, streams,
                                                                                    who):
    got, want = streams[who]
    theirs = clients(site, members[who], who)[1]
    events = [e for e in got if e["event"] == "contract"]
    assert events == [e for e in want if e["event"] == "contract"]
    # the member's own transactions' events are there, with the attrs of their receipts at the validator
    height, index = mixed[0], mixed[1][who]
    tx = theirs.block(height)["txs"][index]
    receipt = theirs.tx(tx["hash"])["receipt"]
    assert receipt["events"], receipt
    assert [{"contract": e["contract"], "type": e["type"], "attrs": e["attrs"]} for e in events
            if (e["height"], e["tx"]) == (height, index)] == receipt["events"]
    own = {(e["height"], e["tx"]) for e in events}
    assert len(own) >= 5  # the seeded ledger has several of each member's transactions
    for h, i in sorted(own):
        assert i not in withheld_at(theirs, h), (h, i)  # never a withheld transaction's events
    # every block, once, in order, with the validator's hash, time and app hash
    blocks = [e for e in got if e["event"] == "block"]
    assert [b["height"] for b in blocks] == list(range(1, blocks[-1]["height"] + 1))
    assert [without(b, ("txs", "codes")) for b in blocks] == [without(b, ("txs", "codes")) for b in want
                                                              if b["event"] == "block"]


@pytest.mark.parametrize("who", WHO)
def test_the_event_stream_history_block_frames_are_the_validators(site, members, mixed, streams, who):
    got, want = streams[who]
    theirs = clients(site, members[who], who)[1]
    height, index = mixed[0], mixed[1][who]
    [frame] = [e for e in got if e["event"] == "block" and e["height"] == height]
    codes = ["ok" if i == index else None for i in range(3)]
    assert [i for i, c in enumerate(codes) if c is None] == withheld_at(theirs, height)
    assert (frame["txs"], frame["codes"]) == (3, codes)
    assert [e for e in got if e["event"] == "block"] == [e for e in want if e["event"] == "block"]


def up_to_block(stream: Iterator[dict], height: int) -> list[dict]:
    """What `stream` sends next up to and with block `height`'s frame (the frames of earlier blocks skipped)."""
    out = []
    for ev in stream:
        if ev.get("height", -1) < height:
            continue
        out.append(ev)
        if ev["event"] == "block":
            return out
    raise AssertionError(f"the stream ended before block {height}")


def test_a_block_committed_after_subscribing_arrives_on_the_member_nodes_stream(site, members):
    head = caught_up(site, members)
    open_streams = {}
    for who, node in members.items():
        mine, theirs = clients(site, node, who)
        open_streams[who] = (mine.events(from_height=head + 1, timeout=60),
                             theirs.events(from_height=head + 1, timeout=60))
    try:
        # an empty block first: once its frame has come, each stream is subscribed to live blocks (it
        # subscribes before it sends anything), so the block after it is one committed after subscribing
        empty = site.node.engine.make_block([]).height
        for who, (mine_stream, theirs_stream) in open_streams.items():
            assert up_to_block(mine_stream, empty) == up_to_block(theirs_stream, empty), who
        height, index_of = mixed_block(site, "live")
        for who, (mine_stream, theirs_stream) in open_streams.items():
            got, want = up_to_block(mine_stream, height), up_to_block(theirs_stream, height)
            assert got == want, who
            frame = got[-1]
            assert (frame["event"], frame["height"], frame["txs"]) == ("block", height, 3)
            assert frame["codes"][index_of[who]] == "ok"
            theirs = clients(site, members[who], who)[1]
            assert [i for i, c in enumerate(frame["codes"]) if c is None] == withheld_at(theirs, height) == [
                i for w, i in index_of.items() if w != who]
            events = [e for e in got if e["event"] == "contract"]
            assert events and {e["tx"] for e in events} == {index_of[who]}
            receipt = theirs.tx(theirs.block(height)["txs"][index_of[who]]["hash"])["receipt"]
            assert [{k: e[k] for k in ("contract", "type", "attrs")} for e in events] == receipt["events"]
    finally:
        for pair in open_streams.values():
            for stream in pair:
                stream.close()


# -- blocks and transactions ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def answers(site, members) -> dict[str, dict[str, Any]]:
    """Each member's /v1/blocks/{h} (plain and raw) and /v1/txs/{hash} of every block, from its member
    node and from the validator: {who: {"blocks": [(h, raw, mine, theirs)], "txs": [(hash, mine, theirs)]}}."""
    head = caught_up(site, members)
    out = {}
    for who, node in members.items():
        mine, theirs = clients(site, node, who)
        blocks, txs = [], []
        for h in range(head + 1):
            for raw in (False, True):
                blocks.append((h, raw, mine.block(h, raw=raw), theirs.block(h, raw=raw)))
        for _, raw, _, b in blocks:
            if not raw:
                for t in b["txs"]:
                    txs.append((t["hash"], _tx(mine, t["hash"]), _tx(theirs, t["hash"])))
        out[who] = {"blocks": blocks, "txs": txs}
    return out


def _tx(c: Client, tx_hash: str) -> Any:
    try:
        return c.tx(tx_hash)
    except ApiError as exc:
        return {"error": exc.code, "status": exc.status}


@pytest.mark.parametrize("who", WHO)
def test_blocks_answer_as_on_the_validator(answers, who):
    """Every field, the end-of-block record's hash too: a member holding only some end-of-block
    events keeps the block's hash of them, and withholds the record as the validator does."""
    rows = answers[who]["blocks"]
    differ = [(h, raw, {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)})
              for h, raw, a, b in rows if a != b]
    assert not differ, differ[:5]
    # the member's view: its own transactions in full, the others withheld, at the validator's places
    seen = sum(not t.get("withheld") for _, raw, a, _ in rows if not raw for t in a["txs"])
    hidden = sum(bool(t.get("withheld")) for _, raw, a, _ in rows if not raw for t in a["txs"])
    assert seen >= 5 and hidden >= 5, (seen, hidden)
    assert any(a.get("end_block_withheld") for _, raw, a, _ in rows if raw)  # a record it holds part of


@pytest.mark.parametrize("who", WHO)
def test_transactions_answer_as_on_the_validator(answers, who):
    rows = answers[who]["txs"]
    differ = [(tx_hash, a, b) for tx_hash, a, b in rows if a != b]
    assert not differ, differ[:3]
    assert any(a.get("withheld") for _, a, _ in rows) and any("receipt" in a for _, a, _ in rows)


# -- the console -------------------------------------------------------------------------------------------


class Console:
    """One signed-in console session (the console's cookie and CSRF token) on a node."""

    def __init__(self, node: Any, who: str):
        self.node, self.cookie, self.csrf = node, "", "member-serving"
        status, doc = self.call("POST", "/console/api/session", {"name": who})
        assert status == 200 and doc["signed_in"] and doc["name"] == who, (status, doc)
        self.csrf = doc["csrf"]

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, Any]:
        conn = http.client.HTTPConnection(self.node.config.host, self.node.config.port, timeout=60)
        try:
            headers = {"X-Fae-CSRF": self.csrf, **({"Cookie": self.cookie} if self.cookie else {})}
            data = None if body is None else json.dumps(body).encode()
            if data is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            cookie = resp.getheader("Set-Cookie", "")
            if cookie.startswith("fae_console="):
                self.cookie = cookie.split(";", 1)[0]
            if resp.getheader("Content-Type", "").startswith("application/json"):
                return resp.status, json.loads(raw)
            return resp.status, raw.decode("utf-8", "replace")
        finally:
            conn.close()

    def get(self, path: str) -> tuple[int, Any]:
        return self.call("GET", path)


@pytest.fixture(scope="module")
def consoles(site, members) -> dict[str, tuple[Console, Console]]:
    """Each member signed in to the console of its member node and of the validator."""
    return {who: (Console(node, who), Console(site.node, who)) for who, node in members.items()}


def tx_hashes(s: Site, who: str) -> tuple[list[str], list[str]]:
    """The hashes of the chain's transactions `who` may see, and of those it may not."""
    theirs = Client(s.node.url, identity=s.ids[who])
    mine, others = [], []
    for h in range(1, s.node.app.height + 1):
        for t in theirs.block(h)["txs"]:
            (others if t.get("withheld") else mine).append(t["hash"])
    return mine, others


def test_the_console_page_and_one_click_sign_in_on_a_member_node(members):
    for who, node in members.items():
        assert node.app.genesis.dev and node.config.host in ("127.0.0.1", "localhost", "::1")
        c = Console(node, who)
        status, page = c.get("/")
        assert status == 200 and isinstance(page, str) and page.lstrip().lower().startswith("<!doctype html")
        status, doc = c.get("/console/api/session")
        assert status == 200 and doc["signed_in"] and doc["dev"] and doc["member"]["name"] == who
        assert [i["name"] for i in doc["identities"]] == [who]  # the wallet holds its own identity only


@pytest.mark.parametrize("who", WHO)
def test_the_console_explorer_lists_blocks_as_the_validators_console(site, members, consoles, who):
    head = caught_up(site, members)
    mine, theirs = consoles[who]
    a, b = mine.get(f"/console/api/blocks?limit=100&before={head + 1}"), theirs.get(
        f"/console/api/blocks?limit=100&before={head + 1}")
    assert a[0] == b[0] == 200
    assert a[1]["head"] == b[1]["head"]
    assert a[1]["blocks"] == b[1]["blocks"]
    for h in range(1, head + 1):
        a, b = mine.get(f"/console/api/blocks/{h}"), theirs.get(f"/console/api/blocks/{h}")
        assert a[0] == b[0] == 200 and a[1] == b[1], h


@pytest.mark.parametrize("who", WHO)
def test_the_console_shows_the_members_new_transactions_as_the_validators_console(site, members, consoles, mixed,
                                                                                  who):
    mine, theirs = consoles[who]
    height, index = mixed[0], mixed[1][who]
    tx_hash = Client(site.node.url, identity=site.ids[who]).block(height)["txs"][index]["hash"]
    a, b = mine.get(f"/console/api/txs/{tx_hash}"), theirs.get(f"/console/api/txs/{tx_hash}")
    assert a == b and a[0] == 200 and not a[1].get("withheld") and a[1]["receipt"]["code"] == "ok"
    assert a[1]["writes"] and any(w["attributed"] for w in a[1]["writes"])


@pytest.mark.parametrize("who", WHO)
def test_the_console_shows_a_withheld_transaction_as_the_validators_console(site, members, consoles, who):
    mine, theirs = consoles[who]
    _, others = tx_hashes(site, who)
    differ = [(tx_hash, a, b) for tx_hash in others
              if (a := mine.get(f"/console/api/txs/{tx_hash}")) != (b := theirs.get(f"/console/api/txs/{tx_hash}"))]
    assert not differ, differ[:2]


@pytest.mark.parametrize("who", WHO)
def test_the_console_shows_every_own_transaction_as_the_validators_console(site, members, consoles, who):
    mine, theirs = consoles[who]
    own, _ = tx_hashes(site, who)
    differ = []
    for tx_hash in own:
        a, b = mine.get(f"/console/api/txs/{tx_hash}"), theirs.get(f"/console/api/txs/{tx_hash}")
        if a != b:
            differ.append((tx_hash, a[0], b[0], a[1].get("code") if a[0] != 200 else sorted(
                {w["key"] for w in a[1]["writes"]} ^ {w["key"] for w in b[1]["writes"]})))
    assert not differ, differ[:5]


@pytest.fixture(scope="module")
def console_queries(site, members, consoles) -> dict[str, list[tuple[str, str, Any, Any, Any]]]:
    """The crawl's business queries as each member asks them through the console of its member node and of
    the validator, and through `POST /v1/query` of its member node, at one height:
    {who: [(contract, method, member console's, validator console's, member REST's)]}, each (status, body)."""
    from test_confidentiality import QUERIES

    head = caught_up(site, members)
    out: dict[str, list[tuple[str, str, Any, Any, Any]]] = {}
    for who, (mine, theirs) in consoles.items():
        rest = clients(site, members[who], who)[0]
        rows = out[who] = []
        for contract, method, args in QUERIES:
            body = {k: v for k, v in args(site).items() if k != "prove"}
            try:
                via_rest: Any = (200, {"result": rest.query(contract, method, _height=head, **body), "height": head})
            except ApiError as exc:
                via_rest = (exc.status, exc.code)
            rows.append((contract, method, mine.call("POST", f"/console/api/query/{contract}/{method}", body),
                         theirs.call("POST", f"/console/api/query/{contract}/{method}", body), via_rest))
        assert site.node.app.height == head  # one height for all three
    return out


@pytest.mark.parametrize("who", WHO)
def test_the_console_queries_and_recent_events_as_the_validators_console(site, members, consoles, console_queries,
                                                                         who):
    answered = 0
    for contract, method, a, b, _ in console_queries[who]:
        if a[0] == 421:  # resting on a record the node does not hold (docs/member-nodes.md): said so, never guessed
            assert a[1]["code"] == "not_available_here", a
            continue
        assert a == b, (contract, method, a, b)
        answered += a[0] == 200
    assert answered >= 5
    # what the validator's console refuses the member, its member node's console refuses too
    assert all(a[0] >= 400 for _, _, a, b, _ in console_queries[who] if b[0] >= 400)
    caught_up(site, members)
    mine, theirs = consoles[who]
    a, b = mine.get("/console/api/events/recent?limit=1000"), theirs.get("/console/api/events/recent?limit=1000")
    assert a[0] == b[0] == 200 and a[1] == b[1] and len(a[1]["events"]) >= 5


@pytest.mark.parametrize("who", WHO)
def test_the_console_answers_what_the_validators_console_answers_the_member(console_queries, who):
    differ = [(contract, method, a[0], a[1].get("code"), rest[0]) for contract, method, a, b, rest
              in console_queries[who] if b[0] == 200 and a != b]
    assert not differ, differ


# -- the vault -----------------------------------------------------------------------------------------------


def vault_downloads(url: str, outcome: str) -> int:
    m = re.search(rf'^fae_vault_requests_total{{op="download",outcome="{outcome}"}} (\d+)$', metrics(url), re.M)
    return int(m.group(1)) if m else 0


def test_a_document_the_member_may_read_is_fetched_from_the_validator_and_served(site, members):
    node = members["investor1"]
    assert node.config.vault_peers == [site.node.url]
    doc = node.app.hash(PROSPECTUS).hex()
    assert not os.path.exists(node.vault.path(doc))
    mine, theirs = clients(site, node, "investor1")
    assert theirs.download_document(None, "plans", doc) == PROSPECTUS
    assert mine.download_document(None, "plans", doc) == PROSPECTUS
    assert vault_downloads(node.url, "fetched_from_peer") == 1
    assert os.path.exists(node.vault.path(doc))  # kept: the next download is served from its own vault
    assert mine.download_document(None, "plans", doc) == PROSPECTUS
    assert vault_downloads(node.url, "served") == 1


def test_a_document_the_member_may_not_read_is_refused_as_on_the_validator(site, members):
    refused = []
    prospectus = site.node.app.hash(PROSPECTUS).hex()
    people = sorted(bytes(k).decode().rsplit("/", 1)[1] for (k,) in site.node.store.read.execute(
        "SELECT DISTINCT key FROM kv").fetchall() if bytes(k).startswith(b"npa/person/"))
    assert people
    cases = [("supplier3", "plans", prospectus)] + [(who, "npa", p) for who in WHO for p in people[:2]]
    for who, scope, doc in cases:
        mine, theirs = clients(site, members[who], who)
        with pytest.raises(ApiError) as validator:
            theirs.download_document(None, scope, doc)
        with pytest.raises(ApiError) as member:
            mine.download_document(None, scope, doc)
        # the validator's refusal, or the member node's word that the answer rests on a record it may not hold
        assert member.value.code in (validator.value.code, "not_available_here"), (who, doc, member.value)
        assert validator.value.status in (403, 404) and member.value.status in (validator.value.status, 421)
        assert not os.path.exists(members[who].vault.path(doc))  # nothing fetched for a reader refused
        refused.append((who, validator.value.code, member.value.code))
    assert vault_downloads(members["supplier3"].url, "fetched_from_peer") == 0
    assert len(refused) == len(cases)
