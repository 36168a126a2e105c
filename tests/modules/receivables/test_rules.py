"""The receivables rules as code (faechain/modules/receivables/rules.py): their defaults, genesis
overrides, governance's `set_rule` proposals, the limits they set, and a property: whatever is
drawn, no invoice is ever overdrawn, nor an unverified one beyond the cap.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faechain.contracts.errors import BadRequest
from faechain.devnet.demo import DEMO_CONTRACTS
from faechain.modules.receivables import rules
from tests.modules.governance.gov_support import Gov
from tests.modules.receivables.rcv_support import DAY, H, Rcv


def vote(r: Rcv, **params):
    """A `set_rule` proposal carried by two thirds of the consortium; the deciding vote's receipt."""
    g = Gov(r.c)
    pid = g.propose("set_rule", **params)
    rec, _ = g.pass_(pid)
    assert g.proposal(pid)["status"] == "EXECUTED", g.proposal(pid)
    return rec


def test_the_defaults_and_the_demo_setting():
    assert {k: v for k, (v, _) in rules.DEFAULTS.items()} == {
        "max_tenor_days": 365, "default_tenor_days": 183, "unverified_invoice_cap": 0,
        "registration_before_funding": 1, "max_rate_bps": 2_400, "max_fee_bps": 100}
    assert DEMO_CONTRACTS["receivables"]["rules"] == {"unverified_invoice_cap": 100_000_000_00}
    with pytest.raises(BadRequest):
        rules.check_genesis_rules({"no_such_rule": 1})
    with pytest.raises(BadRequest):
        rules.check_genesis_rules({"max_tenor_days": -1})
    rules.check_genesis_rules({"max_tenor_days": 180})


def test_the_rules_query_shows_genesis_overrides(r):
    shown = r.q("rules", as_="supplier2")
    assert shown["unverified_invoice_cap"]["value"] == 100_000_000_00  # the demo's genesis
    assert shown["unverified_invoice_cap"]["default"] == 0
    assert shown["max_rate_bps"] == {"value": 2_400, "default": 2_400, "meaning": rules.DEFAULTS["max_rate_bps"][1]}


def test_governance_sets_a_receivables_rule(r):
    o = r.o
    vid = r.issue(1_000_00, days=30)
    r.rejected("supplier1", "request_financing", "limit_exceeded", id=vid, funder=o["factor"], amount=1,
               rate_bps=2_401)
    rec = vote(r, contract="receivables", rule="max_rate_bps", value=3_000)
    changed = [e["attrs"] for e in rec.events if e["type"] == "RuleChanged" and e["contract"] == "receivables"]
    assert changed == [dict(rule="max_rate_bps", old=2_400, new=3_000)]
    assert r.get("rules")["max_rate_bps"] == 3_000
    r.ok("supplier1", "request_financing", id=vid, funder=o["factor"], amount=1, rate_bps=2_401)


def test_the_rate_ceiling_refusal_reads_in_percent(r):
    vid = r.issue(1_000_00, days=30)
    rec = r.rejected("supplier1", "request_financing", "limit_exceeded", id=vid, funder=r.o["factor"], amount=1,
                     rate_bps=2_500)
    assert rec.message == "a rate of 2500 bps a year exceeds the ceiling of 2400 bps (rule max_rate_bps)"
    from faechain.core.refusals import localise

    assert localise(rec.code, rec.message, "zh") == "年化贴现率 25% 超过规则允许的上限 24%（规则 max_rate_bps）"


def test_tenor_rules(r):
    inv = r.invoice(3_000_00)
    args = dict(to=r.o["supplier1"], amount=1_000_00, contract_hash=H)
    rec = r.rejected("core", "issue", "limit_exceeded", maturity=r.c.now + 366 * DAY, invoices=[[inv, 1_000_00]],
                     **args)
    assert rec.message == "tenor exceeds 365 days (rule max_tenor_days)"
    rec = r.tx("core", "issue", maturity=r.c.now + 200 * DAY, invoices=[[inv, 1_000_00]], **args)
    assert [e["attrs"]["tenor_days"] for e in rec.events if e["type"] == "TenorWarning"] == [200]
    vote(r, contract="receivables", rule="max_tenor_days", value=180)
    vote(r, contract="receivables", rule="default_tenor_days", value=90)
    rec = r.rejected("core", "issue", "limit_exceeded", maturity=r.c.now + 181 * DAY, invoices=[[inv, 1_000_00]],
                     **args)
    assert rec.message == "tenor exceeds 180 days (rule max_tenor_days)"
    rec = r.tx("core", "issue", maturity=r.c.now + 100 * DAY, invoices=[[inv, 1_000_00]], **args)
    assert rec.ok and [e for e in rec.events if e["type"] == "TenorWarning"]


