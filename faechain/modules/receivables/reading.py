"""Who may read each receivables record and see each of its events: the one definition the
queries (`queries.py`) and the raw routes (`faechain.chain.visibility`) share
(docs/confidentiality.md).

    invoice/<id>             its seller and buyer; each funder a piece drawing on it is offered to (while
                             the offer stands) or that funded one; the readers of a plan (or product)
                             it, or a piece of a root drawing on it, is locked in; every TAX_SERVICE
                             (the invoice is the tax authority's own data; it verifies and voids it)
    drawers/<invoice>/…      as the invoice
    line/<core>/<bank>       that core enterprise and that bank
    core/<core>              the core enterprise (its banks and open total)
    voucher/<id>             the piece's holder, payer, sender (`from`) and funder; the parties of every
                             piece split from it (their title runs through it); the readers of the
                             contract that locked it
    root/<id>, live/<root>/…, rest/<root>/…, locked/<root>/…
                             the payer; its rail, and every rail that confirmed a payment on it; whoever may read
                             the root piece (so every piece's parties), a locked piece of it, or an
                             invoice it draws on as one of the invoice's parties (not the tax service)
    financing/<id>           its holder and funder; the debtor (payer) notified of it once funded; every
                             REGISTRY_AGENT (it attests the financing's registration and search)
    rfq/<id>                 its holder and the funders it invited to quote
    quote/<rfq>/<funder>     the holder and that funder (not its competitors)
    rules                    every member (the limits in force)
    due/…, clearing, cursor  the regulator and the exchange only (as every record: they see all)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from faechain.contracts.reading import KeyRule, any_member, org_of, read_by_kind
from faechain.contracts.runtime import Caller, QueryCtx
from faechain.modules.receivables.records import (
    RULES_KEY,
    Financing,
    Invoice,
    Root,
    Voucher,
    financing_key,
    invoice_key,
    root_key,
    voucher_key,
)

VOUCHER_PARTIES = ("holder", "payer", "from", "funder")
INVOICE_PARTIES = ("seller", "buyer")
FINANCING_PARTIES = ("holder", "funder")
INVOICE_SERVICE = "TAX_SERVICE"  # reads every invoice: the records are the tax authority's own
FINANCING_SERVICE = "REGISTRY_AGENT"  # reads every financing: it attests their registrations
MAX_PIECES = 1000  # pieces walked below one (as `voucher` shows at most 1,000 descendants)
MAX_ROOTS = 1000  # roots drawing on one invoice that a rule looks through


def named(caller: Caller | None, record: Mapping[str, Any], fields: Iterable[str]) -> bool:
    """Whether the reader's organisation is named in one of the record's `fields`."""
    return caller is not None and bool(caller.org_id) and caller.org_id in {record.get(f) for f in fields}


def piece_party(caller: Caller | None, v: Mapping[str, Any]) -> bool:
    return named(caller, v, VOUCHER_PARTIES)


def titled(q: QueryCtx, v: Voucher) -> bool:
    """Whether the reader is a party of the piece or of a piece split from it (at most MAX_PIECES
    walked): its title runs through this piece, so it may check it."""
    if piece_party(q.caller, v):
        return True
    pending, walked = list(v["children"]), 0
    while pending and walked < MAX_PIECES:
        child: Voucher | None = q.state.get(voucher_key(pending.pop(0)))
        walked += 1
        if child is not None:
            if piece_party(q.caller, child):
                return True
            pending.extend(child["children"])
    return False


def titled_among(caller: Caller | None, top: Voucher, below: Mapping[str, Voucher]) -> set[str]:
    """The ids of `top` and the pieces `below` it (by id, as the voucher query loaded them) the
    reader is titled to (`titled`), computed once bottom-up instead of a walk per piece."""
    out: set[str] = set()

    def walk(v: Voucher) -> bool:
        mine = piece_party(caller, v)
        for child in v["children"]:
            rec = below.get(child)
            if rec is not None and walk(rec):
                mine = True
        if mine:
            out.add(v["id"])
        return mine

    walk(top)
    return out


def read_voucher(q: QueryCtx, ident: str) -> bool:
    v: Voucher | None = q.state.get(voucher_key(ident))
    return v is not None and (titled(q, v) or q.may_read_locked("voucher", ident))


def read_root(q: QueryCtx, ident: str) -> bool:
    r: Root | None = q.state.get(root_key(ident))
    if r is None:
        return False
    if named(q.caller, r, ("payer", "settlement_bank")) or org_of(q) in r.get("rails", []) or read_voucher(q, ident):
        return True
    if any(invoice_party(q, i) for i in r["invoices"]):
        return True
    return any(q.may_read_locked("voucher", piece["id"]) for _, piece in q.find("voucher", "root", ident, MAX_PIECES))


def read_invoice(q: QueryCtx, ident: str) -> bool:
    if q.caller is not None and q.caller.role == INVOICE_SERVICE and q.state.has(invoice_key(ident)):
        return True
    return invoice_party(q, ident)


def invoice_party(q: QueryCtx, ident: str) -> bool:
    """Whether the reader may read the invoice as one of its parties (all but the tax service's rule):
    what lets it read the roots drawing on the invoice too."""
    inv: Invoice | None = q.state.get(invoice_key(ident))
    if inv is None:
        return False
    if named(q.caller, inv, INVOICE_PARTIES) or q.may_read_locked("invoice", ident):
        return True
    if q.caller is None:
        return False
    org = q.caller.org_id
    for rid in sorted(r["id"] for _, r in q.find("root", "invoices", ident, MAX_ROOTS)):
        for _, piece in q.find("voucher", "root", rid, MAX_PIECES):
            if piece.get("funder") == org:  # it funded a piece drawing on the invoice
                return True
            f: Financing | None = q.state.get(financing_key(piece["financing"])) if piece["financing"] else None
            if f is not None and f["funder"] == org:  # a piece drawing on it is offered to it
                return True
            if q.may_read_locked("voucher", piece["id"]):  # pooled: the plan's readers see its invoices
                return True
    return False


def read_line(q: QueryCtx, rest: str) -> bool:
    core, _, bank = rest.partition("/")
    return org_of(q) in (core, bank)


def read_core(q: QueryCtx, core: str) -> bool:
    return org_of(q) == core


def read_financing(q: QueryCtx, ident: str) -> bool:
    f: Financing | None = q.state.get(financing_key(ident))
    if f is None or q.caller is None:
        return False
    notice = f.get("notice")
    return (named(q.caller, f, FINANCING_PARTIES) or q.caller.role == FINANCING_SERVICE
            or (notice is not None and notice["to"] == q.caller.org_id))


def read_drawer(q: QueryCtx, rest: str) -> bool:
    """`drawers/<invoice>/<root>`: as the invoice."""
    return read_invoice(q, rest.split("/", 1)[0])


def read_of_root(q: QueryCtx, rest: str) -> bool:
    """`live/<root>/<piece>`, `locked/<root>/<piece>`: as the root."""
    return read_root(q, rest.split("/", 1)[0])


def read_rfq(q: QueryCtx, ident: str) -> bool:
    """A request for quotes: its holder and the funders it invited."""
    r = q.state.get(f"rfq/{ident}")
    return r is not None and org_of(q) in (r["holder"], *r["funders"])


def read_quote(q: QueryCtx, rest: str) -> bool:
    """A funder's quote: the holder who asked and that funder, not its competitors."""
    rfq, _, funder = rest.partition("/")
    r = q.state.get(f"rfq/{rfq}")
    return r is not None and org_of(q) in (r["holder"], funder)


RULES: dict[str, KeyRule] = {
    "rfq": read_rfq, "quote": read_quote,
    "invoice": read_invoice, "line": read_line, "core": read_core, "voucher": read_voucher, "root": read_root,
    "live": read_of_root, "rest": read_of_root, "bankref": read_of_root, "locked": read_of_root,
    "financing": read_financing, "drawers": read_drawer,
    RULES_KEY: any_member,
}

# event type -> the attribute naming its subject, and the key kind it names
EVENT_SUBJECTS: dict[str, tuple[str, str]] = {
    **{t: ("invoice", "invoice") for t in ("InvoiceRegistered", "InvoiceLocked", "InvoiceUnlocked", "InvoiceVerified",
                                          "InvoiceMismatch", "InvoiceVoided", "InvoiceDrawnUnverified")},
    **{t: ("voucher", "voucher") for t in ("VoucherIssued", "TenorWarning", "VoucherAccepted", "VoucherRejected",
                                          "VoucherLocked", "VoucherUnlocked", "VoucherFrozen", "VoucherUnfrozen",
                                          "VoucherTransferred")},
    **{t: ("financing", "financing") for t in ("FinancingRequested", "FinancingCancelled", "FinancingRegistered",
                                              "FinancingFunded", "RegistrationAttested", "SearchAttested",
                                              "RegistrationMismatch", "DebtorNotified", "NoticeAcknowledged",
                                              "RegistrationReleaseDue", "RegistrationReleased")},
    **{t: ("root", "root") for t in ("PaymentConfirmed", "ClearingProgress", "RootPaid", "VoucherLapsed",
                                    "VoucherOverdue", "RoundInstructed", "PaymentDue", "PaymentShort",
                                    "InstalmentsScheduled", "EarlyPaymentOffered")},
    **{t: ("voucher", "voucher") for t in ("PiecePaid", "PiecePartlyPaid", "EarlyPaymentAccepted", "RecourseClaimed",
                                          "RecoursePaid")},
    **{t: ("rfq", "rfq") for t in ("QuotesRequested", "QuoteAccepted", "QuotesCancelled")},
}


class ReadRules:
    """The receivables contract's `can_read` and `event_subjects` (see the module docstring)."""

    def can_read(self, q: QueryCtx, key: str) -> bool:
        return read_by_kind(q, key, RULES)

    def related(self, key: str, record: Any) -> tuple[str, ...]:
        """A piece: the piece it was split from (its title runs through it), its root, its
        financing; a root: the invoices it draws on."""
        kind = key.split("/", 1)[0]
        if type(record) is not dict:
            return ()
        out: list[str] = []
        if kind == "voucher":
            if record.get("parent"):
                out.append(f"receivables/{voucher_key(record['parent'])}")
            if record.get("root"):
                out.append(f"receivables/{root_key(record['root'])}")
            if record.get("financing"):
                out.append(f"receivables/{financing_key(record['financing'])}")
        elif kind == "root":
            out.extend(f"receivables/{invoice_key(i)}" for i in record.get("invoices") or [])
        return tuple(out)

    def event_subjects(self, type_: str, attrs: dict[str, Any]) -> tuple[str, ...]:
        if type_ == "CreditGranted":
            return (f"line/{attrs.get('core')}/{attrs.get('bank')}",)
        if type_ == "RuleChanged":
            return (RULES_KEY,)
        if type_ == "QuoteSubmitted":  # seen by the holder and the quoting funder only
            return (f"quote/{attrs.get('rfq')}/{attrs.get('funder')}",)
        found = EVENT_SUBJECTS.get(type_)
        if found is None or not isinstance(attrs.get(found[0]), str):
            return ()
        return (f"{found[1]}/{attrs[found[0]]}",)
