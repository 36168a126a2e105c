"""The risk rules' thresholds: the defaults (rules.DEFAULTS), overridden at genesis
(`contracts.supervision.rules`) or by a governance vote (`set_rule`, callable only by the
governance contract). A threshold of 0 switches its rule off."""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import BadRequest, Unauthorized, ensure
from faechain.contracts.runtime import INT64_MAX, ContractState, Ctx, internal
from faechain.modules.supervision import rules as risk
from faechain.modules.supervision.records import RULES


def thresholds(state: ContractState) -> dict[str, int]:
    """Every rule's threshold in force: its default unless overridden."""
    return {name: default for name, (default, _) in risk.DEFAULTS.items()} | (state.get(RULES) or {})


def check_genesis_rules(overrides: dict[str, Any]) -> None:
    """The genesis document's overrides name known rules and give each an integer >= 0."""
    for rule, value in overrides.items():
        ensure(rule in risk.DEFAULTS, BadRequest(f"genesis names an unknown risk rule {rule!r}"))
        ensure(type(value) is int and value >= 0, BadRequest(f"risk rule {rule} needs an integer >= 0"))


class ThresholdSteps:
    @internal
    def set_rule(self, ctx: Ctx, rule: str, value: int) -> dict[str, Any]:
        """A governance vote changes a risk threshold (0 switches the rule off)."""
        ensure(ctx.via == "governance", Unauthorized("risk thresholds change only by a governance vote"))
        ensure(rule in risk.DEFAULTS, BadRequest(f"unknown risk rule {rule!r}"))
        ensure(0 <= value <= INT64_MAX, BadRequest("a threshold is 0 .. 2^63-1"))
        overrides = dict(ctx.state.get(RULES) or {})
        old = thresholds(ctx.state)[rule]
        overrides[rule] = value
        ctx.state.put(RULES, dict(sorted(overrides.items())))
        ctx.emit("RuleChanged", rule=rule, old=old, new=value)
        return {"rule": rule, "value": value}
