"""The SDK's document methods against a live node with a test scope contract: the hash
is the chain's, uploads are signed over their bytes, and a download never returns bytes
other than those its hash names."""

from __future__ import annotations

import pytest

from faechain.sdk import ApiError, Client, Identity
from tests.api.vault_support import SCOPE, record_document, vault_node


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    with vault_node(str(tmp_path_factory.mktemp("sdkvault"))) as n:
        yield n


def test_upload_and_download(node):
    supplier1 = Identity.load(node.home, "supplier1")
    data = bytes(range(256)) * 40
    with Client(node.url, identity=supplier1) as c:  # a certificate not yet on chain: sent on the 401
        digest = c.document_hash(data)
        assert digest == node.app.hash(data).hex() and c.info()["suite"] == node.app.suite.name
        assert c.upload_document(None, SCOPE, "P-1", data) == {"hash": digest, "size": len(data), "stored": True}
        assert c.upload_document(supplier1, SCOPE, "P-1", bytearray(data))["stored"] is False
        record_document(digest)
        got = c.download_document(None, SCOPE, digest)
        assert got == data and type(got) is bytes
    with pytest.raises(ValueError):
        Client(node.url).upload_document(None, SCOPE, "P-1", data)  # uploads are always signed


def test_refusals_raise_with_the_stable_code(node):
    bank = Identity.load(node.home, "bank")
    c = Client(node.url, identity=bank)
    with pytest.raises(ApiError) as err:
        c.upload_document(None, SCOPE, "P-1", b"not the bank's to file")
    assert (err.value.code, err.value.status) == ("unauthorized", 403)
    with pytest.raises(ApiError) as err:
        c.download_document(None, "nosuch", "ab" * 32)
    assert (err.value.code, err.value.status) == ("unknown_scope", 404)
    with pytest.raises(ApiError) as err:
        Client(node.url).download_document(None, SCOPE, "ab" * 32)  # unsigned, on a node that wants signatures
    assert err.value.code == "unauthenticated"


def test_bytes_other_than_the_hash_names_are_never_returned(node, monkeypatch):
    supplier1 = Identity.load(node.home, "supplier1")
    data = b"the signed loan agreement"
    c = Client(node.url, identity=supplier1)
    digest = c.upload_document(None, SCOPE, "P-1", data)["hash"]
    record_document(digest)
    assert c.download_document(None, SCOPE, digest) == data
    # a node that (through a bug or on purpose) skips its own check and sends other bytes
    monkeypatch.setattr(node.vault, "get", lambda hash_hex: b"the forged loan agreement")
    with pytest.raises(ApiError) as err:
        c.download_document(None, SCOPE, digest)
    assert err.value.code == "hash_mismatch" and digest in err.value.message
