"""The SDK client against a live in-process node: receipts, certificates, clock, transport."""

from __future__ import annotations

import socket
import threading

import pytest

from faechain.devnet.demo import create_demo, demo_org_id
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import ApiError, Client, Identity, Receipt

INVESTOR2_ORG = demo_org_id(13)


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("sdknode"))
    create_demo(home, free_port())
    nt = NodeThread(home, anonymous_reads=False)
    nt.start()
    yield nt.node
    nt.stop()


def ident(node, name: str) -> Identity:
    return Identity.load(node.home, name)


def test_public_surface():
    import faechain.sdk as sdk

    assert {"Identity", "Client", "Receipt", "ApiError"} <= set(sdk.__all__)
    r = Receipt.from_json({"code": "ok", "tx_hash": "ab", "height": 3, "index": 0, "result": {"id": "x"}})
    assert r.ok and not r.pending and r.result == {"id": "x"} and r.events == []


def test_submit_and_query(node):
    exchange = ident(node, "exchange")
    with Client(node.url, identity=exchange) as c:
        r = c.submit(exchange, "membership", "set_attributes", org_id=INVESTOR2_ORG, attributes={"sdk": 1})
        assert isinstance(r, Receipt) and r.ok and r.code == "ok" and r.message == ""
        assert r.result == {"org_id": INVESTOR2_ORG} and r.events[0]["type"] == "OrgAttributesSet"
        org = c.query("membership", "org", org_id=INVESTOR2_ORG)
        assert org["attributes"]["sdk"] == 1
        assert c.query("membership", "org", org_id=INVESTOR2_ORG, _height=r.height - 1)["attributes"].get("sdk") is None
        # identity may come from the client
        r2 = c.submit(None, "membership", "set_attributes", org_id=INVESTOR2_ORG, attributes={"sdk": 2})
        assert r2.ok
        # submit_args passes any argument name, including the reserved `wait`
        r3 = c.submit_args(exchange, "membership", "set_attributes", {"org_id": INVESTOR2_ORG, "attributes": {},
                                                                      "wait": 1})
        assert r3.code == "bad_request" and "wait" in r3.message


def test_check_rejections_are_receipts_not_exceptions(node):
    exchange = ident(node, "exchange")
    c = Client(node.url, identity=exchange)
    r = c.submit(exchange, "nosuch", "method")
    assert not r.ok and r.code == "unknown_contract" and r.height is None and len(r.tx_hash) == 64
    r = c.submit(exchange, "membership", "nosuch")
    assert r.code == "unknown_method"
    r = c.submit(exchange, "membership", "org", org_id="x")  # a query is not a transaction
    assert r.code == "unknown_method"
    r = c.submit(exchange, "membership", "set_attributes", org_id=5, attributes={})
    assert r.code == "bad_request"


def test_bytes_arguments_travel_as_cbor(node):
    reg = ident(node, "regulator")
    c = Client(node.url, identity=reg)
    with pytest.raises(ApiError) as err:
        c.query("membership", "cert", cert_id=b"\x01\x02")  # bytes where text is expected
    assert err.value.code == "bad_request" and err.value.status == 400
    cert = c.query("membership", "cert", cert_id=ident(node, "exchange").cert_id.hex())
    assert cert["name"] == "exchange"


def test_certificate_attached_first_and_on_unknown_signer(node):
    bank2 = ident(node, "bank2")  # never used on this chain before
    c = Client(node.url, identity=bank2)
    # a read by an unregistered member: 401 unknown_signer, retried with the certificate
    assert c.query("membership", "whoami")["name"] == "bank2"
    assert bank2.cert_id in c._read_cert
    # pretend the certificate already went out: the node says unknown_signer, the client retries with it
    c._submitted.add(bank2.cert_id)
    r = c.submit(bank2, "membership", "set_attributes", org_id=INVESTOR2_ORG, attributes={})
    assert r.code == "unauthorized", r  # reached the contract, so the signer was accepted
    assert c.tx(r.tx_hash)["cert_attached"] is True
    # a refused transaction registers nothing: the next one still carries the certificate
    c._submitted.discard(bank2.cert_id)
    r2 = c.submit(bank2, "membership", "set_attributes", org_id=INVESTOR2_ORG, attributes={})
    assert r2.code == "unauthorized" and c.tx(r2.tx_hash)["cert_attached"] is True
    assert bank2.cert_id not in c._submitted
    # a successful transaction registers it: after that the certificate stays home
    exchange = ident(node, "exchange")
    ce = Client(node.url, identity=exchange)
    r3 = ce.submit(exchange, "membership", "set_attributes", org_id=INVESTOR2_ORG, attributes={"sdk": 1})
    assert r3.ok and exchange.cert_id in ce._submitted
    r4 = ce.submit(exchange, "membership", "set_attributes", org_id=INVESTOR2_ORG, attributes={"sdk": 2})
    assert r4.ok and ce.tx(r4.tx_hash)["cert_attached"] is False


def test_no_wait_then_wait(node):
    exchange = ident(node, "exchange")
    c = Client(node.url, identity=exchange)
    r = c.submit(exchange, "membership", "set_attributes", wait=False, org_id=INVESTOR2_ORG, attributes={"nw": 1})
    assert r.pending and not r.ok and r.height is None
    done = c.wait(r.tx_hash, timeout=10)
    assert done.ok and done.tx_hash == r.tx_hash and done.height >= 1
    with pytest.raises(ApiError) as err:
        c.wait("00" * 32, timeout=0.2)
    assert err.value.code == "timeout"


def test_transport_and_auth_errors_raise(node):
    with pytest.raises(ApiError) as err:
        Client(f"http://127.0.0.1:{free_port()}").info()
    assert err.value.code == "unavailable"
    anon = Client(node.url)
    with pytest.raises(ApiError) as err:
        anon.block("latest")
    assert err.value.code == "unauthenticated" and err.value.status == 401
    assert anon.info()["chain_id"] == "fae-demo"  # public reads need no identity
    with pytest.raises(ApiError) as err:
        Client(node.url, identity=ident(node, "bank")).block(10**9)
    assert err.value.code == "not_found" and err.value.status == 404


def test_keep_alive_and_stale_connection(node):
    c = Client(node.url, identity=ident(node, "bank"))
    c.info()
    conn = c._local.conn
    c.block("latest")
    c.query("membership", "whoami")
    assert c._local.conn is conn  # one connection reused
    conn.sock.shutdown(socket.SHUT_RDWR)  # as if the server had closed the idle connection
    assert c.block("latest")["height"] >= 0
    assert c._local.conn is not conn


def test_threads_share_a_client(node):
    exchange = ident(node, "exchange")
    c = Client(node.url, identity=exchange)
    results: list[Receipt] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        for j in range(5):
            r = c.submit(exchange, "membership", "set_attributes", org_id=INVESTOR2_ORG, attributes={f"t{i}": j})
            with lock:
                results.append(r)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 20 and all(r.ok for r in results), [r.code for r in results if not r.ok]
    assert len({r.tx_hash for r in results}) == 20


def test_stale_clock_is_refreshed_after_someone_advances_time(node):
    exchange = ident(node, "exchange")
    mover = Client(node.url, identity=exchange)
    other = Client(node.url, identity=exchange)
    other.info()  # caches the clock before the move
    mover.advance_time(2 * 86400)  # past the 24 h expiry horizon of anything signed on the old clock
    r = other.submit(exchange, "membership", "set_attributes", org_id=INVESTOR2_ORG, attributes={"clock": 1})
    assert r.ok, r
    assert abs(other.now_ms() - mover.info()["time"]) < 5_000
