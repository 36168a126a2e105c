"""Confidentiality between members, crawled (docs/confidentiality.md, issue 17).

A seeded `fae demo` node (anonymous reads allowed, as `fae demo` serves them, not open) records
distinctive values of several parties, each known to a few members only:

    a credit line's amount               bank's line to core2: bank, core2
    an invoice's number                  supplier3's invoice on core: supplier3, core, factor (offered a
                                         voucher drawing on it), taxservice (every invoice is the tax
                                         authority's own data)
    a financing's rate and registration  supplier3's offer to factor: supplier3, factor, registry (the
                                         registry agent reads every financing: it attests them)
    a freeze's case number               the regulator's freeze of supplier3's voucher: supplier3, core
    a package's reserve price            bank2's draft package: bank2
    a plan holding                       investor1's subscription to a new plan: investor1 and the plan's
                                         sponsor, underwriter, servicer and settlement bank
    a product transfer's price           investor1's offer to investor3: both, and the product's parties
    a refused transaction's amount       bank's grant to an organisation that is no member: bank

(the regulator and the exchange see them all). Then every member, and an anonymous reader, crawls
every read route the node's router has — the REST API and the console's explorer — following
links from blocks to transactions to state keys and their versions, events, the history and the
audit export, and the business queries naming those records; every answer is scanned for every
value, as text and as the hex of its canonical encoding (raw envelopes, receipts and state values
are hex). No value reaches a member outside its set; the regulator's crawl finds every value, so
the crawl is known to look where the values are. A route the router has and the crawl does not
fails `test_every_read_route_is_crawled`.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from faechain.cli.demo import seed_node, store_document
from faechain.core.encoding import encode
from faechain.core.merkle import merkle_root
from faechain.core.wire import signed_path
from faechain.devnet.demo import MEMBERS, create_demo
from faechain.identity.wallet import Identity
from faechain.node.testing import NodeThread, free_port

DEMO = tuple(m.name for m in MEMBERS)
ANONYMOUS = "anonymous"
SEE_ALL = ("regulator", "exchange")
YUAN = 100
DAY = 86_400


@dataclass(frozen=True)
class Secret:
    name: str
    value: str | int
    allowed: frozenset[str]  # besides the regulator and the exchange
    # a small number's encoding is a few hex digits, which random hex (a signature, a hash) holds
    # by chance: such a secret is looked for as its map entry, `field` then the value
    field: str | None = None

    def needles(self) -> list[re.Pattern[str]]:
        """How the value may appear in an answer: as text (a number standing alone, not a run of
        digits inside hex), and as the hex of its canonical encoding (inside raw envelopes,
        receipts and state values)."""
        if isinstance(self.value, int):
            text = re.compile(rf"(?<![0-9A-Za-z]){self.value}(?![0-9A-Za-z])")
        else:
            text = re.compile(re.escape(self.value))
        raw = encode(self.value).hex() if isinstance(self.value, int) else self.value.encode().hex()
        if self.field is not None:
            raw = encode(self.field).hex() + raw
        return [text, re.compile(re.escape(raw), re.IGNORECASE)]


@dataclass
class Site:
    node: Any
    home: str
    ids: dict[str, Identity]
    o: dict[str, str]
    secrets: list[Secret] = field(default_factory=list)
    refs: dict[str, str] = field(default_factory=dict)  # the records the secrets are in: name -> id
    first_height: int = 0

    def ok(self, who: str, contract: str, method: str, **args: Any) -> Any:
        r = self.node.submit_as(who, contract, method, args)
        assert r.ok, (who, contract, method, r.code, r.message)
        return r.result

    @property
    def now(self) -> int:
        return self.node.engine.now_ms() // 1000


def _record_secrets(s: Site) -> None:
    o, now = s.o, s.now
    s.first_height = s.node.app.height + 1
    doc = hashlib.sha256(b"leak test").hexdigest()
    # a credit line: bank to core2
    line = 98_765_432_107
    s.ok("bank", "receivables", "grant_credit", core=o["core2"], amount=line, expires=now + 300 * DAY)
    s.secrets.append(Secret("credit line amount", line, frozenset({"bank", "core2"})))
    # an invoice of supplier3 on core, a voucher on it offered to factor for financing, then frozen
    inv = s.ok("supplier3", "receivables", "register_invoice", code="0110026LEAK", number="LEAKQ4711X",
               seller=o["supplier3"], buyer=o["core"], amount=3_000_000 * YUAN, date=now - DAY, doc_hash=doc)
    s.refs["invoice"] = inv["invoice"]
    s.secrets.append(Secret("invoice number", "LEAKQ4711X", frozenset({"supplier3", "core", "factor", "taxservice"})))
    vid = s.ok("core", "receivables", "issue", to=o["supplier3"], amount=2_500_000 * YUAN, maturity=now + 90 * DAY,
               invoices=[[inv["invoice"], 2_500_000 * YUAN]], contract_hash=doc)["voucher"]
    s.refs["voucher"] = vid
    s.ok("supplier3", "receivables", "accept", id=vid)
    fid = s.ok("supplier3", "receivables", "request_financing", id=vid, funder=o["factor"], amount=2_500_000 * YUAN,
               rate_bps=2347)["financing"]
    s.refs["financing"] = fid
    s.ok("factor", "receivables", "record_registration", financing=fid, reg_no="ZDWLEAK20260451")
    s.secrets.append(Secret("financing rate", 2347, frozenset({"supplier3", "factor", "registry"}), field="rate_bps"))
    s.secrets.append(Secret("financing registration", "ZDWLEAK20260451",
                            frozenset({"supplier3", "factor", "registry"})))
    case = "(2026) Jing 0105 Zhi No. 4711-LEAK"
    s.ok("regulator", "supervision", "freeze", asset=f"voucher:{vid}", reason=case)
    s.secrets.append(Secret("freeze case number", case, frozenset({"supplier3", "core"})))
    # a draft package of bank2, its reserve price set before any listing
    loan = s.node.app.run_query("npa", "loans", {"owner": o["bank2"]}, None)
    free = [x["loan_no"] for x in loan if x["package"] is None]
    if not free:
        commitment = hashlib.sha256(b"person:leak test borrower").hexdigest()
        s.ok("bank2", "npa", "register_loan", loan_no="LEAK-0001", borrower=commitment, principal=900_000 * YUAN,
             interest=10_000 * YUAN, classification="doubtful", days_past_due=400)
        free = ["LEAK-0001"]
    reserve = 1_357_924_681
    pkg = s.ok("bank2", "npa", "create_package", name="Leak test package", loans=free[:1], base_date=now - DAY,
               reserve_price=reserve, list_price=reserve + 100_000_000, margin=10_000_000)["package"]
    s.refs["package"] = pkg
    s.secrets.append(Secret("package reserve price", reserve, frozenset({"bank2"})))
    # a new plan of supplier1, listed; investor2 and investor1 subscribe
    size = 5_000_000 * YUAN
    inv2 = s.ok("supplier1", "receivables", "register_invoice", code="0110026LEAK", number="PLANPOOL01",
                seller=o["supplier1"], buyer=o["core"], amount=size + YUAN, date=now - DAY, doc_hash=doc)
    pooled = s.ok("core", "receivables", "issue", to=o["supplier1"], amount=size + YUAN, maturity=now + 200 * DAY,
                  invoices=[[inv2["invoice"], size + YUAN]], contract_hash=doc)["voucher"]
    s.ok("supplier1", "receivables", "accept", id=pooled)
    plan = s.ok("supplier1", "plans", "create", name="Leak test plan", underwriter=o["underwriter"],
                servicer=o["factor"], settlement_bank=o["bank"], size=size, coupon_bps=450, term_days=180)["plan"]
    s.refs["plan"] = plan
    s.ok("supplier1", "plans", "pool", plan=plan, vouchers=[pooled], invoices=[])
    item = s.ok("underwriter", "plans", "file", plan=plan)["initial_disclosure"]
    prospectus = store_document(s.node, b"leak test plan prospectus\n")
    s.ok("underwriter", "plans", "register_document", plan=plan, hash=prospectus, kind="prospectus",
         name="prospectus.txt", size=26, media_type="text/plain")
    s.ok("underwriter", "plans", "publish", plan=plan, item=item, summary="offering circular", documents=[prospectus])
    s.ok("exchange", "plans", "approve", plan=plan, approval_no="BFAE-LEAK-01", opens=s.now, closes=s.now + 20 * DAY)
    holding = 2_468_013_57
    s.ok("investor2", "plans", "subscribe", plan=plan, amount=1_500_000 * YUAN)  # not what is left: that would be it
    s.ok("investor1", "plans", "subscribe", plan=plan, amount=holding)
    s.secrets.append(Secret("plan holding", holding,
                            frozenset({"investor1", "supplier1", "underwriter", "factor", "bank"})))
    # a negotiated product transfer: investor1 offers senior units to investor3
    [product] = s.node.app.run_query("products", "products", {"originator": o["factor"]}, None)
    p = s.node.app.run_query("products", "product", {"id": product["id"]}, None)["product"]
    parties = {name for name, org in o.items() if org in (p["originator"], p["registrar"], p["settlement_bank"])}
    price = 112_358_132_1
    tid = s.ok("investor1", "products", "propose_transfer", product=product["id"], tranche="senior",
               buyer=o["investor3"], units=100_000 * YUAN, price=price)["transfer"]
    s.refs["transfer"] = tid
    s.secrets.append(Secret("product transfer price", price, frozenset({"investor1", "investor3"} | parties)))
    # a refused transaction: it wrote nothing, and is its signer's (and the regulator's, the exchange's)
    refused = 77_777_123_45
    r = s.node.submit_as("bank", "receivables", "grant_credit",
                         {"core": "91110000MA9999999X", "amount": refused, "expires": now + 300 * DAY})
    assert r.code == "not_found", r
    s.secrets.append(Secret("refused transaction's amount", refused, frozenset({"bank"})))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    home = str(tmp_path_factory.mktemp("leaks"))
    create_demo(home, free_port())
    nt = NodeThread(home, heartbeat=3600.0, verify_workers=0)  # the demo's config: anonymous reads, not open
    nt.start()
    try:
        node = nt.node
        assert node.config.anonymous_reads and not node.config.open_reads
        seed_node(node)
        ids = {name: Identity.load(home, name) for name in DEMO}
        s = Site(node, home, ids, {n: i.org_id for n, i in ids.items()})
        _record_secrets(s)
        yield s
    finally:
        nt.stop()


# -- a reader's crawl ----------------------------------------------------------------------------------


class Crawler:
    """One reader's requests over one keep-alive connection: every answer kept (route, text)."""

    def __init__(self, s: Site, who: str):
        self.s, self.who = s, who
        self.conn = http.client.HTTPConnection(s.node.config.host, s.node.config.port, timeout=60)
        self.answers: list[tuple[str, str, str]] = []  # (route template, request, answer text)
        self.cookie: str | None = None
        self.csrf = "leak-test"

    def close(self) -> None:
        self.conn.close()

    def _headers(self, method: str, path: str, body: bytes, console: bool) -> dict[str, str]:
        headers = {"Content-Type": "application/json"} if body else {}
        if console:
            if self.cookie:
                headers["Cookie"] = self.cookie
            headers["X-Fae-CSRF"] = self.csrf
            return headers
        if self.who != ANONYMOUS:
            ident = self.s.ids[self.who]
            date = int(time.time() * 1000)
            path_only, _, query = path.partition("?")
            sig = ident.sign_read(self.s.node.app.chain_id, method, signed_path(path_only, query),
                                  hashlib.sha256(body).digest(), date)
            headers.update({"X-Fae-Signer": ident.cert_id.hex(), "X-Fae-Date": str(date),
                            "X-Fae-Signature": base64.b64encode(sig).decode(),
                            "X-Fae-Cert": base64.b64encode(ident.cert).decode()})
        return headers

    def get(self, route: str, path: str, method: str = "GET", body: bytes = b"", console: bool = False,
            stream_until: int | None = None) -> tuple[int, Any]:
        """One request; its answer kept for the scan and returned parsed (JSON) or as text."""
        self.conn.request(method, path, body=body or None, headers=self._headers(method, path, body, console))
        resp = self.conn.getresponse()
        if stream_until is not None and resp.status == 200:  # an event stream: read up to a block id
            lines, reached = [], False
            while True:  # up to the data of the block `stream_until` (its frame: id, event, data)
                line = resp.readline().decode()
                lines.append(line)
                reached = reached or (line.startswith("id: ") and int(line[4:]) >= stream_until)
                if reached and line.startswith("data: "):
                    break
            self.conn.close()  # the stream stays open on the node's side: start a new connection
            self.conn = http.client.HTTPConnection(self.s.node.config.host, self.s.node.config.port, timeout=60)
            text = "".join(lines)
            self.answers.append((route, path, text))
            return resp.status, text
        data = resp.read()
        if resp.getheader("Set-Cookie", "").startswith("fae_console="):
            self.cookie = resp.getheader("Set-Cookie").split(";", 1)[0]
        text = data.decode("utf-8", "replace")
        self.answers.append((route, path + (" " + body.decode() if body else ""), text))
        ctype = resp.getheader("Content-Type", "")
        return resp.status, json.loads(text) if ctype.startswith("application/json") else text


