"""The `auctions` contract: a bidding engine any listed asset can use (domain.md section 3).

Another contract (the owner, e.g. `npa` for a loan package) opens an auction
through `ctx.call("auctions", "open", ...)`. Bidders register and the settlement
bank confirms their margins; only a bidder whose margin is RECEIVED may bid.
Every bid is a transaction each validator checks against the rules, so neither a
bidder nor the organiser can alter the record. All deadlines are block time.

Modes:

- `english`: ascending. The first bid is at least the start price, every bid beats
  the current one by a whole number of increments, a bidder does not outbid itself,
  and a bid within `extend_window` seconds of the end moves the end to `extend_by`
  seconds after the bid. At the end the best bid wins if it reaches the reserve.
- `sealed`: before `end` each bidder commits `bid_digest(auction, bidder, price,
  salt)` (see `faechain/crypto/sealed_bid.py`); from `end` to `reveal_end` it reveals price and salt.
  A reveal that does not match is refused; an unrevealed commit is void. The
  highest revealed price at or above the reserve wins; ties go to the earliest commit.
- `dutch`: the price starts at `start_price` and falls by `step` every `interval`
  seconds down to the reserve; the first bidder to `accept` wins at the current price.

After the award the winner pays the balance (price minus its margin) by `pay_by`:
the settlement bank's confirmation applies the margin and settles the auction.
Losers' margins are refunded at the award; a winner who does not pay forfeits its
margin and the owner gets the asset back for relisting. An auction without a valid
bid fails and every margin is refunded. Margins never received are cancelled. So
every margin that was received ends APPLIED, REFUNDED or FORFEITED.

The owner hears of each outcome in the same transaction or block, through its
`@internal` methods `auction_started`, `auction_awarded`, `auction_failed`,
`auction_paid` and `auction_defaulted` (each should check `ctx.via == "auctions"`).

State (under `auctions/`):

    auction/<id>            terms, status, best bid (english), winner, price, deadlines
    bid/<id>/<n>            the n-th bid (english price / sealed commit and reveal / dutch acceptance)
    margin/<id>/<org>       a registered bidder's margin
    due/<day>, cursor       deadlines for end_block (see faechain/contracts/deadlines.py)
"""

from __future__ import annotations

import re

from faechain.contracts.deadlines import Deadlines
from faechain.contracts.errors import (
    BadRequest,
    Duplicate,
    Expired,
    InvalidState,
    LimitExceeded,
    NotFound,
    Unauthorized,
    ensure,
)
from faechain.contracts.freeze import ensure_not_frozen
from faechain.contracts.money import MAX_AMOUNT
from faechain.contracts.runtime import Contract, Ctx, QueryCtx, internal, query, register, tx
from faechain.crypto.sealed_bid import MIN_SALT, bid_digest

DAY = 86_400
MAX_BIDDERS = 200
MAX_DURATION = 90 * DAY
MAX_EXTENSION = 3600
START_SLACK = 300
HEX64 = re.compile(r"^[0-9a-f]{64}$")
MODES = ("english", "sealed", "dutch")
BIDDER_TYPES = ("AMC", "INVESTOR", "FACTOR", "BANK", "INTERMEDIARY", "CORE_ENTERPRISE")
SEE_ALL = frozenset({"REGULATOR", "EXCHANGE"})

# auction states
OPEN, AWARDED, SETTLED, FAILED, DEFAULTED, CANCELLED = "OPEN", "AWARDED", "SETTLED", "FAILED", "DEFAULTED", "CANCELLED"
# margin states
DUE, RECEIVED, APPLIED, REFUNDED, FORFEITED = "DUE", "RECEIVED", "APPLIED", "REFUNDED", "FORFEITED"
MARGIN_CANCELLED = "CANCELLED"  # never received: no money to return


def _auction(ctx: Ctx, auction_id: str) -> dict:
    a = ctx.state.get(f"auction/{auction_id}")
    ensure(a is not None, NotFound(f"auction {auction_id!r} not found"))
    return a


def _live_auction(ctx: Ctx, auction_id: str) -> dict:
    """The auction, for a step of its bidding or settlement: refused while the regulator has
    frozen the auction or the asset it sells (deadlines still run; see the README)."""
    a = _auction(ctx, auction_id)
    ensure_not_frozen(ctx, f"auction:{auction_id}", a["asset"])
    return a


def _save(ctx: Ctx, a: dict) -> None:
    ctx.state.put(f"auction/{a['id']}", a)


