"""What an organisation is, as its CA and the membership contract both see it.

The CA tooling (`faechain.identity.ca`) writes these into certificates and signs
revocations; the membership contract (`faechain.modules.membership`) checks them on
chain. Defined here, below both, so that the two cannot drift apart.
"""

from __future__ import annotations

from faechain.core.encoding import encode

# The organisation types of the consortium (domain.md, participants). A certificate's
# role and an organisation record's type are one of these.
ORG_TYPES = (
    "EXCHANGE", "CORE_ENTERPRISE", "SUPPLIER", "FACTOR", "BANK", "AMC", "INVESTOR",
    "RATING_AGENCY", "REGISTRAR", "INTERMEDIARY", "REGULATOR",
    # services outside the chain whose signed transactions are attestations (docs/outside-world.md)
    "REGISTRY_AGENT", "TAX_SERVICE", "PAYMENT_RAIL",
)
REVOKE_DOMAIN = b"faechain/revoke/v1\x00"


def revocation_message(chain: str, org_id: str, cert_id: bytes, reason: str) -> bytes:
    """The bytes an organisation CA signs to revoke one of its certificates."""
    return REVOKE_DOMAIN + encode({"chain": chain, "org": org_id, "cert": cert_id, "reason": reason})
