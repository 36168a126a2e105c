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

State (under `supervision/`):

    frozen/<asset>      {asset, frozen, reason, by, at, actions}: the asset's current freeze state
    action/<n>          the n-th regulator action: freeze or unfreeze, asset, reason, time, tx
    actions             how many actions
    rules               thresholds that differ from the defaults
    alert/<n>           the n-th alert: rule, subject, severity, height, time, evidence
    alerts              how many alerts
    once/<rule>/<subj>  alerts that fire once per subject (holder limits, concentration)
"""

from __future__ import annotations

from faechain.contracts.errors import BadRequest, InvalidState, NotFound, Unauthorized, ensure
from faechain.contracts.freeze import KINDS
from faechain.contracts.runtime import Contract, Ctx, QueryCtx, internal, query, register, tx
from faechain.modules.supervision import rules as risk

SEE_ALERTS = frozenset({"REGULATOR", "EXCHANGE"})
ONCE = frozenset({"holders_near_limit", "holders_at_limit", "payer_concentration"})
MAX_ALERTS_PER_BLOCK = 1000

# where each kind of asset lives, to refuse freezing what does not exist
ASSET_KEYS = {
    "voucher": ("receivables", "voucher/{id}"),
    "invoice": ("receivables", "invoice/{id}"),
    "plan": ("plans", "plan/{id}"),
    "package": ("npa", "package/{id}"),
    "product": ("products", "product/{id}"),
    "holding": ("products", "holding/{id}"),
    "auction": ("auctions", "auction/{id}"),
}


def _asset(ctx: Ctx, asset: str) -> tuple[str, str]:
    kind, _, ident = asset.partition(":")
    ensure(kind in KINDS and ident and len(asset) <= 200,
           BadRequest(f"an asset is <kind>:<id> with kind one of {', '.join(KINDS)}"))
    contract, key = ASSET_KEYS[kind]
    ensure(ctx.read(contract, key.format(id=ident)) is not None, NotFound(f"{asset} not found"))
    return kind, ident


def _reason(reason: str) -> str:
    ensure(0 < len(reason) <= 500, BadRequest("a regulator action needs a reason (1-500 characters)"))
    return reason


def _rules(state) -> dict[str, int]:
    return {name: default for name, (default, _) in risk.DEFAULTS.items()} | (state.get("rules") or {})


@register
class Supervision(Contract):
    name = "supervision"
    indexes = {"alert": ("rule", "subject", "severity"), "frozen": ("frozen",)}

    def genesis(self, ctx: Ctx, config: dict) -> None:
        overrides = config.get("rules") or {}
        for rule, value in overrides.items():
            ensure(rule in risk.DEFAULTS, BadRequest(f"genesis names an unknown risk rule {rule!r}"))
            ensure(type(value) is int and value >= 0, BadRequest(f"risk rule {rule} needs an integer >= 0"))
        if overrides:
            ctx.state.put("rules", dict(sorted(overrides.items())))

    # -- the freeze registry ----------------------------------------------------------------------
    @tx
    def freeze(self, ctx: Ctx, asset: str, reason: str) -> dict:
        """The regulator freezes an asset: no module will move it until it is unfrozen."""
        return self._set(ctx, asset, True, reason)

    @tx
    def unfreeze(self, ctx: Ctx, asset: str, reason: str) -> dict:
        """The regulator lifts a freeze."""
        return self._set(ctx, asset, False, reason)

    def _set(self, ctx: Ctx, asset: str, frozen: bool, reason: str) -> dict:
        ensure(ctx.caller.role == "REGULATOR", Unauthorized("only the regulator freezes and unfreezes"))
        _reason(reason)
        kind, ident = _asset(ctx, asset)
        if kind == "voucher":  # the receivables contract keeps the piece's own flag, and checks it
            ctx.call("receivables", "set_frozen", id=ident, frozen=frozen, reason=reason)
        self._record(ctx, asset, frozen, reason)
        return {"asset": asset, "frozen": frozen}

    @internal
    def note_freeze(self, ctx: Ctx, asset: str, frozen: bool, reason: str) -> None:
        """The receivables contract reports a voucher freeze made through its own `freeze`."""
        ensure(ctx.via == "receivables" and asset.startswith("voucher:"),
               Unauthorized("only the receivables contract reports its voucher freezes"))
        self._record(ctx, asset, frozen, reason)

    def _record(self, ctx: Ctx, asset: str, frozen: bool, reason: str) -> None:
        rec = ctx.state.get(f"frozen/{asset}") or {"asset": asset, "frozen": False, "actions": 0}
        ensure(rec["frozen"] != frozen, InvalidState(f"{asset} is {'already' if frozen else 'not'} frozen"))
        n = (ctx.state.get("actions") or 0) + 1
        rec.update(frozen=frozen, reason=reason, by=ctx.caller.org_id, at=ctx.time, actions=rec["actions"] + 1)
        ctx.state.put(f"frozen/{asset}", rec)
        ctx.state.put("actions", n)
        ctx.state.put(f"action/{n:08d}", {"n": n, "action": "freeze" if frozen else "unfreeze", "asset": asset,
                                          "reason": reason, "by": ctx.caller.org_id, "at": ctx.time,
                                          "tx": ctx.tx_hash.hex()})
        ctx.emit("AssetFrozen" if frozen else "AssetUnfrozen", asset=asset, reason=reason)

    # -- thresholds -----------------------------------------------------------------------------------
    @internal
    def set_rule(self, ctx: Ctx, rule: str, value: int) -> dict:
        """A governance vote changes a risk threshold (0 switches the rule off)."""
        ensure(ctx.via == "governance", Unauthorized("risk thresholds change only by a governance vote"))
        ensure(rule in risk.DEFAULTS, BadRequest(f"unknown risk rule {rule!r}"))
        ensure(0 <= value <= 2**63 - 1, BadRequest("a threshold is 0 .. 2^63-1"))
        overrides = dict(ctx.state.get("rules") or {})
        old = _rules(ctx.state)[rule]
        overrides[rule] = value
        ctx.state.put("rules", dict(sorted(overrides.items())))
        ctx.emit("RuleChanged", rule=rule, old=old, new=value)
        return {"rule": rule, "value": value}

    # -- alerts ---------------------------------------------------------------------------------------
    def end_block(self, ctx: Ctx) -> None:
        """Evaluate the risk rules over the block: each firing is an alert with its evidence."""
        if not ctx.block.txs and not ctx.block.events:
            return  # the common idle block: nothing read
        thresholds = _rules(ctx.state)
        count = ctx.state.get("alerts") or 0
        raised = 0
        for rule, subject, severity, evidence in risk.evaluate(ctx, thresholds, ctx.read):
            if rule in ONCE:
                key = f"once/{rule}/{subject}" + (f"/{evidence['payer']}" if "payer" in evidence else "")
                if ctx.state.has(key):
                    continue
                ctx.state.put(key, ctx.height)
            if raised >= MAX_ALERTS_PER_BLOCK:
                break
            count += 1
            raised += 1
            alert = {"n": count, "rule": rule, "subject": subject, "severity": severity, "height": ctx.height,
                     "time": ctx.time, "threshold": thresholds[rule], "evidence": evidence}
            ctx.state.put(f"alert/{count:010d}", alert)
            ctx.emit("Alert", **alert)
        if raised:
            ctx.state.put("alerts", count)

    # -- queries --------------------------------------------------------------------------------------
    @query
    def alerts(self, q: QueryCtx, rule: str | None = None, subject: str | None = None, since: int = 0,
               limit: int = 200) -> list:
        """Alert history, newest last: all, or by rule or subject, from alert number `since` on."""
        _regulator_view(q)
        limit = max(1, min(limit, 1000))
        if rule is None and subject is None:
            total = q.state.get("alerts") or 0
            first = max(since, 1)
            return [q.state.get(f"alert/{n:010d}") for n in range(first, min(total, first + limit - 1) + 1)]
        field, value = ("rule", rule) if rule is not None else ("subject", subject)
        found = [a for _, a in q.find("alert", field, value, 100_000) if a["n"] >= since
                 and (rule is None or a["rule"] == rule) and (subject is None or a["subject"] == subject)]
        return sorted(found, key=lambda a: a["n"])[:limit]

    @query
    def frozen(self, q: QueryCtx, asset: str) -> dict:
        """An asset's freeze state and the regulator's reason (any member may ask why its asset is stuck)."""
        rec = q.state.get(f"frozen/{asset}")
        return rec or {"asset": asset, "frozen": False, "actions": 0}

    @query
    def frozen_assets(self, q: QueryCtx) -> list:
        """Every asset frozen now."""
        _regulator_view(q)
        return [rec for _, rec in q.find("frozen", "frozen", "True", 100_000)]

    @query
    def actions(self, q: QueryCtx, since: int = 1, limit: int = 200) -> list:
        """The regulator's actions with their reasons, oldest first."""
        total = q.state.get("actions") or 0
        first = max(1, since)
        return [q.state.get(f"action/{n:08d}") for n in range(first, min(total, first + max(1, min(limit, 1000)) - 1) + 1)]

    @query
    def rules(self, q: QueryCtx) -> dict:
        """The risk rules: each threshold in force, its default and meaning."""
        current = _rules(q.state)
        return {name: {"value": current[name], "default": default, "meaning": meaning}
                for name, (default, meaning) in risk.DEFAULTS.items()}


def _regulator_view(q: QueryCtx) -> None:
    if q.caller is not None and q.caller.role not in SEE_ALERTS:
        raise Unauthorized("alerts are for the regulator and the exchange")
