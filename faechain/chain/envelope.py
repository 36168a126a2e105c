"""The checks of a decoded envelope that need no state: chain, expiry window, contract, method.

Admission (`Application.check_txs`) and execution (`Executor.deliver`) both run them,
in this order, before the replay guard and the signer: the order decides the code a
transaction is refused with, so it is part of the protocol.
"""

from __future__ import annotations

from collections.abc import Mapping

from faechain.chain.results import Rejected
from faechain.contracts.runtime import Contract
from faechain.core.tx import MAX_TTL_MS, Tx


def check_envelope(tx: Tx, now_ms: int, chain_id: str, contracts: Mapping[str, Contract]) -> None:
    """Raise `Rejected` unless `tx` is for this chain, unexpired (and not expiring more than
    MAX_TTL_MS ahead) at `now_ms`, and names a transaction method of a known contract."""
    if tx.chain != chain_id:
        raise Rejected("wrong_chain", f"transaction is for chain {tx.chain!r}, this is {chain_id!r}")
    if tx.expires < now_ms:
        raise Rejected("tx_expired", "the transaction has expired")
    if tx.expires > now_ms + MAX_TTL_MS:
        raise Rejected("tx_expired", f"expiry lies more than {MAX_TTL_MS // 3600000} h ahead")
    contract = contracts.get(tx.contract)
    if contract is None:
        raise Rejected("unknown_contract", f"no contract named {tx.contract!r}")
    method = contract.methods.get(tx.method)
    if method is None or method.kind != "tx":
        raise Rejected("unknown_method", f"contract {tx.contract!r} has no transaction method {tx.method!r}")
