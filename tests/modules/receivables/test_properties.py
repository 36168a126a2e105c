"""Property tests of the receivables contract and of the money arithmetic it pays with.

`ReceivablesMachine` (hypothesis stateful testing) drives the demo chain through random
sequences of every step (issue, accept, reject, transfer with random amounts and
recipients, request/cancel financing, registration, funding, freeze/unfreeze, time
advances, full and partial payment) with random signers, one transaction per block. A
simple model runs alongside: it predicts each outcome (success, or the set of codes
the violated rules allow) and the state, and after every block the invariants of
domain.md section 1 are checked on the committed state:

* every root's pieces awaiting payment (the pools `live/<root>/`, `rest/<root>/` and the voucher
  records with a live status) sum to the root amount less what the rail confirmed paid, to the fen;
* an invoice's drawn amount never exceeds it and equals the draws of its uncancelled roots;
* a core's open total never exceeds its lines and equals its unpaid, uncancelled roots;
* only the holder moves a piece; nothing moves while frozen, after maturity or once paid;
* a payment round instructs at most CLEAR_BATCH pieces a block (set to 2 here, so that it
  spans blocks); the rail's confirmations add up to the amount paid, each within one fen of
  the exact pro-rata share of what was owed; a short payment leaves the remainders owed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

import faechain.modules.receivables.end_block as end_block
from faechain.contracts.money import MAX_AMOUNT, ProRata, largest_remainder
from tests.modules.driver import only_an_alert_was_written
from tests.modules.receivables.pay_support import confirm_all
from tests.modules.receivables.rcv_support import DAY, LIVE, H, Rcv, cst_day, open_fast_chain

# -- money ------------------------------------------------------------------------------------------


def reference_allocation(total: int, weights: list[int], keys: list[str]) -> list[int]:
    """Largest remainder written out plainly: floors, then one fen each to the largest
    remainders, ties to the smaller key."""
    s = sum(weights)
    if s == 0:
        return [0] * len(weights)
    floors = [total * w // s for w in weights]
    rems = [total * w % s for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-rems[i], keys[i]))
    out = list(floors)
    for i in order[: total - sum(floors)]:
        out[i] += 1
    return out


allocations = st.integers(1, 40).flatmap(lambda n: st.tuples(
    st.one_of(st.integers(0, 10**6), st.integers(0, MAX_AMOUNT)),
    st.lists(st.one_of(st.integers(0, 1000), st.integers(1, MAX_AMOUNT)), min_size=n, max_size=n),
    st.lists(st.text("abcV-0123456789", min_size=1, max_size=8), min_size=n, max_size=n, unique=True),
)).filter(lambda a: sum(a[1]) > 0)


@settings(max_examples=300)
@given(allocations)
def test_largest_remainder_sums_exactly_and_each_share_is_within_a_fen(a):
    total, weights, keys = a
    shares = largest_remainder(total, weights, keys)
    assert sum(shares) == total
    s = sum(weights)
    for share, w in zip(shares, weights, strict=True):
        exact = Fraction(total * w, s)
        assert exact - 1 < share < exact + 1
        assert share in (total * w // s, total * w // s + 1)
        if w == 0:
            assert share == 0


@settings(max_examples=300)
@given(allocations, st.randoms(use_true_random=False))
def test_pro_rata_share_piecewise_equals_the_full_allocation(a, rnd):
    total, weights, keys = a
    full = largest_remainder(total, weights, keys)
    plan = ProRata.from_map(ProRata.plan(total, weights, keys).to_map())  # as stored in state and read back
    order = list(range(len(weights)))
    rnd.shuffle(order)  # pieces are paid in any order, over several blocks
    piecewise = {i: plan.share(weights[i], keys[i]) for i in order}
    assert [piecewise[i] for i in range(len(weights))] == full
    # and the allocation does not depend on the order the pieces are listed in
    perm = list(range(len(weights)))
    rnd.shuffle(perm)
    again = largest_remainder(total, [weights[i] for i in perm], [keys[i] for i in perm])
    assert {keys[i]: s for i, s in zip(perm, again, strict=True)} == dict(zip(keys, full, strict=True))


@settings(max_examples=300)
@given(allocations)
def test_largest_remainder_matches_the_reference_with_ties_broken_by_key(a):
    total, weights, keys = a
    assert largest_remainder(total, weights, keys) == reference_allocation(total, weights, keys)


@given(st.integers(1, 30), st.integers(0, 100), st.randoms(use_true_random=False))
def test_ties_go_to_the_smaller_key(n, extra, rnd):
    """n equal weights: the fen left over go to the smallest keys, wherever they are listed."""
    keys = [f"V-{i:03d}" for i in range(n)]
    rnd.shuffle(keys)
    total = n * 7 + extra % n
    shares = dict(zip(keys, largest_remainder(total, [5] * n, keys), strict=True))
    winners = sorted(keys)[: extra % n]
    assert all(shares[k] == 8 if k in winners else shares[k] == 7 for k in keys)


def test_money_edge_cases():
    assert largest_remainder(1, [1, 1, 1], ["b", "a", "c"]) == [0, 1, 0]
    assert largest_remainder(2, [1, 1, 1], ["b", "a", "c"]) == [1, 1, 0]
    assert largest_remainder(0, [3, 4], ["a", "b"]) == [0, 0]
    assert largest_remainder(0, [0, 0], ["a", "b"]) == [0, 0]
    assert largest_remainder(MAX_AMOUNT, [MAX_AMOUNT, 1], ["a", "b"]) == [MAX_AMOUNT - 1, 1]
    with pytest.raises(ValueError):
        largest_remainder(1, [0, 0], ["a", "b"])
    with pytest.raises(ValueError):
        largest_remainder(-1, [1], ["a"])
    with pytest.raises(ValueError):
        largest_remainder(1, [1, -1, 1], ["a", "b", "c"])


# -- the stateful model ----------------------------------------------------------------------------

MEMBERS = ("exchange", "regulator", "core", "core2", "supplier1", "supplier2", "supplier3", "factor", "bank",
           "bank2", "amc", "investor1")
SUPPLIERS = ("supplier1", "supplier2", "supplier3")
HOLDERS = ("supplier1", "supplier2", "supplier3", "factor", "bank", "bank2", "core2", "amc")
NOBODY = "91110000NOSUCHORGX"
TYPES = {"exchange": "EXCHANGE", "regulator": "REGULATOR", "core": "CORE_ENTERPRISE", "core2": "CORE_ENTERPRISE",
         "supplier1": "SUPPLIER", "supplier2": "SUPPLIER", "supplier3": "SUPPLIER", "factor": "FACTOR",
         "bank": "BANK", "bank2": "BANK", "amc": "AMC", "investor1": "INVESTOR"}
LINES = {"core": ("bank", 6_000), "core2": ("bank2", 4_000)}
INVOICE_AMOUNT = 3_000
BATCH = 2  # CLEAR_BATCH during these tests: clearing spans blocks
MOVABLE = ("ACTIVE", "FINANCED")


class ReceivablesMachine(RuleBasedStateMachine):
    template: str = ""

    def __init__(self):
        super().__init__()
        self.tmp = tempfile.mkdtemp(prefix="rcv-prop-")
        self.c = open_fast_chain(self.template, os.path.join(self.tmp, "chain.db"))
        self.r = Rcv(self.c)
        self.r.warm()
        self.o = self.r.o
        self.name_of = {v: k for k, v in self.o.items()}
        # model
        self.pieces: dict[str, dict] = {}
        self.roots: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.fin: dict[str, dict] = {}
        self.open = {"core": 0, "core2": 0}
        self.clearing: list[str] = []
        for core, (bank, amount) in LINES.items():
            self.r.ok(bank, "grant_credit", core=self.o[core], amount=amount, expires=self.c.now + 1000 * DAY)
        for seller in SUPPLIERS:
            for buyer in LINES:
                self.invoices[self.r.invoice(INVOICE_AMOUNT, seller=seller, buyer=buyer)] = dict(
                    seller=seller, buyer=buyer, amount=INVOICE_AMOUNT, drawn=0)
        # two accepted roots to start from, so that every run has pieces to move
        for core, to, amount, days in (("core", "supplier1", 1_000, 10), ("core2", "supplier2", 777, 20)):
            vid = self.do_issue(core, core, to, amount, self.c.now + days * DAY)
            self.do_accept(to, vid)

    def teardown(self):
        self.c.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- driving ----------------------------------------------------------------------------------
    def send(self, who: str, method: str, expect: set[str], **args):
        """One tx in its own block. `expect` empty: it must succeed; otherwise it must fail with
        one of those codes and leave the state as an empty block would."""
        now = self.c.now
        raw = self.c.sign(who, "receivables", method, args)
        unchanged = self.c.empty_block_app_hash()
        res = self.c.block([raw])
        rec = res.receipts[0]
        if expect:
            assert rec.code in expect, (who, method, args, rec.code, rec.message, expect)
            assert res.app_hash == unchanged or only_an_alert_was_written(self.c, res, rec), \
                (method, "a rejected transaction changed the state")
        else:
            assert rec.ok, (who, method, args, rec.code, rec.message)
        self.after_block(res, now)
        return rec if rec.ok else None

    def after_block(self, res, t: int) -> None:
        """Model the end of a block: a payment round instructs at most BATCH pieces in all, then OVERDUE."""
        instructed = [e["attrs"] for e in res.end_events if e["type"] == "ClearingInstructed"]
        assert len(instructed) <= BATCH
        for rid in [e["attrs"]["root"] for e in res.end_events if e["type"] == "RoundInstructed"]:
            self.clearing.remove(rid)
        day = cst_day(t)
        overdue, lapsed = [], []
        # each ended day is examined once, in the first block after it (as the contract does)
        examined = getattr(self, "examined_day", None)
        if examined is None:
            examined = day - 1
        for rid, root in self.roots.items():
            if cst_day(root["maturity"]) >= day:
                continue
            if root["status"] == "ACTIVE":
                root["status"] = "OVERDUE"
                overdue.append(rid)
            elif (root["status"] == "ISSUED" and not self.pieces[rid]["frozen"]
                  and cst_day(root["maturity"]) > examined):
                # never accepted: lapses like a rejection (invoices and credit released)
                self.pieces[rid]["status"] = root["status"] = "CANCELLED"
                for inv, draw in root["refs"]:
                    self.invoices[inv]["drawn"] -= draw
                self.open[root["payer"]] -= root["amount"]
                lapsed.append(rid)
        assert sorted(e["attrs"]["root"] for e in res.end_events if e["type"] == "VoucherOverdue") == sorted(overdue)
        assert sorted(e["attrs"]["root"] for e in res.end_events if e["type"] == "VoucherLapsed") == sorted(lapsed)
        self.examined_day = max(examined, day - 1)
        assert not [e for e in res.end_events if e["type"] == "EndBlockFailed"]

    def pick_piece(self, data, live_bias: bool = True) -> str | None:
        if not self.pieces:
            return None
        live = sorted(pid for pid, p in self.pieces.items() if p["status"] in MOVABLE)
        if live_bias and live and data.draw(st.integers(0, 9)) < 8:
            return data.draw(st.sampled_from(live))
        return data.draw(st.sampled_from(sorted(self.pieces)))

    def signer(self, data, rightful: str) -> str:
        return self.often(data, st.just(rightful), st.sampled_from(MEMBERS), "signer")

    def mint(self, parent: dict, pid: str, holder: str, amount: int, tier: int, status: str, **extra) -> None:
        self.pieces[pid] = dict(root=parent["root"], holder=holder, amount=amount, tier=tier, status=status,
                                frozen=False, financing=None, funder=None, **extra)

    # -- rules --------------------------------------------------------------------------------------
    def often(self, data, common, rare, label: str):
        """A draw from `common` eight times in ten, else from `rare` (edge cases)."""
        return data.draw(common if data.draw(st.integers(0, 9), label=f"{label}?") < 8 else rare, label=label)

    @precondition(lambda self: sum(r["status"] in ("ISSUED", "ACTIVE") for r in self.roots.values()) < 4)
    @rule(data=st.data())
    def issue(self, data):
        core = data.draw(st.sampled_from(("core", "core2")), label="core")
        who = self.signer(data, core)
        to = data.draw(st.sampled_from(SUPPLIERS), label="to")
        amount = self.often(data, st.integers(1, 2_500), st.sampled_from((0, -1, 5_000, MAX_AMOUNT)), "amount")
        days = self.often(data, st.integers(2, 40), st.sampled_from((0, 1, 365, 366)), "days")
        t = self.c.now
        self.do_issue(who, core, to, amount, t + days * DAY if days else t)

    def do_issue(self, who: str, core: str, to: str, amount: int, maturity: int) -> str | None:
        inv = next(i for i, v in self.invoices.items() if v["seller"] == to and v["buyer"] == core)
        t = self.c.now
        expect = set()
        if TYPES[who] != "CORE_ENTERPRISE":
            expect.add("unauthorized")
        if amount <= 0:
            expect.add("bad_request")
        if maturity <= t:
            expect.add("bad_request")
        if maturity - t > 365 * DAY:
            expect.add("limit_exceeded")
        if who != core and TYPES[who] == "CORE_ENTERPRISE":
            expect.add("bad_request")  # the invoice is owed by the other core
        if who == core:
            invoice = self.invoices[inv]
            if amount > 0 and invoice["drawn"] + amount > invoice["amount"]:
                expect.add("limit_exceeded")
            if amount > 0 and self.open[core] + amount > LINES[core][1]:
                expect.add("limit_exceeded")
        rec = self.send(who, "issue", expect, to=self.o[to], amount=amount, maturity=maturity,
                        invoices=[[inv, amount]], contract_hash=H)
        if rec is None:
            return None
        vid = rec.result["voucher"]
        self.roots[vid] = dict(payer=core, amount=amount, status="ISSUED", maturity=maturity, frozen=False,
                               refs=[(inv, amount)], payment=None)
        self.pieces[vid] = dict(root=vid, holder=self.o[to], amount=amount, tier=1, status="ISSUED", frozen=False,
                                financing=None, funder=None)
        self.invoices[inv]["drawn"] += amount
        self.open[core] += amount
        return vid

    def _issued(self, data) -> str | None:
        issued = sorted(pid for pid, p in self.pieces.items() if p["status"] == "ISSUED")
        if issued and data.draw(st.integers(0, 9)) < 8:
            return data.draw(st.sampled_from(issued))
        return self.pick_piece(data)

    @precondition(lambda self: any(p["status"] == "ISSUED" for p in self.pieces.values()))
    @rule(data=st.data())
    def accept(self, data):
        pid = self._issued(data)
        if pid is None:
            return
        self.do_accept(self.signer(data, self.name_of[self.pieces[pid]["holder"]]), pid)

    def do_accept(self, who: str, pid: str) -> None:
        p = self.pieces[pid]
        root = self.roots[p["root"]]
        expect = set()
        if self.o[who] != p["holder"]:
            expect.add("unauthorized")
        if p["status"] != "ISSUED":
            expect.add("invalid_state")
        if p["frozen"]:
            expect.add("frozen")
        if self.c.now >= root["maturity"]:
            expect.add("expired")  # a matured voucher can only be rejected
        if self.send(who, "accept", expect, id=pid):
            p["status"] = "ACTIVE"
            root["status"] = "ACTIVE"

    @precondition(lambda self: any(p["status"] == "ISSUED" for p in self.pieces.values()))
    @rule(data=st.data())
    def reject(self, data):
        pid = self._issued(data)
        if pid is None:
            return
        p = self.pieces[pid]
        who = self.signer(data, self.name_of[p["holder"]])
        expect = set()
        if self.o[who] != p["holder"]:
            expect.add("unauthorized")
        if p["status"] != "ISSUED":
            expect.add("invalid_state")
        if p["frozen"]:
            expect.add("frozen")  # a frozen voucher cannot be cancelled either
        if self.send(who, "reject", expect, id=pid, reason="not ours"):
            root = self.roots[pid]
            p["status"] = root["status"] = "CANCELLED"
            for inv, draw in root["refs"]:
                self.invoices[inv]["drawn"] -= draw
            self.open[root["payer"]] -= root["amount"]

    def _move_checks(self, who: str, p: dict) -> set[str]:
        """The checks of every step that moves a piece (contract `_movable`)."""
        expect = set()
        if self.o[who] != p["holder"]:
            expect.add("unauthorized")
        if p["frozen"] or self.roots[p["root"]]["frozen"]:
            expect.add("frozen")
        if p["status"] not in MOVABLE:
            expect.add("invalid_state")
        if self.c.now >= self.roots[p["root"]]["maturity"]:
            expect.add("expired")
        return expect

    @precondition(lambda self: any(p["status"] in MOVABLE for p in self.pieces.values()))
    @rule(data=st.data())
    def transfer(self, data):
        pid = self.pick_piece(data)
        if pid is None:
            return
        p = self.pieces[pid]
        who = self.signer(data, self.name_of[p["holder"]])
        to = self.often(data, st.sampled_from(HOLDERS), st.sampled_from(("regulator", "exchange", None)), "to")
        to_id = NOBODY if to is None else self.o[to]
        amount = self.often(data, st.integers(1, max(1, p["amount"])),
                            st.sampled_from((p["amount"], p["amount"] + 1, 0, -5)), "amount")
        expect = self._move_checks(who, p)
        if amount <= 0:
            expect.add("bad_request")
        if to_id == p["holder"] or to in ("regulator", "exchange") or to == self.roots[p["root"]]["payer"]:
            expect.add("bad_request")  # ... or to the payer: that would be repayment
        if to is None:
            expect.add("not_found")
        if amount > p["amount"]:
            expect.add("limit_exceeded")
        rec = self.send(who, "transfer", expect, id=pid, to=to_id, amount=amount)
        if rec is None:
            return
        # only the holder moved it
        [ev] = [e["attrs"] for e in rec.events if e["type"] == "VoucherTransferred"]
        assert ev["sender"] == p["holder"] == self.o[who] and ev["to"] == to_id and ev["amount"] == amount
        moved, rest = rec.result["voucher"], rec.result["remainder"]
        self.mint(p, moved, to_id, amount, p["tier"] + 1, "ACTIVE")
        if amount < p["amount"]:
            assert rest is not None
            self.mint(p, rest, p["holder"], p["amount"] - amount, p["tier"], p["status"])
            if p["status"] == "FINANCED":
                self.pieces[rest].update(financing=p["financing"], funder=p["funder"])
        else:
            assert rest is None
        p["status"] = "SPLIT" if rest else "TRANSFERRED"

    @precondition(lambda self: any(p["status"] in MOVABLE for p in self.pieces.values()))
    @rule(data=st.data())
    def request_financing(self, data):
        pid = self.pick_piece(data)
        if pid is None:
            return
        p = self.pieces[pid]
        who = self.signer(data, self.name_of[p["holder"]])
        funder = data.draw(st.sampled_from(("factor", "bank", "bank2", "supplier2")), label="funder")
        amount = self.often(data, st.integers(1, max(1, p["amount"])), st.sampled_from((p["amount"] + 1, 0)),
                            "amount")
        rate = self.often(data, st.integers(0, 2_000), st.just(10_001), "rate_bps")
        expect = self._move_checks(who, p)
        if p["status"] == "FINANCING" and self.o[who] == p["holder"]:
            expect.add("duplicate")
        if p["status"] != "ACTIVE":
            expect.add("invalid_state")
        if amount <= 0 or rate > 10_000:
            expect.add("bad_request")
        if amount > p["amount"]:
            expect.add("limit_exceeded")
        if TYPES[funder] not in ("FACTOR", "BANK") or self.o[funder] == p["holder"]:
            expect.add("bad_request")
        rec = self.send(who, "request_financing", expect, id=pid, funder=self.o[funder], amount=amount,
                        rate_bps=rate)
        if rec is None:
            return
        fid = rec.result["financing"]
        self.fin[fid] = dict(voucher=pid, holder=p["holder"], funder=self.o[funder], amount=amount, rate=rate,
                             status="REQUESTED")
        p["status"] = "FINANCING"
        p["financing"] = fid

    def _pick_financing(self, data, *statuses: str) -> str | None:
        """A financing, mostly one in `statuses` (the ones the step can act on)."""
        if not self.fin:
            return None
        apt = sorted(fid for fid, f in self.fin.items() if f["status"] in statuses)
        return self.often(data, st.sampled_from(apt or sorted(self.fin)), st.sampled_from(sorted(self.fin)),
                          "financing")

    def _party(self, data, f: dict, who_is: str) -> str:
        return self.signer(data, self.name_of[f[who_is]])

    @precondition(lambda self: any(f['status'] in ('REQUESTED', 'REGISTERED') for f in self.fin.values()))
    @rule(data=st.data())
    def cancel_financing(self, data):
        fid = self._pick_financing(data, "REQUESTED", "REGISTERED")
        if fid is None:
            return
        f = self.fin[fid]
        who = self._party(data, f, data.draw(st.sampled_from(("holder", "funder"))))
        expect = set()
        if self.o[who] not in (f["holder"], f["funder"]):
            expect.add("unauthorized")
        if f["status"] not in ("REQUESTED", "REGISTERED"):
            expect.add("invalid_state")
        if self.send(who, "cancel_financing", expect, financing=fid):
            f["status"] = "CANCELLED"
            p = self.pieces[f["voucher"]]
            if p["status"] == "FINANCING" and p["financing"] == fid:
                p["status"] = "ACTIVE"
                p["financing"] = None

    @precondition(lambda self: any(f['status'] in ('REQUESTED',) for f in self.fin.values()))
    @rule(data=st.data())
    def record_registration(self, data):
        fid = self._pick_financing(data, "REQUESTED")
        if fid is None:
            return
        f = self.fin[fid]
        who = self._party(data, f, "funder")
        expect = set()
        if self.o[who] != f["funder"]:
            expect.add("unauthorized")
        if f["status"] != "REQUESTED":
            expect.add("invalid_state")
        if self.send(who, "record_registration", expect, financing=fid, reg_no=f"ZDW-{fid}"):
            f["status"] = "REGISTERED"

    @precondition(lambda self: any(f['status'] == 'REGISTERED' and not f.get('attested') for f in self.fin.values()))
    @rule(data=st.data())
    def attest(self, data):
        """The registry agent attests a recorded registration as it stands, and a clear search."""
        fid = data.draw(st.sampled_from(sorted(fid for fid, f in self.fin.items()
                                               if f["status"] == "REGISTERED" and not f.get("attested"))),
                        label="financing")
        f = self.fin[fid]
        self.send("registry", "attest_registration", set(), financing=fid, reg_no=f"ZDW-{fid}", kind="ASSIGNMENT",
                  creditor=f["funder"], debtor=f["holder"], amount=f["amount"], voucher=f["voucher"])
        self.send("registry", "attest_search", set(), financing=fid, search_no=f"S-{fid}", earlier=[])
        f["attested"] = True

    @precondition(lambda self: any(f['status'] in ('REGISTERED',) for f in self.fin.values()))
    @rule(data=st.data())
    def fund(self, data):
        fid = self._pick_financing(data, "REGISTERED")
        if fid is None:
            return
        f = self.fin[fid]
        p = self.pieces[f["voucher"]]
        root = self.roots[p["root"]]
        who = self._party(data, f, "funder")
        t = self.c.now
        expect = set()
        if self.o[who] != f["funder"]:
            expect.add("unauthorized")
        if f["status"] != "REGISTERED":
            expect.add("invalid_state")
        if p["frozen"] or root["frozen"]:
            expect.add("frozen")
        if t >= root["maturity"]:
            expect.add("expired")
        if p["status"] != "FINANCING" or p["financing"] != fid:
            expect.add("invalid_state")
        if not f.get("attested"):
            expect.add("invalid_state")  # the registry agent has not attested it yet
        rec = self.send(who, "fund", expect, financing=fid)
        if rec is None:
            return
        days = (root["maturity"] - t + DAY - 1) // DAY
        assert rec.result["advance"] == f["amount"] - f["amount"] * f["rate"] * days // (10_000 * 365)
        f["status"] = "FUNDED"
        moved, rest = rec.result["voucher"], rec.result["remainder"]
        self.mint(p, moved, f["funder"], f["amount"], p["tier"] + 1, "FINANCED", )
        self.pieces[moved].update(financing=fid, funder=f["funder"])
        if f["amount"] < p["amount"]:
            self.mint(p, rest, p["holder"], p["amount"] - f["amount"], p["tier"], "ACTIVE")
        else:
            assert rest is None
        p["status"] = "SPLIT" if rest else "TRANSFERRED"

    @precondition(lambda self: sum(p["frozen"] for p in self.pieces.values()) < 2)
    @rule(data=st.data())
    def freeze(self, data):
        self.freeze_or_unfreeze(data, True)

    @precondition(lambda self: any(p["frozen"] for p in self.pieces.values()))
    @rule(data=st.data())
    def unfreeze(self, data):
        self.freeze_or_unfreeze(data, False)

    def freeze_or_unfreeze(self, data, freeze: bool) -> None:
        """Freeze any piece or root (a root id freezes the whole root); unfreeze mostly frozen ones."""
        frozen = sorted(pid for pid, p in self.pieces.items() if p["frozen"])
        if not freeze and frozen:
            pid = self.often(data, st.sampled_from(frozen), st.sampled_from(sorted(self.pieces)), "piece")
        else:
            pid = self.pick_piece(data, live_bias=False)
        p = self.pieces[pid]
        who = "regulator" if data.draw(st.integers(0, 9)) < 8 else data.draw(st.sampled_from(MEMBERS))
        expect = set()
        if who != "regulator":
            expect.add("unauthorized")
        if p["frozen"] == freeze:
            expect.add("invalid_state")
        if self.send(who, "freeze" if freeze else "unfreeze", expect, id=pid, reason="supervision"):
            p["frozen"] = freeze
            if pid in self.roots:
                self.roots[pid]["frozen"] = freeze

    @rule(seconds=st.sampled_from((3600, 6 * 3600, DAY, 3 * DAY, 7 * DAY)))
    def advance(self, seconds):
        self.c.advance(seconds)
        t = self.c.now
        self.after_block(self.c.block([]), t)

    @rule(data=st.data())
    def confirm_payment(self, data):
        """The rail confirms what the payer paid; the round is instructed over the next blocks (at
        most BATCH pieces each) and the rail confirms every piece's instruction."""
        if not self.roots:
            return
        due = sorted(rid for rid, root in self.roots.items()
                     if root["status"] in ("ACTIVE", "OVERDUE") and root["maturity"] <= self.c.now)
        if due and data.draw(st.integers(0, 9)) < 8:
            rid = data.draw(st.sampled_from(due))
        else:
            rid = data.draw(st.sampled_from(sorted(self.roots)))
        root = self.roots[rid]
        owed = {pid: p["amount"] - p.get("paid", 0) for pid, p in sorted(self.pieces.items())
                if p["root"] == rid and p["status"] in LIVE and p["amount"] > p.get("paid", 0)}
        total = sum(owed.values())
        who = data.draw(st.sampled_from(("bank",) * 8 + ("bank2", "core")), label="bank")
        amount = self.often(data, st.one_of(st.just(total), st.integers(1, max(1, total))),
                            st.sampled_from((0, total + 1)), "amount")
        expect = set()
        if who != "bank":
            expect.add("unauthorized")
        if amount <= 0:
            expect.add("bad_request")
        if root["status"] not in ("ACTIVE", "OVERDUE"):
            expect.add("invalid_state")
        if root["frozen"]:
            expect.add("frozen")
        if self.c.now < root["maturity"]:
            expect.add("invalid_state")
        if amount > total:
            expect.add("limit_exceeded")
        self.refs = getattr(self, "refs", 0) + 1  # a bank reference is taken once per root: a fresh one each time
        if not expect:
            self.clearing.append(rid)  # the model moves before the block: instructing starts at its end
        rec = self.send(who, "confirm_payment", expect, root=rid, amount=amount,
                        bank_ref=f"REF-{rid}-{self.refs}")
        if rec is None:
            return
        root["status"] = "CLEARING"
        while rid in self.clearing:  # one block per BATCH pieces
            t = self.c.now
            self.after_block(self.c.block([]), t)
        paid = {i["ref"].split(":")[1]: i["amount"] for i in confirm_all(self.r)}
        t = self.c.now  # (confirm_all's blocks moved the clock on)
        # each share within one fen of the exact pro-rata share of what is owed, adding up to the payment
        assert sum(paid.values()) == amount and set(paid) <= set(owed)
        for pid, fen in owed.items():
            assert abs(paid.get(pid, 0) - Fraction(amount * fen, total)) < 1, (pid, paid.get(pid), fen)
        for pid, fen in paid.items():
            p = self.pieces[pid]
            p["paid"] = p.get("paid", 0) + fen
            if p["paid"] == p["amount"]:
                p["status"] = "PAID"
        self.open[root["payer"]] -= amount
        root["paid"] = root.get("paid", 0) + amount
        root["status"] = "PAID" if root["paid"] == root["amount"] else "OVERDUE"

    # -- invariants (checked on the committed state after every step) ------------------------------------
    @invariant()
    def ledger_matches_the_model_and_the_invariants_hold(self):
        r = self.r
        vouchers = r.scan("voucher/")
        roots = r.scan("root/")
        live_rows = r.scan("live/") | r.scan("rest/")  # the two pools of pieces awaiting a payment round
        # every piece as modelled
        assert set(vouchers) == {f"voucher/{pid}" for pid in self.pieces}
        for pid, p in self.pieces.items():
            v = vouchers[f"voucher/{pid}"]
            assert (v["holder"], v["amount"], v["status"], v["frozen"], v["root"], v["tier"]) == \
                (p["holder"], p["amount"], p["status"], p["frozen"], p["root"], p["tier"]), pid
            if v["status"] == "FINANCED":
                assert v["holder"] == v["funder"]  # a financed piece is held by its funder
        assert set(roots) == {f"root/{rid}" for rid in self.roots}
        live_by_root: dict[str, dict[str, int]] = {}
        for key, amount in live_rows.items():
            _, rid, pid = key.split("/")
            live_by_root.setdefault(rid, {})[pid] = amount
        for rid, model in self.roots.items():
            root = roots[f"root/{rid}"]
            assert root["status"] == model["status"] and root["frozen"] == model["frozen"], rid
            live = live_by_root.get(rid, {})
            live_records = {pid: p["amount"] - p.get("paid", 0) for pid, p in self.pieces.items()
                            if p["root"] == rid and p["status"] in LIVE and p["amount"] > p.get("paid", 0)}
            assert live == live_records, rid  # the pools and the live records agree
            paid = sum(vouchers[f"voucher/{pid}"].get("paid", 0) for pid, p in self.pieces.items() if p["root"] == rid)
            assert paid == model.get("paid", 0) == root.get("paid_total", 0), rid  # every confirmed fen, once
            if model["status"] in ("ISSUED", "ACTIVE", "OVERDUE"):
                assert sum(live.values()) == model["amount"] - paid, rid  # face = paid + owed, to the fen
            else:
                assert live == {}
        # invoices: never overdrawn; drawn = draws of the roots that were not cancelled
        for inv, model in self.invoices.items():
            rec = r.get(f"invoice/{inv}")
            assert 0 <= rec["drawn"] <= rec["amount"]
            draws = sum(a for rid, root in self.roots.items() if root["status"] != "CANCELLED"
                        for i, a in root["refs"] if i == inv)
            assert rec["drawn"] == draws == model["drawn"]
        # credit: open = unpaid, uncancelled roots, within the line
        for core, (_, limit) in LINES.items():
            open_ = r.get(f"core/{self.o[core]}")["open"]
            unpaid = sum(root["amount"] - root.get("paid", 0) for root in self.roots.values()
                         if root["payer"] == core and root["status"] in ("ISSUED", "ACTIVE", "OVERDUE"))
            assert open_ == unpaid == self.open[core]
            assert open_ <= limit
        assert (r.get("clearing") or []) == self.clearing


def test_receivables_state_machine(demo_template, monkeypatch):
    monkeypatch.setattr(end_block, "CLEAR_BATCH", BATCH)
    ReceivablesMachine.template = demo_template
    run_state_machine_as_test(ReceivablesMachine, settings=settings(
        max_examples=90, stateful_step_count=50, deadline=None,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
