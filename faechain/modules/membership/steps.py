"""How organisations and certificates come and go: genesis, the exchange's admissions, an organisation's own
revocations, and the same changes made by a governance vote (`@internal`, callable only by `governance`)."""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import (
    BadCertificate,
    BadRequest,
    Duplicate,
    InvalidState,
    LimitExceeded,
    NotFound,
    Unauthorized,
    ensure,
)
from faechain.contracts.personal import ERASED, Person, enrol, person_key
from faechain.contracts.roles import role_word
from faechain.contracts.runtime import Ctx, internal, tx
from faechain.core.errors import FaeError
from faechain.crypto import certs
from faechain.identity.organisations import revocation_message
from faechain.modules.membership.records import (
    ACTIVE,
    INDISPENSABLE_TYPES,
    MAX_ORGS,
    REMOVED,
    Cert,
    EarlyRevocation,
    Org,
    ca_key,
    cert_key,
    early_revocation_key,
    org_key,
    org_record,
)

GOVERNANCE = "governance"  # the only contract that may call the by-vote methods


class GenesisCertificateError(FaeError, ValueError):
    """A genesis organisation's CA certificate is not of the chain's suite: the node refuses to start."""

    code = "bad_certificate"


def _ca_id(ctx: Ctx, der: bytes) -> bytes:
    """A CA certificate's id on this chain: its hash under the chain's suite."""
    ca_id: bytes = ctx.suite.hash(der)
    return ca_id


CA_FORMS = "DER bytes or PEM (text or bytes, '-----BEGIN CERTIFICATE-----' ...)"


def ca_der(ca: bytes | str) -> bytes:
    """An organisation CA certificate given in either form, as DER: PEM (text, or bytes) is what
    starts with `-----BEGIN` after leading white space; other bytes are taken as DER. Text that
    is not PEM, PEM without a readable certificate, and bytes that are neither PEM nor a DER
    certificate are refused with `bad_request` (what the certificate says is checked by `_admit`)."""
    raw = ca.encode() if isinstance(ca, str) else ca
    if raw.lstrip().startswith(b"-----BEGIN"):
        try:
            return certs.load_pem(raw)
        except certs.CertificateError:
            raise BadRequest(f"ca is PEM but holds no readable X.509 certificate; give {CA_FORMS}") from None
    ensure(not isinstance(ca, str), BadRequest(f"ca is text but not PEM; give {CA_FORMS}"))
    try:
        certs.load_der(raw)
    except certs.CertificateError:
        raise BadRequest(f"ca is neither a DER certificate nor PEM; give {CA_FORMS}") from None
    return raw


def _admit(ctx: Ctx, org_id: str, name: str, org_type: str, ca: bytes, attributes: dict[str, Any]) -> dict:
    existing: Org | None = ctx.state.get(org_key(org_id))
    ensure(existing is None, Duplicate(
        f"organisation {org_id} is already a member" if existing is None or existing["status"] == ACTIVE
        else f"organisation {org_id} exists ({existing['status']})"))
    ensure(0 < len(name) <= 200, BadRequest("an organisation name is 1-200 characters"))
    try:
        rec = org_record(org_id, name, org_type, ca, attributes, _ca_id(ctx, ca))
    except certs.CertificateError as exc:
        raise BadRequest(str(exc)) from None
    try:
        certs.public_key(ctx.suite, ca)
    except certs.CertificateError as exc:
        raise BadCertificate(str(exc)) from None
    ctx.state.put(org_key(org_id), rec)
    ctx.state.put(ca_key(org_id), ca)
    ctx.emit("OrgAdmitted", org_id=org_id, name=name, type=org_type)
    return {"org_id": org_id}


def _revoke(ctx: Ctx, org_id: str, cert_id: bytes, reason: str) -> dict:
    key = cert_key(cert_id.hex())
    rec: Cert | None = ctx.state.get(key)
    if rec is not None:  # a registered certificate
        ensure(rec["org_id"] == org_id, BadRequest("certificate belongs to another organisation"))
        ensure(not rec.get("revoked"), Duplicate("certificate is already revoked"))
        rec["revoked"], rec["reason"], rec["revoked_at"] = True, reason, ctx.time
        ctx.state.put(key, rec)
    else:
        # never used on chain yet: recorded under the organisation, and binding only
        # if a certificate of that organisation with this id ever signs
        early = early_revocation_key(org_id, cert_id.hex())
        ensure(not ctx.state.has(early), Duplicate("certificate is already revoked"))
        revocation: EarlyRevocation = {"cert_id": cert_id.hex(), "org_id": org_id, "reason": reason,
                                       "revoked_at": ctx.time}
        ctx.state.put(early, revocation)
    ctx.emit("CertRevoked", org_id=org_id, cert_id=cert_id.hex(), reason=reason)
    return {"cert_id": cert_id.hex()}


