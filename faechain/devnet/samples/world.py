"""The demo's outside world, and the samples' steps that reach it (docs/outside-world.md).

Not a sample itself (seed_samples runs only the names in SAMPLE_ORDER): what the samples and
the simulators `fae demo` starts must agree on.

    INVOICES        every e-invoice the samples register: the tax simulator is seeded with them
                    (the tax authority knows every e-invoice issued)
    ACCOUNTS        the demo members' accounts on the rails, and their e-CNY balances at the rail
                    simulator (`core`'s is short of the payments sample's root: a partial payment)

The steps (`verify_invoices`, `registered_financing`, ...) take both worlds: with the
simulators (`samples.outside`) the service's simulator attests, as its own member, what it
sees on chain, and the sample waits for it where the business must (a funder funds only once
the registration is attested); without them the sample signs the attestation itself as the
service member (`taxservice`, `registry`, `ecny`), with what the simulator would have said.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from faechain.devnet.demo import Samples

YUAN = 100  # fen
TAX, REGISTRY, RAIL = "taxservice", "registry", "ecny"  # the demo's service members
BANK_RAIL = "bank"  # the demo's settlement bank, the other rail members are paid on


@dataclass(frozen=True)
class EInvoice:
    code: str
    number: str
    seller: str  # demo member names
    buyer: str
    amount: int  # fen

    @property
    def id(self) -> str:
        return f"{self.code}-{self.number}"


INVOICES: dict[str, EInvoice] = {inv.number: inv for inv in (
    EInvoice("011002600111", "04512876", "supplier1", "core", 5_000_000 * YUAN),   # receivables
    EInvoice("011002600111", "04512877", "supplier1", "core", 3_500_000 * YUAN),   # receivables, plans
    EInvoice("011002600222", "00093511", "supplier2", "core2", 2_000_000 * YUAN),  # receivables
    EInvoice("011002600333", "00071200", "supplier3", "core", 2_000_000 * YUAN),   # products
    EInvoice("011002600111", "04513020", "supplier1", "core", 600_000 * YUAN),     # payments
)}

# member -> (e-CNY wallet at the rail `ecny`, its balance at the rail simulator in fen, account at `bank`)
ACCOUNTS: dict[str, tuple[str, int, str]] = {
    "core": ("0031000100000201", 450_000 * YUAN, "110901000000201"),  # short of the payments root's 600,000
    "core2": ("0031000100000202", 3_000_000 * YUAN, "110901000000202"),
    "supplier1": ("0031000100000301", 0, "110901000000301"),
    "supplier2": ("0031000100000302", 0, "110901000000302"),
    "supplier3": ("0031000100000303", 0, "110901000000303"),
    "factor": ("0031000100000401", 5_000_000 * YUAN, "110901000000401"),
    "amc": ("0031000100000501", 2_000_000 * YUAN, "110901000000501"),
    "investor1": ("0031000100000601", 1_000_000 * YUAN, "110901000000601"),
    "investor2": ("0031000100000602", 1_000_000 * YUAN, "110901000000602"),
    "investor3": ("0031000100000603", 500_000 * YUAN, "110901000000603"),
    "investor4": ("0031000100000604", 100_000 * YUAN, "110901000000604"),
}


def ecny_account(member: str) -> str:
    return ACCOUNTS[member][0]


def ecny_balance(member: str) -> int:
    return ACCOUNTS[member][1]


def register_accounts(samples: Samples) -> None:
    """Every member paid on the rails names its accounts there (`payments.register_account`)."""
    ids = samples.org_ids
    for member, (wallet, _, bank_account) in ACCOUNTS.items():
        samples.tx(member, "payments", "register_account", rail=ids[RAIL], account=wallet)
        samples.tx(member, "payments", "register_account", rail=ids[BANK_RAIL], account=bank_account)


# -- the tax service ------------------------------------------------------------------------------
def register_invoice(samples: Samples, number: str, date: int, doc_hash: str) -> str:
    """The seller registers one of INVOICES (the tax authority's simulator, which holds them all,
    verifies it as it follows the chain); its invoice id."""
    inv, ids = INVOICES[number], samples.org_ids
    samples.tx(inv.seller, "receivables", "register_invoice", code=inv.code, number=inv.number,
               seller=ids[inv.seller], buyer=ids[inv.buyer], amount=inv.amount, date=date, doc_hash=doc_hash)
    return inv.id


def verify_invoices(samples: Samples, *numbers: str) -> None:
    """Without the simulators, the sample verifies the invoices registered as the tax service
    (`taxservice`) would, with what the tax system holds: at the end of a sample, as the service's
    word comes a moment after the registration (and the sample's earlier blocks stay as they were)."""
    if samples.outside is not None:
        return  # the tax simulator has verified them, or will
    ids = samples.org_ids
    for number in numbers:
        inv = INVOICES[number]
        samples.tx(TAX, "receivables", "verify_invoice", invoice=inv.id, seller=ids[inv.seller],
                   buyer=ids[inv.buyer], amount=inv.amount, status="NORMAL", reference=f"DZFP-{inv.id}")


# -- the registry ---------------------------------------------------------------------------------------
def registered_financing(samples: Samples, financing: str, voucher: str, reg_no: str, **terms: Any) -> str:
    """The funder registers the assignment of `voucher` (terms: creditor, debtor, amount: names and fen)
    and records the registration; the registry agent attests it and a clear search. With the
    simulators the funder files at the registry simulator (which numbers it) and the sample waits,
    polling the chain, for the registry's attestations; without, `reg_no` is used and the sample
    signs them as `registry`. Returns the registration number."""
    ids = samples.org_ids
    funder, debtor, amount = terms["creditor"], terms["debtor"], terms["amount"]
    outside = samples.outside
    if outside is not None:
        reg_no = outside.file_registration("ASSIGNMENT", ids[funder], ids[debtor], amount, voucher)
    samples.tx(funder, "receivables", "record_registration", financing=financing, reg_no=reg_no)
    if outside is None:
        samples.tx(REGISTRY, "receivables", "attest_registration", financing=financing, reg_no=reg_no,
                   kind="ASSIGNMENT", creditor=ids[funder], debtor=ids[debtor], amount=amount, voucher=voucher)
        samples.tx(REGISTRY, "receivables", "attest_search", financing=financing,
                   search_no=reg_no.replace("ZDW-", "ZDW-CX-", 1), earlier=[])
        return reg_no

    def attested() -> bool:
        f = samples.ask(funder, "receivables", "financing", id=financing)
        return bool(f.get("attestation") and f.get("search"))

    samples.wait(f"the registry simulator's attestation of {reg_no} (financing {financing})", attested)
    return reg_no
