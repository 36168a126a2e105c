"""An `InvoiceService` over HTTP: the adapter to the e-invoice service simulator.

A real adapter has this shape: a class satisfying `faechain.adapters.interfaces.InvoiceService`,
constructed from keyword options (`fae attestor run --adapter
faechain.adapters.tax_http:TaxHttpAdapter --adapter-arg url=http://...`), turning the
outside system's answers into the typed records and its outages into `ServiceUnavailable`.

The simulator's API (faechain.devnet.simulators.tax):
    GET /invoices/{code}-{number}        {"invoice": {code, number, seller, buyer, amount, status, reference}}; 404
    GET /voids?after=SEQ&limit=N         {"voids": [{seq, code, number, reference, reason}, ...]}
"""

from __future__ import annotations

from faechain.adapters.http_json import JsonHttp, segment
from faechain.adapters.interfaces import InvoiceRecord, InvoiceVoid


class TaxHttpAdapter:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.http = JsonHttp(url, float(timeout))

    def lookup(self, invoice_code: str, number: str) -> InvoiceRecord | None:
        status, doc = self.http.call("GET", f"/invoices/{segment(invoice_code)}-{segment(number)}")
        if status == 404:
            return None
        if status != 200:
            return self.http.ok("GET", f"/invoices/{segment(invoice_code)}-{segment(number)}")  # raises, naming why
        inv = doc["invoice"]
        return InvoiceRecord(invoice_code=inv["code"], number=inv["number"], seller=inv["seller"], buyer=inv["buyer"],
                             amount=int(inv["amount"]), status=inv["status"], reference=inv["reference"])

    def voids_after(self, seq: int, limit: int = 100) -> list[InvoiceVoid]:
        doc = self.http.ok("GET", f"/voids?after={int(seq)}&limit={int(limit)}")
        return [InvoiceVoid(seq=int(v["seq"]), invoice_code=v["code"], number=v["number"], reference=v["reference"],
                            reason=v["reason"]) for v in doc["voids"]]
