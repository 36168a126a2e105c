"""Typed rejections with stable codes.

A contract rejects a transaction by raising one of these; the runtime rolls back
everything the transaction wrote and records the code and message in its receipt.
Codes are part of the public API: clients branch on them, so they never change.
"""

from __future__ import annotations


class ContractError(Exception):
    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(ContractError):
    code = "bad_request"


class Unauthorized(ContractError):
    code = "unauthorized"


class NotFound(ContractError):
    code = "not_found"


class InvalidState(ContractError):
    code = "invalid_state"


class LimitExceeded(ContractError):
    code = "limit_exceeded"


class Duplicate(ContractError):
    code = "duplicate"


class BadCertificate(ContractError):
    """A certificate handed to a contract (an organisation's CA) is not of the chain's suite."""

    code = "bad_certificate"


class Frozen(ContractError):
    code = "frozen"


class Expired(ContractError):
    code = "expired"


def ensure(condition: object, error: ContractError) -> None:
    """Raise `error` unless `condition` holds (the execution-specs idiom)."""
    if not condition:
        raise error


# Envelope- and runtime-level codes (raised before a contract runs).
ENVELOPE_CODES = {
    "bad_encoding": "the bytes are not a canonical faechain transaction",
    "too_large": "the transaction exceeds the size limit",
    "wrong_chain": "the transaction names another chain",
    "bad_signature": "the signature does not verify against the signer's certificate",
    "unknown_signer": "the signer's certificate is not known and none was attached",
    "bad_certificate": "the attached certificate is malformed or not issued by a member CA",
    "revoked": "the signer's certificate has been revoked",
    "not_member": "the signer's organisation is not a consortium member",
    "replay": "this transaction has already been executed",
    "tx_expired": "the transaction's expiry has passed or lies too far ahead",
    "unknown_contract": "no contract of that name",
    "unknown_method": "the contract has no such transaction method",
    "bad_request": "the arguments do not match the method",
    "mempool_full": "the node is shedding load; retry later",
}

