"""Consortium CA tooling: what `fae ca` does on an organisation's own machine.

    <ca_dir>/ca.pem, ca-key.pem, org.json     the organisation CA
    <ca_dir>/issued/<cert id>.pem              every certificate it issued
    <ca_dir>/revoked.json                      revocations it signed

    <wallet>/<name>/cert.pem, key.pem, identity.json   a member identity

The CA key never leaves the organisation; a revocation is a statement signed by
the CA key that any member can submit to the `membership` contract.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from typing import Any

from faechain.crypto import certs
from faechain.crypto.suite import PrivateKey, Suite, get_suite
from faechain.identity.organisations import ORG_TYPES, revocation_message


@dataclass
class OrgCA:
    path: str
    org_id: str
    name: str
    type: str
    suite: Suite
    cert_der: bytes

    @property
    def key(self) -> PrivateKey:
        with open(os.path.join(self.path, "ca-key.pem"), "rb") as f:
            return self.suite.load_private_pem(f.read())

    @property
    def cert_pem(self) -> str:
        return certs.to_pem(self.cert_der).decode()


def _write(path: str, data: bytes, private: bool = False) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def create_org_ca(path: str, org_id: str, name: str, org_type: str, suite_name: str = "ed25519", *,
                  now: dt.datetime | None = None) -> OrgCA:
    """Create an organisation CA in `path` (refuses to overwrite an existing one), its
    certificate issued at `now` (default: the wall clock)."""
    if org_type not in ORG_TYPES:
        raise ValueError(f"organisation type must be one of {', '.join(ORG_TYPES)}")
    if len(org_id) != 18 or not org_id.isalnum():
        raise ValueError("organisation id must be an 18-character unified social credit code")
    if os.path.exists(os.path.join(path, "ca.pem")):
        raise FileExistsError(f"a CA already exists in {path}")
    suite = get_suite(suite_name)
    key = suite.generate()
    der = certs.create_ca(key, org_id, name, org_type, now=now)
    _write(os.path.join(path, "ca-key.pem"), key.to_pem(), private=True)
    _write(os.path.join(path, "ca.pem"), certs.to_pem(der))
    meta = {"org_id": org_id, "name": name, "type": org_type, "suite": suite_name}
    _write(os.path.join(path, "org.json"), json.dumps(meta, indent=2).encode())
    return OrgCA(path, org_id, name, org_type, suite, der)


def load_org_ca(path: str) -> OrgCA:
    with open(os.path.join(path, "org.json")) as f:
        meta = json.load(f)
    with open(os.path.join(path, "ca.pem"), "rb") as f:
        der = certs.load_pem(f.read())
    return OrgCA(path, meta["org_id"], meta["name"], meta["type"], get_suite(meta["suite"]), der)


def issue_identity(ca: OrgCA, wallet_dir: str, name: str, attributes: dict[str, Any] | None = None, *,
                   now: dt.datetime | None = None) -> str:
    """Generate a member key, issue its certificate (at `now`, default: the wall clock), and
    write the wallet entry."""
    target = os.path.join(wallet_dir, name)
    if os.path.exists(os.path.join(target, "key.pem")):
        raise FileExistsError(f"identity {name!r} already exists in {wallet_dir}")
    key = ca.suite.generate()
    der = certs.issue_member(ca.key, ca.cert_der, key.crypto_key().public_key(), name, ca.type, attributes,
                             now=now)
    cert_id = ca.suite.hash(der).hex()
    _write(os.path.join(target, "key.pem"), key.to_pem(), private=True)
    _write(os.path.join(target, "cert.pem"), certs.to_pem(der))
    _write(os.path.join(target, "ca.pem"), certs.to_pem(ca.cert_der))
    info = {"name": name, "org_id": ca.org_id, "org_name": ca.name, "role": ca.type,
            "suite": ca.suite.name, "cert_id": cert_id, "attributes": attributes or {}}
    _write(os.path.join(target, "identity.json"), json.dumps(info, indent=2).encode())
    _write(os.path.join(ca.path, "issued", f"{cert_id}.pem"), certs.to_pem(der))
    return target


def sign_revocation(ca: OrgCA, chain_id: str, cert_id: bytes, reason: str) -> dict[str, Any]:
    """A CA-signed revocation, ready for `membership.revoke`; recorded in revoked.json."""
    sig = ca.key.sign(revocation_message(chain_id, ca.org_id, cert_id, reason))
    entry = {"org_id": ca.org_id, "cert_id": cert_id.hex(), "reason": reason, "ca_signature": sig.hex(),
             "chain_id": chain_id}
    path = os.path.join(ca.path, "revoked.json")
    entries = []
    if os.path.exists(path):
        with open(path) as f:
            entries = json.load(f)
    entries.append(entry)
    _write(path, json.dumps(entries, indent=2).encode())
    return entry
