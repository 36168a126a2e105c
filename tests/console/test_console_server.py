"""The console's server side without a browser: passphrase hashing, sessions, sign-in rules,
the CSRF header, signing on the member's behalf and the echo of what was signed, explorer
reads (certificate chain, writes with proofs), and what the browser's light client is served
(the genesis it pins, the signed headers it checks)."""

from __future__ import annotations

import hashlib
import http.client
import json
import subprocess
import sys

import pytest

from faechain.console.passphrase import hash_passphrase, verify_passphrase
from faechain.console.sessions import SessionTable
from faechain.core.block import Header
from faechain.core.encoding import decode
from faechain.core.tx import SIGN_DOMAIN, decode_tx
from faechain.crypto.suite import get_suite
from faechain.devnet.demo import create_demo, demo_org_id
from faechain.ledger.smt import verify_proof
from faechain.node.config import NodeConfig
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Identity
from faechain.sdk.light.solo import verify_solo

SUPPLIER1, CORE = demo_org_id(5), demo_org_id(3)


class Http:
    """A cookie-keeping client of one node (what a browser does, minus the browser)."""

    def __init__(self, node):
        self.node = node
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None
        self.last_headers: dict = {}

    def call(self, method: str, path: str, body=None, csrf: str | None | bool = True):
        headers = {"Accept": "application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if csrf is True:
            csrf = self.csrf or "x"
        if csrf:
            headers["X-Fae-CSRF"] = csrf
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection(self.node.config.host, self.node.config.port, timeout=30)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            self.last_headers = resp.headers
            for cookie in resp.headers.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                value = rest.split(";", 1)[0]
                if value and "Max-Age=0" not in cookie:
                    self.cookies[name] = value
                else:
                    self.cookies.pop(name, None)
            ctype = resp.getheader("Content-Type", "")
            return resp.status, (json.loads(raw) if ctype.startswith("application/json") else raw)
        finally:
            conn.close()

    def sign_in(self, name: str, passphrase: str | None = None):
        status, doc = self.call("POST", "/console/api/session", {"name": name, "passphrase": passphrase}, csrf="login")
        if status == 200:
            self.csrf = doc["csrf"]
        return status, doc


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("consolenode"))
    create_demo(home, free_port())
    nt = NodeThread(home, anonymous_reads=False, heartbeat=1.0)
    nt.start()
    yield nt.node
    nt.stop()


# -- passphrase and session table ------------------------------------------------------------
def test_passphrase_is_a_salted_scrypt_hash():
    stored = hash_passphrase("correct horse battery", log2_n=10)
    assert stored.startswith("scrypt$10$8$1$") and "correct" not in stored
    assert verify_passphrase(stored, "correct horse battery")
    assert not verify_passphrase(stored, "correct horse batterY")
    assert hash_passphrase("correct horse battery", log2_n=10) != stored  # a new salt each time
    assert not verify_passphrase("garbage", "x") and not verify_passphrase("scrypt$99$8$1$00$00", "x")
    with pytest.raises(ValueError):
        hash_passphrase("short")


def test_sessions_expire_when_idle_and_in_all_and_prepared_txs_expire():
    now = [1000.0]
    table = SessionTable(idle=60, lifetime=300, clock=lambda: now[0])
    s = table.create(identity=object())
    assert table.get(s.token) is s and table.get("nope") is None and table.get(None) is None
    for _ in range(4):  # used every 50 s: the idle timer restarts
        now[0] += 50
        assert table.get(s.token) is s
    now[0] += 101  # 301 s after creation: past the lifetime
    assert table.get(s.token) is None
    s2 = table.create(identity=object())
    now[0] += 61
    assert table.get(s2.token) is None  # idle too long
    s3 = table.create(identity=object())
    table.hold(s3, "aa", b"envelope", 10)
    assert table.take(s3, "aa") == b"envelope" and table.take(s3, "aa") is None  # taken once
    table.hold(s3, "bb", b"envelope", 10)
    now[0] += 11
    assert table.take(s3, "bb") is None  # expired with the transaction
    table.delete(s3.token)
    assert table.get(s3.token) is None


# -- page and assets --------------------------------------------------------------------------
def test_the_console_page_and_its_assets_are_served(node):
    h = Http(node)
    status, body = h.call("GET", "/", csrf=False)
    assert status == 200 and b"fae-demo" in body and b"/console/assets/app.js" in body and b"/openapi.json" in body
    assert "frame-ancestors 'none'" in h.last_headers["Content-Security-Policy"]
    status, body = h.call("GET", "/console/assets/app.js", csrf=False)
    assert status == 200 and h.last_headers["Content-Type"].startswith("text/javascript") and b"import" in body
    status, _ = h.call("GET", "/console/assets/views/registry.js", csrf=False)
    assert status == 200
    for bad in ("/console/assets/../routes.py", "/console/assets/%2e%2e/routes.py", "/console/assets/nope.js"):
        status, doc = h.call("GET", bad, csrf=False)
        assert status == 404, bad


