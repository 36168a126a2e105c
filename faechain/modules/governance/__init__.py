"""Consortium governance: proposals voted by member organisations, executed at two thirds (domain.md section 5)."""

from faechain.modules.governance.contract import Governance

__all__ = ["Governance"]
