"""What receivables shows, and to whom.

Every record shown is one the reader may read (`reading.py`, the rules the raw routes apply
too; the regulator and the exchange read all):
    - a voucher piece: its holder, payer, sender and funder, the parties of the pieces split from
      it, and the readers of the plan or product it is locked in; its lineage up to the root is
      shown to whoever holds title through it, its descendants as far as the reader may read them;
    - an invoice: its seller and buyer, the funders a holder offered a voucher drawing on it to,
      and the readers of the plan it (or such a voucher) is pooled in;
    - a core's credit: the core sees every line, its open total and headroom; a bank that granted
      it a line sees that line only;
    - a financing: its holder and funder.
A record the reader may not read is answered as not found, exactly as one that does not exist.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import BadRequest, NotFound, ensure
from faechain.contracts.runtime import QueryCtx, query, sees_all
from faechain.modules.receivables.reading import piece_party, titled, titled_among
from faechain.modules.receivables.records import (
    LIVE,
    OVERDUE,
    PAID,
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


class Queries:
    @query
    def voucher(self, q: QueryCtx, id: str, prove: bool = False) -> dict[str, Any]:
        """One piece with its lineage (root .. this piece, and its descendants) and history."""
        v: Voucher | None = q.state.get(voucher_key(id))
        if v is None or not q.may_read(voucher_key(id)):
            raise NotFound(f"voucher {id!r} not found")
        root: Root = q.state.get(root_key(v["root"]))
        # the lineage: to a reader with title through the piece, every ancestor is readable (its
        # title runs through each); a reader of the locked piece only (a plan's investor) has none
        ancestors: list[dict[str, Any]] = []
        cur = v
        while cur["parent"] is not None and (sees_all(q.caller) or titled(q, v)):  # a query: walking is fine
            cur = q.state.get(voucher_key(cur["parent"]))
            ancestors.append(_summary(cur))
        below: dict[str, Voucher] = {}
        order: list[str] = []
        stack = list(v["children"])
        while stack and len(order) < 1000:
            child: Voucher = q.state.get(voucher_key(stack.pop(0)))
            below[child["id"]] = child
            order.append(child["id"])
            stack.extend(child["children"])
        # the descendants the reader may read: those whose title it holds (the payer: all of them)
        shown = set(order) if sees_all(q.caller) else titled_among(q.caller, v, below)
        descendants = [_summary(below[c]) for c in order if c in shown]
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
            if piece_party(q.caller, v) or q.may_read(voucher_key(v["id"])):
                out.append(shown)
            if len(out) >= limit:
                break
        return out

    @query
    def invoice(self, q: QueryCtx, id: str, prove: bool = False) -> dict[str, Any]:
        """An invoice, how much of it is drawn, and the roots that draw on it."""
        inv: Invoice | None = q.state.get(invoice_key(id))
        # a funder offered a voucher drawing on it reads it too (its due diligence: the invoice's
        # usage, the guard against financing it twice); the roots are readable to every reader of it
        if inv is None or not q.may_read(invoice_key(id)):
            raise NotFound(f"invoice {id!r} not found")
        roots = [{"root": r["id"], "status": r["status"], "drawn": next(a for i, a in r["invoice_refs"] if i == id)}
                 for _, r in q.find("root", "invoices", id)]
        out = {"invoice": inv, "undrawn": inv["amount"] - inv["drawn"], "roots": roots}
        if prove:  # the invoice and each root shown (the roots' draws add up to the invoice's `drawn`)
            out["proofs"] = {k: q.proof(k) for k in [invoice_key(id)] + [root_key(r["root"]) for r in roots]}
        return out

    @query
    def credit(self, q: QueryCtx, core: str, prove: bool = False) -> dict[str, Any]:
        """A core enterprise's credit lines, open voucher total and headroom (the core's view); a
        bank that granted it a line sees that line only: `{core, lines: [its line]}`."""
        rec: CoreCredit | None = q.state.get(core_key(core))
        if not q.may_read(core_key(core)):
            own = None if q.caller is None else line_key(core, q.caller.org_id)
            line: CreditLine | None = q.state.get(own) if own is not None else None
            if own is None or line is None or not q.may_read(own):
                raise NotFound(f"no credit record for {core!r}")
            bank_view: dict[str, Any] = {"core": core, "lines": [line]}
            if prove:
                bank_view["proofs"] = {own: q.proof(own)}
            return bank_view
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
        if f is None or not q.may_read(financing_key(id)):
            raise NotFound(f"financing {id!r} not found")
        return f

    @query
    def financings(self, q: QueryCtx, funder: str | None = None, holder: str | None = None,
                   status: str | None = None) -> list[Any]:
        """Financing requests by funder, holder or status."""
        given = [(f, v) for f, v in (("funder", funder), ("holder", holder), ("status", status)) if v is not None]
        ensure(given, BadRequest("give funder, holder or status"))
        field, value = given[0]
        return [f for _, f in q.find("financing", field, value) if q.may_read(financing_key(f["id"]))]


def _summary(v: Voucher) -> dict[str, Any]:
    return {k: v[k] for k in ("id", "parent", "tier", "holder", "amount", "status")} | {"paid": v.get("paid", 0)}


def _display(v: Voucher, root: Root | None) -> dict[str, Any]:
    """A piece as shown: a live piece of an overdue root shows OVERDUE."""
    shown: dict[str, Any] = dict(v)
    shown["outstanding"] = 0 if v["status"] == PAID else v["amount"] - v.get("paid", 0)
    if root is not None and root["status"] == OVERDUE and v["status"] in LIVE:
        shown["status"] = OVERDUE
    return shown


def _root_view(root: Root) -> dict[str, Any]:
    return {k: v for k, v in root.items() if k != "invoice_refs"}
