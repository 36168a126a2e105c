"""The supervision module's records: what it keeps in state and under which key.

State (under `supervision/`):

    frozen/<asset>      the asset's current freeze state and the regulator's reason        FreezeState
    action/<n>          the n-th regulator action: freeze or unfreeze, asset, reason, time, tx   Action
    actions             how many actions                                                     int
    rules               thresholds that differ from the defaults (rules.DEFAULTS)            dict[str, int]
    alert/<n>           the n-th alert: rule, subject, severity, height, time, evidence       AlertRecord
    alerts              how many alerts                                                      int
    once/<rule>/<subj>  alerts that fire once per subject (holder limits, concentration):
                        the height at which it fired                                         int

An asset is `<kind>:<id>` (faechain/contracts/freeze.py lists the kinds). The records
are plain dicts in state (canonical CBOR, keys sorted); the TypedDicts below say what
each holds, and the key functions are the only place a key is spelled out.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

ACTIONS = "actions"
ALERTS = "alerts"
RULES = "rules"

# an action's words
FREEZE, UNFREEZE = "freeze", "unfreeze"


class FreezeState(TypedDict):
    asset: str
    frozen: bool
    actions: int  # how many actions this asset has seen
    reason: NotRequired[str]  # the regulator's reason for the last action (none: never frozen)
    by: NotRequired[str]  # the regulator's organisation
    at: NotRequired[int]


class Action(TypedDict):
    n: int
    action: str  # FREEZE or UNFREEZE
    asset: str
    reason: str
    by: str
    at: int
    tx: str  # hex of the transaction's hash


class AlertRecord(TypedDict):
    n: int
    rule: str  # a key of rules.DEFAULTS
    subject: str  # an asset reference, or an organisation for reuse attempts
    severity: str  # "warning" or "critical"
    height: int
    time: int
    threshold: int  # the rule's threshold when it fired
    evidence: dict[str, Any]  # the facts that made it fire, with the transaction hash where there is one


def frozen_key(asset: str) -> str:
    return f"frozen/{asset}"


def action_key(n: int) -> str:
    return f"action/{n:08d}"


def alert_key(n: int) -> str:
    return f"alert/{n:010d}"


def once_key(rule: str, subject: str, payer: str | None = None) -> str:
    """The mark of a once-per-subject alert (per payer, for a payer's concentration)."""
    return f"once/{rule}/{subject}" + (f"/{payer}" if payer is not None else "")


def unfrozen(asset: str) -> FreezeState:
    """What the registry says of an asset never frozen."""
    return {"asset": asset, "frozen": False, "actions": 0}
