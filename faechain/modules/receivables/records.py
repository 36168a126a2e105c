"""The receivables module's records: what it keeps in state, under which key, and the states a
voucher piece, a root and a financing move through.

State (under `receivables/`):

    invoice/<code>-<number>    the invoice and how much of it vouchers have drawn                 Invoice
    line/<core>/<bank>         a bank's credit line to a core enterprise                           CreditLine
    core/<core>                the core's banks and its open (unpaid) voucher total                CoreCredit
    voucher/<id>               a voucher piece (never deleted; consumed pieces stay as history)    Voucher
    root/<root id>             per-root totals: live amount, live count, payment, clearing         Root
    live/<root id>/<id>        amount of each live piece of a root (what clearing pays)            int
    financing/<id>             a financing offer and its registration                              Financing
    due/<day>                  roots maturing on that China-time day, for OVERDUE marking          list[str]
    locked/<root id>/<id>      the contract holding a locked piece of that root (paid inline)      str
    clearing                   roots being paid out, oldest first                                  list[str]
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
#   into children one tier down; at maturity every live piece of the root becomes PAID.
#   A live piece of an OVERDUE root is shown as OVERDUE (its own status does not change).
ISSUED, ACTIVE, FINANCING, FINANCED = "ISSUED", "ACTIVE", "FINANCING", "FINANCED"
SPLIT, TRANSFERRED, CANCELLED, PAID, OVERDUE = "SPLIT", "TRANSFERRED", "CANCELLED", "PAID", "OVERDUE"
LIVE = frozenset({ISSUED, ACTIVE, FINANCING, FINANCED})  # pieces that will be paid at maturity
MOVABLE = (ACTIVE, FINANCED)  # pieces their holder may transfer or lock

# -- a root's states (the whole voucher as the core issued it) ------------------------------------------
#   ISSUED -> ACTIVE -> (OVERDUE, from the day after maturity) -> CLEARING -> PAID;  ISSUED -> CANCELLED
CLEARING = "CLEARING"
PAYABLE = (ACTIVE, OVERDUE)  # roots whose payment the settlement bank may confirm

# -- a financing's states ---------------------------------------------------------------------------------
#   REQUESTED -> REGISTERED -> FUNDED;  REQUESTED or REGISTERED -> CANCELLED
REQUESTED, REGISTERED, FUNDED = "REQUESTED", "REGISTERED", "FUNDED"
CANCELLABLE = (REQUESTED, REGISTERED)

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
})


class Payment(TypedDict):
    amount: int
    bank: str
    bank_ref: str
    confirmed_at: int
    plan: dict[str, Any]  # the frozen pro-rata allocation (`ProRata.to_map`)
    paid_pieces: int
    paid_total: int


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


# -- keys -------------------------------------------------------------------------------------------------------
CLEARING_QUEUE = "clearing"
CURSOR = "cursor"


def invoice_id(code: str, number: str) -> str:
    return f"{code}-{number}"


def invoice_key(invoice: str) -> str:
    return f"invoice/{invoice}"


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


def due_key(day: int) -> str:
    return f"due/{day}"