def _fen(value: int, what: str, minimum: int = 1) -> int:
    ensure(minimum <= value <= MAX_AMOUNT, BadRequest(f"{what} must be {minimum} .. 2^63-1 fen"))
    return value


def _bidding_window(ctx: Ctx, a: dict, mode: str) -> None:
    ensure(a["mode"] == mode, InvalidState(f"auction {a['id']} is a {a['mode']} auction"))
    ensure(a["status"] == OPEN, InvalidState(f"auction {a['id']} is {a['status']}"))
    ensure(ctx.time >= a["start"], InvalidState(f"auction {a['id']} opens at {a['start']}"))
    ensure(ctx.time < a["end"], Expired(f"bidding on auction {a['id']} closed at {a['end']}"))


def _bidder(ctx: Ctx, a: dict) -> dict:
    """The caller's margin record, which must be RECEIVED for it to bid."""
    m = ctx.state.get(f"margin/{a['id']}/{ctx.caller.org_id}")
    ensure(m is not None, Unauthorized(f"{ctx.caller.org_id} is not registered for auction {a['id']}"))
    ensure(m["status"] == RECEIVED, Unauthorized(f"the margin of {ctx.caller.org_id} is {m['status']}, not RECEIVED"))
    return m


def _record_bid(ctx: Ctx, a: dict, bidder: str, **fields) -> int:
    a["bids"] += 1
    n = a["bids"]
    ctx.state.put(f"bid/{a['id']}/{n:05d}", {"auction": a["id"], "n": n, "bidder": bidder, "time": ctx.time,
                                              "height": ctx.height, **fields})
    if not a["started"]:
        a["started"] = True
        ctx.call(a["owner"], "auction_started", auction=a["id"], asset=a["asset"])
    return n


def dutch_price(a: dict, t: int) -> int:
    """The descending price at time t: falls by `step` each whole `interval`, never below the reserve."""
    steps = max(0, t - a["start"]) // a["interval"]
    return max(a["reserve"], a["start_price"] - steps * a["step"])


