"""The payments sample of `fae demo`: a partial payment through the e-CNY rail, and an e-CNY
conditional payment (docs/outside-world.md).

Every member paid on the rails first names its accounts there (`payments.register_account`,
world.py ACCOUNTS). Then:

* Huaxin Chemical (`core`) owes Tianhe Materials (`supplier1`) CNY 600,000 on a voucher
  maturing at 01:00 tomorrow (China time), paid through the e-CNY operator (`ecny`).
  The demo clock moves past maturity (the chain announces the root due: PaymentDue); the
  rail collects what Huaxin's e-CNY wallet holds — CNY 450,000, short — and confirms it (a
  round, allocated pro rata over the pieces: here the one Tianhe holds); the chain instructs
  the piece's payment and the rail pays and confirms it. The root is OVERDUE with CNY 150,000
  still owed, the piece part paid.
* Jingtai Construction (`core2`) pays Fengrun (`supplier2`) CNY 300,000 in e-CNY on its own
  confirmation that the goods arrived: the rail reserves the money in Jingtai's wallet,
  Jingtai confirms delivery on chain, the rail pays Fengrun (SETTLED).

With `fae demo` the rail simulator moves the money and signs as `ecny` (but for the
collection's confirmation: see `collect`); without it the sample signs the same steps as
`ecny`, with the amounts the simulator would have moved.
"""

from __future__ import annotations

from faechain.contracts.deadlines import day_of
from faechain.contracts.time import DAY
from faechain.devnet.demo import Samples
from faechain.devnet.samples.world import (
    RAIL,
    ecny_balance,
    register_accounts,
    register_invoice,
    verify_invoices,
)

YUAN = 100  # fen
HOUR = 3_600
CST = 8 * HOUR  # China time, ahead of UTC
ROOT_AMOUNT = 600_000 * YUAN
CONDITIONAL = 300_000 * YUAN


def _doc(samples: Samples, name: str) -> str:
    return samples.hash(f"faechain demo document: {name}".encode())


def tomorrow_at_one(now: int) -> int:
    """01:00 China time tomorrow: a maturity on a day not yet begun, so that the day's PaymentDue is
    announced when that day begins (a root maturing today would be announced never)."""
    return (day_of(now) + 1) * DAY - CST + HOUR


def seed(samples: Samples) -> dict:
    """Submit the sample as signed transactions; returns its ids."""
    register_accounts(samples)
    now = samples.now()
    maturity = tomorrow_at_one(now)
    invoice = register_invoice(samples, "04513020", now - 10 * DAY, _doc(samples, "invoice 04513020"))
    root = issue(samples, maturity, invoice)
    samples.tx("supplier1", "receivables", "accept", id=root)
    pieces = [root]  # one piece: Tianhe holds the root whole

    samples.advance(maturity - samples.now() + 600)  # past maturity: the chain announces the root due
    collect(samples, root, pieces)
    payment = conditional_payment(samples)
    verify_invoices(samples, "04513020")  # the tax service's word (world.py)
    return {"root": root, "pieces": pieces, "conditional": payment}


def issue(samples: Samples, maturity: int, invoice: str) -> str:
    """The root, settling through the e-CNY rail (`settlement_bank` names a settlement bank or a payment
    rail operator): at maturity the chain tells that rail the payment is due (PaymentDue)."""
    ids = samples.org_ids
    return samples.tx("core", "receivables", "issue", to=ids["supplier1"], amount=ROOT_AMOUNT, maturity=maturity,
                      invoices=[[invoice, ROOT_AMOUNT]], settlement_bank=ids[RAIL],
                      contract_hash=_doc(samples, "purchase contract HX-2026-0502"))["voucher"]


def collect(samples: Samples, root: str, pieces: list[str]) -> None:
    """At maturity the chain tells the root's rail the payment is due (PaymentDue, naming `ecny`).
    With the simulators, the rail simulator takes it as its own: it collects what core's wallet
    holds under its standing mandate (short: a partial payment), confirms the collection, then
    pays each piece's holder as the chain instructs and confirms each; the sample only waits for
    the chain to show it. Without the simulator the sample signs the same steps as `ecny`, with
    what the simulator would collect."""
    if samples.outside is not None:
        def settled() -> bool:  # the round confirmed and every instruction of it paid
            shown = samples.ask("regulator", "receivables", "voucher", id=root)["root"]
            return shown["status"] in ("OVERDUE", "PAID") and shown.get("collected", 0) > 0

        samples.wait(f"the rail simulator's payment of root {root}", settled)
        return
    collected, rail_ref = min(ecny_balance("core"), ROOT_AMOUNT), f"ECNY-COL-{root}"
    samples.tx(RAIL, "receivables", "confirm_payment", root=root, amount=collected, bank_ref=rail_ref)
    # end_block of the confirmation's block instructed each piece: the rail pays and confirms them
    pending = samples.ask(RAIL, "payments", "instructions", field="rail", value=samples.org_ids[RAIL],
                          status="PENDING")
    refs = {f"voucher:{piece}" for piece in pieces}
    mine = [i["id"] for i in pending if i["source"] == "receivables" and i["ref"] in refs]
    samples.tx(RAIL, "payments", "confirm", results=[[i, "PAID", f"ECNY-PAY-{i}"] for i in mine])


def conditional_payment(samples: Samples) -> str:
    """`core2` pays `supplier2` in e-CNY on its own confirmation that the goods arrived."""
    ids = samples.org_ids
    payment = samples.tx("core2", "payments", "create_conditional", payee=ids["supplier2"], amount=CONDITIONAL,
                         rail=ids[RAIL], expires=samples.now() + 30 * DAY,
                         condition={"kind": "confirmed", "by": ids["core2"],
                                    "what": "goods received: steel formwork, delivery note JT-SH-2026-0311"})["payment"]

    def status() -> str:
        return samples.ask("core2", "payments", "conditional", id=payment)["status"]

    if samples.outside is None:
        samples.tx(RAIL, "payments", "reserve", payment=payment, rail_ref=f"ECNY-RSV-{payment}")
    else:  # the rail simulator reserves the money in core2's wallet
        samples.wait(f"the rail simulator's reservation of conditional payment {payment}",
                     lambda: status() == "RESERVED")
    samples.tx("core2", "payments", "confirm_condition", payment=payment)
    if samples.outside is None:
        samples.tx(RAIL, "payments", "settle_conditional", payment=payment, rail_ref=f"ECNY-STL-{payment}")
    return payment
