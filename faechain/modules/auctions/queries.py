"""What auctions shows, and to whom.

Read rules (`reading.py`, which the raw routes apply too): auctions are public to members,
as the ledger itself is: who bid what is on record (a sealed bid's price shows once revealed).
Margins are shown to the seller, the settlement bank, the exchange and the regulator, and to
each bidder its own.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import BadRequest, NotFound, ensure
from faechain.contracts.runtime import QueryCtx, query
from faechain.modules.auctions.records import OPEN, Auction, Margin, auction_key, bid_key, margin_key
from faechain.modules.auctions.rules import current_price

LISTED_FIELDS = ("id", "asset", "seller", "mode", "status", "start", "end", "reserve", "margin", "bids", "winner",
                 "price")  # what a listing shows of each auction


class Queries:
    @query
    def auction(self, q: QueryCtx, id: str, prove: bool = False) -> dict[str, Any]:
        """An auction with its full bid history (a sealed bid's price shows once revealed).

        Auctions are public to members, as the ledger itself is: who bid what is on
        record. Margins are shown in full to the seller, the exchange and the
        regulator, and to each bidder its own.
        """
        a: Auction | None = q.state.get(auction_key(id))
        if a is None or not q.may_read(auction_key(id)):
            raise NotFound(f"auction {id!r} not found")
        view: dict[str, Any] = dict(a)
        if a["status"] == OPEN:
            view["current_price"] = current_price(a, q.time)
        margins: list[Margin] = [q.state.get(margin_key(id, org)) for org in a["bidders"]]
        out: dict[str, Any] = {
            "auction": view,
            "bids": [q.state.get(bid_key(id, n)) for n in range(1, a["bids"] + 1)],
            "margins": [m for m in margins if q.may_read(margin_key(id, m["bidder"]))],
        }
        if prove:
            proofs = {auction_key(id): q.proof(auction_key(id))}
            proofs.update({bid_key(id, n): q.proof(bid_key(id, n)) for n in range(1, a["bids"] + 1)})
            proofs.update({margin_key(id, m["bidder"]): q.proof(margin_key(id, m["bidder"])) for m in out["margins"]})
            out["proofs"] = proofs
        return out

    @query
    def auctions(self, q: QueryCtx, asset: str | None = None, seller: str | None = None, status: str | None = None,
                 limit: int = 200) -> list[Any]:
        """Auctions by asset, seller or status (auctions are public to members)."""
        given = [(f, v) for f, v in (("asset", asset), ("seller", seller), ("status", status)) if v is not None]
        ensure(given, BadRequest("give asset, seller or status"))
        field, value = given[0]
        out = []
        for _, a in q.find("auction", field, value, max(1, min(limit, 1000))):
            if (status is None or a["status"] == status) and q.may_read(auction_key(a["id"])):
                out.append({k: a[k] for k in LISTED_FIELDS})
        return out
