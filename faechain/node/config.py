"""A node's home directory and its `config.json`.

    <home>/config.json    this node's settings (below)
    <home>/genesis.json   the chain's genesis document (identical on every node)
    <home>/block_signer_key.pem   a solo chain's block signer key, when genesis declares one
                          (mode 0600; see faechain.node.block_signer)
    <home>/data/chain.db  the ledger (SQLite)
    <home>/wallet/<name>/ member identities usable from this machine
    <home>/ca/<org>/      organisation CAs kept on this machine (demo only)
    <home>/vault/         off-chain documents (content-addressed)
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

DEFAULT_PORT = 8730


@dataclass
class NodeConfig:
    engine: str = "solo"
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    # Anonymous reads are possible only on a dev chain listening on loopback; an anonymous reader
    # sees what a non-member may: block hashes and heights (docs/confidentiality.md) ...
    anonymous_reads: bool = False
    # ... unless the node is open (`fae demo --open`, development only): then it sees everything
    open_reads: bool = False
    block_interval: float = 0.005
    max_block_txs: int = 2000
    max_mempool: int = 50_000
    heartbeat: float = 5.0
    synchronous: str = "FULL"
    max_body_bytes: int = 1024 * 1024
    # load shedding (faechain.api.limits): requests handled at once (event streams apart) and event
    # streams open at once, beyond which 429 busy; seconds to send a body of up to max_body_bytes
    # (408 request_timeout); seconds a connection may go without a complete request's headers
    max_inflight: int = 256
    max_event_streams: int = 256
    body_timeout: float = 30.0
    idle_timeout: float = 30.0
    # largest document `PUT /v1/vault/{hash}` accepts (that route's body limit instead of the above)
    vault_max_bytes: int = 32 * 1024 * 1024
    # other members' faechain API base URLs (http(s)://host:port): a document recorded on
    # chain but missing from this vault is fetched from them, in order, as the reader
    vault_peers: list[str] = field(default_factory=list)
    # seconds each of those peers has to deliver a document in full
    vault_peer_timeout: float = 10.0
    # signature-verification worker processes: -1 = one per extra core, 0 = verify inline
    verify_workers: int = -1
    # the web console's sign-in passphrase as a salted scrypt hash (faechain.console.passphrase;
    # set with `fae node console-passphrase`); "" = none: only a dev chain on loopback signs in without
    console_passphrase: str = ""
    abci: dict = field(default_factory=dict)
    # engine "member" (a member node, faechain.member): {"org": the organisation whose view it
    # holds, "identity": the wallet identity (<home>/wallet/<name>) it signs its reads as,
    # "validators": [the validators' API base URLs, in the order to try them], optionally
    # "checkpoint": {"height": H, "hash": CometBFT header H's hash} to start from block H's state}
    member: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.vault_peers = check_peer_urls(self.vault_peers)
        if self.engine == "member":
            m = self.member
            if not isinstance(m, dict) or not isinstance(m.get("org"), str) or not m.get("org") \
                    or not isinstance(m.get("identity"), str) or not m.get("identity"):
                raise ValueError('a member node\'s config needs "member": {"org": ..., "identity": ..., '
                                 '"validators": [...]}')
            m["validators"] = check_peer_urls(m.get("validators", []))
            if not m["validators"]:
                raise ValueError("a member node needs at least one validator URL to follow (member.validators)")
            cp = m.get("checkpoint")
            if cp is not None and not (isinstance(cp, dict) and type(cp.get("height")) is int and cp["height"] >= 0
                                       and isinstance(cp.get("hash", ""), str)):
                raise ValueError('member.checkpoint is {"height": <block>, "hash": "<CometBFT header hash, hex>"}')
        for name in ("vault_peer_timeout", "body_timeout", "idle_timeout"):
            t = getattr(self, name)
            if isinstance(t, bool) or not isinstance(t, (int, float)) or not (math.isfinite(t) and t > 0):
                raise ValueError(f"{name} must be a positive number of seconds, not {t!r}")
        for name in ("max_inflight", "max_event_streams", "max_body_bytes"):
            n = getattr(self, name)
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"{name} must be a positive integer, not {n!r}")

    @classmethod
    def load(cls, home: str) -> NodeConfig:
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


def check_peer_urls(urls: object) -> list[str]:
    """`urls` as a list of http(s) base URLs without a trailing slash; ValueError otherwise."""
    if not isinstance(urls, (list, tuple)):
        raise ValueError(f"vault_peers must be a list of URLs, not {type(urls).__name__}")
    return [_peer_url(url) for url in urls]


def _peer_url(url: object) -> str:
    bad = ValueError(f"vault_peers: {url!r} is not the http(s) base URL of a faechain node "
                     "(like http://10.0.0.2:8730)")
    if not isinstance(url, str) or url != url.strip() or "?" in url or "#" in url or "@" in url:
        raise bad
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise bad from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad
    return url.rstrip("/")


def paths(home: str) -> dict[str, str]:
    return {
        "config": os.path.join(home, "config.json"),
        "genesis": os.path.join(home, "genesis.json"),
        "block_signer": os.path.join(home, "block_signer_key.pem"),
        "db": os.path.join(home, "data", "chain.db"),
        "wallet": os.path.join(home, "wallet"),
        "ca": os.path.join(home, "ca"),
        "vault": os.path.join(home, "vault"),
    }
