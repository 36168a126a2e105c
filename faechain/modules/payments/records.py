"""The payments module's records: what it keeps in state, under which key, and the states an
instruction and a conditional payment move through.

State (under `payments/`):

    account/<org>/<rail>     the account an organisation is paid at on a rail              Account
    instruction/<id>         a clearing instruction: pay `payee` `amount` fen on a rail     Instruction
    conditional/<id>         an e-CNY conditional payment (pay when the chain shows ...)    Conditional

The platform never holds money: an instruction says what a rail should pay, and the rail
operator's signed confirmation says it did (docs/outside-world.md).
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

# -- an instruction's states ------------------------------------------------------------------------------
#   PENDING --confirm PAID--> PAID;  PENDING --confirm FAILED--> FAILED --retry (payee)--> PENDING
PENDING, PAID, FAILED = "PENDING", "PAID", "FAILED"
RESULTS = (PAID, FAILED)  # what a rail may report for an instruction

# -- a conditional payment's states -----------------------------------------------------------------------
#   AWAITING_FUNDS --reserve (rail)--> RESERVED --settle_conditional (rail, condition met)--> SETTLED
#   AWAITING_FUNDS --decline (rail)--> DECLINED;  AWAITING_FUNDS --cancel (payer)--> CANCELLED
#   RESERVED --cancel (payer, after `expires`, condition unmet)--> CANCELLED --release_reserve (rail)--> RELEASED
AWAITING_FUNDS, RESERVED, SETTLED, DECLINED = "AWAITING_FUNDS", "RESERVED", "SETTLED", "DECLINED"
CANCELLED, RELEASED = "CANCELLED", "RELEASED"

# -- conditions a conditional payment may wait for ----------------------------------------------------------
#   confirmed          {kind, by, what}: the organisation `by` confirms on chain (goods received, ...)
#   voucher_delivered  {kind, piece, to, amount}: the holder of receivables piece `piece` passed at
#                      least `amount` fen of it to `to` (delivery versus payment of a voucher)
CONDITION_KINDS = ("confirmed", "voucher_delivered")

MAX_BATCH = 500  # results one confirmation carries
RAIL_TYPES = ("PAYMENT_RAIL", "BANK")  # a bank is a rail when it has the `settlement` attribute


class Account(TypedDict):
    org: str
    rail: str
    account: str  # the account reference at the rail (an e-CNY wallet id, a bank account number)
    registered_at: int


class Instruction(TypedDict):
    id: str
    source: str  # the contract that instructed it (receivables, plans, products)
    ref: str  # what it pays, in the source's words (voucher:V-…, plan:P-…/3, ...)
    payer: str
    payee: str
    rail: str
    amount: int  # fen
    account: str | None  # the payee's account on the rail when instructed (None: none registered)
    status: str  # PENDING, PAID or FAILED
    created_at: int
    rail_ref: NotRequired[str]
    settled_at: NotRequired[int]
    failure: NotRequired[str]
    failures: NotRequired[int]


class Conditional(TypedDict):
    id: str
    payer: str
    payee: str
    rail: str
    amount: int
    condition: dict[str, Any]
    expires: int  # after this the payer may cancel a reserved payment whose condition is unmet
    status: str
    created_at: int
    confirmed_at: NotRequired[int]  # a `confirmed` condition: when its organisation confirmed
    reserve_ref: NotRequired[str]
    rail_ref: NotRequired[str]
    settled_at: NotRequired[int]
    reason: NotRequired[str]


def account_key(org: str, rail: str) -> str:
    return f"account/{org}/{rail}"


def instruction_key(ident: str) -> str:
    return f"instruction/{ident}"


def conditional_key(ident: str) -> str:
    return f"conditional/{ident}"
