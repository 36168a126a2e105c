"""The receivables sample of `fae demo`: a voucher split down three tiers, one piece factored.

Huaxin Chemical (`core`) owes Tianhe Materials (`supplier1`) CNY 8,000,000 against two
invoices. Capital Commercial Bank (`bank`) has given Huaxin a CNY 50,000,000 line and
is the settlement bank. Tianhe passes CNY 3,000,000 to its own supplier Fengrun
(`supplier2`), which passes CNY 1,200,000 on to Xinda Logistics (`supplier3`); Xinda
sells that piece to Zhongguancun Factoring (`factor`) once the registry agent (`registry`) has
attested the registration of the assignment. The tax service (`taxservice`) verifies each
invoice (world.py: with `fae demo` the simulators attest these as their members).
Jingtai Construction (`core2`) has also issued a voucher to Fengrun that awaits
acceptance. Tianhe keeps CNY 5,000,000 of the root (`kept`), and CNY 500,000 of
invoice 04512877 is not drawn by any voucher (`open_invoice`): the plans sample
pools both.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.time import DAY
from faechain.devnet.demo import Samples
from faechain.devnet.samples.world import register_invoice, registered_financing, verify_invoices

YUAN = 100  # fen


def _doc(samples: Samples, name: str) -> str:
    """A stand-in document hash, the chain suite's (the documents themselves live off chain)."""
    return samples.hash(f"faechain demo document: {name}".encode())


def seed(samples: Samples) -> dict:
    """Submit the sample as signed transactions; returns the ids it created."""

    def tx(who: str, method: str, **args: Any) -> dict:
        return samples.tx(who, "receivables", method, **args)

    ids = samples.org_ids
    now = samples.now()
    tx("bank", "grant_credit", core=ids["core"], amount=50_000_000 * YUAN, expires=now + 365 * DAY)
    tx("bank2", "grant_credit", core=ids["core2"], amount=20_000_000 * YUAN, expires=now + 365 * DAY)
    register_invoice(samples, "04512876", now - 20 * DAY, _doc(samples, "invoice 04512876"))
    register_invoice(samples, "04512877", now - 18 * DAY, _doc(samples, "invoice 04512877"))
    root = tx("core", "issue", to=ids["supplier1"], amount=8_000_000 * YUAN, maturity=now + 120 * DAY,
              invoices=[["011002600111-04512876", 5_000_000 * YUAN], ["011002600111-04512877", 3_000_000 * YUAN]],
              contract_hash=_doc(samples, "purchase contract HX-2026-0417"), settlement_bank=ids["bank"])["voucher"]
    tx("supplier1", "accept", id=root)
    passed = tx("supplier1", "transfer", id=root, to=ids["supplier2"], amount=3_000_000 * YUAN)
    tier2, kept = passed["voucher"], passed["remainder"]
    tier3 = tx("supplier2", "transfer", id=tier2, to=ids["supplier3"], amount=1_200_000 * YUAN)["voucher"]
    financing = tx("supplier3", "request_financing", id=tier3, funder=ids["factor"], amount=1_200_000 * YUAN,
                   rate_bps=580)["financing"]
    # the factor registers the assignment; the registry agent attests it and a clear search (world.py)
    registered_financing(samples, financing, tier3, "ZDW-2026-110105-000731", creditor="factor", debtor="supplier3",
                         amount=1_200_000 * YUAN)
    financed = tx("factor", "fund", financing=financing)["voucher"]
    register_invoice(samples, "00093511", now - 5 * DAY, _doc(samples, "invoice 00093511"))
    pending = tx("core2", "issue", to=ids["supplier2"], amount=2_000_000 * YUAN, maturity=now + 90 * DAY,
                 invoices=[["011002600222-00093511", 2_000_000 * YUAN]],
                 contract_hash=_doc(samples, "construction contract JT-2026-088"))["voucher"]
    verify_invoices(samples, "04512876", "04512877", "00093511")  # the tax service's word (world.py)
    return {"root": root, "kept": kept, "tier2": tier2, "tier3": tier3, "financing": financing,
            "financed": financed, "pending": pending, "open_invoice": "011002600111-04512877"}
