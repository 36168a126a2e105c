"""The freeze registry: the regulator freezes or unfreezes any asset, with a reason.

Every module refuses to move a frozen asset (faechain/contracts/freeze.py is how they
ask). Each action is a transaction and is also kept in an action log with its reason.
A voucher's freeze is mirrored on the piece itself by the receivables contract, which
enforces it there; the receivables contract's own `freeze`/`unfreeze` report here
through `note_freeze`, so the two always agree.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import BadRequest, InvalidState, NotFound, Unauthorized, ensure
from faechain.contracts.freeze import KINDS
from faechain.contracts.runtime import Ctx, internal, tx
from faechain.modules.supervision.records import (
    ACTIONS,
    FREEZE,
    UNFREEZE,
    Action,
    FreezeState,
    action_key,
    frozen_key,
    unfrozen,
)

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


def existing_asset(ctx: Ctx, asset: str) -> tuple[str, str]:
    """(kind, id) of `asset`, which must name an asset that exists."""
    kind, _, ident = asset.partition(":")
    ensure(kind in KINDS and ident and len(asset) <= 200,
           BadRequest(f"an asset is <kind>:<id> with kind one of {', '.join(KINDS)}"))
    contract, key = ASSET_KEYS[kind]
    ensure(ctx.read(contract, key.format(id=ident)) is not None, NotFound(f"{asset} not found"))
    return kind, ident


def record_action(ctx: Ctx, asset: str, frozen: bool, reason: str) -> None:
    """Set the asset's freeze state and log the action (refused if it is already so)."""
    rec: FreezeState = ctx.state.get(frozen_key(asset)) or unfrozen(asset)
    ensure(rec["frozen"] != frozen, InvalidState(f"{asset} is {'already' if frozen else 'not'} frozen"))
    n = (ctx.state.get(ACTIONS) or 0) + 1
    rec["frozen"] = frozen
    rec["reason"] = reason
    rec["by"] = ctx.caller.org_id
    rec["at"] = ctx.time
    rec["actions"] = rec["actions"] + 1
    ctx.state.put(frozen_key(asset), rec)
    ctx.state.put(ACTIONS, n)
    action: Action = {"n": n, "action": FREEZE if frozen else UNFREEZE, "asset": asset, "reason": reason,
                      "by": ctx.caller.org_id, "at": ctx.time, "tx": ctx.tx_hash.hex()}
    ctx.state.put(action_key(n), action)
    ctx.emit("AssetFrozen" if frozen else "AssetUnfrozen", asset=asset, reason=reason)


class RegistrySteps:
    @tx
    def freeze(self, ctx: Ctx, asset: str, reason: str) -> dict[str, Any]:
        """The regulator freezes an asset: no module will move it until it is unfrozen."""
        return self._set(ctx, asset, True, reason)

    @tx
    def unfreeze(self, ctx: Ctx, asset: str, reason: str) -> dict[str, Any]:
        """The regulator lifts a freeze."""
        return self._set(ctx, asset, False, reason)

    def _set(self, ctx: Ctx, asset: str, frozen: bool, reason: str) -> dict[str, Any]:
        ensure(ctx.caller.role == "REGULATOR", Unauthorized("only the regulator freezes and unfreezes"))
        ensure(0 < len(reason) <= 500, BadRequest("a regulator action needs a reason (1-500 characters)"))
        kind, ident = existing_asset(ctx, asset)
        if kind == "voucher":  # the receivables contract keeps the piece's own flag, and checks it
            ctx.call("receivables", "set_frozen", id=ident, frozen=frozen, reason=reason)
        record_action(ctx, asset, frozen, reason)
        return {"asset": asset, "frozen": frozen}

    @internal
    def note_freeze(self, ctx: Ctx, asset: str, frozen: bool, reason: str) -> None:
        """The receivables contract reports a voucher freeze made through its own `freeze`."""
        ensure(ctx.via == "receivables" and asset.startswith("voucher:"),
               Unauthorized("only the receivables contract reports its voucher freezes"))
        record_action(ctx, asset, frozen, reason)
