"""The argument checks every business contract makes, defined once.

Each returns its (checked) value or raises `BadRequest` with a message a person can act
on, naming the argument (`what`) and the rule. Contracts call them at the top of a step,
before they read or write anything, so a refusal changes nothing.

    amount(value, what, minimum=1)       an integer number of fen within the wire's 64 bits
    amount_at_least(value, what, minimum)  the same, refused as "must be at least <minimum> fen"
    amount_range(value, what, minimum=1)   the same, refused as "must be <minimum> .. 2^63-1 fen"
    text(value, what, limit, empty)      a string of 1 (or 0) .. limit characters
    hash_hex(value, what)                64 lowercase hex digits (a document or invoice hash)
    one_of(value, options, what)         one of a fixed set of words
"""

from __future__ import annotations

import re

from faechain.contracts.errors import BadRequest, ensure
from faechain.contracts.money import MAX_AMOUNT

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def amount(value: int, what: str = "amount", minimum: int = 1) -> int:
    """`value` fen, at least `minimum` (1 unless said) and within the 64-bit wire limit."""
    if minimum == 1:
        ensure(value > 0, BadRequest(f"{what} must be a positive number of fen"))
    else:
        ensure(value >= minimum, BadRequest(f"{what} must be at least {minimum} fen"))
    ensure(value <= MAX_AMOUNT, BadRequest(f"{what} exceeds the 64-bit limit"))
    return value


def text(value: str, what: str, limit: int = 200, empty: bool = False) -> str:
    """A string of 1 (0 if `empty`) to `limit` characters."""
    ensure((empty or len(value) > 0) and len(value) <= limit,
           BadRequest(f"{what} must be {0 if empty else 1}-{limit} characters"))
    return value


def hash_hex(value: str, what: str) -> str:
    """64 lowercase hex digits: the hex of a SHA-256 or SM3 hash."""
    ensure(HEX64.match(value) is not None, BadRequest(f"{what} must be 64 lowercase hex characters (SHA-256)"))
    return value


def one_of(value: str, options: tuple[str, ...], what: str) -> str:
    """One of `options` (a state, a kind, a method)."""
    ensure(value in options, BadRequest(f"{what} must be one of {', '.join(options)}"))
    return value


def amount_at_least(value: int, what: str, minimum: int) -> int:
    """`value` fen, at least `minimum`, within the 64-bit wire limit.

    Like `amount`, but the refusal always names the minimum, also when it is 1
    ("principal must be at least 1 fen"): the wording npa's receipts have always had,
    kept because receipts are part of the chain's history.
    """
    ensure(value >= minimum, BadRequest(f"{what} must be at least {minimum} fen"))
    ensure(value <= MAX_AMOUNT, BadRequest(f"{what} exceeds the 64-bit limit"))
    return value


def amount_range(value: int, what: str, minimum: int = 1) -> int:
    """`value` fen, at least `minimum` (1 unless said), within the 64-bit wire limit.

    Like `amount`, but one refusal names the whole range ("reserve must be 1 .. 2^63-1 fen",
    "credit line must be 0 .. 2^63-1 fen"): the wording the auctions', products' and credit
    lines' receipts have always had, kept because receipts are part of the chain's history.
    """
    ensure(minimum <= value <= MAX_AMOUNT, BadRequest(f"{what} must be {minimum} .. 2^63-1 fen"))
    return value
