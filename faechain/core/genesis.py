"""The genesis document: what every node of a chain agrees on before block 1.

    {
      "chain_id":     "fae-demo",
      "suite":        "ed25519",
      "genesis_time": 1790000000000,          # unix ms; the chain's clock starts here
      "dev":          false,                   # only a dev chain lets a node advance its clock
      "orgs":         [{"id", "name", "type", "ca" (PEM), "attributes"}],
      "validators":   [{"name", "pub_key" (base64 ed25519), "power"}],
      "block_signer": {"name", "pub_key" (base64, the chain suite's raw public key)},  # optional
      "contracts":    {"<contract>": {...config...}}
    }

The document is stored canonically in the node's database; its hash is part of
the height-0 header, so two nodes with different genesis never share a chain.

`block_signer` is the key with which a solo chain's node signs every block header
(`faechain.core.block.header_signing_bytes`), so that a member holding this document
checks headers by signature, as it checks a CometBFT network's by its validators'. It is
a field of its own rather than a one-entry `validators` list because the two are
different keys for different jobs: `validators` are CometBFT consensus keys — always
Ed25519 (CometBFT's key type), handed to CometBFT at InitChain and changed by governance
(validator updates) — while the block signer signs in the chain's own suite (SM2 on an
SM chain, like every other signature there) and is fixed for the chain's life. A CometBFT
network ignores it. A genesis without it (every home made before it existed) leaves the
field out of its canonical form entirely, so its hash, and the chain it started, do not
change; such a chain's headers are simply unsigned.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Genesis:
    chain_id: str
    suite: str = "ed25519"
    genesis_time: int = 0
    dev: bool = False
    orgs: list[dict[str, Any]] = field(default_factory=list)
    validators: list[dict[str, Any]] = field(default_factory=list)
    contracts: dict[str, Any] = field(default_factory=dict)
    block_signer: dict[str, Any] | None = None

    def _document(self) -> dict[str, Any]:
        """The fields as stored: `block_signer` only when declared (see the module docstring)."""
        doc = dict(self.__dict__)
        if doc.get("block_signer") is None:
            doc.pop("block_signer", None)
        return doc

    def block_signer_key(self) -> bytes | None:
        """The raw public key of the declared block signer (None: headers are unsigned).
        ValueError when the entry is malformed."""
        if self.block_signer is None:
            return None
        entry = self.block_signer
        if not isinstance(entry, dict) or not isinstance(entry.get("pub_key"), str):
            raise ValueError("genesis block_signer must be {\"name\", \"pub_key\" (base64)}")
        try:
            return base64.b64decode(entry["pub_key"], validate=True)
        except ValueError:
            raise ValueError("genesis block_signer pub_key is not base64") from None

    def to_json(self) -> str:
        return json.dumps(self._document(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Genesis:
        data = json.loads(text)
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    @classmethod
    def load(cls, path: str) -> Genesis:
        """Read a genesis.json (`~` expands, as in the README's `~/.faechain/demo`)."""
        with open(os.path.expanduser(path)) as f:
            return cls.from_json(f.read())

    def save(self, path: str) -> None:
        with open(path, "w") as f:
            f.write(self.to_json())

    def canonical(self) -> dict[str, Any]:
        """The genesis as a canonical-encodable map (for hashing)."""
        doc: dict[str, Any] = json.loads(json.dumps(self._document(), sort_keys=True))
        return doc
