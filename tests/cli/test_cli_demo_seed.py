"""`fae demo` wiring in-process: creation, the once-only sample seeding hook, --port, the banner.

The HTTP server is replaced by a stand-in `run_node` that starts the engine, calls the
ready hook (as the real one does once the node listens) and waits for seeding.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading

import pytest

import faechain.cli.node_cmds as node_cmds
import faechain.devnet.demo as node_demo
from faechain.cli.main import main
from faechain.devnet.demo import MEMBERS, demo_org_id

INVESTOR4_ORG = demo_org_id([m.name for m in MEMBERS].index("investor4") + 1)


@pytest.fixture
def fake_serve(monkeypatch):
    nodes = []

    def run_node(node, on_ready=None):
        nodes.append(node)
        node.engine.start()
        try:
            if on_ready:
                on_ready()
            for t in threading.enumerate():
                if t.name == "seed-samples":
                    t.join(timeout=30)
        finally:
            node.engine.stop()
            node.store.close()

    monkeypatch.setattr(node_cmds, "run_node", run_node)
    return nodes


def test_demo_seeds_once_through_submit_as(tmp_path, monkeypatch, fake_serve, capsys):
    calls = []

    def seed_samples(submit, upload, **clock):
        assert upload(b"a sample document") == hashlib.sha256(b"a sample document").hexdigest()
        receipt = submit("exchange", "membership", "set_attributes",
                         {"org_id": INVESTOR4_ORG, "attributes": {"seeded": True}})
        calls.append(receipt)
        return ["fake-module"]

    monkeypatch.setattr(node_demo, "seed_samples", seed_samples)
    home = str(tmp_path / "demo")
    assert main(["demo", "--home", home, "--port", "18999", "--no-browser"]) == 0
    assert len(calls) == 1 and calls[0].ok, calls
    with open(os.path.join(home, ".samples_seeded")) as f:
        assert json.load(f)["seeded"] == ["fake-module"]
    out = capsys.readouterr().out
    assert "created the demo consortium" in out and "seeded samples: fake-module" in out
    assert "http://127.0.0.1:18999/" in out and "investor4" in out and "[not qualified]" in out
    assert len(os.listdir(os.path.join(home, "wallet"))) == len(MEMBERS)

    # a second start continues the ledger, does not seed again, and --port moves it
    assert main(["demo", "--home", home, "--port", "18998", "--no-browser"]) == 0
    assert len(calls) == 1
    with open(os.path.join(home, "config.json")) as f:
        assert json.load(f)["port"] == 18998
    assert fake_serve[-1].app.height >= 1
    out = capsys.readouterr().out
    assert "created" not in out and "http://127.0.0.1:18998/" in out


def test_demo_empty_never_seeds(tmp_path, monkeypatch, fake_serve):
    calls = []
    monkeypatch.setattr(node_demo, "seed_samples", lambda submit, upload, **clock: calls.append(1) or [])
    monkeypatch.setenv("FAE_HOME", str(tmp_path / "envhome"))
    assert main(["demo", "--empty", "--no-browser"]) == 0
    assert os.path.exists(tmp_path / "envhome" / "genesis.json")  # FAE_HOME honoured
    assert main(["demo", "--no-browser"]) == 0
    assert calls == []


def test_demo_seeding_failure_does_not_stop_the_node(tmp_path, monkeypatch, fake_serve, capsys):
    def broken(submit, upload, **clock):
        raise RuntimeError("sample broke")

    monkeypatch.setattr(node_demo, "seed_samples", broken)
    home = str(tmp_path / "demo")
    assert main(["demo", "--home", home, "--no-browser"]) == 0
    assert "sample broke" in capsys.readouterr().err
    assert not os.path.exists(os.path.join(home, ".samples_seeded"))  # retried next start


def test_demo_refuses_a_foreign_directory(tmp_path, capsys):
    (tmp_path / "stuff.txt").write_text("x")
    assert main(["demo", "--home", str(tmp_path), "--no-browser"]) == 2
    assert "not a demo home" in capsys.readouterr().err


def test_real_seed_samples_seed_every_module_in_business_order(tmp_path, fake_serve):
    home = str(tmp_path / "demo")
    assert main(["demo", "--home", home, "--no-browser"]) == 0
    with open(os.path.join(home, ".samples_seeded")) as f:
        seeded = json.load(f)["seeded"]
    assert seeded[:2] == ["receivables", "plans"] and "products" in seeded
    # the plan's documents are in the node's vault, each file named by its hash
    stored = [os.path.join(d, n) for d, _, names in os.walk(os.path.join(home, "vault")) for n in names]
    assert len(stored) >= 6
    for path in stored:
        with open(path, "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == os.path.basename(path)
