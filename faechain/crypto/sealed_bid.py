"""The commitment of a sealed bid: what a bidder publishes before the deadline.

    digest = H(canonical encoding of ["faechain/sealed-bid/1", auction, bidder, price, salt])

H is the chain suite's hash (SHA-256 or SM3). The auction id and the bidder's
organisation are inside, so a rival cannot copy someone's commit as its own, and
the salt (at least 16 random bytes, kept secret by the bidder until the reveal)
stops anyone, the organiser included, from finding the price by trying every
amount. The SDK and the contract compute it with this one function.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from faechain.core.encoding import encode

DOMAIN = "faechain/sealed-bid/1"
MIN_SALT = 16


def bid_digest(hasher: Callable[[bytes], bytes], auction: str, bidder: str, price: int, salt: bytes) -> str:
    return hasher(encode([DOMAIN, auction, bidder, price, salt])).hex()


def new_salt() -> bytes:
    return os.urandom(32)
