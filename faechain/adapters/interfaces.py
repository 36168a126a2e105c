"""What the attestor asks of each outside system: one `typing.Protocol` per service.

A bank's (or a service operator's) IT writes one class satisfying the protocol of its
service, against its real system, and runs it with `fae attestor run --adapter
package.module:Class` (docs/adapters.md). The attestor calls it from a single thread, one
call at a time; it never calls two methods concurrently.

The rules every adapter keeps:

* **Amounts are integer fen** (1 元 = 100 fen); no floats anywhere.
* **Organisations are named by their faechain org id**, which is the organisation's
  unified social credit code (USCC, 统一社会信用代码): an invoice's seller and buyer
  taxpayer ids, a registration's creditor and debtor, are USCCs.
* **Every method that changes the outside system is idempotent by its `reference`**: the
  attestor delivers each chain event at least once (after a crash it asks again), so a
  second call with the same reference must not collect, pay, reserve or release twice;
  it answers what the first call did. The chain's own checks then refuse the duplicate
  attestation, so each attestation is recorded exactly once.
* **A temporary failure raises `ServiceUnavailable`** (the system is down, a timeout):
  the attestor retries the same call later, with back-off. A definite answer ("no such
  invoice", "insufficient balance") is a return value, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

INVOICE_NORMAL = "NORMAL"  # 正常: the invoice stands
INVOICE_VOIDED = "VOIDED"  # 作废 / 红冲: voided or fully reversed by a red-letter invoice
INVOICE_STATUSES = (INVOICE_NORMAL, INVOICE_VOIDED)

ASSIGNMENT = "ASSIGNMENT"  # 应收账款转让登记 (factoring)
PLEDGE = "PLEDGE"  # 应收账款质押登记
REGISTRATION_KINDS = (ASSIGNMENT, PLEDGE)

REGISTRATION_ACTIVE = "ACTIVE"
REGISTRATION_RELEASED = "RELEASED"  # 注销登记


class ServiceUnavailable(Exception):
    """The outside system could not answer now (down, timed out, overloaded): the attestor
    retries the same call later. Raise it only for failures that may pass."""


# -- the tax authority's e-invoice service (数电票) ------------------------------------------
@dataclass(frozen=True)
class InvoiceRecord:
    """What the tax system holds for one invoice.

    `seller` and `buyer` are the taxpayer ids (USCC = faechain org id), `amount` the
    invoice's total including tax in fen, `status` one of INVOICE_STATUSES, `reference`
    the service's own reference for this answer (its verification or query number), which
    the chain records with the attestation for the audit trail."""

    invoice_code: str
    number: str
    seller: str
    buyer: str
    amount: int
    status: str
    reference: str


@dataclass(frozen=True)
class InvoiceVoid:
    """One entry of the tax system's feed of voided invoices.

    `seq` orders the feed: strictly increasing, never reused; the attestor remembers the
    last `seq` it handled and asks for those after it. `reference` is the void's own number
    (the red-letter invoice or the void notice), `reason` a sentence for the regulator."""

    seq: int
    invoice_code: str
    number: str
    reference: str
    reason: str


@runtime_checkable
class InvoiceService(Protocol):
    """The e-invoice verification service, as a TAX_SERVICE member reaches it."""

    def lookup(self, invoice_code: str, number: str) -> InvoiceRecord | None:
        """The tax system's record of the invoice `invoice_code`/`number`, or None when it
        holds no such invoice (the attestor then attests nothing: a seller registered an
        invoice the tax system does not know, which the regulator sees as unverified)."""
        ...

    def voids_after(self, seq: int, limit: int = 100) -> list[InvoiceVoid]:
        """Voided invoices with `seq` greater than the given one, oldest first, at most
        `limit`. The attestor polls this and sends `void_invoice` for each invoice the
        chain holds. `seq` 0 asks from the beginning."""
        ...


# -- the movable-property registry (中登网) ---------------------------------------------------
@dataclass(frozen=True)
class RegistrationRecord:
    """A registration as the registry holds it under its number.

    `kind` one of REGISTRATION_KINDS; `creditor` the funder (质权人/受让人) and `debtor` the
    holder (出质人/转让人), both USCCs; `amount` the registered amount in fen; `voucher` the
    faechain piece the registration describes (the registry's 财产描述 names it); `status`
    REGISTRATION_ACTIVE or REGISTRATION_RELEASED."""

    reg_no: str
    kind: str
    creditor: str
    debtor: str
    amount: int
    voucher: str
    status: str = REGISTRATION_ACTIVE


@dataclass(frozen=True)
class SearchResult:
    """A search of the registry: its own number (查询证明编号) and the numbers of the active
    registrations it found against the debtor covering the piece, in filing order."""

    search_no: str
    found: list[str] = field(default_factory=list)


@runtime_checkable
class RegistryService(Protocol):
    """The movable-property registry, as a REGISTRY_AGENT member reaches it."""

    def lookup(self, reg_no: str) -> RegistrationRecord | None:
        """The registration filed under `reg_no`, or None when there is none."""
        ...

    def search(self, debtor: str, voucher: str) -> SearchResult:
        """Search the active registrations against `debtor` covering `voucher` (a new
        search number each time). The attestor attests, as `earlier`, those found before the
        registration it is attesting."""
        ...

    def release(self, reg_no: str, reference: str) -> str:
        """Release (注销) the registration `reg_no`; return the registry's reference for the
        release. Idempotent by `reference`: releasing again answers the first release's
        reference."""
        ...


# -- a payment rail (a bank's clearing system, e-CNY) --------------------------------------------
@dataclass(frozen=True)
class Collection:
    """What a collection took from the payer: `collected` fen (0 up to the amount asked; less
    is a partial payment) and the rail's reference for it."""

    collected: int
    rail_ref: str


@dataclass(frozen=True)
class Outcome:
    """The outcome of a payout, reservation, settlement or release: `ok` with the rail's
    reference, or not `ok` with a `reason` a person can act on (no such account,
    insufficient balance)."""

    ok: bool
    rail_ref: str = ""
    reason: str = ""


@runtime_checkable
class PaymentRail(Protocol):
    """A payment rail, as a PAYMENT_RAIL member (or a settlement bank) operates it.

    Accounts are the rail's own account numbers, which each member registered on chain
    (`payments.register_account`); the attestor looks them up and passes them here."""

    def collect(self, payer_account: str, amount: int, reference: str) -> Collection:
        """Collect up to `amount` fen from `payer_account` under the payer's standing mandate
        (what the payer has, if less: a partial payment). Idempotent by `reference`."""
        ...

    def pay(self, payee_account: str, amount: int, reference: str) -> Outcome:
        """Pay `amount` fen to `payee_account`. Idempotent by `reference` (the clearing
        instruction's id): a second call answers the first call's outcome."""
        ...

    def reserve(self, payer_account: str, amount: int, reference: str) -> Outcome:
        """Reserve (冻结) `amount` fen in `payer_account` for a conditional payment; not `ok`
        when the balance is short. Idempotent by `reference` (the conditional payment's id)."""
        ...

    def settle(self, reference: str, payee_account: str) -> Outcome:
        """Pay the reservation `reference` to `payee_account`. Idempotent."""
        ...

    def release(self, reference: str) -> Outcome:
        """Return the reservation `reference` to the payer's balance. Idempotent."""
        ...
