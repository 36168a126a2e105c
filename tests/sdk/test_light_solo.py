"""`faechain.sdk.light.solo.verify_solo`: a solo chain's header checked by its block
signer's signature against the key in the member's own genesis.

The light blocks come from a real chain and engine (signed as the node signs them); each
forgery a lying node could serve is refused with `bad_header` and a message naming what
failed, and the honest one verifies — on Ed25519 and on SM2/SM3.
"""

from __future__ import annotations

import cbor2
import pytest

from faechain.core.block import Header, header_signing_bytes
from faechain.core.genesis import Genesis
from faechain.core.wire import jsonable
from faechain.crypto.suite import get_suite
from faechain.engines.solo import HeaderSigner, SoloEngine
from faechain.node.block_signer import create_block_signer, load_block_signer
from faechain.node.config import paths
from faechain.sdk.light.solo import verify_solo
from faechain.sdk.trust import TrustedHeader, VerificationError
from tests.conftest import open_chain

SUITE = get_suite("ed25519")


def declare_signer(home: str) -> Genesis:
    """Give the consortium in `home` (no database yet) a block signer: key in the home, entry in genesis."""
    p = paths(home)
    genesis = Genesis.load(p["genesis"])
    genesis.block_signer = create_block_signer(p["block_signer"], genesis.suite)
    genesis.save(p["genesis"])
    return genesis


@pytest.fixture
def signed(consortium_home):
    """(genesis, light block docs by height 0..2) of a chain whose node signs its headers."""
    genesis = declare_signer(consortium_home)
    chain = open_chain(consortium_home)
    engine = SoloEngine(chain.app, heartbeat=3600, signer=load_block_signer(consortium_home, genesis))
    engine.sign_unsigned()
    engine.make_block([chain.sign("exchange", "membership", "set_attributes",
                                  {"org_id": chain.org_ids["bank"], "attributes": {"a": 1}})])
    engine.make_block([])
    docs = {h: light_doc(chain.store, engine, h) for h in range(3)}
    yield genesis, docs
    chain.close()


def light_doc(store, engine, height: int) -> dict:
    """What GET /v1/light/{height} answers on this node."""
    block_hash, header = store.block(height)
    return {"engine": "solo", "height": height, "header": jsonable(Header.decode(header).to_map()),
            "header_bytes": header.hex(), "block_hash": block_hash.hex(), **jsonable(engine.light_block(height))}


def check(doc: dict, genesis, *, chain_id: str | None = None, key: bytes | None = None, height: int | None = None):
    return verify_solo(doc, chain_id or genesis.chain_id, key or genesis.block_signer_key(), SUITE, SUITE.hash,
                       height=height)


def refused(match: str, doc: dict, genesis, **kw) -> VerificationError:
    with pytest.raises(VerificationError, match=match) as info:
        check(doc, genesis, **kw)
    assert info.value.code == "bad_header"
    return info.value


def reheader(doc: dict, **fields) -> dict:
    """`doc` with header fields changed, consistently: new header bytes, hash and rendering
    (a forger who recomputes everything but cannot sign)."""
    header = Header(**{**Header.decode(bytes.fromhex(doc["header_bytes"])).to_map(), **fields})
    raw = header.encode()
    return {**doc, "header": jsonable(header.to_map()), "header_bytes": raw.hex(), "block_hash": SUITE.hash(raw).hex()}


def test_an_honest_header_verifies_to_what_its_bytes_say(signed):
    genesis, docs = signed
    for h, doc in docs.items():
        trusted = check(doc, genesis, height=h)
        header = Header.decode(bytes.fromhex(doc["header_bytes"]))
        assert trusted == TrustedHeader(h, bytes.fromhex(doc["block_hash"]), header.app_hash, header.time,
                                        trusted.basis)
        assert "block signer" in trusted.basis and genesis.block_signer_key().hex()[:16] in trusted.basis