def state_keys(s: Site) -> dict[bytes, list[int]]:
    """Every state key whose value ever held a secret, with the heights it was written at (the crawl
    asks each at the head and at each of those heights): the records a leak would come from."""
    needles = [n for secret in s.secrets for n in secret.needles()]
    rows = s.node.store.read.execute("SELECT key, height, value FROM kv WHERE height >= ?",
                                     (s.first_height,)).fetchall()
    out: dict[bytes, list[int]] = {}
    for key, height, value in rows:
        text = (value or b"").hex()
        if any(n.search(text) for n in needles):
            out.setdefault(bytes(key), []).append(height)
    return out


QUERIES = [  # (contract, method, args from the site's records): the business views of the secrets' records
    ("receivables", "credit", lambda s: {"core": s.o["core2"], "prove": True}),
    ("receivables", "invoice", lambda s: {"id": s.refs["invoice"], "prove": True}),
    ("receivables", "voucher", lambda s: {"id": s.refs["voucher"], "prove": True}),
    ("receivables", "vouchers", lambda s: {"payer": s.o["core"]}),
    ("receivables", "financing", lambda s: {"id": s.refs["financing"]}),
    ("receivables", "financings", lambda s: {"funder": s.o["factor"]}),
    ("npa", "package", lambda s: {"id": s.refs["package"], "prove": True}),
    ("npa", "packages", lambda s: {"seller": s.o["bank2"]}),
    ("plans", "plan", lambda s: {"id": s.refs["plan"], "prove": True}),
    ("plans", "plans", lambda s: {"sponsor": s.o["supplier1"]}),
    ("plans", "holding", lambda s: {"plan": s.refs["plan"], "investor": s.o["investor1"]}),
    ("plans", "penetrate", lambda s: {"plan": s.refs["plan"]}),
    ("products", "transfer", lambda s: {"id": s.refs["transfer"]}),
    ("supervision", "frozen", lambda s: {"asset": f"voucher:{s.refs['voucher']}"}),
    ("supervision", "actions", lambda s: {}),
]


