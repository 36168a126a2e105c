"""Competing quotes: the holder asks several funders at once, each quotes its rate and fee with
the advance computed to the fen, and the holder accepts one (中征应收账款融资服务平台 and 简单汇
let many funders quote on one receivable).

    request_quotes (holder) -> OPEN: the piece is FINANCING (reserved) while quotes are taken
    quote (an invited funder, until `closes`; again to replace its own) -> a quote only it and the
        holder read
    accept_quote (holder) -> ACCEPTED: a financing with that funder at its rate and fee, REQUESTED,
        continued as any financing (registration, the registry's attestations, fund)
    cancel_rfq (holder, while OPEN) -> CANCELLED: the piece ACTIVE again
"""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.errors import BadRequest, InvalidState, LimitExceeded, NotFound, Unauthorized, ensure
from faechain.contracts.records import active_member
from faechain.contracts.roles import FUNDER_TYPES
from faechain.contracts.runtime import Ctx, QueryCtx, query, tx
from faechain.modules.receivables.clearing import outstanding
from faechain.modules.receivables.financing import BPS, advance_of
from faechain.modules.receivables.pieces import ensure_movable, load_root, load_voucher
from faechain.modules.receivables.records import (
    ACTIVE,
    FINANCING,
    FINANCING_KINDS,
    REQUESTED,
    Financing,
    Quote,
    Rfq,
    financing_key,
    quote_key,
    rfq_key,
    voucher_key,
)
from faechain.modules.receivables.rules import rule

OPEN, ACCEPTED, CANCELLED = "OPEN", "ACCEPTED", "CANCELLED"
MAX_FUNDERS = 10
MAX_WINDOW = 30 * 86_400  # quotes are taken for at most 30 days


def load_rfq(ctx: Ctx, rfq: str) -> Rfq:
    r: Rfq = ctx.state.require(rfq_key(rfq), "request for quotes")
    return r


