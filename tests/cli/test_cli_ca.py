"""`fae ca` and `fae genesis create`, run in-process (no node needed)."""

from __future__ import annotations

import json
import os

import pytest

from faechain.cli.main import main
from faechain.core.genesis import Genesis
from faechain.crypto import certs
from faechain.identity.organisations import revocation_message

ORG_A = "91110000MA0000901A"
ORG_B = "91110000MA0000902B"


def fae(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as exc:  # argparse
        return int(exc.code)


def make_ca(tmp_path, name="a", org=ORG_A, org_type="BANK", title="Test Bank A"):
    ca_dir = str(tmp_path / f"ca-{name}")
    assert fae("ca", "create", "--dir", ca_dir, "--org-id", org, "--name", title, "--type", org_type) == 0
    return ca_dir


def test_ca_create_writes_the_ca(tmp_path, capsys):
    ca_dir = make_ca(tmp_path)
    assert sorted(os.listdir(ca_dir)) == ["ca-key.pem", "ca.pem", "org.json"]
    assert os.stat(os.path.join(ca_dir, "ca-key.pem")).st_mode & 0o077 == 0
    with open(os.path.join(ca_dir, "ca.pem"), "rb") as f:
        info = certs.read_info(certs.load_pem(f.read()))
    assert info.is_ca and info.org_id == ORG_A and info.role == "BANK"
    with open(os.path.join(ca_dir, "org.json")) as f:
        assert json.load(f) == {"org_id": ORG_A, "name": "Test Bank A", "type": "BANK", "suite": "ed25519"}
    assert ORG_A in capsys.readouterr().out


def test_ca_create_refuses_bad_input_and_overwrite(tmp_path, capsys):
    ca_dir = make_ca(tmp_path)
    capsys.readouterr()
    assert fae("ca", "create", "--dir", ca_dir, "--org-id", ORG_A, "--name", "X", "--type", "BANK") == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "Traceback" not in err and err.count("\n") == 1
    assert fae("ca", "create", "--dir", str(tmp_path / "x"), "--org-id", "short", "--name", "X",
               "--type", "BANK") == 2
    assert "18-character" in capsys.readouterr().err
    assert fae("ca", "create", "--dir", str(tmp_path / "y"), "--org-id", ORG_B, "--name", "X",
               "--type", "PIRATE") == 2


def test_ca_issue_certificate_reads_back(tmp_path, capsys):
    ca_dir = make_ca(tmp_path, org_type="INVESTOR", title="Test Investor")
    wallet = str(tmp_path / "wallet")
    rc = fae("ca", "issue", "--dir", ca_dir, "--wallet", wallet, "--name", "alice",
             "--attr", "qualified=true", "--attr", "limit=5000", "--attr", "desk=fixed income",
             "--attr", 'tags=["a","b"]')
    assert rc == 0
    entry = os.path.join(wallet, "alice")
    assert sorted(os.listdir(entry)) == ["ca.pem", "cert.pem", "identity.json", "key.pem"]
    with open(os.path.join(entry, "cert.pem"), "rb") as f:
        der = certs.load_pem(f.read())
    info = certs.read_info(der)
    assert (info.org_id, info.role, info.name, info.is_ca) == (ORG_A, "INVESTOR", "alice", False)
    assert info.attributes == {"qualified": True, "limit": 5000, "desk": "fixed income", "tags": ["a", "b"]}
    with open(os.path.join(ca_dir, "ca.pem"), "rb") as f:
        certs.verify_issued_by(__import__("faechain.crypto.suite", fromlist=["x"]).get_suite("ed25519"),
                               der, certs.load_pem(f.read()))
    with open(os.path.join(entry, "identity.json")) as f:
        ident = json.load(f)
    cert_id = ident["cert_id"]
    assert os.path.exists(os.path.join(ca_dir, "issued", f"{cert_id}.pem"))
    assert cert_id in capsys.readouterr().out

    # the SDK loads it
    from faechain.identity.wallet import Identity

    loaded = Identity.load(str(tmp_path), "alice")
    assert loaded.org_id == ORG_A and loaded.role == "INVESTOR" and loaded.cert_id.hex() == cert_id

    # a second identity of the same name is refused; a bad attribute is a usage error
    assert fae("ca", "issue", "--dir", ca_dir, "--wallet", wallet, "--name", "alice") == 1
    assert fae("ca", "issue", "--dir", ca_dir, "--wallet", wallet, "--name", "bob", "--attr", "novalue") == 2
    assert fae("ca", "issue", "--dir", str(tmp_path / "nope"), "--wallet", wallet, "--name", "bob") == 2


def test_ca_revoke_offline_signs_and_records(tmp_path, capsys):
    from faechain.identity.ca import load_org_ca

    ca_dir = make_ca(tmp_path)
    wallet = str(tmp_path / "wallet")
    assert fae("ca", "issue", "--dir", ca_dir, "--wallet", wallet, "--name", "bob") == 0
    with open(os.path.join(wallet, "bob", "identity.json")) as f:
        cert_id = json.load(f)["cert_id"]
    capsys.readouterr()
    rc = fae("ca", "revoke", "--dir", ca_dir, "--cert-file", os.path.join(wallet, "bob", "cert.pem"),
             "--reason", "key lost", "--chain-id", "test-chain")
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cert_id"] == cert_id and out["org_id"] == ORG_A and out["chain_id"] == "test-chain"
    ca = load_org_ca(ca_dir)
    msg = revocation_message("test-chain", ORG_A, bytes.fromhex(cert_id), "key lost")
    assert ca.suite.public_key_from_crypto(ca.key.crypto_key().public_key()).verify(
        bytes.fromhex(out["ca_signature"]), msg)
    with open(os.path.join(ca_dir, "revoked.json")) as f:
        assert [r["cert_id"] for r in json.load(f)] == [cert_id]

    # the same by id; `ca list` shows both issued and revoked
    assert fae("ca", "revoke", "--dir", ca_dir, "--cert", cert_id, "--reason", "again",
               "--chain-id", "test-chain") == 0
    capsys.readouterr()
    assert fae("ca", "list", "--dir", ca_dir, "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    assert [(c["name"], c["revoked"]) for c in listing["issued"]] == [("bob", True)]
    assert [r["reason"] for r in listing["revoked"]] == ["key lost", "again"]
    assert fae("ca", "list", "--dir", ca_dir) == 0
    text = capsys.readouterr().out
    assert "bob" in text and "REVOKED" in text and "key lost" in text


def test_ca_revoke_usage_errors(tmp_path, capsys):
    ca_dir = make_ca(tmp_path)
    other = make_ca(tmp_path, "b", ORG_B, "FACTOR", "Factor B")
    wallet = str(tmp_path / "wallet")
    assert fae("ca", "issue", "--dir", other, "--wallet", wallet, "--name", "carol") == 0
    capsys.readouterr()
    # no --chain-id without --url
    assert fae("ca", "revoke", "--dir", ca_dir, "--cert", "00" * 32, "--reason", "r") == 2
    # neither --cert nor --cert-file
    assert fae("ca", "revoke", "--dir", ca_dir, "--reason", "r", "--chain-id", "c") == 2
    # a malformed id
    assert fae("ca", "revoke", "--dir", ca_dir, "--cert", "zz", "--reason", "r", "--chain-id", "c") == 2
    # another organisation's certificate
    assert fae("ca", "revoke", "--dir", ca_dir, "--cert-file", os.path.join(wallet, "carol", "cert.pem"),
               "--reason", "r", "--chain-id", "c") == 2
    assert "belongs to organisation" in capsys.readouterr().err
    # --url without --as
    assert fae("ca", "revoke", "--dir", ca_dir, "--cert", "00" * 32, "--reason", "r", "--chain-id", "c",
               "--url", "http://127.0.0.1:1") == 2
    assert not os.path.exists(os.path.join(ca_dir, "revoked.json"))


def test_genesis_create_from_two_cas(tmp_path, capsys):
    a = make_ca(tmp_path, "a", ORG_A, "EXCHANGE", "Exchange A")
    b = make_ca(tmp_path, "b", ORG_B, "BANK", "Bank B")
    out = str(tmp_path / "net" / "genesis.json")
    assert fae("genesis", "create", "--chain-id", "fae-test", "--out", out, "--org", a, "--org", b) == 0
    g = Genesis.load(out)
    assert g.chain_id == "fae-test" and g.dev is False and g.suite == "ed25519" and g.genesis_time > 0
    assert [(o["id"], o["type"], o["name"]) for o in g.orgs] == [
        (ORG_A, "EXCHANGE", "Exchange A"), (ORG_B, "BANK", "Bank B")]
    for o, d in zip(g.orgs, (a, b), strict=True):
        with open(os.path.join(d, "ca.pem")) as f:
            assert o["ca"] == f.read()
    # refuses to overwrite, and the same org twice
    capsys.readouterr()
    assert fae("genesis", "create", "--chain-id", "fae-test", "--out", out, "--org", a) == 1
    assert "exists" in capsys.readouterr().err
    assert fae("genesis", "create", "--chain-id", "x", "--out", str(tmp_path / "g2.json"),
               "--org", a, "--org", a) == 2
    assert fae("genesis", "create", "--chain-id", "x", "--out", str(tmp_path / "g3.json"),
               "--org", a, "--dev") == 0
    assert Genesis.load(str(tmp_path / "g3.json")).dev is True

    # the genesis boots an application with both organisations as members
    from faechain.chain.application import Application
    from faechain.ledger.storage import Store

    store = Store(str(tmp_path / "db" / "chain.db"))
    try:
        app = Application(store, g)
        orgs = app.run_query("membership", "orgs", {}, None)
        assert sorted(o["id"] for o in orgs) == [ORG_A, ORG_B]
    finally:
        store.close()


def test_node_init_writes_config_and_genesis(tmp_path, capsys):
    a = make_ca(tmp_path, "a", ORG_A, "EXCHANGE", "Exchange A")
    gen = str(tmp_path / "genesis.json")
    assert fae("genesis", "create", "--chain-id", "fae-test", "--out", gen, "--org", a) == 0
    home = str(tmp_path / "node1")
    assert fae("node", "init", "--home", home, "--genesis", gen, "--port", "9123", "--host", "127.0.0.2") == 0
    with open(os.path.join(home, "config.json")) as f:
        cfg = json.load(f)
    assert cfg["port"] == 9123 and cfg["host"] == "127.0.0.2" and cfg["anonymous_reads"] is False
    with open(os.path.join(home, "genesis.json")) as f, open(gen) as g:
        assert f.read() == g.read()
    assert fae("node", "init", "--home", home, "--genesis", gen) == 1  # exists
    assert fae("node", "init", "--home", home, "--genesis", gen, "--force", "--port", "9124") == 0
    # anonymous reads need a dev chain
    assert fae("node", "init", "--home", str(tmp_path / "n2"), "--genesis", gen, "--anonymous-reads") == 2
    assert fae("node", "init", "--home", str(tmp_path / "n3"), "--genesis", str(tmp_path / "none.json")) == 2
    capsys.readouterr()
    assert fae("node", "start", "--home", str(tmp_path / "empty")) == 2
    err = capsys.readouterr().err
    assert "config.json" in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    [],
    ["nosuchcommand"],
    ["ca"],
    ["ca", "create", "--dir", "x"],
    ["tx", "--as", "exchange"],
    ["tx", "membership", "set_attributes"],  # --as missing
    ["query"],
    ["genesis", "create", "--out", "x.json"],
    ["dev", "advance-time", "soon"],
    ["block", "--height"],
])
def test_usage_errors_exit_2(argv, capsys):
    assert fae(*argv) == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "Traceback" not in err


def test_bad_key_value_and_missing_home_exit_2(tmp_path, capsys):
    home = str(tmp_path / "nohome")
    assert fae("tx", "--home", home, "--as", "exchange", "membership", "revoke", "novalue") == 2
    assert "key=value" in capsys.readouterr().err
    assert fae("tx", "--home", home, "--as", "exchange", "membership", "revoke", "a=1") == 2
    err = capsys.readouterr().err
    assert "no node configuration" in err and err.count("\n") == 1
    assert fae("block", "--url", "http://127.0.0.1:9", "tall") == 2
    assert fae("tx-info", "--url", "http://127.0.0.1:9", "xyz") == 2
    assert fae("verify", "--home", home) == 2
    assert fae("version") == 0
    assert capsys.readouterr().out.startswith("faechain ")


def test_parse_values():
    from faechain.cli.common import parse_pairs

    assert parse_pairs(["amount=100", "ok=true", "name=Acme Ltd", "blob=hex:00ff", "empty=",
                        'm={"qualified":true}', "s=\"42\"", "eq=a=b"]) == {
        "amount": 100, "ok": True, "name": "Acme Ltd", "blob": b"\x00\xff", "empty": "",
        "m": {"qualified": True}, "s": "42", "eq": "a=b"}
