"""`fae localnet` usage errors (no CometBFT needed); the network itself as subprocesses
is exercised by tests/e2e/test_localnet_cli.py."""

from __future__ import annotations

from fae_cli_helpers import fae


def test_usage_errors(tmp_path):
    r = fae("localnet", "up", "--validators", "0", "--home", str(tmp_path / "x"))
    assert r.returncode == 2 and "--validators" in r.stderr
    r = fae("localnet", "status", "--home", str(tmp_path / "none"))
    assert r.returncode == 1 and "no localnet in" in r.stderr and "Traceback" not in r.stderr
    r = fae("localnet", "down", "--home", str(tmp_path / "none"))
    assert r.returncode == 1 and "no localnet in" in r.stderr
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "something").write_text("x")
    r = fae("localnet", "up", "--home", str(tmp_path / "busy"), timeout=120)
    assert r.returncode == 1 and "not empty" in r.stderr
    r = fae("localnet", "--help")
    assert r.returncode == 0 and "up" in r.stdout and "status" in r.stdout and "down" in r.stdout


def test_members_usage_errors(tmp_path):
    r = fae("localnet", "up", "--members", "-1", "--home", str(tmp_path / "x"))
    assert r.returncode == 2 and "--members must be at least 0" in r.stderr
    from faechain.devnet.demo import MEMBERS

    most = len(MEMBERS) - 4  # every organisation that runs no validator
    r = fae("localnet", "up", "--validators", "4", "--members", str(most + 1), "--home", str(tmp_path / "x"))
    assert r.returncode == 2 and f"--members must be at most {most} with 4 validators" in r.stderr
    assert not (tmp_path / "x").exists()
    r = fae("localnet", "down", "--member", "bank2", "--home", str(tmp_path / "none"))
    assert r.returncode == 1 and "no localnet in" in r.stderr


def test_member_nodes_of_a_network_are_laid_out_saved_and_listed(tmp_path):
    """`Localnet.add_member` (what `create(..., members=N)` and `up --members N` call) without
    CometBFT: who gets a member node, its home, config and port, and what the network file keeps."""
    import json
    import os

    import pytest

    from faechain.devnet import localnet as L
    from faechain.devnet.demo import MEMBERS, create_demo
    from faechain.identity.wallet import Identity
    from faechain.node.config import NodeConfig

    assert sorted(L.MEMBER_ORDER) == sorted(m.name for m in MEMBERS)
    assert L.MEMBER_ORDER[:3] == ("supplier3", "bank2", "investor4")
    home = str(tmp_path / "net")
    create_demo(home, block_signer=False)
    base = L.free_base_port(2, members=3)
    nodes = []
    for i, name in enumerate(("exchange", "supplier3")):  # supplier3 operates a node here: passed over
        ports = {k: base + 10 * i + off for k, off in L.PORTS.items()}
        nodes.append(L.NodeSpec(i, name, Identity.load(home, name).org_id, **ports))
        NodeConfig(engine="cometbft", port=ports["api"], anonymous_reads=True).save(os.path.join(home, f"node{i}"))
    net = L.Localnet(home, "fae-localnet", base, nodes)
    net.save()
    added = [net.add_member() for _ in range(3)]
    assert [m.name for m in added] == ["bank2", "investor4", "investor1"]
    urls = [n.api_url for n in nodes]
    assert [m.validators for m in added] == [urls, urls[1:] + urls[:1], urls]
    assert [m.api for m in added] == [base + 5, base + 15, base + 25]
    for m in added:
        cfg = NodeConfig.load(net.member_home(m.name))
        assert cfg.engine == "member" and cfg.port == m.api
        assert cfg.member == {"org": Identity.load(home, m.name).org_id, "identity": m.name,
                              "validators": m.validators}
        assert Identity.load(net.member_home(m.name), m.name).org_id == m.org_id
        with open(os.path.join(net.member_home(m.name), "genesis.json")) as f, \
                open(os.path.join(home, "genesis.json")) as g:
            assert f.read() == g.read()
    for name, why in (("exchange", "operates node0"), ("bank2", "already runs a member node")):
        with pytest.raises(L.LocalnetError, match=why):
            net.add_member(name)
    assert L.Localnet.load(home).members == added
    assert net.pid("bank2", "fae") is None and net.pid_file("bank2", "fae").endswith("run/member-bank2.fae.pid")
    assert net.log_file("bank2", "fae").endswith("logs/member-bank2.fae.log")

    r = fae("localnet", "status", "--home", home, "--json")
    assert r.returncode == 1  # nothing runs
    rows = json.loads(r.stdout)["nodes"]
    assert [(row["node"], row["kind"]) for row in rows] == [
        ("node0", "validator"), ("node1", "validator"), ("member-bank2", "member"), ("member-investor4", "member"),
        ("member-investor1", "member")]
    assert rows[2]["org_id"] == added[0].org_id and rows[2]["fae_pid"] is None and rows[2]["height"] is None
    r = fae("localnet", "down", "--home", home, "--member", "nosuch")
    assert r.returncode == 2 and "no member node of nosuch" in r.stderr
    r = fae("localnet", "down", "--home", home, "--member", "bank2", "--purge")
    assert r.returncode == 2 and "--purge" in r.stderr
    r = fae("localnet", "down", "--home", home, "--member", "bank2")
    assert r.returncode == 0 and "stopped 0 process(es)" in r.stdout
    r = fae("localnet", "up", "--home", home, "--members", "2")
    assert r.returncode == 2 and "runs 3 member nodes" in r.stderr
