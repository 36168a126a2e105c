"""The npa module's records: what it keeps in state, under which key, and the states a package moves through.

State (under `npa/`):

    loan/<seller>/<loan_no>   a loan as its seller registered it; `package` while it sits in an active one,
                              `owner` (the seller, the buyer once its package closes)          Loan
    package/<id>              terms, parties, status, loans, every listing and its outcome, the deal,
                              notice, inspection, and `log`: [[status, time, by], ...] of every move   Package
    doc/<hash>                a data-room or deal document's record (its bytes are in the node's vault)   Document
    docs/<package>            the package's document hashes, in registration order             list[str]
    view/<package>/<hash>/<org>  a reader's logged views of a data-room document (first, last, count)  DocumentView
    person/<commitment>       a borrower or guarantor: the commitment of its personal data document in the
                              vault, its owner (the registering seller), the loans naming it    Person
    erased/<commitment>       the regulator approved the erasure of that document               Erased
                              (Person and Erased: faechain/contracts/personal.py)
    disposition/<package>/<n> the buyer's n-th post-transfer disposition event (n zero-padded, from 1)  Disposition
    due/<day>, cursor         transfer notices falling due (faechain/contracts/deadlines.py)

The records are plain dicts in state (canonical CBOR, keys sorted); the TypedDicts below
say what each holds, and the key functions are the only place a key is spelled out.
"""

from __future__ import annotations

import re
from typing import NotRequired, TypedDict

from faechain.contracts.time import DAY

# -- limits ---------------------------------------------------------------------------------------------
MAX_LOANS = 200  # loans per package
MAX_DOCS = 300  # documents per package
MAX_LISTINGS = 10  # auctions per package (relistings included)
MAX_DISPOSITIONS = 500
MAX_GUARANTORS = 10  # per loan
MAX_LOG = 80  # never reached: MAX_LISTINGS bounds the moves a package can make
NOTICE_DUE = 30 * DAY  # the transfer notice is published within 30 days of delivery
ASSET_PREFIX = "package:"  # the auction sells `package:<id>`, the freeze registry's reference

# -- the package's states ---------------------------------------------------------------------------------
#   DRAFT -> DUE_DILIGENCE -> APPROVED -> LISTED -> BIDDING -> AWARDED -> CONTRACTED -> PAID
#         -> DELIVERED -> NOTICED -> POST_TRANSFER -> INSPECTED -> CLOSED
#   a failed auction or a defaulted deal: back to APPROVED; before any bid: WITHDRAWN
DRAFT, DUE_DILIGENCE, APPROVED, LISTED, BIDDING = "DRAFT", "DUE_DILIGENCE", "APPROVED", "LISTED", "BIDDING"
AWARDED, CONTRACTED, PAID, DELIVERED, NOTICED = "AWARDED", "CONTRACTED", "PAID", "DELIVERED", "NOTICED"
POST_TRANSFER, INSPECTED, CLOSED, WITHDRAWN = "POST_TRANSFER", "INSPECTED", "CLOSED", "WITHDRAWN"
EDITABLE = (DRAFT,)  # loans change only in a draft
PRICED = (DRAFT, DUE_DILIGENCE, APPROVED)  # prices change until the package is listed
OPEN_FOR_BIDDERS = (LISTED, BIDDING)  # the data room is open to registered bidders
BEFORE_AWARD = (DRAFT, DUE_DILIGENCE, APPROVED, LISTED, BIDDING)  # documents added now may form the data room
WITHDRAWABLE = (DRAFT, DUE_DILIGENCE, APPROVED, LISTED)  # not yet bid for
FINISHED = (CLOSED, WITHDRAWN)  # nothing more is added to the package

# -- the words a record may hold -----------------------------------------------------------------------------
SELLER_TYPES = ("BANK", "AMC")
CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")  # the five-category classification
NPL_CLASSES = ("substandard", "doubtful", "loss")  # what may be disposed of as a non-performing asset
LITIGATION = ("none", "filed", "judgment", "enforcement", "terminated")
OPINIONS = ("clean", "qualified", "adverse")
RESULTS = ("compliant", "deficient")
MODES = ("english", "sealed", "dutch")
DISPOSITION_KINDS = ("litigation_party_change", "mortgage_change", "restructuring", "collection", "resale")
DOC_KINDS = ("loan_file", "valuation", "collateral", "court", "due_diligence", "announcement", "contract",
             "payment", "delivery", "notice", "disposition", "inspection", "other")
PARTY_FIELDS = ("seller", "intermediary", "winner", "inspector")  # the package's fields naming its parties
MAX_DAYS_PAST_DUE = 36_500
MEDIA_TYPE = re.compile(r"^[a-z]+/[0-9a-z.+-]{1,64}$")
LOAN_NO = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$")


# -- loans -----------------------------------------------------------------------------------------------
Acquisition = TypedDict("Acquisition", {"from": str, "package": str, "at": int})  # `from` is a keyword


