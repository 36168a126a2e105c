"""Non-performing loan packages: due diligence, listing, deal, transfer, inspection (domain.md section 3)."""

from faechain.modules.npa.contract import Npa

__all__ = ["Npa"]
