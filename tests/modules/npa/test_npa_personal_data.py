"""Borrowers and guarantors off the ledger (faechain/contracts/personal.py): loans name people only by the
commitments of their personal data documents; matching is reuse of a commitment; erasure takes the owner's
request and the regulator's approval, each refusal clear and changing nothing."""

from __future__ import annotations

from faechain.core.encoding import decode
from faechain.core.personal import PersonalData, make_document
from tests.modules.npa.npa_support import PRINCIPAL, YUAN, Np, person

BASE = dict(principal=PRINCIPAL, interest=10_000 * YUAN, classification="loss", days_past_due=900)


def register(n: Np, no: str, borrower: str, seller: str = "bank2", **extra):
    return n.ok(seller, "register_loan", loan_no=no, borrower=borrower, **BASE, **extra)


def test_a_loan_names_its_borrower_and_guarantors_only_by_commitments(n):
    data = PersonalData("Wang Jianguo", "resident_id", "120103197001011234")
    doc = make_document(data)
    borrower = n.c.app.hash(doc).hex()
    guarantor = person("guarantor")
    register(n, "PD-1", borrower, guarantors=[guarantor])
    loan = n.loan(n.ref("PD-1"))
    assert loan["borrower"] == borrower and loan["guarantors"] == [guarantor]
    for c in (borrower, guarantor):
        rec = n.get(f"person/{c}")
        assert rec["owner"] == n.o["bank2"] and rec["uses"] == [n.ref("PD-1")] and rec["status"] == "ACTIVE"
    # nothing the chain holds spells the person: every value written in any block so far
    rows = n.c.store.read.execute("SELECT value FROM kv").fetchall()
    assert all(b"Wang Jianguo" not in v and b"120103197001011234" not in v for (v,) in rows if v)


def test_a_name_or_an_id_number_where_a_commitment_belongs_is_refused(n):
    for bad in ("Wang Jianguo", "120103197001011234", "", person("x").upper(), person("x")[:63]):
        n.rejected("bank2", "register_loan", "bad_request", loan_no="PD-2", borrower=bad, **BASE)
        n.rejected("bank2", "register_loan", "bad_request", loan_no="PD-2", borrower=person("b"), guarantors=[bad],
                   **BASE)
    # a person is named once per loan; at most ten guarantors
    b = person("b")
    n.rejected("bank2", "register_loan", "bad_request", loan_no="PD-2", borrower=b, guarantors=[b], **BASE)
    g = person("g")
    n.rejected("bank2", "register_loan", "bad_request", loan_no="PD-2", borrower=b, guarantors=[g, g], **BASE)
    n.rejected("bank2", "register_loan", "bad_request", loan_no="PD-2", borrower=b,
               guarantors=[person(f"g{i}") for i in range(11)], **BASE)


def test_the_same_person_across_loans_is_the_same_commitment_and_only_its_owner_reuses_it(n):
    b, g = person("one borrower"), person("one guarantor")
    register(n, "PD-3", b, guarantors=[g])
    register(n, "PD-4", b)  # the same borrower's second loan
    register(n, "PD-5", g)  # the guarantor of PD-3 borrows in its own right
    assert n.get(f"person/{b}")["uses"] == [n.ref("PD-3"), n.ref("PD-4")]
    assert n.get(f"person/{g}")["uses"] == [n.ref("PD-3"), n.ref("PD-5")]
    # another seller cannot attach a loan to bank2's borrower: it registers a document of its own
    rec = n.rejected("bank", "register_loan", "unauthorized", loan_no="PD-6", borrower=b, **BASE)
    assert "another organisation" in rec.message
    register(n, "PD-6", person("bank's own document for that person"), seller="bank")


def test_erasure_needs_the_owners_request_and_the_regulators_approval(n):
    b = person("to be erased")
    register(n, "PD-7", b)
    # the regulator cannot erase what nobody asked to erase; nobody but the owner asks
    n.rejected("regulator", "approve_erasure", "invalid_state", person=b)
    for who in ("bank", "amc", "exchange", "regulator", "investor1"):
        n.rejected(who, "request_erasure", "unauthorized", person=b, reason="PIPL art. 47 request")
    n.rejected("bank2", "request_erasure", "not_found", person=person("nobody"), reason="PIPL art. 47 request")
    n.rejected("bank2", "request_erasure", "bad_request", person=b, reason="")
    r = n.c.run("bank2", "npa", "request_erasure", {"person": b, "reason": "the borrower's request of 2026-12-01"})
    assert r.ok and r.events == [{"contract": "npa", "type": "ErasureRequested",
                                  "attrs": {"person": b, "by": n.o["bank2"]}}]
    assert n.get(f"person/{b}")["status"] == "ERASURE_REQUESTED" and n.get(f"erased/{b}") is None
    n.rejected("bank2", "request_erasure", "invalid_state", person=b, reason="again")
    # while it is pending the person names nothing new
    n.rejected("bank2", "register_loan", "invalid_state", loan_no="PD-8", borrower=b, **BASE)
    for who in ("bank2", "exchange", "bank"):
        n.rejected(who, "approve_erasure", "unauthorized", person=b)
    r = n.c.run("regulator", "npa", "approve_erasure", {"person": b})
    assert r.ok and r.events == [{"contract": "npa", "type": "PersonalDataErased", "attrs": {"person": b}}]
    rec = n.get(f"person/{b}")
    assert rec["status"] == "ERASED" and rec["erased_at"] is not None and rec["commitment"] == b
    assert n.get(f"erased/{b}")["person"] == b
    # the commitment stays where it was: the loan still names it, and it still proves
    assert n.loan(n.ref("PD-7"))["borrower"] == b
    proof = n.c.app.state_value(f"npa/person/{b}".encode(), prove=True)
    assert decode(proof["value"])["status"] == "ERASED"
    # an erased person is never named again, nor erased twice
    n.rejected("bank2", "register_loan", "invalid_state", loan_no="PD-8", borrower=b, **BASE)
    n.rejected("regulator", "approve_erasure", "invalid_state", person=b)
    n.rejected("bank2", "request_erasure", "invalid_state", person=b, reason="again")


