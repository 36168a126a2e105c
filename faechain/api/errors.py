"""The API's errors: one JSON shape, stable codes, and the HTTP status of each code."""

from __future__ import annotations

from typing import Any

from faechain.contracts import errors as contract_errors
from faechain.core.errors import ENVELOPE_CODES, FaeError

# Codes the HTTP layer itself produces.
API_CODES = {
    "bad_request": "the request is malformed (bad JSON, bad parameter, wrong argument types)",
    "unauthenticated": "a signed read is required and none, or a bad one, was given",
    "forbidden": "the node refuses this action (e.g. advancing the clock of a non-dev chain)",
    "not_found": "no such route, block, transaction or record",
    "method_not_allowed": "the route exists but not with this HTTP method",
    "too_large": "the request body exceeds the node's limit (or the transaction the chain's)",
    "unknown_scope": "no contract of that name answers the document vault's queries",
    "hash_mismatch": "the document's bytes do not hash to the hash they were sent or asked for under",
    "not_in_vault": "the document is not stored in this node's vault",
    "vault_damaged": "the node's stored copy of the document is damaged; it must be restored",
    "storage_damaged": "the node's ledger storage is damaged: it answers nothing from it and stops taking "
                       "transactions until it is recovered (see docs/integrity.md)",
    "timeout": "the node gave up waiting (e.g. for a block)",
    "request_timeout": "the client did not send its request body in time (NodeConfig.body_timeout)",
    "busy": "the node has too many requests or event streams in flight; retry after a moment",
    "too_slow": "an event-stream subscriber fell too far behind and was dropped",
    "unavailable": "the node is shutting down",
    "not_available_here": "a member node holds only its organisation's view: what it cannot answer from it "
                          "(another organisation's reader, a record it does not hold) is not guessed",
    "internal": "an unexpected error inside the node",
}


def _contract_codes() -> dict[str, str]:
    out = {}
    for obj in vars(contract_errors).values():
        if isinstance(obj, type) and issubclass(obj, contract_errors.ContractError) and obj.code != "error":
            out[obj.code] = (obj.__doc__ or obj.__name__).strip().splitlines()[0]
    return out


def stable_codes() -> dict[str, str]:
    """Every code a client may see in an error or a receipt, with a short description."""
    codes = dict(_contract_codes())
    codes.update(ENVELOPE_CODES)
    for k, v in API_CODES.items():
        codes.setdefault(k, v)
    codes["ok"] = "success (receipts only)"
    return dict(sorted(codes.items()))


STATUS = {
    "bad_request": 400,
    "bad_encoding": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "unauthorized": 403,
    "not_found": 404,
    "unknown_contract": 404,
    "unknown_method": 404,
    "unknown_scope": 404,
    "not_in_vault": 404,
    "method_not_allowed": 405,
    "replay": 409,
    "duplicate": 409,
    "invalid_state": 409,
    "frozen": 409,
    "too_large": 413,
    "mempool_full": 429,
    "busy": 429,
    "request_timeout": 408,
    "internal": 500,
    "vault_damaged": 500,
    "storage_damaged": 500,
    "unavailable": 503,
    "not_available_here": 421,
    "timeout": 504,
}


def status_for(code: str) -> int:
    return STATUS.get(code, 400)


class HttpError(FaeError):
    """Raised by a handler; rendered as `{"code", "message", **extra}` with its status.

    (The SDK's `faechain.sdk.ApiError` is what a client sees of it.)"""

    def __init__(self, code: str, message: str, status: int | None = None, **extra: Any) -> None:
        super().__init__(message, code)
        self.status = status if status is not None else status_for(code)
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.extra}
