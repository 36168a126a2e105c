"""Validator set changes from a governance vote reach CometBFT through FinalizeBlock: the
codec against CometBFT's own encoding, InitChain with the genesis validators, and the
ABCI server answering the block that executed a `set_validator` proposal with its
`validator_updates` (and no other block with any)."""

from __future__ import annotations

import base64
import json
import shutil

import pytest

from faechain.core.genesis import Genesis
from faechain.engines.cometbft import proto
from faechain.engines.cometbft.abci import AbciApp, AbciServer
from faechain.node.config import paths
from tests.conftest import open_chain
from tests.engines.test_cometbft_abci import AbciClient, block_req, fields, req

# CometBFT v0.38.26's gogoproto marshalling of
#   Response{FinalizeBlock{TxResults: [{Data: [1]}],
#            ValidatorUpdates: [{PubKey: ed25519(01 02 .. 20), Power: 10}, {PubKey: ed25519(f0 ef .. d1), Power: 0}],
#            AppHash: ab cd}}
# (generated with a copy of tests/engines/abci_golden/main.go printing that one message)
GOLDEN_FINALIZE_WITH_UPDATES = bytes.fromhex(
    "aa015712031201011a260a220a200102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20100a"
    "1a240a220a20f0efeeedecebeae9e8e7e6e5e4e3e2e1e0dfdedddcdbdad9d8d7d6d5d4d3d2d12a02abcd")

KEY_1 = bytes(range(1, 33))
KEY_2 = bytes(0xF0 - i for i in range(32))


def test_finalize_block_response_with_validator_updates_matches_cometbft():
    encoded = proto.finalize_block([proto.exec_tx_result(0, b"\x01")], b"\xab\xcd",
                                   [proto.ValidatorUpdate("ed25519", KEY_1, 10),
                                    proto.ValidatorUpdate("ed25519", KEY_2, 0)])
    assert encoded == GOLDEN_FINALIZE_WITH_UPDATES
    kind, inner = proto.decode_request(encoded)  # a Response has the same oneof shape
    assert kind == proto.RES_FINALIZE_BLOCK
    updates = [proto.ValidatorUpdate.decode(v) for v in fields(inner)[3]]
    assert updates == [proto.ValidatorUpdate("ed25519", KEY_1, 10), proto.ValidatorUpdate("ed25519", KEY_2, 0)]
    # without updates the response is exactly what it was before (field 3 absent)
    assert proto.finalize_block([proto.exec_tx_result(0, b"\x01")], b"\xab\xcd") == \
        proto.finalize_block([proto.exec_tx_result(0, b"\x01")], b"\xab\xcd", [])


GENESIS_KEYS = [bytes([0xA0 + i]) * 32 for i in range(2)]
NEW_KEY = b"\x5c" * 32


@pytest.fixture
def served_with_validators(consortium_template, tmp_path):
    """The test consortium (3 organisations: 2 yes votes carry a proposal) with two genesis
    validators, served over ABCI."""
    home = str(tmp_path / "home")
    shutil.copytree(consortium_template, home)
    g = Genesis.load(paths(home)["genesis"])
    g.validators = [{"name": f"v{i}", "key_type": "ed25519", "pub_key": base64.b64encode(k).decode(), "power": 10}
                    for i, k in enumerate(GENESIS_KEYS)]
    g.save(paths(home)["genesis"])
    chain = open_chain(home)
    abci = AbciApp(chain.app, fault="")
    server = AbciServer(abci, "tcp://127.0.0.1:0")
    server.start()
    client = AbciClient(server._sock.getsockname())
    yield chain, client
    client.close()
    server.stop()
    chain.close()


def _init_chain(chain, keys: list[bytes]) -> bytes:
    inner = proto.f_bytes(1, proto.encode_timestamp(chain.genesis.genesis_time), always=True)
    inner += proto.f_bytes(2, chain.chain_id)
    for key in keys:
        inner += proto.f_bytes(4, proto.ValidatorUpdate("ed25519", key, 10).encode(), always=True)
    inner += proto.f_bytes(5, json.dumps(chain.genesis.canonical()).encode()) + proto.f_varint(6, 1)
    return req(proto.REQ_INIT_CHAIN, inner)


def _block(chain, client, txs: list[bytes]) -> tuple[list[dict], list[proto.ValidatorUpdate]]:
    """FinalizeBlock + Commit over the socket: (tx results' fields, validator updates)."""
    height = chain.app.height + 1
    kind, inner = client.call(block_req(proto.REQ_FINALIZE_BLOCK, height, chain.clock, txs))
    assert kind == proto.RES_FINALIZE_BLOCK
    f = fields(inner)
    kind, _ = client.call(req(proto.REQ_COMMIT))
    assert kind == proto.RES_COMMIT and chain.app.height == height
    chain.clock += 1000
    return [fields(r) for r in f.get(2, [])], [proto.ValidatorUpdate.decode(v) for v in f.get(3, [])]


def test_set_validator_vote_reaches_finalize_block(served_with_validators):
    chain, client = served_with_validators
    kind, inner = client.call(_init_chain(chain, list(reversed(GENESIS_KEYS))))
    assert kind == proto.RES_INIT_CHAIN and 2 not in fields(inner)  # CometBFT keeps its genesis set
    held = chain.app.run_query("governance", "validators", {}, None)
    assert [v["pub_key"] for v in held["validators"]] == [k.hex() for k in GENESIS_KEYS]

    propose = chain.sign("exchange", "governance", "propose",
                         {"kind": "set_validator", "params": {"pub_key": NEW_KEY.hex(), "power": 7}})
    results, updates = _block(chain, client, [propose])
    assert 1 not in results[0] and updates == []
    pid = chain.app.run_query("governance", "proposals", {}, None)[0]["id"]

    def vote(who: str) -> bytes:
        return chain.sign(who, "governance", "vote", {"proposal": pid, "approve": True})

    results, updates = _block(chain, client, [vote("bank")])  # 1 of the 2 needed
    assert 1 not in results[0] and updates == []
    results, updates = _block(chain, client, [vote("investor")])  # the second: executed in this block
    assert 1 not in results[0]
    assert updates == [proto.ValidatorUpdate("ed25519", NEW_KEY, 7)]
    results, updates = _block(chain, client, [])
    assert updates == []

    # and out again: power 0 removes it
    remove = chain.sign("bank", "governance", "propose",
                        {"kind": "set_validator", "params": {"pub_key": GENESIS_KEYS[0].hex(), "power": 0}})
    _block(chain, client, [remove])
    pid = chain.app.run_query("governance", "proposals", {}, None)[0]["id"]
    votes = [chain.sign(who, "governance", "vote", {"proposal": pid, "approve": True})
             for who in ("exchange", "investor")]
    _, updates = _block(chain, client, votes)
    assert updates == [proto.ValidatorUpdate("ed25519", GENESIS_KEYS[0], 0)]
    held = chain.app.run_query("governance", "validators", {}, None)
    assert {v["pub_key"]: v["power"] for v in held["validators"]} == {GENESIS_KEYS[1].hex(): 10, NEW_KEY.hex(): 7}
