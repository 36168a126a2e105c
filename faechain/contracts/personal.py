"""Personal information off the ledger: the rules every contract that names a natural person shares.

A contract that needs a person (npa's borrowers and guarantors, membership's individual
investors) never takes a name or an ID number as an argument. The registering
organisation puts a personal data document (`faechain.core.personal`: a random salt and
the fields) in the vault under the contract's scope, with subject `person`, and passes
the document's hash, the *commitment*, where the name would have gone. The chain keeps:

    <contract>/person/<commitment>   Person: owner (the registering organisation), the records that
                                     name it (`uses`), status, the erasure request and decision
    <contract>/erased/<commitment>   Erased: the marker every node's vault acts on (see below)

**Uniqueness and matching.** A commitment is registered once per contract, by one owner;
every later record about the same person reuses it (the same borrower's second loan, a
borrower who also guarantees another loan), so "the same person" on chain is "the same
commitment", and the contract refuses a commitment another organisation registered, or
one that has been erased. Matching therefore needs no one to reveal anything: whoever may
see two loans sees that they share a borrower, and nothing about who it is. What it does
not give is matching *across* registering organisations: two banks that lend to one person
hold two commitments with different salts, and the chain cannot tell. That is deliberate.
Telling would mean a deterministic tag of the ID number, and any tag every validator can
compute, every validator (and anyone who obtains the key) can also test guesses against —
an 18-digit resident ID is a small space — and can re-link after an erasure; and it would
tell one bank who another bank's borrowers are, which the consortium forbids. Cross-member
matching is the regulator's: it may read every personal data document and compare fields.

**Reading.** The contract's read rule decides who may fetch a person's document
(`may_read_person`, per contract): never an anonymous reader; always the owner, the
exchange and the regulator; the contract adds the parties it names (npa: the loan's owner
and the parties of its package; membership: the individual's own organisation). A reader
checks the bytes against the commitment (`faechain.core.personal.open_document`).

**Erasure** (PIPL) takes two transactions: the owner's `request_erasure(person, reason)`
on the person's behalf, then the regulator's `approve_erasure(person)` (or
`reject_erasure(person, reason)`, e.g. when the law requires the record to be kept). The
approval marks the person ERASED, writes `erased/<commitment>` and emits
`PersonalDataErased`; every node deletes its vault copy when it commits that block (and,
if it was down, when it next starts: `faechain.node.erasure`). The commitment stays on
chain, so every block, root and proof still verifies; without the salt it names no one.
An erased person's document is not served, not accepted again and not reported missing.
"""

from __future__ import annotations

from typing import Any, TypedDict

from faechain.contracts.errors import BadRequest, InvalidState, LimitExceeded, NotFound, Unauthorized, ensure
from faechain.contracts.reading import KeyRule
from faechain.contracts.roles import SEE_ALL
from faechain.contracts.runtime import Ctx, QueryCtx, query, tx
from faechain.contracts.time import date_time
from faechain.contracts.validators import HEX64, text
from faechain.core.personal import MEDIA_TYPE, PersonalDataError, parse_document

# a person's states
ACTIVE, ERASURE_REQUESTED, ERASED = "ACTIVE", "ERASURE_REQUESTED", "ERASED"
# the vault subject under which a personal data document is uploaded, in every contract's scope
PERSON_SUBJECT = "person"
# the event the regulator's approval emits; every node's vault deletes the document on it
ERASED_EVENT = "PersonalDataErased"
ERASED_PREFIX = "erased/"
MAX_USES = 1000  # records that may name one person (a borrower's loans and guarantees)


class ErasureRequest(TypedDict):
    by: str
    reason: str
    at: int


class ErasureDecision(TypedDict):
    by: str
    approved: bool
    reason: str
    at: int


class Person(TypedDict):
    commitment: str  # the hash of the personal data document in the vault
    owner: str  # the organisation that registered it, on the person's behalf
    registered_at: int
    uses: list[str]  # the records that name it (npa: loan refs; membership: the org id)
    status: str  # ACTIVE, ERASURE_REQUESTED, ERASED
    erasure: ErasureRequest | None  # the latest request
    decision: ErasureDecision | None  # the regulator's decision on it
    erased_at: int | None


