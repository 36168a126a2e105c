"""The document vault: off-chain bytes beside the chain, addressed by their hash.

Documents (contracts, invoice scans, bank statements, reports) are too large and too
confidential for the ledger. The chain records only their hash, in a contract
transaction; the bytes live here, on the node's disk, at

    <home>/vault/<first two hex digits>/<hash hex>

where the hash is the chain suite's hash function (the one that hashes blocks), so a
document hash recorded on chain is checked with the same algorithm every node uses.

Who may store or fetch a document is not decided here: the vault only keeps bytes
honest. It refuses bytes that do not hash to their name, never replaces a stored file
(the name *is* the content, so a second copy of the same bytes is simply not written),
and re-hashes every copy it hands out, so a file damaged on disk is reported rather
than served. A new file is written to a temporary file in the same directory, synced,
and then hard-linked to its name, which fails rather than replaces if the name exists;
the directory is synced afterwards so the name survives a crash.

One thing removes a file: an erasure (`erase`). A personal data document whose erasure
the regulator approved on chain is deleted from every node's vault (the node does it when
it commits that block, or at its next start: faechain/node/erasure.py); the chain keeps
the document's hash, and `scan` counts such a hash as *erased*, not missing.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from faechain.core.errors import FaeError

HASH_HEX = re.compile(r"[0-9a-f]{64}")


class VaultError(FaeError):
    """A vault refusal or fault with a stable code (the API's error code: `bad_request`,
    `hash_mismatch`, `not_in_vault`, `vault_damaged`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def check_hash_hex(hash_hex: str) -> str:
    """`hash_hex` if it is 64 lowercase hex digits; VaultError `bad_request` otherwise."""
    if not isinstance(hash_hex, str) or not HASH_HEX.fullmatch(hash_hex):
        raise VaultError("bad_request", "a document hash is 64 lowercase hex digits")
    return hash_hex


def _fsync_dir(path: str) -> None:
    """Make the directory's entries (a new file name, a new subdirectory) durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Vault:
    """Content-addressed file store: `put` verifies and keeps, `get` re-verifies."""

    def __init__(self, root_dir: str, hasher: Callable[[bytes], bytes],
                 erased: Callable[[str], bool] | None = None):
        self.root = os.path.abspath(root_dir)
        self.hasher = hasher
        # is this hash erased on chain? (the node's; faechain/node/erasure.py) such bytes are never kept
        self.erased = erased
        os.makedirs(self.root, exist_ok=True)

    def path(self, hash_hex: str) -> str:
        """Where the document with this hash is (or would be) stored."""
        check_hash_hex(hash_hex)
        return os.path.join(self.root, hash_hex[:2], hash_hex)

    def has(self, hash_hex: str) -> bool:
        return os.path.isfile(self.path(hash_hex))

    def put(self, hash_hex: str, data: bytes) -> bool:
        """Store `data` under `hash_hex`; True if newly stored, False if it was already there.

        Raises VaultError `hash_mismatch` (nothing stored) when the bytes do not hash to
        `hash_hex`, `invalid_state` when the chain records the document's erasure (`erased`),
        and `vault_damaged` when a copy already stored under that name has been damaged (it is
        left alone for the operator to restore).
        """
        check_hash_hex(hash_hex)
        actual = self.hasher(data).hex()
        if actual != hash_hex:
            raise VaultError("hash_mismatch", f"the bytes hash to {actual}, not to {hash_hex}: nothing stored")
        if self.erased is not None and self.erased(hash_hex):  # e.g. fetched from a peer that lags behind
            raise VaultError("invalid_state", f"document {hash_hex} was erased on chain: nothing stored")
        final = self.path(hash_hex)
        if os.path.exists(final):
            self.get(hash_hex)  # raises vault_damaged if the stored copy went bad
            return False
        folder = os.path.dirname(final)
        if not os.path.isdir(folder):
            os.makedirs(folder, exist_ok=True)
            _fsync_dir(self.root)
        fd, tmp = tempfile.mkstemp(prefix=".incoming-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, final)  # never replaces: fails if the name exists
            except FileExistsError:  # the same bytes arrived concurrently
                return False
        finally:
            os.unlink(tmp)
        _fsync_dir(folder)
        return True

    def get(self, hash_hex: str) -> bytes:
        """The document's bytes, re-hashed: VaultError `not_in_vault` or `vault_damaged`."""
        try:
            with open(self.path(hash_hex), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise VaultError("not_in_vault", f"document {hash_hex} is not in this node's vault") from None
        if self.hasher(data).hex() != hash_hex:
            raise VaultError("vault_damaged",
                             f"the stored copy of document {hash_hex} is damaged (its bytes no longer hash "
                             "to its name): restore it from a peer or a backup")
        return data

    def erase(self, hash_hex: str) -> bool:
        """Delete the document stored under `hash_hex` (an erasure approved on chain); True if a
        file was deleted, False if there was none. The deletion is synced to disk before it
        returns, so an erased document does not come back after a crash."""
        path = self.path(hash_hex)
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
        _fsync_dir(os.path.dirname(path))
        return True


@dataclass
class VaultScan:
    """What `scan` found: every stored file re-hashed against its name."""

    checked: int = 0
    damaged: list[str] = field(default_factory=list)  # paths whose bytes no longer hash to their name
    missing: list[str] = field(default_factory=list)  # registered hashes with no file here
    erased: list[str] = field(default_factory=list)  # hashes erased on chain, with no file here (as they should be)
    lingering: list[str] = field(default_factory=list)  # hashes erased on chain whose file is still here
    stray: list[str] = field(default_factory=list)  # files that are not named like a document

    @property
    def ok(self) -> bool:
        return not self.damaged


def scan(root_dir: str, hasher: Callable[[bytes], bytes], registered: Iterable[str] = (),
         erased: Iterable[str] = ()) -> VaultScan:
    """Re-hash every document under `root_dir` (read-only; the directory need not exist).

    A file whose bytes no longer hash to its name (or that cannot be read) is *damaged*;
    a hash recorded on chain (`registered`) without a file is *missing*, which is not
    damage: each node holds the documents uploaded to it or fetched for its readers, and
    fetches the others from its `vault_peers` on demand. A hash whose erasure was approved
    on chain (`erased`) is never missing: without a file it is *erased*, with one it is
    *lingering* (the node deletes it at its next start). Leftover `.incoming-*` files of
    an interrupted upload and other names are *stray*."""
    out = VaultScan()
    root = os.path.abspath(root_dir)
    present: set[str] = set()
    if os.path.isdir(root):
        for folder in sorted(os.listdir(root)):
            path = os.path.join(root, folder)
            if not os.path.isdir(path):
                out.stray.append(path)
                continue
            for name in sorted(os.listdir(path)):
                file_path = os.path.join(path, name)
                if not (HASH_HEX.fullmatch(name) and name[:2] == folder) or not os.path.isfile(file_path):
                    out.stray.append(file_path)
                    continue
                out.checked += 1
                present.add(name)
                try:
                    with open(file_path, "rb") as f:
                        data = f.read()
                except OSError:
                    out.damaged.append(file_path)
                    continue
                if hasher(data).hex() != name:
                    out.damaged.append(file_path)
    gone = set(erased)
    out.missing = sorted(h for h in set(registered) - gone if h not in present)
    out.erased = sorted(h for h in gone if h not in present)
    out.lingering = sorted(h for h in gone if h in present)
    return out
