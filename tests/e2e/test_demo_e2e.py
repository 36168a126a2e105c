"""End to end: `fae demo` as a separate process, driven through the SDK and raw REST."""

from __future__ import annotations

import base64
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from faechain.core.genesis import Genesis
from faechain.devnet.demo import demo_org_id
from faechain.node.testing import free_port
from faechain.sdk import ApiError, Client, Identity
from faechain.sdk.light.client import LightClient

INVESTOR1_ORG = demo_org_id(12)


def _fae_command() -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "fae")
    if os.path.exists(script):
        return [script]
    return [sys.executable, "-c", "import sys; from faechain.cli.main import main; sys.exit(main())"]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture()
def demo(tmp_path):
    home = str(tmp_path / "demo")
    port = free_port()
    proc = subprocess.Popen(
        [*_fae_command(), "demo", "--home", home, "--port", str(port), "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"fae demo exited early ({proc.returncode}):\n{proc.stdout.read()}")
        try:
            if _get(url + "/healthz")[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("fae demo did not serve /healthz within 60 s")
        time.sleep(0.1)
    yield proc, url, home
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def test_demo_end_to_end(demo):
    proc, url, home = demo
    exchange = Identity.load(home, "exchange")

    # -- raw REST ------------------------------------------------------------------------
    status, body = _get(url + "/v1/info")
    info = json.loads(body)
    assert status == 200 and info["chain_id"] == "fae-demo" and info["dev"] and info["anonymous_reads"]
    status, body = _get(url + "/openapi.json")
    assert status == 200 and "/v1/txs" in json.loads(body)["paths"]
    status, body = _get(url + "/")
    assert status == 200 and b"fae-demo" in body
    raw_tx = exchange.sign_tx(info["chain_id"], "membership", "set_attributes",
                              {"org_id": INVESTOR1_ORG, "attributes": {"e2e": "raw"}}, now_ms=info["time"])
    req = urllib.request.Request(url + "/v1/txs?wait=true", method="POST",
                                 data=json.dumps({"tx": base64.b64encode(raw_tx).decode()}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        receipt = json.loads(resp.read())
    assert receipt["ok"] and receipt["code"] == "ok" and receipt["height"] >= 1
    status, body = _get(url + "/v1/blocks/latest")  # the demo allows anonymous reads on loopback ...
    assert status == 200 and json.loads(body)["height"] >= receipt["height"]
    status, body = _get(url + "/v1/txs/" + receipt["tx_hash"])  # ... as a non-member: hashes and heights
    assert status == 200 and json.loads(body)["withheld"] and "args" not in json.loads(body)

    # -- SDK ---------------------------------------------------------------------------------
    client = Client(url, identity=exchange)
    r = client.submit(exchange, "membership", "set_attributes", org_id=INVESTOR1_ORG, attributes={"e2e": "sdk"})
    assert r.ok, r
    denied = client.submit(Identity.load(home, "investor4"), "membership", "set_attributes",
                           org_id=INVESTOR1_ORG, attributes={"e2e": "no"})
    assert denied.code == "unauthorized"
    assert client.query("membership", "whoami")["name"] == "exchange"
    assert client.tx(receipt["tx_hash"])["args"]["attributes"] == {"e2e": "raw"}  # its signer's, in full
    with pytest.raises(ApiError) as anonymous:
        Client(url).query("membership", "whoami")  # queries are for members (fae demo --open: for anyone)
    assert anonymous.value.code == "unauthenticated"
    assert client.query("membership", "org", org_id=INVESTOR1_ORG)["attributes"]["e2e"] == "sdk"
    client.trust = LightClient(Genesis.load(os.path.join(home, "genesis.json")), client)  # by signature
    proof = client.prove(f"membership/org/{INVESTOR1_ORG}")
    assert proof["verified"] and proof["decoded"]["attributes"]["e2e"] == "sdk"
    evs = []  # the demo seeds its sample business meanwhile: follow membership events only
    for ev in client.events(from_height=r.height, contract="membership"):
        evs.append(ev)
        if ev["event"] == "block":
            break
    assert evs[0] == {"event": "contract", "height": r.height, "tx": r.index, "n": 0, "contract": "membership",
                      "type": "OrgAttributesSet", "attrs": {"org_id": INVESTOR1_ORG, "attributes": {"e2e": "sdk"}}}
    assert evs[-1]["height"] == r.height and evs[-1]["codes"][r.index] == "ok"
    # the demo's sample: a voucher of `core` split down three tiers, one piece factored
    core = Identity.load(home, "core")
    deadline = time.monotonic() + 60
    while True:
        pieces = client.query("receivables", "vouchers", payer=core.org_id)
        if any(v["status"] == "FINANCED" for v in pieces) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert {v["tier"] for v in pieces} >= {1, 2, 3, 4} and any(v["status"] == "FINANCED" for v in pieces)
    height = client.info()["height"]
    status, body = _get(url + "/metrics")  # the demo keeps making blocks: the height only grows
    metric = [line for line in body.decode().splitlines() if line.startswith("fae_height ")]
    assert status == 200 and metric and int(metric[0].split()[1]) >= height

    # -- shutdown: SIGTERM ends the process cleanly, even with an event stream open -------------
    live: queue.Queue = queue.Queue()

    def follow() -> None:
        try:
            for ev in Client(url).events():
                live.put(ev)
        except ApiError as exc:
            live.put(exc)

    threading.Thread(target=follow, daemon=True).start()
    assert isinstance(live.get(timeout=60), dict)  # the stream is open: a block (a non-member sees blocks)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert time.monotonic() - started < 15, "shutdown waited for the open event stream"
    assert "demo network stopped" in out
    end = live.get(timeout=10)
    while isinstance(end, dict):  # empty heartbeat blocks may arrive first
        end = live.get(timeout=10)
    assert isinstance(end, ApiError) and end.code == "unavailable"