def _by_vote(ctx: Ctx) -> None:
    ensure(ctx.via == GOVERNANCE, Unauthorized("only a governance vote does this"))


def _cert_id(cert_id: str) -> bytes:
    try:
        raw = bytes.fromhex(cert_id)
    except ValueError:
        raw = b""
    ensure(len(raw) == 32 and cert_id == raw.hex(), BadRequest("cert_id must be 64 lowercase hex characters"))
    return raw


class Genesis:
    def genesis(self, ctx: Ctx, config: dict) -> None:
        for org in config.get("orgs", []):
            der = certs.load_pem(org["ca"].encode()) if isinstance(org["ca"], str) else org["ca"]
            try:  # a CA of the other suite could never sign anything on this chain
                certs.public_key(ctx.suite, der)
            except certs.CertificateError as exc:
                raise GenesisCertificateError(f"bad_certificate: organisation {org['id']}: {exc}") from None
            rec = org_record(org["id"], org["name"], org["type"], der, org.get("attributes", {}), _ca_id(ctx, der))
            ctx.state.put(org_key(org["id"]), rec)
            ctx.state.put(ca_key(org["id"]), der)


class Steps:
    @tx
    def admit(self, ctx: Ctx, org_id: str, name: str, type: str, ca: bytes | str,
              attributes: dict | None = None) -> dict:
        """Admit an organisation with its CA certificate (the exchange admits members).

        `ca` is the CA certificate as DER bytes or as PEM (text or bytes); anything else is
        `bad_request`. A CA of the chain's other signature suite is refused as well."""
        ensure(ctx.caller.role == "EXCHANGE", Unauthorized("only the exchange admits organisations"))
        return _admit(ctx, org_id, name, type, ca_der(ca), attributes or {})

    @tx
    def set_attributes(self, ctx: Ctx, org_id: str, attributes: dict) -> dict:
        """Set organisation attributes such as `qualified` (the exchange's call)."""
        ensure(ctx.caller.role == "EXCHANGE", Unauthorized("only the exchange sets member attributes"))
        org: Org = ctx.state.require(org_key(org_id), "organisation")
        org["attributes"] = {**org["attributes"], **attributes}
        ctx.state.put(org_key(org_id), org)
        ctx.emit("OrgAttributesSet", org_id=org_id, attributes=attributes)
        return {"org_id": org_id}

    @tx
    def register_person(self, ctx: Ctx, org_id: str, person: str) -> dict:
        """The exchange records who stands behind an individual investor's membership: `person` is the
        commitment of the personal data document (name, ID number) it put in the vault (scope
        membership, subject person); the name and ID number never go on chain, and the organisation's
        `name` stays a label that names no one. Once the document is erased, a new one may be
        registered; until then the organisation keeps the one it has."""
        ensure(ctx.caller.role == "EXCHANGE", Unauthorized("only the exchange registers an individual's data"))
        org: Org = ctx.state.require(org_key(org_id), "organisation")
        ensure(org["status"] == ACTIVE, InvalidState(f"organisation {org_id} is {org['status']}"))
        ensure(org["type"] == "INVESTOR",
               InvalidState(f"organisation {org_id} is {role_word(org['type'])}: only an individual investor's "
                            "membership names a person"))
        current = org.get("person")
        if current is not None:
            old: Person | None = ctx.state.get(person_key(current))
            ensure(old is None or old["status"] == ERASED,
                   Duplicate(f"organisation {org_id} already names personal data {current}: have it erased first"))
        rec = enrol(ctx, person, org_id, "person")
        ensure(rec["uses"] == [org_id], InvalidState(f"personal data {person} already names another organisation"))
        org["person"] = person
        ctx.state.put(org_key(org_id), org)
        ctx.emit("PersonRegistered", org_id=org_id, person=person)
        return {"org_id": org_id, "person": person}

    @tx
    def revoke(self, ctx: Ctx, org_id: str, cert_id: bytes, reason: str, ca_signature: bytes | None = None) -> dict:
        """Revoke a member certificate.

        Allowed with the organisation CA's signature over `revocation_message`
        (what `fae ca revoke` produces), or by an `admin` member of the same
        organisation. A revoked certificate can never sign again.
        """
        ensure(len(cert_id) == 32, BadRequest("cert_id must be 32 bytes"))
        ctx.state.require(org_key(org_id), "organisation")  # a member organisation
        if ca_signature is not None:
            ca_public = certs.public_key(ctx.suite, ctx.state.get(ca_key(org_id)))
            msg = revocation_message(ctx.chain, org_id, cert_id, reason)
            ensure(ca_public.verify(ca_signature, msg), Unauthorized("revocation is not signed by the organisation CA"))
        else:
            ensure(
                ctx.caller.org_id == org_id and ctx.caller.has("admin"),
                Unauthorized("only the organisation's CA or its admin revokes its certificates"),
            )
        return _revoke(ctx, org_id, cert_id, reason)

    # -- by a governance vote (callable only by the governance contract) --------------------
    @internal
    def admit_by_vote(self, ctx: Ctx, org_id: str, name: str, type: str, ca: bytes | str,
                      attributes: dict | None = None) -> dict:
        """Admit an organisation whose admission the consortium voted for; `ca` is its CA
        certificate as DER bytes or as PEM (text or bytes), as in `admit`. The same checks as
        `admit` (USCC, type, a CA certificate for this organisation id, not already known)."""
        _by_vote(ctx)
        return _admit(ctx, org_id, name, type, ca_der(ca), attributes or {})

    @internal
    def revoke_by_vote(self, ctx: Ctx, cert_id: str, reason: str, org_id: str | None = None) -> dict:
        """Revoke a member certificate (hex id) by a consortium vote. A certificate that has
        signed on chain is known with its organisation; one never used needs `org_id`."""
        _by_vote(ctx)
        raw = _cert_id(cert_id)
        rec: Cert | None = ctx.state.get(cert_key(cert_id))
        if rec is not None:
            ensure(org_id is None or org_id == rec["org_id"], BadRequest("certificate belongs to another organisation"))
            org_id = rec["org_id"]
        if org_id is None:
            raise NotFound(f"certificate {cert_id} has never signed on chain; "
                           "name its organisation (org_id) to revoke it in advance")
        ctx.state.require(org_key(org_id), "organisation")
        return _revoke(ctx, org_id, raw, reason)

    @internal
    def remove_by_vote(self, ctx: Ctx, org_id: str, reason: str) -> dict:
        """Remove a member organisation by a consortium vote: status REMOVED, its
        certificates stop signing. The last EXCHANGE or REGULATOR is never removed."""
        _by_vote(ctx)
        org: Org = ctx.state.require(org_key(org_id), "organisation")
        ensure(org["status"] == ACTIVE, InvalidState(f"organisation {org_id} is {org['status']}"))
        if org["type"] in INDISPENSABLE_TYPES:
            others = [o for o in self.active_orgs(ctx) if o["type"] == org["type"] and o["id"] != org_id]
            ensure(others, InvalidState(f"{org_id} is the consortium's last {role_word(org['type'])}; "
                                        "it cannot be removed"))
        org["status"], org["removed_at"], org["removed_reason"] = REMOVED, ctx.time, reason
        ctx.state.put(org_key(org_id), org)
        ctx.emit("OrgRemoved", org_id=org_id, reason=reason)
        return {"org_id": org_id}

    @internal
    def active_orgs(self, ctx: Ctx) -> list:
        """Every ACTIVE member organisation as {id, type}, in id order (a governance
        electorate). A scan of org/: bounded by MAX_ORGS."""
        rows = ctx.state.scan("org/", MAX_ORGS + 1)
        ensure(len(rows) <= MAX_ORGS, LimitExceeded(f"more than {MAX_ORGS} organisations"))
        return [{"id": r["id"], "type": r["type"]} for _, r in rows if r["status"] == ACTIVE]
