"""Faults a 4-validator CometBFT network must survive, with real processes:
a stopped validator, kill -9 of a faechain application, a crash between
FinalizeBlock and Commit (and after Commit), and two of four validators down.

Run only these: python -m pytest -m localnet
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request

import pytest
from localnet_support import (
    Load,
    assert_same_app_hashes,
    client,
    height,
    heights,
    running_localnet,
    wait_caught_up,
    wait_until,
)

from faechain.sdk import ApiError

pytestmark = pytest.mark.localnet


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    with running_localnet(str(tmp_path_factory.mktemp("localnet-faults") / "net"), 4) as network:
        yield network


@pytest.fixture
def healthy(net):
    """Every test starts and ends with all processes up and agreeing."""
    net.start(timeout=90)
    wait_caught_up(net)
    yield net
    net.start(timeout=90)
    wait_caught_up(net)
    assert_same_app_hashes(net)


def _all_committed(net, accepted, nodes, timeout=90.0) -> dict[str, dict]:
    """Wait until every accepted tx is committed at every given node; their receipts must agree."""
    first = client(net, nodes[0])
    receipts = {}
    for _, h in accepted:
        receipts[h] = wait_until(lambda h=h: first.tx(h), timeout, f"tx {h} committed")["receipt"]
    for i in nodes[1:]:
        ci = client(net, i)
        for h, r in receipts.items():
            assert wait_until(lambda h=h, ci=ci: ci.tx(h), timeout, f"tx {h} at node{i}")["receipt"] == r
    return receipts


def test_one_validator_stopped_under_load_then_catches_up(healthy):
    net = healthy
    with Load(net, [0, 1, 2], rate=15, tag="stop-one") as load:
        time.sleep(1.5)
        net.stop([3])
        h0 = height(net, 0)
        # 3 of 4 validators hold more than 2/3 of the power: the chain keeps committing
        wait_until(lambda: (height(net, 0) or 0) >= h0 + 5, 45, "5 more blocks without node3")
        time.sleep(1.0)
    assert not load.rejected, load.rejected
    stopped_at = max(h for h in heights(net, [0, 1, 2]).values())
    net.start([3], timeout=90)
    wait_caught_up(net, timeout=90)
    assert height(net, 3) >= stopped_at
    _all_committed(net, load.accepted, [3, 0])
    assert_same_app_hashes(net)


def test_kill_9_application_nothing_committed_is_lost(healthy):
    net = healthy
    with Load(net, [0, 1, 3], rate=10, tag="kill-others") as others, \
            Load(net, [2], rate=50, wait=True, tag="kill-node2") as mine:
        wait_until(lambda: len(mine.receipts) >= 6, 60, "node2 to report 6 commits")
        pid = net.kill(2, "fae")  # SIGKILL the faechain process; CometBFT is left alone
        reported = list(mine.receipts)  # what node 2 told its clients was committed
        h0 = max(h for h in heights(net, [0, 1, 3]).values())
        wait_until(lambda: (height(net, 0) or 0) >= h0 + 3, 45, "the others to go on committing")
    assert pid and net.pid(2, "fae") is None
    # CometBFT v0.38 stops itself when it loses its application ("Did the application crash?")
    wait_until(lambda: net.pid(2, "cometbft") is None, 30, "node2's CometBFT to stop itself")
    net.start([2], timeout=90)
    log = open(net.log_file(2, "fae")).read().rsplit("=== ", 1)[1]
    assert "ABCI Info" in log  # the handshake ran against the restarted application
    wait_caught_up(net, timeout=90)
    c2 = client(net, 2)
    for _, r in reported:
        tx = c2.tx(r.tx_hash)
        assert (tx["height"], tx["index"], tx["receipt"]["code"]) == (r.height, r.index, "ok")
    _all_committed(net, others.accepted, [2, 0])
    assert_same_app_hashes(net)


def _healthz(net, i: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(net.nodes[i].api_url + "/healthz", timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _healthz_until(net, i: int, status: int, tries: int = 100) -> dict:
    """Poll node i's /healthz (at most `tries` times) until it answers `status`; its body."""
    seen = None
    for _ in range(tries):
        seen = _healthz(net, i)
        if seen[0] == status:
            return seen[1]
        time.sleep(0.2)
    raise AssertionError(f"node{i}'s /healthz never answered {status} in {tries} tries; last {seen}")