class Loan(TypedDict):
    ref: str  # <seller>/<loan_no>
    seller: str
    loan_no: str
    borrower: str  # the commitment of the borrower's personal data document (name, ID number) in the vault
    guarantors: list[str]  # the commitments of the guarantors' documents
    principal: int  # fen outstanding
    interest: int  # fen accrued
    classification: str  # one of CLASSES
    days_past_due: int
    litigation: str  # one of LITIGATION
    collateral: str  # a description; empty: unsecured
    owner: str  # the seller, the buyer once the package closes
    package: str | None  # the active package it sits in
    last_package: str | None  # the last package it sat in (who saw it there may still see it)
    acquired: Acquisition | None  # how the owner got it, if it bought it
    registered_at: int
    updated_at: int
    version: int


def loan_ref(owner: str, loan: str) -> str:
    """`<seller>/<loan_no>`; a bare loan number names one the owner registered itself."""
    return loan if "/" in loan else f"{owner}/{loan}"


def loan_key(ref: str) -> str:
    return f"loan/{ref}"


# -- packages --------------------------------------------------------------------------------------------
class DueDiligence(TypedDict):
    by: str
    report_hash: str
    opinion: str  # one of OPINIONS
    summary: str
    at: int


class Approval(TypedDict):
    by: str
    at: int


class Listing(TypedDict):
    """One auction of the package; `outcome` is None while it runs."""

    auction: str
    mode: str
    start: int
    end: int
    reserve: int
    list_price: int
    margin: int
    settlement_bank: str
    listed_at: int
    outcome: str | None  # awarded, failed, defaulted, cancelled
    winner: NotRequired[str]  # awarded
    price: NotRequired[int]  # awarded
    reason: NotRequired[str]  # failed
    deal: NotRequired[Deal]  # defaulted: the void deal


class Signature(TypedDict):
    hash: str
    at: int


class Payment(TypedDict):
    amount: int
    bank_ref: str
    at: int


class Delivery(TypedDict):
    hash: str
    at: int


class Deal(TypedDict):
    """What the award agreed: both sides sign the same contract document, the bank confirms the payment."""

    auction: str
    winner: str
    price: int
    awarded_at: int
    signed: dict[str, Signature]  # "seller" / "winner" -> the document it signed
    contract_hash: str | None
    contracted_at: int | None
    payment: Payment | None
    delivery: Delivery | None


class Notice(TypedDict):
    hash: str
    by: str
    at: int
    late: bool


class Inspection(TypedDict):
    inspector: str
    result: str  # one of RESULTS
    report_hash: str
    remarks: str
    at: int
    dispositions: int  # how many dispositions it covered


class Withdrawal(TypedDict):
    by: str
    reason: str
    at: int


class Package(TypedDict):
    id: str
    name: str
    seller: str
    loans: list[str]  # loan refs
    principal: int  # the loans' total
    interest: int  # the loans' total
    base_date: int
    reserve_price: int
    list_price: int
    margin: int
    status: str
    created_at: int
    intermediary: str | None
    due_diligence: DueDiligence | None
    approval: Approval | None
    listings: list[Listing]
    auction: str | None  # the current auction
    failed_reserve: int | None  # the reserve of the last failed auction: a relisting goes below it
    winner: str | None
    deal: Deal | None
    notice: Notice | None
    notice_due: int | None
    notice_overdue: bool
    dispositions: int  # how many
    inspector: str | None
    inspection: Inspection | None
    docs: int  # how many
    withdrawal: Withdrawal | None
    closed_at: int | None
    log: list[list[str | int]]  # [status, time, by] of every move


def package_key(package_id: str) -> str:
    return f"package/{package_id}"


def parties(p: Package) -> set[str]:
    """The organisations that play a part in the package: seller, DD intermediary, winner, inspector."""
    return {p[f] for f in PARTY_FIELDS if p[f] is not None}  # type: ignore[literal-required]


# -- documents -------------------------------------------------------------------------------------------
class Document(TypedDict):
    hash: str
    package: str
    kind: str  # one of DOC_KINDS
    name: str
    size: int
    media_type: str
    uploader: str
    registered_at: int
    data_room: bool  # bidders may read it
    public: bool  # every member may read it (the published transfer notice)
    supersedes: str | None
    superseded_by: str | None


def document_key(doc_hash: str) -> str:
    return f"doc/{doc_hash}"


def documents_key(package_id: str) -> str:
    """The package's document hashes, in registration order."""
    return f"docs/{package_id}"


class DocumentView(TypedDict):
    package: str
    hash: str
    org: str
    first: int
    last: int
    count: int
    auction: str | None  # the auction the reader was registered for


def view_key(package_id: str, doc_hash: str, org_id: str) -> str:
    return f"view/{package_id}/{doc_hash}/{org_id}"


# -- after the transfer ----------------------------------------------------------------------------------
class Disposition(TypedDict):
    package: str
    n: int
    kind: str  # one of DISPOSITION_KINDS
    description: str
    documents: list[str]
    loan: str | None
    amount: int  # fen recovered, if any
    by: str
    at: int


def disposition_key(package_id: str, n: int) -> str:
    return f"disposition/{package_id}/{n:04d}"
