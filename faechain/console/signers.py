"""Who signed a transaction, in words: the explorer's lists show each transaction's signer as its
organisation's name and code and the identity's name, not as a certificate hash.

A transaction's `signer` is the hash of its certificate. The chain registers the certificate
at the signer's first successful transaction (`membership/cert/<hex>`: name, org_id), and the
organisation under `membership/org/<id>`; both are read at the transaction's height. These are
membership records, every member's to read (docs/confidentiality.md); they are added only to
transactions the reader is shown in full, which already carry the signer's hash. A certificate
not registered (its first transaction was refused) keeps just the hash.
"""

from __future__ import annotations

from typing import Any

from faechain.core.encoding import decode_trusted
from faechain.modules.membership.records import cert_state_key, org_state_key


class SignerNames:
    """Certificate -> (identity name, organisation code, organisation name), remembered for one answer."""

    def __init__(self, store: Any):
        self.store = store
        self._certs: dict[tuple[str, int], dict[str, Any] | None] = {}
        self._orgs: dict[tuple[str, int], str | None] = {}

    def of(self, signer_hex: str, height: int) -> dict[str, Any]:
        if (signer_hex, height) not in self._certs:
            try:
                raw = self.store.get_value(cert_state_key(bytes.fromhex(signer_hex)), height)
            except ValueError:
                raw = None
            self._certs[(signer_hex, height)] = decode_trusted(raw) if raw is not None else None
        cert = self._certs[(signer_hex, height)]
        if not isinstance(cert, dict) or not isinstance(cert.get("org_id"), str):
            return {}
        org_id = cert["org_id"]
        if (org_id, height) not in self._orgs:
            raw = self.store.get_value(org_state_key(org_id), height)
            org = decode_trusted(raw) if raw is not None else None
            self._orgs[(org_id, height)] = org.get("name") if isinstance(org, dict) else None
        return {"signer_name": cert.get("name"), "signer_org": org_id, "signer_org_name": self._orgs[(org_id, height)]}


def signer_names(node: Any, txs: list[dict[str, Any]], height: int | None = None) -> list[dict[str, Any]]:
    """Add `signer_name`, `signer_org` and `signer_org_name` to each transaction shown in full (one
    with a `signer`), at `height` or its own `height`. Returns `txs`."""
    names = SignerNames(node.store)
    for tx in txs:
        at = height if height is not None else tx.get("height")
        if isinstance(tx.get("signer"), str) and isinstance(at, int):
            tx.update(names.of(tx["signer"], at))
    return txs


def named(node: Any, block: dict[str, Any] | None) -> dict[str, Any] | None:
    """A block document (`Api.block_doc`) with its transactions' signers named (None stays None)."""
    if block is not None:
        signer_names(node, block["txs"], block["height"])
    return block
