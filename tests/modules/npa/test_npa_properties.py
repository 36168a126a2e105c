"""Property test: whatever the sequence of packaging steps, a loan sits in at most one active package.

A stateful model (hypothesis) has two sellers create packages from random subsets of
their loans, add and remove loans, send drafts to due diligence and withdraw packages.
The model predicts each outcome (accepted, or rejected with which code) and the chain
must agree; after every step:

- each loan's `package` is the one active package that lists it, or None;
- each package lists exactly the model's loans and its principal and interest are their sums;
- no loan is listed by two active packages.
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

from tests.modules.npa.npa_support import DAY, PRICES, Np, person
from tests.modules.receivables.rcv_support import open_fast_chain

SELLERS = ("bank2", "amc")
ACTIVE = ("DRAFT", "DUE_DILIGENCE")  # the states this model reaches, besides WITHDRAWN


class Packaging(RuleBasedStateMachine):
    template = ""

    @initialize()
    def loans(self):
        self.tmp = tempfile.mkdtemp(prefix="npa-prop-")
        self.c = open_fast_chain(self.template, os.path.join(self.tmp, "chain.db"))
        self.n = n = Np(self.c)
        self.loans = {}  # ref -> (principal, interest)
        self.mine = {}  # seller -> [loan numbers]
        for seller in SELLERS:
            self.mine[seller] = []
            for k in range(4):
                no = f"L{k}"
                principal, interest = 1_000_000 + 17 * k + len(seller), 5_000 * k
                n.ok(seller, "register_loan", loan_no=no, borrower=person(seller), principal=principal,
                     interest=interest, classification="loss", days_past_due=100)
                self.loans[n.ref(no, seller)] = (principal, interest)
                self.mine[seller].append(no)
        self.in_package = {ref: None for ref in self.loans}
        self.packages = {}  # id -> {"seller", "status", "loans": [refs]}

    def teardown(self):
        if hasattr(self, "c"):
            self.c.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _pick(self, seller: str, mask: int) -> list[str]:
        return [no for i, no in enumerate(self.mine[seller]) if mask >> i & 1]

    def _package(self, index: int) -> str:
        ids = sorted(self.packages)
        return ids[index % len(ids)]

    @rule(seller=st.sampled_from(SELLERS), mask=st.integers(1, 15))
    def create(self, seller, mask):
        nos = self._pick(seller, mask)
        refs = [self.n.ref(no, seller) for no in nos]
        args = dict(name="p", loans=nos, base_date=self.c.now - DAY, **PRICES)
        if any(self.in_package[r] for r in refs):
            self.n.rejected(seller, "create_package", "duplicate", **args)
            return
        package = self.n.ok(seller, "create_package", **args)["package"]
        self.packages[package] = {"seller": seller, "status": "DRAFT", "loans": refs}
        for r in refs:
            self.in_package[r] = package

    @precondition(lambda self: self.packages)
    @rule(index=st.integers(0, 100), mask=st.integers(1, 15))
    def add(self, index, mask):
        package = self._package(index)
        m = self.packages[package]
        nos = self._pick(m["seller"], mask)
        refs = [self.n.ref(no, m["seller"]) for no in nos]
        if m["status"] != "DRAFT":
            self.n.rejected(m["seller"], "add_loans", "invalid_state", package=package, loans=nos)
        elif any(self.in_package[r] for r in refs):
            self.n.rejected(m["seller"], "add_loans", "duplicate", package=package, loans=nos)
        else:
            self.n.ok(m["seller"], "add_loans", package=package, loans=nos)
            m["loans"] += refs
            for r in refs:
                self.in_package[r] = package

    @precondition(lambda self: self.packages)
    @rule(index=st.integers(0, 100), mask=st.integers(1, 15))
    def remove(self, index, mask):
        package = self._package(index)
        m = self.packages[package]
        refs = [r for i, r in enumerate(m["loans"]) if mask >> i & 1]
        if not refs:
            return
        if m["status"] != "DRAFT":
            self.n.rejected(m["seller"], "remove_loans", "invalid_state", package=package, loans=refs)
            return
        self.n.ok(m["seller"], "remove_loans", package=package, loans=refs)
        m["loans"] = [r for r in m["loans"] if r not in refs]
        for r in refs:
            self.in_package[r] = None

    @precondition(lambda self: self.packages)
    @rule(index=st.integers(0, 100))
    def due_diligence(self, index):
        package = self._package(index)
        m = self.packages[package]
        args = dict(package=package, intermediary=self.n.o["lawfirm"])
        if m["status"] != "DRAFT" or not m["loans"]:
            self.n.rejected(m["seller"], "submit_for_due_diligence", "invalid_state", **args)
            return
        self.n.ok(m["seller"], "submit_for_due_diligence", **args)
        m["status"] = "DUE_DILIGENCE"

    @precondition(lambda self: self.packages)
    @rule(index=st.integers(0, 100), by_exchange=st.booleans())
    def withdraw(self, index, by_exchange):
        package = self._package(index)
        m = self.packages[package]
        who = "exchange" if by_exchange else m["seller"]
        if m["status"] not in ACTIVE:
            self.n.rejected(who, "withdraw", "invalid_state", package=package, reason="r")
            return
        self.n.ok(who, "withdraw", package=package, reason="r")
        m["status"] = "WITHDRAWN"
        for r in m["loans"]:
            self.in_package[r] = None

    @invariant()
    def a_loan_sits_in_one_active_package(self):
        if not hasattr(self, "packages"):
            return
        holders: dict[str, list[str]] = {}
        for package, m in self.packages.items():
            rec = self.n.pkg(package)
            assert rec["status"] == m["status"] and rec["loans"] == m["loans"]
            assert rec["principal"] == sum(self.loans[r][0] for r in m["loans"])
            assert rec["interest"] == sum(self.loans[r][1] for r in m["loans"])
            if rec["status"] in ACTIVE:
                for r in rec["loans"]:
                    holders.setdefault(r, []).append(package)
        for ref in self.loans:
            assert len(holders.get(ref, [])) <= 1
            assert self.n.loan(ref)["package"] == self.in_package[ref] == (holders.get(ref) or [None])[0]


def test_packaging_state_machine(demo_template):
    Packaging.template = demo_template
    run_state_machine_as_test(Packaging, settings=settings(
        max_examples=60, stateful_step_count=25, deadline=None,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        suppress_health_check=[HealthCheck.too_slow]))
