"""The regulator's freezes of voucher pieces.

A voucher's freeze is kept twice: as the piece's (and, for a root, the root's) own flag,
which every step here enforces, and in the supervision contract's shared registry
(`supervision/frozen/voucher:<id>`). Either contract's `freeze`/`unfreeze` writes both, in
one transaction, so the two always agree.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import BadRequest, InvalidState, Unauthorized, ensure
from faechain.contracts.runtime import Ctx, internal, tx
from faechain.modules.receivables.pieces import load_root, load_voucher
from faechain.modules.receivables.records import root_key, voucher_key


class FreezeSteps:
    @tx
    def freeze(self, ctx: Ctx, id: str, reason: str) -> dict[str, Any]:
        """The regulator freezes a voucher piece (or, given a root id, the whole root).

        The same as `supervision.freeze(asset="voucher:<id>")`: both set the piece's
        flag, which this contract enforces, and the shared freeze registry.
        """
        ensure(ctx.caller.role == "REGULATOR", Unauthorized("only the regulator freezes"))
        ensure(0 < len(reason) <= 500, BadRequest("a freeze needs a reason (1-500 characters)"))
        out = self._set_frozen(ctx, id, True, reason)
        ctx.call("supervision", "note_freeze", asset=f"voucher:{id}", frozen=True, reason=reason)
        return out

    @tx
    def unfreeze(self, ctx: Ctx, id: str, reason: str) -> dict[str, Any]:
        """The regulator lifts a freeze (as `supervision.unfreeze` does)."""
        ensure(ctx.caller.role == "REGULATOR", Unauthorized("only the regulator unfreezes"))
        ensure(0 < len(reason) <= 500, BadRequest("an unfreeze needs a reason (1-500 characters)"))
        out = self._set_frozen(ctx, id, False, reason)
        ctx.call("supervision", "note_freeze", asset=f"voucher:{id}", frozen=False, reason=reason)
        return out

    @internal
    def set_frozen(self, ctx: Ctx, id: str, frozen: bool, reason: str) -> dict[str, Any]:
        """The supervision contract's freeze of `voucher:<id>` sets the piece's flag here."""
        ensure(ctx.via == "supervision", Unauthorized("only the supervision contract sets freezes"))
        return self._set_frozen(ctx, id, frozen, reason)

    def _set_frozen(self, ctx: Ctx, id: str, frozen: bool, reason: str) -> dict[str, Any]:
        v = load_voucher(ctx, id)
        ensure(v["frozen"] != frozen, InvalidState(f"voucher {id} is {'already' if frozen else 'not'} frozen"))
        v["frozen"] = frozen
        v["frozen_reason"] = reason
        ctx.state.put(voucher_key(id), v)
        if v["root"] == id:
            r = load_root(ctx, id)
            r["frozen"] = frozen
            ctx.state.put(root_key(id), r)
        ctx.emit("VoucherFrozen" if frozen else "VoucherUnfrozen", voucher=id, reason=reason)
        return {"voucher": id, "frozen": frozen}
