"""The `supervision` contract: the regulator's freeze registry, risk alerts and thresholds (domain.md section 5).

- **Freeze registry.** The REGULATOR freezes or unfreezes any asset with a reason
  (`freeze(asset, reason)`, asset references in `faechain/contracts/freeze.py`).
  Every module refuses to move a frozen asset. Each action is a transaction and
  is also kept in an action log with its reason. A voucher's freeze is mirrored
  on the piece itself by the receivables contract, which enforces it there; the
  receivables contract's own `freeze`/`unfreeze` write this registry too, so the
  two always agree.
- **Risk rules** (`rules.py`) run in `end_block` over what the block did and raise
  alerts: an `Alert` event each (the regulator's live stream is
  `/v1/events?contract=supervision&type=Alert`) and an `alert/<n>` record (its history).
  Thresholds come from genesis (`contracts.supervision.rules`) and change only by
  a governance vote (`set_rule`, callable only by the governance contract).

Who does what:

    regulator                freeze, unfreeze
    receivables contract     note_freeze (a voucher frozen through `receivables.freeze`)
    governance contract      set_rule (a threshold changed by a vote)
    regulator, exchange      alerts, frozen_assets, the whole action log
    an asset's parties       why it is frozen (`frozen`), its actions (`actions`; see queries.py)
    any member               whether an asset is frozen, rules

Where things are:

    records.py      the state keys and records (TypedDicts)
    registry.py     freeze, unfreeze, note_freeze: the freeze registry and its action log
    rules.py        the risk rules: what in a block should reach the regulator as an alert
    thresholds.py   the rules' thresholds in force, and set_rule
    end_block.py    evaluating the rules over each block and keeping the alerts
    reading.py      who may read each record and see each event (the queries and the raw routes ask it)
    queries.py      the queries and who an asset's parties are
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.runtime import Contract, Ctx, register
from faechain.modules.supervision.end_block import EndOfBlock
from faechain.modules.supervision.queries import Queries
from faechain.modules.supervision.reading import ReadRules
from faechain.modules.supervision.records import RULES
from faechain.modules.supervision.registry import RegistrySteps
from faechain.modules.supervision.thresholds import ThresholdSteps, check_genesis_rules


@register
class Supervision(RegistrySteps, ThresholdSteps, Queries, ReadRules, EndOfBlock, Contract):
    name = "supervision"
    indexes = {"alert": ("rule", "subject", "severity"), "frozen": ("frozen",)}

    def genesis(self, ctx: Ctx, config: dict[str, Any]) -> None:
        """The genesis document may override thresholds (`contracts.supervision.rules`)."""
        overrides = config.get("rules") or {}
        check_genesis_rules(overrides)
        if overrides:
            ctx.state.put(RULES, dict(sorted(overrides.items())))
