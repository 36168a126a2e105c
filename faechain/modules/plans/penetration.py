"""Penetration: a plan and everything beneath it, each element with its proof.

An investor must be able to see through a plan to each invoice, contract and
cash flow, and check what it sees without trusting the node that showed it. So
every element is returned as `{key, value, proof}`: the full state key, the
decoded value, and (with `prove`) the proof of that key's bytes against the app
hash of the query height. The plan record lists every pooled asset and counts
every document, cash flow, disclosure and payment; a voucher's root names its
invoices. A verifier (`faechain.sdk.penetration.verify`) therefore checks both
that each element is genuine and that none was left out.

Shape (keys in element lists are full state keys such as `receivables/voucher/V-5-0-1`):

    {plan_id, height,
     plan: E, documents_list: E,
     assets: [{asset: "voucher:<id>", entry: E, voucher: E, root: E, invoices: [E, ...]}
              | {asset: "invoice:<id>", entry: E, invoice: E}],
     documents: [E], cash_flows: [E], disclosures: [E], payments: [E]}
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.runtime import QueryCtx
from faechain.modules.plans.records import (
    Plan,
    asset_key,
    cash_flow_key,
    disclosure_key,
    doc_key,
    docs_key,
    payment_key,
    plan_key,
)


def build(q: QueryCtx, p: Plan, prove: bool) -> dict[str, Any]:
    """The penetration tree of plan `p` (the shape above), read at the query's height."""
    plan_id = p["id"]

    def element(contract: str, key: str) -> dict[str, Any]:
        value = q.read(contract, key)
        out: dict[str, Any] = {"key": f"{contract}/{key}", "value": value}
        if prove:
            out["proof"] = q.proof(key, contract)
        return out

    assets = []
    for asset in p["assets"]:
        kind, asset_id = asset.split(":", 1)
        node: dict[str, Any] = {"asset": asset, "entry": element("plans", asset_key(asset))}
        if kind == "voucher":
            node["voucher"] = element("receivables", f"voucher/{asset_id}")
            root_id = node["voucher"]["value"]["root"]
            node["root"] = element("receivables", f"root/{root_id}")
            node["invoices"] = [element("receivables", f"invoice/{i}") for i in node["root"]["value"]["invoices"]]
        else:
            node["invoice"] = element("receivables", f"invoice/{asset_id}")
        assets.append(node)
    docs_list = element("plans", docs_key(plan_id))
    return {
        "plan_id": plan_id,
        "height": q.height,
        "plan": element("plans", plan_key(plan_id)),
        "documents_list": docs_list,
        "assets": assets,
        "documents": [element("plans", doc_key(h)) for h in docs_list["value"]],
        "cash_flows": [element("plans", cash_flow_key(plan_id, n)) for n in range(1, p["cash_flows"] + 1)],
        "disclosures": [element("plans", disclosure_key(plan_id, n)) for n in range(1, p["disclosures"] + 1)],
        "payments": [element("plans", payment_key(plan_id, n)) for n in range(1, p["payments"] + 1)],
    }
