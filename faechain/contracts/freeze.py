"""The regulator's freeze registry, as every module reads it.

The `supervision` contract keeps one record per asset the regulator has frozen
or unfrozen, under `supervision/frozen/<asset>`, where an asset reference is
`<kind>:<id>`:

    voucher:<voucher id>              a voucher piece, or given a root id, every piece of the root
    invoice:<code>-<number>           a registered invoice
    plan:<plan id>                    a debt financing plan
    package:<package id>              an NPA package
    product:<product id>              a revenue-sharing product
    holding:<product>/<tranche>/<org> one holder's units of a product tranche
    auction:<auction id>              an auction

A module calls `ensure_not_frozen(ctx, ref, ...)` before it moves an asset; the
regulator's reason is in the refusal.
"""

from __future__ import annotations

from faechain.contracts.errors import Frozen
from faechain.contracts.runtime import Ctx, QueryCtx

REGISTRY = "supervision"
KINDS = ("voucher", "invoice", "plan", "package", "product", "holding", "auction")


def frozen_reason(ctx: Ctx | QueryCtx, *refs: str) -> tuple[str, str] | None:
    """(ref, reason) of the first of `refs` that is frozen, else None. Works in queries too."""
    for ref in refs:
        rec = ctx.read(REGISTRY, f"frozen/{ref}")
        if rec is not None and rec["frozen"]:
            return ref, rec["reason"]
    return None


def ensure_not_frozen(ctx: Ctx, *refs: str) -> None:
    hit = frozen_reason(ctx, *refs)
    if hit is not None:
        raise Frozen(f"{hit[0]} is frozen by the regulator: {hit[1]}")
