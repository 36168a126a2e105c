"""Debt financing plans: pool, filing, subscription, cash flows, disclosure (domain.md section 2)."""

from faechain.modules.plans.contract import Plans

__all__ = ["Plans"]
