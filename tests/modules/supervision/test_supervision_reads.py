"""Who reads what of supervision (faechain/modules/supervision/queries.py): whether an asset is
frozen is every member's to ask; the regulator's reason and its action log are the regulator's,
the exchange's and the asset's parties'. (tests/authz/test_authz_queries.py holds the whole matrix.)"""

from __future__ import annotations

import pytest

from faechain.contracts.errors import ContractError
from tests.modules.products.product_support import YUAN

EVERYONE = ("exchange", "regulator", "core", "core2", "supplier1", "supplier2", "supplier3", "factor", "bank",
            "bank2", "amc", "investor1", "investor2", "investor3", "investor4", "rating", "registrar",
            "underwriter", "lawfirm")


def refused(sup, who: str, method: str, **args) -> ContractError:
    with pytest.raises(ContractError) as err:
        sup.q(method, as_=who, **args)
    return err.value


def reason_seen_by(sup, asset: str) -> set[str]:
    """The members `frozen(asset)` tells the reason to (everyone else learns only whether it is frozen)."""
    seen = set()
    for who in EVERYONE:
        rec = sup.q("frozen", as_=who, asset=asset)
        assert rec["asset"] == asset and rec["frozen"] is True, (who, rec)
        if "reason" in rec:
            assert "by" in rec and "at" in rec, (who, rec)
            seen.add(who)
        else:
            assert set(rec) == {"asset", "frozen"}, (who, rec)
    return seen


def test_an_unqualified_investor_learns_that_an_asset_is_frozen_but_not_why(w):
    sup, rcv = w.sup, w.rcv
    vid = rcv.issue(100_000 * YUAN)
    sup.ok("regulator", "freeze", asset=f"voucher:{vid}", reason="court order 2026-77, case (2026) Jing 01 Zhi 1234")
    assert sup.q("frozen", as_="investor4", asset=f"voucher:{vid}") == {"asset": f"voucher:{vid}", "frozen": True}
    assert sup.q("actions", as_="investor4") == []  # the log shows it the actions on its own assets: none
    err = refused(sup, "investor4", "actions", asset=f"voucher:{vid}")
    assert err.code == "unauthorized"
    assert f"actions on voucher:{vid} are for the regulator, the exchange and the asset's parties" in err.message
    assert "court order" not in err.message
    # the holder and the payer see why; so do the regulator, the exchange and a dev chain's anonymous reads
    assert reason_seen_by(sup, f"voucher:{vid}") == {"regulator", "exchange", "supplier1", "core"}
    assert sup.q("frozen", as_=None, asset=f"voucher:{vid}")["reason"].startswith("court order")
    for who in ("supplier1", "core", "exchange", "regulator"):
        assert [a["reason"] for a in sup.q("actions", as_=who, asset=f"voucher:{vid}")] == [
            "court order 2026-77, case (2026) Jing 01 Zhi 1234"]
    # an asset never frozen: anyone may ask, and learns it is not
    other = rcv.issue(1_000 * YUAN)
    assert sup.q("frozen", as_="investor4", asset=f"voucher:{other}") == {"asset": f"voucher:{other}",
                                                                           "frozen": False}


def test_a_root_freeze_concerns_every_holder_of_its_pieces(w):
    sup, rcv = w.sup, w.rcv
    root = rcv.issue(100_000 * YUAN)
    piece, _ = rcv.transfer("supplier1", root, "supplier2", 40_000 * YUAN)
    rcv.transfer("supplier2", piece, "supplier3", 10_000 * YUAN)
    sup.ok("regulator", "freeze", asset=f"voucher:{root}", reason="fraud inquiry")
    assert reason_seen_by(sup, f"voucher:{root}") == {"regulator", "exchange", "core", "supplier1", "supplier2",
                                                      "supplier3"}
    assert [a["asset"] for a in sup.q("actions", as_="supplier3")] == [f"voucher:{root}"]
    assert refused(sup, "factor", "actions", asset=f"voucher:{root}").code == "unauthorized"


def test_the_log_shows_each_member_the_actions_on_its_own_assets(w):
    o, sup, rcv = w.o, w.sup, w.rcv
    plan, _ = w.plans.outstanding()
    pid, _ = w.products.outstanding()
    holding = f"holding:{pid}/senior/{o['investor1']}"
    inv = rcv.invoice(50_000 * YUAN, seller="supplier2", buyer="core2")
    steps = [("freeze", f"plan:{plan}", "inquiry into the sponsor"), ("freeze", holding, "disputed ownership"),
             ("freeze", f"invoice:{inv}", "suspected duplicate"), ("unfreeze", f"plan:{plan}", "inquiry closed")]
    for method, asset, reason in steps:
        sup.ok("regulator", method, asset=asset, reason=reason)
    everything = sup.q("actions", as_="regulator")
    assert [(a["action"], a["asset"]) for a in everything] == [(m, a) for m, a, _ in steps]
    assert sup.q("actions", as_="exchange") == everything

    def assets(who: str, **args) -> list[str]:
        return [a["asset"] for a in sup.q("actions", as_=who, **args)]

    # the plan's sponsor, underwriter, servicer, settlement bank and investors
    for who in ("supplier1", "underwriter", "investor2"):
        assert assets(who) == [f"plan:{plan}", f"plan:{plan}"], who
    # the product's originator (factor), registrar and settlement bank see its holdings' freezes; so does the holder
    assert assets("investor1") == [f"plan:{plan}", holding, f"plan:{plan}"]
    assert assets("registrar") == [holding]
    assert assets("factor") == [f"plan:{plan}", holding, f"plan:{plan}"]  # the plan's servicer too
    assert assets("bank") == [f"plan:{plan}", holding, f"plan:{plan}"]  # both settlement bank
    assert assets("investor3") == []  # a holder of the same product, not of this holding
    assert assets("core2") == assets("supplier2") == [f"invoice:{inv}"]
    assert assets("investor4") == assets("amc") == assets("rating") == []
    # since and limit page the reader's own actions
    assert assets("investor1", since=2) == [holding, f"plan:{plan}"]
    assert assets("investor1", limit=1) == [f"plan:{plan}"]
    assert assets("investor1", asset=f"plan:{plan}") == [f"plan:{plan}", f"plan:{plan}"]
    # the plan is unfrozen: anyone may learn that, only its parties why
    assert sup.q("frozen", as_="investor4", asset=f"plan:{plan}") == {"asset": f"plan:{plan}", "frozen": False}
    assert sup.q("frozen", as_="investor1", asset=f"plan:{plan}")["reason"] == "inquiry closed"
    assert "reason" not in sup.q("frozen", as_="investor3", asset=holding)
    assert sup.q("frozen", as_="registrar", asset=holding)["reason"] == "disputed ownership"
    for who, asset in (("investor3", holding), ("core", f"invoice:{inv}"), ("investor4", f"plan:{plan}")):
        assert refused(sup, who, "actions", asset=asset).code == "unauthorized", (who, asset)
    err = refused(sup, "supplier1", "actions", asset="lorry:1")
    assert err.code == "bad_request" and "<kind>:<id>" in err.message


def test_alerts_and_the_frozen_list_stay_the_regulators_and_the_exchanges(w):
    sup = w.sup
    for who in ("supplier1", "investor4", "bank"):
        assert refused(sup, who, "frozen_assets").code == "unauthorized"
        assert refused(sup, who, "alerts").code == "unauthorized"
    assert isinstance(sup.q("frozen_assets", as_="exchange"), list)
    assert "large_transfer" in sup.q("rules", as_="investor4")