def crawl(s: Site, who: str) -> Crawler:
    """Every read route, as `who`, following links from blocks to transactions, state and history."""
    c = Crawler(s, who)
    head = s.node.app.height
    c.get("/v1/info", "/v1/info")
    c.get("/v1/contracts", "/v1/contracts")
    c.get("/v1/light/{height}", f"/v1/light/{head}")
    tx_hashes: list[str] = []
    for h in range(s.first_height, head + 1):
        status, block = c.get("/v1/blocks/{height}", f"/v1/blocks/{h}")
        c.get("/v1/blocks/{height}", f"/v1/blocks/{h}?raw=true")
        if status == 200:
            tx_hashes += [t["hash"] for t in block["txs"]]
    for tx_hash in tx_hashes:
        c.get("/v1/txs/{hash}", f"/v1/txs/{tx_hash}")
    for h in range(s.first_height, head + 1):  # what the reader's member node would be sent
        c.get("/v1/sync/{height}", f"/v1/sync/{h}")
    after = ""  # and the whole state it would start from at the head
    while True:
        status, page = c.get("/v1/snapshot/{height}", f"/v1/snapshot/{head}" + (f"?after={after}" if after else ""))
        if status != 200 or page["next"] is None:
            break
        after = page["next"]
    for key, heights in state_keys(s).items():
        for at in [None, *heights]:
            params = {"key_hex": key.hex(), "prove": "true", **({} if at is None else {"height": str(at)})}
            c.get("/v1/state", "/v1/state?" + urlencode(params))
    c.get("/v1/events", f"/v1/events?from={s.first_height}", stream_until=head)
    for contract, method, args in QUERIES:
        body = json.dumps(args(s)).encode()
        c.get("/v1/query/{contract}/{method}", f"/v1/query/{contract}/{method}", "POST", body)
    for ref in s.refs.values():
        c.get("/v1/history", "/v1/history?" + urlencode({"ref": ref, "limit": "1000"}))
        c.get("/v1/audit/export", "/v1/audit/export?" + urlencode({"ref": ref, "format": "csv"}))
    # the console, signed in as the member (one click on a dev chain on loopback); anonymous: no session
    if who != ANONYMOUS:
        status, doc = c.get("/console/api/session", "/console/api/session", "POST",
                            json.dumps({"name": who}).encode(), console=True)
        assert status == 200, doc
        c.csrf = doc["csrf"]
    c.get("/console/api/session", "/console/api/session", console=True)
    c.get("/console/api/blocks", f"/console/api/blocks?limit=100&before={head + 1}", console=True)
    for h in range(s.first_height, head + 1):
        c.get("/console/api/blocks/{height}", f"/console/api/blocks/{h}", console=True)
    for tx_hash in tx_hashes:
        c.get("/console/api/txs/{hash}", f"/console/api/txs/{tx_hash}", console=True)
    c.get("/console/api/events/recent", "/console/api/events/recent?limit=1000", console=True)
    c.get("/console/api/events", f"/console/api/events?from={s.first_height}", console=True, stream_until=head)
    c.get("/console/api/genesis", "/console/api/genesis", console=True)
    c.get("/console/api/refusals", "/console/api/refusals", console=True)  # the same catalog for everyone
    c.get("/console/api/light/{height}", f"/console/api/light/{head}", console=True)
    for contract, method, args in QUERIES[:4]:
        c.get("/console/api/query/{contract}/{method}", f"/console/api/query/{contract}/{method}", "POST",
              json.dumps({k: v for k, v in args(s).items() if k != "prove"}).encode(), console=True)
    for text in [*s.refs.values(), *(h[:8] for h in tx_hashes)]:  # the explorer's search: ids, hash prefixes
        c.get("/console/api/search", "/console/api/search?" + urlencode({"q": text}), console=True)
    if who != ANONYMOUS:
        c.get("/console/api/read/{path}", f"/console/api/read/txs/{tx_hashes[0]}", console=True)
    c.close()
    return c


