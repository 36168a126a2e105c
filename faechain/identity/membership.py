"""The `membership` contract: the consortium's organisations, certificates and revocations.

Seeded from genesis with every member organisation and its CA certificate. The
runtime consults it for every transaction: a signer is accepted only if its
certificate chains to an active member organisation's CA and is not revoked.

State:
    membership/org/<org_id>     {id, name, type, ca_id, attributes, status}
    membership/ca/<org_id>      the organisation CA certificate (DER), kept apart from the
                                small org record that every signer lookup reads
    membership/cert/<cert id>   {id, org_id, name, role, public_key, attributes, not_before,
                                 not_after, revoked, reason}   (hex cert id), registered by
                                 the certificate's first successful transaction
    membership/revoked/<org_id>/<cert id>   a revocation of a certificate not yet used on chain

Two ways in and out. The exchange admits an organisation directly (`admit`, its role
as the market operator) and an organisation's CA or admin revokes its own
certificates (`revoke`). The consortium as a whole does the same by a governance
vote: the `governance` contract calls the `@internal` methods `admit_by_vote`,
`revoke_by_vote` and `remove_by_vote` (nothing else may), which apply the same
checks. Removing an organisation (status REMOVED) is only possible by vote; its
certificates stop signing at once (`not_member`), and the consortium never loses
its last EXCHANGE or REGULATOR.
"""

from __future__ import annotations

from faechain.contracts.errors import BadCertificate, BadRequest, Duplicate, InvalidState, LimitExceeded, NotFound, Unauthorized, ensure
from faechain.contracts.runtime import Contract, Ctx, QueryCtx, internal, query, register, tx
from faechain.crypto import certs
from faechain.ledger.encoding import encode

ORG_TYPES = (
    "EXCHANGE", "CORE_ENTERPRISE", "SUPPLIER", "FACTOR", "BANK", "AMC", "INVESTOR",
    "RATING_AGENCY", "REGISTRAR", "INTERMEDIARY", "REGULATOR",
)
REVOKE_DOMAIN = b"faechain/revoke/v1\x00"
# Attributes only the consortium can grant (the exchange, or genesis), kept on the
# organisation's record: an organisation's own CA cannot give its members these by
# writing them into a certificate.
ORG_ONLY_ATTRIBUTES = frozenset({"qualified", "settlement"})
USCC_LEN = 18
# organisation types the consortium cannot run without: the last of each is never removed
INDISPENSABLE_TYPES = ("EXCHANGE", "REGULATOR")
# the most organisations a governance electorate (a scan of org/) may hold
MAX_ORGS = 1000
GOVERNANCE = "governance"


class GenesisCertificateError(ValueError):
    """A genesis organisation's CA certificate is not of the chain's suite: the node refuses to start."""


def caller_attributes(cert_attributes: dict, org_attributes: dict) -> dict:
    """A signer's attributes: its certificate's (member-level, e.g. `admin`) without the
    consortium-granted keys, then its organisation's (which win)."""
    own = {k: v for k, v in cert_attributes.items() if k not in ORG_ONLY_ATTRIBUTES}
    return {**own, **org_attributes}


def revocation_message(chain: str, org_id: str, cert_id: bytes, reason: str) -> bytes:
    """The bytes an organisation CA signs to revoke one of its certificates."""
    return REVOKE_DOMAIN + encode({"chain": chain, "org": org_id, "cert": cert_id, "reason": reason})


def org_record(org_id: str, name: str, org_type: str, ca_der: bytes, attributes: dict, ca_id: bytes) -> dict:
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
        "attributes": attributes, "status": "ACTIVE",
    }


