"""The `payments` contract: the payment leg, for every module (docs/outside-world.md).

The platform never holds money. It says what a payment rail should pay and records the
rail operator's signed confirmation that it did:

    register_account (any member)             the account it is paid at on a rail
    instruct (receivables, plans, products)   a clearing instruction: payer, payee, rail, amount, account
    confirm (the rail)                        a batch of results: PAID (the source's instruction_paid
                                              runs in the same transaction) or FAILED
    retry (the payee)                         a FAILED instruction is sent to the rail again
    create_conditional .. release_reserve     e-CNY conditional payments (conditional.py)

A rail is a PAYMENT_RAIL operator (a clearing institution, an e-CNY operator) or a bank with
the `settlement` attribute.

Where things are:

    records.py       the state keys and records, the states of instructions and conditional payments
    instructions.py  accounts, instruct, confirm, retry
    conditional.py   conditional payments and their conditions
    reading.py       who may read each record and see each event
    queries.py       account, instruction, instructions, conditional
"""

from __future__ import annotations

from faechain.contracts.runtime import Contract, register
from faechain.modules.payments.conditional import ConditionalSteps
from faechain.modules.payments.instructions import InstructionSteps
from faechain.modules.payments.queries import Queries
from faechain.modules.payments.reading import ReadRules


@register
class Payments(InstructionSteps, ConditionalSteps, Queries, ReadRules, Contract):
    name = "payments"
    indexes = {
        "instruction": ("payer", "payee", "rail", "source"),
        "conditional": ("payer", "payee", "rail"),
    }
