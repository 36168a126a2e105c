"""Member nodes on a 4-validator CometBFT network (`fae localnet up --members 3`), every node and
member node its own process: supplier3, bank2 and investor4, who run no validator, each run a
member node (faechain.member) that follows the validators' APIs, beginning with node 0, 1 and 2.

  * the supervisor lists them (kind "member", org, height), `Localnet.load` restores them, and
    `fae localnet down --member` / `up` stop and restart one;
  * a member node reaches the validators' head with their block and app hashes; a submission
    through it is committed and seen there at once; its organisation's queries answer there as
    at a validator; another organisation's reader is told `not_available_here`;
  * with its first validator stopped it follows and serves from another;
  * killed with SIGKILL while a validator takes a stream of transactions, then restarted, it
    reaches the head again holding every block once, each with the validator's transactions;
  * (expected to fail until the member engine compares heads) with its validator's CometBFT
    stopped — the validator's API still answering, its head frozen — it follows another.

Run only these: python -m pytest -m localnet tests/e2e/test_member_localnet.py
"""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.request
from typing import Any

import pytest
from localnet_support import NETWORKS, Load, height, require_cometbft, wait_caught_up, wait_until

from faechain.devnet import localnet as L
from faechain.sdk import ApiError, Client, Identity

pytestmark = pytest.mark.localnet

VALIDATORS = 4
MEMBERS = ("supplier3", "bank2", "investor4")
INVOICE_CODE = "0110026009"


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    require_cometbft()
    home = str(tmp_path_factory.mktemp("member-localnet") / "net")
    network = L.create(home, VALIDATORS, base_port=L.free_base_port(VALIDATORS, members=len(MEMBERS)),
                       members=len(MEMBERS))
    NETWORKS.append(network)
    try:
        network.start(timeout=120)
        yield network
    finally:
        network.stop(timeout=15)
        NETWORKS.remove(network)
        leftover = [f"node{i}.{k}" for i in range(len(network.nodes)) for k in ("fae", "cometbft")
                    if network.pid(i, k)] + [m.label for m in network.members if network.pid(m.name, "fae")]
        assert not leftover, f"processes still running after stop: {leftover}"


def _get(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return json.loads(resp.read())
    except (OSError, ValueError):
        return None


def member_height(net: L.Localnet, name: str) -> int:
    info = _get(net.member(name).api_url + "/v1/info")
    return info["height"] if info else -1


def identity(net: L.Localnet, name: str) -> Identity:
    return Identity.load(net.home, name)


def member_client(net: L.Localnet, name: str, who: str | None = None) -> Client:
    """A client of `name`'s member node, signing as `who` (default: the organisation itself)."""
    return Client(net.member(name).api_url, identity=identity(net, who or name), timeout=60)


def validator_client(net: L.Localnet, i: int, who: str) -> Client:
    return Client(net.nodes[i].api_url, identity=identity(net, who), timeout=60)


def register_invoice(c: Client, who: Identity, number: str, buyer: str) -> Any:
    """`who` (a supplier) registers an invoice on `buyer` through `c`; the committed receipt."""
    now = c.info()["time"] // 1000
    return c.submit(who, "receivables", "register_invoice", code=INVOICE_CODE, number=number, seller=who.org_id,
                    buyer=buyer, amount=1_000_000 * 100, date=now - 86_400,
                    doc_hash=hashlib.sha256(f"invoice {number}".encode()).hexdigest())


class Invoices:
    """supplier3 registers invoices at validator i, about `rate` a second, from a thread
    (wait=False): transactions other organisations' member nodes hold as hashes only.
    `accepted` collects their hashes."""

    def __init__(self, net: L.Localnet, i: int, rate: float = 5.0):
        self.client = validator_client(net, i, "supplier3")
        self.buyer = identity(net, "core").org_id
        self.rate = rate
        self.accepted: list[str] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="invoices", daemon=True)

    def __enter__(self) -> Invoices:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        me = self.client.identity
        assert me is not None
        now = self.client.info()["time"] // 1000
        n = 0
        while not self._stop.is_set():
            n += 1
            try:
                r = self.client.submit(me, "receivables", "register_invoice", wait=False, code=INVOICE_CODE,
                                       number=f"S{n:07d}", seller=me.org_id, buyer=self.buyer, amount=100_000,
                                       date=now - 86_400, doc_hash=hashlib.sha256(b"stream %d" % n).hexdigest())
                if r.ok or r.pending:
                    self.accepted.append(r.tx_hash)
                else:
                    self.errors.append(f"{r.code} {r.message}")
            except (ApiError, OSError) as exc:
                self.errors.append(str(exc))
            self._stop.wait(1.0 / self.rate)


