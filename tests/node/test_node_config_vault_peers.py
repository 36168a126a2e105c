"""`vault_peers` and `vault_peer_timeout` in a node's config.json: defaults, round trip, checks."""

from __future__ import annotations

import json
import os

import pytest

from faechain.node.config import NodeConfig


def test_defaults_and_round_trip(tmp_path):
    cfg = NodeConfig()
    assert cfg.vault_peers == [] and cfg.vault_peer_timeout == 10.0
    assert NodeConfig().vault_peers is not cfg.vault_peers  # no shared default list
    home = str(tmp_path)
    NodeConfig(vault_peers=["http://10.0.0.2:8730/", "https://fae.bank.example/api"], vault_peer_timeout=2.5).save(home)
    with open(os.path.join(home, "config.json")) as f:
        saved = json.load(f)
    assert saved["vault_peers"] == ["http://10.0.0.2:8730", "https://fae.bank.example/api"]  # no trailing slash
    assert saved["vault_peer_timeout"] == 2.5
    loaded = NodeConfig.load(home)
    assert loaded.vault_peers == saved["vault_peers"] and loaded.vault_peer_timeout == 2.5


def test_a_config_without_the_fields_gets_the_defaults(tmp_path):
    with open(tmp_path / "config.json", "w") as f:
        json.dump({"port": 9000}, f)
    cfg = NodeConfig.load(str(tmp_path))
    assert cfg.port == 9000 and cfg.vault_peers == [] and cfg.vault_peer_timeout == 10.0


@pytest.mark.parametrize("peers", [
    "http://10.0.0.2:8730",              # a string, not a list
    ["ftp://10.0.0.2"], ["10.0.0.2:8730"], ["http://"], ["http://h:99999"], ["http://h:port"],
    ["http://h/?x=1"], ["http://h#top"], ["http://user:pw@h"], [" http://h"], [8730], [None],
])
def test_vault_peers_must_be_http_urls(tmp_path, peers):
    with pytest.raises(ValueError, match="vault_peers"):
        NodeConfig(vault_peers=peers)
    with open(tmp_path / "config.json", "w") as f:
        json.dump({"vault_peers": peers}, f)
    with pytest.raises(ValueError, match="vault_peers"):
        NodeConfig.load(str(tmp_path))


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), float("nan"), "10", None, True])
def test_vault_peer_timeout_must_be_positive(timeout):
    with pytest.raises(ValueError, match="vault_peer_timeout"):
        NodeConfig(vault_peer_timeout=timeout)


def test_a_bad_peer_stops_the_node_from_starting(tmp_path, capsys):
    from faechain.cli.main import main
    from faechain.devnet.demo import create_demo

    home = str(tmp_path / "home")
    create_demo(home)
    path = os.path.join(home, "config.json")
    with open(path) as f:
        data = json.load(f)
    data["vault_peers"] = ["gopher://10.0.0.2"]
    with open(path, "w") as f:
        json.dump(data, f)
    assert main(["node", "start", "--home", home]) != 0
    assert "gopher://10.0.0.2" in capsys.readouterr().err
