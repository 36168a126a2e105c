"""Business modules. Importing this package registers every module's contract."""

from faechain.modules import (  # noqa: F401
    auctions,
    governance,
    membership,
    npa,
    payments,
    plans,
    products,
    receivables,
    supervision,
)
