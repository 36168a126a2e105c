"""Individual investors off the ledger: the exchange registers the person behind an individual member as the
commitment of a personal data document in the vault; who reads it; erasure and re-registration."""

from __future__ import annotations

import hashlib

import pytest

from faechain.core.personal import PersonalData, make_document
from tests.modules.driver import Driver


def person(label: str) -> str:
    return hashlib.sha256(b"person:" + label.encode()).hexdigest()


@pytest.fixture
def m(demo_chain) -> Driver:
    d = Driver(demo_chain, "membership")
    d.warm()
    return d


def code_of(fn) -> str | None:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the refusal's code is what is checked
        return getattr(exc, "code", type(exc).__name__)
    return None


def test_the_exchange_registers_the_person_behind_an_individual_investor(m):
    doc = make_document(PersonalData("Chen Jing", "resident_id", "110101199212121234"))
    c = m.c.app.hash(doc).hex()
    inv = m.o["investor4"]
    for who in ("investor4", "regulator", "bank"):
        m.rejected(who, "register_person", "unauthorized", org_id=inv, person=c)
    m.rejected("exchange", "register_person", "invalid_state", org_id=m.o["bank"], person=c)  # not an individual
    m.rejected("exchange", "register_person", "bad_request", org_id=inv, person="Chen Jing")
    m.rejected("exchange", "register_person", "not_found", org_id="91110000MA9999999X", person=c)
    r = m.c.run("exchange", "membership", "register_person", {"org_id": inv, "person": c})
    assert r.ok and r.events[0]["type"] == "PersonRegistered"
    org = m.get(f"org/{inv}")
    assert org["person"] == c and "Chen Jing" not in org["name"]
    assert m.get(f"person/{c}")["owner"] == m.o["exchange"] and m.get(f"person/{c}")["uses"] == [inv]
    # one person per membership until that one is erased; one membership per person
    m.rejected("exchange", "register_person", "duplicate", org_id=inv, person=person("another"))
    m.rejected("exchange", "register_person", "invalid_state", org_id=m.o["investor3"], person=c)


def test_the_individual_itself_the_exchange_and_the_regulator_read_it_and_no_one_else(m):
    c = person("investor4's person")
    m.ok("exchange", "register_person", org_id=m.o["investor4"], person=c)
    readers = {"investor4", "exchange", "regulator"}
    for who in [*sorted(m.o), None]:
        for method, args in (("person", {"person": c}), ("vault_document", {"hash": c})):
            code = code_of(lambda: m.q(method, as_=who, **args))  # noqa: B023 - called at once
            assert code == (None if who in readers else "not_found"), (who, method, code)
    assert code_of(lambda: m.q("vault_document", as_="regulator", hash=person("no one"))) == "not_found"


def test_erasure_and_a_new_registration(m):
    inv = m.o["investor3"]
    c = person("investor3's person")
    m.ok("exchange", "register_person", org_id=inv, person=c)
    m.rejected("investor3", "request_erasure", "unauthorized", person=c, reason="mine")  # the exchange asks for it
    m.rejected("regulator", "approve_erasure", "invalid_state", person=c)
    m.ok("exchange", "request_erasure", person=c, reason="the investor left and asked for erasure")
    m.rejected("exchange", "approve_erasure", "unauthorized", person=c)
    m.ok("regulator", "approve_erasure", person=c)
    assert m.get(f"person/{c}")["status"] == "ERASED" and m.get(f"erased/{c}")["person"] == c
    assert code_of(lambda: m.q("vault_document", as_="regulator", hash=c)) == "not_found"  # not served any more
    assert m.get(f"org/{inv}")["person"] == c  # the commitment stays
    m.rejected("exchange", "register_person", "invalid_state", org_id=inv, person=c)  # erased: never again
    c2 = person("investor3's person, registered anew")
    m.ok("exchange", "register_person", org_id=inv, person=c2)
    assert m.get(f"org/{inv}")["person"] == c2


def test_uploads_are_the_exchanges_and_well_formed(m):
    doc = make_document(PersonalData("Chen Jing", "resident_id", "110101199212121234"))
    c = m.c.app.hash(doc).hex()
    assert m.q("vault_upload", as_="exchange", subject="person", hash=c, document=doc) == {"person": c}
    assert code_of(lambda: m.q("vault_upload", as_="investor4", subject="person", hash=c, document=doc)) \
        == "unauthorized"
    assert code_of(lambda: m.q("vault_upload", as_="exchange", subject="person", hash=c, document=b"{}")) \
        == "bad_request"
    assert code_of(lambda: m.q("vault_upload", as_="exchange", subject="P-1", hash=c, document=doc)) \
        == "bad_request"