class Erased(TypedDict):
    person: str
    at: int
    height: int


def person_key(commitment: str) -> str:
    return f"person/{commitment}"


def erased_key(commitment: str) -> str:
    return f"{ERASED_PREFIX}{commitment}"


def check_commitment(value: str, what: str) -> str:
    ensure(HEX64.match(value) is not None,
           BadRequest(f"{what} must be the 64-hex-digit commitment of a personal data document in the vault "
                      "(never a name or an ID number)"))
    return value


def enrol(ctx: Ctx, commitment: str, use: str, what: str) -> Person:
    """Name the person `commitment` in record `use`: registered now (the caller owns it) or reused
    (the caller must own it, and it must not be erased or awaiting erasure)."""
    check_commitment(commitment, what)
    rec: Person | None = ctx.state.get(person_key(commitment))
    if rec is None:
        rec = {"commitment": commitment, "owner": ctx.caller.org_id, "registered_at": ctx.time, "uses": [],
               "status": ACTIVE, "erasure": None, "decision": None, "erased_at": None}
    else:
        ensure(rec["owner"] == ctx.caller.org_id,
               Unauthorized(f"{what} {commitment} was registered by another organisation: register the "
                            "person's data document of your own"))
        ensure(rec["status"] != ERASED,
               InvalidState(f"the personal data {commitment} has been erased: register a new document"))
        ensure(rec["status"] != ERASURE_REQUESTED,
               InvalidState(f"the erasure of personal data {commitment} is pending: it names nothing new"))
    if use not in rec["uses"]:
        ensure(len(rec["uses"]) < MAX_USES, LimitExceeded(f"a person is named by at most {MAX_USES} records"))
        rec["uses"].append(use)
    ctx.state.put(person_key(commitment), rec)
    return rec


def load_person(ctx: Ctx, commitment: str) -> Person:
    check_commitment(commitment, "person")
    rec: Person | None = ctx.state.get(person_key(commitment))
    if rec is None:
        raise NotFound(f"personal data {commitment} not found")
    return rec


def readable(q: QueryCtx, rec: Person | None) -> bool:
    """The readers every contract allows: the owner, the exchange and the regulator; never anonymous."""
    return rec is not None and q.caller is not None and (q.caller.role in SEE_ALL or q.caller.org_id == rec["owner"])


def check_upload(q: QueryCtx, commitment: str, document: bytes | None, may_register: bool,
                 what: str) -> dict[str, Any]:
    """The vault's question for a personal data document (subject `person`): the uploader may
    register people in this contract, the bytes are a well-formed document (the vault then checks
    that they hash to `commitment`), and the commitment is new or the uploader's own, not erased."""
    if q.caller is None or not may_register:
        raise Unauthorized(f"only {what} upload personal data documents here")
    check_commitment(commitment, "hash")
    ensure(document is not None, BadRequest("a personal data document is checked by its bytes: none were given"))
    try:
        parse_document(document or b"")
    except PersonalDataError as exc:
        raise BadRequest(exc.message) from None
    rec: Person | None = q.state.get(person_key(commitment))
    if rec is not None:
        ensure(rec["owner"] == q.caller.org_id, Unauthorized("this personal data was registered by another "
                                                              "organisation"))
        ensure(rec["status"] != ERASED, InvalidState(f"the personal data {commitment} has been erased"))
    return {"person": commitment}


def document_record(q: QueryCtx, commitment: str, may_read: bool) -> dict[str, Any] | None:
    """The vault's record of person `commitment`'s document for a reader: None when the hash names
    no person here; NotFound when the reader may not read it, or it was erased."""
    rec: Person | None = q.state.get(person_key(commitment))
    if rec is None:
        return None
    if not may_read:
        raise NotFound(f"document {commitment!r} not found")
    ensure(rec["status"] != ERASED,
           NotFound(f"the personal data {commitment} was erased at {date_time(rec['erased_at'] or 0)}"))
    return {"hash": commitment, "name": f"personal-data-{commitment[:16]}.cbor", "media_type": MEDIA_TYPE,
            "person": True}