# -- sign-in ---------------------------------------------------------------------------------------
def test_dev_node_lists_its_identities_and_signs_in_with_one_click(node):
    h = Http(node)
    status, doc = h.call("GET", "/console/api/session", csrf=False)
    assert status == 200 and doc["signed_in"] is False and doc["dev"] is True
    assert doc["sign_in_allowed"] and not doc["passphrase_required"]
    names = [i["name"] for i in doc["identities"]]
    assert names[:3] == ["exchange", "regulator", "core"] and "investor4" in names
    assert all("key" not in json.dumps(i) for i in doc["identities"])
    # without the CSRF header sign-in is refused
    status, err = h.call("POST", "/console/api/session", {"name": "supplier1"}, csrf=False)
    assert status == 403 and err["code"] == "forbidden"
    status, doc = h.sign_in("supplier1")
    assert status == 200 and doc["org_id"] == SUPPLIER1 and doc["role"] == "SUPPLIER"
    cookie = h.last_headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    status, doc = h.call("GET", "/console/api/session", csrf=False)
    assert doc["signed_in"] and doc["member"]["name"] == "supplier1" and doc["csrf"] == h.csrf
    status, err = h.sign_in("../../etc")
    assert status == 400
    status, err = h.sign_in("nobody")
    assert status == 404 and err["code"] == "not_found"


def test_reads_need_a_session_and_state_changes_need_the_csrf_token(node):
    h = Http(node)
    status, err = h.call("POST", "/console/api/query/membership/whoami", {})
    assert status == 401 and err["code"] == "unauthenticated"  # this node serves no anonymous reads
    status, _ = h.call("GET", "/console/api/blocks", csrf=False)
    assert status == 401
    h.sign_in("core")
    status, doc = h.call("POST", "/console/api/query/membership/whoami", {})
    assert status == 200 and doc["result"]["name"] == "core" and doc["result"]["role"] == "CORE_ENTERPRISE"
    for csrf in (False, "wrong-token"):
        status, err = h.call("POST", "/console/api/query/membership/whoami", {}, csrf=csrf)
        assert status == 403 and err["code"] == "forbidden"
        status, err = h.call("POST", "/console/api/tx/prepare", {"contract": "membership", "method": "x"}, csrf=csrf)
        assert status == 403
    # reads follow the member's role: the core does not see a supplier's credit record of another core
    status, err = h.call("POST", "/console/api/query/receivables/credit", {"core": demo_org_id(4)})
    assert status == 404 and err["code"] == "not_found"
    status, doc = h.call("DELETE", "/console/api/session")
    assert status == 200
    status, err = h.call("POST", "/console/api/query/membership/whoami", {})
    assert status == 401


def test_non_dev_node_needs_a_passphrase(node):
    node.app.genesis.dev = False
    saved = node.config.console_passphrase
    console = node_console(node)
    try:
        h = Http(node)
        status, doc = h.call("GET", "/console/api/session", csrf=False)
        assert doc["dev"] is False and doc["sign_in_allowed"] is False and "identities" not in doc
        status, err = h.sign_in("exchange")
        assert status == 403 and "console-passphrase" in err["message"]
        node.config.console_passphrase = hash_passphrase("open sesame 42", log2_n=10)
        status, doc = h.call("GET", "/console/api/session", csrf=False)
        assert doc["sign_in_allowed"] and doc["passphrase_required"]
        status, err = h.sign_in("exchange", "open sesame 43")
        assert status == 401 and err["code"] == "unauthenticated"
        status, err = h.sign_in("exchange")
        assert status == 401
        status, doc = h.sign_in("exchange", "open sesame 42")
        assert status == 200 and doc["role"] == "EXCHANGE"
        console.failures.clear()
        for _ in range(5):
            assert h.sign_in("exchange", "guess")[0] == 401
        status, err = h.sign_in("exchange", "open sesame 42")
        assert status == 403 and "too many" in err["message"]  # paused, even for the right one
    finally:
        node.app.genesis.dev = True
        node.config.console_passphrase = saved
        console.failures.clear()


def node_console(node):
    # the aiohttp application is built inside Node.serve; find the console through the event hub
    import gc

    from faechain.console.routes import CONSOLE_KEY, Console

    found = [o for o in gc.get_objects() if isinstance(o, Console) and o.node is node]
    assert found, CONSOLE_KEY
    return found[-1]


