"""The genesis document: what every node of a chain agrees on before block 1.

    {
      "chain_id":     "fae-demo",
      "suite":        "ed25519",
      "genesis_time": 1790000000000,          # unix ms; the chain's clock starts here
      "dev":          false,                   # only a dev chain lets a node advance its clock
      "orgs":         [{"id", "name", "type", "ca" (PEM), "attributes"}],
      "validators":   [{"name", "pub_key" (base64 ed25519), "power"}],
      "contracts":    {"<contract>": {...config...}}
    }

The document is stored canonically in the node's database; its hash is part of
the height-0 header, so two nodes with different genesis never share a chain.
"""

from __future__ import annotations

import json
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

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Genesis:
        data = json.loads(text)
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    @classmethod
    def load(cls, path: str) -> Genesis:
        with open(path) as f:
            return cls.from_json(f.read())

    def save(self, path: str) -> None:
        with open(path, "w") as f:
            f.write(self.to_json())

    def canonical(self) -> dict[str, Any]:
        """The genesis as a canonical-encodable map (for hashing)."""
        doc: dict[str, Any] = json.loads(json.dumps(self.__dict__, sort_keys=True))
        return doc
