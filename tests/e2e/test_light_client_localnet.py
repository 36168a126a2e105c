"""`LightClient` against a real 4-validator network: from the member's own genesis, through
one node, with another as witness, faechain block h's app hash is the one the validators
signed in CometBFT header h + 1 — and the same as the block each node renders.

Run only these: python -m pytest -m localnet
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from localnet_support import client, running_localnet, wait_until

from faechain.core.genesis import Genesis
from faechain.sdk.light.client import LightClient

pytestmark = pytest.mark.localnet


def test_the_light_client_follows_a_real_network(tmp_path):
    with running_localnet(str(tmp_path / "net"), 4) as net:
        c0, c1 = client(net, 0), client(net, 1)
        org = c0.query("membership", "whoami")["org_id"]
        for n in range(3):
            assert c0.submit(c0.identity, "membership", "set_attributes", org_id=org, attributes={"n": n}).ok
        genesis = Genesis.load(os.path.join(net.home, "genesis.json"))  # the member's own copy
        lc = LightClient(genesis, c0, witnesses=[c1])
        target = wait_until(lambda: lc.latest().height >= 3 and lc.latest(), 60, "a signed header past block 3")
        for h in range(1, target.height + 1):
            trusted = lc.trusted(h)
            assert trusted.app_hash.hex() == c1.block(h)["header"]["app_hash"], h
            assert "validators" in trusted.basis and f"CometBFT header {h + 1}" in trusted.basis
        assert lc.witness_problems == []
        # the same from the shell: the CLI's light client starts from the home's genesis.json
        done = subprocess.run([sys.executable, "-m", "faechain", "state", f"membership/org/{org}", "--prove",
                               "--as", "exchange", "--home", net.home, "--url", net.nodes[2].api_url, "--witness",
                               net.nodes[3].api_url], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert out["verified"] is True and "validators" in out["trust"], out