def test_funding_without_the_registry_when_the_rule_is_off(r):
    o = r.o
    vid = r.issue(1_000_00, days=30)
    fid = r.ok("supplier1", "request_financing", id=vid, funder=o["factor"], amount=500_00, rate_bps=500)["financing"]
    r.ok("factor", "record_registration", financing=fid, reg_no="ZDW-77")
    r.rejected("factor", "fund", "invalid_state", financing=fid)
    vote(r, contract="receivables", rule="registration_before_funding", value=0)
    r.ok("factor", "fund", financing=fid)


def test_set_rule_refuses_unknown_rules_and_contracts(r):
    g = Gov(r.c)
    for params, code, message in [
        (dict(contract="receivables", rule="no_such_rule", value=1), "bad_request",
         "unknown receivables rule 'no_such_rule'; one of max_tenor_days, default_tenor_days, unverified_invoice_cap, "
         "registration_before_funding, max_rate_bps, max_fee_bps"),
        (dict(contract="plans", rule="max_tenor_days", value=1), "bad_request",
         "contract 'plans' has no rules a vote sets; one of receivables, supervision"),
        (dict(contract="receivables", rule="max_tenor_days", value=-1), "bad_request", "a rule's value is 0 .. 2^63-1"),
        (dict(contract="supervision", rule="max_tenor_days", value=1), "bad_request",
         "unknown risk rule 'max_tenor_days'"),
        (dict(rule="max_tenor_days", value=1), "bad_request", "a proposal of kind set_rule needs 'contract'"),
    ]:
        rec = g.rejected("exchange", "propose", code, kind="set_rule", params=params)
        assert rec.message == message, rec.message
    # only governance calls set_rule: a member's transaction cannot reach an @internal method
    rec = r.tx("exchange", "set_rule", rule="max_tenor_days", value=1)
    assert not rec.ok and rec.code in ("unknown_method", "unauthorized")
    # a supervision threshold through the same kind of proposal, and set_threshold as before
    vote(r, contract="supervision", rule="large_transfer", value=5_00)
    assert r.c.q("rules", as_="supplier1", contract="supervision")["large_transfer"]["value"] == 5_00
    pid = g.propose("set_threshold", rule="large_transfer", value=7_00)
    g.pass_(pid)
    assert r.c.q("rules", as_="supplier1", contract="supervision")["large_transfer"]["value"] == 7_00


# -- the property: invoices are never overdrawn ---------------------------------------------------
CAP = 5_000

draw_plans = st.lists(st.tuples(st.integers(0, 2), st.integers(1, 4_000)), min_size=1, max_size=6)


@pytest.fixture
def capped(demo_chain) -> Rcv:
    r = Rcv(demo_chain)
    r.line(100_000_000_00)
    vote(r, contract="receivables", rule="unverified_invoice_cap", value=CAP)
    return r


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.integers(1, 9_000), min_size=3, max_size=3), verified=st.lists(st.booleans(), min_size=3,
       max_size=3), plans=st.lists(draw_plans, min_size=1, max_size=4))
def test_no_invoice_is_overdrawn_nor_an_unverified_one_beyond_the_cap(capped, amounts, verified, plans):
    r = capped
    invoices = []
    for amount, ok in zip(amounts, verified, strict=True):
        inv = r.invoice(amount)
        if ok:
            rec = r.get(f"invoice/{inv}")
            r.ok("taxservice", "verify_invoice", invoice=inv, seller=rec["seller"], buyer=rec["buyer"],
                 amount=amount, status="NORMAL", reference="SW-1")
        invoices.append(inv)
    model = {inv: 0 for inv in invoices}
    for plan in plans:
        draws: dict[str, int] = {}
        for which, fen in plan:
            draws[invoices[which]] = draws.get(invoices[which], 0) + fen
        fits = all(model[inv] + fen <= min(amount, amount if ok else CAP)
                   for inv, fen in draws.items()
                   for amount, ok in [(amounts[invoices.index(inv)], verified[invoices.index(inv)])])
        total = sum(draws.values())
        rec = r.tx("core", "issue", to=r.o["supplier1"], amount=total, maturity=r.c.now + 30 * DAY,
                   invoices=[[inv, fen] for inv, fen in draws.items()], contract_hash=H)
        assert rec.ok == fits, (draws, model, rec.code, rec.message)
        if rec.ok:
            for inv, fen in draws.items():
                model[inv] += fen
        for inv, amount, ok in zip(invoices, amounts, verified, strict=True):
            stored = r.get(f"invoice/{inv}")
            assert stored["drawn"] == model[inv] <= amount
            assert ok or stored["drawn"] <= CAP
