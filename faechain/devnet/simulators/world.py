"""The demo's world in the simulators, and the samples' way to them (`Samples.outside`).

    outside = SimulatorWorld({"tax": url, "registry": url, "rail": url})
    outside.seed(org_ids)      # the tax simulator holds every e-invoice the samples register; the
                               # rail simulator the members' e-CNY wallets (faechain/devnet/samples/world.py)
    outside.file_registration(...), outside.collect(...)   what a funder and a rail's customer ask of them

Seeding is idempotent (an invoice or account already there is left as it is, balance and all),
so a restarted demo seeds again harmlessly.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class SimulatorRefused(RuntimeError):
    """A simulator answered a request with an error (its code and message)."""


def call(url: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    """POST `body` (GET when None) to a simulator; (HTTP status, JSON answer)."""
    req = urllib.request.Request(url + path, method="GET" if body is None else "POST",
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


class SimulatorWorld:
    """The running simulators, by service (tax, registry, rail) -> base URL."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = dict(urls)

    def post(self, service: str, path: str, body: dict[str, Any], allow: tuple[int, ...] = ()) -> dict[str, Any]:
        status, doc = call(self.urls[service], path, body)
        if status >= 400 and status not in allow:
            raise SimulatorRefused(f"the {service} simulator refused POST {path}: {doc.get('code')}: "
                                   f"{doc.get('message')}")
        return doc

    def seed(self, org_ids: dict[str, str]) -> None:
        """Give the simulators the demo's world: the e-invoices and the e-CNY wallets."""
        from faechain.devnet.samples.world import ACCOUNTS, INVOICES

        for inv in INVOICES.values():
            self.post("tax", "/invoices", {"code": inv.code, "number": inv.number, "seller": org_ids[inv.seller],
                                           "buyer": org_ids[inv.buyer], "amount": inv.amount}, allow=(409,))
        for member, (wallet, balance, _) in ACCOUNTS.items():
            self.post("rail", "/accounts", {"account": wallet, "owner": member, "balance": balance}, allow=(409,))

    # -- what the samples ask (devnet.demo.Outside) --------------------------------------------------
    def file_registration(self, kind: str, creditor: str, debtor: str, amount: int, voucher: str) -> str:
        doc = self.post("registry", "/registrations", {"kind": kind, "creditor": creditor, "debtor": debtor,
                                                       "amount": amount, "voucher": voucher})
        return str(doc["registration"]["reg_no"])

    def collect(self, account: str, amount: int, reference: str) -> tuple[int, str]:
        doc = self.post("rail", "/collections", {"account": account, "amount": amount, "reference": reference})
        return int(doc["collected"]), str(doc["rail_ref"])
