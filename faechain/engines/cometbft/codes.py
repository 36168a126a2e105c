"""faechain's stable string codes as ABCI's numeric codes (codespace "faechain").

ABCI carries a result as (code: uint32, codespace, log). Code 0 is success;
CometBFT puts only the code (and `data`) of each transaction into the block's
LastResultsHash, so the mapping is part of consensus and must never change for
a code that exists. Known codes have fixed numbers below; a code a contract
module adds later gets a number derived from its name (CRC-32, above 1000), so
every node maps it identically without coordination. `info` carries the string
code itself, so CometBFT's RPC shows the same code the REST API does.
"""

from __future__ import annotations

import zlib

CODESPACE = "faechain"

# Never renumber: these values are in every block's results hash.
CODE_NUMBERS: dict[str, int] = {
    "ok": 0,
    # envelope / admission (faechain.core.errors.ENVELOPE_CODES)
    "bad_encoding": 1,
    "too_large": 2,
    "wrong_chain": 3,
    "bad_signature": 4,
    "unknown_signer": 5,
    "bad_certificate": 6,
    "revoked": 7,
    "not_member": 8,
    "replay": 9,
    "tx_expired": 10,
    "unknown_contract": 11,
    "unknown_method": 12,
    "bad_request": 13,
    "mempool_full": 14,
    # contract errors (faechain.contracts.errors)
    "error": 20,
    "unauthorized": 21,
    "not_found": 22,
    "invalid_state": 23,
    "limit_exceeded": 24,
    "duplicate": 25,
    "frozen": 26,
    "expired": 27,
    "bad_ca_certificate": 28,
    # runtime
    "internal_error": 30,
    "unavailable": 31,
}
CODE_NAMES = {n: c for c, n in CODE_NUMBERS.items()}
DERIVED_BASE = 1000


def code_number(code: str) -> int:
    """The ABCI code of a faechain code (deterministic for codes not in the table)."""
    n = CODE_NUMBERS.get(code)
    if n is not None:
        return n
    return DERIVED_BASE + zlib.crc32(code.encode()) % 1_000_000_000


def code_name(number: int, info: str = "") -> str:
    """Back from an ABCI result: the table's name, else `info` (where faechain puts the code)."""
    return CODE_NAMES.get(number) or info or f"abci_{number}"
