"""The `plans` contract: receivables debt financing plans and their disclosure (domain.md section 2).

A sponsor pools receivables (vouchers it holds, invoices it issued) into a plan;
an underwriter files it; the exchange approves and lists it; qualified investors
subscribe; the settlement bank confirms the money moved; the servicer records
every cash flow; disclosures follow a schedule whose missed deadlines raise an
alert; and anyone party to the plan can see through it to each invoice.

    DRAFT -> FILED -> LISTED -> ESTABLISHED -> OUTSTANDING -> REDEEMED -> CLOSED
    a filing the exchange returns: back to DRAFT;
    a payment default (ESTABLISHED or OUTSTANDING): DEFAULTED, which still receives payments, then CLOSED;
    DRAFT, FILED or LISTED: withdrawn to CLOSED (subscriptions lapse, the pool is released)

Who does what:

    sponsor (CORE_ENTERPRISE, SUPPLIER, FACTOR, BANK)   create, pool, unpool
    underwriter (INTERMEDIARY, BANK)                     file, establish, schedule_disclosure, declare_default, close
    exchange                                             return_filing, approve, schedule_disclosure, close
    qualified investors                                  subscribe
    settlement bank                                      confirm_funding, record_cash_flow, pay
    servicer                                             record_cash_flow, declare_default
    sponsor, underwriter, servicer                       publish, correct
    every party (the four above)                         register_document, report_event
    receivables contract                                 voucher_paid

Pooled vouchers and invoices are locked in the receivables contract, so an asset
sits in one plan and cannot be financed or drawn on elsewhere. When a pooled
voucher is paid at maturity, receivables calls `voucher_paid` inside the
settlement bank's confirmation and the plan records the cash flow then.

Where things are:

    records.py      the state keys and records (TypedDicts), the plan's and items' states, limits, vocabularies
    rules.py        loading, checking and saving a plan, scheduling an item, releasing an asset
    offering.py     drafting, pooling, filing, approval, subscription, establishment, funding
    servicing.py    cash flows, voucher payments, coupon and principal payments, default, close
    disclosure.py   documents, the disclosure schedule, publication and corrections
    end_block.py    overdue disclosure items
    reading.py      who may read each record and see each event (the queries and the raw routes ask it)
    queries.py      the queries
    penetration.py  a plan and everything beneath it, each element with its proof
"""

from __future__ import annotations

from faechain.contracts.runtime import Contract, register
from faechain.modules.plans.disclosure import DisclosureSteps
from faechain.modules.plans.end_block import EndOfBlock
from faechain.modules.plans.offering import OfferingSteps
from faechain.modules.plans.queries import Queries
from faechain.modules.plans.reading import ReadRules
from faechain.modules.plans.servicing import ServicingSteps


@register
class Plans(OfferingSteps, ServicingSteps, DisclosureSteps, Queries, ReadRules, EndOfBlock, Contract):
    name = "plans"
    indexes = {
        "plan": ("sponsor", "underwriter", "servicer", "settlement_bank", "status", "holders"),
        "disclosure": ("plan", "status"),
        "doc": ("plan",),
        "holding": ("investor",),
    }
