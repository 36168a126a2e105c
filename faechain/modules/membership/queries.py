"""What membership shows: organisations, certificates and the reader itself. Every member sees all of it
(the consortium's roster is no secret among its members); byte fields are shown as hex.

An individual investor's personal data document (the vault; `person/<commitment>`) is another
matter: it is read by the exchange that registered it, the regulator and the individual's own
organisation, never by other members or anonymously (`may_read_person`)."""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import BadRequest, NotFound
from faechain.contracts.personal import PERSON_SUBJECT, Person, check_upload, document_record, person_key, readable
from faechain.contracts.runtime import QueryCtx, query
from faechain.modules.membership.records import (
    ACTIVE,
    Cert,
    EarlyRevocation,
    Org,
    cert_key,
    early_revocation_key,
    org_key,
)


class Queries:
    @query
    def org(self, q: QueryCtx, org_id: str) -> dict:
        """One organisation (its CA certificate is at state key membership/ca/<org_id>)."""
        rec: Org | None = q.state.get(org_key(org_id))
        if rec is None:
            raise NotFound(f"organisation {org_id!r} not found")
        return _public_org(rec)

    @query
    def orgs(self, q: QueryCtx, type: str | None = None) -> list:
        """Member organisations, optionally of one type."""
        if type is not None:
            return [_public_org(r) for _, r in q.find("org", "type", type)]
        return [_public_org(r) for _, r in q.find("org", "status", ACTIVE)]

    @query
    def cert(self, q: QueryCtx, cert_id: str, org_id: str | None = None) -> dict:
        """A registered certificate and its revocation status; with `org_id`, also a
        revocation that organisation recorded before the certificate was ever used."""
        rec: Cert | None = q.state.get(cert_key(cert_id))
        if rec is None and org_id is not None:
            early: EarlyRevocation | None = q.state.get(early_revocation_key(org_id, cert_id))
            if early is not None:
                return {"id": cert_id, "org_id": org_id, "registered": False, "revoked": True,
                        "reason": early["reason"], "revoked_at": early["revoked_at"]}
        if rec is None:
            raise NotFound(f"certificate {cert_id!r} is not registered")
        return {**rec, "registered": True}

    @query
    def whoami(self, q: QueryCtx) -> dict:
        """The reader as the chain sees it."""
        if q.caller is None:
            return {"anonymous": True}
        c = q.caller
        return {"org_id": c.org_id, "org_name": c.org_name, "name": c.name, "role": c.role,
                "attributes": c.attributes, "cert_id": c.cert_id.hex()}


    # -- the vault's questions (see faechain/api/vault.py): individual investors' personal data -------
    @query
    def vault_upload(self, q: QueryCtx, subject: str, hash: str, document: bytes | None = None) -> dict:
        """May the reader upload personal data document `hash` (subject `person`)? The exchange, which
        then names it in `register_person`."""
        if subject != PERSON_SUBJECT:
            raise BadRequest(f"membership keeps only personal data documents (subject {PERSON_SUBJECT!r})")
        return check_upload(q, hash, document, q.caller is not None and q.caller.role == "EXCHANGE",
                            "the exchange (for individual investors)")

    @query
    def vault_document(self, q: QueryCtx, hash: str) -> dict:
        """The record of an individual investor's personal data document, for those who may read it."""
        person: Person | None = q.state.get(person_key(hash))
        record = document_record(q, hash, person is not None and self.may_read_person(q, person))
        if record is None:
            raise NotFound(f"document {hash!r} not found")
        return record

    def may_read_person(self, q: QueryCtx, rec: Person) -> bool:
        """The exchange, the regulator and the individual's own organisation."""
        return readable(q, rec) or (q.caller is not None and q.caller.org_id in rec["uses"])


def _public_org(rec: Org) -> dict[str, Any]:
    return {k: (v.hex() if isinstance(v, bytes) else v) for k, v in rec.items()}
