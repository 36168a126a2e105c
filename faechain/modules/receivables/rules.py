"""The receivables rules as code: the limits the contract enforces, each with its default,
overridden at genesis (`contracts.receivables.rules`) or by a governance vote (`set_rule`,
callable only by the governance contract through a `set_rule` proposal).

The defaults are the rules of 77号文 (《关于规范发展供应链金融 支持供应链产业链稳定循环和优化升级
的通知》) and of the registration practice they rest on; the consortium may tighten or relax each
by a two-thirds vote, and every change is an event (`RuleChanged`) on chain.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import BadRequest, Unauthorized, ensure
from faechain.contracts.runtime import INT64_MAX, ContractState, Ctx, QueryCtx, internal, query
from faechain.modules.receivables.records import RULES_KEY

# rule -> (default, what its value means)
DEFAULTS: dict[str, tuple[int, str]] = {
    # 77号文: a voucher's tenor is at most one year
    "max_tenor_days": (365, "the longest tenor a voucher may be issued with, in days"),
    # 77号文 asks for tenors of 6 months by default: a longer one is issued, with a TenorWarning event
    "default_tenor_days": (183, "a voucher issued with a longer tenor (days) carries a TenorWarning"),
    # an invoice the tax service has not verified backs nothing by default (production); a demo or
    # test chain sets a cap at genesis so that it can run without a tax service
    "unverified_invoice_cap": (0, "fen an UNVERIFIED invoice may back in total (0: none until verified)"),
    "registration_before_funding": (1, "1 = a financing is funded only after the registry agent attests a "
                                       "matching registration and a clear search"),
    # 24% a year: the rate up to which the courts protect interest in private lending (最高人民法院
    # 《关于审理民间借贷案件适用法律若干问题的规定》, 2015-2020: 24% protected, 36% void beyond), the
    # ceiling most often cited for financing rates; above it a discount is a red flag, not a price
    "max_rate_bps": (2_400, "the highest yearly discount rate a financing may carry, in basis points"),
    # 77号文 forbids unreasonable fees on suppliers (不得收取不合理费用): a quote's fee beyond the discount
    # is capped at 1% of the amount financed unless the consortium votes otherwise
    "max_fee_bps": (100, "the highest fee a funder may quote, in basis points of the amount financed"),
}

RULE_NAMES = tuple(DEFAULTS)


def rules_in_force(state: ContractState) -> dict[str, int]:
    """Every rule's value in force: its default unless overridden."""
    return {name: default for name, (default, _) in DEFAULTS.items()} | (state.get(RULES_KEY) or {})


def rule(ctx: Ctx, name: str) -> int:
    """One rule's value in force."""
    return rules_in_force(ctx.state)[name]


def check_genesis_rules(overrides: dict[str, Any]) -> None:
    """The genesis document's overrides name known rules and give each an integer >= 0."""
    for name, value in overrides.items():
        ensure(name in DEFAULTS, BadRequest(f"genesis names an unknown receivables rule {name!r}"))
        ensure(type(value) is int and 0 <= value <= INT64_MAX,
               BadRequest(f"receivables rule {name} needs an integer >= 0"))


class RuleSteps:
    @internal
    def set_rule(self, ctx: Ctx, rule: str, value: int) -> dict[str, Any]:
        """A governance vote changes a receivables rule."""
        ensure(ctx.via == "governance", Unauthorized("receivables rules change only by a governance vote"))
        ensure(rule in DEFAULTS, BadRequest(f"unknown receivables rule {rule!r}; one of {', '.join(RULE_NAMES)}"))
        ensure(0 <= value <= INT64_MAX, BadRequest("a rule's value is 0 .. 2^63-1"))
        overrides = dict(ctx.state.get(RULES_KEY) or {})
        old = rules_in_force(ctx.state)[rule]
        overrides[rule] = value
        ctx.state.put(RULES_KEY, dict(sorted(overrides.items())))
        ctx.emit("RuleChanged", rule=rule, old=old, new=value)
        return {"rule": rule, "value": value}

    @query
    def rules(self, q: QueryCtx) -> dict[str, Any]:
        """The receivables rules: each value in force, its default and meaning (any member)."""
        current = rules_in_force(q.state)
        return {name: {"value": current[name], "default": default, "meaning": meaning}
                for name, (default, meaning) in DEFAULTS.items()}
