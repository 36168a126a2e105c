"""Property tests of the waterfall: every distribution sums to the amount distributed, priority
is respected, and nothing is created or lost.

1. The pure waterfall (`faechain.modules.products.waterfall`) over random owed amounts and
   holdings.
2. A stateful model on a real chain: random tranche sizes and holdings, underlying vouchers
   paid at random amounts and times (credited automatically), distributions of random
   amounts at random times; after every step the product's books balance to the fen.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from faechain.contracts.money import MAX_AMOUNT
from faechain.modules.products import waterfall
from tests.modules.products.product_support import DAY, Pr
from tests.modules.receivables.pay_support import confirm_all
from tests.modules.receivables.rcv_support import open_fast_chain

amounts = st.one_of(st.integers(0, 10**6), st.integers(0, 10**15))


@settings(max_examples=500)
@given(available=amounts, fees=amounts,
       tranches=st.lists(st.tuples(amounts, amounts), min_size=1, max_size=3),
       holdings=st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.integers(1, 10**12), min_size=1))
def test_the_waterfall_pays_in_order_and_exactly(available, fees, tranches, holdings):
    ts = [{"name": f"t{i}", "interest_owed": io, "outstanding": out} for i, (io, out) in enumerate(tranches)]
    steps = waterfall.run(available, fees, ts)
    assert sum(s.paid for s in steps) == available
    short = False
    for s in steps:
        assert 0 <= s.paid <= s.owed
        if short:
            assert s.paid == 0, "a later step was paid while an earlier one went short"
        short = short or s.paid < s.owed
    assert steps[-1].kind == "residual" and steps[-1].tranche == ts[-1]["name"]
    for s in steps:
        alloc = waterfall.allocate(s.paid, holdings)
        assert sum(x for _, x in alloc) == s.paid
        total = sum(holdings.values())
        for h, x in alloc:
            exact = s.paid * holdings[h] // total
            assert exact <= x <= exact + 1


def test_accrual_is_whole_fen_and_never_overflows():
    assert waterfall.accrued(1_000_000, 500, 365) == 50_000
    assert waterfall.accrued(999, 1, 1) == 0
    assert waterfall.accrued(MAX_AMOUNT, 10_000, 3 * 365) >= 0  # Python ints: no wraparound


INVESTORS = ("investor1", "investor2", "investor3")


class ProductBooks(RuleBasedStateMachine):
    template = ""

    @initialize(senior=st.integers(1_000, 10**9), sub=st.integers(1_000, 10**9),
                split=st.lists(st.integers(1, 100), min_size=3, max_size=3),
                extra=st.integers(0, 10**8))
    def build(self, senior, sub, split, extra):
        self.tmp = tempfile.mkdtemp(prefix="prod-prop-")
        self.c = open_fast_chain(self.template, os.path.join(self.tmp, "chain.db"))
        p = self.p = Pr(self.c)
        p.rcv.line(10**15)
        size = senior + sub
        tranches = [dict(name="senior", size=senior, coupon_bps=600, priority=1),
                    dict(name="sub", size=sub, coupon_bps=0, priority=2)]
        self.pid, self.vids = p.open_(tranches=tranches, underlying=size + extra, vouchers=4, days=30, min_ticket=1)
        # senior split among the three investors by `split`; investor3 takes the whole sub tranche
        w = sum(split)
        parts = [senior * x // w for x in split]
        parts[0] += senior - sum(parts)
        for who, amount in zip(INVESTORS, parts, strict=True):
            if amount:
                p.ok(who, "subscribe", product=self.pid, tranche="senior", amount=amount)
        p.ok("investor3", "subscribe", product=self.pid, tranche="sub", amount=sub)
        p.ok("registrar", "establish", product=self.pid)
        p.ok("bank", "confirm_funding", product=self.pid, bank_ref="F")
        self.c.advance(30 * DAY)  # the underlying vouchers mature: collections can come in from the start
        self.sizes = {"senior": senior, "sub": sub}
        self.paid = set()
        self.credited = 0
        self.distributed = 0
        self.n = 0

    def teardown(self):
        if hasattr(self, "c"):
            self.c.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    @rule(days=st.integers(1, 40))
    def time_passes(self, days):
        self.c.advance(days * DAY)

    @precondition(lambda self: len(self.paid) < 4)
    @rule(i=st.integers(0, 3), fraction=st.integers(1, 100))
    def voucher_paid(self, i, fraction):
        vid = self.vids[i]
        v = self.p.rcv.v(vid)
        if vid in self.paid or self.c.now < v["maturity"]:
            return
        amount = max(1, v["amount"] * fraction // 100)
        r = self.p.rcv.tx("bank", "confirm_payment", root=v["root"], amount=amount, bank_ref=f"PAY-{i}")
        assert r.ok, r
        self.c.block([])  # end_block instructs the piece: nothing is credited until the rail pays it
        assert self.p.product(self.pid)["collected"] == self.credited
        # (the rail also pays any distribution legs still pending: one instruction per payee)
        assert [x["amount"] for x in confirm_all(self.p.rcv) if x["ref"].startswith("voucher:")] == [amount]
        self.paid.add(vid)
        self.credited += amount

    @rule(fraction=st.integers(1, 100), everything=st.booleans())
    def distribute(self, fraction, everything):
        available = self.credited - self.distributed
        if available == 0:
            self.p.rejected("registrar", "distribute", "bad_request", product=self.pid)
            return
        amount = available if everything else max(1, available * fraction // 100)
        self.p.ok("registrar", "distribute", product=self.pid, amount=amount)
        self.distributed += amount
        self.n += 1
        d = self.p.get(f"distribution/{self.pid}/{self.n:04d}")
        assert sum(s["paid"] for s in d["steps"]) == amount
        short = False
        for s in d["steps"]:
            if short:
                assert s["paid"] == 0
            if s["step"] != "residual":
                short = short or s["paid"] < s["owed"]
            if "allocations" in s:
                assert sum(x for _, x in s["allocations"]) == s["paid"]

    @rule(extra=st.integers(1, 10**6))
    def beyond_collections(self, extra):
        self.p.rejected("registrar", "distribute", "limit_exceeded", product=self.pid,
                        amount=self.credited - self.distributed + extra)

    @invariant()
    def books_balance(self):
        if not hasattr(self, "pid"):
            return
        rec = self.p.product(self.pid)
        assert rec["collected"] == self.credited and rec["distributed"] == self.distributed
        assert rec["distributed"] <= rec["collected"]
        received = sum(h["received"] for h in self.p.scan(f"holding/{self.pid}/").values())
        assert received + rec["fees_paid"] == self.distributed  # nothing created or lost
        for t in rec["tranches"]:
            assert 0 <= t["outstanding"] and t["outstanding"] + t["principal_paid"] == self.sizes[t["name"]]
            assert t["interest_owed"] >= 0


def test_product_books_state_machine(demo_template):
    ProductBooks.template = demo_template
    run_state_machine_as_test(ProductBooks, settings=settings(
        max_examples=100, stateful_step_count=30, deadline=None,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        suppress_health_check=[HealthCheck.too_slow]))
