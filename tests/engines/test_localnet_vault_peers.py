"""`fae localnet` makes every faechain node a vault peer of the others, so a document
uploaded at one organisation's node can be read through any node (no processes here:
the generated configuration only)."""

from __future__ import annotations

import json
import os

import pytest

from faechain.devnet import localnet as L
from faechain.engines.cometbft import CometBFTNotFound, find_cometbft
from faechain.node.config import NodeConfig


def _config(home: str) -> dict:
    with open(os.path.join(home, "config.json")) as f:
        return json.load(f)


def test_create_names_the_other_nodes_as_vault_peers(tmp_path):
    try:
        find_cometbft()
    except CometBFTNotFound as exc:
        if os.environ.get("FAE_SKIP_LOCALNET"):
            pytest.skip(f"FAE_SKIP_LOCALNET is set and {exc}")
        raise
    net = L.create(str(tmp_path / "net"), 3, base_port=L.free_base_port(3))
    urls = [n.api_url for n in net.nodes]
    assert len(set(urls)) == 3
    for i in range(3):
        cfg = _config(net.node_home(i))
        assert cfg["vault_peers"] == [u for j, u in enumerate(urls) if j != i]
        assert cfg["port"] == net.nodes[i].api
        assert NodeConfig.load(net.node_home(i)).vault_peers == cfg["vault_peers"]
    assert _config(net.home)["vault_peers"] == urls[1:]  # the root home's copy of node 0's config
    assert not any(net.pid(i, k) for i in range(3) for k in ("fae", "cometbft"))  # nothing started


def test_up_gives_an_older_network_its_vault_peers(tmp_path):
    """A network created before peer fetch: `up` (start) fills in vault_peers where config.json
    has none, and leaves an operator's setting, even an empty list, alone."""
    nodes = [L.NodeSpec(i, L.VALIDATOR_ORDER[i], f"ORG{i}", 30000 + 10 * i, 30001 + 10 * i, 30002 + 10 * i,
                        30003 + 10 * i) for i in range(3)]
    net = L.Localnet(str(tmp_path), "fae-localnet", 30000, nodes)
    for i in range(3):
        data = {k: v for k, v in vars(NodeConfig(engine="cometbft", port=nodes[i].api)).items()
                if not k.startswith("vault_peer")}
        os.makedirs(net.node_home(i))
        with open(os.path.join(net.node_home(i), "config.json"), "w") as f:
            json.dump(data, f)
    NodeConfig(engine="cometbft", port=nodes[2].api, vault_peers=[]).save(net.node_home(2))  # the operator's
    assert net.ensure_vault_peers() == [0, 1]
    assert _config(net.node_home(0))["vault_peers"] == ["http://127.0.0.1:30010", "http://127.0.0.1:30020"]
    assert _config(net.node_home(1))["vault_peers"] == ["http://127.0.0.1:30000", "http://127.0.0.1:30020"]
    assert _config(net.node_home(2))["vault_peers"] == []
    assert _config(net.node_home(0))["engine"] == "cometbft" and _config(net.node_home(0))["port"] == 30000
    assert net.ensure_vault_peers() == []  # once set, set
