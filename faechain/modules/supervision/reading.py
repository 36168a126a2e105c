"""Who may read each supervision record and see each of its events: the one definition the
queries (`queries.py`, whose `asset_parties` names an asset's parties) and the raw routes
(`faechain.chain.visibility`) share (docs/confidentiality.md).

    frozen/<asset>      the asset's parties (the regulator's reason, who acted, when); any member
                        may still ask whether an asset is frozen (the `frozen` query's projection)
    action/<n>          the parties of the action's asset
    rules               every member (the thresholds in force)
    alert/<n>, alerts, actions, once/…
                        the regulator and the exchange only
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.reading import KeyRule, any_member, read_by_kind
from faechain.contracts.runtime import QueryCtx
from faechain.modules.supervision.queries import party_view
from faechain.modules.supervision.records import RULES, Action, frozen_key


def read_action(q: QueryCtx, n: str) -> bool:
    a: Action | None = q.state.get(f"action/{n}")  # `n` as the key spells it (`action_key`)
    return a is not None and party_view(q, a["asset"])


READ_RULES: dict[str, KeyRule] = {RULES: any_member, "frozen": party_view, "action": read_action}


class ReadRules:
    """The supervision contract's `can_read` and `event_subjects` (see the module docstring)."""

    def can_read(self, q: QueryCtx, key: str) -> bool:
        return read_by_kind(q, key, READ_RULES)

    def event_subjects(self, type_: str, attrs: dict[str, Any]) -> tuple[str, ...]:
        if type_ in ("AssetFrozen", "AssetUnfrozen") and isinstance(attrs.get("asset"), str):
            return (frozen_key(attrs["asset"]),)
        if type_ == "RuleChanged":
            return (RULES,)
        return ()