# routes the crawl does not read, and why
NOT_CRAWLED = {
    ("POST", "/v1/txs"): "a submission, not a read",
    ("POST", "/v1/txs/batch"): "a submission, not a read",
    ("POST", "/v1/txs/dry-run"): "a transaction its signer signed, tried: what that signer's own receipt would say "
                                 "(tests/modules/receivables/test_dry_run.py holds the two equal)",
    ("POST", "/v1/dev/advance_time"): "moves a dev chain's clock; answers only the new time",
    ("PUT", "/v1/vault/{hash}"): "an upload",
    ("GET", "/v1/vault/{hash}"): "documents' bytes: the vault matrix (tests/authz/test_authz_http.py); no secret "
                                 "here is a document",
    ("DELETE", "/console/api/session"): "sign-out",
    ("POST", "/console/api/tx/prepare"): "signs a transaction for the session's member: its own",
    ("POST", "/console/api/tx/submit"): "submits the member's own prepared transaction",
}


class Crawls(dict):  # type: ignore[type-arg]
    """Each reader's crawl, made when first asked for (a test of one reader crawls as that reader only)."""

    def __init__(self, s: Site):
        super().__init__()
        self.s = s

    def __missing__(self, who: str) -> Crawler:
        self[who] = crawl(self.s, who)
        return self[who]

    def all(self) -> dict[str, Crawler]:
        return {who: self[who] for who in (*DEMO, ANONYMOUS)}