def test_kill_9_cometbft_the_running_application_takes_it_back(healthy):
    """CometBFT dies (kill -9) while its faechain node keeps running: the node's /healthz says it
    cannot commit (the others' stay ok); the restarted CometBFT reconnects to the same ABCI
    server, the handshake replays what the app has not committed, and the node catches up."""
    net = healthy
    assert _healthz(net, 3)[0] == 200
    with Load(net, [0, 1, 2], rate=10, tag="kill-cmt"):
        time.sleep(1.0)
        net.kill(3, "cometbft")
        fae_pid = net.pid(3, "fae")
        doc = _healthz_until(net, 3, 503)
        assert doc["ok"] is False and doc["code"] == "unavailable", doc
        assert doc["message"].startswith("consensus engine unreachable"), doc
        assert _healthz(net, 0)[0] == 200
        h0 = height(net, 0)
        wait_until(lambda: (height(net, 0) or 0) >= h0 + 3, 45, "the others to go on committing")
        net.start([3], timeout=90)
        assert net.pid(3, "fae") == fae_pid  # the application process was never restarted
        wait_caught_up(net, timeout=90)
        assert _healthz_until(net, 3, 200)["ok"] is True
    fae_log = _restart_section(net.log_file(3, "fae"))
    assert fae_log.count("ABCI Info") >= 2  # a second handshake on the same process
    assert_same_app_hashes(net)


def _restart_section(path: str) -> str:
    return open(path).read().rsplit("=== ", 1)[1]


@pytest.mark.parametrize("fault, replay", [
    ("before-commit", "Replay last block using real app"),
    ("after-commit", "Replay last block using mock app"),
])
def test_crash_around_commit_is_repaired_by_the_info_handshake(healthy, fault, replay):
    """The application dies inside Commit (before or after persisting the block). On restart,
    Info reports its last committed height and CometBFT replays the block it stored: with the
    real application when the app never committed it, with the saved responses when it did."""
    net = healthy
    node = 1
    with Load(net, [0, 2, 3], rate=10, tag=f"fault-{fault}"):
        net.stop([node])
        net.start([node], env={"FAE_ABCI_FAULT": f"{fault}:3"}, wait_block=False)
        wait_until(lambda: net.pid(node, "fae") is None, 60, "the faulty application to kill itself")
        fae_log = _restart_section(net.log_file(node, "fae"))
        m = re.search(rf"FAE_ABCI_FAULT: killing this process {fault} 3 \(app height (\d+)\)", fae_log)
        assert m, fae_log[-2000:]
        committed = int(m.group(1))  # the height the app had committed when it died
        wait_until(lambda: net.pid(node, "cometbft") is None, 30, "CometBFT to stop without its app")
        net.start([node], timeout=90)
        wait_caught_up(net, timeout=90)
    cmt_log = _restart_section(net.log_file(node, "cometbft"))
    # before-commit: CometBFT stored block h+1, the app committed only h (nor did CometBFT's state)
    # after-commit: the app committed block h, CometBFT stored it but had not saved its state
    store, state = (committed + 1, committed) if fault == "before-commit" else (committed, committed - 1)
    assert re.search(rf"ABCI Handshake App Info\s+module=consensus height={committed}\b", cmt_log), cmt_log[:3000]
    assert re.search(rf"ABCI Replay Blocks\s+module=consensus appHeight={committed} "
                     rf"storeHeight={store} stateHeight={state}\b", cmt_log), cmt_log[:3000]
    assert replay in cmt_log
    fae_log = _restart_section(net.log_file(node, "fae"))
    assert f"app at height {committed}," in fae_log
    assert_same_app_hashes(net)


def test_two_of_four_stopped_halts_without_divergence_then_resumes(healthy):
    net = healthy
    net.stop([2, 3])
    time.sleep(1.5)  # let a block that was already decided land
    before = heights(net, [0, 1])
    c0 = client(net, 0)
    # accepted into the mempool, but half the voting power cannot commit anything
    pending = c0.submit(c0.identity, "membership", "set_attributes", wait=False,
                        org_id=c0.identity.org_id, attributes={"halted": "yes"})
    assert pending.pending, pending
    time.sleep(6)
    assert heights(net, [0, 1]) == before, "blocks were committed with only 2 of 4 validators"
    with pytest.raises(ApiError) as exc:
        c0.tx(pending.tx_hash)
    assert exc.value.code == "not_found"
    assert_same_app_hashes(net, [0, 1])
    net.start([2, 3], timeout=90)
    receipt = wait_until(lambda: c0.tx(pending.tx_hash), 90, "the pending tx to commit after the restart")
    assert receipt["receipt"]["code"] == "ok" and receipt["height"] > max(before.values())
    wait_caught_up(net)
    assert_same_app_hashes(net)
