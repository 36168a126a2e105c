"""Revenue-sharing products: rating, subscription, register, transfer and waterfall (domain.md section 4)."""

from faechain.modules.products.contract import Products

__all__ = ["Products"]
