"""Consortium CA tooling and wallet identities."""

from __future__ import annotations

import json
import os
import stat

import pytest

from faechain.core.encoding import decode
from faechain.core.tx import SIGN_DOMAIN, decode_tx
from faechain.crypto import certs
from faechain.crypto.suite import get_suite
from faechain.identity.ca import create_org_ca, issue_identity, load_org_ca, sign_revocation
from faechain.identity.organisations import revocation_message
from faechain.identity.wallet import Identity, read_message

SUITE = get_suite("ed25519")
ORG = "91110000TESTCA0001"


@pytest.fixture
def ca(tmp_path):
    return create_org_ca(str(tmp_path / "ca"), ORG, "Test Org", "FACTOR")


def test_create_and_load(ca, tmp_path):
    path = str(tmp_path / "ca")
    assert stat.S_IMODE(os.stat(os.path.join(path, "ca-key.pem")).st_mode) == 0o600
    loaded = load_org_ca(path)
    assert (loaded.org_id, loaded.name, loaded.type, loaded.cert_der) == (ORG, "Test Org", "FACTOR", ca.cert_der)
    info = certs.read_info(ca.cert_der)
    assert info.is_ca and info.org_id == ORG and info.role == "FACTOR"
    assert loaded.key.public().raw() == certs.public_key(SUITE, ca.cert_der).raw()
    assert ca.cert_pem.startswith("-----BEGIN CERTIFICATE-----")


def test_create_refuses_overwrite_and_bad_input(ca, tmp_path):
    with pytest.raises(FileExistsError):
        create_org_ca(str(tmp_path / "ca"), ORG, "Again", "FACTOR")
    with pytest.raises(ValueError):
        create_org_ca(str(tmp_path / "x"), ORG, "X", "NOT_A_TYPE")
    for bad in ("SHORT", "91110000TESTCA000!", "91110000TESTCA00012"):
        with pytest.raises(ValueError):
            create_org_ca(str(tmp_path / "y"), bad, "X", "BANK")


def test_issue_identity(ca, tmp_path):
    wallet = str(tmp_path / "wallet")
    target = issue_identity(ca, wallet, "alice", {"admin": True})
    assert target == os.path.join(wallet, "alice")
    assert stat.S_IMODE(os.stat(os.path.join(target, "key.pem")).st_mode) == 0o600
    with open(os.path.join(target, "identity.json")) as f:
        meta = json.load(f)
    ident = Identity.load(str(tmp_path), "alice")
    assert meta["cert_id"] == ident.cert_id.hex() == SUITE.hash(ident.cert).hex()
    assert (ident.name, ident.org_id, ident.org_name, ident.role) == ("alice", ORG, "Test Org", "FACTOR")
    assert ident.attributes == {"admin": True}
    assert os.path.exists(os.path.join(ca.path, "issued", f"{meta['cert_id']}.pem"))
    certs.verify_issued_by(SUITE, ident.cert, ca.cert_der)
    assert certs.read_info(ident.cert).attributes == {"admin": True}
    # the identity folder itself also loads
    assert Identity.load(target, "ignored").cert_id == ident.cert_id
    with pytest.raises(FileExistsError):
        issue_identity(ca, wallet, "alice")
    with pytest.raises(FileNotFoundError):
        Identity.load(str(tmp_path), "nobody")


def test_sign_tx(ca, tmp_path):
    issue_identity(ca, str(tmp_path / "wallet"), "bob")
    ident = Identity.load(str(tmp_path), "bob")
    raw = ident.sign_tx("fae-x", "c", "m", {"a": 1}, nonce=3, now_ms=1000)
    tx = decode_tx(raw, SUITE.hash)
    assert (tx.chain, tx.contract, tx.method, tx.args, tx.nonce, tx.expires) == (
        "fae-x", "c", "m", {"a": 1}, 3, 1000 + 600_000)
    assert tx.signer == ident.cert_id and tx.cert == ident.cert
    assert ident.key.public().verify(tx.signature, SIGN_DOMAIN + tx.body)
    bare = decode_tx(ident.sign_tx("fae-x", "c", "m", {}, attach_cert=False, expires=5), SUITE.hash)
    assert bare.cert is None and bare.expires == 5
    # random nonces make equal calls distinct
    assert ident.sign_tx("fae-x", "c", "m", {}, now_ms=1) != ident.sign_tx("fae-x", "c", "m", {}, now_ms=1)


def test_sign_read(ca, tmp_path):
    issue_identity(ca, str(tmp_path / "wallet"), "carol")
    ident = Identity.load(str(tmp_path), "carol")
    sig = ident.sign_read("fae-x", "get", "/v1/x", b"\x00" * 32, 123)
    msg = read_message("fae-x", "GET", "/v1/x", b"\x00" * 32, 123)
    assert msg.startswith(b"faechain/read/v1\x00")
    assert decode(msg[len(b"faechain/read/v1\x00"):]) == ["fae-x", "GET", "/v1/x", b"\x00" * 32, 123]
    assert ident.key.public().verify(sig, msg)


def test_sign_revocation(ca, tmp_path):
    cert_id = b"\x07" * 32
    entry = sign_revocation(ca, "fae-x", cert_id, "lost key")
    msg = revocation_message("fae-x", ORG, cert_id, "lost key")
    assert msg.startswith(b"faechain/revoke/v1\x00")
    assert decode(msg[len(b"faechain/revoke/v1\x00"):]) == {"org": ORG, "cert": cert_id, "chain": "fae-x",
                                                            "reason": "lost key"}
    assert certs.public_key(SUITE, ca.cert_der).verify(bytes.fromhex(entry["ca_signature"]), msg)
    assert not certs.public_key(SUITE, ca.cert_der).verify(
        bytes.fromhex(entry["ca_signature"]), revocation_message("fae-other", ORG, cert_id, "lost key"))
    sign_revocation(ca, "fae-x", b"\x08" * 32, "second")
    with open(os.path.join(ca.path, "revoked.json")) as f:
        assert [e["reason"] for e in json.load(f)] == ["lost key", "second"]
