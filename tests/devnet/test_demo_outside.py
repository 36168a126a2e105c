"""`fae demo` with its outside-service simulators, each its own process (docs/outside-world.md).

A fresh `fae demo` starts the tax, registry and e-CNY rail simulators beside the node and seeds
the samples through them: the chain then shows an invoice verified by the tax service member, a
financing whose registration the registry member attested, a root paid in part through the
rail and a settled e-CNY conditional payment, each signed by the simulator's own member; when
the demo stops, so do they. Waits on chain state with a generous deadline, never on timings.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from faechain.devnet.demo import demo_org_ids
from faechain.node.testing import free_port
from faechain.sdk import Client, Identity

DEADLINE = 600.0  # seconds: a shared, busy machine seeds the whole sample business through three processes
ORG = demo_org_ids()


def wait_for(what: str, probe: Callable[[], Any], proc: subprocess.Popen, log: str,
             deadline: float = DEADLINE) -> Any:
    end = time.monotonic() + deadline
    while True:
        got = probe()
        if got:
            return got
        if proc.poll() is not None:
            raise AssertionError(f"fae demo exited ({proc.returncode}) before {what}:\n{read(log)}")
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}:\n{read(log)}")
        time.sleep(0.5)


def read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:
            return resp.status == 200
    except OSError:
        return False


def simulator_pids(home: str) -> list[int]:
    """The running `faechain simulator` processes of this demo home (from /proc)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if b"simulator" in args and home.encode() in args:
            found.append(int(pid))
    return found


def first_event(client: Client, type_: str) -> dict | None:
    """The first payments/receivables event of `type_` the client's member sees, from block 1."""
    stream = client.events(from_height=1, type=type_, blocks=False, timeout=5)
    try:
        for ev in stream:
            if ev.get("event") == "contract" and ev.get("type") == type_:
                return ev
    except Exception:  # noqa: BLE001 - the stream idles out when none has come yet: asked again
        return None
    finally:
        getattr(stream, "close", lambda: None)()
    return None


@pytest.fixture
def demo(tmp_path):
    home, port = str(tmp_path / "demo"), free_port()
    log = str(tmp_path / "demo.log")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("FAE_HOME", None)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "faechain", "demo", "--home", home, "--port", str(port),
                                 "--no-browser"], stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        yield home, f"http://127.0.0.1:{port}", proc, log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        for pid in simulator_pids(home):  # never leave one behind, whatever failed
            os.kill(pid, signal.SIGKILL)


def test_fae_demo_seeds_through_its_simulators_and_stops_them(demo):
    home, url, proc, log = demo
    wait_for("the node serving", lambda: answers(url + "/healthz"), proc, log)
    marker = os.path.join(home, ".samples_seeded")
    wait_for("the samples seeded", lambda: os.path.exists(marker), proc, log)
    with open(marker) as f:
        seeded = json.load(f)
    assert seeded["simulators"] is True and "payments" in seeded["seeded"], read(log)
    out = read(log)
    assert "outside services (simulators" in out
    sims = dict(re.findall(r"^  (tax|registry|rail)\s+(http://127\.0\.0\.1:\d+)/", out, re.M))
    assert set(sims) == {"tax", "registry", "rail"}, out
    assert all(answers(u + "/health") for u in sims.values())

    def who(name: str) -> Identity:
        return Identity.load(home, name)

    # the tax simulator verified the invoices the samples registered, as the taxservice member
    with Client(url, identity=who("supplier1")) as c:
        def verified() -> dict | None:
            v = c.query("receivables", "invoice", id="011002600111-04512876")["invoice"].get("verification") or {}
            return v if v.get("status") == "VERIFIED" else None
        v = wait_for("the invoice verified", verified, proc, log)
    assert v["by"] == ORG["taxservice"] and v["reference"].startswith("SIM-TAX-")

    # the factor filed at the registry simulator; the registry member attested it before the funding
    with Client(url, identity=who("factor")) as c:
        funded = c.query("receivables", "financings", funder=ORG["factor"], status="FUNDED")
    assert funded, "no funded financing"
    for f in funded:
        assert f["attestation"]["by"] == ORG["registry"] and f["registration"].startswith("SIM-ZD-"), f
        assert f["search"], f

    # the rail simulator collected what core's wallet held (short), confirmed it, paid each piece
    with Client(url, identity=who("core")) as c:
        short = wait_for("a short payment through the rail", lambda: first_event(c, "PaymentShort"), proc, log)
        root = short["attrs"]["root"]
        pieces = [p for p in c.query("receivables", "vouchers", root=root) if p.get("paid")]
        r = c.query("receivables", "voucher", id=root)["root"]
    assert r["status"] == "OVERDUE" and 0 < r["paid_total"] < r["amount"], r
    assert pieces and all(0 < p["paid"] < p["amount"] for p in pieces), pieces
    with Client(url, identity=who("ecny")) as c:
        paid = c.query("payments", "instructions", field="rail", value=ORG["ecny"], status="PAID")
    assert paid and all(i["rail_ref"].startswith("SIM-PAY-") for i in paid), paid

    # core2's e-CNY conditional payment: reserved by the rail, confirmed by core2, settled by the rail
    with Client(url, identity=who("core2")) as c:
        created = wait_for("a conditional payment", lambda: first_event(c, "ConditionalPaymentCreated"), proc, log)
        payment = created["attrs"]["payment"]
        cp = wait_for("the conditional payment settled",
                      lambda: (x := c.query("payments", "conditional", id=payment))["status"] == "SETTLED" and x,
                      proc, log)
    assert cp["payee"] == ORG["supplier2"] and cp["rail_ref"].startswith("SIM-STL-") and cp["confirmed_at"]

    # the simulators stop with the demo
    assert simulator_pids(home)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(120) == 0, read(log)
    assert simulator_pids(home) == [], read(log)
    assert not any(answers(u + "/health") for u in sims.values())
    assert "simulators stopped" in read(log)
