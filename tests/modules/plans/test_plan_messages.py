"""Issue 24: the plans' refusals name roles as words and state the read rule as it is."""

from __future__ import annotations

import pytest

from faechain.contracts.errors import Unauthorized
from tests.modules.plans.plan_support import YUAN


def test_who_may_sponsor_a_plan_reads_as_words(p):
    """It said "a INVESTOR cannot sponsor a plan"."""
    base = dict(name="plan", underwriter=p.o["underwriter"], servicer=p.o["factor"], settlement_bank=p.o["bank"],
                size=100_000 * YUAN, coupon_bps=400, term_days=180)
    assert p.rejected("investor1", "create", "unauthorized", **base).message == "an investor cannot sponsor a plan"
    assert p.rejected("regulator", "create", "unauthorized", **base).message == "the regulator cannot sponsor a plan"
    assert p.rejected("rating", "create", "unauthorized", **base).message == "a rating agency cannot sponsor a plan"


def test_the_read_refusal_states_who_may_read(p):
    """It said "only the parties of plan … and the regulator see this", though its investors and
    the exchange may read it too (and do)."""
    plan, _ = p.outstanding()
    with pytest.raises(Unauthorized) as refused:
        p.q("penetrate", as_="investor3", plan=plan)  # a qualified investor that holds none of it
    assert refused.value.message == (
        f"only the parties of plan {plan!r} (its sponsor, underwriter, servicer and settlement bank), its investors, "
        "the exchange and the regulator see this")
    for reader in ("investor1", "exchange", "regulator", "supplier1", "underwriter", "factor", "bank"):
        assert p.q("penetrate", as_=reader, plan=plan, prove=False)["plan_id"] == plan, reader
