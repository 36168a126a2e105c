"""The authorization matrix of the REST API and the document vault, against a real node.

A demo node (the 19 `fae demo` members, samples seeded: an outstanding plan with its documents in
the vault, an NPA package sold in an English auction with its data room, contract and published
notice) serving in-process with anonymous reads off (`anonymous_reads=False`, as on any node that
is not a dev chain on loopback), plus a second NPA package listed for auction with a bidder that
has not yet logged a view of its data room.

- `ROUTES` classifies every route under /v1; a route the router has and the table does not fails
  `test_every_v1_route_is_in_the_matrix`. Every route is then called unauthenticated and as every
  member: public routes answer anyone; a member read answers every member and refuses an unsigned
  request 401 `unauthenticated`; the regulator's history and audit export answer the regulator and
  the exchange and refuse every other member 403 `forbidden`.
- Vault documents are downloaded by every member: the parties of the plan or package, the exchange
  and the regulator 200 with the document's bytes; everyone else 404 `not_found` where the
  document's record is not theirs to read (a refusal never reveals existence), 403 where it is
  (an NPA data-room document: a bidder reads it only after logging its view on the ledger,
  `npa.view_document`); the published transfer notice is every member's. Uploads: the parties
  that register documents 201, others 403.
- What each member is shown *inside* a raw answer — a transaction, a block, a state key, an event —
  per record and transaction kind is test_authz_raw.py's; the leak crawl is tests/test_confidentiality.py.

What each member sees *inside* an answer of `POST /v1/query/...` is the contract's rule, tested
for every query in test_authz_queries.py; here a query checks the status mapping (ok 200,
unauthorized 403, not_found 404).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from faechain.cli.demo import seed_node, store_document
from faechain.core.wire import signed_path
from faechain.devnet.demo import MEMBERS, create_demo
from faechain.identity.wallet import Identity
from faechain.node.testing import NodeThread, free_port
from tests.authz.authz_support import ANYONE, SEE_ALL, Who, party

DEMO = tuple(m.name for m in MEMBERS)
ANONYMOUS = "anonymous"
READERS = (ANONYMOUS,) + DEMO
YUAN = 100
DAY = 86_400


# -- the node and its documents ---------------------------------------------------------------------------


@dataclass
class Site:
    node: Any
    ids: dict[str, Identity]
    o: dict[str, str]
    t: dict[str, Any]

    def ok(self, who: str, contract: str, method: str, **args: Any) -> Any:
        r = self.node.submit_as(who, contract, method, args)
        assert r.ok, (who, contract, method, r.code, r.message)
        return r

    def query(self, who: str, contract: str, method: str, **args: Any) -> Any:
        ident = self.ids[who]
        caller = self.node.app.caller_for_cert(ident.cert_id, ident.cert)
        return self.node.app.run_query(contract, method, args, caller)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    home = str(tmp_path_factory.mktemp("authz-http"))
    create_demo(home, free_port())
    nt = NodeThread(home, anonymous_reads=False, heartbeat=1.0, verify_workers=0)
    nt.start()
    try:
        node = nt.node
        seed_node(node)
        ids = {name: Identity.load(home, name) for name in DEMO}
        s = Site(node, ids, {n: i.org_id for n, i in ids.items()}, {})
        t = s.t
        # the seeded plan and package, and their documents
        [plan] = s.query("regulator", "plans", "plans", sponsor=s.o["supplier1"])
        t["plan"] = plan["id"]
        docs = s.query("regulator", "plans", "plan", id=plan["id"])["documents"]
        t["plan_doc"] = next(d["hash"] for d in docs if d["kind"] == "prospectus")
        [pkg] = s.query("regulator", "npa", "packages", seller=s.o["bank2"])
        t["package"] = pkg["id"]
        by_kind = {d["kind"]: d["hash"] for d in s.query("regulator", "npa", "documents", package=pkg["id"])}
        t["tape"], t["contract"], t["notice"] = by_kind["loan_file"], by_kind["contract"], by_kind["notice"]
        # a second package, listed, with a registered bidder (investor2) that has read nothing yet
        now = node.engine.now_ms() // 1000
        borrower = hashlib.sha256(b"person:authz").hexdigest()  # a personal data document's commitment
        r = s.ok("bank2", "npa", "register_loan", loan_no="AUTHZ-0001", borrower=borrower,
                 principal=2_000_000 * YUAN, interest=100_000 * YUAN, classification="doubtful", days_past_due=300)
        t["tx"] = r.tx_hash.hex()
        new = s.ok("bank2", "npa", "create_package", name="Authz NPL package", loans=["AUTHZ-0001"],
                   base_date=now - 30 * DAY, reserve_price=1_000_000 * YUAN, list_price=1_200_000 * YUAN,
                   margin=100_000 * YUAN).result["package"]
        t["listed"] = new
        t["listed_tape"] = put_document(s, "bank2", new, b"loan tape of the authz package\n")
        s.ok("bank2", "npa", "submit_for_due_diligence", package=new, intermediary=s.o["lawfirm"])
        report = put_document(s, "lawfirm", new, b"due diligence report, authz package\n", "due_diligence")
        s.ok("lawfirm", "npa", "record_due_diligence", package=new, report_hash=report, opinion="clean")
        s.ok("exchange", "npa", "approve", package=new)
        start = node.engine.now_ms() // 1000 + 5
        auction = s.ok("exchange", "npa", "list_package", package=new, mode="english", start=start, end=start + DAY,
                       settlement_bank=s.o["bank"], increment=50_000 * YUAN).result["auction"]
        s.ok("investor2", "auctions", "register", auction=auction)
        yield s
    finally:
        nt.stop()


def put_document(s: Site, who: str, package: str, data: bytes, kind: str = "loan_file") -> str:
    h = store_document(s.node, data)
    s.ok(who, "npa", "register_document", package=package, hash=h, kind=kind, name=f"{kind}.txt", size=len(data),
         media_type="text/plain")
    return h


def request(s: Site, method: str, path: str, body: bytes = b"", who: str = ANONYMOUS,
            headers: dict | None = None, stream: bool = False) -> tuple[int, Any]:
    """(status, parsed body) of one request, signed as member `who` (not for ANONYMOUS)."""
    headers = dict(headers or {})
    if who != ANONYMOUS:
        ident = s.ids[who]
        date = int(time.time() * 1000)
        path_only, _, query = path.partition("?")
        sig = ident.sign_read(s.node.app.chain_id, method, signed_path(path_only, query),
                              hashlib.sha256(body).digest(), date)
        headers.update({"X-Fae-Signer": ident.cert_id.hex(), "X-Fae-Date": str(date),
                        "X-Fae-Signature": base64.b64encode(sig).decode(),
                        "X-Fae-Cert": base64.b64encode(ident.cert).decode()})
    conn = http.client.HTTPConnection(s.node.config.host, s.node.config.port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        if stream and resp.status == 200:  # an event stream: the status is the answer
            return resp.status, None
        data = resp.read()
        ctype = resp.getheader("Content-Type", "")
        return resp.status, json.loads(data) if ctype.startswith("application/json") else data
    finally:
        conn.close()


# -- every /v1 route ------------------------------------------------------------------------------------------

AUDITORS = SEE_ALL
PLAN_READERS = party("supplier1", "underwriter", "factor", "bank", "investor1", "investor2",
                     what="the plan's parties and investors") | SEE_ALL
PLAN_PARTIES = party("supplier1", "underwriter", "factor", "bank", what="the plan's parties")


@dataclass(frozen=True)
class Route:
    who: Who | None  # the members answered 2xx; None: public (no signature needed at all)
    call: Callable[[Site, str], tuple[int, Any]]  # (site, reader) -> (status, body)
    why: str
    ok: int = 200
    refused: int = 403


def envelope(s: Site, who: str, contract: str, method: str, args: dict) -> bytes:
    return s.ids[who].sign_tx(s.node.app.chain_id, contract, method, args, now_ms=s.node.engine.now_ms())


def submit_one(s: Site, reader: str) -> tuple[int, Any]:
    signer = "investor4" if reader == ANONYMOUS else reader
    raw = envelope(s, signer, "membership", "set_attributes", {"org_id": s.o["investor4"], "attributes": {"p": reader}})
    status, doc = request(s, "POST", "/v1/txs", raw, who=ANONYMOUS,
                          headers={"Content-Type": "application/octet-stream"})
    want = "ok" if signer == "exchange" else "unauthorized"
    assert status != 200 or doc["code"] == want, (reader, doc)
    return status, doc


def submit_batch(s: Site, reader: str) -> tuple[int, Any]:
    signer = "investor4" if reader == ANONYMOUS else reader
    raw = envelope(s, signer, "membership", "set_attributes", {"org_id": s.o["investor4"], "attributes": {"b": reader}})
    body = json.dumps({"txs": [base64.b64encode(raw).decode()]}).encode()
    status, doc = request(s, "POST", "/v1/txs/batch", body, who=ANONYMOUS, headers={"Content-Type": "application/json"})
    want = "ok" if signer == "exchange" else "unauthorized"
    assert status != 200 or doc["results"][0]["code"] == want, (reader, doc)
    return status, doc


def dry_run(s: Site, reader: str) -> tuple[int, Any]:
    """The same call as submit_one, tried: the receipt the block would give, nothing written."""
    signer = "investor4" if reader == ANONYMOUS else reader
    raw = envelope(s, signer, "membership", "set_attributes", {"org_id": s.o["investor4"], "attributes": {"d": reader}})
    status, doc = request(s, "POST", "/v1/txs/dry-run", raw, who=ANONYMOUS,
                          headers={"Content-Type": "application/octet-stream"})
    want = "ok" if signer == "exchange" else "unauthorized"
    assert status != 200 or (doc["code"] == want and doc["dry_run"] is True), (reader, doc)
    return status, doc


def upload(s: Site, reader: str, scope: str, subject: str) -> tuple[int, Any]:
    data = f"authz upload by {reader} to {scope} {subject}".encode()
    h = s.node.app.hash(data).hex()
    return request(s, "PUT", f"/v1/vault/{h}?" + urlencode({"scope": scope, "subject": subject}), data, who=reader,
                   headers={"Content-Type": "application/octet-stream"})


def download(s: Site, reader: str, scope: str, doc_hash: str) -> tuple[int, Any]:
    return request(s, "GET", f"/v1/vault/{doc_hash}?" + urlencode({"scope": scope}), who=reader)


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/v1/info"): Route(None, lambda s, r: request(s, "GET", "/v1/info", who=r),
                               "chain id, head and clock: public (a client needs them before it can sign)"),
    ("POST", "/v1/txs"): Route(None, submit_one,
                               "the signed envelope is the credential: no read signature; the receipt's code is the "
                               "contract's (test_authz_contracts.py)"),
    ("POST", "/v1/txs/batch"): Route(None, submit_batch, "as /v1/txs"),
    ("POST", "/v1/txs/dry-run"): Route(None, dry_run, "as /v1/txs, nothing committed: the signer is told what its "
                                                       "own receipt would say"),
    ("GET", "/v1/txs/{hash}"): Route(ANYONE, lambda s, r: request(s, "GET", f"/v1/txs/{s.t['tx']}", who=r),
                                     "every member is answered: in full if it may see the transaction, else its "
                                     "hash, position and receipt hash (test_authz_raw.py)"),
    ("GET", "/v1/blocks/{height}"): Route(ANYONE, lambda s, r: request(s, "GET", "/v1/blocks/latest", who=r),
                                          "as transactions: each transaction in full or withheld"),
    ("GET", "/v1/light/{height}"): Route(ANYONE, lambda s, r: request(s, "GET", "/v1/light/1", who=r),
                                         "a header and its signatures: what every member's light client needs, "
                                         "as blocks"),
    ("GET", "/v1/sync/{height}"): Route(ANYONE, lambda s, r: request(s, "GET", "/v1/sync/1", who=r),
                                        "a block as the reader's member node keeps it: what the reader may read of "
                                        "it, with proofs (the leak crawl reads it as every member)"),
    ("GET", "/v1/snapshot/{height}"): Route(ANYONE, lambda s, r: request(s, "GET", "/v1/snapshot/1?limit=50", who=r),
                                            "the state as of a block that the reader may read, with proofs: where "
                                            "its member node starts from a checkpoint (crawled as every member)"),
    ("GET", "/v1/state"): Route(ANYONE, lambda s, r: request(
        s, "GET", "/v1/state?" + urlencode({"key": f"membership/org/{s.o['bank2']}", "prove": "true"}), who=r),
        "raw state values with proofs, for every member that may read the key's record (the contract's can_read, "
        "the rule its queries follow: test_authz_raw.py); the roster is every member's"),
    ("POST", "/v1/query/{contract}/{method}"): Route(ANYONE, lambda s, r: request(
        s, "POST", "/v1/query/membership/whoami", b"{}", who=r, headers={"Content-Type": "application/json"}),
        "any member may ask; the contract decides what it sees (test_authz_queries.py)"),
    ("GET", "/v1/contracts"): Route(ANYONE, lambda s, r: request(s, "GET", "/v1/contracts", who=r),
                                    "the contracts' methods: every member"),
    ("GET", "/v1/events"): Route(ANYONE, lambda s, r: request(s, "GET", "/v1/events?blocks=false", who=r, stream=True),
                                 "the event stream: every member, each shown the events it may see"),
    ("POST", "/v1/dev/advance_time"): Route(ANYONE, lambda s, r: request(
        s, "POST", "/v1/dev/advance_time", b'{"seconds": 1}', who=r, headers={"Content-Type": "application/json"}),
        "a dev chain's clock: any member of a dev chain (a chain that is not dev answers 403 forbidden)"),
    ("GET", "/v1/history"): Route(AUDITORS, lambda s, r: request(
        s, "GET", "/v1/history?" + urlencode({"ref": s.t["plan"]}), who=r),
        "domain 5 / README audit trail: the regulator and the exchange read any history; others 403"),
    ("GET", "/v1/audit/export"): Route(AUDITORS, lambda s, r: request(
        s, "GET", "/v1/audit/export?" + urlencode({"ref": s.t["plan"], "format": "csv"}), who=r),
        "as history"),
    ("PUT", "/v1/vault/{hash}"): Route(PLAN_PARTIES, lambda s, r: upload(s, r, "plans", s.t["plan"]),
                                       "uploads follow plans.vault_upload: the plan's parties", ok=201),
    ("GET", "/v1/vault/{hash}"): Route(PLAN_READERS, lambda s, r: download(s, r, "plans", s.t["plan_doc"]),
                                       "downloads follow plans.vault_document (see the document matrix below); "
                                       "a plan's document is not found for a member that may not read the plan",
                                       refused=404),
}


def route_expected(route: Route, reader: str) -> int:
    if route.who is None:
        return 200
    if reader == ANONYMOUS:
        return 401
    return route.ok if reader in route.who else route.refused


def test_every_v1_route_is_in_the_matrix(site: Site) -> None:
    app = site.node.build_app()
    have = {(r.method, r.resource.canonical) for r in app.router.routes()
            if r.resource is not None and r.resource.canonical.startswith("/v1/") and r.method != "HEAD"}
    missing = sorted(have - set(ROUTES))
    assert not missing, f"/v1 routes without a row in the authorization matrix: {missing}"
    assert set(ROUTES) - have == set(), f"rows for routes the node does not have: {sorted(set(ROUTES) - have)}"


ROUTE_CASES = [(key, reader) for key in ROUTES for reader in READERS]


@pytest.mark.parametrize("key,reader", ROUTE_CASES,
                         ids=[f"{m} {p}-{r}-{route_expected(ROUTES[(m, p)], r)}" for (m, p), r in ROUTE_CASES])
def test_route(site: Site, key: tuple[str, str], reader: str) -> None:
    route = ROUTES[key]
    want = route_expected(route, reader)
    status, doc = route.call(site, reader)
    where = f"{reader} on {key[0]} {key[1]}: {route.who!r}: {route.why}"
    assert status == want, f"{where}\n  expected {want}, got {status}: {str(doc)[:300]}"
    if want == 401:
        assert doc["code"] == "unauthenticated", (where, doc)
    elif want == 403:
        assert doc["code"] in ("forbidden", "unauthorized"), (where, doc)
        assert doc["message"], where
    elif want == 404:
        assert doc["code"] == "not_found", (where, doc)


@pytest.mark.parametrize("reader", DEMO)
def test_query_refusals_keep_their_status(site: Site, reader: str) -> None:
    """A contract's refusal reaches the reader with its code and HTTP status: a plan's cash flows
    (its parties and investors, the exchange and the regulator: 200; others 404 not_found), a
    voucher the reader is not party to (404 not_found): as if neither existed."""
    status, doc = request(site, "POST", "/v1/query/plans/cash_flows", json.dumps({"plan": site.t["plan"]}).encode(),
                          who=reader, headers={"Content-Type": "application/json"})
    if reader in PLAN_READERS:
        assert status == 200 and doc["result"], (reader, status, doc)
    else:
        assert (status, doc["code"]) == (404, "not_found"), (reader, status, doc)
    [first] = site.query("regulator", "receivables", "vouchers", payer=site.o["core"], limit=1)
    parties = {first.get(k) for k in ("holder", "payer", "from", "funder")}
    if first.get("locked_by") == "products":  # an underlying voucher: its product's parties read it too
        [product] = site.query("regulator", "products", "products", originator=site.o["factor"])
        p = site.query("regulator", "products", "product", id=product["id"])["product"]
        assert first["id"] in p["underlying"]
        parties |= {p["originator"], p["registrar"], p["settlement_bank"]}
    visible = reader in SEE_ALL or site.o[reader] in parties
    status, doc = request(site, "POST", "/v1/query/receivables/voucher", json.dumps({"id": first["id"]}).encode(),
                          who=reader, headers={"Content-Type": "application/json"})
    assert (status, doc["result"]["voucher"]["id"] if status == 200 else doc["code"]) == \
        ((200, first["id"]) if visible else (404, "not_found")), (reader, status, doc)


# -- vault documents: who downloads and who uploads ---------------------------------------------------------------

SOLD = party("bank2", "lawfirm", "amc", what="the package's seller, DD intermediary and winner") | SEE_ALL
LISTED_PARTIES = party("bank2", "lawfirm", what="the listed package's seller and DD intermediary") | SEE_ALL

DOCUMENTS: dict[str, tuple[str, str, Who, str]] = {
    # name: (scope, target key, who downloads, why); others: 404 if they may not read the document's record
    # (REFUSED_404), else 403
    "plan prospectus": ("plans", "plan_doc", PLAN_READERS,
                        "the plan's parties, its investors, the exchange and the regulator (README plans)"),
    "npa loan tape": ("npa", "tape", SOLD | party("investor1", what="a bidder that logged its view"),
                      "a data-room document: the package's parties, exchange, regulator, and investor1, which logged "
                      "its view as a bidder (amc won: a party now)"),
    "npa transfer contract": ("npa", "contract", SOLD, "a deal document: the parties, exchange, regulator"),
    "npa transfer notice": ("npa", "notice", ANYONE, "the published notice: every member (README npa)"),
    "listed package tape": ("npa", "listed_tape", LISTED_PARTIES,
                            "no bidder has logged a view: the seller, its intermediary, exchange, regulator only"),
}
# documents whose record a member outside `who` may not read either: refused 404 not_found, as an unknown hash
# (the data-room tape's record is every member's once the package is listed: 403 until a logged view)
REFUSED_404 = {"plan prospectus", "npa transfer contract"}
DOC_CASES = [(name, reader) for name in DOCUMENTS for reader in READERS]


def doc_expected(name: str, reader: str) -> int:
    who = DOCUMENTS[name][2]
    return 401 if reader == ANONYMOUS else 200 if reader in who else 404 if name in REFUSED_404 else 403


@pytest.mark.parametrize("name,reader", DOC_CASES,
                         ids=[f"{n}-{r}-{doc_expected(n, r)}" for n, r in DOC_CASES])
def test_document_download(site: Site, name: str, reader: str) -> None:
    scope, key, who, why = DOCUMENTS[name]
    want = doc_expected(name, reader)
    status, body = download(site, reader, scope, site.t[key])
    where = f"{reader} downloading the {name}: {who!r}: {why}"
    assert status == want, f"{where}\n  expected {want}, got {status}: {str(body)[:200]}"
    if want == 200:
        assert site.node.app.hash(body).hex() == site.t[key], where
    else:
        assert body["code"] == {401: "unauthenticated", 403: "unauthorized", 404: "not_found"}[want], (where, body)


UPLOADS: dict[str, tuple[str, str, Who, str]] = {
    "plan": ("plans", "plan", PLAN_PARTIES, "plans.vault_upload: the plan's parties (not its investors, the exchange "
                                            "or the regulator, who read but do not register documents)"),
    "listed package": ("npa", "listed", party("bank2", "lawfirm", what="seller and DD intermediary")
                       | party("exchange", what="the exchange"),
                       "npa.vault_upload: those who may register its documents"),
}
UPLOAD_CASES = [(name, reader) for name in UPLOADS for reader in READERS]


@pytest.mark.parametrize("name,reader", UPLOAD_CASES,
                         ids=[f"{n}-{r}-{401 if r == ANONYMOUS else 201 if r in UPLOADS[n][2] else 403}"
                              for n, r in UPLOAD_CASES])
def test_document_upload(site: Site, name: str, reader: str) -> None:
    scope, key, who, why = UPLOADS[name]
    want = 401 if reader == ANONYMOUS else 201 if reader in who else 403
    status, doc = upload(site, reader, scope, site.t[key])
    assert status == want, f"{reader} uploading to the {name}: {who!r}: {why}\n  got {status}: {doc}"


def test_a_bidder_reads_the_data_room_only_after_logging_its_view(site: Site) -> None:
    """investor3 registers for the listed package's auction: 403 on its loan tape until its
    view_document is on the ledger, 200 after; investor1, not registered, cannot log a view; a
    registered bidder that logged nothing (investor2) stays refused."""
    pkg, tape = site.t["listed"], site.t["listed_tape"]
    auction = site.query("regulator", "npa", "package", id=pkg)["package"]["auction"]
    site.ok("investor3", "auctions", "register", auction=auction)
    assert download(site, "investor3", "npa", tape)[0] == 403
    refused = site.node.submit_as("investor1", "npa", "view_document", {"package": pkg, "hash": tape})
    assert refused.code == "unauthorized", refused
    site.ok("investor3", "npa", "view_document", package=pkg, hash=tape)
    status, body = download(site, "investor3", "npa", tape)
    assert status == 200 and site.node.app.hash(body).hex() == tape
    assert download(site, "investor2", "npa", tape)[0] == 403
    assert download(site, "investor1", "npa", tape)[0] == 403
