"""The receivables module's records: what it keeps in state, under which key, and the states a
voucher piece, a root and a financing move through.

State (under `receivables/`):

    invoice/<code>-<number>    the invoice and how much of it vouchers have drawn                 Invoice
    line/<core>/<bank>         a bank's credit line to a core enterprise                           CreditLine
    core/<core>                the core's banks and its open (unpaid) voucher total                CoreCredit
    voucher/<id>               a voucher piece (never deleted; consumed pieces stay as history)    Voucher
    root/<root id>             per-root totals: live amount, live count, payment, clearing         Root
    live/<root id>/<id>        fen of a live piece not yet paid nor instructed: the pieces          int
    rest/<root id>/<id>          awaiting the next payment round (two pools: clearing.py)
    paydue/<day>, paydue_cursor  when payments fall due (contracts.deadlines): maturities, instalments
    financing/<id>             a financing offer and its registration                              Financing
    drawers/<invoice>/<root>   fen root <root> draws on the invoice (what voiding it must freeze)  int
    rules                      the rules in force that differ from rules.DEFAULTS (governance)    dict[str, int]
    due/<day>                  roots maturing on that China-time day, for OVERDUE marking          list[str]
    locked/<root id>/<id>      the contract holding a locked piece of that root (told of each payment) str
    clearing                   roots whose payment round is being instructed, oldest first          list[str]
    cursor                     the last day whose maturities were examined                         int

The records are plain dicts in state (canonical CBOR, keys sorted); the TypedDicts below
say what each holds, and the key functions are the only place a key is spelled out.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

# -- a voucher piece's states -------------------------------------------------------------------------
#   ISSUED --accept--> ACTIVE --request_financing--> FINANCING --fund--> split: the funder's piece FINANCED
#     |                  ^            |
#     |                  '------------' cancel_financing
#     '--reject, or unaccepted at maturity--> CANCELLED
#   transfer, fund: the piece is consumed (TRANSFERRED, or SPLIT when a remainder stays with the holder)
#   into children one tier down; a live piece becomes PAID when the rail's confirmed payments on it reach
#   its face (clearing.py); until then `paid` says what it has received.
#   A live piece of an OVERDUE root is shown as OVERDUE (its own status does not change).
ISSUED, ACTIVE, FINANCING, FINANCED = "ISSUED", "ACTIVE", "FINANCING", "FINANCED"
SPLIT, TRANSFERRED, CANCELLED, PAID, OVERDUE = "SPLIT", "TRANSFERRED", "CANCELLED", "PAID", "OVERDUE"
#   PLEDGE financing: fund splits the offered amount off as a piece the holder keeps, PLEDGED to the
#   funder (its `pledgee`): live, paid at maturity to the pledgee, but not movable.
PLEDGED = "PLEDGED"
LIVE = frozenset({ISSUED, ACTIVE, FINANCING, FINANCED, PLEDGED})  # pieces that will be paid at maturity
MOVABLE = (ACTIVE, FINANCED)  # pieces their holder may transfer or lock

# -- a root's states (the whole voucher as the core issued it) ------------------------------------------
#   ISSUED -> ACTIVE -> (OVERDUE, from the day after maturity) -> CLEARING -> PAID;  ISSUED -> CANCELLED
CLEARING = "CLEARING"
PAYABLE = (ACTIVE, OVERDUE)  # roots whose payment the settlement bank may confirm

# -- a financing's states ---------------------------------------------------------------------------------
#   REQUESTED -> REGISTERED -> FUNDED;  REQUESTED or REGISTERED -> CANCELLED
REQUESTED, REGISTERED, FUNDED = "REQUESTED", "REGISTERED", "FUNDED"
CANCELLABLE = (REQUESTED, REGISTERED)
# what a financing is: factoring (the piece passes to the funder) or a pledge (it stays, pledged)
ASSIGNMENT, PLEDGE = "ASSIGNMENT", "PLEDGE"
FINANCING_KINDS = (ASSIGNMENT, PLEDGE)

# -- an invoice's verification by the tax service (docs/outside-world.md) --------------------------------
#   UNVERIFIED --verify_invoice--> VERIFIED, MISMATCH or VOIDED;  any --void_invoice--> VOIDED
#   VERIFIED backs vouchers; UNVERIFIED up to the rule unverified_invoice_cap; MISMATCH, VOIDED nothing new
UNVERIFIED, VERIFIED, MISMATCH, VOIDED = "UNVERIFIED", "VERIFIED", "MISMATCH", "VOIDED"

# -- the words a record may hold ------------------------------------------------------------------------------
NON_HOLDERS = ("REGULATOR", "EXCHANGE")  # the market's operator and its regulator hold no vouchers


# -- invoices and credit --------------------------------------------------------------------------------------
class Invoice(TypedDict):
    id: str  # <code>-<number>
    code: str
    number: str
    seller: str
    buyer: str
    amount: int  # fen
    date: int  # the invoice's date (unix seconds)
    doc_hash: str  # hex of the invoice document's hash (the document lives off chain)
    drawn: int  # fen drawn by vouchers
    registered_at: int
    locked_by: NotRequired[str | None]  # the contract that pooled it (`lock_invoice`)
    lock_purpose: NotRequired[str | None]
    verification: NotRequired[Verification]  # {"status": UNVERIFIED} when registered (absent on older records)
    backs: NotRequired[int]  # roots that have drawn on it (at most reading.MAX_ROOTS; `drawers/...` names them)


class Verification(TypedDict):
    """What the tax service attested of an invoice (`verify_invoice`, `void_invoice`)."""

    status: str  # UNVERIFIED (as registered), VERIFIED, MISMATCH or VOIDED
    by: NotRequired[str]  # the TAX_SERVICE organisation
    reference: NotRequired[str]  # the tax system's reference for the check or the voiding
    at: NotRequired[int]
    differences: NotRequired[dict[str, list[Any]]]  # field -> [registered, the tax system's] (MISMATCH)
    reason: NotRequired[str]  # why it was voided (红冲/作废)


class CreditLine(TypedDict):
    core: str
    bank: str
    amount: int  # fen; 0 withdraws the line
    expires: int
    granted_at: int


class CoreCredit(TypedDict):
    id: str  # the core enterprise
    banks: list[str]  # banks that granted it a line, sorted
    open: int  # fen of its vouchers not yet paid


# -- vouchers --------------------------------------------------------------------------------------------------
Voucher = TypedDict("Voucher", {
    "id": str,
    "root": str,  # the root voucher's id (a root is its own root)
    "parent": str | None,  # the piece this one was split from (None for a root)
    "tier": int,  # 1 for the core's direct supplier, +1 each transfer down the chain
    "payer": str,  # the core enterprise that pays at maturity
    "holder": str,
    "from": str,  # who passed it to the holder (`from` is a keyword, hence this form)
    "amount": int,  # fen
    "issued_at": int,
    "maturity": int,
    "contract_hash": str,
    "status": str,  # ISSUED .. OVERDUE above
    "financing": str | None,  # the financing it awaits (FINANCING) or was funded by (FINANCED)
    "registration": str | None,  # the pledge/transfer registration number of that financing
    "frozen": bool,
    "children": list[str],  # the pieces it was consumed into
    "frozen_reason": NotRequired[str],
    "funder": NotRequired[str],  # a financed piece's funder
    "reason": NotRequired[str],  # why a root was CANCELLED
    "paid": NotRequired[int],  # a PAID piece's share of the payment, in fen
    "paid_at": NotRequired[int],
    "held": NotRequired[bool],  # paid while frozen: the payout is held
    "locked_by": NotRequired[str | None],  # the contract that locked it (a plan, a product)
    "lock_purpose": NotRequired[str | None],
    "pledgee": NotRequired[str],  # a PLEDGED piece's pledgee (the funder), paid at maturity
    # the payment leg (clearing.py): `amount` is the piece's face; `paid` what it has received so far
    "pending": NotRequired[int],  # fen of instructions the rail has not yet confirmed
    "instructions": NotRequired[list[str]],  # those instructions (payments contract)
    "recourse": NotRequired[str | None],  # who passed it on with recourse: the holder may claim from it
    "early": NotRequired[dict[str, int]],  # paid early at a discount: {"advance", "discount"}
    "recourse_paid": NotRequired[int],  # fen the previous holder paid it by recourse
})


class Payment(TypedDict):
    """One payment round: what the rail confirmed the payer paid, allocated pro rata over the pieces."""

    n: NotRequired[int]  # the round's number (1 for the first)
    amount: int
    bank: str  # the rail that confirmed it (a settlement bank or a payment rail operator)
    bank_ref: str
    confirmed_at: int
    plan: dict[str, Any]  # the frozen pro-rata allocation (`ProRata.to_map`)
    paid_pieces: int  # pieces instructed in this round
    paid_total: int  # fen instructed in this round


class Root(TypedDict):
    id: str
    payer: str
    amount: int
    live_count: int
    status: str  # ISSUED, ACTIVE, OVERDUE, CLEARING, PAID or CANCELLED
    maturity: int
    invoices: list[str]  # the invoice ids it draws on (indexed)
    invoice_refs: list[list[Any]]  # [[invoice id, fen drawn], ...]
    settlement_bank: str | None
    frozen: bool
    payment: Payment | None
    locked: NotRequired[int]  # how many of its pieces are locked
    # the payment leg (clearing.py)
    pool: NotRequired[str]  # which of the two pools (live/, rest/) holds the pieces awaiting a round
    round: NotRequired[Payment | None]  # the payment round being instructed
    rounds: NotRequired[int]
    collected: NotRequired[int]  # fen the rail confirmed the payer paid, over all rounds
    rails: NotRequired[list[str]]  # the rails that confirmed a payment on it (they read the root)
    paid_total: NotRequired[int]  # fen confirmed paid to holders
    discounts: NotRequired[int]  # fen holders forgave for early payment
    pending: NotRequired[int]  # instructions awaiting the rail's confirmation
    instalments: NotRequired[list[list[int]]]  # [[due time, fen], ...] agreed before acceptance
    early_offer: NotRequired[dict[str, int] | None]  # the payer's offer: {"rate_bps", "until"}


# -- financing ------------------------------------------------------------------------------------------------
class Instruction(TypedDict):
    """A payment the platform records but never makes: the funder pays the holder the advance."""

    payer: str
    payee: str
    amount: int
    reference: str


class Financing(TypedDict):
    id: str
    voucher: str  # the piece offered
    root: str
    holder: str
    funder: str
    amount: int
    rate_bps: int  # the yearly discount rate, in basis points
    status: str  # REQUESTED, REGISTERED, FUNDED or CANCELLED
    registration: str | None
    requested_at: int
    reason: NotRequired[str]
    piece: NotRequired[str]  # the funder's piece once FUNDED
    advance: NotRequired[int]
    discount: NotRequired[int]
    funded_at: NotRequired[int]
    instruction: NotRequired[Instruction]
    kind: NotRequired[str]  # ASSIGNMENT (absent: a financing made before kinds) or PLEDGE
    attestation: NotRequired[Attestation]  # what the registry agent attested under the registration
    search: NotRequired[Search]  # the registry agent's search for earlier registrations
    notice: NotRequired[Notice]  # the notice to the debtor (the payer), recorded by `fund`
    release_due: NotRequired[int]  # when its piece was paid (RegistrationReleaseDue emitted, once)
    release: NotRequired[Release]  # the registry agent's release of the registration
    fee: NotRequired[int]  # fen the funder charges beyond the discount (a quote's fee)
    recourse: NotRequired[bool]  # recourse factoring: the holder stays liable if the payer does not pay
    rfq: NotRequired[str]  # the request for quotes it came from


class Attestation(TypedDict):
    """What the registry holds under a registration number (`attest_registration`)."""

    reg_no: str
    kind: str  # ASSIGNMENT or PLEDGE
    creditor: str  # the funder (质权人/受让人)
    debtor: str  # the holder (出质人/转让人)
    amount: int  # fen
    voucher: str  # the piece registered
    by: str  # the REGISTRY_AGENT organisation
    at: int


class Search(TypedDict):
    search_no: str
    earlier: list[str]  # registration numbers of earlier registrations on the same receivable
    by: str
    at: int


class Notice(TypedDict):
    to: str  # the debtor notified: the payer of the voucher
    at: int
    acknowledged_at: NotRequired[int]


class Release(TypedDict):
    reference: str
    by: str
    at: int


class Rfq(TypedDict):
    """A holder's request for quotes to several funders (quotes.py)."""

    id: str
    voucher: str
    root: str
    holder: str
    amount: int
    kind: str  # ASSIGNMENT or PLEDGE
    recourse: bool
    funders: list[str]  # the funders invited, sorted
    closes: int  # quotes are taken until then
    status: str  # OPEN, ACCEPTED or CANCELLED
    requested_at: int
    financing: NotRequired[str]  # the financing made from the accepted quote
    accepted: NotRequired[str]  # the funder whose quote was accepted


