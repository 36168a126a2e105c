"""Personal data from a member's side: put a person's name and ID number in the vault, read them back checked.

The chain names borrowers, guarantors and individual investors only by commitments
(faechain/core/personal.py; faechain/contracts/personal.py for the rules). A member that
registers a person builds the document here, with a fresh random salt, stores it in its
node's vault and passes the commitment in the transaction:

    from faechain.core.personal import PersonalData
    from faechain.sdk.personal import put_personal_data, read_personal_data

    c = put_personal_data(client, bank2, "npa", PersonalData("Zhao Lihua", "resident_id", "12011..."))
    client.submit(bank2, "npa", "register_loan", loan_no="L-1", borrower=c, ...)

    read_personal_data(client, "npa", loan["borrower"])   # PersonalData, for those who may read it

A reader gets the document from its node (which fetches it from a vault peer if it does
not hold it) and checks it here: the bytes must hash to the commitment and parse as a
personal data document, or `PersonalDataError` says which (`commitment_mismatch`,
`bad_personal_data`). A refusal by the contract's read rule, or a document erased on
chain, is the node's `ApiError` (`not_found`, `unauthorized`).
"""

from __future__ import annotations

from faechain.core.personal import PersonalData, make_document, open_document
from faechain.identity.wallet import Identity
from faechain.sdk.client import Client

PERSON_SUBJECT = "person"  # the vault subject of a personal data document, in every contract's scope


def put_personal_data(client: Client, identity: Identity | None, scope: str, data: PersonalData,
                      salt: bytes | None = None) -> str:
    """Store a new personal data document for `data` in the node's vault under contract `scope`, signed
    by `identity` (or the client's); returns its commitment, to pass where the person is named. Each
    call makes a new salt, so a new commitment: keep and reuse the one you have for the same person."""
    document = make_document(data, salt)
    stored = client.upload_document(identity, scope, PERSON_SUBJECT, document)
    commitment: str = stored["hash"]
    return commitment


def read_personal_data(client: Client, scope: str, commitment: str, identity: Identity | None = None) -> PersonalData:
    """The person `commitment` names, read as `identity` (or the client's) and checked against it."""
    commitment = commitment.lower()
    raw = client.download_document(identity, scope, commitment)
    # the chain suite's hash, as the vault and the contracts use it
    return open_document(commitment, raw, lambda data: bytes.fromhex(client.document_hash(data)))
