"""What products shows, and to whom (the rules: `reading.py`, which the raw routes apply too).

    - the product's parties (originator, registrar, settlement bank), the exchange and the
      regulator see it in full: the register, collections and distributions;
    - a holder sees the product and its own holdings; a rating agency a product before it is
      offered, and one it rated;
    - an offered product (OPEN or later) shows qualified investors and rating agencies its terms
      (`OFFER_FIELDS`), not its holders or register;
    - a transfer is seen by its seller and buyer and by the product's parties;
    - a product the reader may not see is answered as not found, as one that does not exist.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import BadRequest, NotFound, ensure
from faechain.contracts.runtime import QueryCtx, query
from faechain.modules.products.reading import OFFER_FIELDS, offer_view, offered, party, reader
from faechain.modules.products.records import (
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
OFFER_SUMMARY = tuple(f for f in SUMMARY_FIELDS if f in OFFER_FIELDS)  # ... to an offered investor or agency


class Queries:
    @query
    def product(self, q: QueryCtx, id: str, prove: bool = False) -> dict[str, Any]:
        """A product: terms, ratings, tranches; the register and distributions for its parties."""
        p: Product | None = q.state.get(product_key(id))
        if p is None or not (reader(q, p) or offered(q, p)):
            raise NotFound(f"product {id!r} not found")
        if not reader(q, p):  # offered: its terms only (not provable without the record, which it may not read)
            return {"product": offer_view(p), **({"proofs": {}} if prove else {})}
        out: dict[str, Any] = {"product": p}
        if party(q, p):
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
        out = []
        for _, p in q.find("product", field, value):
            if status is not None and p["status"] != status:
                continue
            fields = SUMMARY_FIELDS if reader(q, p) else OFFER_SUMMARY if offered(q, p) else None
            if fields is not None:
                out.append({k: p[k] for k in fields} | {"rating": p["ratings"][-1] if p["ratings"] else None})
        return out

    @query
    def transfers(self, q: QueryCtx, product: str | None = None, status: str | None = None, seller: str | None = None,
                  buyer: str | None = None, limit: int = 200) -> list[Transfer]:
        """Negotiated transfers by product, seller, buyer or status, as far as the reader may see each
        (its seller and buyer, the product's parties, the exchange, the regulator): the registrar's list
        of accepted transfers to enter in the register, a buyer's of offers to accept."""
        given = [(f, v) for f, v in (("product", product), ("seller", seller), ("buyer", buyer), ("status", status))
                 if v is not None]
        ensure(given, BadRequest("give product, seller, buyer or status"))
        field, value = given[0]
        out: list[Transfer] = []
        for _, tr in q.find("transfer", field, value, 10_000):
            if any(tr[f] != v for f, v in given):
                continue
            if q.may_read(transfer_key(tr["id"])):
                out.append(tr)
            if len(out) >= max(1, min(limit, 1000)):
                break
        return out

    @query
    def transfer(self, q: QueryCtx, id: str) -> Transfer:
        """A negotiated transfer (its parties, the registrar, the exchange and the regulator)."""
        tr: Transfer | None = q.state.get(transfer_key(id))
        if tr is None or not q.may_read(transfer_key(id)):
            raise NotFound(f"transfer {id!r} not found")
        return tr