def test_a_forged_header_field_is_refused(signed):
    genesis, docs = signed
    doc = docs[1]
    forged_app_hash = b"\x01" * 32
    # recomputed hash and rendering, the old signature: the signature does not cover it
    refused(r"block 1: the signature does not verify under the block signer", reheader(doc, app_hash=forged_app_hash),
            genesis)
    # the header bytes changed, the hash left alone
    lazy = {**doc, "header_bytes": reheader(doc, app_hash=forged_app_hash)["header_bytes"]}
    refused(r"block 1: block_hash [0-9a-f]+ is not the hash of header_bytes", lazy, genesis)
    # only the rendered header changed (what a careless reader would show)
    shown = {**doc, "header": {**doc["header"], "app_hash": forged_app_hash.hex()}}
    refused(r"block 1: the rendered header differs from header_bytes in app_hash", shown, genesis)
    # header bytes that are not the canonical encoding of a header
    loose = cbor2.dumps(Header.decode(bytes.fromhex(doc["header_bytes"])).to_map())  # not canonically ordered
    refused(r"block 1: header_bytes is not a canonical faechain header", {**doc, "header_bytes": loose.hex(),
                                                                       "block_hash": SUITE.hash(loose).hex()}, genesis)
    # block 2's header served as block 1
    refused(r"block 1: the header says height 2", {**docs[2], "height": 1}, genesis)


def test_a_signature_by_another_key_is_refused(signed):
    genesis, docs = signed
    doc = docs[1]
    intruder = HeaderSigner(SUITE.generate())
    block_hash = bytes.fromhex(doc["block_hash"])
    resigned = intruder.sign(genesis.chain_id, 1, block_hash)
    # the node names the other key as signer: not the one genesis declares
    e = refused(r"block 1: signed by [0-9a-f]+, not by the block signer genesis declares", {
        **doc, "signer": resigned.signer.hex(), "signature": resigned.signature.hex()}, genesis)
    assert intruder.public_key.hex() in e.message and genesis.block_signer_key().hex() in e.message
    # the node names the genesis key but the signature is the other key's
    refused(r"block 1: the signature does not verify", {**doc, "signature": resigned.signature.hex()}, genesis)
    # a genuine signature of another height does not pass for this one
    refused(r"block 1: the signature does not verify", {**doc, "signature": docs[2]["signature"]}, genesis)


def test_a_different_chain_id_is_refused(signed):
    genesis, docs = signed
    refused(r"block 1: the header is of chain 'fae-test', not 'fae-other'", docs[1], genesis, chain_id="fae-other")
    # a header of another chain, signed by this chain's key (same operator, two chains): the
    # member's chain id is not the one in the header
    other = reheader(docs[1], chain="fae-other")
    refused(r"the header is of chain 'fae-other', not 'fae-test'", other, genesis)


def test_the_signer_comes_from_genesis_not_from_the_node(signed):
    genesis, docs = signed
    stranger = SUITE.generate().public().raw()
    # the member's genesis names another signer than the node's answer (a node of another
    # chain, or a genesis that is not this chain's)
    e = refused(r"block 1: signed by [0-9a-f]+, not by the block signer genesis declares", docs[1], genesis,
                key=stranger)
    assert stranger.hex() in e.message
    refused(r"asked for the header at height 2, the node answered height 1", docs[1], genesis, height=2)
    refused(r"block 1 is unsigned", {**docs[1], "signer": None, "signature": None}, genesis)
    refused(r"engine 'cometbft', not a solo chain's", {**docs[1], "engine": "cometbft"}, genesis)
    refused(r"block 1: signature is not hex", {**docs[1], "signature": "zz"}, genesis)


def test_sm2_sm3_headers_verify_with_the_chain_suite():
    sm = get_suite("sm2-sm3")
    signer = HeaderSigner(sm.generate())
    header = Header("fae-sm", 5, 1_790_000_000_000, b"\x02" * 32, b"\x03" * 32, b"\x04" * 32, b"\x05" * 32, b"solo")
    raw = header.encode()
    block_hash = sm.hash(raw)
    sig = signer.sign("fae-sm", 5, block_hash)
    assert sm.public_key(sig.signer).verify(sig.signature, header_signing_bytes("fae-sm", 5, block_hash))
    doc = {"engine": "solo", "height": 5, "header_bytes": raw.hex(), "block_hash": block_hash.hex(),
           "signer": sig.signer.hex(), "signature": sig.signature.hex()}
    trusted = verify_solo(doc, "fae-sm", signer.public_key, sm, sm.hash, height=5)
    assert trusted.app_hash == b"\x05" * 32 and trusted.block_hash == block_hash
    with pytest.raises(VerificationError, match="is not the hash of header_bytes"):  # SHA-256 is not this chain's hash
        verify_solo(doc, "fae-sm", signer.public_key, SUITE, SUITE.hash)
