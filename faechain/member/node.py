"""`MemberNode`: a node process whose engine follows the validators (faechain.member.engine).

It is `faechain.node.Node` with two parts swapped: the ledger is opened without the full
node's Merkle checks (a member holds no tree: each value was proven against a signed header
when it arrived), and the engine is a `MemberEngine`. Documents its organisation may read
are fetched from the validators' vaults, as the reader, when first asked for.
"""

from __future__ import annotations

import os

from faechain.chain.application import Application
from faechain.chain.engine import Engine
from faechain.identity.wallet import Identity
from faechain.ledger.storage import Store
from faechain.member.engine import MemberEngine
from faechain.member.store import MemberStore
from faechain.node.node import Node
from faechain.sdk.client import ApiError


class MemberNode(Node):
    """A member node: `MemberNode(home).run()` follows the validators and serves until interrupted."""

    def open_ledger(self) -> tuple[Store, Application]:
        if self.config.engine != "member":
            raise ValueError(f"{self.home} is configured as a {self.config.engine} node, not a member node")
        self.member_org = self.config.member["org"]
        if not self.config.vault_peers:
            self.config.vault_peers = list(self.config.member["validators"])
        store = MemberStore(self.paths["db"], synchronous=self.config.synchronous)
        try:
            app = Application(store, self.genesis)
            app.own_view_of = self.member_org
            return store, app
        except BaseException:
            store.close()
            raise

    def make_member_engine(self) -> Engine:
        identity = Identity.load(self.home, self.config.member["identity"])
        if identity.org_id != self.member_org:
            raise ValueError(f"identity {self.config.member['identity']!r} belongs to {identity.org_id}, not to "
                             f"{self.member_org}, whose member node this is")
        engine = MemberEngine(self.app, self.genesis, identity, self.config.member["validators"],
                              light_store=os.path.join(self.home, "data", "light.json"),
                              checkpoint=self.config.member.get("checkpoint"))
        if isinstance(self.store, MemberStore):  # reads of what it does not hold are asked of a validator
            self.store.hasher = self.app.hash
            self.store.ask = engine.ask_state
        self.app.queries.remote_proof = engine.proof_of  # proofs: it keeps no tree past genesis
        return engine


    def relay_read(self, method: str, path: str, headers: dict[str, str],
                   body: bytes) -> tuple[int, bytes, str, str] | None:
        """Pass a read on to a validator as the reader signed it (the validators in order, the
        one in use first): a query whose answer rests on records this node does not hold (a
        listing filtered by records of others, a flag derived from a record it may not read)
        gets the validator's answer to the same reader, which this node does not keep."""
        engine = self.engine
        if not isinstance(engine, MemberEngine):
            return None
        for client in engine.upstream.in_order():
            try:
                status, data, ctype = client.forward(method, path, body, headers)
            except ApiError:
                continue
            if status < 500:
                return status, data, ctype, client.url
        return None


def node_for(home: str) -> Node:
    """The node a home directory configures: a member node or a full one."""
    from faechain.node.config import NodeConfig

    config = NodeConfig.load(home)
    return MemberNode(home, config) if config.engine == "member" else Node(home, config)
