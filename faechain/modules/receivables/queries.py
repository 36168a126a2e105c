"""What receivables shows, and to whom.

Read rules (anonymous reads exist only on a dev chain on loopback, and see everything;
so do the regulator and the exchange):
    - a voucher piece: its holder, payer, sender (`from`) and funder;
    - an invoice: its seller and buyer, and every factor and bank (checking an invoice's
      usage is a funder's due diligence);
    - a core's credit: the core and the banks that granted it a line;
    - a financing: its holder and funder.
A record the reader may not see is answered as not found.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faechain.contracts.errors import BadRequest, NotFound, ensure
from faechain.contracts.roles import FUNDER_TYPES, SEE_ALL
from faechain.contracts.runtime import QueryCtx, query
from faechain.modules.receivables.records import (
    LIVE,
    OVERDUE,
    CoreCredit,
    CreditLine,
    Financing,
    Invoice,
    Root,
    Voucher,
    core_key,
    financing_key,
    invoice_key,
    line_key,
    root_key,
    voucher_key,
)

VOUCHER_PARTIES = ("holder", "payer", "from", "funder")
INVOICE_PARTIES = ("seller", "buyer")
FINANCING_PARTIES = ("holder", "funder")


def visible(q: QueryCtx, record: Mapping[str, Any], parties: tuple[str, ...]) -> bool:
    """Whether the reader may see `record`: it sees all, or it is one of the record's `parties`."""
    if q.caller is None or q.caller.role in SEE_ALL:
        return True  # anonymous reads exist only on a dev chain on loopback
    return q.caller.org_id in {record.get(p) for p in parties}