@pytest.fixture(scope="module")
def crawls(site: Site) -> Crawls:
    return Crawls(site)


def leaks(c: Crawler, secret: Secret) -> list[str]:
    """Where `secret` shows in `c`'s answers (the request's own text taken out: a reader that names
    a key has the echo of its own request, not a leak)."""
    found = []
    needles = secret.needles()
    for route, request, text in c.answers:
        path, _, body = request.partition(" ")
        scanned = text.replace(path, "")
        sent = re.findall(r"[?&][a-z_]+=([^&\s]+)", path)
        sent += [v for v in json.loads(body).values() if isinstance(v, str)] if body else []
        for part in sent:
            scanned = scanned.replace(part, "").replace(quote(part, safe=""), "")
        hit = next((m for n in needles if (m := n.search(scanned))), None)
        if hit is not None:
            found.append(f"{route}: {request[:100]} ... {scanned[max(0, hit.start() - 150):hit.end() + 60]}")
    return found


def test_every_read_route_is_crawled(site: Site, crawls: Crawls) -> None:
    app = site.node.build_app()
    have = {(r.method, r.resource.canonical) for r in app.router.routes()
            if r.resource is not None and r.method != "HEAD"
            and r.resource.canonical.startswith(("/v1/", "/console/api/"))}
    crawled = {route for c in crawls.all().values() for route, _, _ in c.answers}
    for method, route in sorted(have):
        if (method, route) in NOT_CRAWLED:
            continue
        assert route in crawled, f"{method} {route} is a read route the leak crawl does not read"


