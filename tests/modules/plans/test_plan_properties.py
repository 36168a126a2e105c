"""Property test: a plan's payments, whatever their sequence, add up to the fen and conserve principal.

A stateful model (hypothesis) subscribes random investors for random amounts,
establishes the plan, then pays random coupons and principal instalments (some
refused for exceeding the outstanding principal) and records collections. After
every step:

- each payment's allocations sum exactly to its amount, and each holder's share is
  within one fen of its exact pro-rata share of the outstanding principal;
- the holders' outstanding principal sums to the plan's outstanding, and each
  holder's outstanding plus principal received is what it subscribed;
- the plan is REDEEMED exactly when the outstanding principal reaches zero;
- collections equal the sum of recorded cash flows.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.modules.plans.plan_support import Pl
from tests.modules.receivables.rcv_support import open_fast_chain

INVESTORS = ("investor1", "investor2", "investor3")


class PlanPayments(RuleBasedStateMachine):
    template = ""

    @initialize(subs=st.lists(st.integers(1, 10**9), min_size=1, max_size=3))
    def establish(self, subs):
        self.tmp = tempfile.mkdtemp(prefix="plan-prop-")
        self.c = open_fast_chain(self.template, os.path.join(self.tmp, "chain.db"))
        self.p = p = Pl(self.c)
        p.rcv.line(10**15)
        size = sum(subs)
        self.plan, _ = p.listed(size)
        self.subs = {}
        for who, amount in zip(INVESTORS, subs, strict=False):  # 1 to 3 subscribers: the first len(subs)
            p.ok(who, "subscribe", plan=self.plan, amount=amount)
            self.subs[p.o[who]] = amount
        p.ok("underwriter", "establish", plan=self.plan)
        p.ok("bank", "confirm_funding", plan=self.plan, bank_ref="FUND")
        self.refs = 0
        self.outstanding = size
        self.collected = 0
        self.payments = 0

    def teardown(self):
        if hasattr(self, "c"):
            self.c.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _ref(self) -> str:
        self.refs += 1
        return f"REF-{self.refs}"

    def _check_payment(self, kind: str, amount: int, weights: dict[str, int]) -> None:
        self.payments += 1
        rec = self.p.get(f"payment/{self.plan}/{self.payments:04d}")
        assert rec["kind"] == kind and rec["amount"] == amount
        alloc = dict(rec["allocations"])
        assert sum(alloc.values()) == amount
        total = sum(weights.values())
        for org, share in alloc.items():
            exact_floor = amount * weights[org] // total
            assert exact_floor <= share <= exact_floor + 1

    def _weights(self) -> dict[str, int]:
        return {org: self.p.get(f"holding/{self.plan}/{org}")["principal"] for org in self.subs}

    @precondition(lambda self: self.outstanding > 0)
    @rule(amount=st.integers(1, 10**8))
    def coupon(self, amount):
        weights = self._weights()
        self.p.ok("bank", "pay", plan=self.plan, kind="coupon", amount=amount, bank_ref=self._ref())
        self._check_payment("coupon", amount, weights)

    @precondition(lambda self: self.outstanding > 0)
    @rule(fraction=st.integers(1, 1000), whole=st.booleans())
    def principal(self, fraction, whole):
        amount = self.outstanding if whole else max(1, self.outstanding * fraction // 1000)
        weights = self._weights()
        self.p.ok("bank", "pay", plan=self.plan, kind="principal", amount=amount, bank_ref=self._ref())
        self.outstanding -= amount
        self._check_payment("principal", amount, weights)

    @precondition(lambda self: self.outstanding > 0)
    @rule(extra=st.integers(1, 10**6))
    def too_much_principal(self, extra):
        self.p.rejected("bank", "pay", "limit_exceeded", plan=self.plan, kind="principal",
                        amount=self.outstanding + extra, bank_ref=self._ref())

    @rule(amount=st.integers(1, 10**10))
    def collection(self, amount):
        o = self.p.o
        self.p.ok("factor", "record_cash_flow", plan=self.plan, payer=o["core"], payee=o["supplier1"],
                  amount=amount, value_date=self.c.now - 1, bank_ref=self._ref())
        self.collected += amount

    @invariant()
    def principal_is_conserved(self):
        if not hasattr(self, "plan"):
            return
        rec = self.p.plan(self.plan)
        assert rec["outstanding"] == self.outstanding
        holdings = {org: self.p.get(f"holding/{self.plan}/{org}") for org in self.subs}
        assert sum(h["principal"] for h in holdings.values()) == self.outstanding
        for org, h in holdings.items():
            assert h["principal"] >= 0
            assert h["principal"] + h["principal_received"] == self.subs[org]
        assert rec["status"] == ("REDEEMED" if self.outstanding == 0 else "OUTSTANDING")
        assert rec["collected"] == self.collected
        flows = self.p.scan(f"cashflow/{self.plan}/")
        assert sum(f["amount"] for f in flows.values()) == self.collected


def test_plan_payments_state_machine(demo_template):
    PlanPayments.template = demo_template
    run_state_machine_as_test(PlanPayments, settings=settings(
        max_examples=100, stateful_step_count=30, deadline=None,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        suppress_health_check=[HealthCheck.too_slow]))
