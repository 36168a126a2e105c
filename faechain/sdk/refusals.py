"""A refused transaction as an exception, readable in Chinese or English.

`Client.submit` returns a `Receipt` whatever the chain decided; a member's code that would
rather stop on a refusal calls `receipt.raise_for_refusal()`, which raises `TransactionRefused`:

    try:
        client.submit(alice, "receivables", "split", id=vid, amount=150_000_000_00).raise_for_refusal()
    except TransactionRefused as exc:
        exc.code            # "limit_exceeded": the stable code to branch on
        str(exc)            # "amount 1,500,000,000.00 元 exceeds the piece's ... [limit_exceeded]"
        exc.localised("zh") # "金额 15.00 亿元 超过本凭证的金额 ..."
        exc.original        # the receipt's message as the chain recorded it (fen, English)

The receipt's own `message` is never changed (it is what the chain hashed); the texts here
are made from it by `faechain.core.refusals`.
"""

from __future__ import annotations

from typing import Any

from faechain.core.errors import FaeError
from faechain.core.refusals import localise


class TransactionRefused(FaeError):
    """The chain refused a transaction: `code` (stable), `message` in English with amounts in 元,
    `original` (the receipt's message), `receipt` (the SDK's Receipt, when raised from one)."""

    def __init__(self, code: str, original: str, receipt: Any = None) -> None:
        super().__init__(localise(code, original, "en"), code)
        self.original = original
        self.receipt = receipt

    def localised(self, lang: str = "zh") -> str:
        """The refusal in `lang` ("zh" or "en"; any "zh-..." tag is Chinese), amounts in 元."""
        return localise(self.code, self.original, lang)

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]"


__all__ = ["TransactionRefused"]