@pytest.mark.parametrize("who", [*DEMO, ANONYMOUS])
def test_no_member_reads_another_members_values(site: Site, crawls: Crawls, who: str) -> None:
    c = crawls[who]
    found = {secret.name: leaks(c, secret) for secret in site.secrets
             if who not in secret.allowed and who not in SEE_ALL}
    found = {name: where for name, where in found.items() if where}
    assert not found, f"{who} read values that are not its to see:\n" + "\n".join(
        f"  {name}: {len(where)} answer(s), e.g. {where[:3]}" for name, where in found.items())


def test_the_regulator_finds_every_value_on_the_raw_routes(site: Site, crawls: Crawls) -> None:
    """The crawl looks where the values are: the regulator's finds each in a transaction, in state
    and in the event stream, and the exchange's too; each value's own parties find it in a
    transaction of theirs."""
    carriers = {"/v1/events", "/v1/query/{contract}/{method}", "/v1/history", "/v1/audit/export",
                "/console/api/txs/{hash}", "/console/api/events", "/console/api/events/recent"}
    for who in SEE_ALL:
        c = crawls[who]
        everywhere: set[str] = set()
        for secret in site.secrets:
            routes = {route for route, _, text in c.answers
                      if any(n.search(text) for n in secret.needles())}
            raw = {"/v1/txs/{hash}", "/v1/blocks/{height}"} | ({"/v1/state"} if "refused" not in secret.name else set())
            assert raw <= routes, (who, secret.name, routes)
            everywhere |= routes
        assert carriers <= everywhere, (who, sorted(carriers - everywhere))
    for secret in site.secrets:
        for who in secret.allowed:
            routes = {route for route, _, text in crawls[who].answers if any(n.search(text) for n in secret.needles())}
            assert "/v1/txs/{hash}" in routes or "/v1/state" in routes, (who, secret.name, sorted(routes))


