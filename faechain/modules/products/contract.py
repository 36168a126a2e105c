"""The `products` contract: blockchain revenue-sharing products (domain.md section 4).

A factor packages financed vouchers it holds into a product (they are locked to
it in the receivables contract), a rating agency rates it, the exchange approves
the filing, qualified investors subscribe during the window, the registrar
establishes it and keeps the register, holders transfer by negotiation, and as
the underlying vouchers are paid the collections are distributed down the
waterfall (see `waterfall.py`) automatically credited, pro rata, to the fen.

    DRAFT -> RATED -> FILED -> OPEN -> ESTABLISHED -> OUTSTANDING -> MATURED -> CLOSED
    a window that closes with a tranche not fully subscribed: OPEN -> FAILED (every subscription refunded);
    ESTABLISHED, OUTSTANDING or MATURED -> DEFAULT (collections are still distributed) -> CLOSED

Regulatory rules enforced here: at most 200 holders; every ticket at least the
minimum; qualified investors only; no order book and no anonymous matching (a
transfer names both parties and its price, and both sign); a holding is held 5
days before it is resold; distributions never exceed collections.

Who does what:

    originator (a FACTOR)    create, add_underlying, file, declare_default
    rating agency            rate
    exchange                 approve, declare_default
    qualified investors      subscribe; propose_transfer (a holder), accept_transfer (the named buyer),
                             cancel_transfer (either party)
    registrar                establish, register_transfer, distribute, mature, declare_default, close
    settlement bank          confirm_funding
    receivables contract     voucher_paid

Where things are:

    records.py        the state keys and records (TypedDicts), the product's and transfers' states, limits
    rules.py          loading, checking and saving a product; the holder limit; releasing the underlying
    origination.py    the draft, its underlying, rating, filing and approval
    subscription.py   subscription, establishment of the register, funding
    transfers.py      negotiated transfers and their registration
    distribution.py   collections, distributions down the waterfall, maturity, default, close
    waterfall.py      the distribution waterfall as plain integer arithmetic
    reading.py        who may read each record and see each event (the queries and the raw routes ask it)
    queries.py        the queries
"""

from __future__ import annotations

from faechain.contracts.runtime import Contract, register
from faechain.modules.products.distribution import DistributionSteps
from faechain.modules.products.origination import OriginationSteps
from faechain.modules.products.queries import Queries
from faechain.modules.products.reading import ReadRules
from faechain.modules.products.subscription import SubscriptionSteps
from faechain.modules.products.transfers import TransferSteps


@register
class Products(OriginationSteps, SubscriptionSteps, TransferSteps, DistributionSteps, Queries, ReadRules, Contract):
    name = "products"
    indexes = {
        "product": ("originator", "status", "registrar", "holders"),
        "transfer": ("seller", "buyer", "status", "product"),
        "holding": ("holder",),
    }
