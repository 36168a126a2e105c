"""A `PaymentRail` over HTTP: the adapter to the payment rail simulator.

The shape of a real adapter (see tax_http.py). The simulator's API
(faechain.devnet.simulators.rail), each idempotent by `reference`:
    POST /collections {account, amount, reference}          {"collected", "rail_ref"}
    POST /payouts {account, amount, reference}              {"ok", "rail_ref", "reason"}
    POST /reservations {account, amount, reference}         {"ok", "rail_ref", "reason"}
    POST /reservations/{reference}/settle {account}         {"ok", "rail_ref", "reason"}
    POST /reservations/{reference}/release                  {"ok", "rail_ref", "reason"}
"""

from __future__ import annotations

from typing import Any

from faechain.adapters.http_json import JsonHttp, segment
from faechain.adapters.interfaces import Collection, Outcome


def outcome(doc: dict[str, Any]) -> Outcome:
    return Outcome(ok=bool(doc["ok"]), rail_ref=str(doc.get("rail_ref") or ""), reason=str(doc.get("reason") or ""))


class RailHttpAdapter:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.http = JsonHttp(url, float(timeout))

    def collect(self, payer_account: str, amount: int, reference: str) -> Collection:
        doc = self.http.ok("POST", "/collections", {"account": payer_account, "amount": amount, "reference": reference})
        return Collection(collected=int(doc["collected"]), rail_ref=str(doc["rail_ref"]))

    def pay(self, payee_account: str, amount: int, reference: str) -> Outcome:
        return outcome(self.http.ok("POST", "/payouts",
                                    {"account": payee_account, "amount": amount, "reference": reference}))

    def reserve(self, payer_account: str, amount: int, reference: str) -> Outcome:
        return outcome(self.http.ok("POST", "/reservations",
                                    {"account": payer_account, "amount": amount, "reference": reference}))

    def settle(self, reference: str, payee_account: str) -> Outcome:
        return outcome(self.http.ok("POST", f"/reservations/{segment(reference)}/settle", {"account": payee_account}))

    def release(self, reference: str) -> Outcome:
        return outcome(self.http.ok("POST", f"/reservations/{segment(reference)}/release", {}))