@register
class Auctions(Contract):
    name = "auctions"
    indexes = {"auction": ("asset", "seller", "owner", "status", "mode")}

    # -- opening (by the owning contract) -----------------------------------------------------
    @internal
    def open(self, ctx: Ctx, asset: str, seller: str, mode: str, start: int, end: int, reserve: int, margin: int,
             settlement_bank: str, start_price: int, increment: int = 0, extend_window: int = 0,
             extend_by: int = 0, reveal_end: int = 0, step: int = 0, interval: int = 0,
             pay_days: int = 10) -> dict:
        """Open an auction of `asset` for its owner (the calling contract)."""
        ensure(ctx.via is not None, Unauthorized("auctions are opened by the contract that owns the asset"))
        ensure(0 < len(asset) <= 128, BadRequest("asset must be 1-128 characters"))
        ensure(mode in MODES, BadRequest(f"mode must be one of {', '.join(MODES)}"))
        # a start a few minutes gone (the time the listing took to reach a block) means "now"
        ensure(ctx.time - START_SLACK <= start < end,
               BadRequest("an auction must start now or later and end after it starts"))
        start = max(start, ctx.time)
        ensure(end - start <= MAX_DURATION, BadRequest("an auction lasts at most 90 days"))
        _fen(reserve, "reserve")
        _fen(margin, "margin")
        _fen(start_price, "start_price")
        ensure(1 <= pay_days <= 90, BadRequest("pay_days must be 1 .. 90"))
        bank = ctx.read("membership", f"org/{settlement_bank}")
        ensure(bank is not None and bank["status"] == "ACTIVE" and bank["type"] == "BANK"
               and bank["attributes"].get("settlement"), BadRequest(f"{settlement_bank} is not a settlement bank"))
        closes = end
        if mode == "english":
            _fen(increment, "increment")
            ensure(0 <= extend_window <= MAX_EXTENSION and 0 <= extend_by <= MAX_EXTENSION,
                   BadRequest(f"extend_window and extend_by must be 0 .. {MAX_EXTENSION} seconds"))
        elif mode == "sealed":
            ensure(end < reveal_end <= end + 7 * DAY, BadRequest("reveal_end must fall within 7 days after end"))
            closes = reveal_end
        else:
            ensure(start_price >= reserve, BadRequest("a dutch auction starts at or above its reserve"))
            _fen(step, "step")
            ensure(60 <= interval <= DAY, BadRequest("interval must be 60 .. 86400 seconds"))
        aid = ctx.new_id("A")
        a = {
            "id": aid, "asset": asset, "owner": ctx.via, "seller": seller, "mode": mode, "status": OPEN,
            "start": start, "end": end, "reserve": reserve, "margin": margin, "settlement_bank": settlement_bank,
            "start_price": start_price, "increment": increment, "extend_window": extend_window,
            "extend_by": extend_by, "reveal_end": reveal_end if mode == "sealed" else None, "step": step,
            "interval": interval, "pay_days": pay_days, "bidders": [], "bids": 0, "started": False, "best": None,
            "extensions": 0, "winner": None, "price": None, "awarded_at": None, "pay_by": None, "payment": None,
            "outcome": None, "opened_at": ctx.time,
        }
        _save(ctx, a)
        Deadlines(ctx.state).add(closes, "close", aid)
        ctx.emit("AuctionOpened", auction=aid, asset=asset, seller=seller, mode=mode, start=start, end=end,
                 reserve=reserve, margin=margin)
        return {"auction": aid}

    @internal
    def cancel(self, ctx: Ctx, auction: str, reason: str) -> dict:
        """The owner withdraws an auction nobody has bid in yet; received margins are refunded."""
        a = _auction(ctx, auction)
        ensure(ctx.via == a["owner"], Unauthorized(f"only {a['owner']} cancels auction {auction}"))
        ensure(a["status"] == OPEN and not a["started"], InvalidState(f"auction {auction} has bids or is closed"))
        self._release_margins(ctx, a, keep=None)
        a.update(status=CANCELLED, outcome=reason[:500])
        _save(ctx, a)
        ctx.emit("AuctionCancelled", auction=auction, asset=a["asset"], reason=reason[:500])
        return {"auction": auction}

    # -- bidders and margins ------------------------------------------------------------------------
    @tx
    def register(self, ctx: Ctx, auction: str) -> dict:
        """A prospective bidder registers; its margin falls due (paid to the settlement bank)."""
        a = _live_auction(ctx, auction)
        who = ctx.caller.org_id
        ensure(who != a["seller"], Unauthorized("the seller cannot bid for its own asset"))
        ensure(ctx.caller.role in BIDDER_TYPES, Unauthorized(f"a {ctx.caller.role} cannot bid"))
        ensure(ctx.caller.role != "INVESTOR" or ctx.caller.has("qualified"),
               Unauthorized("only qualified investors bid"))
        ensure(a["status"] == OPEN and ctx.time < a["end"], InvalidState(f"auction {auction} takes no registrations"))
        key = f"margin/{auction}/{who}"
        ensure(not ctx.state.has(key), Duplicate(f"{who} is already registered for auction {auction}"))
        ensure(len(a["bidders"]) < MAX_BIDDERS, LimitExceeded(f"auction {auction} has {MAX_BIDDERS} bidders"))
        a["bidders"] = a["bidders"] + [who]  # registration order
        ctx.state.put(key, {"auction": auction, "bidder": who, "amount": a["margin"], "status": DUE,
                            "registered_at": ctx.time, "received": None, "closed": None})
        _save(ctx, a)
        ctx.emit("BidderRegistered", auction=auction, bidder=who, margin=a["margin"])
        return {"auction": auction, "margin": a["margin"], "pay_to": a["settlement_bank"]}

    @tx
    def confirm_margin(self, ctx: Ctx, auction: str, bidder: str, bank_ref: str) -> dict:
        """The settlement bank confirms a bidder's margin arrived: RECEIVED, so it may bid."""
        a = _live_auction(ctx, auction)
        ensure(ctx.caller.org_id == a["settlement_bank"] and ctx.caller.has("settlement"),
               Unauthorized(f"only {a['settlement_bank']}, the auction's settlement bank, confirms margins"))
        ensure(0 < len(bank_ref) <= 64, BadRequest("bank_ref must be 1-64 characters"))
        m = ctx.state.require(f"margin/{auction}/{bidder}", "margin")
        ensure(m["status"] == DUE, InvalidState(f"the margin of {bidder} is {m['status']}"))
        ensure(a["status"] == OPEN and ctx.time < a["end"], InvalidState(f"auction {auction} takes no margins"))
        m.update(status=RECEIVED, received={"bank_ref": bank_ref, "at": ctx.time})
        ctx.state.put(f"margin/{auction}/{bidder}", m)
        ctx.emit("MarginReceived", auction=auction, bidder=bidder, amount=m["amount"], bank_ref=bank_ref)
        return {"auction": auction, "bidder": bidder}

    # -- bidding ----------------------------------------------------------------------------------
    @tx
    def bid(self, ctx: Ctx, auction: str, price: int) -> dict:
        """English: bid `price`, a whole number of increments above the current price."""
        a = _live_auction(ctx, auction)
        _bidding_window(ctx, a, "english")
        _bidder(ctx, a)
        _fen(price, "price")
        best = a["best"]
        if best is None:
            ensure(price >= a["start_price"], LimitExceeded(f"the first bid must be at least {a['start_price']}"))
            base = a["start_price"]
        else:
            ensure(best["bidder"] != ctx.caller.org_id, InvalidState("you already hold the best bid"))
            ensure(price >= best["price"] + a["increment"],
                   LimitExceeded(f"a bid must beat {best['price']} by at least {a['increment']}"))
            base = best["price"]
        ensure((price - base) % a["increment"] == 0,
               BadRequest(f"a bid must be {base} plus a whole number of increments of {a['increment']}"))
        n = _record_bid(ctx, a, ctx.caller.org_id, price=price)
        a["best"] = {"price": price, "bidder": ctx.caller.org_id, "n": n}
        extended = None
        if a["extend_window"] and a["end"] - ctx.time <= a["extend_window"]:
            new_end = ctx.time + a["extend_by"]
            if new_end > a["end"]:
                a["end"] = extended = new_end
                a["extensions"] += 1
                Deadlines(ctx.state).add(new_end, "close", a["id"])
        _save(ctx, a)
        ctx.emit("BidPlaced", auction=auction, n=n, price=price, bidder=ctx.caller.org_id)
        if extended is not None:
            ctx.emit("AuctionExtended", auction=auction, end=extended, extensions=a["extensions"])
        return {"auction": auction, "bid": n, "price": price, "end": a["end"]}

    @tx
    def commit(self, ctx: Ctx, auction: str, digest: str) -> dict:
        """Sealed: commit to a bid before the deadline (see `faechain.crypto.sealed_bid`); one per bidder."""
        a = _live_auction(ctx, auction)
        _bidding_window(ctx, a, "sealed")
        m = _bidder(ctx, a)
        ensure(HEX64.match(digest) is not None, BadRequest("digest must be 64 lowercase hex characters"))
        ensure(m.get("commit") is None, Duplicate(f"{ctx.caller.org_id} has already committed a bid"))
        n = _record_bid(ctx, a, ctx.caller.org_id, digest=digest, price=None, revealed_at=None)
        m["commit"] = n
        ctx.state.put(f"margin/{auction}/{ctx.caller.org_id}", m)
        _save(ctx, a)
        ctx.emit("BidCommitted", auction=auction, n=n, bidder=ctx.caller.org_id)
        return {"auction": auction, "bid": n}

    @tx
    def reveal(self, ctx: Ctx, auction: str, price: int, salt: bytes) -> dict:
        """Sealed: after the deadline, reveal the committed price and salt."""
        a = _live_auction(ctx, auction)
        ensure(a["mode"] == "sealed", InvalidState(f"auction {auction} is a {a['mode']} auction"))
        ensure(a["status"] == OPEN, InvalidState(f"auction {auction} is {a['status']}"))
        ensure(ctx.time >= a["end"], InvalidState("bids are revealed only after the bidding deadline"))
        ensure(ctx.time < a["reveal_end"], Expired(f"the reveal period ended at {a['reveal_end']}"))
        m = ctx.state.get(f"margin/{auction}/{ctx.caller.org_id}")
        ensure(m is not None, Unauthorized(f"{ctx.caller.org_id} is not registered for auction {auction}"))
        ensure(m.get("commit") is not None, NotFound("you have no committed bid here"))
        key = f"bid/{auction}/{m['commit']:05d}"
        b = ctx.state.get(key)
        ensure(b["revealed_at"] is None, Duplicate("your bid is already revealed"))
        _fen(price, "price")
        ensure(len(salt) >= MIN_SALT, BadRequest(f"the salt has at least {MIN_SALT} bytes"))
        ensure(bid_digest(ctx.hasher, auction, ctx.caller.org_id, price, salt) == b["digest"],
               BadRequest("price and salt do not match the committed digest"))
        b.update(price=price, revealed_at=ctx.time)
        ctx.state.put(key, b)
        ctx.emit("BidRevealed", auction=auction, n=b["n"], price=price, bidder=ctx.caller.org_id)
        return {"auction": auction, "bid": b["n"], "price": price}

    @tx
    def accept(self, ctx: Ctx, auction: str) -> dict:
        """Dutch: take the asset at the current price; the first acceptance wins."""
        a = _live_auction(ctx, auction)
        _bidding_window(ctx, a, "dutch")
        _bidder(ctx, a)
        price = dutch_price(a, ctx.time)
        n = _record_bid(ctx, a, ctx.caller.org_id, price=price)
        ctx.emit("BidPlaced", auction=auction, n=n, price=price, bidder=ctx.caller.org_id)
        self._award(ctx, a, ctx.caller.org_id, price)
        return {"auction": auction, "bid": n, "price": price}

    # -- outcomes ---------------------------------------------------------------------------------
    def _release_margins(self, ctx: Ctx, a: dict, keep: str | None) -> None:
        """Refund every received margin but `keep`'s; cancel those never received."""
        for org in a["bidders"]:  # at most MAX_BIDDERS
            if org == keep:
                continue
            key = f"margin/{a['id']}/{org}"
            m = ctx.state.get(key)
            if m["status"] == RECEIVED:
                m.update(status=REFUNDED, closed=ctx.time)
                ctx.emit("MarginRefunded", auction=a["id"], bidder=org, amount=m["amount"],
                         bank=a["settlement_bank"])
            elif m["status"] == DUE:
                m.update(status=MARGIN_CANCELLED, closed=ctx.time)
            else:
                continue
            ctx.state.put(key, m)

    def _award(self, ctx: Ctx, a: dict, winner: str, price: int) -> None:
        a.update(status=AWARDED, winner=winner, price=price, awarded_at=ctx.time,
                 pay_by=ctx.time + a["pay_days"] * DAY)
        self._release_margins(ctx, a, keep=winner)
        Deadlines(ctx.state).add(a["pay_by"], "pay", a["id"])
        _save(ctx, a)
        ctx.emit("AuctionAwarded", auction=a["id"], asset=a["asset"], winner=winner, price=price,
                 pay_by=a["pay_by"], balance=price - a["margin"])
        ctx.call(a["owner"], "auction_awarded", auction=a["id"], asset=a["asset"], winner=winner, price=price)

    def _fail(self, ctx: Ctx, a: dict, reason: str) -> None:
        a.update(status=FAILED, outcome=reason)
        self._release_margins(ctx, a, keep=None)
        _save(ctx, a)
        ctx.emit("AuctionFailed", auction=a["id"], asset=a["asset"], seller=a["seller"], reason=reason,
                 bids=a["bids"])
        ctx.call(a["owner"], "auction_failed", auction=a["id"], asset=a["asset"], reason=reason)

    def _close(self, ctx: Ctx, a: dict) -> None:
        """The bidding (or reveal) deadline has passed: award by the rules or fail."""
        if a["mode"] == "english":
            best = a["best"]
            if best is not None and best["price"] >= a["reserve"]:
                self._award(ctx, a, best["bidder"], best["price"])
            else:
                self._fail(ctx, a, "no bid reached the reserve" if best else "no bids")
        elif a["mode"] == "sealed":
            winner = None
            for n in range(1, a["bids"] + 1):  # commit order: the earliest wins a tie
                b = ctx.state.get(f"bid/{a['id']}/{n:05d}")
                if b["revealed_at"] is None or b["price"] < a["reserve"]:
                    continue
                if winner is None or b["price"] > winner["price"]:
                    winner = b
            if winner is not None:
                self._award(ctx, a, winner["bidder"], winner["price"])
            else:
                self._fail(ctx, a, "no revealed bid reached the reserve" if a["bids"] else "no bids")
        else:
            self._fail(ctx, a, "nobody accepted before the end")

    def end_block(self, ctx: Ctx) -> None:
        """Close auctions whose deadline has passed; default winners who did not pay in time."""
        for _, kind, auction_id in Deadlines(ctx.state).take(ctx.time):
            a = ctx.state.get(f"auction/{auction_id}")
            if kind == "close" and a["status"] == OPEN:
                closes = a["reveal_end"] if a["mode"] == "sealed" else a["end"]
                if closes <= ctx.time:  # an english auction extended since: a later deadline closes it
                    self._close(ctx, a)
            elif kind == "pay" and a["status"] == AWARDED and a["pay_by"] <= ctx.time:
                key = f"margin/{auction_id}/{a['winner']}"
                m = ctx.state.get(key)
                m.update(status=FORFEITED, closed=ctx.time)
                ctx.state.put(key, m)
                a.update(status=DEFAULTED, outcome="the winner did not pay by the deadline")
                _save(ctx, a)
                ctx.emit("WinnerDefaulted", auction=auction_id, asset=a["asset"], winner=a["winner"],
                         price=a["price"], forfeited=m["amount"])
                ctx.call(a["owner"], "auction_defaulted", auction=auction_id, asset=a["asset"], winner=a["winner"])

    @tx
    def confirm_payment(self, ctx: Ctx, auction: str, amount: int, bank_ref: str) -> dict:
        """The settlement bank confirms the winner paid the balance: the margin is applied and
        the auction SETTLED; title may now pass (the owner is told in this transaction)."""
        a = _live_auction(ctx, auction)
        ensure(ctx.caller.org_id == a["settlement_bank"] and ctx.caller.has("settlement"),
               Unauthorized(f"only {a['settlement_bank']}, the auction's settlement bank, confirms payment"))
        ensure(a["status"] == AWARDED, InvalidState(f"auction {auction} is {a['status']}"))
        ensure(ctx.time < a["pay_by"], Expired(f"the payment deadline passed at {a['pay_by']}"))
        ensure(0 < len(bank_ref) <= 64, BadRequest("bank_ref must be 1-64 characters"))
        balance = a["price"] - a["margin"]
        ensure(amount == balance, BadRequest(f"the balance due is {balance} fen (price {a['price']} less the "
                                             f"margin {a['margin']}), not {amount}"))
        key = f"margin/{auction}/{a['winner']}"
        m = ctx.state.get(key)
        m.update(status=APPLIED, closed=ctx.time)
        ctx.state.put(key, m)
        a.update(status=SETTLED, payment={"amount": amount, "bank_ref": bank_ref, "at": ctx.time})
        _save(ctx, a)
        ctx.emit("AuctionSettled", auction=auction, asset=a["asset"], winner=a["winner"], price=a["price"],
                 bank_ref=bank_ref)
        ctx.call(a["owner"], "auction_paid", auction=auction, asset=a["asset"], winner=a["winner"],
                 price=a["price"], bank_ref=bank_ref)
        return {"auction": auction, "price": a["price"]}

    # -- queries -----------------------------------------------------------------------------------
    @query
    def auction(self, q: QueryCtx, id: str, prove: bool = False) -> dict:
        """An auction with its full bid history (a sealed bid's price shows once revealed).

        Auctions are public to members, as the ledger itself is: who bid what is on
        record. Margins are shown in full to the seller, the exchange and the
        regulator, and to each bidder its own.
        """
        a = q.state.get(f"auction/{id}")
        if a is None:
            raise NotFound(f"auction {id!r} not found")
        reader = None if q.caller is None else q.caller.org_id
        privileged = q.caller is None or q.caller.role in SEE_ALL or reader == a["seller"]
        view = dict(a)
        if a["status"] == OPEN:
            view["current_price"] = _current_price(a, q.time)
        out = {
            "auction": view,
            "bids": [q.state.get(f"bid/{id}/{n:05d}") for n in range(1, a["bids"] + 1)],
            "margins": [m for m in (q.state.get(f"margin/{id}/{org}") for org in a["bidders"])
                        if privileged or m["bidder"] == reader],
        }
        if prove:
            out["proofs"] = {f"auction/{id}": q.proof(f"auction/{id}")}
            out["proofs"].update({f"bid/{id}/{n:05d}": q.proof(f"bid/{id}/{n:05d}") for n in range(1, a["bids"] + 1)})
        return out

    @query
    def auctions(self, q: QueryCtx, asset: str | None = None, seller: str | None = None, status: str | None = None,
                 limit: int = 200) -> list:
        """Auctions by asset, seller or status (auctions are public to members)."""
        field, value = next(((f, v) for f, v in (("asset", asset), ("seller", seller), ("status", status))
                             if v is not None), (None, None))
        ensure(field is not None, BadRequest("give asset, seller or status"))
        out = []
        for _, a in q.find("auction", field, value, max(1, min(limit, 1000))):
            if status is None or a["status"] == status:
                out.append({k: a[k] for k in ("id", "asset", "seller", "mode", "status", "start", "end", "reserve",
                                              "margin", "bids", "winner", "price")})
        return out


def _current_price(a: dict, t: int) -> int | None:
    """What a bid must reach now: english the next valid bid, dutch the current price."""
    if a["mode"] == "english":
        return a["start_price"] if a["best"] is None else a["best"]["price"] + a["increment"]
    if a["mode"] == "dutch":
        return dutch_price(a, t)
    return None
