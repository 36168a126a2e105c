"""The solo engine signs every header with the block signer key genesis declares.

Each committed block carries a signature, written in the block's own SQLite transaction:
it is there after reopening the store and after a `kill -9` in the middle of a stream of
blocks (a separate process). A chain whose genesis declares no signer (every home made
before the field existed) runs as before: same genesis hash, headers unsigned.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from faechain.core.block import header_signing_bytes
from faechain.core.encoding import encode
from faechain.core.genesis import Genesis
from faechain.crypto.suite import get_suite
from faechain.engines.solo import HeaderSigner, SoloEngine
from faechain.ledger.storage import Store
from faechain.node.block_signer import BlockSignerError, create_block_signer, load_block_signer
from faechain.node.config import paths
from tests.conftest import open_chain


def declare_signer(home: str) -> Genesis:
    """Give the consortium in `home` (no database yet) a block signer: key in the home, entry in genesis."""
    p = paths(home)
    genesis = Genesis.load(p["genesis"])
    genesis.block_signer = create_block_signer(p["block_signer"], genesis.suite)
    genesis.save(p["genesis"])
    return genesis


def signature_ok(store, genesis: Genesis, height: int) -> bool:
    """Whether block `height` in `store` has a signature by genesis's block signer over its hash."""
    block_hash, _ = store.block(height)
    sig = store.header_signature(height)
    if sig is None or sig.signer != genesis.block_signer_key():
        return False
    key = get_suite(genesis.suite).public_key(sig.signer)
    return key.verify(sig.signature, header_signing_bytes(genesis.chain_id, height, block_hash))


def test_every_block_is_signed_and_the_signature_survives_reopening(consortium_home):
    genesis = declare_signer(consortium_home)
    assert os.stat(paths(consortium_home)["block_signer"]).st_mode & 0o777 == 0o600
    chain = open_chain(consortium_home)
    try:
        engine = SoloEngine(chain.app, heartbeat=3600, signer=load_block_signer(consortium_home, genesis))
        assert chain.store.unsigned_heights() == [0]  # block 0 is committed before any engine exists
        assert engine.sign_unsigned() == [0]
        for _ in range(3):
            engine.make_block([chain.sign("exchange", "membership", "set_attributes",
                                          {"org_id": chain.org_ids["bank"], "attributes": {}})])
        assert chain.app.height == 3 and chain.store.unsigned_heights() == []
        assert all(signature_ok(chain.store, genesis, h) for h in range(4))
        doc = engine.light_block(2)
        assert doc == {"signer": genesis.block_signer_key(), "signature": chain.store.header_signature(2).signature}
        assert engine.light_block(4) is None and engine.light_block(-1) is None

        chain.reopen()
        assert [signature_ok(chain.store, genesis, h) for h in range(4)] == [True] * 4
        # a signature is bound to its chain, height and hash: block 2's does not pass for block 3
        sig2 = chain.store.header_signature(2)
        block3 = chain.store.block(3)[0]
        key = get_suite(genesis.suite).public_key(sig2.signer)
        assert not key.verify(sig2.signature, header_signing_bytes(genesis.chain_id, 3, block3))
        assert not key.verify(sig2.signature, header_signing_bytes("other-chain", 2, chain.store.block(2)[0]))
    finally:
        chain.close()


