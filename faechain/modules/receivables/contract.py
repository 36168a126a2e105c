"""The `receivables` contract: multi-tier credit vouchers (domain.md section 1).

A core enterprise confirms on chain what it owes a tier-1 supplier. The
resulting voucher can be split and passed down the supply chain, financed by a
factor or bank at any tier, and is paid at maturity to whoever holds each piece.

    invoice + credit line -> issue (core) -> ISSUED -> accept (supplier) -> ACTIVE
        -> transfer / request_financing + fund: pieces split one tier down
        -> maturity: unpaid roots OVERDUE -> confirm_payment (settlement bank) -> CLEARING -> PAID
    reject, or no acceptance by maturity: CANCELLED (invoices and credit released)

Who does what:

    seller (a supplier)      register_invoice
    bank                     grant_credit
    core enterprise          issue
    named holder             accept, reject
    holder                   transfer, request_financing, cancel_financing
    funder (FACTOR, BANK)    record_registration, fund, cancel_financing
    settlement bank          confirm_payment
    regulator                freeze, unfreeze (also through supervision.freeze)
    other contracts          lock, unlock, lock_invoice, unlock_invoice (a plan's pool, a
                             product's underlying), set_frozen (supervision)

Every step costs the same at any depth: a transfer touches the piece, its two
children, the root totals and the live set, never the lineage. Clearing a root
pays at most CLEAR_BATCH pieces per block, so a root split 10,000 ways never
stalls the chain.

Where things are:

    records.py     the state keys and records (TypedDicts), the states of pieces, roots and financings
    pieces.py      loading and checking a piece, and minting, splitting, cancelling and paying pieces
    issuing.py     invoices, credit lines, issue, accept, reject
    transfers.py   transfer
    financing.py   request_financing, cancel_financing, record_registration, fund
    locks.py       lock, unlock, lock_invoice, unlock_invoice (for other contracts)
    payment.py     confirm_payment
    freezes.py     freeze, unfreeze, set_frozen
    end_block.py   clearing in batches; OVERDUE marking and lapsing at the end of each day
    reading.py     who may read each record and see each event (the queries and the raw routes ask it)
    queries.py     the queries
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.deadlines import day_of
from faechain.contracts.runtime import Contract, Ctx, register
from faechain.modules.receivables.end_block import EndOfBlock
from faechain.modules.receivables.financing import FinancingSteps
from faechain.modules.receivables.freezes import FreezeSteps
from faechain.modules.receivables.issuing import IssuingSteps
from faechain.modules.receivables.locks import LockSteps
from faechain.modules.receivables.payment import PaymentSteps
from faechain.modules.receivables.queries import Queries
from faechain.modules.receivables.reading import ReadRules
from faechain.modules.receivables.records import CURSOR
from faechain.modules.receivables.transfers import TransferSteps


@register
class Receivables(IssuingSteps, TransferSteps, FinancingSteps, LockSteps, PaymentSteps, FreezeSteps, Queries,
                  ReadRules, EndOfBlock, Contract):
    name = "receivables"
    indexes = {
        "voucher": ("holder", "payer", "root", "status"),
        "invoice": ("seller", "buyer"),
        "root": ("payer", "status", "invoices"),
        "financing": ("funder", "holder", "status"),
    }

    def genesis(self, ctx: Ctx, config: dict[str, Any]) -> None:
        """The maturity cursor starts at the day before genesis: no earlier day has roots."""
        ctx.state.put(CURSOR, day_of(ctx.time) - 1)
