"""A test-only scope contract for the document vault, and a demo node that has it.

The vault asks a scope contract two queries (see `faechain.api.vault`). `vaulttest`
answers them like a business contract would, with a module-level table standing in
for the document records a contract transaction would write on chain:

    vault_upload(subject, hash)   only supplier1, only for subjects "P-..." (else not_found)
    vault_document(hash)          supplier1 and the regulator; the record from DOCS, or not_found

Import it as `tests.api.vault_support` everywhere, so that every test module shares
the one `DOCS` table the node's contract reads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from faechain.contracts.errors import NotFound, Unauthorized, ensure
from faechain.contracts.runtime import REGISTRY, Contract, QueryCtx, query, register
from faechain.devnet.demo import create_demo, demo_org_id
from faechain.node.node import Node
from faechain.node.testing import NodeThread, free_port

SCOPE = "vaulttest"
SUPPLIER1_ORG = demo_org_id(5)  # supplier1 is the 5th demo member
DOCS: dict[str, dict] = {}  # hash hex -> the document's "on-chain" record


def record_document(hash_hex: str, **fields) -> dict:
    """Make `vault_document` know this document (what a contract transaction would record)."""
    DOCS[hash_hex] = {"hash": hash_hex, "kind": "contract", "subject": "P-1", **fields}
    return DOCS[hash_hex]


class VaultTest(Contract):
    name = SCOPE

    @query
    def vault_upload(self, q: QueryCtx, subject: str, hash: str) -> dict:
        ensure(q.caller is not None and q.caller.org_id == SUPPLIER1_ORG,
               Unauthorized("only supplier1 stores documents here"))
        ensure(subject.startswith("P-"), NotFound(f"no subject {subject!r}"))
        return {"subject": subject, "hash": hash}

    @query
    def vault_document(self, q: QueryCtx, hash: str) -> dict:
        ensure(q.caller is not None and (q.caller.org_id == SUPPLIER1_ORG or q.caller.role == "REGULATOR"),
               Unauthorized("only supplier1 and the regulator read these documents"))
        record = DOCS.get(hash)
        ensure(record is not None, NotFound(f"no document {hash}"))
        return record


@contextlib.contextmanager
def vault_node(home: str, **overrides) -> Iterator[Node]:
    """A demo node serving in-process with `vaulttest` among its contracts (signed reads
    required unless overridden); the contract is unregistered afterwards."""
    register(VaultTest)
    try:
        create_demo(home, free_port())
        nt = NodeThread(home, **{"anonymous_reads": False, **overrides})
        nt.start()
        try:
            yield nt.node
        finally:
            nt.stop()
    finally:
        REGISTRY.pop(SCOPE, None)
