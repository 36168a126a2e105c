"""A node's home directory and its `config.json`.

    <home>/config.json    this node's settings (below)
    <home>/genesis.json   the chain's genesis document (identical on every node)
    <home>/data/chain.db  the ledger (SQLite)
    <home>/wallet/<name>/ member identities usable from this machine
    <home>/ca/<org>/      organisation CAs kept on this machine (demo only)
    <home>/vault/         off-chain documents (content-addressed)
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

DEFAULT_PORT = 8730


@dataclass
class NodeConfig:
    engine: str = "solo"
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    # Anonymous reads are possible only on a dev chain listening on loopback.
    anonymous_reads: bool = False
    block_interval: float = 0.005
    max_block_txs: int = 2000
    max_mempool: int = 50_000
    heartbeat: float = 5.0
    synchronous: str = "FULL"
    max_body_bytes: int = 1024 * 1024
    # largest document `PUT /v1/vault/{hash}` accepts (that route's body limit instead of the above)
    vault_max_bytes: int = 32 * 1024 * 1024
    # signature-verification worker processes: -1 = one per extra core, 0 = verify inline
    verify_workers: int = -1
    abci: dict = field(default_factory=dict)

    @classmethod
    def load(cls, home: str) -> "NodeConfig":
        path = os.path.join(home, "config.json")
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} not found: is {home} a faechain node home?")
        with open(path) as f:
            data = json.load(f)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def save(self, home: str) -> None:
        os.makedirs(home, exist_ok=True)
        with open(os.path.join(home, "config.json"), "w") as f:
            json.dump(asdict(self), f, indent=2)


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")


def paths(home: str) -> dict[str, str]:
    return {
        "config": os.path.join(home, "config.json"),
        "genesis": os.path.join(home, "genesis.json"),
        "db": os.path.join(home, "data", "chain.db"),
        "wallet": os.path.join(home, "wallet"),
        "ca": os.path.join(home, "ca"),
        "vault": os.path.join(home, "vault"),
    }
