"""A solo chain with a block signer, made with the CLI alone: `fae genesis create
--block-signer-key` → `fae node init --block-signer-key` → `fae node start` (a subprocess),
whose GET /v1/light/0 verifies against the key in genesis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

from fae_cli_helpers import fae, free_port, wait_healthy

from faechain.core.genesis import Genesis
from faechain.crypto.suite import get_suite
from faechain.sdk.light.solo import verify_solo

EXCHANGE = "91110000MA0000901E"


def ok(res: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def test_block_signer_from_genesis_to_a_signed_header(tmp_path):
    t = str(tmp_path)
    key_file = f"{t}/secrets/signer.pem"
    ok(fae("ca", "create", "--dir", f"{t}/ca-ex", "--org-id", EXCHANGE, "--name", "Signer Exchange",
           "--type", "EXCHANGE"))
    out = ok(fae("genesis", "create", "--chain-id", "signed-net", "--out", f"{t}/genesis.json", "--dev",
                 "--org", f"{t}/ca-ex", "--block-signer-key", key_file)).stdout
    genesis = Genesis.load(f"{t}/genesis.json")
    key = genesis.block_signer_key()
    assert key is not None and genesis.block_signer["pub_key"] in out
    assert os.stat(key_file).st_mode & 0o777 == 0o600
    suite = get_suite(genesis.suite)
    with open(key_file, "rb") as f:
        assert suite.load_private_pem(f.read()).public().raw() == key

    home = f"{t}/node"
    port = free_port()
    missing = fae("node", "init", "--home", home, "--genesis", f"{t}/genesis.json", "--port", str(port))
    assert missing.returncode == 2 and "--block-signer-key" in missing.stderr
    other = f"{t}/other.pem"
    with open(other, "wb") as f:
        f.write(suite.generate().to_pem())
    wrong = fae("node", "init", "--home", home, "--genesis", f"{t}/genesis.json", "--block-signer-key", other)
    assert wrong.returncode == 1 and "but genesis declares block signer" in wrong.stderr
    ok(fae("node", "init", "--home", home, "--genesis", f"{t}/genesis.json", "--port", str(port),
           "--anonymous-reads", "--block-signer-key", key_file))
    installed = os.path.join(home, "block_signer_key.pem")
    assert os.stat(installed).st_mode & 0o777 == 0o600

    log = open(os.path.join(t, "node.log"), "w")
    proc = subprocess.Popen([sys.executable, "-m", "faechain", "node", "start", "--home", home],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, 60)
        with urllib.request.urlopen(url + "/v1/light/0", timeout=10) as resp:
            doc = json.loads(resp.read())
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
    trusted = verify_solo(doc, "signed-net", key, suite, suite.hash, height=0)
    assert trusted.height == 0 and doc["signer"] == key.hex()

    # without its key the node does not start (it would make headers no member accepts)
    os.remove(installed)
    res = fae("node", "start", "--home", home)
    assert res.returncode == 1 and "block_signer_key.pem is missing" in res.stderr
