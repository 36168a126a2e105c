"""The governance module's records: its configuration, the validator set, proposals and the validator changes
of each block, with the kinds of proposal and the states a proposal moves through.

State (under `governance/`):

    config               Config: {voting_period}
    validators           [Validator, ...] in key order: the current set
    proposal/<id>        Proposal: kind, params, proposer, electorate, votes {org: yes?}, need, status, error, result
    updates/<height>     [[key_type, pub_key hex, power], ...] in key order: validator changes of that block
    due/<day>, cursor    proposals whose voting period ends on that day (see contracts/deadlines.py)
"""

from __future__ import annotations

from typing import Any, TypedDict

from faechain.contracts.time import DAY

NAME = "governance"  # the contract's name: its state keys start with "governance/"

DEFAULT_VOTING_PERIOD = 7 * DAY
MIN_VOTING_PERIOD = 60
MAX_VOTING_PERIOD = 366 * DAY
MAX_VALIDATORS = 100
MAX_POWER = 10**12  # CometBFT caps the total voting power at 2^60; this keeps a long way below it
MAX_ELECTORATE = 1000
MAX_SUMMARY = 1000
MAX_PARAMETER = 8192  # characters of a text parameter, bytes of a byte-string one
KEY_TYPE = "ed25519"

# A proposal's states:
#   OPEN -(yes votes reach `need`, execution succeeds)-> EXECUTED
#   OPEN -(yes votes reach `need`, execution fails)-> PASSED -(execute succeeds)-> EXECUTED
#   OPEN -(no votes make `need` unreachable)-> REJECTED
#   OPEN or PASSED -(the voting period ends)-> EXPIRED
OPEN, EXECUTED, PASSED, REJECTED, EXPIRED = "OPEN", "EXECUTED", "PASSED", "REJECTED", "EXPIRED"

RULE_CONTRACTS = ("receivables", "supervision")  # the contracts whose rules a `set_rule` proposal changes

# The kinds of proposal: kind -> {parameter: (type or types, required)}; an admit_org's `ca` is the CA
# certificate as PEM (text or bytes) or DER bytes (membership.admit_by_vote reads either)
KINDS: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    "admit_org": {"org_id": (str, True), "name": (str, True), "type": (str, True), "ca": ((str, bytes), True),
                  "attributes": (dict, False)},
    "revoke_cert": {"cert_id": (str, True), "org_id": (str, False), "reason": (str, False)},
    "remove_org": {"org_id": (str, True), "reason": (str, False)},
    "set_threshold": {"rule": (str, True), "value": (int, True)},
    "set_rule": {"contract": (str, True), "rule": (str, True), "value": (int, True)},
    "set_validator": {"pub_key": (str, True), "power": (int, True), "name": (str, False), "org_id": (str, False)},
}


def need_for(electorate: int) -> int:
    """Yes votes that carry a proposal: two thirds of the electorate, rounded up."""
    return (2 * electorate + 2) // 3


# -- configuration and validators ------------------------------------------------------------------------
class Config(TypedDict):
    voting_period: int  # seconds


CONFIG_KEY = "config"


class Validator(TypedDict):
    pub_key: str  # hex
    key_type: str  # KEY_TYPE
    power: int
    name: str
    org_id: str | None  # the member organisation that runs it, if said


VALIDATORS_KEY = "validators"


def updates_key(height: int) -> str:
    """The validator changes executed in block `height`: [[key_type, pub_key hex, power], ...]."""
    return f"updates/{height}"


def validator_updates_key(height: int) -> bytes:
    """`governance/updates/<height>`, the full state key of the validator changes block `height`
    executed: the chain reports them as that block's `validator_updates` (faechain.chain.execution)."""
    return f"{NAME}/{updates_key(height)}".encode()


# -- proposals -------------------------------------------------------------------------------------------
class ExecutionError(TypedDict):
    """Why the execution of a proposal with its majority failed (it is PASSED, to be retried)."""

    code: str
    message: str


class Proposal(TypedDict):
    id: str
    kind: str  # one of KINDS
    params: dict[str, Any]  # checked against KINDS[kind]
    summary: str
    proposer: str  # organisation
    proposed_by: str  # the member who signed
    proposed_at: int
    expires: int  # the end of the voting period
    electorate: list[str]  # the ACTIVE organisations when it was made
    need: int  # need_for(len(electorate))
    votes: dict[str, bool]  # organisation -> yes?
    yes: int
    no: int
    status: str
    executed_at: int | None
    result: Any  # what the execution returned
    error: ExecutionError | None


def proposal_key(proposal_id: str) -> str:
    return f"proposal/{proposal_id}"
