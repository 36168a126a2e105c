"""`faechain.ledger.vault.Vault` on its own: content addressing, never overwriting, the
write path's syncs, and damage detection."""

from __future__ import annotations

import hashlib
import os

import pytest

from faechain.crypto.suite import get_suite
from faechain.ledger.vault import Vault, VaultError

HASH = get_suite("ed25519").hash


def hx(data: bytes) -> str:
    return HASH(data).hex()


@pytest.fixture
def vault(tmp_path) -> Vault:
    return Vault(str(tmp_path / "vault"), HASH)


def files(vault: Vault) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), vault.root) for d, _, fs in os.walk(vault.root) for f in fs)


def test_put_get_round_trip(vault):
    data = b"invoice 00000001"
    digest = hx(data)
    assert not vault.has(digest)
    assert vault.put(digest, data) is True
    assert vault.has(digest) and vault.get(digest) == data
    assert files(vault) == [os.path.join(digest[:2], digest)]
    assert vault.path(digest) == os.path.join(vault.root, digest[:2], digest)


def test_the_chain_suite_hashes(tmp_path):
    # whatever hash function the vault is given is the one it checks with
    sha = Vault(str(tmp_path / "sha"), lambda b: hashlib.sha256(b).digest())
    data = b"x"
    assert sha.put(hashlib.sha256(data).hexdigest(), data)
    with pytest.raises(VaultError) as err:
        sha.put(hashlib.sha3_256(data).hexdigest(), data)
    assert err.value.code == "hash_mismatch"


def test_hash_mismatch_stores_nothing(vault):
    with pytest.raises(VaultError) as err:
        vault.put(hx(b"agreed"), b"forged")
    assert err.value.code == "hash_mismatch" and "nothing stored" in err.value.message
    assert files(vault) == []


def test_same_bytes_are_never_rewritten(vault):
    data = b"board resolution"
    digest = hx(data)
    vault.put(digest, data)
    before = os.stat(vault.path(digest))
    assert vault.put(digest, data) is False
    after = os.stat(vault.path(digest))
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert files(vault) == [os.path.join(digest[:2], digest)]


def test_a_damaged_copy_is_reported_not_served_nor_replaced(vault):
    data = b"bank statement, March"
    digest = hx(data)
    vault.put(digest, data)
    with open(vault.path(digest), "wb") as f:
        f.write(b"bank statement, MARCH")
    with pytest.raises(VaultError) as err:
        vault.get(digest)
    assert err.value.code == "vault_damaged" and "restore it from a peer or a backup" in err.value.message
    with pytest.raises(VaultError) as err:
        vault.put(digest, data)  # the good bytes again: still never an overwrite
    assert err.value.code == "vault_damaged"
    with open(vault.path(digest), "rb") as f:
        assert f.read() == b"bank statement, MARCH"


def test_missing_is_not_in_vault(vault):
    with pytest.raises(VaultError) as err:
        vault.get(hx(b"nothing"))
    assert err.value.code == "not_in_vault"


@pytest.mark.parametrize("bad", ["AB" * 32, "ab" * 31, "ab" * 33, "zz" * 32, "../" + "a" * 61, "", None])
def test_hash_names_are_64_lowercase_hex(vault, bad):
    for call in (lambda: vault.put(bad, b""), lambda: vault.get(bad), lambda: vault.has(bad)):
        with pytest.raises(VaultError) as err:
            call()
        assert err.value.code == "bad_request"


def test_write_path_syncs_the_file_before_naming_it_and_the_directory_after(vault, monkeypatch):
    events: list[tuple[str, str]] = []
    real_fsync, real_link = os.fsync, os.link

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def link(src: str, dst: str) -> None:
        events.append(("link", dst))
        real_link(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "link", link)
    data = b"a document"
    digest = hx(data)
    shard = os.path.dirname(vault.path(digest))
    vault.put(digest, data)
    kinds = [(kind, os.path.basename(path) if path.startswith(shard + os.sep) else path) for kind, path in events]
    # new shard directory made durable in the root; data synced under a temporary name;
    # then the name linked (never replacing) and the shard directory synced
    assert kinds[0] == ("fsync", vault.root)
    assert kinds[1][0] == "fsync" and kinds[1][1].startswith(".incoming-")
    assert kinds[2:] == [("link", digest), ("fsync", shard)]
    assert files(vault) == [os.path.join(digest[:2], digest)]  # the temporary name is gone


def test_a_concurrent_writer_wins_without_being_overwritten(vault, monkeypatch):
    data = b"uploaded twice at once"
    digest = hx(data)
    real_link = os.link

    def link(src: str, dst: str) -> None:
        with open(dst, "wb") as f:  # the other upload names its copy first
            f.write(data)
        real_link(src, dst)

    monkeypatch.setattr(os, "link", link)
    assert vault.put(digest, data) is False
    assert files(vault) == [os.path.join(digest[:2], digest)]


def test_a_failed_write_leaves_nothing(vault, monkeypatch):
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(".incoming-"):
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    data = b"disk full"
    with pytest.raises(OSError):
        vault.put(hx(data), data)
    monkeypatch.undo()
    assert not vault.has(hx(data))
    assert [f for f in files(vault) if ".incoming-" in f] == []
