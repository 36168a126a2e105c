"""Organisation types as the business rules group them, defined once.

The types themselves are `faechain.identity.organisations.ORG_TYPES` (what a CA writes
into a certificate); these are the sets contracts check a caller or a party against.
"""

from __future__ import annotations

from faechain.identity.organisations import ORG_TYPES

# Who sees every record of a business module: the market's operator and its regulator.
SEE_ALL = frozenset({"REGULATOR", "EXCHANGE"})
# Organisations that may fund a receivable or a plan.
FUNDER_TYPES = ("FACTOR", "BANK")

# How a message names each type: a word, not the code a certificate carries ("an investor",
# not "a INVESTOR"). The exchange and the regulator are one organisation each: "the".
ROLE_WORDS = {
    "EXCHANGE": "exchange", "CORE_ENTERPRISE": "core enterprise", "SUPPLIER": "supplier", "FACTOR": "factor",
    "BANK": "bank", "AMC": "asset management company", "INVESTOR": "investor", "RATING_AGENCY": "rating agency",
    "REGISTRAR": "registrar", "INTERMEDIARY": "intermediary", "REGULATOR": "regulator",
    "REGISTRY_AGENT": "registry agent", "TAX_SERVICE": "e-invoice verification service",
    "PAYMENT_RAIL": "payment rail operator",
}
_THE = frozenset({"EXCHANGE", "REGULATOR"})


def role_word(role: str | None) -> str:
    """The type as a word: "core enterprise" for CORE_ENTERPRISE."""
    if not role:
        return "organisation"
    return ROLE_WORDS.get(role, role.lower().replace("_", " "))


def a_role(role: str | None) -> str:
    """The type with its article, for a message: "an investor", "a bank", "the exchange"."""
    word = role_word(role)
    if role in _THE:
        return f"the {word}"
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


__all__ = ["FUNDER_TYPES", "ORG_TYPES", "ROLE_WORDS", "SEE_ALL", "a_role", "role_word"]
