"""The plans module's records: what it keeps in state, under which key, and the states they move through.

State (under `plans/`):

    plan/<id>                 terms, parties, status, the pooled assets, holders and counters     Plan
    asset/<kind>:<id>         pool entry: which plan holds a voucher or invoice (kept after release)  PoolEntry
    holding/<plan>/<org>      an investor's subscription and outstanding principal                Holding
    doc/<hash>                a document's on-chain record (its bytes are in the node's vault)    Document
    docs/<plan>               the plan's document hashes, in registration order                   list[str]
    cashflow/<plan>/<n>       the n-th cash flow (n zero-padded to 6 digits, from 1)              CashFlow
    disclosure/<plan>/<n>     the n-th disclosure item (zero-padded to 4 digits, from 1)          DisclosureItem
    payment/<plan>/<n>        the n-th coupon or principal payment and its allocation per holder  Payment
    bankref/<plan>/<ref>      a bank reference already used in the plan: the cash flow's n, or
                              minus the payment's n                                               int
    due/<day>, cursor         disclosure items falling due (faechain/contracts/deadlines.py)

The plan record lists every pooled asset and counts every document, cash flow,
disclosure and payment, so a penetration answer can be checked for completeness,
not only for authenticity (see `penetration.py`).

The records are plain dicts in state (canonical CBOR, keys sorted); the TypedDicts below
say what each holds, and the key functions are the only place a key is spelled out.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from faechain.contracts.time import DAY

# -- limits and deadlines ------------------------------------------------------------------------------------
MAX_ASSETS = 200  # pool entries per plan
MAX_HOLDERS = 200  # a private placement: at most 200 investors
MAX_DOCS = 1000
MAX_TERM_DAYS = 3 * 365
INITIAL_DUE = 10 * DAY  # the initial disclosure is due this long after filing
MAJOR_EVENT_DUE = 2 * DAY  # a major event is disclosed within two days
PERIODIC_GRACE = 30 * DAY  # a periodic report is due this long after its period ends

# -- the plan's states ---------------------------------------------------------------------------------------
#   DRAFT -> FILED -> LISTED -> ESTABLISHED -> OUTSTANDING -> REDEEMED -> CLOSED
#   a returned filing: FILED -> DRAFT; a payment default: ESTABLISHED or OUTSTANDING -> DEFAULTED -> CLOSED;
#   a plan withdrawn before it is established: DRAFT, FILED or LISTED -> CLOSED
DRAFT, FILED, LISTED, ESTABLISHED = "DRAFT", "FILED", "LISTED", "ESTABLISHED"
OUTSTANDING, REDEEMED, DEFAULTED, CLOSED = "OUTSTANDING", "REDEEMED", "DEFAULTED", "CLOSED"

# -- a disclosure item's states ------------------------------------------------------------------------------
#   SCHEDULED -> PUBLISHED (late if after its due time) -> SUPERSEDED (by a correction)
#   SCHEDULED -> OVERDUE (end of block, once its due time has passed) -> PUBLISHED
SCHEDULED, PUBLISHED, OVERDUE, SUPERSEDED = "SCHEDULED", "PUBLISHED", "OVERDUE", "SUPERSEDED"

# -- the words a record may hold -----------------------------------------------------------------------------
DOC_KINDS = ("contract", "invoice", "bank_statement", "report", "legal_opinion", "rating", "prospectus", "other")
DISCLOSURE_KINDS = ("initial", "periodic", "major_event")
PAYMENT_KINDS = ("coupon", "principal")
ASSET_KINDS = ("voucher", "invoice")  # what a pool entry holds: `<kind>:<id>` names it
PARTY_FIELDS = ("sponsor", "underwriter", "servicer", "settlement_bank")  # the plan's fields naming its parties


# -- plans ---------------------------------------------------------------------------------------------------
class Approval(TypedDict):
    no: str  # the exchange's approval number
    by: str
    at: int


class Funding(TypedDict):
    bank_ref: str
    confirmed_at: int
    amount: int


class Default(TypedDict):
    reason: str
    by: str
    at: int


class Plan(TypedDict):
    id: str
    name: str
    sponsor: str
    underwriter: str
    servicer: str
    settlement_bank: str
    size: int  # fen offered
    coupon_bps: int
    term_days: int
    coverage_bps: int  # the pool must cover size x coverage before filing
    min_ticket: int
    report_every_days: int
    status: str
    created_at: int
    assets: list[str]  # asset references `<kind>:<id>`, in pooling order
    pooled: int  # the pooled assets' total, fen
    filed_at: int | None
    approval: Approval | None
    opens: int | None  # the subscription window
    closes: int | None
    subscribed: int
    holders: list[str]  # investor org ids, sorted
    issued: int
    outstanding: int  # principal not yet repaid
    value_date: int | None
    maturity: int | None
    funding: Funding | None
    collected: int  # the cash flows' total
    paid_coupon: int
    paid_principal: int
    cash_flows: int  # counters: the n of the last cash flow, disclosure item, payment; documents registered
    disclosures: int
    payments: int
    docs: int
    default: Default | None
    closed_at: int | None
    instructions: NotRequired[list[list[str | int]]]  # from establishment: [[investor, sponsor, fen], ...]
    close_reason: NotRequired[str]  # from closing


def plan_key(plan_id: str) -> str:
    return f"plan/{plan_id}"


def parties(p: Plan) -> dict[str, str]:
    """The plan's parties by the part they play (the PARTY_FIELDS): part -> org id."""
    return {"sponsor": p["sponsor"], "underwriter": p["underwriter"], "servicer": p["servicer"],
            "settlement_bank": p["settlement_bank"]}