class Queries:
    @query
    def voucher(self, q: QueryCtx, id: str, prove: bool = False) -> dict[str, Any]:
        """One piece with its lineage (root .. this piece, and its descendants) and history."""
        v: Voucher | None = q.state.get(voucher_key(id))
        if v is None or not visible(q, v, VOUCHER_PARTIES):
            raise NotFound(f"voucher {id!r} not found")
        root: Root = q.state.get(root_key(v["root"]))
        ancestors: list[dict[str, Any]] = []
        cur = v
        while cur["parent"] is not None:  # a query, not finalize_block: walking is fine here
            cur = q.state.get(voucher_key(cur["parent"]))
            ancestors.append(_summary(cur))
        descendants: list[dict[str, Any]] = []
        stack = list(v["children"])
        while stack and len(descendants) < 1000:
            child: Voucher = q.state.get(voucher_key(stack.pop(0)))
            descendants.append(_summary(child))
            stack.extend(child["children"])
        out = {
            "voucher": _display(v, root), "root": _root_view(root), "ancestors": list(reversed(ancestors)),
            "descendants": descendants, "history": q.history(voucher_key(id), prove),
        }
        if prove:  # every record shown: the piece, its root, each ancestor and each descendant
            keys = [voucher_key(id), root_key(v["root"])] + [voucher_key(s["id"]) for s in ancestors + descendants]
            out["proofs"] = {k: q.proof(k) for k in keys}
        return out

    @query
    def vouchers(self, q: QueryCtx, holder: str | None = None, payer: str | None = None, root: str | None = None,
                 status: str | None = None, limit: int = 200) -> list[Any]:
        """Vouchers by holder, payer, root or status (the caller sees what it is party to)."""
        filters = [(f, v) for f, v in (("holder", holder), ("payer", payer), ("root", root)) if v is not None]
        ensure(filters or status, BadRequest("give at least one of holder, payer, root, status"))
        limit = max(1, min(limit, 1000))
        if status == OVERDUE:  # a piece shows OVERDUE through its root: find the overdue roots first
            keys = [rec["id"] for _, rec in q.find("root", "status", OVERDUE, limit)]
            found: list[tuple[str, Voucher]] = []
            for rid in keys:
                found.extend(q.find("voucher", "root", rid, limit))
            records = [v for _, v in found if v["status"] in LIVE]
        elif filters:
            field, value = filters[0]
            records = [v for _, v in q.find("voucher", field, value, 10_000)]
        else:
            records = [v for _, v in q.find("voucher", "status", str(status), 10_000)]
        out = []
        for v in records:
            rootrec = q.state.get(root_key(v["root"]))
            shown = _display(v, rootrec)
            if any(v.get(f) != val for f, val in filters) or (status and shown["status"] != status):
                continue
            if visible(q, v, VOUCHER_PARTIES):
                out.append(shown)
            if len(out) >= limit:
                break
        return out

    @query
    def invoice(self, q: QueryCtx, id: str, prove: bool = False) -> dict[str, Any]:
        """An invoice, how much of it is drawn, and the roots that draw on it."""
        inv: Invoice | None = q.state.get(invoice_key(id))
        # funders see invoices too: checking an invoice's usage is their due diligence
        funder = q.caller is not None and q.caller.role in FUNDER_TYPES
        if inv is None or not (funder or visible(q, inv, INVOICE_PARTIES)):
            raise NotFound(f"invoice {id!r} not found")
        roots = [{"root": r["id"], "status": r["status"], "drawn": next(a for i, a in r["invoice_refs"] if i == id)}
                 for _, r in q.find("root", "invoices", id)]
        out = {"invoice": inv, "undrawn": inv["amount"] - inv["drawn"], "roots": roots}
        if prove:  # the invoice and each root shown (the roots' draws add up to the invoice's `drawn`)
            out["proofs"] = {k: q.proof(k) for k in [invoice_key(id)] + [root_key(r["root"]) for r in roots]}
        return out

    @query
    def credit(self, q: QueryCtx, core: str, prove: bool = False) -> dict[str, Any]:
        """A core enterprise's credit lines, open voucher total and headroom."""
        rec: CoreCredit | None = q.state.get(core_key(core))
        if q.caller is not None and q.caller.role not in SEE_ALL and q.caller.org_id != core:
            if rec is None or q.caller.org_id not in rec["banks"]:
                raise NotFound(f"no credit record for {core!r}")
        if rec is None:
            rec = {"id": core, "banks": [], "open": 0}
        lines: list[CreditLine] = [q.state.get(line_key(core, b)) for b in rec["banks"]]
        now = q.time
        total = sum(line["amount"] for line in lines if line["expires"] > now)
        out = {"core": core, "lines": lines, "limit": total, "open": rec["open"], "headroom": total - rec["open"]}
        if prove:
            out["proofs"] = {k: q.proof(k) for k in [core_key(core)] + [line_key(core, b) for b in rec["banks"]]}
        return out

    @query
    def financing(self, q: QueryCtx, id: str) -> Financing:
        """One financing request with its registration and payment instruction."""
        f: Financing | None = q.state.get(financing_key(id))
        if f is None or not visible(q, f, FINANCING_PARTIES):
            raise NotFound(f"financing {id!r} not found")
        return f

    @query
    def financings(self, q: QueryCtx, funder: str | None = None, holder: str | None = None,
                   status: str | None = None) -> list[Any]:
        """Financing requests by funder, holder or status."""
        given = [(f, v) for f, v in (("funder", funder), ("holder", holder), ("status", status)) if v is not None]
        ensure(given, BadRequest("give funder, holder or status"))
        field, value = given[0]
        return [f for _, f in q.find("financing", field, value) if visible(q, f, FINANCING_PARTIES)]


def _summary(v: Voucher) -> dict[str, Any]:
    return {k: v[k] for k in ("id", "parent", "tier", "holder", "amount", "status")}


def _display(v: Voucher, root: Root | None) -> dict[str, Any]:
    """A piece as shown: a live piece of an overdue root shows OVERDUE."""
    shown = dict(v)
    if root is not None and root["status"] == OVERDUE and v["status"] in LIVE:
        shown["status"] = OVERDUE
    return shown


def _root_view(root: Root) -> dict[str, Any]:
    return {k: v for k, v in root.items() if k != "invoice_refs"}