def test_member_nodes_are_supervised_listed_and_restored(net, capsys):
    from faechain.cli.main import main

    assert [m.name for m in net.members] == list(MEMBERS)
    # member node j follows every validator, node j first, so that their reads spread out
    urls = [n.api_url for n in net.nodes]
    for j, m in enumerate(net.members):
        assert m.validators == urls[j:] + urls[:j]
        assert m.org_id == identity(net, m.name).org_id
        assert m.api not in {getattr(n, k) for n in net.nodes for k in L.PORTS}
    again = L.Localnet.load(net.home)
    assert again.members == net.members and again.nodes == net.nodes
    rows = net.status()
    assert [r["kind"] for r in rows] == ["validator"] * VALIDATORS + ["member"] * len(MEMBERS)
    members = rows[VALIDATORS:]
    assert [(r["node"], r["member"], r["org_id"]) for r in members] == [
        (f"member-{m.name}", m.name, m.org_id) for m in net.members]
    assert all(r["fae_pid"] and r["cometbft_pid"] is None for r in members)
    wait_until(lambda: all((r["height"] or 0) >= 1 for r in net.status()), 60, "every member node to keep a block")

    assert main(["localnet", "status", "--home", net.home, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["nodes"]
    assert [(r["kind"], r["member"]) for r in listed[VALIDATORS:]] == [("member", m) for m in MEMBERS]
    assert all(isinstance(r["height"], int) for r in listed)

    # one member node down: status says so (exit 1); `up` restarts only it, with its data
    last = MEMBERS[-1]
    kept = member_height(net, last)
    pid = net.pid(last, "fae")
    assert main(["localnet", "down", "--home", net.home, "--member", last]) == 0
    assert f"member-{last}.fae" in capsys.readouterr().out
    assert net.pid(last, "fae") is None and all(net.pid(i, "fae") for i in range(VALIDATORS))
    assert main(["localnet", "status", "--home", net.home]) == 1
    out = capsys.readouterr().out
    assert f"member-{last}" in out and "member" in out
    assert main(["localnet", "up", "--home", net.home, "--timeout", "120"]) == 0
    capsys.readouterr()
    assert net.pid(last, "fae") not in (None, pid)
    assert member_height(net, last) >= kept


def test_a_member_node_reaches_the_head_with_the_validators_hashes(net):
    target = height(net, 0)
    assert target is not None and target >= 1
    for j, name in enumerate(MEMBERS):
        wait_until(lambda name=name: member_height(net, name) >= target, 120,
                   f"{name}'s member node to reach block {target} (at {member_height(net, name)})")
        mine, theirs = member_client(net, name), validator_client(net, (j + 1) % VALIDATORS, name)
        top = mine.info()["height"]
        for h in range(1, top + 1):
            a, b = mine.block(h), theirs.block(h)
            assert (a["hash"], a["header"]["app_hash"]) == (b["hash"], b["header"]["app_hash"]), (name, h)
        assert mine.info()["app_hash"] == theirs.block(top)["header"]["app_hash"]


def test_a_submission_through_a_member_node_and_its_organisation_reads(net):
    name = "supplier3"
    me = identity(net, name)
    core = identity(net, "core").org_id
    mine = member_client(net, name)
    r = register_invoice(mine, me, "M0000001", core)
    assert r.ok, r
    # the receipt is answered once the member node holds the block: seen there at once
    assert member_height(net, name) >= r.height
    tx = mine.tx(r.tx_hash)
    assert (tx["height"], tx["index"], tx["method"]) == (r.height, r.index, "register_invoice")
    assert not tx.get("withheld")
    invoice = r.result["invoice"]
    theirs = validator_client(net, 2, name)
    assert theirs.tx(r.tx_hash)["height"] == r.height  # committed by the validators, at the same place
    # its organisation's own data answers the same on its member node as on a validator
    at = mine.info()["height"]
    for contract, method, args in (("receivables", "invoice", {"id": invoice}),
                                   ("membership", "org", {"org_id": me.org_id}),
                                   ("membership", "whoami", {})):
        assert mine.query(contract, method, _height=at, **args) == theirs.query(contract, method, _height=at, **args)
    assert mine.query("receivables", "invoice", id=invoice)["invoice"]["amount"] == 1_000_000 * 100
    # a reader of another organisation (here even the invoice's buyer) is sent elsewhere
    for other in ("core", "bank"):
        with pytest.raises(ApiError) as info:
            member_client(net, name, other).query("receivables", "invoice", id=invoice)
        assert info.value.code == "not_available_here" and info.value.status == 421, other
    # another organisation's member node holds the transaction as a hash only
    wait_until(lambda: member_height(net, "investor4") >= r.height, 60, "investor4's member node to keep it")
    assert member_client(net, "investor4").tx(r.tx_hash)["withheld"] is True


def test_a_member_node_follows_another_validator_while_its_first_is_down(net):
    name = "supplier3"
    m = net.member(name)
    first = next(n.index for n in net.nodes if n.api_url == m.validators[0])
    others = [i for i in range(VALIDATORS) if i != first]
    me = identity(net, name)
    core = identity(net, "core").org_id
    mine = member_client(net, name)
    net.stop([first])
    try:
        assert net.running(first) == {"fae": None, "cometbft": None}
        # a block committed by the other three, submitted at one of them, reaches the member node
        r = register_invoice(validator_client(net, others[0], name), me, "M0000002", core)
        assert r.ok, r
        wait_until(lambda: member_height(net, name) >= r.height, 120,
                   f"{name}'s member node to keep block {r.height} without node{first}")
        assert mine.tx(r.tx_hash)["height"] == r.height
        # and it still takes submissions: forwarded past the stopped validator
        r2 = register_invoice(mine, me, "M0000003", core)
        assert r2.ok, r2
        assert mine.query("receivables", "invoice", id=r2.result["invoice"])["invoice"]["number"] == "M0000003"
        health = _get(m.api_url + "/healthz")
        assert health and health["ok"] is True, health
        before = member_height(net, name)
        wait_until(lambda: member_height(net, name) > before, 60, "the member node to keep following")
    finally:
        net.start([first], timeout=120)
    wait_caught_up(net, timeout=120)
    target = height(net, first)
    assert target is not None
    wait_until(lambda: member_height(net, name) >= target, 120, f"{name}'s member node to reach block {target}")


def test_a_member_node_killed_mid_stream_resumes_without_gaps_or_duplicates(net):
    name = "bank2"
    me = identity(net, name)
    core2 = identity(net, "core2").org_id
    source = 3  # the validator the transactions go to
    at_source = validator_client(net, source, name)
    granted = []
    with Load(net, [source], rate=20, tag="member-kill") as load, Invoices(net, source) as invoices:
        start = member_height(net, name)
        wait_until(lambda: member_height(net, name) >= start + 2, 60, "the member node to follow the stream")
        pid = net.kill(name)
        assert pid and net.pid(name, "fae") is None
        down_at = height(net, source) or 0
        wait_until(lambda: (height(net, source) or 0) >= down_at + 3, 60, "the chain to move on without it")
        # a transaction bank2 may see, committed while its member node is down
        g = at_source.submit(me, "receivables", "grant_credit", core=core2, amount=7_000_000 * 100,
                             expires=at_source.info()["time"] // 1000 + 86_400 * 30)
        assert g.ok, g
        granted.append(g)
        net.start(members=[name], timeout=120)
        assert net.pid(name, "fae") not in (None, pid)
        after = member_height(net, name)
        wait_until(lambda: member_height(net, name) >= max(after + 2, g.height), 120,
                   "the restarted member node to follow the stream again")
    assert not load.errors and not load.rejected and not invoices.errors, (load.errors, load.rejected,
                                                                          invoices.errors)
    assert len(load.accepted) >= 20 and len(invoices.accepted) >= 5
    stream = [h for _, h in load.accepted] + invoices.accepted
    theirs = validator_client(net, source, name)
    last = max(wait_until(lambda h=h: theirs.tx(h), 60, f"tx {h} committed")["height"] for h in stream)
    target = max(last, height(net, source) - 1)  # block h is kept once CometBFT's header h+1 signs it
    wait_until(lambda: member_height(net, name) >= target, 120, f"{name}'s member node to reach block {target}")

    mine = member_client(net, name)
    top = mine.info()["height"]
    withheld = visible = 0
    for h in range(1, top + 1):
        a, b = mine.block(h), theirs.block(h)
        assert a["height"] == h and a["hash"] == b["hash"], h
        assert [t["index"] for t in a["txs"]] == list(range(len(a["txs"]))), h  # each once, none missing
        assert [t["hash"] for t in a["txs"]] == [t["hash"] for t in b["txs"]], h
        assert [bool(t.get("withheld")) for t in a["txs"]] == [bool(t.get("withheld")) for t in b["txs"]], h
        withheld += sum(bool(t.get("withheld")) for t in a["txs"])
        visible += sum(not t.get("withheld") for t in a["txs"])
    assert withheld + visible == sum(len(theirs.block(h)["txs"]) for h in range(1, top + 1))
    assert withheld >= len(invoices.accepted) and visible >= len(load.accepted) + len(granted)
    # every transaction of the streams is there once, where the validator has it: supplier3's as a
    # hash only (bank2 may not see them), the exchange's and bank2's own in full
    for tx_hash in stream:
        tx, want = mine.tx(tx_hash), theirs.tx(tx_hash)
        assert (tx["height"], tx["index"]) == (want["height"], want["index"])
        assert bool(tx.get("withheld")) == (tx_hash in invoices.accepted)
    for g in granted:
        tx = mine.tx(g.tx_hash)
        assert (tx["height"], tx["index"], tx["method"]) == (g.height, g.index, "grant_credit")
        assert not tx.get("withheld")


def test_a_member_node_passes_over_a_validator_whose_consensus_stopped(net):
    name = "supplier3"
    first = next(n.index for n in net.nodes if n.api_url == net.member(name).validators[0])
    others = [i for i in range(VALIDATORS) if i != first]
    net.stop(members=[name])  # a fresh start follows its first validator (it may have failed over before)
    net.start(members=[name], timeout=120)
    wait_until(lambda: member_height(net, name) >= (height(net, first) or 0) - 1, 120,
               f"{name}'s member node to be at the head")
    net.kill(first, "cometbft")  # its faechain node still answers, at the height it had
    try:
        start = max(height(net, i) or 0 for i in others)
        wait_until(lambda: member_height(net, name) >= start + 3
                   or min(height(net, i) or 0 for i in others) >= start + 6, 120, "the others to make blocks")
        assert member_height(net, name) >= start + 3, (
            f"{name}'s member node stayed at {member_height(net, name)} while the validators went from {start} to "
            f"{[height(net, i) for i in others]}")
    finally:
        net.start([first], timeout=120)
        wait_caught_up(net, timeout=120)


# -- a validator that lies to a member node --------------------------------------------------------------


def lying_proxy(target: str):
    """tests/test_member_nodes.py's LyingProxy in front of a validator's API, over the network: it
    alters the first written value of every block it relays to member nodes (its proof no longer
    holds); everything else passes unchanged."""
    from tests.test_member_nodes import LyingProxy, _alter_value

    return LyingProxy(target, _alter_value)


def test_a_member_node_drops_a_lying_validator_and_follows_the_others(net):
    """supplier3's member node is restarted following a proxy in front of its first validator, first:
    the proxy alters a value supplier3 may read in the block that writes it; the member node finds it
    contradicts the signed app hash, drops the proxy for good (its log says so), and follows the
    validators behind it, with their block and app hashes."""
    import os

    from faechain.node.config import NodeConfig, paths

    name = "supplier3"
    m = net.member(name)
    me = identity(net, name)
    core = identity(net, "core").org_id
    config_path = paths(net.member_home(name))["config"]
    with open(config_path, "rb") as f:
        original = f.read()
    first = next(n.index for n in net.nodes if n.api_url == m.validators[0])
    proxy = lying_proxy(net.nodes[first].api_url)
    log_path = net.log_file(name, "fae")
    log_start = os.path.getsize(log_path) if os.path.exists(log_path) else 0
    try:
        net.stop(members=[name])
        config = NodeConfig.load(net.member_home(name))
        config.member = {**config.member, "validators": [proxy.url, *m.validators]}
        config.save(net.member_home(name))
        net.start(members=[name], timeout=120)
        # a block that writes a value supplier3 may read: the proxy alters it
        r = register_invoice(validator_client(net, first, name), me, "M0000404", core)
        assert r.ok, r
        wait_until(lambda: member_height(net, name) >= r.height, 120,
                   f"{name}'s member node to keep block {r.height} past the lying proxy")
        assert proxy.altered >= 1

        def dropped() -> str:
            with open(log_path, "rb") as f:
                f.seek(log_start)
                return next((line for line in f.read().decode("utf-8", "replace").splitlines()
                             if f"validator {proxy.url} dropped" in line), "")

        line = wait_until(dropped, 30, "the member node's log to name the dropped proxy")
        assert "block" in line, line
        health = _get(m.api_url + "/healthz")
        assert health and health["ok"] is True, health  # the validators behind the proxy remain
        # it follows the others: the next block of supplier3's reaches it, unaltered
        r2 = register_invoice(validator_client(net, (first + 1) % VALIDATORS, name), me, "M0000405", core)
        assert r2.ok, r2
        wait_until(lambda: member_height(net, name) >= r2.height, 120,
                   f"{name}'s member node to keep block {r2.height}")
        mine, theirs = member_client(net, name), validator_client(net, first, name)
        for tx, number in ((r, "M0000404"), (r2, "M0000405")):
            invoice = tx.result["invoice"]
            assert mine.query("receivables", "invoice", id=invoice)["invoice"]["number"] == number
            assert mine.query("receivables", "invoice", _height=r2.height, id=invoice) == theirs.query(
                "receivables", "invoice", _height=r2.height, id=invoice)
        top = mine.info()["height"]
        for h in range(max(1, r.height - 5), top + 1):
            a, b = mine.block(h), theirs.block(h)
            assert (a["hash"], a["header"]["app_hash"]) == (b["hash"], b["header"]["app_hash"]), h
        assert mine.info()["app_hash"] == theirs.block(top)["header"]["app_hash"]
    finally:
        net.stop(members=[name])
        with open(config_path, "wb") as f:
            f.write(original)
        proxy.close()
        net.start(members=[name], timeout=120)
    target = height(net, first)
    assert target is not None
    wait_until(lambda: member_height(net, name) >= target - 1, 120, f"{name}'s member node to follow again")


def _files(home: str) -> bytes:
    import os

    out = []
    for folder, _, names in os.walk(home):
        for name in names:
            with open(os.path.join(folder, name), "rb") as f:
                out.append(f.read())
    return b"\n".join(out)


def test_a_competitor_member_node_holds_none_of_another_members_secrets(net):
    """Each organisation's business reaches its own member node and no other: after an invoice of
    supplier3's, a non-performing loan of bank2's and a credit line of bank's (a validator
    operator) go through the validators, each member node's files — database, write-ahead log,
    vault, light-client store — hold exactly the secrets of its own organisation."""
    from faechain.core.encoding import encode

    core2, core = identity(net, "core2").org_id, identity(net, "core").org_id
    supplier3, bank2, bank = identity(net, "supplier3"), identity(net, "bank2"), identity(net, "bank")
    c = validator_client(net, 1, "supplier3")
    now = c.info()["time"] // 1000
    secrets = {  # what, as it sits in a file -> the one member node that may hold it
        b"E2ELEAKINV4711": "supplier3",
        b"E2E-LEAK-LOAN-0815": "bank2",
        encode(97_531_246_801): None,  # the credit line's amount: bank's and core2's, neither a member here
    }
    assert register_invoice(c, supplier3, "E2ELEAKINV4711", core).ok
    r = validator_client(net, 2, "bank2").submit(
        bank2, "npa", "register_loan", loan_no="E2E-LEAK-LOAN-0815",
        borrower=hashlib.sha256(b"person:e2e leak borrower").hexdigest(), principal=900_000 * 100,
        interest=10_000 * 100, classification="doubtful", days_past_due=400)
    assert r.ok, r
    r = validator_client(net, 3, "bank").submit(bank, "receivables", "grant_credit", core=core2,
                                                amount=97_531_246_801, expires=now + 300 * 86_400)
    assert r.ok, r
    head = max(r.height, height(net, 0) or 0)
    for name in MEMBERS:
        wait_until(lambda name=name: member_height(net, name) >= head, 120, f"{name}'s member node to keep {head}")
    for name in MEMBERS:
        data = _files(net.member_home(name))
        for secret, owner in secrets.items():
            assert (secret in data) == (owner == name), (name, secret, owner)