# -- the pool ------------------------------------------------------------------------------------------------
class PoolEntry(TypedDict):
    plan: str
    kind: str  # one of ASSET_KINDS
    id: str
    amount: int  # a voucher's amount, an invoice's undrawn amount, when pooled
    payer: str
    maturity: int | None  # a voucher's; None for an invoice
    pooled_at: int
    released_at: int | None  # set when the asset leaves the plan; the entry stays


def asset_ref(kind: str, asset_id: str) -> str:
    """`voucher:<id>` or `invoice:<id>`: how the plan and its documents name a pooled asset."""
    return f"{kind}:{asset_id}"


def asset_key(asset: str) -> str:
    """The pool entry of an asset reference (`asset_ref`)."""
    return f"asset/{asset}"


# -- holdings ------------------------------------------------------------------------------------------------
class Holding(TypedDict):
    plan: str
    investor: str
    subscribed: int
    principal: int  # outstanding: the subscription from establishment on, less principal repaid
    coupon_received: int
    principal_received: int
    since: int


def holding_key(plan_id: str, investor: str) -> str:
    return f"holding/{plan_id}/{investor}"


# -- documents -----------------------------------------------------------------------------------------------
class Document(TypedDict):
    hash: str
    plan: str
    kind: str  # one of DOC_KINDS
    name: str
    size: int
    media_type: str
    asset: str | None  # the pooled asset it documents
    uploader: str
    registered_at: int
    supersedes: str | None  # the hash of the document it corrects
    superseded_by: str | None


def doc_key(doc_hash: str) -> str:
    return f"doc/{doc_hash}"


def docs_key(plan_id: str) -> str:
    """The plan's list of document hashes."""
    return f"docs/{plan_id}"


# -- cash flows and payments ---------------------------------------------------------------------------------
class CashFlow(TypedDict):
    plan: str
    n: int
    asset: str | None
    payer: str
    payee: str
    amount: int
    value_date: int
    bank_ref: str
    recorded_by: str
    recorded_at: int
    source: str  # "servicer" (record_cash_flow) or "settlement" (a pooled voucher paid)


def cash_flow_key(plan_id: str, n: int) -> str:
    return f"cashflow/{plan_id}/{n:06d}"


class Payment(TypedDict):
    plan: str
    n: int
    kind: str  # one of PAYMENT_KINDS
    amount: int
    bank_ref: str
    paid_at: int
    allocations: list[list[str | int]]  # [[investor, fen], ...] in holder order
    legs: NotRequired[list[list[Any]]]  # [[investor, fen, instruction, PENDING|PAID], ...] on the payment rail


def payment_key(plan_id: str, n: int) -> str:
    return f"payment/{plan_id}/{n:04d}"


def bank_ref_key(plan_id: str, bank_ref: str) -> str:
    return f"bankref/{plan_id}/{bank_ref}"


# -- disclosure ----------------------------------------------------------------------------------------------
class DisclosureItem(TypedDict):
    plan: str
    n: int
    kind: str  # one of DISCLOSURE_KINDS
    title: str
    due: int
    status: str  # SCHEDULED, PUBLISHED, OVERDUE, SUPERSEDED
    scheduled_by: str
    scheduled_at: int
    published_at: int | None
    late: bool
    summary: str | None
    documents: list[str]  # document hashes
    supersedes: int | None  # a correction: the item it corrects
    superseded_by: int | None
    published_by: NotRequired[str]  # from publication
    reason: NotRequired[str]  # a correction's


def disclosure_key(plan_id: str, n: int) -> str:
    return f"disclosure/{plan_id}/{n:04d}"
