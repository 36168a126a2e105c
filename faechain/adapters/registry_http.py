"""A `RegistryService` over HTTP: the adapter to the movable-property registry simulator.

The shape of a real adapter (see tax_http.py). The simulator's API
(faechain.devnet.simulators.registry):
    GET  /registrations/{reg_no}               {"registration": {reg_no, kind, creditor, debtor, amount, voucher,
                                                status}}; 404
    POST /searches {debtor, voucher}           {"search_no", "found": [reg_no, ...]}
    POST /registrations/{reg_no}/release {reference}   {"reference": the release's number}
"""

from __future__ import annotations

from faechain.adapters.http_json import JsonHttp, segment
from faechain.adapters.interfaces import RegistrationRecord, SearchResult


class RegistryHttpAdapter:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.http = JsonHttp(url, float(timeout))

    def lookup(self, reg_no: str) -> RegistrationRecord | None:
        path = f"/registrations/{segment(reg_no)}"
        status, doc = self.http.call("GET", path)
        if status == 404:
            return None
        r = (doc if status == 200 else self.http.ok("GET", path))["registration"]
        return RegistrationRecord(reg_no=r["reg_no"], kind=r["kind"], creditor=r["creditor"], debtor=r["debtor"],
                                  amount=int(r["amount"]), voucher=r["voucher"], status=r["status"])

    def search(self, debtor: str, voucher: str) -> SearchResult:
        doc = self.http.ok("POST", "/searches", {"debtor": debtor, "voucher": voucher})
        return SearchResult(search_no=doc["search_no"], found=list(doc["found"]))

    def release(self, reg_no: str, reference: str) -> str:
        doc = self.http.ok("POST", f"/registrations/{segment(reg_no)}/release", {"reference": reference})
        return str(doc["reference"])
