"""Personal data documents: a natural person's name and ID number, off the ledger, bound to it by a hash.

Borrowers, guarantors and individual investors are people whose names and ID numbers the
PIPL lets them have erased, and the ledger erases nothing. So those fields never go on
chain. They go into a *personal data document*, stored in the vault like any other
document, and the chain keeps only the document's hash, its *commitment*:

    document   = canonical CBOR of {"salt": <32 random bytes>, "fields": {"name", "id_type", "id_number"}}
    commitment = the chain suite's hash of `document` (SHA-256 or SM3, as every vault hash), 64 hex digits

The salt is why a commitment reveals nothing: without it, nobody can test a guessed
name or ID number against the hash (an 18-digit resident ID has far too few
possibilities to hide behind a bare hash). The salt lives only in the document, never
on chain, so once the vault copies are erased the commitment left on chain cannot be
linked to the person by anyone, the registering organisation included unless it kept a
copy. The same bytes are what the vault checks (a document is stored under its hash)
and what a reader checks (`open_document`), so "the document matches its commitment"
is one hash comparison, made the same way by the node, the SDK and the console.

Why the salt is random and not derived from the fields: a deterministic salt (or a keyed
hash of the ID number) would let whoever holds the key re-identify the person after the
erasure, which is exactly what the erasure is for. Matching the same person across
records is therefore done by *reusing the commitment* (see faechain/contracts/personal.py).

This module is in `core` because both sides need it: the contracts check an uploaded
document's shape, and a member's SDK (which imports no node code) builds and opens them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from faechain.core.encoding import EncodingError, decode, encode
from faechain.core.errors import FaeError

SALT_BYTES = 32
MAX_NAME = 200
# how a person (or, for a company borrower, an organisation) is identified
ID_TYPES = ("resident_id", "passport", "other_id", "uscc")
ID_NUMBER = re.compile(r"^[0-9A-Za-z-]{1,64}$")
FIELDS = ("name", "id_type", "id_number")
MEDIA_TYPE = "application/cbor"
HEX64 = re.compile(r"^[0-9a-f]{64}$")


class PersonalDataError(FaeError):
    """A personal data document that is malformed (`bad_personal_data`) or does not hash to the
    commitment it was fetched for (`commitment_mismatch`)."""

    def __init__(self, message: str, code: str = "bad_personal_data") -> None:
        super().__init__(message, code)


@dataclass(frozen=True)
class PersonalData:
    """What the document says of a person: a name and an identification number of a kind."""

    name: str
    id_type: str
    id_number: str

    def __post_init__(self) -> None:
        check_fields({"name": self.name, "id_type": self.id_type, "id_number": self.id_number})

    def fields(self) -> dict[str, str]:
        return {"name": self.name, "id_type": self.id_type, "id_number": self.id_number}


@dataclass(frozen=True)
class PersonalDocument:
    """A parsed document: the salt and the data it commits to."""

    salt: bytes
    data: PersonalData


def check_fields(fields: object) -> dict[str, str]:
    """`fields` if it holds exactly name, id_type and id_number, each well formed; PersonalDataError else."""
    if not isinstance(fields, dict) or set(fields) != set(FIELDS):
        raise PersonalDataError(f"a personal data document's fields are exactly {', '.join(FIELDS)}")
    name, id_type, id_number = fields["name"], fields["id_type"], fields["id_number"]
    if not isinstance(name, str) or not 0 < len(name.strip()) == len(name) <= MAX_NAME or not name.isprintable():
        raise PersonalDataError(f"name must be 1-{MAX_NAME} printable characters without surrounding spaces")
    if id_type not in ID_TYPES:
        raise PersonalDataError(f"id_type must be one of {', '.join(ID_TYPES)}")
    if not isinstance(id_number, str) or ID_NUMBER.match(id_number) is None:
        raise PersonalDataError("id_number must be 1-64 letters, digits or '-'")
    return {"name": name, "id_type": id_type, "id_number": id_number}


def make_document(data: PersonalData, salt: bytes | None = None) -> bytes:
    """The canonical document of `data`, with a fresh random salt unless one is given (tests)."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    if not isinstance(salt, bytes) or len(salt) != SALT_BYTES:
        raise PersonalDataError(f"the salt is {SALT_BYTES} bytes")
    return encode({"salt": salt, "fields": data.fields()})


def parse_document(raw: bytes) -> PersonalDocument:
    """The document in `raw`, which must be exactly the canonical encoding `make_document` makes."""
    try:
        doc = decode(bytes(raw))
    except EncodingError as exc:
        raise PersonalDataError(f"not a canonical personal data document: {exc.message}") from None
    if not isinstance(doc, dict) or set(doc) != {"salt", "fields"}:
        raise PersonalDataError("a personal data document is a map of exactly salt and fields")
    salt = doc["salt"]
    if not isinstance(salt, bytes) or len(salt) != SALT_BYTES:
        raise PersonalDataError(f"a personal data document's salt is {SALT_BYTES} bytes")
    fields = check_fields(doc["fields"])
    return PersonalDocument(salt, PersonalData(**fields))


def commitment_of(raw: bytes, hasher: Callable[[bytes], bytes]) -> str:
    """The commitment (hex) of a document: the chain suite's hash of its bytes."""
    return hasher(bytes(raw)).hex()


def open_document(commitment: str, raw: bytes, hasher: Callable[[bytes], bytes]) -> PersonalData:
    """The data of document `raw`, once it is shown to be the one `commitment` names: its bytes hash
    to the commitment and parse as a personal data document. PersonalDataError otherwise."""
    if not isinstance(commitment, str) or HEX64.match(commitment) is None:
        raise PersonalDataError("a commitment is 64 lowercase hex digits")
    actual = commitment_of(raw, hasher)
    if actual != commitment:
        raise PersonalDataError(f"the document hashes to {actual}, not to the commitment {commitment}: "
                                "it is not the document recorded on chain", "commitment_mismatch")
    return parse_document(raw).data
