"""The node's side of an erasure (faechain/node/erasure.py): what a committed block's approval deletes from
this node's vault, and what it does not — an event the committed state does not back, another contract's,
a refused transaction's."""

from __future__ import annotations

import hashlib

import pytest

from faechain.chain.results import BlockResult, Receipt
from faechain.contracts.personal import ERASED_EVENT
from faechain.ledger.vault import Vault, VaultError
from faechain.node.erasure import VaultErasure, erased_documents


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class State:
    """The two reads the eraser makes of a store: a value, and a prefix scan."""

    def __init__(self, values: dict[bytes, bytes]):
        self.values = values

    def get_value(self, key: bytes, height=None):
        return self.values.get(key)

    def scan_prefix(self, prefix: bytes, height=None, limit: int = 1000):
        return sorted((k, v) for k, v in self.values.items() if k.startswith(prefix))


def doc(vault: Vault, text: str) -> str:
    data = text.encode()
    h = sha256(data).hex()
    vault.put(h, data)
    return h


def block(*receipts: Receipt, end_events=()) -> BlockResult:
    return BlockResult(7, 0, b"", b"", list(receipts), None, list(end_events))  # type: ignore[arg-type]


def erased_event(contract: str, person: str) -> dict:
    return {"contract": contract, "type": ERASED_EVENT, "attrs": {"person": person}}


def test_only_an_erasure_the_committed_state_records_deletes(tmp_path):
    vault = Vault(str(tmp_path / "vault"), sha256)
    recorded, unrecorded, other_contract, refused = (doc(vault, t) for t in ("a", "b", "c", "d"))
    state = State({f"npa/erased/{recorded}".encode(): b"\x01", f"npa/erased/{refused}".encode(): b"\x01",
                   f"other/erased/{other_contract}".encode(): b"\x01"})
    eraser = VaultErasure(state, vault, ["npa", "membership"])  # type: ignore[arg-type]
    eraser.on_commit(block(
        Receipt(b"1", 7, 0, "ok", events=[erased_event("npa", recorded), erased_event("npa", unrecorded),
                                          erased_event("other", other_contract)]),
        Receipt(b"2", 7, 1, "unauthorized", events=[erased_event("npa", refused)]),
    ))
    assert eraser.deleted == [recorded]
    assert not vault.has(recorded) and vault.has(unrecorded) and vault.has(other_contract) and vault.has(refused)
    # what the block missed (the refused receipt's person is recorded by another block): the start's sweep
    assert eraser.sweep() == [refused] and not vault.has(refused)
    assert eraser.sweep() == []


def test_the_sweep_reads_every_contracts_markers(tmp_path):
    vault = Vault(str(tmp_path / "vault"), sha256)
    a, b = doc(vault, "borrower"), doc(vault, "investor")
    state = State({f"npa/erased/{a}".encode(): b"\x01", f"membership/erased/{b}".encode(): b"\x01",
                   b"npa/erased/not-a-hash": b"\x01", f"npa/person/{a}".encode(): b"\x01"})
    assert erased_documents(state, ["npa", "membership"]) == sorted([a, b])  # type: ignore[arg-type]
    eraser = VaultErasure(state, vault, ["membership", "npa"])  # type: ignore[arg-type]
    assert sorted(eraser.sweep()) == sorted([a, b]) and not vault.has(a) and not vault.has(b)


def test_a_vault_never_keeps_a_document_the_chain_erased(tmp_path):
    """A copy that arrives after the approval (a vault peer that has not committed it yet) is refused."""
    data = b"erased already"
    h = sha256(data).hex()
    state = State({f"npa/erased/{h}".encode(): b"\x01"})
    eraser = VaultErasure(state, Vault(str(tmp_path / "v0"), sha256), ["npa"])  # type: ignore[arg-type]
    vault = Vault(str(tmp_path / "vault"), sha256, erased=eraser.is_erased)
    with pytest.raises(VaultError) as e:
        vault.put(h, data)
    assert e.value.code == "invalid_state" and not vault.has(h)
    other = b"not erased"
    assert vault.put(sha256(other).hex(), other)
