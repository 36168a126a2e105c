"""What npa shows, and to whom.

Read rules:
    - the package's parties (seller, DD intermediary, winner, inspector), the exchange and the regulator
      see all of it; anonymous reads exist only on a dev chain on loopback;
    - a package that has been listed is public to members, with its data room and published notice
      (not its other documents);
    - a loan is seen by its owner and seller, the exchange, the regulator, and whoever may see the
      package it is or was last in; a loan book only by its owner (the exchange, the regulator);
    - a data-room document is downloaded by a bidder only after it logged its reading (`view_document`);
    - a borrower's or guarantor's personal data document (name, ID number; `person/<commitment>`) is read
      by the seller that registered it, the exchange, the regulator, and, for each loan naming the person,
      the loan's owner and the parties of the package it is or was last in (not by every member a listed
      package is public to, nor by bidders: the data room's loan tape is theirs); never anonymously.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import BadRequest, InvalidState, NotFound, Unauthorized, ensure
from faechain.contracts.personal import PERSON_SUBJECT, Person, check_upload, document_record, person_key, readable
from faechain.contracts.roles import SEE_ALL
from faechain.contracts.runtime import QueryCtx, query
from faechain.modules.auctions.records import auction_key
from faechain.modules.npa import reading
from faechain.modules.npa.records import (
    FINISHED,
    SELLER_TYPES,
    Document,
    Loan,
    Package,
    disposition_key,
    document_key,
    documents_key,
    loan_key,
    package_key,
    parties,
    view_key,
)
from faechain.modules.npa.rules import may_upload


class Queries:
    @query
    def package(self, q: QueryCtx, id: str, prove: bool = False) -> dict:
        """A package with its loans, the documents the reader may see, deal, dispositions and inspection."""
        p = _visible(q, id)
        out: dict[str, Any] = {
            "package": p,
            "loans": [q.state.get(loan_key(ref)) for ref in p["loans"]],
            "documents": _documents(q, p),
            "deal": p["deal"],
            "dispositions": [q.state.get(disposition_key(id, n)) for n in range(1, p["dispositions"] + 1)],
            "inspection": p["inspection"],
        }
        if prove:  # every record shown (a party also gets the document list the documents come from)
            keys = [package_key(id)] + [loan_key(ref) for ref in p["loans"]]
            keys += [disposition_key(id, n) for n in range(1, p["dispositions"] + 1)]
            keys += _document_keys(q, p, out["documents"])
            out["proofs"] = {k: q.proof(k) for k in keys}
        return out

    @query
    def packages(self, q: QueryCtx, status: str | None = None, seller: str | None = None,
                 intermediary: str | None = None, winner: str | None = None, inspector: str | None = None,
                 limit: int = 200) -> list:
        """Packages by seller, intermediary, winner, inspector or status, as far as the reader may see them."""
        field, value = next(((f, v) for f, v in (("seller", seller), ("intermediary", intermediary),
                                                 ("winner", winner), ("inspector", inspector), ("status", status))
                             if v is not None), (None, None))
        if field is None or value is None:
            raise BadRequest("give status, seller, intermediary, winner or inspector")
        out = []
        for _, p in q.find("package", field, value, 10_000):
            if status is not None and p["status"] != status:
                continue
            if _may_see(q, p):
                out.append(_summary(p))
            if len(out) >= max(1, min(limit, 1000)):
                break
        return out

    @query
    def loan(self, q: QueryCtx, seller: str, loan_no: str, prove: bool = False) -> dict:
        """A loan and every committed version of it (its owner and seller, the exchange, the regulator,
        and whoever may see the package it is or was last in)."""
        key = loan_key(f"{seller}/{loan_no}")
        rec: Loan | None = q.state.get(key)
        if rec is None or not _may_see_loan(q, rec):
            raise NotFound(f"loan {seller}/{loan_no} not found")
        out: dict[str, Any] = {"loan": rec, "versions": q.history(key, prove)}
        if prove:
            out["proofs"] = {key: q.proof(key)}
        return out

    @query
    def loans(self, q: QueryCtx, owner: str | None = None, package: str | None = None, limit: int = 1000) -> list:
        """The loans an organisation owns (itself, the exchange, the regulator), or a visible package's."""
        ensure((owner is None) != (package is None), BadRequest("give owner or package"))
        if package is not None:
            p = _visible(q, package)
            return [q.state.get(loan_key(ref)) for ref in p["loans"]]
        if not (q.caller is None or q.caller.role in SEE_ALL or q.caller.org_id == owner):
            raise Unauthorized("an organisation's loan book is its own (and the regulator's)")
        return [rec for _, rec in q.find("loan", "owner", str(owner), max(1, min(limit, 10_000)))]

    @query
    def documents(self, q: QueryCtx, package: str) -> list:
        """The package's documents the reader may see: all for its parties, the data room (and the
        published notice) for every member once the package has been listed."""
        return _documents(q, _visible(q, package))

    @query
    def document(self, q: QueryCtx, hash: str) -> dict:
        """A document's record, if the reader may download it (see `vault_document`)."""
        return dict(_readable_document(q, hash))

    @query
    def views(self, q: QueryCtx, package: str) -> list:
        """Who logged reading which data-room document (the seller, the exchange, the regulator; a
        bidder sees its own)."""
        _visible(q, package)
        return [v for _, v in q.find("view", "package", package, 100_000)
                if q.may_read(view_key(package, v["hash"], v["org"]))]

    @query
    def life(self, q: QueryCtx, package: str, prove: bool = False) -> dict:
        """The package's whole life: every committed version of its record (with the log of each move),
        its loans with their histories since registration, documents, auctions, dispositions and the
        inspection; with `prove`, each current record's proof against this height's app hash, and each
        version's against its own height's."""
        p = _visible(q, package)
        loan_keys = [loan_key(ref) for ref in p["loans"]]
        disposition_keys = [disposition_key(package, n) for n in range(1, p["dispositions"] + 1)]
        auctions = [listing["auction"] for listing in p["listings"]]
        out: dict[str, Any] = {
            "package": p,
            "log": p["log"],
            "versions": q.history(package_key(package), prove),
            "loans": [{"loan": q.state.get(k), "versions": q.history(k, prove)} for k in loan_keys],
            "documents": _documents(q, p),
            "auctions": [q.read("auctions", auction_key(a)) for a in auctions],
            "dispositions": [q.state.get(k) for k in disposition_keys],
        }
        if prove:
            proofs = {k: q.proof(k) for k in [package_key(package), *loan_keys, *disposition_keys]}
            proofs.update({k: q.proof(k) for k in _document_keys(q, p, out["documents"])})
            proofs.update({f"auctions/{auction_key(a)}": q.proof(auction_key(a), "auctions") for a in auctions})
            out["proofs"] = proofs
        return out

    # -- the vault's questions (see faechain/api/vault.py) ---------------------------------------------
    @query
    def vault_upload(self, q: QueryCtx, subject: str, hash: str, document: bytes | None = None) -> dict:
        """May the reader upload a document for package `subject`? Those who may register one. Subject
        `person`: a borrower's or guarantor's personal data document (`document`: its bytes), by a
        bank or AMC, which then names it in `register_loan`."""
        if subject == PERSON_SUBJECT:
            return check_upload(q, hash, document, q.caller is not None and q.caller.role in SELLER_TYPES,
                                "banks and AMCs (for their borrowers and guarantors)")
        p: Package | None = q.state.get(package_key(subject))
        if p is None or q.caller is None or not may_upload(q.caller.org_id, q.caller.role, p):
            raise Unauthorized(f"only the parties of package {subject!r} and the exchange upload its documents")
        ensure(p["status"] not in FINISHED, InvalidState(f"package {subject} is {p['status']}"))
        return {"package": subject}

    @query
    def vault_document(self, q: QueryCtx, hash: str) -> dict:
        """The record of a document the reader may download: the seller, the DD intermediary, the
        inspector, the winner, the exchange and the regulator; a bidder a data-room document whose
        reading it logged with `view_document`; any member the published transfer notice. A borrower's or
        guarantor's personal data document: see `may_read_person`."""
        person: Person | None = q.state.get(person_key(hash))
        if person is not None:
            return document_record(q, hash, self.may_read_person(q, person)) or {}
        return dict(_readable_document(q, hash))

    def may_read_person(self, q: QueryCtx, rec: Person) -> bool:
        """The registering seller, the exchange, the regulator; for each loan naming the person, its owner
        and seller and the parties of the package it is or was last in. Never an anonymous reader."""
        if readable(q, rec):
            return True
        if q.caller is None:
            return False
        for ref in rec["uses"]:
            loan: Loan | None = q.state.get(loan_key(ref))
            if loan is None:
                continue
            if q.caller.org_id in (loan["owner"], loan["seller"]):
                return True
            package_id = loan["package"] or loan["last_package"]
            p: Package | None = q.state.get(package_key(package_id)) if package_id else None
            if p is not None and q.caller.org_id in parties(p):
                return True
        return False

    def person_view(self, q: QueryCtx, rec: Person) -> dict[str, Any]:
        """The person's record with only the loans naming it that the reader may see (a buyer of one
        loan does not learn the seller's other loans to the same borrower)."""
        uses = [ref for ref in rec["uses"] if (loan := q.state.get(loan_key(ref))) is not None
                and _may_see_loan(q, loan)]
        return {**rec, "uses": uses}


