"""UNVERIFIED, for development only: a `HeaderTrust` that believes the node it reads from.

`ServingNodeHeaders(client)` hands out the headers that `client`'s own node serves at
`/v1/blocks/{h}`. Nothing about them is checked: a node that forges a value, its proof,
the app hash and the header together passes. It exists so that tools can run the verified
code paths on a dev chain before a light client (`faechain.sdk.light`) is configured, and
every header it gives says so in its `basis`. Never use it to decide anything.
"""

from __future__ import annotations

from typing import Any, Protocol

from faechain.sdk.trust import TrustedHeader

BASIS = "UNVERIFIED: the serving node's own header, no validator signature checked (development only)"


class BlockSource(Protocol):
    def block(self, height: int | str = "latest") -> dict: ...


class ServingNodeHeaders:
    """See the module doc: believes `client.block(h)`."""

    def __init__(self, client: BlockSource) -> None:
        self.client = client

    @staticmethod
    def _header(doc: dict[str, Any]) -> TrustedHeader:
        h = doc["header"]
        return TrustedHeader(height=doc["height"], block_hash=bytes.fromhex(doc["hash"]),
                             app_hash=bytes.fromhex(h["app_hash"]), time_ms=h["time"], basis=BASIS)

    def trusted(self, height: int) -> TrustedHeader:
        return self._header(self.client.block(height))

    def latest(self) -> TrustedHeader:
        return self._header(self.client.block("latest"))
