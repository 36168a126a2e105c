"""The plans sample of `fae demo`: an outstanding debt financing plan with its disclosures.

Tianhe Materials (`supplier1`) sponsors a CNY 5,000,000 receivables debt financing
plan: it pools the CNY 5,000,000 it kept of Huaxin Chemical's voucher and the
CNY 500,000 of invoice 04512877 that no voucher draws on. Jinrong Securities
(`underwriter`) files it, the exchange approves and lists it, Yanshan Insurance
(`investor1`) and Xicheng Fund (`investor2`) subscribe CNY 3,000,000 and
2,000,000, Capital Commercial Bank (`bank`) confirms the money reached Tianhe,
and Zhongguancun Factoring (`factor`), the servicer, records the first
collection. Its documents are in the node's vault; the initial disclosure is
published, a major event has been announced and disclosed, and periodic
reports are scheduled over the 180-day term.
"""

from __future__ import annotations

from faechain.contracts.time import DAY
from faechain.devnet.demo import Samples

YUAN = 100  # fen

DOCUMENTS = {
    "circular": ("prospectus", "Offering circular, Tianhe Materials receivables plan 2026 No.1",
                 "Offering circular\n\nSponsor: Tianhe Materials Co., Ltd.\nSize: CNY 5,000,000.00\n"
                 "Coupon: 4.20% p.a.\nTerm: 180 days\nUnderlying: receivables owed by Huaxin Chemical Group.\n"),
    "pool": ("report", "Pool list as at listing",
             "asset,payer,amount_fen\nvoucher {kept},Huaxin Chemical Group,500000000\n"
             "invoice 011002600111-04512877,Huaxin Chemical Group,50000000\n"),
    "contract": ("contract", "Purchase contract HX-2026-0417",
                 "Purchase contract HX-2026-0417 between Huaxin Chemical Group Co., Ltd. (buyer)\n"
                 "and Tianhe Materials Co., Ltd. (seller): industrial resins, CNY 8,500,000.00.\n"),
    "opinion": ("legal_opinion", "Legal opinion on the true sale of the pooled receivables",
                "Haidian Tongda Law Firm: the pooled receivables are validly assigned to the plan.\n"),
    "statement": ("bank_statement", "Collection account statement, first collection",
                  "Capital Commercial Bank collection account: credit CNY 200,000.00 from Huaxin Chemical.\n"),
    "event": ("report", "Notice: change of servicer contact",
              "The servicer's operations contact for the plan has changed with effect from today.\n"),
}


def seed(samples: Samples) -> dict:
    """Submit the sample as signed transactions (documents through the vault); returns its ids."""
    ids = samples.org_ids
    rcv = samples.results["receivables"]
    now = samples.now()

    def tx(who: str, method: str, **args) -> dict:
        return samples.tx(who, "plans", method, **args)

    def document(who: str, plan: str, key: str, **extra) -> str:
        kind, name, text = DOCUMENTS[key]
        data = text.format(kept=rcv["kept"]).encode()
        h = samples.upload(data)
        tx(who, "register_document", plan=plan, hash=h, kind=kind, name=name, size=len(data),
           media_type="text/plain", **extra)
        return h

    plan = tx("supplier1", "create", name="Tianhe Materials Receivables Debt Financing Plan 2026 No.1",
              underwriter=ids["underwriter"], servicer=ids["factor"], settlement_bank=ids["bank"],
              size=5_000_000 * YUAN, coupon_bps=420, term_days=180, min_ticket=1_000_000 * YUAN)["plan"]
    tx("supplier1", "pool", plan=plan, vouchers=[rcv["kept"]], invoices=[rcv["open_invoice"]])
    initial = tx("underwriter", "file", plan=plan)["initial_disclosure"]
    docs = [document("underwriter", plan, "circular"), document("underwriter", plan, "pool"),
            document("supplier1", plan, "contract", asset=f"voucher:{rcv['kept']}"),
            document("underwriter", plan, "opinion")]
    tx("underwriter", "publish", plan=plan, item=initial, documents=docs,
       summary="Offering circular, pool list, underlying contract and legal opinion.")
    tx("exchange", "approve", plan=plan, approval_no="BFAE-ARDFP-2026-0107", opens=now, closes=now + 7 * DAY)
    tx("investor1", "subscribe", plan=plan, amount=3_000_000 * YUAN)
    tx("investor2", "subscribe", plan=plan, amount=2_000_000 * YUAN)
    tx("underwriter", "establish", plan=plan)
    tx("bank", "confirm_funding", plan=plan, bank_ref="CCB-20261127-000118")
    statement = document("factor", plan, "statement", asset=f"invoice:{rcv['open_invoice']}")
    tx("factor", "record_cash_flow", plan=plan, payer=ids["core"], payee=ids["supplier1"],
       amount=200_000 * YUAN, value_date=now - 3600, bank_ref="CCB-20261127-000342",
       asset=f"invoice:{rcv['open_invoice']}")
    event = tx("factor", "report_event", plan=plan, title="change of servicer contact")["item"]
    tx("factor", "publish", plan=plan, item=event, summary="The servicer's contact has changed.",
       documents=[document("factor", plan, "event")])
    return {"plan": plan, "documents": docs + [statement]}
