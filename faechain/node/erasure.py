"""Erasing personal data documents from this node's vault when the chain says so.

The regulator's `approve_erasure` (faechain/contracts/personal.py) is a transaction: it
records the erasure in state (`<contract>/erased/<commitment>`) and emits
`PersonalDataErased`. Deleting the file is not something a contract can do — the vault is
each node's own disk, outside the state machine — so every node does it itself, from the
committed chain and nothing else:

- on commit: the node's `Application.listeners` hook sees the block's events, and for each
  `PersonalDataErased` whose marker is in the committed state, deletes its vault copy. A
  node that replays blocks (catching up, CometBFT's handshake) commits them the same way,
  so it deletes as it goes;
- at start: `sweep` reads every contract's `erased/` markers and deletes any copy still
  on disk — a node that was down, or stopped between committing the block and deleting
  the file, acts on the approval when it comes back.

Both paths are idempotent (deleting an absent file is nothing), and neither changes the
chain: the commitment stays, so every block, root and proof verifies as before, and
`fae verify` counts such a document as erased, not missing (`erased_documents`). While
a node lags behind the approval it may still serve its copy to a reader the contract
allows; it stops at the height where it commits the approval.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from faechain.chain.results import BlockResult
from faechain.contracts.personal import ERASED_EVENT, ERASED_PREFIX, erased_key
from faechain.ledger.store import ChainStore
from faechain.ledger.vault import HASH_HEX, Vault

log = logging.getLogger("faechain.node.erasure")


def erased_documents(store: ChainStore, contracts: Iterable[str]) -> list[str]:
    """The hashes of every personal data document whose erasure is recorded in the committed state
    of `contracts` (their `erased/<hash>` markers), sorted."""
    out: set[str] = set()
    for name in sorted(contracts):
        prefix = f"{name}/{ERASED_PREFIX}".encode()
        for key, _ in store.scan_prefix(prefix, None, -1):
            suffix = key[len(prefix):].decode(errors="replace")
            if HASH_HEX.fullmatch(suffix):
                out.add(suffix)
    return sorted(out)


class VaultErasure:
    """Keeps one node's vault in step with the erasures recorded on its chain."""

    def __init__(self, store: ChainStore, vault: Vault, contracts: Iterable[str]):
        self.store = store
        self.vault = vault
        self.contracts = sorted(contracts)
        self.deleted: list[str] = []  # every document this process deleted, in order (for operators, tests)

    def is_erased(self, doc_hash: str) -> bool:
        """Does the committed state record the erasure of `doc_hash` (in any contract)? The vault's
        `erased` check: a copy fetched from a peer that has not yet committed the approval is not kept."""
        return any(self.store.get_value(f"{name}/{erased_key(doc_hash)}".encode()) is not None
                   for name in self.contracts)

    def sweep(self) -> list[str]:
        """Delete every copy of a document erased on chain that is still here; the hashes deleted."""
        done = [h for h in erased_documents(self.store, self.contracts) if self._erase(h, "at start")]
        return done

    def on_commit(self, result: BlockResult) -> None:
        """An `Application.listeners` hook: delete what this block's approvals erased."""
        events = [e for r in result.receipts if r.ok for e in r.events] + list(result.end_events)
        for e in events:
            if e.get("type") != ERASED_EVENT or e.get("contract") not in self.contracts:
                continue
            person = (e.get("attrs") or {}).get("person")
            if not isinstance(person, str) or not HASH_HEX.fullmatch(person):
                continue
            # only what the committed state records: an event alone deletes nothing
            if self.store.get_value(f"{e['contract']}/{erased_key(person)}".encode()) is None:
                log.error("block %d emitted %s for %s without recording it; nothing deleted",
                          result.height, ERASED_EVENT, person)
                continue
            self._erase(person, f"at height {result.height}")

    def _erase(self, doc_hash: str, when: str) -> bool:
        try:
            deleted = self.vault.erase(doc_hash)
        except OSError as exc:  # the next start's sweep tries again
            log.error("could not erase personal data document %s from %s: %s", doc_hash, self.vault.root, exc)
            return False
        if deleted:
            self.deleted.append(doc_hash)
            log.info("erased personal data document %s from the vault (%s)", doc_hash, when)
        return deleted