# -- signing on the member's behalf ---------------------------------------------------------
def test_prepare_shows_exactly_what_was_signed_and_submit_sends_that(node):
    h = Http(node)
    h.sign_in("supplier1")
    me = Identity.load(node.home, "supplier1")
    doc_hash = hashlib.sha256(b"invoice scan 4711").hexdigest()
    args = {"code": "011002600777", "number": "00004711", "seller": SUPPLIER1, "buyer": CORE,
            "amount": 12_345_600, "date": 1_700_000_000, "doc_hash": doc_hash}
    status, doc = h.call("POST", "/console/api/tx/prepare", {"contract": "receivables", "method": "register_invoice",
                                                               "args": args})
    assert status == 200, doc
    signed = doc["signed"]
    body = bytes.fromhex(signed["body"])
    suite = get_suite(node.app.suite.name)
    assert suite.hash(body).hex() == signed["tx_hash"]
    assert signed["contract"] == "receivables" and signed["method"] == "register_invoice" and signed["args"] == args
    assert signed["signer"] == me.cert_id.hex() and signed["signer_name"] == "supplier1"
    assert signed["chain"] == node.app.chain_id and int(signed["nonce"]) >= 0
    assert signed["expires"] > doc["now"]
    # the signature is the member's, over the body shown
    from cryptography import x509

    pub = suite.public_key_from_crypto(x509.load_der_x509_certificate(me.cert).public_key())
    assert pub.verify(bytes.fromhex(signed["signature"]), SIGN_DOMAIN + body)
    # nothing is sent before the member confirms
    assert node.store.tx(bytes.fromhex(signed["tx_hash"])) is None
    status, done = h.call("POST", "/console/api/tx/submit", {"tx_hash": signed["tx_hash"]})
    assert status == 200 and done["receipt"]["code"] == "ok", done
    assert done["signed"] == signed and done["receipt"]["tx_hash"] == signed["tx_hash"]
    assert done["receipt"]["result"] == {"invoice": "011002600777-00004711"}
    row = node.store.tx(bytes.fromhex(signed["tx_hash"]))
    tx = decode_tx(row[2], node.app.hash)
    assert tx.body == body and tx.signer == me.cert_id
    # a prepared transaction is sent once
    status, err = h.call("POST", "/console/api/tx/submit", {"tx_hash": signed["tx_hash"]})
    assert status == 404 and err["code"] == "not_found"
    # a refusal is a receipt, not an error: the same invoice twice
    status, doc = h.call("POST", "/console/api/tx/prepare", {"contract": "receivables", "method": "register_invoice",
                                                               "args": args})
    status, done = h.call("POST", "/console/api/tx/submit", {"tx_hash": doc["signed"]["tx_hash"]})
    assert status == 200 and done["receipt"]["code"] == "duplicate"
    # queries and internal methods cannot be prepared; another session cannot submit mine
    status, err = h.call("POST", "/console/api/tx/prepare",
                         {"contract": "receivables", "method": "vouchers", "args": {}})
    assert status == 404
    status, doc = h.call("POST", "/console/api/tx/prepare", {"contract": "membership", "method": "set_attributes",
                                                               "args": {"org_id": SUPPLIER1, "attributes": {}}})
    other = Http(node)
    other.sign_in("exchange")
    status, err = other.call("POST", "/console/api/tx/submit", {"tx_hash": doc["signed"]["tx_hash"]})
    assert status == 404


def test_transaction_page_has_the_certificate_chain_and_proven_writes(node):
    h = Http(node)
    h.sign_in("supplier2")
    args = {"code": "011002600778", "number": "00000009", "seller": demo_org_id(6), "buyer": CORE,
            "amount": 500_00, "date": 1_700_000_000, "doc_hash": "ab" * 32}
    _, doc = h.call("POST", "/console/api/tx/prepare",
                    {"contract": "receivables", "method": "register_invoice", "args": args})
    _, done = h.call("POST", "/console/api/tx/submit", {"tx_hash": doc["signed"]["tx_hash"]})
    assert done["receipt"]["code"] == "ok"
    status, d = h.call("GET", f"/console/api/txs/{done['receipt']['tx_hash']}", csrf=False)
    assert status == 200 and d["contract"] == "receivables" and d["method"] == "register_invoice"
    certs = d["certificates"]
    assert certs["member"]["name"] == "supplier2" and certs["member"]["org_id"] == demo_org_id(6)
    assert certs["org"]["type"] == "SUPPLIER" and certs["ca"]["org_id"] == demo_org_id(6)
    assert certs["issued_by_ca"] is True and certs["ca"]["ca_id"] == certs["org"]["ca_id"]
    assert "public_key" not in certs["member"]
    keys = {w["key"]: w for w in d["writes"]}
    inv = keys["receivables/invoice/011002600778-00000009"]
    assert inv["attributed"] and inv["decoded"]["amount"] == 500_00
    assert keys[f"membership/cert/{d['certificates']['signer']}"]["attributed"]  # first tx: the cert registered
    header_app_hash = bytes.fromhex(node.app.state_value(b"x", d["height"])["app_hash"].hex())
    assert d["app_hash"] == header_app_hash.hex()
    for w in d["writes"]:
        proof = {"siblings": [bytes.fromhex(s) for s in w["proof"]["siblings"]],
                 "leaf": [bytes.fromhex(x) for x in w["proof"]["leaf"]] if w["proof"]["leaf"] else None}
        value = bytes.fromhex(w["value"]) if w["value"] is not None else None
        assert verify_proof(node.app.hash, header_app_hash, bytes.fromhex(w["key_hex"]), value, proof), w["key"]
    status, blocks = h.call("GET", "/console/api/blocks?limit=3", csrf=False)
    assert status == 200 and len(blocks["blocks"]) == 3 and blocks["blocks"][0]["height"] == blocks["head"]
    status, recent = h.call("GET", "/console/api/events/recent?contract=receivables&type=InvoiceRegistered", csrf=False)
    assert status == 200 and recent["events"][0]["attrs"]["invoice"] == "011002600778-00000009"


