"""What one reader may see of the committed ledger at one height: state keys, transactions,
end-of-block events. The raw routes (`/v1/txs`, `/v1/blocks`, `/v1/state`, `/v1/events`, the
console's explorer) ask it; it asks the contracts' own rules (`Contract.can_read`,
`tx_subjects`, `event_subjects`), the same the business queries ask, so there is one
definition of "who may see this" per contract (docs/confidentiality.md).

    a state key      its contract's `can_read`, against the state at the height read
    a transaction    the regulator and the exchange; the organisation that signed it; whoever may read
                     every record it is about (`tx_subjects`), at the transaction's own height
    an end-block     whoever may read every record it is about (`event_subjects`)
    event

`None` as the reader sees everything (an open dev node's anonymous reader); `NOBODY` (an
anonymous reader of a node that is not open) sees nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from faechain.chain.results import Receipt
from faechain.chain.state import CommittedState
from faechain.contracts.runtime import Caller, Contract, Index, QueryCtx, sees_all
from faechain.core.block import Header
from faechain.core.encoding import decode_trusted
from faechain.core.tx import Tx, TxError, decode_tx
from faechain.crypto import certs
from faechain.crypto.suite import Suite
from faechain.ledger.store import ChainStore
from faechain.modules.membership.records import ca_state_key, cert_state_key


class ReadView:
    """One reader's view of the committed ledger at one height (answers cached: a block's
    transactions often name the same records)."""

    def __init__(self, store: ChainStore, contracts: Mapping[str, Contract], index: Index,
                 hasher: Callable[[bytes], bytes], caller: Caller | None, height: int, suite: Suite | None = None):
        self.store = store
        self.suite = suite
        self.contracts = contracts
        self.index = index
        self.hash = hasher
        self.caller = caller
        self.height = height
        self.all = sees_all(caller)
        self.access = CommittedState(store, height)
        block = store.block(height)
        self.time = Header.decode(block[1]).time // 1000 if block is not None else 0
        self._keys: dict[bytes, bool] = {}

    @property
    def anonymous(self) -> bool:
        """A reader that is no member (`NOBODY`): it sees no record and no transaction."""
        return self.caller is not None and not self.caller.org_id

    # -- records ---------------------------------------------------------------------------------
    def may_read(self, key: bytes) -> bool:
        """Whether the reader may read the state key `key` (`<contract>/<key>`) at this height:
        the owning contract's `can_read`. A key of no contract is the regulator's and the exchange's."""
        if self.all:
            return True
        if self.anonymous:
            return False
        if key not in self._keys:
            self._keys[key] = self._may_read(key)
        return self._keys[key]

    def _may_read(self, key: bytes) -> bool:
        try:
            text = key.decode()
        except UnicodeDecodeError:
            return False
        name, sep, rest = text.partition("/")
        contract = self.contracts.get(name)
        if contract is None or not sep:
            return False
        q = QueryCtx(name, self.caller, self.access, self.index, self.height, self.time, contracts=self.contracts)
        return bool(contract.can_read(q, rest))

    # -- transactions and events ----------------------------------------------------------------------
    def signer_org(self, tx: Tx) -> str | None:
        """The organisation of the transaction's signer: as the chain registered its certificate,
        or — a certificate whose first transaction was refused is registered nowhere — as the
        certificate it attached says, if that organisation's CA issued it."""
        raw = self.access.get_raw(cert_state_key(tx.signer))
        if raw is not None:
            org = decode_trusted(raw).get("org_id")
            return org if isinstance(org, str) else None
        if tx.cert is None or self.suite is None or self.hash(tx.cert) != tx.signer:
            return None
        try:
            claimed = certs.read_info(tx.cert).org_id
            ca = self.access.get_raw(ca_state_key(claimed))
            if ca is None:
                return None
            certs.verify_issued_by(self.suite, tx.cert, decode_trusted(ca))
        except certs.CertificateError:
            return None
        return claimed

    def sees_tx(self, tx: Tx | None, receipt: Receipt) -> bool:
        """Whether the reader sees transaction `tx` (None: undecodable bytes) in full."""
        if self.all:
            return True
        if self.anonymous or tx is None or self.caller is None:
            return False
        if self.signer_org(tx) == self.caller.org_id:
            return True
        if not receipt.ok:  # refused: it wrote nothing; it is its signer's (and the regulator's, the exchange's)
            return False
        contract = self.contracts.get(tx.contract)
        if contract is None:
            return False
        subjects = contract.tx_subjects(tx.method, tx.args, receipt.result, receipt.events)
        return bool(subjects) and all(self.may_read(s.encode()) for s in subjects)

    def sees_envelope(self, envelope: bytes, receipt: Receipt) -> bool:
        """`sees_tx` for a stored envelope."""
        try:
            tx = decode_tx(envelope, self.hash)
        except TxError:
            tx = None
        return self.sees_tx(tx, receipt)

    def sees_event(self, event: Mapping[str, Any]) -> bool:
        """Whether the reader sees an end-of-block event (`{"contract", "type", "attrs"}`)."""
        if self.all:
            return True
        if self.anonymous:
            return False
        name = event.get("contract")
        contract = self.contracts.get(name) if isinstance(name, str) else None
        attrs = event.get("attrs")
        if contract is None or not isinstance(attrs, dict):
            return False
        subjects = contract.event_subjects(str(event.get("type")), attrs)
        return bool(subjects) and all(self.may_read(f"{name}/{s}".encode()) for s in subjects)
