"""The products module's records: what it keeps in state, under which key, and the states they move through.

State (under `products/`):

    product/<id>                 terms, tranches, status, ratings, holders, collections, counters     Product
    underlying/<voucher>         which product holds a voucher, its payer and amount (kept after
                                 release)                                                             Underlying
    sub/<id>/<tranche>/<org>     a subscription during the window: the fen subscribed                 int
    holding/<id>/<tranche>/<org> the register: units (fen of principal), acquired_at                  Holding
    transfer/<tid>               a negotiated transfer: parties, units, price, signatures, registration  Transfer
    collection/<id>/<n>          the n-th collection, a paid underlying voucher (n: 5 digits, from 1)  Collection
    distribution/<id>/<n>        the n-th distribution: record date, waterfall steps, allocations
                                 (n: 4 digits, from 1)                                                Distribution

Units are fen of original principal; a holder's share of a tranche's payments is
its units over the tranche's units. Principal paid down is tracked per tranche
(`outstanding`), not per holding, so transfers never need recomputing.

The records are plain dicts in state (canonical CBOR, keys sorted); the TypedDicts below
say what each holds, and the key functions are the only place a key is spelled out.
"""

from __future__ import annotations

import re
from typing import Any, NotRequired, TypedDict

# -- limits --------------------------------------------------------------------------------------------------
HOLD_DAYS = 5  # a holding is held this long before it is resold
MAX_HOLDERS = 200  # across all tranches: a private placement
MAX_UNDERLYING = 200  # vouchers per product
MAX_TRANCHES = 3
MAX_RATINGS = 50  # the latest ratings kept on the product

# -- the product's states ------------------------------------------------------------------------------------
#   DRAFT -> RATED -> FILED -> OPEN -> ESTABLISHED -> OUTSTANDING -> MATURED -> CLOSED
#   a window that closes with a tranche not fully subscribed: OPEN -> FAILED (subscriptions refunded)
#   a default (ESTABLISHED, OUTSTANDING or MATURED): DEFAULT, whose collections are still distributed -> CLOSED
DRAFT, RATED, FILED, OPEN = "DRAFT", "RATED", "FILED", "OPEN"
ESTABLISHED, FAILED, OUTSTANDING, MATURED, DEFAULT, CLOSED = (
    "ESTABLISHED", "FAILED", "OUTSTANDING", "MATURED", "DEFAULT", "CLOSED")

# -- a transfer's states -------------------------------------------------------------------------------------
#   PROPOSED (by the seller) -> ACCEPTED (by the buyer) -> REGISTERED (by the registrar)
#   PROPOSED or ACCEPTED -> CANCELLED (by either party)
PROPOSED, ACCEPTED, REGISTERED, CANCELLED = "PROPOSED", "ACCEPTED", "REGISTERED", "CANCELLED"

# -- the words a record may hold -----------------------------------------------------------------------------
TRANCHE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
GRADES = ("AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B", "CCC", "CC",
          "C", "D")
OUTLOOKS = ("positive", "stable", "negative", "developing")


# -- products ------------------------------------------------------------------------------------------------
class Tranche(TypedDict):
    name: str
    size: int  # fen of principal offered
    coupon_bps: int
    priority: int  # 1 is paid first (senior); the product keeps its tranches in this order
    subscribed: int
    outstanding: int  # principal not yet repaid (from establishment)
    interest_owed: int  # accrued and not yet paid
    interest_paid: int
    principal_paid: int


class Rating(TypedDict):
    agency: str
    grade: str  # one of GRADES
    outlook: str  # one of OUTLOOKS
    report_hash: str
    at: int


class Approval(TypedDict):
    no: str  # the exchange's approval number
    at: int


class Funding(TypedDict):
    bank_ref: str
    at: int


class Default(TypedDict):
    reason: str
    by: str
    at: int


class Product(TypedDict):
    id: str
    name: str
    originator: str
    registrar: str
    settlement_bank: str
    tranches: list[Tranche]  # senior first
    min_ticket: int
    term_days: int
    fee_bps: int  # the originator's fee, a year, on the outstanding principal
    status: str
    created_at: int
    underlying: list[str]  # voucher ids, in the order added
    underlying_amount: int
    ratings: list[Rating]  # the latest MAX_RATINGS, oldest first
    approval: Approval | None
    opens: int | None  # the subscription window
    closes: int | None
    holders: list[str]  # org ids with a subscription or units, sorted
    established_at: int | None
    maturity: int | None
    funding: Funding | None
    collected: int  # the collections' total
    distributed: int
    collections: int  # counters: the n of the last collection and distribution
    distributions: int
    fees_owed: int
    fees_paid: int
    accrued_to: int | None  # fees and interest are accrued up to here (whole days from establishment)
    default: Default | None
    closed_at: int | None
    refunds: NotRequired[list[list[str | int]]]  # a FAILED product's: [[org, tranche, fen], ...]


def product_key(product_id: str) -> str:
    return f"product/{product_id}"


# -- the underlying vouchers ---------------------------------------------------------------------------------
class UnderlyingPayment(TypedDict):
    amount: int
    at: int
    bank_ref: str


class Underlying(TypedDict):
    product: str
    voucher: str
    payer: str
    amount: int
    maturity: int
    added_at: int
    released_at: int | None  # set when the voucher leaves the product; the record stays
    paid: UnderlyingPayment | None


def underlying_key(voucher: str) -> str:
    return f"underlying/{voucher}"


# -- subscriptions and the register --------------------------------------------------------------------------
def subscription_key(product_id: str, tranche: str, org: str) -> str:
    """An investor's subscription to a tranche during the window: an int, the fen subscribed."""
    return f"sub/{product_id}/{tranche}/{org}"


class Holding(TypedDict):
    product: str
    tranche: str
    holder: str
    units: int  # fen of original principal
    acquired_at: int | None  # the last time units were acquired (the hold period runs from here)
    received: int  # fen distributed to this holding


def holding_key(product_id: str, tranche: str, org: str) -> str:
    return f"holding/{product_id}/{tranche}/{org}"


class Transfer(TypedDict):
    id: str
    product: str
    tranche: str
    seller: str
    buyer: str
    units: int
    price: int  # fen for all the units, agreed by both parties
    status: str  # PROPOSED, ACCEPTED, REGISTERED, CANCELLED
    proposed_at: int
    accepted_at: int | None
    registered_at: int | None


def transfer_key(transfer_id: str) -> str:
    return f"transfer/{transfer_id}"


# -- collections and distributions ---------------------------------------------------------------------------
class Collection(TypedDict):
    product: str
    n: int
    voucher: str
    payer: str
    amount: int
    bank_ref: str
    at: int
    held: bool  # as receivables reported it


def collection_key(product_id: str, n: int) -> str:
    return f"collection/{product_id}/{n:05d}"


class DistributionStep(TypedDict):
    step: str  # "fees", "interest", "principal", "residual" (see waterfall.py)
    owed: int
    paid: int
    payee: NotRequired[str]  # fees: the originator
    tranche: NotRequired[str]  # the other steps
    allocations: NotRequired[list[list[str | int]]]  # the other steps: [[holder, fen], ...]


class Distribution(TypedDict):
    product: str
    n: int
    record_date: int
    amount: int
    days: int  # whole days of accrual it covered
    steps: list[DistributionStep]
    legs: NotRequired[list[list[Any]]]  # [[payee, fen, instruction, PENDING|PAID], ...] on the payment rail


def distribution_key(product_id: str, n: int) -> str:
    return f"distribution/{product_id}/{n:04d}"
