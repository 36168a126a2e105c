"""Business modules. Importing this package registers every module's contract."""

from faechain.modules import auctions, governance, npa, plans, products, receivables, supervision  # noqa: F401