# -- who sees what (the rules are reading.py's, which the raw routes apply too) -------------------------


def _party_view(q: QueryCtx, p: Package) -> bool:
    """The package's parties, the exchange and the regulator see all of it."""
    return reading.party(q, p)


def _may_see(q: QueryCtx, p: Package) -> bool:
    """A package that has been listed is public to members; before that only its parties see it."""
    return reading.package_reader(q, p)


def _visible(q: QueryCtx, package_id: str) -> Package:
    p: Package | None = q.state.get(package_key(package_id))
    if p is None or not _may_see(q, p):
        raise NotFound(f"package {package_id!r} not found")
    return p


def _may_see_loan(q: QueryCtx, rec: Loan) -> bool:
    return q.may_read(loan_key(rec["ref"]))


def _documents(q: QueryCtx, p: Package) -> list[Document]:
    docs: list[Document] = [q.state.get(document_key(h)) for h in q.state.get(documents_key(p["id"]), [])]
    if _party_view(q, p):
        return docs
    return [d for d in docs if d["data_room"] or d["public"]]


def _document_keys(q: QueryCtx, p: Package, shown: list[Document]) -> list[str]:
    """The keys that prove the documents shown: a party's view is every document the package's
    list names, so the list is proven too; another reader's proves only what it is shown (the
    others are not its to see, not even as proofs, which carry the record)."""
    if _party_view(q, p):
        return [documents_key(p["id"])] + [document_key(h) for h in q.state.get(documents_key(p["id"]), [])]
    return [document_key(d["hash"]) for d in shown]


def _readable_document(q: QueryCtx, doc_hash: str) -> Document:
    d: Document | None = q.state.get(document_key(doc_hash))
    if d is None or not q.may_read(document_key(doc_hash)):
        raise NotFound(f"document {doc_hash!r} not found")
    p: Package = q.state.get(package_key(d["package"]))
    if _party_view(q, p) or d["public"]:
        return d
    if d["data_room"] and q.caller is not None and q.state.has(view_key(p["id"], doc_hash, q.caller.org_id)):
        return d
    raise Unauthorized(f"document {doc_hash} of package {p['id']} is read by its parties, and by bidders who "
                       "logged their reading with view_document")


def _summary(p: Package) -> dict:
    keys = ("id", "name", "seller", "status", "principal", "interest", "base_date", "reserve_price", "list_price",
            "margin", "auction", "winner")
    return {k: p[k] for k in keys} | {"loans": len(p["loans"])}  # type: ignore[literal-required]
