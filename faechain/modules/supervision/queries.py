"""What supervision shows, and to whom.

Read rules (`reading.py` applies them to the raw routes too; the regulator and the exchange
see everything):
    - alerts and the list of frozen assets are for the regulator and the exchange;
    - any member may ask whether an asset is frozen (`frozen`: a counterparty checks before it
      trades); the regulator's reason, who acted and when only the regulator, the exchange and
      the asset's parties see (`asset_parties`);
    - the regulator's action log (`actions`): the regulator and the exchange read all of it, any
      other member the actions on assets it is party to; `actions(asset=...)` is refused
      `unauthorized` to a member that is not party to that asset;
    - the thresholds in force (`rules`) are public to members.

An asset's parties are those who hold, owe or run it, read from its own record:

    voucher:<id>    holder, payer, sender (`from`) and funder of the piece and of every piece
                    split from it (a root's freeze stops them all)
    invoice:<id>    seller and buyer
    plan:<id>       sponsor, underwriter, servicer, settlement bank, and its investors
    package:<id>    seller, DD intermediary, winner, inspector
    product:<id>    originator, registrar, settlement bank, and its holders
    holding:<p/t/o> the holder, and the product's originator, registrar and settlement bank
    auction:<id>    seller, settlement bank, registered bidders and the winner
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import BadRequest, Unauthorized, ensure
from faechain.contracts.freeze import KINDS
from faechain.contracts.roles import SEE_ALL
from faechain.contracts.runtime import QueryCtx, query
from faechain.modules.supervision import rules as risk
from faechain.modules.supervision.records import (
    ACTIONS,
    ALERTS,
    Action,
    FreezeState,
    action_key,
    alert_key,
    frozen_key,
    unfrozen,
)
from faechain.modules.supervision.registry import ASSET_KEYS
from faechain.modules.supervision.thresholds import thresholds

# the fields of an asset's record that name its parties (one org id each, or a list of them)
PARTY_FIELDS = {
    "voucher": ("holder", "payer", "from", "funder"),
    "invoice": ("seller", "buyer"),
    "plan": ("sponsor", "underwriter", "servicer", "settlement_bank", "holders"),
    "package": ("seller", "intermediary", "winner", "inspector"),
    "product": ("originator", "registrar", "settlement_bank", "holders"),
    "holding": ("holder",),
    "auction": ("seller", "settlement_bank", "bidders", "winner"),
}
PRODUCT_PARTIES = ("originator", "registrar", "settlement_bank")  # a holding's parties beside its holder
MAX_PIECES = 1000  # pieces of a voucher walked for their parties (as receivables.voucher shows descendants)


def sees_all(q: QueryCtx) -> bool:
    """The regulator and the exchange see all of supervision."""
    return q.caller is None or q.caller.role in SEE_ALL


def regulator_view(q: QueryCtx) -> None:
    """Refuse a reader that is neither the regulator nor the exchange."""
    if not sees_all(q):
        raise Unauthorized("alerts are for the regulator and the exchange")


def party_view(q: QueryCtx, asset: str) -> bool:
    """Whether the reader sees why `asset` is frozen and its actions: it sees all, or is one of its parties."""
    caller = q.caller
    if caller is None or caller.role in SEE_ALL:
        return True
    return bool(caller.org_id) and caller.org_id in asset_parties(q, asset)


def asset_parties(q: QueryCtx, asset: str) -> set[str]:
    """The organisations `asset` concerns, from its record (see the module docstring); none for
    an asset that does not exist."""
    kind, _, ident = asset.partition(":")
    if kind not in ASSET_KEYS or not ident:
        return set()
    contract, key = ASSET_KEYS[kind]
    rec = q.read(contract, key.format(id=ident))
    if rec is None:
        return set()
    out = _named(rec, PARTY_FIELDS[kind])
    if kind == "holding":
        out |= _named(q.read("products", f"product/{rec['product']}") or {}, PRODUCT_PARTIES)
    elif kind == "voucher":  # a root's freeze stops every piece of it: their parties are concerned too
        pending, walked = list(rec.get("children", [])), 0
        while pending and walked < MAX_PIECES:
            piece = q.read(contract, key.format(id=pending.pop()))
            walked += 1
            if piece is not None:
                out |= _named(piece, PARTY_FIELDS[kind])
                pending.extend(piece.get("children", []))
    return out


def _named(rec: dict[str, Any], fields: tuple[str, ...]) -> set[str]:
    """The org ids a record's `fields` name (a field holds one org id, a list of them, or None)."""
    out: set[str] = set()
    for f in fields:
        v = rec.get(f)
        if isinstance(v, list):
            out.update(x for x in v if isinstance(x, str))
        elif isinstance(v, str):
            out.add(v)
    return out


