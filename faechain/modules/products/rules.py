"""The checks and moves every products step shares: a product is loaded, checked and saved the same way
by all of them; the register's holder limit and the release of an underlying voucher live only here."""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import LimitExceeded, NotFound, Unauthorized, ensure
from faechain.contracts.freeze import ensure_not_frozen
from faechain.contracts.records import ensure_status
from faechain.contracts.runtime import Ctx
from faechain.modules.products.records import (
    MAX_HOLDERS,
    Holding,
    Product,
    Tranche,
    Underlying,
    holding_key,
    product_key,
    underlying_key,
)


def load_product(ctx: Ctx, product_id: str) -> Product:
    p: Product = ctx.state.require(product_key(product_id), "product")
    return p


def movable_product(ctx: Ctx, product_id: str) -> Product:
    """The product, for a step that moves it, its units or its money (refused while frozen)."""
    p = load_product(ctx, product_id)
    ensure_not_frozen(ctx, f"product:{product_id}")
    return p


def save_product(ctx: Ctx, p: Product) -> None:
    ctx.state.put(product_key(p["id"]), p)


def ensure_product_status(p: Product, *allowed: str) -> None:
    ensure_status("product", p, *allowed)


def tranche_of(p: Product, name: str) -> Tranche:
    t = next((t for t in p["tranches"] if t["name"] == name), None)
    if t is None:
        raise NotFound(f"product {p['id']} has no tranche {name!r}")
    return t


def qualified_investor(ctx: Ctx, org_id: str) -> dict[str, Any]:
    """The organisation record of `org_id`, an active member that is a qualified investor (a buyer)."""
    org: dict[str, Any] | None = ctx.read("membership", f"org/{org_id}")
    if org is None or org["status"] != "ACTIVE":
        raise NotFound(f"organisation {org_id!r} is not a member")
    ensure(org["type"] == "INVESTOR" and org["attributes"].get("qualified"),
           Unauthorized(f"{org_id} is not a qualified investor"))
    return org


def load_holding(ctx: Ctx, product: str, tranche: str, org: str) -> Holding:
    """`org`'s holding of a tranche: the register's record, or an empty one (not yet saved)."""
    h: Holding | None = ctx.state.get(holding_key(product, tranche, org))
    if h is None:
        h = {"product": product, "tranche": tranche, "holder": org, "units": 0, "acquired_at": None, "received": 0}
    return h


def add_holder(p: Product, org: str) -> None:
    """Put `org` on the product's holder list, refused beyond MAX_HOLDERS (a private placement)."""
    if org not in p["holders"]:
        ensure(len(p["holders"]) < MAX_HOLDERS, LimitExceeded(f"product {p['id']} has {MAX_HOLDERS} holders"))
        p["holders"] = sorted(p["holders"] + [org])


def release_underlying(ctx: Ctx, voucher: str) -> None:
    """Unlock an underlying voucher in receivables; its record stays, marked released."""
    u: Underlying = ctx.state.get(underlying_key(voucher))
    ctx.call("receivables", "unlock", id=voucher)
    u["released_at"] = ctx.time
    ctx.state.put(underlying_key(voucher), u)
