"""A member identity from a wallet: its certificate, its key, and signing."""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from faechain.core.encoding import encode
from faechain.core.tx import SIGN_DOMAIN, make_body, make_envelope
from faechain.crypto import certs
from faechain.crypto.suite import PrivateKey, get_suite

READ_DOMAIN = b"faechain/read/v1\x00"
DEFAULT_TTL_MS = 10 * 60 * 1000


@dataclass
class Identity:
    name: str
    org_id: str
    org_name: str
    role: str
    cert: bytes  # DER
    key: PrivateKey = field(repr=False)
    suite_name: str = "ed25519"
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def cert_id(self) -> bytes:
        return get_suite(self.suite_name).hash(self.cert)

    @classmethod
    def load(cls, home: str, name: str) -> Identity:
        """Load `<home>/wallet/<name>/` (or `home` itself if it is the identity folder)."""
        home = os.path.expanduser(home)
        folder = os.path.join(home, "wallet", name)
        if not os.path.isdir(folder) and os.path.exists(os.path.join(home, "identity.json")):
            folder = home
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"no identity {name!r} in {os.path.join(home, 'wallet')}")
        with open(os.path.join(folder, "identity.json")) as f:
            info = json.load(f)
        suite = get_suite(info.get("suite", "ed25519"))
        with open(os.path.join(folder, "key.pem"), "rb") as f:
            key = suite.load_private_pem(f.read())
        with open(os.path.join(folder, "cert.pem"), "rb") as f:
            der = certs.load_pem(f.read())
        return cls(info["name"], info["org_id"], info.get("org_name", ""), info["role"], der, key,
                   suite.name, info.get("attributes", {}))

    def sign_tx(
        self,
        chain_id: str,
        contract: str,
        method: str,
        args: dict[str, Any],
        *,
        attach_cert: bool = True,
        nonce: int | None = None,
        expires: int | None = None,
        now_ms: int | None = None,
    ) -> bytes:
        """A signed transaction envelope, ready to submit."""
        now = now_ms if now_ms is not None else int(time.time() * 1000)
        body = make_body(
            chain_id,
            self.cert_id,
            contract,
            method,
            args,
            nonce if nonce is not None else secrets.randbits(63),
            expires if expires is not None else now + DEFAULT_TTL_MS,
        )
        signature = self.key.sign(SIGN_DOMAIN + body)
        return make_envelope(body, signature, self.cert if attach_cert else None)

    def sign_read(self, chain_id: str, method: str, path: str, body_hash: bytes, date_ms: int) -> bytes:
        """Signature authenticating a read request (queries, event streams)."""
        return self.key.sign(read_message(chain_id, method, path, body_hash, date_ms))


def read_message(chain_id: str, method: str, path: str, body_hash: bytes, date_ms: int) -> bytes:
    return READ_DOMAIN + encode([chain_id, method.upper(), path, body_hash, date_ms])
