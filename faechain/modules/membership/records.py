"""The membership module's records: organisations, their CA certificates, member certificates, revocations.

State (under `membership/`):

    org/<org_id>                    Org: {id, name, type, ca_id, attributes, status}
    ca/<org_id>                     the organisation CA certificate (DER), kept apart from the small
                                    org record that every signer lookup reads
    cert/<cert id hex>              Cert: {id, org_id, name, role, public_key, attributes, not_before,
                                    not_after, revoked, reason}, registered by the chain at the
                                    certificate's first successful transaction
    revoked/<org_id>/<cert id hex>  EarlyRevocation: a revocation of a certificate not yet used on chain
    person/<commitment>             Person (faechain/contracts/personal.py): an individual investor's
                                    personal data document in the vault (name, ID number), registered
                                    by the exchange; the org record's `person` names it
    erased/<commitment>             Erased: the regulator approved that document's erasure

The chain reads these records outside any contract call, to authenticate every signer
(faechain.chain.auth) and to register a new signer's certificate (faechain.chain.execution):
it takes their full state keys from the `*_state_key` functions here.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from faechain.contracts.errors import BadRequest
from faechain.crypto import certs
from faechain.identity.organisations import ORG_TYPES

NAME = "membership"  # the contract's name: its state keys start with "membership/"
STATE_PREFIX = b"membership/"

# An organisation's states: admitted ACTIVE; REMOVED by a governance vote (never re-admitted).
ACTIVE, REMOVED = "ACTIVE", "REMOVED"

# Attributes only the consortium can grant (the exchange, or genesis), kept on the
# organisation's record: an organisation's own CA cannot give its members these by
# writing them into a certificate.
ORG_ONLY_ATTRIBUTES = frozenset({"qualified", "settlement"})
USCC_LEN = 18
# organisation types the consortium cannot run without: the last of each is never removed
INDISPENSABLE_TYPES = ("EXCHANGE", "REGULATOR")
# the most organisations a governance electorate (a scan of org/) may hold
MAX_ORGS = 1000


# -- organisations ---------------------------------------------------------------------------------------
class Org(TypedDict):
    id: str  # the USCC
    name: str
    type: str  # one of ORG_TYPES
    ca_id: bytes  # the hash of its CA certificate
    attributes: dict[str, Any]  # consortium-granted, e.g. qualified, settlement
    status: str  # ACTIVE or REMOVED
    removed_at: NotRequired[int]
    removed_reason: NotRequired[str]
    # an individual investor: the commitment of the person's data document in the vault; the org's
    # `name` is then a label that names no one (the exchange admits individuals under such a label)
    person: NotRequired[str]


def org_key(org_id: str) -> str:
    return f"org/{org_id}"


def ca_key(org_id: str) -> str:
    return f"ca/{org_id}"


def org_record(org_id: str, name: str, org_type: str, ca_der: bytes, attributes: dict[str, Any],
               ca_id: bytes) -> Org:
    """The org record (the CA certificate itself is stored at `ca/<org_id>`)."""
    if len(org_id) != USCC_LEN or not org_id.isalnum():
        raise BadRequest(f"organisation id must be an 18-character USCC, got {org_id!r}")
    if org_type not in ORG_TYPES:
        raise BadRequest(f"unknown organisation type {org_type!r}")
    info = certs.read_info(ca_der)
    if not info.is_ca or info.org_id != org_id:
        raise BadRequest("CA certificate must be a CA for this organisation id")
    return {
        "id": org_id, "name": name, "type": org_type, "ca_id": ca_id,
        "attributes": attributes, "status": ACTIVE,
    }


def caller_attributes(cert_attributes: dict[str, Any], org_attributes: dict[str, Any]) -> dict[str, Any]:
    """A signer's attributes: its certificate's (member-level, e.g. `admin`) without the
    consortium-granted keys, then its organisation's (which win)."""
    own = {k: v for k, v in cert_attributes.items() if k not in ORG_ONLY_ATTRIBUTES}
    return {**own, **org_attributes}


# -- certificates ----------------------------------------------------------------------------------------
class Cert(TypedDict):
    """A member certificate as the chain registered it at its first transaction."""

    id: str  # hex of the certificate's hash
    org_id: str
    name: str
    role: str  # the organisation type the certificate names
    public_key: bytes
    attributes: dict[str, Any]
    not_before: int  # unix seconds
    not_after: int
    revoked: bool
    reason: NotRequired[str]  # once revoked
    revoked_at: NotRequired[int]


def cert_key(cert_id_hex: str) -> str:
    return f"cert/{cert_id_hex}"


class EarlyRevocation(TypedDict):
    """A certificate revoked before it ever signed: binding if a certificate of that organisation
    with this id ever signs."""

    cert_id: str  # hex
    org_id: str
    reason: str
    revoked_at: int


def early_revocation_key(org_id: str, cert_id_hex: str) -> str:
    return f"revoked/{org_id}/{cert_id_hex}"


# -- the full state keys the chain authenticates every signer against (faechain.chain.auth) ----------------
# (contract prefix included, bytes), as the chain reads them outside any ctx.


def org_state_key(org_id: str) -> bytes:
    """`membership/org/<org_id>`: the organisation record."""
    return f"{NAME}/{org_key(org_id)}".encode()


def ca_state_key(org_id: str) -> bytes:
    """`membership/ca/<org_id>`: the organisation's CA certificate (DER)."""
    return f"{NAME}/{ca_key(org_id)}".encode()


def cert_state_key(cert_id: bytes) -> bytes:
    """`membership/cert/<cert id hex>`: a signer's certificate record, registered by its first
    successful transaction."""
    return f"{NAME}/{cert_key(cert_id.hex())}".encode()


def revocation_state_key(org_id: str, cert_id: bytes) -> bytes:
    """`membership/revoked/<org_id>/<cert id hex>`: a certificate revoked before its first use."""
    return f"{NAME}/{early_revocation_key(org_id, cert_id.hex())}".encode()