def test_the_regulator_may_refuse_an_erasure_and_the_person_stays(n):
    b = person("kept by law")
    register(n, "PD-9", b)
    n.ok("bank2", "request_erasure", person=b, reason="the borrower asks")
    n.rejected("regulator", "reject_erasure", "bad_request", person=b, reason="")
    n.rejected("bank2", "reject_erasure", "unauthorized", person=b, reason="no")
    n.ok("regulator", "reject_erasure", person=b, reason="the enforcement file must be kept until the case closes")
    rec = n.get(f"person/{b}")
    assert rec["status"] == "ACTIVE" and rec["decision"]["approved"] is False and n.get(f"erased/{b}") is None
    n.rejected("regulator", "approve_erasure", "invalid_state", person=b)  # no request pending any more
    register(n, "PD-10", b)  # still the borrower's commitment


def test_who_reads_a_persons_record_and_document(n):
    package, auction = n.listed("english", loans=1)
    [ref] = n.pkg(package)["loans"]
    b = n.loan(ref)["borrower"]
    readers = {"bank2", "lawfirm", "exchange", "regulator"}  # the seller, the DD intermediary, SEE_ALL
    for who in sorted(n.o):
        ok = who in readers
        for method in ("person", "vault_document"):
            args = {"person": b} if method == "person" else {"hash": b}
            try:
                answer = n.q(method, as_=who, **args)
            except Exception as exc:  # noqa: BLE001 - the refusal's code is what is checked
                assert not ok and getattr(exc, "code", None) == "not_found", (who, method, exc)
            else:
                assert ok, (who, method, "read a person it has no part in")
                assert answer.get("commitment", answer.get("hash")) == b
    # the listed package is public to members, its loans too, but not its borrowers' documents
    assert n.q("loan", as_="investor2", seller=n.o["bank2"], loan_no=ref.split("/")[1])["loan"]["borrower"] == b
    try:
        n.q("person", as_=None, person=b)
    except Exception as exc:  # noqa: BLE001
        assert getattr(exc, "code", None) == "not_found"
    else:
        raise AssertionError("an anonymous reader read a person")


def test_the_buyer_of_the_loans_reads_their_borrowers(n):
    package, _ = n.noticed("amc")
    [ref, *_] = n.pkg(package)["loans"]
    b = n.loan(ref)["borrower"]
    assert n.q("person", as_="amc", person=b)["commitment"] == b  # the winner is a party of the package
    # the seller's other loan to the same borrower stays the seller's: the buyer is shown only the loan it bought
    register(n, "PD-12", b)
    assert n.q("person", as_="amc", person=b)["uses"] == [ref]
    assert n.q("person", as_="bank2", person=b)["uses"] == [ref, n.ref("PD-12")]
    try:
        n.q("person", as_="investor1", person=b)  # the losing bidder is not
    except Exception as exc:  # noqa: BLE001
        assert getattr(exc, "code", None) == "not_found"
    else:
        raise AssertionError("the losing bidder read a borrower")


def test_uploading_a_personal_data_document_checks_who_and_its_form(n):
    doc = make_document(PersonalData("Wang Jianguo", "resident_id", "120103197001011234"))
    c = n.c.app.hash(doc).hex()

    def ask(who, document, subject="person", commitment=c):
        return n.q("vault_upload", as_=who, subject=subject, hash=commitment, document=document)

    assert ask("bank2", doc) == {"person": c}
    for who in ("investor1", "lawfirm", "exchange", None):
        try:
            ask(who, doc)
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "code", None) == "unauthorized", who
        else:
            raise AssertionError(f"{who} may upload a borrower's data")
    for bad in (None, b"Wang Jianguo,120103197001011234", doc[:-1], doc + b"\x00"):
        try:
            ask("bank2", bad)
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "code", None) == "bad_request", bad
        else:
            raise AssertionError(f"a malformed document was accepted: {bad!r}")
    register(n, "PD-11", c)
    try:
        ask("bank", doc)  # another seller's person
    except Exception as exc:  # noqa: BLE001
        assert getattr(exc, "code", None) == "unauthorized"
    else:
        raise AssertionError("another seller may upload bank2's person")
