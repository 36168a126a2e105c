"""The simulators as their own processes (`python -m faechain simulator ...`) against an in-process
node: they serve the simulated system over HTTP, attest with their member's identity, and say
"simulator" in every answer and log line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from faechain.node.testing import free_port
from faechain.sdk import Client
from tests.adapters.support import DAY, needs, register_invoice, wait_for
from tests.adapters.test_attestor_registry_rail import financing, financing_request, ok


def call(url: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


class Simulator:
    """`fae simulator <service>` as a subprocess; stopped with SIGTERM, its log kept."""

    def __init__(self, service: str, node, tmp_path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / f"{service}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "faechain", "simulator", service, "--home", node.home, "--port", str(self.port),
             "--node", node.url, "--db", str(tmp_path / f"{service}.sqlite"),
             "--state", str(tmp_path / f"{service}.json"), "--poll", "0.2"],
            stdout=subprocess.DEVNULL, stderr=open(self.log, "w"), env={**os.environ, "PYTHONUNBUFFERED": "1"})
        wait_for(f"the {service} simulator serving", self.healthy)

    def healthy(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text()
        try:
            return call(self.url, "GET", "/health")[0] == 200
        except OSError:
            return False

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(60) == 0, self.log.read_text()
        return self.log.read_text()


@pytest.fixture
def simulator(node, tmp_path):
    started: list[Simulator] = []

    def start(service: str) -> Simulator:
        started.append(Simulator(service, node, tmp_path))
        return started[-1]

    yield start
    for sim in started:
        if sim.proc.poll() is None:
            sim.proc.kill()
            sim.proc.wait(30)


def invoice_status(node, who, inv: str) -> str:
    with Client(node.url, identity=who("supplier1")) as c:
        return (c.query("receivables", "invoice", id=inv)["invoice"].get("verification") or {}).get("status", "")


@needs("receivables", "verify_invoice", "void_invoice")
def test_the_tax_simulator_verifies_and_voids_as_the_tax_service_member(node, who, simulator):
    sim = simulator("tax")
    with Client(node.url) as c:
        inv, code, number = register_invoice(c, who("supplier1"), who("core"), 700_000)
    status, doc = call(sim.url, "POST", "/invoices", {"code": code, "number": number, "seller": who("supplier1").org_id,
                                                      "buyer": who("core").org_id, "amount": 700_000})
    assert status == 201 and doc["simulator"] == "e-invoice service simulator"
    wait_for("the invoice verified", lambda: invoice_status(node, who, inv) == "VERIFIED")
    assert call(sim.url, "POST", f"/invoices/{inv}/void", {"reason": "red-letter invoice"})[0] == 200
    wait_for("the invoice voided", lambda: invoice_status(node, who, inv) == "VOIDED")
    with Client(node.url, identity=who("supplier1")) as c:
        v = c.query("receivables", "invoice", id=inv)["invoice"]["verification"]
    assert v["by"] == who("taxservice").org_id and v["reference"].startswith("SIM-VOID-")
    # bad input: a stable code and a sentence, nothing stored
    status, doc = call(sim.url, "POST", "/invoices", {"code": "x-1", "number": "1", "seller": "a", "buyer": "b",
                                                      "amount": 1})
    assert status == 400 and doc["code"] == "bad_request" and doc["simulator"]
    assert call(sim.url, "GET", "/invoices/NOPE-1")[0] == 404
    log = sim.stop()
    assert f"e-invoice service simulator: verify_invoice {inv}: attested" in log
    assert f"e-invoice service simulator: void_invoice {inv}: attested" in log


@needs("receivables", "record_registration", "attest_registration", "attest_search", "verify_invoice")
def test_the_registry_simulator_attests_a_filed_registration(node, who, simulator):
    sim = simulator("registry")
    fid = financing_request(node, who, 900_000)
    f = financing(node, who, fid)
    status, doc = call(sim.url, "POST", "/registrations", {"kind": "ASSIGNMENT", "creditor": who("factor").org_id,
                                                           "debtor": who("supplier1").org_id, "amount": 900_000,
                                                           "voucher": f["voucher"]})
    assert status == 201 and doc["simulator"] == "movable-property registry simulator"
    reg_no = doc["registration"]["reg_no"]
    with Client(node.url) as c:
        ok(c, who, "factor", "receivables", "record_registration", financing=fid, reg_no=reg_no)
        wait_for("the registration and search attested",
                 lambda: (g := financing(node, who, fid)).get("attestation") and g.get("search"))
        ok(c, who, "factor", "receivables", "fund", financing=fid)
    assert call(sim.url, "GET", "/searches")[1]["searches"][-1]["found"] == [reg_no]
    assert "movable-property registry simulator: attest_search" in sim.stop()


@needs("payments", "register_account", "create_conditional", "reserve", "confirm_condition", "settle_conditional")
def test_the_rail_simulator_reserves_and_pays_a_conditional_payment(node, who, simulator):
    sim = simulator("rail")
    rail_id = who("ecny").org_id
    assert call(sim.url, "POST", "/accounts", {"account": "E-INV3", "owner": "investor3", "balance": 300_000})[0] == 201
    assert call(sim.url, "POST", "/accounts", {"account": "E-INV4", "owner": "investor4"})[0] == 201
    assert call(sim.url, "POST", "/accounts/E-INV3/deposit", {"amount": 100_000})[1]["account"]["balance"] == 400_000
    with Client(node.url) as c:
        ok(c, who, "investor3", "payments", "register_account", rail=rail_id, account="E-INV3")
        ok(c, who, "investor4", "payments", "register_account", rail=rail_id, account="E-INV4")
        payment = ok(c, who, "investor3", "payments", "create_conditional", payee=who("investor4").org_id,
                     amount=250_000, rail=rail_id,
                     condition={"kind": "confirmed", "by": who("investor3").org_id, "what": "delivery"},
                     expires=c.now_ms() // 1000 + 10 * DAY)["payment"]

        def status() -> str:
            return c.query("payments", "conditional", id=payment, _as=who("investor3"))["status"]

        wait_for("the payment reserved", lambda: status() == "RESERVED")
        account = call(sim.url, "GET", "/accounts/E-INV3")[1]["account"]
        assert (account["balance"], account["reserved"]) == (150_000, 250_000)
        ok(c, who, "investor3", "payments", "confirm_condition", payment=payment)
        wait_for("the payment settled", lambda: status() == "SETTLED")
    assert call(sim.url, "GET", "/accounts/E-INV4")[1]["account"]["balance"] == 250_000
    assert call(sim.url, "GET", "/accounts/E-INV3")[1]["account"]["reserved"] == 0
    assert "e-CNY payment rail simulator: settle_conditional" in sim.stop()
