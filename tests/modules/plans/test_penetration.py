"""Penetration: from a plan to its vouchers, invoices, documents and cash flows, each proven,
checked by `faechain.sdk.penetration.verify` without trusting the node that answered."""

from __future__ import annotations

import copy

import pytest

from faechain.contracts.errors import NotFound
from faechain.core.wire import jsonable
from faechain.sdk.penetration import verify
from tests.modules.plans.plan_support import DAY, YUAN


@pytest.fixture
def tree(p):
    """An outstanding plan with two vouchers (one split from a two-invoice root), an invoice,
    documents, a correction, cash flows and a payment; its penetration answer as JSON."""
    o = p.o
    plan = p.draft(1_000_000 * YUAN)
    inv_a, inv_b = p.rcv.invoice(700_000 * YUAN), p.rcv.invoice(300_000 * YUAN)
    root = p.rcv.ok("core", "issue", to=o["supplier1"], amount=900_000 * YUAN, maturity=p.c.now + 100 * DAY,
                    invoices=[[inv_a, 700_000 * YUAN], [inv_b, 200_000 * YUAN]], contract_hash="cd" * 32)["voucher"]
    p.rcv.ok("supplier1", "accept", id=root)
    sold, kept = p.rcv.transfer("supplier1", root, "supplier2", 100_000 * YUAN)
    other = p.voucher(150_000 * YUAN)
    loose = p.rcv.invoice(80_000 * YUAN)
    p.ok("supplier1", "pool", plan=plan, vouchers=[kept, other], invoices=[loose])
    item = p.ok("underwriter", "file", plan=plan)["initial_disclosure"]
    d1 = p.doc(plan, "circular", kind="prospectus")
    p.doc(plan, "invoice image", who="supplier1", kind="invoice", asset=f"invoice:{loose}")
    p.ok("underwriter", "publish", plan=plan, item=item, summary="circular", documents=[d1])
    p.ok("exchange", "approve", plan=plan, approval_no="BFAE-7", opens=p.c.now, closes=p.c.now + DAY)
    p.ok("investor1", "subscribe", plan=plan, amount=1_000_000 * YUAN)
    p.ok("underwriter", "establish", plan=plan)
    p.ok("bank", "confirm_funding", plan=plan, bank_ref="F-1")
    p.ok("factor", "record_cash_flow", plan=plan, payer=o["core"], payee=o["supplier1"], amount=80_000 * YUAN,
         value_date=p.c.now, bank_ref="CF-1", asset=f"invoice:{loose}")
    p.ok("bank", "pay", plan=plan, kind="coupon", amount=12_345, bank_ref="CPN-1")
    answer = jsonable(p.q("penetrate", as_="investor1", plan=plan))
    return {"plan": plan, "answer": answer, "root": root, "kept": kept, "other": other, "loose": loose,
            "invoices": [inv_a, inv_b], "app_hash": p.c.app.app_hash, "hash": p.c.app.hash, "p": p}


def test_the_whole_tree_verifies_and_is_complete(tree):
    res = verify(tree["answer"], tree["app_hash"], tree["hash"])
    assert res.ok, res.problems
    t = res.tree
    assert [a["asset"] for a in t["assets"]] == [f"voucher:{tree['kept']}", f"voucher:{tree['other']}",
                                                 f"invoice:{tree['loose']}"]
    kept = t["assets"][0]
    assert kept["root"]["id"] == tree["root"] and [i["id"] for i in kept["invoices"]] == tree["invoices"]
    assert t["assets"][2]["invoice"]["id"] == tree["loose"]
    assert len(t["documents"]) == 2 and len(t["cash_flows"]) == 1 and len(t["payments"]) == 1
    # plan, docs list, 3 entries, 2 vouchers, 2 roots, 3 invoices (2 + 1), 1 loose invoice, 2 docs,
    # 1 cash flow, 3 disclosures (the initial and two periodic reports), 1 payment
    assert res.checked == 1 + 1 + 3 + 2 + 2 + 3 + 1 + 2 + 1 + 3 + 1


def _mutations(answer: dict):
    """(description, a changed copy) for each lie a node could tell."""
    def change(fn):
        a = copy.deepcopy(answer)
        fn(a)
        return a

    yield "a displayed amount", change(lambda a: a["assets"][0]["voucher"]["value"].update(amount=1))
    yield "a dropped cash flow", change(lambda a: a["cash_flows"].clear())
    yield "a dropped asset", change(lambda a: a["assets"].pop(1))
    yield "a dropped invoice", change(lambda a: a["assets"][0]["invoices"].pop())
    yield "a dropped document", change(lambda a: a["documents"].pop())
    yield "a swapped proof", change(lambda a: a["assets"][0]["voucher"].update(
        proof=a["assets"][1]["voucher"]["proof"]))
    yield "a forged proven value", change(lambda a: a["cash_flows"][0]["proof"].update(
        value=a["cash_flows"][0]["proof"]["value"][:-2] + "00"))
    yield "a broken sibling", change(lambda a: a["plan"]["proof"]["proof"]["siblings"].__setitem__(
        0, "00" * 32) if a["plan"]["proof"]["proof"]["siblings"] else a["plan"]["proof"].update(proof={}))
    yield "another plan id", change(lambda a: a.update(plan_id="P-0-0-0"))
    yield "garbage proof", change(lambda a: a["payments"][0].update(proof={"app_hash": "zz"}))


def test_every_lie_is_caught(tree):
    for what, lie in _mutations(tree["answer"]):
        res = verify(lie, tree["app_hash"], tree["hash"])
        assert not res.ok and res.problems, what


def test_another_app_hash_fails_everything(tree):
    res = verify(tree["answer"], b"\x00" * 32, tree["hash"])
    assert not res.ok and res.checked == 0


def test_only_parties_and_the_regulator_see_through_a_plan(tree):
    p = tree["p"]
    for who in ("regulator", "exchange", "underwriter", "factor", "bank", "supplier1", "investor1"):
        assert p.q("penetrate", as_=who, plan=tree["plan"], prove=False)["plan_id"] == tree["plan"]
    for who in ("investor2", "investor4", "supplier2", "core"):  # as if the plan did not exist
        with pytest.raises(NotFound):
            p.q("penetrate", as_=who, plan=tree["plan"])
