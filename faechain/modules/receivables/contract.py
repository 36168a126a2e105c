"""The `receivables` contract: multi-tier credit vouchers (domain.md section 1).

A core enterprise confirms on chain what it owes a tier-1 supplier. The
resulting voucher can be split and passed down the supply chain, financed by a
factor or bank at any tier, and is paid at maturity to whoever holds each piece.

    invoice (verified by the tax service, or unverified up to a cap) + credit line
        -> issue (core) -> ISSUED -> accept (supplier) -> ACTIVE
        -> transfer / request_financing + registration attested + fund: pieces split one tier down
           (a PLEDGE financing: the piece stays with the holder, PLEDGED to the funder)
        -> maturity (or an instalment): PaymentDue -> confirm_payment (the rail: what the payer paid)
           -> CLEARING: one clearing instruction per piece, pro rata -> each confirmed by the rail
           (payments.confirm) -> the piece PAID at its face; the root PAID, or OVERDUE with the
           remainders still owed (a short payment), paid by a later round or by recourse
    reject, or no acceptance by maturity: CANCELLED (invoices and credit released)

Who does what:

    seller (a supplier)      register_invoice
    tax service              verify_invoice, void_invoice (voiding freezes the roots drawing on it)
    bank                     grant_credit
    core enterprise          issue
    named holder             accept, reject
    holder                   transfer, request_financing (ASSIGNMENT or PLEDGE), cancel_financing,
                             request_quotes, accept_quote, cancel_rfq
    invited funder           quote (rate and fee; the advance computed to the fen)
    funder (FACTOR, BANK)    record_registration, fund, cancel_financing
    registry agent           attest_registration, attest_search, attest_release
    debtor (the payer)       acknowledge_notice (the notice of a funded financing)
    payer (core enterprise)  schedule_instalments, offer_early_payment
    holder                   accept_early_payment, claim_recourse (a piece received with recourse)
    rail (settlement bank or payment rail operator)
                             confirm_payment; each piece's instruction through payments.confirm
    payments contract        instruction_paid (a piece's instruction confirmed)
    regulator                freeze, unfreeze (also through supervision.freeze)
    other contracts          lock, unlock, lock_invoice, unlock_invoice (a plan's pool, a
                             product's underlying), set_frozen (supervision), set_rule (governance)

States: a piece ISSUED, ACTIVE, FINANCING, FINANCED, PLEDGED (live), SPLIT, TRANSFERRED,
CANCELLED, PAID; an invoice's verification UNVERIFIED, VERIFIED, MISMATCH, VOIDED; a
financing REQUESTED -> REGISTERED -> FUNDED, or CANCELLED (records.py draws each).

The limits (tenor, the cap on unverified invoices, registration before funding, the highest
rate) are rules (rules.py): defaults, genesis overrides (`contracts.receivables.rules`), and
governance votes (`set_rule` proposals).

Every step costs the same at any depth: a transfer touches the piece, its two
children, the root totals and the live set, never the lineage. A payment round
instructs at most CLEAR_BATCH pieces per block, so a root split 10,000 ways never
stalls the chain.

Where things are:

    records.py     the state keys and records (TypedDicts), the states of pieces, roots and financings
    pieces.py      loading and checking a piece, and minting, splitting and cancelling pieces
    issuing.py     invoices, credit lines, issue, accept, reject
    verification.py  verify_invoice, void_invoice: the tax service's word on an invoice
    transfers.py   transfer
    financing.py   request_financing, cancel_financing, record_registration, fund
    quotes.py      request_quotes, quote, accept_quote, cancel_rfq, the quotes query (competing funders)
    registration.py  attest_registration, attest_search, attest_release, acknowledge_notice, release_due
    rules.py       the rules, their defaults, set_rule and the rules query
    locks.py       lock, unlock, lock_invoice, unlock_invoice (for other contracts)
    payment.py     confirm_payment, instruction_paid, instalments, early payment, recourse
    clearing.py    payment rounds: the two pools, instructing pieces, crediting a piece, the root's status
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
from faechain.modules.receivables.quotes import QuoteSteps
from faechain.modules.receivables.reading import ReadRules
from faechain.modules.receivables.records import CURSOR, RULES_KEY
from faechain.modules.receivables.registration import RegistrationSteps
from faechain.modules.receivables.rules import RuleSteps, check_genesis_rules
from faechain.modules.receivables.transfers import TransferSteps
from faechain.modules.receivables.verification import VerificationSteps


@register
class Receivables(IssuingSteps, VerificationSteps, TransferSteps, FinancingSteps, QuoteSteps, RegistrationSteps,
                  LockSteps, PaymentSteps, FreezeSteps, RuleSteps, Queries, ReadRules, EndOfBlock, Contract):
    name = "receivables"
    indexes = {
        "voucher": ("holder", "payer", "root", "status"),
        "invoice": ("seller", "buyer"),
        "root": ("payer", "status", "invoices"),
        "financing": ("funder", "holder", "status"),
    }

    def genesis(self, ctx: Ctx, config: dict[str, Any]) -> None:
        """The maturity cursor starts at the day before genesis: no earlier day has roots. The
        genesis document may override rules (`contracts.receivables.rules`)."""
        ctx.state.put(CURSOR, day_of(ctx.time) - 1)
        overrides = config.get("rules") or {}
        check_genesis_rules(overrides)
        if overrides:
            ctx.state.put(RULES_KEY, dict(sorted(overrides.items())))
