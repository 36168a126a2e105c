"""Typed rejections with stable codes.

A contract rejects a transaction by raising one of these; the runtime rolls back
everything the transaction wrote and records the code and message in its receipt.
Codes are part of the public API: clients branch on them, so they never change.
"""

from __future__ import annotations

from faechain.core.errors import FaeError


class ContractError(FaeError):
    """A contract's refusal: the transaction's writes are rolled back, its receipt carries the code."""

    code = "error"

    def __init__(self, message: str):
        super().__init__(message)


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
    """A certificate handed to a contract (an organisation's CA) is not of the chain's suite.

    Its code is not the envelope's `bad_certificate`: a receipt's code alone says whether
    the chain authenticated the signer (faechain.core.errors.UNAUTHENTICATED_CODES), and
    `fae verify` relies on that to know which transactions hold a replay-guard row.
    """

    code = "bad_ca_certificate"


class Frozen(ContractError):
    code = "frozen"


class Expired(ContractError):
    code = "expired"


def ensure(condition: object, error: ContractError) -> None:
    """Raise `error` unless `condition` holds (the execution-specs idiom)."""
    if not condition:
        raise error
