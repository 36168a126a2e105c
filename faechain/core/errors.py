"""One base for every coded error, and the codes a transaction can get before its contract runs.

Every layer raises its own errors (`EncodingError`, `TxError`, `CertificateError`,
`StorageDamaged`, `ContractError`, `HttpError`, ...), and each derives from `FaeError`:
an exception with a stable, machine-readable `code` and a `message` a person can act
on. Codes are part of the public API (receipts, HTTP error bodies, the CLI's exit
messages): clients branch on them, so they never change meaning.
"""

from __future__ import annotations


class FaeError(Exception):
    """An error with a stable `code` and a human `message`.

    Subclasses either fix their code as a class attribute (`code = "not_found"`) or pass
    one per instance (`FaeError("too many", code="limit_exceeded")`)."""

    code: str = "error"

    def __init__(self, message: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


# Envelope- and runtime-level codes: given before a contract runs (check_tx or the
# block's own checks), with what each means to the sender.
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

# Codes a transaction gets before its signer is authenticated (nobody proved who sent
# it, and nothing it names was touched), and those of bytes that do not even decode.
UNAUTHENTICATED_CODES = frozenset(
    {
        "bad_encoding", "too_large", "wrong_chain", "tx_expired", "unknown_contract", "unknown_method",
        "replay", "revoked", "unknown_signer", "bad_certificate", "not_member", "bad_signature",
    }
)
UNDECODABLE_CODES = frozenset({"bad_encoding", "too_large"})
