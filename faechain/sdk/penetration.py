"""Check a plan's penetration answer without trusting the node that gave it.

`verify(result, app_hash, hasher)` takes the JSON answer of `plans.penetrate`
(see `faechain.modules.plans.penetration`) and the app hash of the block it
claims to be read at (taken from a block header the caller trusts), and checks:

- authenticity: every element's proof verifies against that app hash, for that
  element's key, and the value shown is exactly the value proven;
- completeness: every asset the proven plan record lists is there, with its pool
  entry naming this plan; a voucher's root and every invoice the proven root
  names are there; every document the proven document list names, and as many
  cash flows, disclosures and payments as the proven plan counts, in order.

It returns a `Penetration` whose `tree` is rebuilt from proven bytes only, so
what a caller reads from it is what the chain holds, whatever the node displayed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from faechain.sdk.proofs import Hasher, difference_text, first_difference, proven_value
from faechain.sdk.trust import VerificationError


@dataclass
class Penetration:
    ok: bool
    checked: int  # elements whose proofs verified
    problems: list[str] = field(default_factory=list)
    tree: dict = field(default_factory=dict)  # the plan's tree, from proven values only
    codes: list[str] = field(default_factory=list)  # each problem's kind: "not_proven" or "incomplete"


class _Checker:
    def __init__(self, result: dict, app_hash: bytes, hasher: Hasher):
        self.height = result.get("height")
        self.app_hash = app_hash
        self.hasher = hasher
        self.checked = 0
        self.problems: list[str] = []
        self.codes: list[str] = []

    def problem(self, message: str, code: str = "not_proven") -> None:
        self.problems.append(message)
        self.codes.append(code)

    def element(self, elem: Any, expected_key: str) -> Any:
        """The proven value of `elem`, which must be the element for `expected_key`; None if not."""
        if type(elem) is not dict:
            self.problem(f"{expected_key}: missing", "incomplete")
            return None
        if elem.get("key") != expected_key:
            self.problem(f"{expected_key}: the node answered with {elem.get('key')!r} instead")
            return None
        if type(elem.get("proof")) is not dict:
            self.problem(f"{expected_key}: no proof")
            return None
        try:
            height = self.height if type(self.height) is int else -1
            proven = proven_value(elem["proof"], expected_key, self.app_hash, height, self.hasher)
        except VerificationError as exc:
            self.problem(exc.message, exc.code)
            return None
        if proven is None:
            self.problem(f"{expected_key}: proven absent")
            return None
        diff = first_difference(elem.get("value"), proven)
        if diff is not None:
            self.problem(f"{expected_key}: {difference_text(*diff)}")
        self.checked += 1
        return proven

    def sequence(self, elems: Any, keys: list[str], what: str) -> list:
        elems = elems if type(elems) is list else []
        if len(elems) != len(keys):
            self.problem(f"{what}: {len(elems)} shown, the proven plan has {len(keys)}", "incomplete")
        return [self.element(e, k) for e, k in zip(elems, keys, strict=False)]  # a length mismatch is noted above


def verify(result: dict, app_hash: bytes, hasher: Hasher, *, plan_id: str | None = None) -> Penetration:
    """Check a `plans.penetrate` answer against a trusted app hash; see the module docstring.
    `plan_id` is the plan asked about (the answer's own `plan_id` must be it); without it the
    answer's is taken, which only says the tree is some plan's."""
    c = _Checker(result, app_hash, hasher)
    if plan_id is not None and result.get("plan_id") != plan_id:
        c.problem(f"plans/plan/{plan_id}: the answer is about plan {result.get('plan_id')!r} instead")
    plan_id = plan_id if plan_id is not None else result.get("plan_id")
    plan = c.element(result.get("plan"), f"plans/plan/{plan_id}")
    if plan is None:
        return Penetration(False, c.checked, c.problems, codes=c.codes)
    tree: dict[str, Any] = {"plan": plan, "assets": []}
    assets = result.get("assets")
    shown_assets: list[Any] = assets if type(assets) is list else []
    by_asset = {a.get("asset"): a for a in shown_assets if type(a) is dict}
    if [a.get("asset") for a in shown_assets if type(a) is dict] != plan["assets"]:
        c.problem("assets: the pool shown is not the pool the proven plan lists", "incomplete")
    for asset in plan["assets"]:
        node = by_asset.get(asset, {})
        kind, asset_id = asset.split(":", 1)
        entry = c.element(node.get("entry"), f"plans/asset/{asset}")
        if entry is not None and entry["plan"] != plan_id:
            c.problem(f"{asset}: its pool entry names plan {entry['plan']}")
        out: dict[str, Any] = {"asset": asset, "entry": entry}
        if kind == "voucher":
            voucher = c.element(node.get("voucher"), f"receivables/voucher/{asset_id}")
            out["voucher"] = voucher
            root = None if voucher is None else c.element(node.get("root"), f"receivables/root/{voucher['root']}")
            out["root"] = root
            invoice_ids = [] if root is None else root["invoices"]
            out["invoices"] = c.sequence(node.get("invoices"), [f"receivables/invoice/{i}" for i in invoice_ids],
                                         f"{asset} invoices")
        else:
            out["invoice"] = c.element(node.get("invoice"), f"receivables/invoice/{asset_id}")
        tree["assets"].append(out)
    doc_hashes = c.element(result.get("documents_list"), f"plans/docs/{plan_id}") or []
    tree["documents"] = c.sequence(result.get("documents"), [f"plans/doc/{h}" for h in doc_hashes], "documents")
    for name, count, width, sub in (("cash_flows", "cash_flows", 6, "cashflow"),
                                    ("disclosures", "disclosures", 4, "disclosure"),
                                    ("payments", "payments", 4, "payment")):
        keys = [f"plans/{sub}/{plan_id}/{n:0{width}d}" for n in range(1, plan[count] + 1)]
        tree[name] = c.sequence(result.get(name), keys, name)
    return Penetration(not c.problems, c.checked, c.problems, tree, c.codes)
