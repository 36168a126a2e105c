"""Who may read each npa record and see each of its events: the one definition the queries
(`queries.py`) and the raw routes (`faechain.chain.visibility`) share (docs/confidentiality.md).

    package/<id>                 its parties (seller, DD intermediary, winner, inspector); once listed,
                                 every member (its reserve, list price and margin are then the auction's
                                 public terms)
    loan/<seller>/<loan_no>      its owner and seller, and whoever may read the package it is or was last in
    docs/<package>               the package's parties
    doc/<hash>                   the package's parties; every member for a data-room document or the
                                 published notice of a listed package (the bytes: `vault_document`)
    view/<package>/<hash>/<org>  that reader and the package's seller
    disposition/<package>/<n>    whoever may read the package
    person/<commitment>, erased/<commitment>
                                 as `may_read_person` (faechain/contracts/personal.py)
    due/…, cursor                the regulator and the exchange only

A rule is evaluated at the height read: for a transaction, its own height, so a draft package's
prices and loans stay its parties' after the package is listed.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.personal import PersonalDataSteps, person_key
from faechain.contracts.reading import KeyRule, org_of, read_by_kind, signed_in
from faechain.contracts.runtime import QueryCtx, is_member, sees_all
from faechain.modules.npa.records import (
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

PACKAGE_EVENTS = ("PackageCreated", "LoansAdded", "LoansRemoved", "PricesSet", "DueDiligenceRequested",
                  "DueDiligenceRecorded", "PackageApproved", "PackageListed", "PackageWithdrawn", "BiddingStarted",
                  "PackageAwarded", "PackageAuctionFailed", "PackagePaid", "PaymentRecorded", "DealDefaulted",
                  "DealSigned", "DealContracted", "PackageDelivered", "NoticePublished", "InspectorAssigned",
                  "PackageInspected", "PackageClosed", "NoticeOverdue")
PERSON_EVENTS = ("ErasureRequested", "PersonalDataErased", "ErasureRejected")


def party(q: QueryCtx, p: Package) -> bool:
    """The package's parties (and the regulator and the exchange) see all of it."""
    return sees_all(q.caller) or (signed_in(q) and org_of(q) in parties(p))


def package_reader(q: QueryCtx, p: Package) -> bool:
    """A package that has been listed is every member's; before that only its parties'."""
    return party(q, p) or (bool(p["listings"]) and is_member(q.caller))


def _package(q: QueryCtx, package_id: str | None) -> Package | None:
    if not package_id:
        return None
    p: Package | None = q.state.get(package_key(package_id))
    return p


def read_package(q: QueryCtx, package_id: str) -> bool:
    p = _package(q, package_id)
    return p is not None and package_reader(q, p)


def read_loan(q: QueryCtx, ref: str) -> bool:
    rec: Loan | None = q.state.get(loan_key(ref))
    if rec is None:
        return False
    if org_of(q) in (rec["owner"], rec["seller"]):
        return True
    p = _package(q, rec["package"] or rec["last_package"])
    return p is not None and package_reader(q, p)


def read_docs(q: QueryCtx, package_id: str) -> bool:
    p = _package(q, package_id)
    return p is not None and party(q, p)


def read_doc(q: QueryCtx, doc_hash: str) -> bool:
    d: Document | None = q.state.get(document_key(doc_hash))
    p = _package(q, d["package"]) if d is not None else None
    if d is None or p is None:
        return False
    return party(q, p) or (bool(p["listings"]) and (d["data_room"] or d["public"]) and is_member(q.caller))


def read_view(q: QueryCtx, rest: str) -> bool:
    package_id, _, tail = rest.partition("/")
    org = tail.rsplit("/", 1)[-1]
    p = _package(q, package_id)
    return p is not None and org_of(q) in (org, p["seller"])


def read_disposition(q: QueryCtx, rest: str) -> bool:
    return read_package(q, rest.split("/", 1)[0])


RULES: dict[str, KeyRule] = {
    "package": read_package, "loan": read_loan, "docs": read_docs, "doc": read_doc, "view": read_view,
    "disposition": read_disposition,
}


class ReadRules(PersonalDataSteps):
    """The npa contract's `can_read` and `event_subjects` (see the module docstring)."""

    def can_read(self, q: QueryCtx, key: str) -> bool:
        return read_by_kind(q, key, {**RULES, **self.person_rules()})

    def related(self, key: str, record: Any) -> tuple[str, ...]:
        """A package: its loans and its data room's index, which bidders may read once it is listed."""
        if not key.startswith("package/") or type(record) is not dict:
            return ()
        loans = [f"npa/{loan_key(ref)}" for ref in record.get("loans") or []]
        room = [f"npa/{documents_key(record['id'])}"] if record.get("id") else []
        return tuple(loans + room)

    def event_subjects(self, type_: str, attrs: dict[str, Any]) -> tuple[str, ...]:
        package = attrs.get("package")
        if type_ in ("LoanRegistered", "LoanUpdated") and isinstance(attrs.get("loan"), str):
            return (loan_key(attrs["loan"]),)
        if type_ in PERSON_EVENTS and isinstance(attrs.get("person"), str):
            return (person_key(attrs["person"]),)
        if not isinstance(package, str):
            return ()
        if type_ in PACKAGE_EVENTS:
            return (package_key(package),)
        if type_ == "DocumentRegistered" and isinstance(attrs.get("hash"), str):
            return (document_key(attrs["hash"]),)
        if type_ == "DocumentViewed" and isinstance(attrs.get("hash"), str) and isinstance(attrs.get("org"), str):
            return (view_key(package, attrs["hash"], attrs["org"]),)
        if type_ == "DispositionRecorded" and isinstance(attrs.get("n"), int):
            return (disposition_key(package, attrs["n"]),)
        return ()
