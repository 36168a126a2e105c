"""Issue 24: the plans' refusals name roles as words and state the read rule as it is."""

from __future__ import annotations

import pytest

from faechain.contracts.errors import NotFound
from tests.modules.plans.plan_support import YUAN


def test_who_may_sponsor_a_plan_reads_as_words(p):
    """It said "a INVESTOR cannot sponsor a plan"."""
    base = dict(name="plan", underwriter=p.o["underwriter"], servicer=p.o["factor"], settlement_bank=p.o["bank"],
                size=100_000 * YUAN, coupon_bps=400, term_days=180)
    assert p.rejected("investor1", "create", "unauthorized", **base).message == "an investor cannot sponsor a plan"
    assert p.rejected("regulator", "create", "unauthorized", **base).message == "the regulator cannot sponsor a plan"
    assert p.rejected("rating", "create", "unauthorized", **base).message == "a rating agency cannot sponsor a plan"


def test_the_read_refusal_states_who_may_read(p):
    """A reader outside the plan is answered as if it did not exist (docs/confidentiality.md: a refusal
    never reveals existence); its parties, its investors, the exchange and the regulator see through it."""
    plan, _ = p.outstanding()
    with pytest.raises(NotFound) as refused:
        p.q("penetrate", as_="investor3", plan=plan)  # a qualified investor that holds none of it
    assert refused.value.message == f"plan {plan!r} not found"
    for reader in ("investor1", "exchange", "regulator", "supplier1", "underwriter", "factor", "bank"):
        assert p.q("penetrate", as_=reader, plan=plan, prove=False)["plan_id"] == plan, reader
