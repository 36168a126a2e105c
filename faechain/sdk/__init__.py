"""The Python SDK: member identities and a client for a node's REST API.

    from faechain.sdk import Identity, Client

See `faechain.sdk.client` for the conventions (receipts and codes, reserved
keywords, signed reads).
"""

from faechain.identity.wallet import Identity
from faechain.sdk.client import ApiError, Client, Receipt
from faechain.sdk.refusals import TransactionRefused
from faechain.sdk.trust import HeaderTrust, TrustedHeader, VerificationError

__all__ = ["ApiError", "Client", "HeaderTrust", "Identity", "Receipt", "TransactionRefused", "TrustedHeader",
           "VerificationError"]
