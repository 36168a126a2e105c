"""Financing a piece: the holder offers it to a factor or bank at a discount rate, as an
ASSIGNMENT (factoring) or a PLEDGE; the funder records the registration, the registry agent
attests it and its search (registration.py), then the funder funds; either party may withdraw
before that.

    request_financing (holder) -> REQUESTED -> record_registration (funder) -> REGISTERED
        -> attest_registration, attest_search (registry agent)
        -> fund (funder) -> FUNDED: ASSIGNMENT: the offered amount passes to the funder as a FINANCED
           piece; PLEDGE: it is split off as a PLEDGED piece the holder keeps (pledgee: the funder).
           The debtor (the payer) is notified (DebtorNotified).
    cancel_financing (holder or funder), before FUNDED -> CANCELLED

The rules (rules.py) say the highest rate (`max_rate_bps`) and whether funding waits for the
registry agent (`registration_before_funding`).
"""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.errors import (
    BadRequest,
    Duplicate,
    Expired,
    Frozen,
    InvalidState,
    LimitExceeded,
    Unauthorized,
    ensure,
)
from faechain.contracts.records import active_member
from faechain.contracts.roles import FUNDER_TYPES
from faechain.contracts.runtime import Ctx, tx
from faechain.contracts.time import DAY, YEAR_DAYS
from faechain.modules.receivables.clearing import outstanding
from faechain.modules.receivables.pieces import consume, ensure_movable, load_root, load_voucher, mint, split
from faechain.modules.receivables.records import (
    ACTIVE,
    ASSIGNMENT,
    CANCELLABLE,
    CANCELLED,
    FINANCED,
    FINANCING,
    FINANCING_KINDS,
    FUNDED,
    PLEDGE,
    PLEDGED,
    REGISTERED,
    REQUESTED,
    SPLIT,
    Financing,
    Root,
    Voucher,
    financing_key,
    root_key,
    voucher_key,
)
from faechain.modules.receivables.registration import funding_refusal, kind_of
from faechain.modules.receivables.rules import rule

BPS = 10_000  # basis points in a whole
MAX_RATE_BPS = BPS  # a discount rate is at most 100% a year


