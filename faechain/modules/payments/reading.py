"""Who may read each payments record and see each of its events (docs/confidentiality.md).

    account/<org>/<rail>     that organisation and that rail
    instruction/<id>         its payer, payee and rail
    conditional/<id>         its payer, payee and rail, and the organisation its condition names
The regulator and the exchange read all, as for every module.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.reading import KeyRule, org_of, read_by_kind
from faechain.contracts.runtime import QueryCtx
from faechain.modules.payments.records import Conditional, Instruction, conditional_key, instruction_key


def read_account(q: QueryCtx, rest: str) -> bool:
    org, _, rail = rest.partition("/")
    return org_of(q) in (org, rail)


def read_instruction(q: QueryCtx, ident: str) -> bool:
    ins: Instruction | None = q.state.get(instruction_key(ident))
    return ins is not None and org_of(q) in (ins["payer"], ins["payee"], ins["rail"])


def read_conditional(q: QueryCtx, ident: str) -> bool:
    cp: Conditional | None = q.state.get(conditional_key(ident))
    if cp is None:
        return False
    return org_of(q) in (cp["payer"], cp["payee"], cp["rail"], cp["condition"].get("by"))


RULES: dict[str, KeyRule] = {"account": read_account, "instruction": read_instruction,
                             "conditional": read_conditional}
INSTRUCTION_EVENTS = ("ClearingInstructed", "InstructionPaid", "InstructionFailed")


class ReadRules:
    def can_read(self, q: QueryCtx, key: str) -> bool:
        return read_by_kind(q, key, RULES)

    def event_subjects(self, type_: str, attrs: dict[str, Any]) -> tuple[str, ...]:
        if type_ == "AccountRegistered":
            return (f"account/{attrs.get('org')}/{attrs.get('rail')}",)
        if type_ in INSTRUCTION_EVENTS and isinstance(attrs.get("instruction"), str):
            return (instruction_key(attrs["instruction"]),)
        if isinstance(attrs.get("payment"), str):
            return (conditional_key(attrs["payment"]),)
        return ()
