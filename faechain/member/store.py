"""`MemberStore`: a member node's ledger, which says when it does not hold what a query reads.

A member node holds the values its organisation may read. A contract query run on it may
read a key the node does not hold: one never written, one deleted, or one its organisation
may not read (a freeze record behind a voucher's `frozen` flag, say). Answering "absent"
would be a guess. So a read of such a key at a committed height is asked of a validator,
signed as the organisation (`GET /v1/state?prove=true`), and believed only with a Merkle
proof against this node's own header at that height (itself checked against signed headers
when it was kept):

    proven absent      the key holds nothing: the query goes on with None
    refused (404)      the organisation may not read it: `not_available_here` — the query's
                       answer would rest on a record this node cannot hold

It keeps no Merkle tree past genesis: a proof (`prove=true` reads, proven queries) is asked of a
validator too and checked against the value and signed app hash the node holds
(`MemberEngine.proof_of`); should anything still reach for the tree, the answer is
`not_available_here`, never damage to halt on.

Answers are remembered per (key, height). Reads without a height (the node's own
bookkeeping while it keeps a block) are never asked elsewhere.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from faechain.chain.results import Rejected
from faechain.core.block import Header
from faechain.ledger.smt import ProofError, verify_proof
from faechain.ledger.storage import Store

ASKED_MAX = 100_000  # (key, height) answers remembered

# (key, height) -> the validator's /v1/state answer with its proof; None when it refused (404)
Asker = Callable[[bytes, int], dict | None]


class MemberStore(Store):
    """A member node's `Store` (see the module docstring); `ask` is set once the engine exists."""

    ask: Asker | None = None
    hasher: Callable[[bytes], bytes] | None = None

    def __init__(self, path: str, *, synchronous: str = "FULL"):
        super().__init__(path, synchronous=synchronous)
        self._asked: OrderedDict[tuple[bytes, int], bytes | None] = OrderedDict()
        self._asked_lock = threading.Lock()

    def get_value(self, key: bytes, height: int | None = None) -> bytes | None:
        if height is None or self.ask is None:
            return super().get_value(key, height)
        row = self.read.execute(
            "SELECT value FROM kv WHERE key=? AND height<=? ORDER BY height DESC LIMIT 1", (key, height)).fetchone()
        if row is not None and row[0] is not None:
            return row[0]  # held: proven when its block was kept
        return self._asked_value(key, height)

    def history(self, key: bytes) -> list[tuple[int, bytes | None]]:
        """The versions of `key` this node saw written; `not_available_here` when it holds a
        version it was sent as made readable (or hidden) rather than written: its history here
        would not be the key's (a query asking for it is relayed to a validator)."""
        if self.was_revealed(key):
            raise Rejected("not_available_here", f"this member node does not hold every version of "
                           f"{key.decode('utf-8', 'replace')}: it was made readable to its organisation later")
        return super().history(key)

    def get_node(self, node_hash: bytes) -> bytes | None:
        """A member node keeps no Merkle tree past genesis (its values were proven as they came):
        a proof it would have to build itself is not available here — never damage to halt on."""
        enc = super().get_node(node_hash)
        if enc is None:
            raise Rejected("not_available_here", "a member node builds no Merkle proofs of its own: ask a validator "
                           "for this proof (GET /v1/state?prove=true), checked against your own light client")
        return enc

    def _asked_value(self, key: bytes, height: int) -> bytes | None:
        with self._asked_lock:
            if (key, height) in self._asked:
                self._asked.move_to_end((key, height))
                return self._asked[(key, height)]
        assert self.ask is not None and self.hasher is not None
        answer = self.ask(key, height)
        name = key.decode("utf-8", "replace")
        if answer is None:
            raise Rejected("not_available_here", f"this member node does not hold {name} at block {height}, which "
                           "the answer rests on, and its organisation may not read it: ask the regulator or the "
                           "exchange")
        block = self.block(height)
        if block is None:
            raise Rejected("not_available_here", f"this member node has not kept block {height} yet")
        app_hash = Header.decode(block[1]).app_hash
        value = bytes.fromhex(answer["value"]) if answer.get("value") else None
        proof = answer.get("proof") or {}
        try:
            ok = verify_proof(self.hasher, app_hash, key, value, {
                "siblings": [bytes.fromhex(s) for s in proof.get("siblings", [])],
                "leaf": [bytes.fromhex(x) for x in proof["leaf"]] if proof.get("leaf") else None})
        except (ProofError, ValueError, TypeError):
            ok = False
        if not ok:
            raise Rejected("not_available_here", f"the validator's value of {name} at block {height} is not proven "
                           "against this node's signed header; not answered")
        with self._asked_lock:
            self._asked[(key, height)] = value
            while len(self._asked) > ASKED_MAX:
                self._asked.popitem(last=False)
        return value
