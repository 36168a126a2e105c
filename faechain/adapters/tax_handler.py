"""The tax service's attestations: verify each invoice a seller registers; void those the tax
system voids.

    InvoiceRegistered(invoice, ...)   → lookup → receivables.verify_invoice(invoice, seller, buyer, amount,
                                        status, reference)
    the service's void feed (polled)  → receivables.void_invoice(invoice, reference, reason)

Before attesting it reads the invoice on chain and skips one the chain already holds as
verified, mismatched or voided (for a void: already voided), so a block handed over again
after a restart attests nothing twice.
"""

from __future__ import annotations

from typing import Any

from faechain.adapters.attestor import Chain, attr
from faechain.adapters.interfaces import InvoiceService, InvoiceVoid

UNVERIFIED = "UNVERIFIED"
VOIDED = "VOIDED"


def standing(record: dict[str, Any]) -> str:
    """The invoice's verification standing on chain (`verification.status`): UNVERIFIED,
    VERIFIED, MISMATCH or VOIDED; UNVERIFIED when the chain records none."""
    verification = record.get("verification")
    return str(verification.get("status") or UNVERIFIED) if isinstance(verification, dict) else UNVERIFIED


def split_invoice_id(ident: str) -> tuple[str, str]:
    """"<code>-<number>" → (code, number); code and number are letters and digits only."""
    code, _, number = ident.partition("-")
    return code, number


class TaxHandler:
    """The TAX_SERVICE member's part (attestor.Handler), over an `InvoiceService`."""

    def __init__(self, service: InvoiceService, *, feed_batch: int = 100) -> None:
        self.service = service
        self.feed_batch = feed_batch
        self.void_seq = 0  # the last entry of the service's void feed handled

    def restore(self, data: dict[str, Any]) -> None:
        self.void_seq = int(data.get("void_seq", 0))

    def dump(self) -> dict[str, Any]:
        return {"void_seq": self.void_seq}

    def handle_block(self, height: int, events: list[dict], chain: Chain) -> None:
        for ev in events:
            if ev.get("contract") == "receivables" and ev.get("type") == "InvoiceRegistered":
                self.verify(str(attr(ev, "invoice")), chain)

    def invoice_on_chain(self, ident: str, chain: Chain) -> dict[str, Any] | None:
        answer = chain.query("receivables", "invoice", id=ident)
        return answer.get("invoice") if isinstance(answer, dict) else None

    def verify(self, ident: str, chain: Chain) -> None:
        record = self.invoice_on_chain(ident, chain)
        if record is None:
            chain.say(f"verify_invoice {ident}: the chain does not show this invoice to us; nothing attested")
            return
        if standing(record) != UNVERIFIED:
            chain.say(f"verify_invoice {ident}: already {standing(record)} on chain; skipped")
            return
        code, number = split_invoice_id(ident)
        if isinstance(record.get("code"), str) and isinstance(record.get("number"), str):
            code, number = record["code"], record["number"]
        found = chain.retrying(f"lookup of invoice {ident}", lambda: self.service.lookup(code, number))
        if found is None:
            chain.say(f"verify_invoice {ident}: the tax system holds no such invoice; nothing attested")
            return
        chain.attest("receivables", "verify_invoice", ident, invoice=ident, seller=found.seller, buyer=found.buyer,
                     amount=found.amount, status=found.status, reference=found.reference)

    def poll(self, chain: Chain) -> None:
        while True:
            voids = chain.retrying("reading the void feed",
                                   lambda: self.service.voids_after(self.void_seq, self.feed_batch))
            for void in voids:
                self.void(void, chain)
                self.void_seq = max(self.void_seq, void.seq)
            if len(voids) < self.feed_batch:
                return

    def void(self, void: InvoiceVoid, chain: Chain) -> None:
        ident = f"{void.invoice_code}-{void.number}"
        record = self.invoice_on_chain(ident, chain)
        if record is None:
            chain.say(f"void_invoice {ident}: not on chain (or not shown to us); nothing attested")
            return
        if standing(record) == VOIDED:
            chain.say(f"void_invoice {ident}: already VOIDED on chain; skipped")
            return
        chain.attest("receivables", "void_invoice", ident, invoice=ident, reference=void.reference,
                     reason=void.reason)