def test_an_anonymous_reader_learns_hashes_and_heights_only(site: Site, crawls: Crawls) -> None:
    c = crawls[ANONYMOUS]
    for route, _, text in c.answers:
        if route == "/v1/txs/{hash}":
            doc = json.loads(text)
            assert doc["withheld"] and set(doc) == {"index", "hash", "tx_hash", "withheld", "receipt_hash",
                                                    "height", "time"}, doc
        elif route == "/v1/blocks/{height}":
            doc = json.loads(text)
            assert all(t.get("withheld") for t in doc["txs"]), doc
        elif route in ("/v1/state", "/v1/query/{contract}/{method}", "/v1/history", "/v1/audit/export"):
            assert json.loads(text)["code"] in ("not_found", "unauthenticated"), (route, text[:200])


def test_withheld_transactions_still_let_every_block_be_checked(site: Site, crawls: Crawls) -> None:
    """A member that sees none of a block's transactions rebuilds its `txs_root` from their hashes and its
    `results_root` from their receipt hashes (and the end-block record's): docs/confidentiality.md."""
    checked = 0
    for route, request, text in crawls["investor4"].answers:
        if route != "/v1/blocks/{height}" or "raw" in request:
            continue
        doc = json.loads(text)
        header = doc["header"]
        leaves = [bytes.fromhex(t["receipt_hash"]) for t in doc["txs"]]
        if doc["end_block_hash"] is not None:
            leaves.append(bytes.fromhex(doc["end_block_hash"]))
        hashes = [bytes.fromhex(t["hash"]) for t in doc["txs"]]
        assert merkle_root(site.node.app.hash, hashes).hex() == header["txs_root"]
        assert merkle_root(site.node.app.hash, leaves).hex() == header["results_root"], doc["height"]
        checked += any(t.get("withheld") for t in doc["txs"])
    assert checked >= 5  # blocks of others' transactions were among them


def test_the_live_event_stream_withholds_as_the_history_does(site: Site) -> None:
    """A block committed while a member listens reaches it filtered like the history: the events of
    transactions it may not see left out, their codes null; the party sees its own."""
    amount = 55_544_433_32
    streams: dict[str, tuple[http.client.HTTPConnection, Any]] = {}
    for who in ("investor4", "core2"):
        c = Crawler(site, who)
        c.conn.request("GET", "/v1/events", headers=c._headers("GET", "/v1/events", b"", False))
        resp = c.conn.getresponse()
        assert resp.status == 200 and resp.readline().startswith(b": faechain event stream")
        streams[who] = (c.conn, resp)
    r = site.node.submit_as("bank", "receivables", "grant_credit",
                            {"core": site.o["core2"], "amount": amount, "expires": site.now + 200 * DAY})
    assert r.ok, r
    for who, (conn, resp) in streams.items():
        lines, reached = [], False
        while True:
            line = resp.readline().decode()
            lines.append(line)
            reached = reached or (line.startswith("id: ") and int(line[4:]) >= r.height)
            if reached and line.startswith("data: "):  # the frame: id, event: block, data
                break
        conn.close()
        text = "".join(lines)
        block = json.loads(next(x for x in reversed(lines) if x.startswith("data: "))[6:])
        if who == "core2":
            assert str(amount) in text and block["codes"][r.index] == "ok"
        else:
            assert str(amount) not in text and block["codes"][r.index] is None