class Quote(TypedDict):
    rfq: str
    funder: str
    rate_bps: int
    fee: int
    discount: int  # as if funded when quoted
    advance: int
    at: int


# -- keys -------------------------------------------------------------------------------------------------------
CLEARING_QUEUE = "clearing"
CURSOR = "cursor"


def invoice_id(code: str, number: str) -> str:
    return f"{code}-{number}"


def invoice_key(invoice: str) -> str:
    return f"invoice/{invoice}"


def verification_status(invoice: Invoice) -> str:
    """UNVERIFIED, VERIFIED, MISMATCH or VOIDED (an invoice registered before verification: UNVERIFIED)."""
    return invoice.get("verification", {}).get("status", UNVERIFIED)


def line_key(core: str, bank: str) -> str:
    return f"line/{core}/{bank}"


def core_key(core: str) -> str:
    return f"core/{core}"


def voucher_key(voucher: str) -> str:
    return f"voucher/{voucher}"


def root_key(root: str) -> str:
    return f"root/{root}"


def live_prefix(root: str) -> str:
    return f"live/{root}/"


def live_key(root: str, piece: str) -> str:
    return f"live/{root}/{piece}"


def locked_prefix(root: str) -> str:
    return f"locked/{root}/"


def locked_key(root: str, piece: str) -> str:
    return f"locked/{root}/{piece}"


def piece_of(key: str) -> str:
    """The piece id at the end of a `live/...` or `locked/...` key."""
    return key.rsplit("/", 1)[1]


def financing_key(financing: str) -> str:
    return f"financing/{financing}"


def rfq_key(rfq: str) -> str:
    return f"rfq/{rfq}"


def quote_key(rfq: str, funder: str) -> str:
    return f"quote/{rfq}/{funder}"


def due_key(day: int) -> str:
    return f"due/{day}"


RULES_KEY = "rules"


def drawers_prefix(invoice: str) -> str:
    return f"drawers/{invoice}/"


def drawer_key(invoice: str, root: str) -> str:
    return f"drawers/{invoice}/{root}"
