"""Server-sent events: history, live delivery, filters, auth by query parameters, slow subscribers."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import queue
import threading
import time
import urllib.request
from urllib.parse import urlencode

from faechain.api.events import _DROPPED, EventHub, Subscriber, block_payload
from faechain.chain.results import BlockResult, Receipt
from faechain.core.block import Header
from faechain.devnet.demo import demo_org_id
from faechain.sdk import ApiError, Client

INVESTOR3_ORG = demo_org_id(14)


def _follow(client: Client, out: queue.Queue, **kw) -> threading.Thread:
    def run():
        try:
            for ev in client.events(**kw):
                out.put(ev)
        except Exception as exc:  # noqa: BLE001 - any failure of the stream goes to the test through the queue
            out.put(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _collect_until(out: queue.Queue, pred, timeout: float = 15.0) -> list[dict]:
    got, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ev = out.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        if isinstance(ev, Exception):
            raise ev
        got.append(ev)
        if pred(got):
            return got
    raise AssertionError(f"condition not met; got {got}")


def _until_live(out: queue.Queue) -> None:
    """Wait for the stream's first block (the node makes one a second): the subscription is
    open and live, however long it took to open (a fixed sleep is not enough on a busy machine)."""
    _collect_until(out, lambda evs: any(e["event"] == "block" for e in evs))


def test_live_block_and_contract_event(api_node, ids):
    reader = Client(api_node.url, identity=ids("regulator"))
    out: queue.Queue = queue.Queue()
    _follow(reader, out, contract="membership")
    _until_live(out)  # the subscription is open before the transaction commits
    writer = Client(api_node.url, identity=ids("exchange"))
    r = writer.submit(ids("exchange"), "membership", "set_attributes", org_id=INVESTOR3_ORG, attributes={"live": 1})
    assert r.ok, r

    def seen(evs):
        return any(e["event"] == "block" and e["height"] == r.height for e in evs)

    evs = _collect_until(out, seen)
    contract_evs = [e for e in evs if e["event"] == "contract" and e["height"] == r.height]
    assert contract_evs == [{"event": "contract", "height": r.height, "tx": r.index, "n": 0,
                             "contract": "membership", "type": "OrgAttributesSet",
                             "attrs": {"org_id": INVESTOR3_ORG, "attributes": {"live": 1}}}]
    block = next(e for e in evs if e["event"] == "block" and e["height"] == r.height)
    assert block["txs"] >= 1 and block["codes"][r.index] == "ok" and len(block["hash"]) == 64
    assert block["hash"] == writer.block(r.height)["hash"]
    # contract events come before their block's event
    assert evs.index(contract_evs[0]) < evs.index(block)


def test_history_then_live_with_filters(api_node, ids):
    c = Client(api_node.url, identity=ids("exchange"))
    r1 = c.submit(ids("exchange"), "membership", "set_attributes", org_id=INVESTOR3_ORG, attributes={"h": 1})
    r2 = c.submit(ids("supplier1"), "membership", "set_attributes", org_id=INVESTOR3_ORG, attributes={"h": 2})
    assert r1.ok and r2.code == "unauthorized"
    out: queue.Queue = queue.Queue()
    _follow(c, out, from_height=r1.height, type="OrgAttributesSet")
    evs = _collect_until(out, lambda evs: any(e["event"] == "block" and e["height"] >= r2.height for e in evs))
    heights = [e["height"] for e in evs if e["event"] == "block"]
    assert heights == list(range(r1.height, heights[-1] + 1))  # every block, in order, none skipped
    hist = [e for e in evs if e["event"] == "contract"]
    assert hist[0]["height"] == r1.height and hist[0]["attrs"]["attributes"] == {"h": 1}
    assert all(e["type"] == "OrgAttributesSet" for e in hist)
    failed_block = next(e for e in evs if e["event"] == "block" and e["height"] == r2.height)
    assert failed_block["codes"][r2.index] == "unauthorized"
    # now live: a new transaction arrives on the same stream
    r3 = c.submit(ids("exchange"), "membership", "set_attributes", org_id=INVESTOR3_ORG, attributes={"h": 3})
    more = _collect_until(out, lambda evs: any(e["event"] == "block" and e["height"] == r3.height for e in evs))
    assert any(e["event"] == "contract" and e["height"] == r3.height for e in more)
    # a filter that matches nothing still streams blocks; blocks=false leaves them out
    out2: queue.Queue = queue.Queue()
    _follow(c, out2, from_height=r1.height, contract="nosuch", blocks=False)
    out3: queue.Queue = queue.Queue()
    _follow(c, out3, from_height=r1.height, contract="membership", blocks=False)
    only = _collect_until(out3, lambda evs: len(evs) >= 2)
    assert all(e["event"] == "contract" for e in only)
    time.sleep(0.3)
    assert out2.empty()


def test_event_stream_with_query_parameter_auth(api_node, ids):
    """What a browser's EventSource does: credentials in the URL, and Last-Event-ID resume."""
    bank = ids("bank")
    path = "/v1/events?from=1"
    d = int(time.time() * 1000)
    sig = bank.sign_read(api_node.app.chain_id, "GET", path, hashlib.sha256(b"").digest(), d)
    auth = urlencode({"signer": bank.cert_id.hex(), "date": d, "sig": base64.b64encode(sig).decode(),
                      "cert": base64.b64encode(bank.cert).decode()})
    with urllib.request.urlopen(api_node.url + path + "&" + auth, timeout=10) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
        lines = []
        while "event: block" not in lines:
            lines.append(resp.readline().decode().rstrip("\n"))
        lines.append(resp.readline().decode().rstrip("\n"))
        i = lines.index("event: block")
        assert lines[i - 1] == "id: 1" and lines[i + 1].startswith('data: {"height":1,')
    req = urllib.request.Request(api_node.url + path + "&" + auth, headers={"Last-Event-ID": "2"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        line = ""
        while not line.startswith("id: "):
            line = resp.readline().decode()
        assert line == "id: 3\n"


def test_unsigned_stream_is_refused(api_node):
    c = Client(api_node.url)
    try:
        next(iter(c.events()))
    except ApiError as exc:
        assert exc.code == "unauthenticated" and exc.status == 401
    else:
        raise AssertionError("an unsigned stream was served")


def test_slow_subscriber_is_dropped():
    """Fan-out never waits for a subscriber: a full queue drops it with a final marker."""

    async def scenario():
        hub = EventHub(node=None)
        sub = Subscriber(asyncio.Queue(2), None, None, True)
        hub.subscribers.add(sub)
        header = Header("c", 1, 0, bytes(32), bytes(32), bytes(32), bytes(32), b"")
        for h in range(1, 5):
            receipt = Receipt(bytes(32), h, 0, "ok", events=[{"contract": "x", "type": "T", "attrs": {}}])
            hub._on_block(BlockResult(h, 0, bytes(32), bytes(32), [receipt], header))
        items = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
        return sub.dropped, items

    dropped, items = asyncio.run(scenario())
    assert dropped and items == [_DROPPED]


def test_block_payload_shape():
    header = Header("c", 7, 1234, bytes(32), bytes(32), bytes(32), b"\x01" * 32, b"")
    receipts = [Receipt(b"\x02" * 32, 7, 0, "ok", events=[{"contract": "m", "type": "T", "attrs": {"b": b"\xff"}}]),
                Receipt(b"\x03" * 32, 7, 1, "unauthorized")]
    p = block_payload(7, b"\x04" * 32, header, receipts)
    assert p.block == {"height": 7, "hash": "04" * 32, "time": 1234, "app_hash": "01" * 32, "txs": 2,
                       "codes": ["ok", "unauthorized"]}
    assert p.contract_events == [{"height": 7, "tx": 0, "n": 0, "contract": "m", "type": "T", "attrs": {"b": "ff"}}]


def test_end_of_block_events_are_delivered_live_and_in_history(api_node, ids):
    """Events the contracts emit in end_block (a voucher lapsing at the end of its day)
    reach live subscribers, numbered like the stored ones, and replay the same way."""
    core, s1, bank = ids("core"), ids("supplier1"), ids("bank")
    writer = Client(api_node.url, identity=ids("regulator"))
    now = writer.now_ms() // 1000
    doc = hashlib.sha256(b"end-block events").hexdigest()
    assert writer.submit(bank, "receivables", "grant_credit", core=core.org_id, amount=10**9,
                         expires=now + 400 * 86400).ok
    number = f"{now % 10**8:08d}"
    assert writer.submit(s1, "receivables", "register_invoice", code="011009990001", number=number,
                         seller=s1.org_id, buyer=core.org_id, amount=100_00, date=now - 86400, doc_hash=doc).ok
    r = writer.submit(core, "receivables", "issue", to=s1.org_id, amount=100_00, maturity=now + 3600,
                      invoices=[[f"011009990001-{number}", 100_00]], contract_hash=doc)
    assert r.ok, r
    root = r.result["voucher"]
    out: queue.Queue = queue.Queue()
    _follow(writer, out, contract="receivables", type="VoucherLapsed")
    _until_live(out)
    writer.advance_time(3 * 86400)  # never accepted: it lapses in the first block of a later day
    live = _collect_until(out, lambda evs: any(e.get("attrs", {}).get("root") == root for e in evs))
    ev = next(e for e in live if e.get("attrs", {}).get("root") == root)
    assert ev["event"] == "contract" and ev["type"] == "VoucherLapsed"
    replayed = None
    for e in writer.events(from_height=ev["height"], contract="receivables", type="VoucherLapsed"):
        if e["event"] == "contract" and e["attrs"].get("root") == root:
            replayed = e
            break
    assert replayed is not None
    assert {k: replayed[k] for k in ("height", "tx", "n", "type")} == {k: ev[k] for k in ("height", "tx", "n", "type")}
