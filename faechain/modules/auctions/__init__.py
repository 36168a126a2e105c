"""The auction engine: english, sealed and dutch auctions for any listed asset (domain.md section 3)."""

from faechain.modules.auctions.contract import Auctions

__all__ = ["Auctions"]
