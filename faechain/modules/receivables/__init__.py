"""Receivables: multi-tier credit vouchers (domain.md section 1)."""

from faechain.modules.receivables.contract import Receivables

__all__ = ["Receivables"]
