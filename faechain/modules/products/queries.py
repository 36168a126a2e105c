"""What products shows, and to whom.

Read rules:
    - the product's parties (originator, registrar, settlement bank), the exchange and the
      regulator see it in full: the register, collections and distributions; anonymous reads
      exist only on a dev chain on loopback;
    - a holder sees the product and its own holdings;
    - rating agencies see every product (they rate drafts);
    - an offered product (OPEN or later) is visible to qualified investors;
    - a transfer is seen by its seller and buyer and by whoever sees the product in full.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import BadRequest, NotFound, ensure
from faechain.contracts.roles import SEE_ALL
from faechain.contracts.runtime import QueryCtx, query
from faechain.modules.products.records import (
    DRAFT,
    FILED,
    RATED,
    Product,
    Transfer,
    collection_key,
    distribution_key,
    holding_key,
    product_key,
    transfer_key,
)

SUMMARY_FIELDS = ("id", "name", "originator", "status", "opens", "closes", "maturity", "collected",
                  "distributed")  # what a listing of products shows of each (and the latest rating)


class Queries:
    @query
    def product(self, q: QueryCtx, id: str, prove: bool = False) -> dict[str, Any]:
        """A product: terms, ratings, tranches; the register and distributions for its parties."""
        p: Product | None = q.state.get(product_key(id))
        if p is None or not _may_see(q, p):
            raise NotFound(f"product {id!r} not found")
        out: dict[str, Any] = {"product": p}
        if _party(q, p):
            out["holdings"] = [h for t in p["tranches"] for org in p["holders"]
                               if (h := q.state.get(holding_key(id, t["name"], org))) and h["units"]]
            out["distributions"] = [q.state.get(distribution_key(id, n)) for n in range(1, p["distributions"] + 1)]
            out["collections"] = [q.state.get(collection_key(id, n)) for n in range(1, p["collections"] + 1)]
        elif q.caller is not None and q.caller.org_id in p["holders"]:
            out["holdings"] = [h for t in p["tranches"]
                               if (h := q.state.get(holding_key(id, t["name"], q.caller.org_id)))]
        if prove:  # every record consulted, those left out of the register (no units) included
            keys = [product_key(id)]
            if "distributions" in out:
                keys += [holding_key(id, t["name"], org) for t in p["tranches"] for org in p["holders"]]
                keys += [distribution_key(id, n) for n in range(1, p["distributions"] + 1)]
                keys += [collection_key(id, n) for n in range(1, p["collections"] + 1)]
            elif "holdings" in out and q.caller is not None:
                keys += [holding_key(id, t["name"], q.caller.org_id) for t in p["tranches"]]
            out["proofs"] = {k: q.proof(k) for k in keys}
        return out

    @query
    def products(self, q: QueryCtx, status: str | None = None, originator: str | None = None,
                 holder: str | None = None) -> list[dict[str, Any]]:
        """Products by status, originator or holder, as far as the reader may see them."""
        given = [(f, v) for f, v in (("originator", originator), ("holders", holder), ("status", status))
                 if v is not None]
        ensure(given, BadRequest("give status, originator or holder"))
        field, value = given[0]
        return [{k: p[k] for k in SUMMARY_FIELDS} | {"rating": p["ratings"][-1] if p["ratings"] else None}
                for _, p in q.find("product", field, value) if _may_see(q, p)
                and (status is None or p["status"] == status)]

    @query
    def transfer(self, q: QueryCtx, id: str) -> Transfer:
        """A negotiated transfer (its parties, the registrar, the exchange and the regulator)."""
        tr: Transfer | None = q.state.get(transfer_key(id))
        if tr is None:
            raise NotFound(f"transfer {id!r} not found")
        p: Product = q.state.get(product_key(tr["product"]))
        if not (q.caller is None or _party(q, p) or q.caller.org_id in (tr["seller"], tr["buyer"])):
            raise NotFound(f"transfer {id!r} not found")
        return tr


# -- who sees what ---------------------------------------------------------------------------------


def _party(q: QueryCtx, p: Product) -> bool:
    """Parties, the exchange and the regulator see a product in full."""
    if q.caller is None or q.caller.role in SEE_ALL:
        return True  # anonymous reads exist only on a dev chain on loopback
    return q.caller.org_id in (p["originator"], p["registrar"], p["settlement_bank"])


def _may_see(q: QueryCtx, p: Product) -> bool:
    """Offered products (OPEN or later) are visible to qualified investors and rating agencies."""
    caller = q.caller
    if caller is None or _party(q, p) or caller.org_id in p["holders"] or caller.role == "RATING_AGENCY":
        return True
    return p["status"] not in (DRAFT, RATED, FILED) and caller.role == "INVESTOR" and caller.has("qualified")
