"""Who may read each products record and see each of its events: the one definition the queries
(`queries.py`) and the raw routes (`faechain.chain.visibility`) share (docs/confidentiality.md).

    product/<id>                  its parties (originator, registrar, settlement bank), its holders, and
                                  rating agencies before it is offered (they rate drafts) or that rated it
    underlying/<voucher>          the product's parties; so too the locked voucher (`lock_entry`)
    collection/<id>/<n>, distribution/<id>/<n> (allocations per holder)
                                  the product's parties
    sub/<id>/<tranche>/<org>, holding/<id>/<tranche>/<org>
                                  that investor and the product's parties
    transfer/<id>                 its seller and buyer, the product's parties

An offered product (OPEN or later) shows a qualified investor outside it its terms
(`OFFER_FIELDS`), a projection the queries make, not the product record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from faechain.contracts.reading import KeyRule, by_record, read_by_kind
from faechain.contracts.reading import org_of as _org
from faechain.contracts.runtime import QueryCtx, sees_all
from faechain.modules.products.records import (
    DRAFT,
    FILED,
    RATED,
    Product,
    Transfer,
    Underlying,
    distribution_key,
    product_key,
    subscription_key,
    transfer_key,
    underlying_key,
)

PARTY_FIELDS = ("originator", "registrar", "settlement_bank")
# what an offered product shows a qualified investor outside it: its terms, not its register or totals (nor
# what is subscribed: read at two heights, a total tells one investor's subscription)
OFFER_FIELDS = ("id", "name", "originator", "registrar", "settlement_bank", "status", "tranches", "min_ticket",
                "term_days", "fee_bps", "ratings", "approval", "opens", "closes", "established_at", "maturity")
TRANCHE_TERMS = ("name", "size", "coupon_bps", "priority")  # of each tranche, in an offer
PRODUCT_EVENTS = ("ProductCreated", "UnderlyingAdded", "ProductRated", "ProductFiled", "ProductOpen",
                  "ProductFailed", "ProductEstablished", "ProductFunded", "ProductMatured", "ProductDefaulted",
                  "ProductClosed")
TRANSFER_EVENTS = ("TransferProposed", "TransferAccepted", "TransferCancelled", "TransferRegistered")


def party(q: QueryCtx, p: Product) -> bool:
    """The product's parties (and the regulator and the exchange) see it in full."""
    return sees_all(q.caller) or (bool(_org(q)) and _org(q) in [p[f] for f in PARTY_FIELDS])  # type: ignore[literal-required]


def rating_agency(q: QueryCtx, p: Product) -> bool:
    """A rating agency reads a product before it is offered (any agency may be asked to rate a
    draft), and one it has rated."""
    c = q.caller
    return (c is not None and c.role == "RATING_AGENCY"
            and (p["status"] in (DRAFT, RATED, FILED) or any(r["agency"] == c.org_id for r in p["ratings"])))


def reader(q: QueryCtx, p: Product) -> bool:
    """Its parties, its holders and (see `rating_agency`) rating agencies read the product record."""
    return party(q, p) or (bool(_org(q)) and (_org(q) in p["holders"] or rating_agency(q, p)))


def offered(q: QueryCtx, p: Product) -> bool:
    """An offered product (OPEN or later) shows qualified investors and rating agencies its terms."""
    c = q.caller
    return (p["status"] not in (DRAFT, RATED, FILED) and c is not None
            and (c.role == "RATING_AGENCY" or (c.role == "INVESTOR" and c.has("qualified"))))


def offer_view(p: Product) -> dict[str, Any]:
    out: dict[str, Any] = {k: p[k] for k in OFFER_FIELDS}  # type: ignore[literal-required]
    out["tranches"] = [{k: t[k] for k in TRANCHE_TERMS} for t in p["tranches"]]  # type: ignore[literal-required]
    return out


def _product(q: QueryCtx, product_id: str) -> Product | None:
    p: Product | None = q.state.get(product_key(product_id))
    return p


def _by_product(test: Callable[[QueryCtx, Product], bool]) -> KeyRule:
    """A rule for keys `<kind>/<product>/...`: as the product is read by `test`."""
    return by_record(_product, test)


def read_own(q: QueryCtx, rest: str) -> bool:
    """`sub/<id>/<tranche>/<org>`, `holding/<id>/<tranche>/<org>`: that investor and the parties."""
    product_id, _, tail = rest.partition("/")
    p = _product(q, product_id)
    return p is not None and (party(q, p) or _org(q) == tail.rsplit("/", 1)[-1])


def read_underlying(q: QueryCtx, voucher: str) -> bool:
    u: Underlying | None = q.state.get(underlying_key(voucher))
    p = _product(q, u["product"]) if u is not None else None
    return p is not None and party(q, p)


def read_transfer(q: QueryCtx, transfer_id: str) -> bool:
    tr: Transfer | None = q.state.get(transfer_key(transfer_id))
    p = _product(q, tr["product"]) if tr is not None else None
    return tr is not None and p is not None and (party(q, p) or _org(q) in (tr["seller"], tr["buyer"]))


RULES: dict[str, KeyRule] = {
    "product": _by_product(reader), "underlying": read_underlying, "collection": _by_product(party),
    "distribution": _by_product(party), "sub": read_own, "holding": read_own, "transfer": read_transfer,
}


class ReadRules:
    """The products contract's `can_read`, `event_subjects` and `lock_entry` (see the module docstring)."""

    def can_read(self, q: QueryCtx, key: str) -> bool:
        return read_by_kind(q, key, RULES)

    def event_subjects(self, type_: str, attrs: dict[str, Any]) -> tuple[str, ...]:
        if type_ in TRANSFER_EVENTS and isinstance(attrs.get("transfer"), str):
            return (transfer_key(attrs["transfer"]),)
        product = attrs.get("product")
        if not isinstance(product, str):
            return ()
        if type_ in PRODUCT_EVENTS:
            return (product_key(product),)
        if type_ == "ProductSubscribed" and isinstance(attrs.get("tranche"), str) \
                and isinstance(attrs.get("investor"), str):
            return (subscription_key(product, attrs["tranche"], attrs["investor"]),)
        if type_ in ("DistributionMade", "DistributionLegPaid") and isinstance(attrs.get("n"), int):
            return (distribution_key(product, attrs["n"]),)
        if type_ == "CollectionCredited" and isinstance(attrs.get("voucher"), str):
            return (underlying_key(attrs["voucher"]),)
        return ()

    def lock_entry(self, kind: str, asset_id: str) -> str | None:
        return underlying_key(asset_id) if kind == "voucher" else None