class PersonalDataSteps:
    """The erasure steps and the `person` query of a contract that registers people.

    The contract overrides `may_read_person` to add the parties it names to the readers
    every contract allows (`readable`)."""

    def may_read_person(self, q: QueryCtx, rec: Person) -> bool:
        return readable(q, rec)

    def person_rules(self) -> dict[str, KeyRule]:
        """The read rules of `person/<commitment>` and `erased/<commitment>`, for the contract's
        table (`faechain.contracts.reading`): as `may_read_person` says of the person's record."""
        def rule(q: QueryCtx, commitment: str) -> bool:
            rec: Person | None = q.state.get(person_key(commitment))
            return rec is not None and self.may_read_person(q, rec)
        return {"person": rule, "erased": rule}

    def person_view(self, q: QueryCtx, rec: Person) -> dict[str, Any]:
        """What `person` shows a reader allowed to read `rec`: all of it, unless the contract narrows
        it (npa lists only the loans the reader may see among those naming the person)."""
        return dict(rec)

    @tx
    def request_erasure(self, ctx: Ctx, person: str, reason: str) -> dict[str, Any]:
        """The organisation that registered a person's data asks, on the person's behalf, that it be
        erased; nothing is deleted until the regulator approves."""
        rec = load_person(ctx, person)
        ensure(rec["owner"] == ctx.caller.org_id,
               Unauthorized(f"only the organisation that registered personal data {person} requests its erasure"))
        text(reason, "reason", 500)
        ensure(rec["status"] == ACTIVE, InvalidState(f"personal data {person} is {rec['status']}"))
        rec["status"] = ERASURE_REQUESTED
        rec["erasure"] = {"by": ctx.caller.org_id, "reason": reason, "at": ctx.time}
        rec["decision"] = None
        ctx.state.put(person_key(person), rec)
        ctx.emit("ErasureRequested", person=person, by=ctx.caller.org_id)
        return {"person": person, "status": rec["status"]}

    @tx
    def approve_erasure(self, ctx: Ctx, person: str) -> dict[str, Any]:
        """The regulator approves a requested erasure: the person is ERASED and every node deletes its
        vault copy of the document when it commits this block; the commitment stays on chain."""
        ensure(ctx.caller.role == "REGULATOR", Unauthorized("only the regulator approves an erasure"))
        rec = load_person(ctx, person)
        ensure(rec["status"] == ERASURE_REQUESTED,
               InvalidState(f"personal data {person} is {rec['status']}: its owner requests the erasure first"))
        rec["status"] = ERASED
        rec["decision"] = {"by": ctx.caller.org_id, "approved": True, "reason": "", "at": ctx.time}
        rec["erased_at"] = ctx.time
        ctx.state.put(person_key(person), rec)
        marker: Erased = {"person": person, "at": ctx.time, "height": ctx.height}
        ctx.state.put(erased_key(person), marker)
        ctx.emit(ERASED_EVENT, person=person)
        return {"person": person, "status": ERASED}

    @tx
    def reject_erasure(self, ctx: Ctx, person: str, reason: str) -> dict[str, Any]:
        """The regulator refuses a requested erasure (the law requires the record kept), saying why."""
        ensure(ctx.caller.role == "REGULATOR", Unauthorized("only the regulator decides on an erasure"))
        rec = load_person(ctx, person)
        text(reason, "reason", 500)
        ensure(rec["status"] == ERASURE_REQUESTED,
               InvalidState(f"personal data {person} is {rec['status']}: there is no erasure request to refuse"))
        rec["status"] = ACTIVE
        rec["decision"] = {"by": ctx.caller.org_id, "approved": False, "reason": reason, "at": ctx.time}
        ctx.state.put(person_key(person), rec)
        ctx.emit("ErasureRejected", person=person)
        return {"person": person, "status": ACTIVE}

    @query
    def person(self, q: QueryCtx, person: str) -> dict[str, Any]:
        """A person's record (commitment, owner, the records naming it, erasure), for those who may
        read the person's data; `not_found` for everyone else, as for a person that does not exist."""
        rec: Person | None = q.state.get(person_key(person)) if HEX64.match(person) else None
        if rec is None or not self.may_read_person(q, rec):
            raise NotFound(f"personal data {person!r} not found")
        return self.person_view(q, rec)
