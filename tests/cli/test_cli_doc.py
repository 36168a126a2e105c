"""`fae doc put|get` (a subprocess) against an in-process node that has the test scope
contract of `tests.api.vault_support`."""

from __future__ import annotations

import os

import pytest
from fae_cli_helpers import fae

from tests.api.vault_support import SCOPE, record_document, vault_node


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    with vault_node(str(tmp_path_factory.mktemp("clivault"))) as n:
        yield n


def test_put_then_get(node, tmp_path):
    src = tmp_path / "contract.pdf"
    data = b"%PDF-1.7\n" + bytes(range(256)) * 10
    src.write_bytes(data)
    put = fae("doc", "put", "--home", node.home, "--as", "supplier1", "--scope", SCOPE, "--subject", "P-1", str(src))
    assert put.returncode == 0, put.stderr
    digest = node.app.hash(data).hex()
    assert put.stdout == digest + "\n"
    assert node.vault.has(digest)
    record_document(digest, name="contract.pdf", media_type="application/pdf")

    out = tmp_path / "copy.pdf"
    get = fae("doc", "get", "--home", node.home, "--as", "regulator", "--scope", SCOPE, digest, "-o", str(out))
    assert get.returncode == 0, get.stderr
    assert out.read_bytes() == data and get.stdout == ""


def test_get_to_stdout(node, tmp_path):
    src = tmp_path / "note.txt"
    src.write_bytes(b"payment schedule: 12 monthly instalments\n")
    digest = fae("doc", "put", "--home", node.home, "--as", "supplier1", "--scope", SCOPE, "--subject", "P-3",
                 str(src)).stdout.strip()
    record_document(digest)
    get = fae("doc", "get", "--home", node.home, "--as", "supplier1", "--scope", SCOPE, "0x" + digest.upper())
    assert get.returncode == 0, get.stderr
    assert get.stdout == "payment schedule: 12 monthly instalments\n"


def test_refusals_and_usage_errors(node, tmp_path):
    src = tmp_path / "statement.csv"
    src.write_bytes(b"date,amount\n")
    put = fae("doc", "put", "--home", node.home, "--as", "bank", "--scope", SCOPE, "--subject", "P-1", str(src))
    assert put.returncode == 1 and "unauthorized" in put.stderr and put.stdout == ""
    assert not node.vault.has(node.app.hash(b"date,amount\n").hex())

    digest = fae("doc", "put", "--home", node.home, "--as", "supplier1", "--scope", SCOPE, "--subject", "P-1",
                 str(src)).stdout.strip()
    record_document(digest)
    out = tmp_path / "leak.csv"
    get = fae("doc", "get", "--home", node.home, "--as", "bank", "--scope", SCOPE, digest, "-o", str(out))
    assert get.returncode == 1 and "unauthorized" in get.stderr
    assert not out.exists()

    bad = fae("doc", "get", "--home", node.home, "--as", "supplier1", "--scope", SCOPE, "not-a-hash")
    assert bad.returncode == 2 and "64 hex digits" in bad.stderr
    missing = fae("doc", "put", "--home", node.home, "--as", "supplier1", "--scope", SCOPE, "--subject", "P-1",
                  os.path.join(str(tmp_path), "nope.pdf"))
    assert missing.returncode == 2 and "nope.pdf" in missing.stderr