def test_an_old_genesis_without_a_signer_runs_unsigned_with_its_hash_unchanged(chain):
    g = chain.genesis
    assert g.block_signer is None and g.block_signer_key() is None
    # the canonical form (hashed into block 0, stored in the ledger) is exactly the pre-signer one
    assert encode(g.canonical()) == encode({"chain_id": g.chain_id, "contracts": g.contracts, "dev": g.dev,
                                            "genesis_time": g.genesis_time, "orgs": g.orgs, "suite": g.suite,
                                            "validators": g.validators})
    assert "block_signer" not in g.to_json()
    engine = SoloEngine(chain.app, block_interval=0.002, heartbeat=3600)
    engine.start()
    try:
        sub = engine.submit(chain.sign("exchange", "membership", "set_attributes",
                                       {"org_id": chain.org_ids["bank"], "attributes": {"x": 1}}))
        assert sub.check.ok and sub.future is not None and sub.future.result(timeout=30).ok
    finally:
        engine.stop()
    assert chain.app.height >= 1
    assert all(chain.store.header_signature(h) is None for h in range(chain.app.height + 1))
    assert engine.light_block(1) == {"signer": None, "signature": None}
    assert load_block_signer(chain.home, g) is None  # the node looks for no key


def test_the_engine_refuses_a_missing_or_foreign_signer(consortium_home, tmp_path):
    genesis = declare_signer(consortium_home)
    chain = open_chain(consortium_home)
    try:
        with pytest.raises(ValueError, match="needs its key"):
            SoloEngine(chain.app)
        other = HeaderSigner(get_suite(genesis.suite).generate())
        with pytest.raises(ValueError, match="genesis declares"):
            SoloEngine(chain.app, signer=other)
    finally:
        chain.close()
    # the node: the key missing from the home, or another key in its place
    os.rename(paths(consortium_home)["block_signer"], tmp_path / "moved.pem")
    with pytest.raises(BlockSignerError, match="is missing"):
        load_block_signer(consortium_home, genesis)
    with open(paths(consortium_home)["block_signer"], "wb") as f:
        f.write(get_suite(genesis.suite).generate().to_pem())
    with pytest.raises(BlockSignerError, match="but genesis declares block signer"):
        load_block_signer(consortium_home, genesis)


def test_a_chain_without_a_signer_refuses_a_key(chain):
    with pytest.raises(ValueError, match="declares no block signer"):
        SoloEngine(chain.app, signer=HeaderSigner(get_suite("ed25519").generate()))


CHILD = r"""
import sys
from faechain.chain.application import Application
from faechain.core.genesis import Genesis
from faechain.engines.solo import SoloEngine
from faechain.identity.wallet import Identity
from faechain.ledger.storage import Store
from faechain.node.block_signer import load_block_signer
from faechain.node.config import paths

home = sys.argv[1]
p = paths(home)
genesis = Genesis.load(p["genesis"])
app = Application(Store(p["db"]), genesis)
engine = SoloEngine(app, block_interval=0, heartbeat=3600, signer=load_block_signer(home, genesis))
engine.sign_unsigned()
signer = Identity.load(home, "exchange")
bank = next(o["id"] for o in genesis.orgs if o["type"] == "BANK")
i = 0
while True:  # one block after another until killed
    raw = signer.sign_tx(genesis.chain_id, "membership", "set_attributes",
                         {"org_id": bank, "attributes": {"i": i}}, now_ms=engine.now_ms())
    engine.make_block([raw])
    i += 1
    if i == 20:
        sys.stdout.write("blocks\n")
        sys.stdout.flush()
"""


def test_signatures_survive_kill_9_with_their_blocks(consortium_home):
    """A node process killed (SIGKILL) while committing block after block: every block it
    left on disk has its signature, and the chain carries on signing after a restart."""
    genesis = declare_signer(consortium_home)
    env = {**os.environ, "PYTHONPATH": os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", "")}
    for _round in range(2):
        proc = subprocess.Popen([sys.executable, "-c", CHILD, consortium_home], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        try:
            line = proc.stdout.readline()  # 20 blocks committed: the child is mid-stream
            assert line == b"blocks\n", proc.stderr.read().decode()[-2000:]
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        store = Store(paths(consortium_home)["db"])
        try:
            heights = list(store.all_heights())
            assert len(heights) >= 1 + 20 * (_round + 1)  # block 0, then at least 20 per run
            assert store.unsigned_heights() == []
            assert all(signature_ok(store, genesis, h) for h in heights)
        finally:
            store.close()
