"""Supervision: the regulator's freeze registry, risk rules and alerts (domain.md section 5)."""

from faechain.modules.supervision.contract import Supervision

__all__ = ["Supervision"]
