"""Shared pieces of the adapter tests: a demo node, fake outside services, waiting on the chain.

Tests that need a contract method the chain does not have yet are marked `needs(contract,
method)`: skipped until the method lands, run from then on.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from faechain.adapters.attestor import Attestor
from faechain.adapters.interfaces import (
    Collection,
    InvoiceRecord,
    InvoiceVoid,
    Outcome,
    RegistrationRecord,
    SearchResult,
    ServiceUnavailable,
)
from faechain.chain.application import load_contracts
from faechain.sdk import Client, Identity

DEADLINE = 120.0  # seconds a test waits for the chain to show something (generous: a shared, busy machine)
DAY = 86_400
DOC_HASH = "ab" * 32


def tx_methods(contract: str) -> set[str]:
    cls = load_contracts().get(contract)
    return {m for m, meth in cls.methods.items() if meth.kind == "tx"} if cls else set()


def needs(contract: str, *methods: str) -> pytest.MarkDecorator:
    missing = [m for m in methods if m not in tx_methods(contract)]
    return pytest.mark.skipif(bool(missing), reason=f"{contract} has no {', '.join(missing)} yet")


def wait_for(what: str, probe: Callable[[], Any], deadline: float = DEADLINE) -> Any:
    """`probe()`'s first truthy answer; fails naming `what` when none comes before the deadline."""
    end = time.monotonic() + deadline
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@contextlib.contextmanager
def running(attestor: Attestor) -> Iterator[threading.Event]:
    """The attestor's loop on a thread for the `with` block; stopped (and joined) after it."""
    stop = threading.Event()
    thread = threading.Thread(target=attestor.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive(), "the attestor did not stop"


_numbers = itertools.count(int(time.time()) % 100_000 * 100)


def register_invoice(client: Client, seller: Identity, buyer: Identity, amount: int) -> tuple[str, str, str]:
    """A fresh invoice registered on chain by its seller: (invoice id, code, number)."""
    code, number = "011001900111", f"{next(_numbers):08d}"
    r = client.submit(seller, "receivables", "register_invoice", code=code, number=number, seller=seller.org_id,
                      buyer=buyer.org_id, amount=amount, date=client.now_ms() // 1000 - DAY, doc_hash=DOC_HASH)
    assert r.ok, (r.code, r.message)
    return f"{code}-{number}", code, number


# -- fakes of the outside systems (in memory) --------------------------------------------------------
class FakeInvoiceService:
    def __init__(self, failures: int = 0) -> None:
        self.invoices: dict[tuple[str, str], InvoiceRecord] = {}
        self.voids: list[InvoiceVoid] = []
        self.lookups: list[tuple[str, str]] = []
        self.failures = failures  # the next lookups that fail as if the service were down

    def add(self, code: str, number: str, seller: str, buyer: str, amount: int, status: str = "NORMAL") -> None:
        self.invoices[(code, number)] = InvoiceRecord(code, number, seller, buyer, amount, status, f"FAKE-{number}")

    def void(self, code: str, number: str, reason: str) -> None:
        self.voids.append(InvoiceVoid(len(self.voids) + 1, code, number, f"FAKE-VOID-{number}", reason))

    def lookup(self, invoice_code: str, number: str) -> InvoiceRecord | None:
        if self.failures:
            self.failures -= 1
            raise ServiceUnavailable("the fake tax system is down")
        self.lookups.append((invoice_code, number))
        return self.invoices.get((invoice_code, number))

    def voids_after(self, seq: int, limit: int = 100) -> list[InvoiceVoid]:
        return [v for v in self.voids if v.seq > seq][:limit]


class FakeRegistry:
    def __init__(self) -> None:
        self.registrations: dict[str, RegistrationRecord] = {}
        self.released: dict[str, str] = {}
        self.searches = 0

    def file(self, kind: str, creditor: str, debtor: str, amount: int, voucher: str) -> str:
        reg_no = f"FAKE-ZD-{len(self.registrations) + 1:04d}"
        self.registrations[reg_no] = RegistrationRecord(reg_no, kind, creditor, debtor, amount, voucher)
        return reg_no

    def lookup(self, reg_no: str) -> RegistrationRecord | None:
        return self.registrations.get(reg_no)

    def search(self, debtor: str, voucher: str) -> SearchResult:
        self.searches += 1
        found = [r.reg_no for r in self.registrations.values()
                 if r.debtor == debtor and r.voucher == voucher and r.reg_no not in self.released]
        return SearchResult(f"FAKE-CX-{self.searches:04d}", found)

    def release(self, reg_no: str, reference: str) -> str:
        return self.released.setdefault(reg_no, f"FAKE-ZX-{reg_no}")


class FakeRail:
    def __init__(self, balances: dict[str, int]) -> None:
        self.balances = dict(balances)
        self.reserved: dict[str, tuple[str, int, str]] = {}  # reference -> (account, amount, status)
        self.calls: list[tuple[str, str]] = []

    def collect(self, payer_account: str, amount: int, reference: str) -> Collection:
        self.calls.append(("collect", reference))
        got = min(amount, self.balances.get(payer_account, 0))
        self.balances[payer_account] = self.balances.get(payer_account, 0) - got
        return Collection(got, f"FAKE-COL-{reference}")

    def pay(self, payee_account: str, amount: int, reference: str) -> Outcome:
        self.calls.append(("pay", reference))
        self.balances[payee_account] = self.balances.get(payee_account, 0) + amount
        return Outcome(True, f"FAKE-PAY-{reference}")

    def reserve(self, payer_account: str, amount: int, reference: str) -> Outcome:
        self.calls.append(("reserve", reference))
        if self.balances.get(payer_account, 0) < amount:
            return Outcome(False, reason="insufficient balance")
        self.balances[payer_account] -= amount
        self.reserved[reference] = (payer_account, amount, "RESERVED")
        return Outcome(True, f"FAKE-RSV-{reference}")

    def settle(self, reference: str, payee_account: str) -> Outcome:
        self.calls.append(("settle", reference))
        account, amount, _ = self.reserved[reference]
        self.reserved[reference] = (account, amount, "SETTLED")
        self.balances[payee_account] = self.balances.get(payee_account, 0) + amount
        return Outcome(True, f"FAKE-STL-{reference}")

    def release(self, reference: str) -> Outcome:
        self.calls.append(("release", reference))
        account, amount, _ = self.reserved[reference]
        self.reserved[reference] = (account, amount, "RELEASED")
        self.balances[account] += amount
        return Outcome(True, f"FAKE-REL-{reference}")