def test_signed_read_proxy_reads_v1_as_the_member(node):
    h = Http(node)
    status, _ = h.call("GET", "/console/api/read/contracts", csrf=False)
    assert status == 401
    h.sign_in("regulator")
    status, doc = h.call("GET", "/console/api/read/contracts", csrf=False)
    assert status == 200 and any(c["name"] == "receivables" for c in doc["contracts"])
    status, doc = h.call("GET", "/console/api/read/blocks/1", csrf=False)
    assert status == 200 and doc["height"] == 1
    # a percent-encoded query reaches the node byte for byte as the proxy signed it
    status, doc = h.call("GET", "/console/api/read/state?key=membership%2Forgs%2Fcount", csrf=False)
    assert status in (200, 404) and doc.get("code") != "unauthenticated", doc


def test_genesis_and_light_blocks_for_the_browsers_light_client(node):
    """What static/genesis.js pins and static/light.js checks: the genesis as its canonical
    bytes (whose hash block 0 names), and GET /v1/light/{h} relayed for the session."""
    h = Http(node)
    for path in ("/console/api/genesis", "/console/api/light/1"):
        status, doc = h.call("GET", path, csrf=False)
        assert status == 401 and doc["code"] == "unauthenticated", path  # no anonymous reads on this node
    h.sign_in("investor1")
    status, doc = h.call("GET", "/console/api/genesis", csrf=False)
    assert status == 200 and doc["chain_id"] == node.app.chain_id and doc["suite"] == "ed25519"
    raw = bytes.fromhex(doc["canonical"])
    assert decode(raw) == node.app.genesis.canonical()
    assert Header.decode(node.store.block(0)[1]).prev == node.app.hash(raw)  # the chain's own genesis hash
    genesis = node.app.genesis
    for height in (0, 1):
        status, light = h.call("GET", f"/console/api/light/{height}", csrf=False)
        assert status == 200 and light["engine"] == "solo" and light["height"] == height
        trusted = verify_solo(light, genesis.chain_id, genesis.block_signer_key(), node.app.suite, node.app.hash,
                              height=height)
        assert trusted.block_hash == node.store.block(height)[0]
    status, doc = h.call("GET", f"/console/api/light/{node.app.height + 1000}", csrf=False)
    assert status == 404 and doc["code"] == "not_found" and "no signed header" in doc["message"]
    for bad in ("latest", "-1", "x", str(2**63)):
        status, doc = h.call("GET", f"/console/api/light/{bad}", csrf=False)
        assert status == 400 and doc["code"] == "bad_request", bad


def test_fae_node_console_passphrase_sets_a_hash(tmp_path):
    home = str(tmp_path)
    NodeConfig(port=free_port()).save(home)
    run = subprocess.run([sys.executable, "-m", "faechain", "node", "console-passphrase", "--home", home, "--stdin"],
                         input="a long enough phrase\n", text=True, capture_output=True, timeout=60)
    assert run.returncode == 0, run.stderr
    stored = NodeConfig.load(home).console_passphrase
    assert verify_passphrase(stored, "a long enough phrase") and "phrase" not in stored
    run = subprocess.run([sys.executable, "-m", "faechain", "node", "console-passphrase", "--home", home, "--stdin"],
                         input="short\n", text=True, capture_output=True, timeout=60)
    assert run.returncode != 0 and "at least 8" in run.stderr
    run = subprocess.run([sys.executable, "-m", "faechain", "node", "console-passphrase", "--home", home, "--clear"],
                         text=True, capture_output=True, timeout=60)
    assert run.returncode == 0 and NodeConfig.load(home).console_passphrase == ""
