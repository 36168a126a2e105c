"""The vault's one deletion, an erasure approved on chain (faechain/ledger/vault.py), and how `scan` counts
erased documents: not missing when gone, lingering while a copy is still on disk."""

from __future__ import annotations

import hashlib
import os

from faechain.ledger.vault import Vault, scan


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_erase_deletes_the_copy_once(tmp_path):
    v = Vault(str(tmp_path / "vault"), sha256)
    data = b"a personal data document"
    h = sha256(data).hex()
    assert v.put(h, data)
    assert v.erase(h) is True and not v.has(h) and not os.path.exists(v.path(h))
    assert v.erase(h) is False  # nothing left to delete: idempotent


def test_scan_counts_erased_documents_as_erased_not_missing(tmp_path):
    root = str(tmp_path / "vault")
    v = Vault(root, sha256)
    kept, erased, lingering, absent = (b"kept", b"erased", b"lingering", b"absent")
    for data in (kept, erased, lingering):
        v.put(sha256(data).hex(), data)
    v.erase(sha256(erased).hex())
    h = {d: sha256(d).hex() for d in (kept, erased, lingering, absent)}
    out = scan(root, sha256, registered=list(h.values()), erased=[h[erased], h[lingering]])
    assert out.ok and out.checked == 2
    assert out.missing == [h[absent]]
    assert out.erased == [h[erased]] and out.lingering == [h[lingering]]
