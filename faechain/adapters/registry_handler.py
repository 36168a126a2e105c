"""The registry agent's attestations: what the registry holds under a number a funder
recorded, the search it made, and the release when the financed piece is paid.

    FinancingRegistered(financing, registration)   → lookup, search →
        receivables.attest_registration(financing, reg_no, kind, creditor, debtor, amount, voucher)
        receivables.attest_search(financing, search_no, earlier)
    RegistrationReleaseDue(financing, registration, funder)   → release →
        receivables.attest_release(financing, reference)

Before attesting it reads the financing on chain: it attests a registration only while the
financing is REGISTERED under that number and holds no attestation yet, and a release only
once; what slips through a restart is refused by the contract as already recorded.
"""

from __future__ import annotations

from typing import Any

from faechain.adapters.attestor import Chain, attr
from faechain.adapters.interfaces import RegistryService

REGISTERED = "REGISTERED"
# where the financing record keeps what the registry agent attested
ATTESTED_FIELDS = ("attestation",)
SEARCH_FIELDS = ("search",)
RELEASE_FIELDS = ("release",)


def recorded(record: dict[str, Any], fields: tuple[str, ...]) -> bool:
    return any(record.get(name) for name in fields)


def earlier_than(found: list[str], reg_no: str) -> list[str]:
    """The registrations filed before `reg_no` among those a search found (filing order):
    all of them when `reg_no` is not among them."""
    return list(found[: found.index(reg_no)] if reg_no in found else found)


class RegistryHandler:
    """The REGISTRY_AGENT member's part (attestor.Handler), over a `RegistryService`."""

    def __init__(self, service: RegistryService) -> None:
        self.service = service

    def restore(self, data: dict[str, Any]) -> None:
        pass  # everything it needs is on chain or in the registry

    def dump(self) -> dict[str, Any]:
        return {}

    def poll(self, chain: Chain) -> None:
        pass  # the registry changes nothing the chain must hear of unasked

    def handle_block(self, height: int, events: list[dict], chain: Chain) -> None:
        for ev in events:
            if ev.get("contract") != "receivables":
                continue
            if ev.get("type") == "FinancingRegistered":
                self.attest_registration(str(attr(ev, "financing")), str(attr(ev, "registration")), chain)
            elif ev.get("type") == "RegistrationReleaseDue":
                self.release(str(attr(ev, "financing")), str(attr(ev, "registration")), chain)

    def attest_registration(self, financing: str, reg_no: str, chain: Chain) -> None:
        f = chain.query("receivables", "financing", id=financing)
        what = f"attest_registration {financing} ({reg_no})"
        if not isinstance(f, dict):
            chain.say(f"{what}: the chain does not show this financing to us; nothing attested")
            return
        if f.get("status") != REGISTERED or f.get("registration") != reg_no:
            chain.say(f"{what}: the financing is {f.get('status')} under {f.get('registration')}; skipped")
            return
        rec = chain.retrying(f"lookup of registration {reg_no}", lambda: self.service.lookup(reg_no))
        if rec is None:
            chain.say(f"{what}: the registry holds no registration {reg_no}; nothing attested")
            return
        if not recorded(f, ATTESTED_FIELDS):
            chain.attest("receivables", "attest_registration", f"{financing} ({reg_no})", financing=financing,
                         reg_no=reg_no, kind=rec.kind, creditor=rec.creditor, debtor=rec.debtor, amount=rec.amount,
                         voucher=rec.voucher)
        else:
            chain.say(f"{what}: already recorded on chain; skipped")
        if recorded(f, SEARCH_FIELDS):
            chain.say(f"attest_search {financing}: already recorded on chain; skipped")
            return
        debtor, voucher = f.get("holder") or rec.debtor, f.get("voucher") or rec.voucher
        result = chain.retrying(f"search against {debtor}", lambda: self.service.search(debtor, voucher))
        chain.attest("receivables", "attest_search", f"{financing} ({result.search_no})", financing=financing,
                     search_no=result.search_no, earlier=earlier_than(result.found, reg_no))

    def release(self, financing: str, reg_no: str, chain: Chain) -> None:
        f = chain.query("receivables", "financing", id=financing)
        if isinstance(f, dict) and recorded(f, RELEASE_FIELDS):
            chain.say(f"attest_release {financing} ({reg_no}): already recorded on chain; skipped")
            return
        reference = chain.retrying(f"release of registration {reg_no}",
                                   lambda: self.service.release(reg_no, financing))
        chain.attest("receivables", "attest_release", f"{financing} ({reg_no})", financing=financing,
                     reference=reference)