@register
class Membership(Contract):
    name = "membership"
    indexes = {"org": ("type", "status"), "cert": ("org_id",)}

    def genesis(self, ctx: Ctx, config: dict) -> None:
        for org in config.get("orgs", []):
            der = certs.load_pem(org["ca"].encode()) if isinstance(org["ca"], str) else org["ca"]
            try:  # a CA of the other suite could never sign anything on this chain
                certs.public_key(ctx.suite, der)  # type: ignore[attr-defined]
            except certs.CertificateError as exc:
                raise GenesisCertificateError(f"bad_certificate: organisation {org['id']}: {exc}") from None
            rec = org_record(org["id"], org["name"], org["type"], der, org.get("attributes", {}), self._hash(ctx, der))
            ctx.state.put(f"org/{org['id']}", rec)
            ctx.state.put(f"ca/{org['id']}", der)

    @staticmethod
    def _hash(ctx: Ctx, data: bytes) -> bytes:
        return ctx.hasher(data)  # type: ignore[attr-defined]

    @tx
    def admit(self, ctx: Ctx, org_id: str, name: str, type: str, ca: bytes, attributes: dict | None = None) -> dict:
        """Admit an organisation with its CA certificate (the exchange admits members)."""
        ensure(ctx.caller.role == "EXCHANGE", Unauthorized("only the exchange admits organisations"))
        return self._admit(ctx, org_id, name, type, ca, attributes or {})

    def _admit(self, ctx: Ctx, org_id: str, name: str, org_type: str, ca: bytes, attributes: dict) -> dict:
        existing = ctx.state.get(f"org/{org_id}")
        ensure(existing is None, Duplicate(
            f"organisation {org_id} is already a member" if existing is None or existing["status"] == "ACTIVE"
            else f"organisation {org_id} exists ({existing['status']})"))
        ensure(0 < len(name) <= 200, BadRequest("an organisation name is 1-200 characters"))
        try:
            rec = org_record(org_id, name, org_type, ca, attributes, self._hash(ctx, ca))
        except certs.CertificateError as exc:
            raise BadRequest(str(exc)) from None
        try:
            certs.public_key(ctx.suite, ca)  # type: ignore[attr-defined]
        except certs.CertificateError as exc:
            raise BadCertificate(str(exc)) from None
        ctx.state.put(f"org/{org_id}", rec)
        ctx.state.put(f"ca/{org_id}", ca)
        ctx.emit("OrgAdmitted", org_id=org_id, name=name, type=org_type)
        return {"org_id": org_id}

    @tx
    def set_attributes(self, ctx: Ctx, org_id: str, attributes: dict) -> dict:
        """Set organisation attributes such as `qualified` (the exchange's call)."""
        ensure(ctx.caller.role == "EXCHANGE", Unauthorized("only the exchange sets member attributes"))
        org = ctx.state.require(f"org/{org_id}", "organisation")
        org["attributes"] = {**org["attributes"], **attributes}
        ctx.state.put(f"org/{org_id}", org)
        ctx.emit("OrgAttributesSet", org_id=org_id, attributes=attributes)
        return {"org_id": org_id}

    @tx
    def revoke(self, ctx: Ctx, org_id: str, cert_id: bytes, reason: str, ca_signature: bytes | None = None) -> dict:
        """Revoke a member certificate.

        Allowed with the organisation CA's signature over `revocation_message`
        (what `fae ca revoke` produces), or by an `admin` member of the same
        organisation. A revoked certificate can never sign again.
        """
        ensure(len(cert_id) == 32, BadRequest("cert_id must be 32 bytes"))
        ctx.state.require(f"org/{org_id}", "organisation")  # a member organisation
        if ca_signature is not None:
            ca_key = certs.public_key(ctx.suite, ctx.state.get(f"ca/{org_id}"))  # type: ignore[attr-defined]
            msg = revocation_message(ctx.chain, org_id, cert_id, reason)  # type: ignore[attr-defined]
            ensure(ca_key.verify(ca_signature, msg), Unauthorized("revocation is not signed by the organisation CA"))
        else:
            ensure(
                ctx.caller.org_id == org_id and ctx.caller.has("admin"),
                Unauthorized("only the organisation's CA or its admin revokes its certificates"),
            )
        return self._revoke(ctx, org_id, cert_id, reason)

    def _revoke(self, ctx: Ctx, org_id: str, cert_id: bytes, reason: str) -> dict:
        key = f"cert/{cert_id.hex()}"
        rec = ctx.state.get(key)
        if rec is not None:  # a registered certificate
            ensure(rec["org_id"] == org_id, BadRequest("certificate belongs to another organisation"))
            ensure(not rec.get("revoked"), Duplicate("certificate is already revoked"))
            rec.update(revoked=True, reason=reason, revoked_at=ctx.time)
            ctx.state.put(key, rec)
        else:
            # never used on chain yet: recorded under the organisation, and binding only
            # if a certificate of that organisation with this id ever signs
            early = f"revoked/{org_id}/{cert_id.hex()}"
            ensure(not ctx.state.has(early), Duplicate("certificate is already revoked"))
            ctx.state.put(early, {"cert_id": cert_id.hex(), "org_id": org_id, "reason": reason, "revoked_at": ctx.time})
        ctx.emit("CertRevoked", org_id=org_id, cert_id=cert_id.hex(), reason=reason)
        return {"cert_id": cert_id.hex()}

    # -- by a governance vote (callable only by the governance contract) --------------------
    @internal
    def admit_by_vote(self, ctx: Ctx, org_id: str, name: str, type: str, ca: str,
                      attributes: dict | None = None) -> dict:
        """Admit an organisation whose admission the consortium voted for; `ca` is its CA
        certificate in PEM. The same checks as `admit` (USCC, type, a CA certificate for
        this organisation id, not already known)."""
        _by_vote(ctx)
        try:
            der = certs.load_pem(ca.encode())
        except (certs.CertificateError, ValueError) as exc:
            raise BadRequest(f"the CA certificate is not a PEM certificate: {exc}") from None
        return self._admit(ctx, org_id, name, type, der, attributes or {})

    @internal
    def revoke_by_vote(self, ctx: Ctx, cert_id: str, reason: str, org_id: str | None = None) -> dict:
        """Revoke a member certificate (hex id) by a consortium vote. A certificate that has
        signed on chain is known with its organisation; one never used needs `org_id`."""
        _by_vote(ctx)
        raw = _cert_id(cert_id)
        rec = ctx.state.get(f"cert/{cert_id}")
        if rec is not None:
            ensure(org_id is None or org_id == rec["org_id"], BadRequest("certificate belongs to another organisation"))
            org_id = rec["org_id"]
        ensure(org_id is not None, NotFound(f"certificate {cert_id} has never signed on chain; "
                                            "name its organisation (org_id) to revoke it in advance"))
        ctx.state.require(f"org/{org_id}", "organisation")
        return self._revoke(ctx, org_id, raw, reason)

    @internal
    def remove_by_vote(self, ctx: Ctx, org_id: str, reason: str) -> dict:
        """Remove a member organisation by a consortium vote: status REMOVED, its
        certificates stop signing. The last EXCHANGE or REGULATOR is never removed."""
        _by_vote(ctx)
        org = ctx.state.require(f"org/{org_id}", "organisation")
        ensure(org["status"] == "ACTIVE", InvalidState(f"organisation {org_id} is {org['status']}"))
        if org["type"] in INDISPENSABLE_TYPES:
            others = [o for o in self.active_orgs(ctx) if o["type"] == org["type"] and o["id"] != org_id]
            ensure(others, InvalidState(f"{org_id} is the consortium's last {org['type']}; it cannot be removed"))
        org.update(status="REMOVED", removed_at=ctx.time, removed_reason=reason)
        ctx.state.put(f"org/{org_id}", org)
        ctx.emit("OrgRemoved", org_id=org_id, reason=reason)
        return {"org_id": org_id}

    @internal
    def active_orgs(self, ctx: Ctx) -> list:
        """Every ACTIVE member organisation as {id, type}, in id order (a governance
        electorate). A scan of org/: bounded by MAX_ORGS."""
        rows = ctx.state.scan("org/", MAX_ORGS + 1)
        ensure(len(rows) <= MAX_ORGS, LimitExceeded(f"more than {MAX_ORGS} organisations"))
        return [{"id": r["id"], "type": r["type"]} for _, r in rows if r["status"] == "ACTIVE"]

    # -- queries ----------------------------------------------------------------
    @query
    def org(self, q: QueryCtx, org_id: str) -> dict:
        """One organisation (its CA certificate is at state key membership/ca/<org_id>)."""
        rec = q.state.get(f"org/{org_id}")
        if rec is None:
            raise NotFound(f"organisation {org_id!r} not found")
        return _public_org(rec)

    @query
    def orgs(self, q: QueryCtx, type: str | None = None) -> list:
        """Member organisations, optionally of one type."""
        if type is not None:
            return [_public_org(r) for _, r in q.find("org", "type", type)]
        return [_public_org(r) for _, r in q.find("org", "status", "ACTIVE")]

    @query
    def cert(self, q: QueryCtx, cert_id: str, org_id: str | None = None) -> dict:
        """A registered certificate and its revocation status; with `org_id`, also a
        revocation that organisation recorded before the certificate was ever used."""
        rec = q.state.get(f"cert/{cert_id}")
        if rec is None and org_id is not None:
            early = q.state.get(f"revoked/{org_id}/{cert_id}")
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


def _by_vote(ctx: Ctx) -> None:
    ensure(ctx.via == GOVERNANCE, Unauthorized("only a governance vote does this"))


def _cert_id(cert_id: str) -> bytes:
    try:
        raw = bytes.fromhex(cert_id)
    except ValueError:
        raw = b""
    ensure(len(raw) == 32 and cert_id == raw.hex(), BadRequest("cert_id must be 64 lowercase hex characters"))
    return raw


def _public_org(rec: dict) -> dict:
    return {k: (v.hex() if isinstance(v, bytes) else v) for k, v in rec.items()}