class QuoteSteps:
    @tx
    def request_quotes(self, ctx: Ctx, id: str, amount: int, funders: list[str], closes: int,
                       kind: str = "ASSIGNMENT", recourse: bool = False) -> dict[str, Any]:
        """The holder asks up to ten factors or banks to quote for financing `amount` of a piece."""
        validators.amount(amount)
        validators.one_of(kind, FINANCING_KINDS, "kind")
        ensure(0 < len(funders) <= MAX_FUNDERS and len(set(funders)) == len(funders),
               BadRequest(f"name 1 to {MAX_FUNDERS} different funders"))
        v = load_voucher(ctx, id)
        root = load_root(ctx, v["root"])
        ensure_movable(ctx, v, root)
        ensure(v["status"] == ACTIVE, InvalidState(f"voucher {id} is {v['status']}: it cannot be financed"))
        owed = outstanding(v)
        ensure(amount <= owed, LimitExceeded(f"amount {amount} fen exceeds the piece's {owed} fen"))
        ensure(ctx.time < closes <= min(ctx.time + MAX_WINDOW, v["maturity"]),
               BadRequest("quotes close in the future, within 30 days and before maturity"))
        for funder in funders:
            ensure(type(funder) is str, BadRequest("each funder is an organisation id"))
            org = active_member(ctx, funder)
            ensure(org["type"] in FUNDER_TYPES, BadRequest(f"{funder} is neither a factor nor a bank"))
            ensure(funder != v["holder"], BadRequest("a holder cannot finance its own voucher"))
        ident = ctx.new_id("Q")
        rec: Rfq = {"id": ident, "voucher": id, "root": v["root"], "holder": v["holder"], "amount": amount,
                    "kind": kind, "recourse": recourse, "funders": sorted(funders), "closes": closes,
                    "status": OPEN, "requested_at": ctx.time}
        ctx.state.put(rfq_key(ident), rec)
        v["status"] = FINANCING  # reserved while funders quote
        v["financing"] = ident
        ctx.state.put(voucher_key(id), v)
        ctx.emit("QuotesRequested", rfq=ident, voucher=id, holder=v["holder"], amount=amount, kind=kind,
                 recourse=recourse, funders=rec["funders"], closes=closes)
        return {"rfq": ident}

    @tx
    def quote(self, ctx: Ctx, rfq: str, rate_bps: int, fee: int = 0) -> dict[str, Any]:
        """An invited funder quotes a yearly discount rate and a fee; the chain computes the advance
        (to the fen, as if funded now). A second quote replaces the funder's first."""
        r = load_rfq(ctx, rfq)
        funder = ctx.caller.org_id
        ensure(funder in r["funders"], Unauthorized(f"{funder} is not invited to quote on {rfq}"))
        ensure(r["status"] == OPEN, InvalidState(f"request for quotes {rfq} is {r['status']}"))
        ensure(ctx.time < r["closes"], InvalidState(f"request for quotes {rfq} closed to quotes"))
        ceiling = rule(ctx, "max_rate_bps")
        ensure(0 <= rate_bps <= ceiling,
               LimitExceeded(f"a rate of {rate_bps} bps a year exceeds the ceiling of {ceiling} bps "
                             "(rule max_rate_bps)"))
        fee_cap = r["amount"] * rule(ctx, "max_fee_bps") // BPS
        ensure(0 <= fee <= fee_cap, LimitExceeded(f"a fee of {fee} fen exceeds the cap of {fee_cap} fen "
                                                  "(rule max_fee_bps)"))
        v = load_voucher(ctx, r["voucher"])
        discount, advance = advance_of(r["amount"], rate_bps, fee, v["maturity"], ctx.time)
        ensure(advance > 0, BadRequest(f"the advance would be {advance} fen: nothing left to pay the holder"))
        q: Quote = {"rfq": rfq, "funder": funder, "rate_bps": rate_bps, "fee": fee, "discount": discount,
                    "advance": advance, "at": ctx.time}
        ctx.state.put(quote_key(rfq, funder), q)
        ctx.emit("QuoteSubmitted", rfq=rfq, funder=funder, holder=r["holder"], rate_bps=rate_bps, fee=fee,
                 advance=advance)
        return {"rfq": rfq, "advance": advance, "discount": discount}

    @tx
    def accept_quote(self, ctx: Ctx, rfq: str, funder: str) -> dict[str, Any]:
        """The holder accepts one funder's quote: a financing with it, REQUESTED, at the quoted rate
        and fee; the other quotes lapse."""
        r = load_rfq(ctx, rfq)
        ensure(r["holder"] == ctx.caller.org_id, Unauthorized("only the holder accepts a quote"))
        ensure(r["status"] == OPEN, InvalidState(f"request for quotes {rfq} is {r['status']}"))
        q: Quote | None = ctx.state.get(quote_key(rfq, funder))
        ensure(q is not None, NotFound(f"{funder} has not quoted on {rfq}"))
        assert q is not None
        v = load_voucher(ctx, r["voucher"])
        ensure(v["status"] == FINANCING and v["financing"] == rfq, InvalidState("the piece is not awaiting quotes"))
        ensure(ctx.time < v["maturity"], InvalidState(f"voucher {v['id']} has reached maturity"))
        fid = ctx.new_id("F")
        offer: Financing = {
            "id": fid, "voucher": r["voucher"], "root": r["root"], "holder": r["holder"], "funder": funder,
            "amount": r["amount"], "rate_bps": q["rate_bps"], "status": REQUESTED, "registration": None,
            "requested_at": ctx.time, "kind": r["kind"], "fee": q["fee"], "recourse": r["recourse"], "rfq": rfq,
        }
        ctx.state.put(financing_key(fid), offer)
        v["financing"] = fid
        ctx.state.put(voucher_key(v["id"]), v)
        r["status"] = ACCEPTED
        r["financing"] = fid
        r["accepted"] = funder
        ctx.state.put(rfq_key(rfq), r)
        ctx.emit("QuoteAccepted", rfq=rfq, financing=fid, voucher=r["voucher"], holder=r["holder"], funder=funder,
                 rate_bps=q["rate_bps"], fee=q["fee"])
        ctx.emit("FinancingRequested", financing=fid, voucher=r["voucher"], holder=r["holder"], funder=funder,
                 amount=r["amount"], rate_bps=q["rate_bps"], kind=r["kind"])
        return {"financing": fid}

    @tx
    def cancel_rfq(self, ctx: Ctx, rfq: str) -> dict[str, Any]:
        """The holder withdraws an open request for quotes; the piece is ACTIVE again."""
        r = load_rfq(ctx, rfq)
        ensure(r["holder"] == ctx.caller.org_id, Unauthorized("only the holder withdraws a request for quotes"))
        ensure(r["status"] == OPEN, InvalidState(f"request for quotes {rfq} is {r['status']}"))
        r["status"] = CANCELLED
        ctx.state.put(rfq_key(rfq), r)
        v = load_voucher(ctx, r["voucher"])
        if v["status"] == FINANCING and v["financing"] == rfq:
            v["status"] = ACTIVE
            v["financing"] = None
            ctx.state.put(voucher_key(v["id"]), v)
        ctx.emit("QuotesCancelled", rfq=rfq, voucher=r["voucher"], holder=r["holder"])
        return {"rfq": rfq}

    @query
    def quotes(self, q: QueryCtx, rfq: str) -> dict[str, Any]:
        """A request for quotes and the quotes the reader may see: the holder all of them, an invited
        funder its own; each with the advance if funded now."""
        r: Rfq | None = q.state.get(rfq_key(rfq))
        if r is None or not q.may_read(rfq_key(rfq)):
            raise NotFound(f"request for quotes {rfq!r} not found")
        v = q.state.get(voucher_key(r["voucher"]))
        shown = []
        for funder in r["funders"]:
            key = quote_key(rfq, funder)
            got: Quote | None = q.state.get(key)
            if got is not None and q.may_read(key):
                discount, advance = advance_of(r["amount"], got["rate_bps"], got["fee"], v["maturity"], q.time)
                shown.append(dict(got) | {"advance_now": advance, "discount_now": discount})
        return {"rfq": dict(r), "quotes": shown}
