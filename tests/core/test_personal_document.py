"""The personal data document (faechain/core/personal.py): one canonical form, a commitment that is its
hash, a salt that makes two documents of one person different, and a reader's check that refuses any
other bytes for a commitment."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faechain.core.encoding import encode
from faechain.core.personal import (
    SALT_BYTES,
    PersonalData,
    PersonalDataError,
    make_document,
    open_document,
    parse_document,
)

PERSON = PersonalData("Zhao Lihua", "resident_id", "120114198204156627")
SALT = bytes(range(SALT_BYTES))


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_the_document_is_the_canonical_map_of_salt_and_fields():
    doc = make_document(PERSON, SALT)
    assert doc == encode({"salt": SALT, "fields": {"name": "Zhao Lihua", "id_type": "resident_id",
                                                   "id_number": "120114198204156627"}})
    parsed = parse_document(doc)
    assert parsed.salt == SALT and parsed.data == PERSON
    assert open_document(sha256(doc).hex(), doc, sha256) == PERSON


def test_a_fresh_salt_each_time_so_one_person_has_unrelated_commitments():
    a, b = make_document(PERSON), make_document(PERSON)
    assert a != b and sha256(a) != sha256(b)
    assert parse_document(a).data == parse_document(b).data == PERSON


@pytest.mark.parametrize("bad", [
    dict(name=""), dict(name=" Zhao"), dict(name="Zhao\n"), dict(name="x" * 201), dict(id_type="hukou"),
    dict(id_number=""), dict(id_number="1201 1419"), dict(id_number="x" * 65),
])
def test_malformed_fields_are_refused(bad):
    fields = PERSON.fields() | bad
    with pytest.raises(PersonalDataError) as e:
        PersonalData(**fields)
    assert e.value.code == "bad_personal_data"
    with pytest.raises(PersonalDataError):
        parse_document(encode({"salt": SALT, "fields": fields}))


@pytest.mark.parametrize("doc", [
    b"", b"Zhao Lihua,120114198204156627",
    encode({"salt": SALT, "fields": PERSON.fields(), "note": "x"}),  # another key
    encode({"salt": SALT[:16], "fields": PERSON.fields()}),  # a short salt
    encode({"salt": SALT.hex(), "fields": PERSON.fields()}),  # a salt that is not bytes
    encode({"salt": SALT, "fields": PERSON.fields() | {"phone": "13800000000"}}),  # more than was agreed
    encode([SALT, PERSON.fields()]),
    make_document(PERSON, SALT) + b"\x00",  # trailing bytes
    b"\xa2" + make_document(PERSON, SALT)[1:][::-1],  # garbage of the right first byte
])
def test_anything_but_the_canonical_document_is_refused(doc):
    with pytest.raises(PersonalDataError):
        parse_document(doc)


def test_a_non_canonical_encoding_of_the_same_map_is_refused():
    import cbor2

    fields = dict(reversed(list(PERSON.fields().items())))
    loose = cbor2.dumps({"fields": fields, "salt": SALT})  # keys not in canonical order
    assert loose != make_document(PERSON, SALT)
    with pytest.raises(PersonalDataError):
        parse_document(loose)


def test_a_reader_refuses_bytes_that_are_not_the_committed_document():
    doc = make_document(PERSON, SALT)
    commitment = sha256(doc).hex()
    for other in (make_document(PERSON), make_document(PersonalData("Zhao Lihua", "resident_id", "1"), SALT)):
        with pytest.raises(PersonalDataError) as e:
            open_document(commitment, other, sha256)
        assert e.value.code == "commitment_mismatch"
    with pytest.raises(PersonalDataError):
        open_document(commitment.upper(), doc, sha256)
    junk = b"not a document"
    with pytest.raises(PersonalDataError) as e:  # hashes right, but is no personal data document
        open_document(sha256(junk).hex(), junk, sha256)
    assert e.value.code == "bad_personal_data"


@given(st.text(min_size=1, max_size=200).filter(lambda s: s.strip() == s and s.isprintable()),
       st.sampled_from(["resident_id", "passport", "other_id", "uscc"]),
       st.from_regex(r"[0-9A-Za-z-]{1,64}", fullmatch=True), st.binary(min_size=SALT_BYTES, max_size=SALT_BYTES))
def test_every_well_formed_document_round_trips(name, id_type, id_number, salt):
    data = PersonalData(name, id_type, id_number)
    doc = make_document(data, salt)
    assert open_document(sha256(doc).hex(), doc, sha256) == data
