"""The products sample of `fae demo`: a rated, subscribed product with one distribution made.

Zhongguancun Factoring (`factor`) finances a CNY 2,000,000 voucher of Huaxin
Chemical held by Xinda Logistics (`supplier3`), due in two days, and packages it
with the CNY 1,200,000 piece it financed in the receivables sample into a
CNY 3,200,000 product: a senior tranche of 2,560,000 at 4.80 % and a
subordinated one of 640,000. Dagong (`rating`) rates it AA, the exchange opens
it, `investor1` and `investor2` take the senior tranche and `investor3` the
subordinated one, and the registrar (`registrar`) establishes it. The demo's
clock then moves three days on (a dev chain's clock can): Capital Commercial Bank
confirms Huaxin paid the short voucher, the chain instructs the bank to pay the
product's piece (a clearing instruction, docs/outside-world.md), the bank confirms
it paid it and the collection is credited to the product in that confirmation; the
registrar then distributes it down the waterfall.
`investor2` has also agreed to sell part of its holding to `investor1`; the
registrar can register it once the 5-day hold has passed.
"""

from __future__ import annotations

from faechain.contracts.time import DAY
from faechain.devnet.demo import Samples
from faechain.devnet.samples.world import register_invoice, registered_financing, verify_invoices

YUAN = 100  # fen


def pending_instructions(samples: Samples, rail: str) -> list[dict]:
    """The clearing instructions waiting on a rail, as that rail lists them (`payments.instructions`,
    signed as the rail's wallet identity) on the demo node behind `samples.submit`."""
    from faechain.identity.wallet import Identity

    node = samples.submit.__self__  # type: ignore[attr-defined]  # seed_node passes a node's bound submit_as
    ident = Identity.load(node.home, rail)
    caller = node.app.caller_for_cert(ident.cert_id, ident.cert)
    return node.app.run_query("payments", "instructions",
                              {"field": "rail", "value": samples.org_ids[rail], "status": "PENDING"}, caller)


def seed(samples: Samples) -> dict:
    """Submit the sample as signed transactions; returns its ids."""
    ids = samples.org_ids
    rcv = samples.results["receivables"]
    now = samples.now()

    def tx(who: str, contract: str, method: str, **args) -> dict:
        return samples.tx(who, contract, method, **args)

    doc = samples.hash(b"faechain demo: invoice 011002600333-00071200")
    register_invoice(samples, "00071200", now - 30 * DAY, doc)
    short = tx("core", "receivables", "issue", to=ids["supplier3"], amount=2_000_000 * YUAN, maturity=now + 2 * DAY,
               invoices=[["011002600333-00071200", 2_000_000 * YUAN]], contract_hash=doc,
               settlement_bank=ids["bank"])["voucher"]
    tx("supplier3", "receivables", "accept", id=short)
    financing = tx("supplier3", "receivables", "request_financing", id=short, funder=ids["factor"],
                   amount=2_000_000 * YUAN, rate_bps=520)["financing"]
    # the registration attested and a clear search: the registry's simulator, or the sample as `registry`
    registered_financing(samples, financing, short, "ZDW-2026-110108-004412", creditor="factor", debtor="supplier3",
                         amount=2_000_000 * YUAN)
    piece = tx("factor", "receivables", "fund", financing=financing)["voucher"]

    product = tx("factor", "products", "create", name="Zhongguancun Factoring Revenue-Sharing Product 2026 No.3",
                 tranches=[dict(name="senior", size=2_560_000 * YUAN, coupon_bps=480, priority=1),
                           dict(name="sub", size=640_000 * YUAN, coupon_bps=0, priority=2)],
                 registrar=ids["registrar"], settlement_bank=ids["bank"], min_ticket=100_000 * YUAN,
                 term_days=180, fee_bps=30)["product"]
    tx("factor", "products", "add_underlying", product=product, vouchers=[piece, rcv["financed"]])
    report = samples.hash(b"faechain demo: Dagong rating report DG-2026-RS-0311")
    tx("rating", "products", "rate", product=product, grade="AA", outlook="stable", report_hash=report)
    tx("factor", "products", "file", product=product)
    tx("exchange", "products", "approve", product=product, approval_no="TJFAE-RS-2026-0311", opens=now,
       closes=now + 5 * DAY)
    tx("investor1", "products", "subscribe", product=product, tranche="senior", amount=1_600_000 * YUAN)
    tx("investor2", "products", "subscribe", product=product, tranche="senior", amount=960_000 * YUAN)
    tx("investor3", "products", "subscribe", product=product, tranche="sub", amount=640_000 * YUAN)
    tx("registrar", "products", "establish", product=product)
    tx("bank", "products", "confirm_funding", product=product, bank_ref="CCB-20261127-000519")

    samples.advance(3 * DAY)  # the short voucher matures
    tx("bank", "receivables", "confirm_payment", root=short, amount=2_000_000 * YUAN, bank_ref="CCB-20261130-000077")
    # end_block instructed the round: the bank pays the piece's holder and confirms its instruction
    [instruction] = [i["id"] for i in pending_instructions(samples, "bank") if i["ref"] == f"voucher:{piece}"]
    tx("bank", "payments", "confirm", results=[[instruction, "PAID", "CCB-20261130-000078"]])
    distribution = tx("registrar", "products", "distribute", product=product)["distribution"]
    transfer = tx("investor2", "products", "propose_transfer", product=product, tranche="senior",
                  buyer=ids["investor1"], units=200_000 * YUAN, price=201_500 * YUAN)["transfer"]
    tx("investor1", "products", "accept_transfer", transfer=transfer)
    verify_invoices(samples, "00071200")  # the tax service's word (world.py)
    return {"product": product, "underlying": [piece, rcv["financed"]], "distribution": distribution,
            "transfer": transfer, "short_voucher": short}
