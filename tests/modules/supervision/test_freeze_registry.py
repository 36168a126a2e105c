"""The regulator's freeze registry: one place, every module refuses to move what is frozen."""

from __future__ import annotations

import pytest

from faechain.contracts.runtime import Contract, Ctx, tx
from tests.modules.auctions.auction_support import ENGLISH, LotProbe
from tests.modules.products.product_support import YUAN


def test_a_voucher_frozen_through_the_registry_cannot_move(w):
    o, sup, rcv = w.o, w.sup, w.rcv
    vid = rcv.issue(100_000 * YUAN)
    for who in ("exchange", "bank", "supplier1"):
        sup.rejected(who, "freeze", "unauthorized", asset=f"voucher:{vid}", reason="x")
    sup.rejected("regulator", "freeze", "bad_request", asset=f"voucher:{vid}", reason="")
    sup.rejected("regulator", "freeze", "bad_request", asset=f"lorry:{vid}", reason="x")
    sup.rejected("regulator", "freeze", "not_found", asset="voucher:V-404-0-1", reason="x")
    sup.rejected("regulator", "unfreeze", "invalid_state", asset=f"voucher:{vid}", reason="x")
    sup.ok("regulator", "freeze", asset=f"voucher:{vid}", reason="court order 2026-77")
    assert rcv.v(vid)["frozen"] and rcv.v(vid)["frozen_reason"] == "court order 2026-77"
    rec = sup.get(f"frozen/voucher:{vid}")
    assert rec["frozen"] and rec["reason"] == "court order 2026-77" and rec["by"] == o["regulator"]
    rcv.rejected("supplier1", "transfer", "frozen", id=vid, to=o["supplier2"], amount=1)
    # the receivables contract's own freeze and the registry are one: either path, same state
    rcv.rejected("regulator", "freeze", "invalid_state", id=vid, reason="again")
    rcv.ok("regulator", "unfreeze", id=vid, reason="lifted")
    assert not sup.get(f"frozen/voucher:{vid}")["frozen"] and not rcv.v(vid)["frozen"]
    rcv.ok("supplier1", "transfer", id=vid, to=o["supplier2"], amount=1)
    log = sup.q("actions", as_="regulator")
    assert [(a["action"], a["asset"], a["reason"]) for a in log] == [
        ("freeze", f"voucher:{vid}", "court order 2026-77"), ("unfreeze", f"voucher:{vid}", "lifted")]
    assert all(len(a["tx"]) == 64 for a in log)
    assert sup.q("frozen", as_="supplier1", asset=f"voucher:{vid}")["frozen"] is False


def test_plans_products_and_holdings_frozen_refuse_to_move(w):
    o, sup = w.o, w.sup
    plan, _ = w.plans.listed()
    sup.ok("regulator", "freeze", asset=f"plan:{plan}", reason="inquiry into the sponsor")
    w.plans.rejected("investor1", "subscribe", "frozen", plan=plan, amount=100_000 * YUAN)
    assert [p["asset"] for p in sup.q("frozen_assets", as_="regulator")] == [f"plan:{plan}"]
    sup.ok("regulator", "unfreeze", asset=f"plan:{plan}", reason="inquiry closed")
    w.plans.ok("investor1", "subscribe", plan=plan, amount=100_000 * YUAN)

    pid, _ = w.products.outstanding()
    sup.ok("regulator", "freeze", asset=f"holding:{pid}/senior/{o['investor1']}", reason="disputed ownership")
    w.products.rejected("investor1", "propose_transfer", "frozen", product=pid, tranche="senior",
                        buyer=o["investor2"], units=100_000 * YUAN, price=1)
    w.products.ok("investor2", "propose_transfer", product=pid, tranche="senior", buyer=o["investor1"],
                  units=100_000 * YUAN, price=1)  # other holdings still move
    sup.ok("regulator", "freeze", asset=f"product:{pid}", reason="mis-selling review")
    w.products.rejected("registrar", "distribute", "frozen", product=pid)
    sup.rejected("regulator", "freeze", "not_found", asset=f"holding:{pid}/senior/{o['investor4']}", reason="x")


@pytest.fixture
def probe():
    from faechain.contracts.runtime import REGISTRY, register

    register(LotProbe)
    yield
    REGISTRY.pop(LotProbe.name, None)


def test_a_frozen_auction_takes_no_bids(probe, demo_template, tmp_path):
    import shutil

    from tests.modules.auctions.auction_support import Au
    from tests.modules.conftest import open_demo_chain
    from tests.modules.driver import Driver

    home = str(tmp_path / "h")
    shutil.copytree(demo_template, home)
    c = open_demo_chain(home)
    try:
        a, sup = Au(c), Driver(c, "supervision")
        a.warm()
        aid = a.open(ENGLISH)
        a.bidders(aid, "amc")
        sup.ok("regulator", "freeze", asset=f"auction:{aid}", reason="collusion report")
        a.rejected("amc", "bid", "frozen", auction=aid, price=800_000)
        sup.ok("regulator", "unfreeze", asset=f"auction:{aid}", reason="unfounded")
        a.ok("amc", "bid", auction=aid, price=800_000)
    finally:
        c.close()


class RuleProbe(Contract):
    """A contract that is not governance trying to change a threshold."""

    name = "rule_probe"

    @tx
    def lower(self, ctx: Ctx, rule: str) -> dict:
        return ctx.call("supervision", "set_rule", rule=rule, value=1)


def test_thresholds_change_only_through_governance(demo_template, tmp_path):
    import shutil

    from faechain.contracts.runtime import REGISTRY, register
    from tests.modules.conftest import open_demo_chain

    register(RuleProbe)
    home = str(tmp_path / "h")
    shutil.copytree(demo_template, home)
    c = open_demo_chain(home)
    try:
        r = c.run("regulator", "supervision", "set_rule", {"rule": "long_tenor", "value": 1})
        assert r.code == "unknown_method"
        assert c.run("regulator", "rule_probe", "lower", {"rule": "long_tenor"}).code == "unauthorized"
        rules = c.app.run_query("supervision", "rules", {}, None)
        assert rules["long_tenor"] == {"value": 183, "default": 183, "meaning": rules["long_tenor"]["meaning"]}
    finally:
        c.close()
        REGISTRY.pop(RuleProbe.name, None)
