"""`fae genesis hash`: the hash a member compares with the genesis the web console pinned.

On an ed25519 chain it is one hash: block 0's parent (what the chain itself names) and the
SHA-256 the console shows. On an SM chain the chain's hash is SM3, which a browser cannot
compute, so both are printed."""

from __future__ import annotations

import hashlib
import re

from fae_cli_helpers import fae

from faechain.core.block import Header
from faechain.core.encoding import encode
from faechain.core.genesis import Genesis
from faechain.crypto.suite import get_suite
from tests.conftest import open_chain


def test_the_hash_is_block_zeros_parent_and_the_consoles_pin(consortium_home):
    chain = open_chain(consortium_home)
    try:
        parent = chain.app.store.block(0)
        assert parent is not None
        block0_parent = Header.decode(parent[1]).prev
    finally:
        chain.close()
    res = fae("genesis", "hash", "--home", consortium_home)
    assert res.returncode == 0, res.stderr
    [line] = [x for x in res.stdout.splitlines() if x.startswith("genesis hash")]
    shown = re.search(r"[0-9a-f]{64}", line).group(0)
    assert shown == block0_parent.hex()
    genesis = Genesis.load(f"{consortium_home}/genesis.json")
    assert shown == hashlib.sha256(encode(genesis.canonical())).hexdigest()  # what static/genesis.js pins
    assert "SHA-256" in line and "console" in line


def test_an_sm_chain_prints_its_sm3_hash_and_the_sha256_the_console_shows(tmp_path):
    path = str(tmp_path / "genesis.json")
    Genesis(chain_id="fae-sm", suite="sm2-sm3", genesis_time=1_790_000_000_000).save(path)
    res = fae("genesis", "hash", "--genesis", path)
    assert res.returncode == 0, res.stderr
    raw = encode(Genesis.load(path).canonical())
    assert f"genesis hash  {get_suite('sm2-sm3').hash(raw).hex()}  (sm2-sm3 hash" in res.stdout
    assert f"SHA-256       {hashlib.sha256(raw).hexdigest()}  (the console" in res.stdout


def test_a_missing_or_broken_genesis_is_a_usage_error(tmp_path):
    res = fae("genesis", "hash", "--genesis", str(tmp_path / "none.json"))
    assert res.returncode == 2 and "no such genesis file" in res.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    res = fae("genesis", "hash", "--genesis", str(bad))
    assert res.returncode == 2 and "is not a genesis document" in res.stderr
