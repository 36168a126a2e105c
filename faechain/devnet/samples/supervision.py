"""The supervision sample of `fae demo`: an alert raised and an asset frozen.

Huaxin Chemical (`core`) tries to issue a second voucher against invoice
04512876, which the receivables sample's voucher has drawn in full: the
transaction is refused, and the regulator gets an `invoice_reuse` alert naming
the transaction. The regulator then freezes Jingtai Construction's pending
voucher to Fengrun while it looks into the construction contract.
"""

from __future__ import annotations

from faechain.contracts.time import DAY
from faechain.devnet.demo import Samples

YUAN = 100


def seed(samples: Samples) -> dict:
    ids = samples.org_ids
    rcv = samples.results["receivables"]
    attempt = samples.submit("core", "receivables", "issue", {
        "to": ids["supplier1"], "amount": 1_000_000 * YUAN, "maturity": samples.now() + 60 * DAY,
        "invoices": [["011002600111-04512876", 1_000_000 * YUAN]], "contract_hash": "0" * 64})
    if attempt.ok:
        raise RuntimeError("demo seed: the invoice reuse attempt was accepted")
    samples.tx("regulator", "supervision", "freeze", asset=f"voucher:{rcv['pending']}",
               reason="inquiry into construction contract JT-2026-088 (BJFSB case 2026-114)")
    tx_hash = attempt.tx_hash  # bytes in a node's own receipt, already hex in the SDK's
    refused = tx_hash if isinstance(tx_hash, str) else tx_hash.hex()
    return {"refused_attempt": refused, "frozen": f"voucher:{rcv['pending']}"}