class Queries:
    @query
    def alerts(self, q: QueryCtx, rule: str | None = None, subject: str | None = None, since: int = 0,
               limit: int = 200) -> list[Any]:
        """Alert history, newest last: all, or by rule or subject, from alert number `since` on.

        An alert's subject is an asset reference (`product:R-…`) or, for `invoice_reuse`, the
        organisation that signed the refused attempt; a `subject` without a `:` (a bare id such
        as `R-…`) finds both the alerts on that exact subject and those on `<kind>:<id>`."""
        regulator_view(q)
        limit = max(1, min(limit, 1000))
        if rule is None and subject is None:
            total = q.state.get(ALERTS) or 0
            first = max(since, 1)
            return [q.state.get(alert_key(n)) for n in range(first, min(total, first + limit - 1) + 1)]
        subjects = [] if subject is None else [subject] if ":" in subject else \
            [subject] + [f"{kind}:{subject}" for kind in KINDS]
        rows = q.find("alert", "rule", rule, 100_000) if rule is not None else \
            [row for s in subjects for row in q.find("alert", "subject", s, 100_000)]
        found = [a for _, a in rows if a["n"] >= since
                 and (rule is None or a["rule"] == rule) and (subject is None or a["subject"] in subjects)]
        return sorted(found, key=lambda a: a["n"])[:limit]

    @query
    def frozen(self, q: QueryCtx, asset: str) -> dict[str, Any]:
        """Whether an asset is frozen (any member may ask); the regulator's reason, who acted and
        when only for the regulator, the exchange and the asset's parties."""
        rec: FreezeState = q.state.get(frozen_key(asset)) or unfrozen(asset)
        if party_view(q, asset):
            return dict(rec)
        return {"asset": rec["asset"], "frozen": rec["frozen"]}

    @query
    def frozen_assets(self, q: QueryCtx) -> list[Any]:
        """Every asset frozen now."""
        regulator_view(q)
        return [rec for _, rec in q.find("frozen", "frozen", "True", 100_000)]

    @query
    def actions(self, q: QueryCtx, since: int = 1, limit: int = 200, asset: str | None = None) -> list[Action]:
        """The regulator's actions with their reasons, oldest first, from action number `since` on:
        the whole log for the regulator and the exchange, for any other member the actions on
        assets it is party to; with `asset`, that asset's only (refused to a non-party)."""
        limit = max(1, min(limit, 1000))
        total = q.state.get(ACTIONS) or 0
        first = max(1, since)
        if asset is not None:
            kind, _, ident = asset.partition(":")
            ensure(kind in KINDS and ident, BadRequest(f"an asset is <kind>:<id> with kind one of {', '.join(KINDS)}"))
            if not party_view(q, asset):
                raise Unauthorized(f"the regulator's actions on {asset} are for the regulator, the exchange and "
                                   "the asset's parties")
        elif sees_all(q):
            return [q.state.get(action_key(n)) for n in range(first, min(total, first + limit - 1) + 1)]
        mine: dict[str, bool] = {}  # asset -> the reader is party to it (asked once per asset)
        out: list[Action] = []
        for n in range(first, total + 1):
            a: Action = q.state.get(action_key(n))
            if asset is not None:
                if a["asset"] != asset:
                    continue
            else:
                if a["asset"] not in mine:
                    mine[a["asset"]] = party_view(q, a["asset"])
                if not mine[a["asset"]]:
                    continue
            out.append(a)
            if len(out) >= limit:
                break
        return out

    @query
    def rules(self, q: QueryCtx) -> dict[str, Any]:
        """The risk rules: each threshold in force, its default and meaning."""
        current = thresholds(q.state)
        return {name: {"value": current[name], "default": default, "meaning": meaning}
                for name, (default, meaning) in risk.DEFAULTS.items()}