def advance_of(amount: int, rate_bps: int, fee: int, maturity: int, now: int) -> tuple[int, int]:
    """(discount, advance) of financing `amount` fen at `rate_bps` a year for the whole days to
    maturity (rounded up), less a fee: what the funder pays the holder, to the fen."""
    days = max(0, (maturity - now + DAY - 1) // DAY)
    discount = amount * rate_bps * days // (BPS * YEAR_DAYS)
    return discount, amount - discount - fee


def load_financing(ctx: Ctx, financing: str) -> Financing:
    f: Financing = ctx.state.require(financing_key(financing), "financing")
    return f


class FinancingSteps:
    @tx
    def request_financing(self, ctx: Ctx, id: str, funder: str, amount: int, rate_bps: int,
                          kind: str = ASSIGNMENT) -> dict[str, Any]:
        """The holder offers `amount` of a piece to a factor or bank at a discount rate, to be
        assigned to it (ASSIGNMENT, factoring) or pledged to it (PLEDGE)."""
        validators.amount(amount)
        ensure(0 <= rate_bps <= MAX_RATE_BPS, BadRequest("rate_bps must be 0 .. 10000"))
        validators.one_of(kind, FINANCING_KINDS, "kind")
        ceiling = rule(ctx, "max_rate_bps")
        ensure(rate_bps <= ceiling,
               LimitExceeded(f"a rate of {rate_bps} bps a year exceeds the ceiling of {ceiling} bps "
                             "(rule max_rate_bps)"))
        v = load_voucher(ctx, id)
        root = load_root(ctx, v["root"])
        # a pending request makes the piece FINANCING, which ensure_movable would call merely not movable
        ensure(v["status"] != FINANCING or v["holder"] != ctx.caller.org_id,
               Duplicate(f"voucher {id} already has a financing request"))
        ensure_movable(ctx, v, root)
        ensure(v["status"] == ACTIVE, InvalidState(f"voucher {id} is {v['status']}: it cannot be financed"))
        owed = outstanding(v)
        ensure(amount <= owed, LimitExceeded(f"amount {amount} fen exceeds the piece's {owed} fen"))
        org = active_member(ctx, funder)
        ensure(org["type"] in FUNDER_TYPES, BadRequest(f"{funder} is neither a factor nor a bank"))
        ensure(funder != v["holder"], BadRequest("a holder cannot finance its own voucher"))
        fid = ctx.new_id("F")
        offer: Financing = {
            "id": fid, "voucher": id, "root": v["root"], "holder": v["holder"], "funder": funder, "amount": amount,
            "rate_bps": rate_bps, "status": REQUESTED, "registration": None, "requested_at": ctx.time, "kind": kind,
        }
        ctx.state.put(financing_key(fid), offer)
        v["status"] = FINANCING
        v["financing"] = fid
        ctx.state.put(voucher_key(id), v)
        ctx.emit("FinancingRequested", financing=fid, voucher=id, holder=v["holder"], funder=funder,
                 amount=amount, rate_bps=rate_bps, kind=kind)
        return {"financing": fid}

    @tx
    def cancel_financing(self, ctx: Ctx, financing: str, reason: str = "") -> dict[str, Any]:
        """Either party withdraws an unfunded financing request; the piece is ACTIVE again."""
        f = load_financing(ctx, financing)
        ensure(ctx.caller.org_id in (f["holder"], f["funder"]), Unauthorized("only the parties cancel a financing"))
        ensure(f["status"] in CANCELLABLE, InvalidState(f"financing {financing} is {f['status']}"))
        f["status"] = CANCELLED
        f["reason"] = reason
        ctx.state.put(financing_key(financing), f)
        v = load_voucher(ctx, f["voucher"])
        if v["status"] == FINANCING and v["financing"] == financing:  # not once the piece has been paid
            v["status"] = ACTIVE
            v["financing"] = None
            ctx.state.put(voucher_key(v["id"]), v)
        ctx.emit("FinancingCancelled", financing=financing, by=ctx.caller.org_id, reason=reason)
        return {"financing": financing}

    @tx
    def record_registration(self, ctx: Ctx, financing: str, reg_no: str) -> dict[str, Any]:
        """The funder records the registry number of the pledge/transfer registration."""
        f = load_financing(ctx, financing)
        ensure(f["funder"] == ctx.caller.org_id, Unauthorized("only the funder records the registration"))
        ensure(f["status"] == REQUESTED, InvalidState(f"financing {financing} is {f['status']}"))
        validators.text(reg_no, "registration number", 64)
        f["status"] = REGISTERED
        f["registration"] = reg_no
        ctx.state.put(financing_key(financing), f)
        ctx.emit("FinancingRegistered", financing=financing, registration=reg_no)
        return {"financing": financing}

    @tx
    def fund(self, ctx: Ctx, financing: str) -> dict[str, Any]:
        """The funder pays: the financed piece passes to it (non-recourse), FINANCED; or, for a
        PLEDGE, stays with the holder, PLEDGED to the funder. The debtor is notified.

        While the rule `registration_before_funding` is 1, the registry agent must first have
        attested a registration matching the financing in every field, and a clear search.
        The discount is recorded as a payment instruction from the funder to the
        holder; the platform never holds the money.
        """
        f = load_financing(ctx, financing)
        ensure(f["funder"] == ctx.caller.org_id, Unauthorized("only the funder funds a financing"))
        ensure(f["status"] != REQUESTED, InvalidState("financing without a recorded registration is not allowed"))
        ensure(f["status"] == REGISTERED, InvalidState(f"financing {financing} is {f['status']}"))
        v = load_voucher(ctx, f["voucher"])
        root = load_root(ctx, v["root"])
        ensure(not v["frozen"] and not root["frozen"], Frozen(f"voucher {v['id']} is frozen"))
        ensure(ctx.time < v["maturity"], Expired(f"voucher {v['id']} has reached maturity"))
        ensure(v["status"] == FINANCING and v["financing"] == financing,
               InvalidState("the piece is not awaiting this financing"))
        if rule(ctx, "registration_before_funding"):
            funding_refusal(f)
        discount, advance = advance_of(f["amount"], f["rate_bps"], f.get("fee", 0), v["maturity"], ctx.time)
        pledge = kind_of(f) == PLEDGE
        if pledge:
            moved, rest = _pledge(ctx, v, f)
        else:
            v["status"] = ACTIVE  # consumed by the split below
            moved, rest = split(ctx, v, f["funder"], f["amount"], FINANCED, ACTIVE)
        moved["financing"] = financing
        moved["registration"] = f["registration"]
        moved["funder"] = f["funder"]
        if pledge:
            moved["pledgee"] = f["funder"]
        if f.get("recourse"):  # recourse factoring: the holder stays liable if the payer does not pay
            moved["recourse"] = f["holder"]
        ctx.state.put(voucher_key(moved["id"]), moved)
        f["status"] = FUNDED
        f["piece"] = moved["id"]
        f["advance"] = advance
        f["discount"] = discount
        f["funded_at"] = ctx.time
        f["instruction"] = {"payer": f["funder"], "payee": f["holder"], "amount": advance, "reference": financing}
        f["notice"] = {"to": v["payer"], "at": ctx.time}  # 通知债务人: the payer learns whom it now owes
        ctx.state.put(financing_key(financing), f)
        ctx.emit("FinancingFunded", financing=financing, voucher=f["voucher"], piece=moved["id"], funder=f["funder"],
                 holder=f["holder"], amount=f["amount"], advance=advance, discount=discount, kind=kind_of(f))
        ctx.emit("DebtorNotified", financing=financing, debtor=v["payer"], kind=kind_of(f), piece=moved["id"],
                 creditor=f["funder"], amount=f["amount"])
        return {"financing": financing, "voucher": moved["id"], "remainder": rest["id"] if rest else None,
                "advance": advance}


def _pledge(ctx: Ctx, v: Voucher, f: Financing) -> tuple[Voucher, Voucher | None]:
    """The offered amount of `v` PLEDGED to the funder, still the holder's, at the same tier (a
    pledge passes no title): the whole piece, or a piece split off with the rest ACTIVE."""
    if f["amount"] == outstanding(v):
        v["status"] = PLEDGED
        return v, None
    pledged = mint(ctx, v, v["holder"], f["amount"], v["tier"], PLEDGED, v["holder"])
    rest = mint(ctx, v, v["holder"], outstanding(v) - f["amount"], v["tier"], ACTIVE, v["holder"])
    consume(ctx, v, SPLIT, [pledged, rest])
    root: Root = ctx.state.get(root_key(v["root"]))
    root["live_count"] += 1
    ctx.state.put(root_key(v["root"]), root)
    return pledged, rest
