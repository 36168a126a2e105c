"""The outside world's attestations in receivables (docs/outside-world.md): the tax service's word
on invoices (verification.py) and the registry agent's on financings (registration.py).

Each test drives the demo consortium (its "taxservice" is a TAX_SERVICE, its "registry" a
REGISTRY_AGENT) through `rcv_support.Rcv`; rejections are checked for their code, their message
and for leaving the state untouched (`Rcv.rejected`).
"""

from __future__ import annotations

import pytest

from faechain.contracts.errors import ContractError
from faechain.contracts.runtime import Caller, Ctx
from faechain.core.encoding import decode, encode
from faechain.modules.receivables.registration import release_due
from tests.modules.driver import Driver
from tests.modules.governance.gov_support import Gov
from tests.modules.receivables.rcv_support import DAY, Rcv, attestation_of

NOT_TAX = ("supplier1", "core", "regulator", "exchange", "registry", "bank")
NOT_REGISTRY = ("supplier1", "factor", "bank", "regulator", "exchange", "taxservice", "core")



def events(rec, type_: str) -> list[dict]:
    return [e["attrs"] for e in rec.events if e["type"] == type_]


def alerts(r: Rcv, rule: str) -> list[dict]:
    return [a for a in Driver(r.c, "supervision").scan("alert/").values() if a["rule"] == rule]


def set_rule(r: Rcv, rule: str, value: int) -> None:
    """The consortium votes a receivables rule to `value`."""
    g = Gov(r.c)
    g.pass_(g.propose("set_rule", contract="receivables", rule=rule, value=value))
    assert r.q("rules", as_="supplier1")[rule]["value"] == value


def hidden(r: Rcv, method: str, who: str, **args) -> bool:
    """The query answers `who` as if the record did not exist."""
    with pytest.raises(ContractError) as e:
        r.q(method, as_=who, **args)
    return e.value.code == "not_found"


def verify(r: Rcv, inv: str, **over) -> dict:
    rec = r.get(f"invoice/{inv}")
    args = dict(invoice=inv, seller=rec["seller"], buyer=rec["buyer"], amount=rec["amount"], status="NORMAL",
                reference=f"SW-{inv}")
    return r.ok("taxservice", "verify_invoice", **{**args, **over})


def issue_on(r: Rcv, inv: str, amount: int, to: str = "supplier1", accept: bool = True) -> str:
    vid = r.ok("core", "issue", to=r.o[to], amount=amount, maturity=r.c.now + 60 * DAY, invoices=[[inv, amount]],
               contract_hash="ab" * 32)["voucher"]
    if accept:
        r.ok(to, "accept", id=vid)
    return vid


def issue_args(r: Rcv, inv: str, amount: int) -> dict:
    return dict(to=r.o["supplier1"], amount=amount, maturity=r.c.now + 60 * DAY, invoices=[[inv, amount]],
                contract_hash="ab" * 32)


# -- invoices: the tax service ------------------------------------------------------------------


def test_an_invoice_is_unverified_until_the_tax_service_verifies_it(r):
    inv = r.invoice(1_000_00)
    assert r.get(f"invoice/{inv}")["verification"] == {"status": "UNVERIFIED"}
    good = dict(invoice=inv, seller=r.o["supplier1"], buyer=r.o["core"], amount=1_000_00, status="NORMAL",
                reference="SW-2026-0001")
    for who in NOT_TAX:
        rec = r.rejected(who, "verify_invoice", "unauthorized", **good)
        assert "tax service" in rec.message
    r.rejected("taxservice", "verify_invoice", "bad_request", **{**good, "status": "RED"})
    r.rejected("taxservice", "verify_invoice", "bad_request", **{**good, "reference": ""})
    r.rejected("taxservice", "verify_invoice", "not_found", **{**good, "invoice": "011001900111-99999999"})
    rec = r.tx("taxservice", "verify_invoice", **good)
    assert rec.ok and rec.result == {"invoice": inv, "status": "VERIFIED"}
    assert events(rec, "InvoiceVerified") == [dict(invoice=inv, reference="SW-2026-0001")]
    v = r.get(f"invoice/{inv}")["verification"]
    assert v == {"status": "VERIFIED", "by": r.o["taxservice"], "reference": "SW-2026-0001", "at": v["at"]}
    issue_on(r, inv, 1_000_00)  # a verified invoice backs its whole amount


def test_a_mismatch_is_recorded_backs_nothing_new_and_alerts(r):
    inv = r.invoice(1_000_00)
    first = issue_on(r, inv, 400_00)  # drawn while unverified (the demo's cap)
    rec = r.tx("taxservice", "verify_invoice", invoice=inv, seller=r.o["supplier1"], buyer=r.o["core2"],
               amount=999_00, status="NORMAL", reference="SW-7")
    assert rec.ok and rec.result["status"] == "MISMATCH"
    v = r.get(f"invoice/{inv}")["verification"]
    assert v["status"] == "MISMATCH"
    assert v["differences"] == {"amount": [1_000_00, 999_00], "buyer": [r.o["core"], r.o["core2"]]}
    assert events(rec, "InvoiceMismatch")[0]["differences"] == v["differences"]
    [alert] = alerts(r, "invoice_mismatch")
    assert alert["subject"] == f"invoice:{inv}" and alert["severity"] == "warning"
    refused = r.rejected("core", "issue", "invalid_state", **issue_args(r, inv, 100_00))
    assert refused.message == (f"invoice {inv} differs from the tax service's record in amount, buyer; "
                               "it backs no new voucher unless verified again")
    assert not alerts(r, "invoice_reuse")  # not an attempt at reuse: the mismatch alert said it all
    assert r.v(first)["status"] == "ACTIVE"  # what it backed before stays (the regulator was alerted)
    verify(r, inv)  # the tax system corrected: verified again
    issue_on(r, inv, 600_00)


def test_an_invoice_voided_at_verification_backs_nothing(r):
    inv = r.invoice(1_000_00)
    rec = r.tx("taxservice", "verify_invoice", invoice=inv, seller=r.o["supplier1"], buyer=r.o["core"],
               amount=1_000_00, status="VOIDED", reference="SW-8")
    assert rec.ok and rec.result["status"] == "VOIDED"
    v = r.get(f"invoice/{inv}")["verification"]
    assert (v["status"], v["reason"]) == ("VOIDED", "voided in the tax system")
    [alert] = alerts(r, "invoice_voided")
    assert alert["severity"] == "critical" and alert["subject"] == f"invoice:{inv}"
    refused = r.rejected("core", "issue", "invalid_state", **issue_args(r, inv, 1_00))
    assert refused.message == f"invoice {inv} was voided by the tax service; it backs no new voucher"
    r.rejected("taxservice", "verify_invoice", "invalid_state", invoice=inv, seller=r.o["supplier1"],
               buyer=r.o["core"], amount=1_000_00, status="NORMAL", reference="SW-9")
    r.rejected("taxservice", "void_invoice", "invalid_state", invoice=inv, reference="SW-9", reason="again")


def test_the_unverified_cap_exactly_at_it_passes_one_fen_over_refuses(r):
    set_rule(r, "unverified_invoice_cap", 500_00)
    g = Gov(r.c)  # the demo switches the alert off (it issues on unverified invoices by design): on again
    g.pass_(g.propose("set_rule", contract="supervision", rule="unverified_invoice", value=1))
    inv = r.invoice(1_000_00)
    rec = r.tx("core", "issue", **issue_args(r, inv, 300_00))
    assert rec.ok
    [drawn] = events(rec, "InvoiceDrawnUnverified")
    assert drawn == dict(invoice=inv, voucher=rec.result["voucher"], draw=300_00, drawn=300_00, cap=500_00)
    [alert] = alerts(r, "unverified_invoice")
    assert alert["severity"] == "info" and alert["subject"] == f"invoice:{inv}"
    before = r.get(f"invoice/{inv}")
    refused = r.rejected("core", "issue", "limit_exceeded", **issue_args(r, inv, 200_01))
    assert refused.message == (f"invoice {inv} is not verified by the tax service yet: it may back 50000 fen "
                               "until verified, 30000 fen drawn already, 20001 fen requested")
    assert r.get(f"invoice/{inv}") == before and not alerts(r, "invoice_reuse")
    r.ok("core", "issue", **issue_args(r, inv, 200_00))  # exactly at the cap
    assert r.get(f"invoice/{inv}")["drawn"] == 500_00
    r.rejected("core", "issue", "limit_exceeded", **issue_args(r, inv, 1))
    verify(r, inv)  # verified: the rest of the invoice may back vouchers
    r.ok("core", "issue", **issue_args(r, inv, 500_00))
    r.rejected("core", "issue", "limit_exceeded", **issue_args(r, inv, 1))  # the invoice is exhausted


def test_with_no_cap_an_unverified_invoice_backs_nothing(r):
    set_rule(r, "unverified_invoice_cap", 0)  # production's default
    inv = r.invoice(1_000_00)
    refused = r.rejected("core", "issue", "invalid_state", **issue_args(r, inv, 1))
    assert refused.message == f"invoice {inv} is not verified by the tax service yet; it backs vouchers once verified"
    verify(r, inv)
    r.ok("core", "issue", **issue_args(r, inv, 1_000_00))


def test_voiding_freezes_the_roots_with_live_pieces_only(r):
    o = r.o
    inv = r.invoice(10_000_00)
    live = issue_on(r, inv, 3_000_00)
    piece, rest = r.transfer("supplier1", live, "supplier2", 1_000_00)
    cancelled = issue_on(r, inv, 1_000_00, accept=False)
    r.ok("supplier1", "reject", id=cancelled, reason="wrong goods")
    already = issue_on(r, inv, 1_000_00)
    r.ok("regulator", "freeze", id=already, reason="court order 7")
    other = issue_on(r, r.invoice(1_000_00), 1_000_00)  # another invoice: untouched
    for who in NOT_TAX:
        r.rejected(who, "void_invoice", "unauthorized", invoice=inv, reference="HC-1", reason="red letter")
    r.rejected("taxservice", "void_invoice", "bad_request", invoice=inv, reference="HC-1", reason="")
    rec = r.tx("taxservice", "void_invoice", invoice=inv, reference="HC-1", reason="红冲")
    assert rec.ok and rec.result == {"invoice": inv, "status": "VOIDED", "frozen": [live]}
    why = f"invoice {inv} voided by the tax service; pending the regulator's decision"
    assert r.get(f"root/{live}")["frozen"] and r.v(live)["frozen_reason"] == why
    assert events(rec, "VoucherFrozen") == [dict(voucher=live, reason=why)]
    assert events(rec, "InvoiceVoided") == [dict(invoice=inv, reference="HC-1", reason="红冲", frozen=[live])]
    assert r.v(already)["frozen_reason"] == "court order 7"  # the regulator's freeze stands as it was
    assert not r.get(f"root/{cancelled}")["frozen"] and not r.get(f"root/{other}")["frozen"]
    # the supervision registry knows, and the regulator was alerted
    reg = Driver(r.c, "supervision").get(f"frozen/voucher:{live}")
    assert reg["frozen"] and reg["reason"] == why and reg["by"] == o["taxservice"]
    [alert] = alerts(r, "invoice_voided")
    assert alert["severity"] == "critical" and alert["evidence"]["frozen"] == [live]
    # every piece of the root is stopped, until the regulator decides
    r.rejected("supplier2", "transfer", "frozen", id=piece, to=o["supplier3"], amount=1)
    r.rejected("supplier1", "transfer", "frozen", id=rest, to=o["supplier3"], amount=1)
    r.ok("regulator", "unfreeze", id=live, reason="goods delivered; the invoice was re-issued")
    r.transfer("supplier2", piece, "supplier3", 1)


def test_the_tax_service_reads_every_invoice_and_its_events_only(r):
    inv = r.invoice(1_000_00)
    vid = issue_on(r, inv, 1_000_00)
    seen = r.q("invoice", as_="taxservice", id=inv)
    assert seen["invoice"]["id"] == inv and seen["roots"] == [{"root": vid, "status": "ACTIVE", "drawn": 1_000_00}]
    # and the events about it, as the raw routes show them (the regulator's and its own)
    contract = r.c.app.contracts["receivables"]
    assert contract.event_subjects("InvoiceVerified", {"invoice": inv}) == (f"invoice/{inv}",)
    for who in ("supplier2", "registry", "bank2"):
        assert hidden(r, "invoice", who, id=inv)
    # the invoice is its data; the vouchers drawing on it are not
    assert hidden(r, "voucher", "taxservice", id=vid)


# -- registration: the registry agent ------------------------------------------------------------


def offer(r: Rcv, kind: str = "ASSIGNMENT", amount: int = 400_00) -> tuple[str, str]:
    """A 1,000.00 voucher of supplier1's, `amount` offered to the factor and registered; (voucher, financing)."""
    vid = r.issue(1_000_00, days=60)
    fid = r.ok("supplier1", "request_financing", id=vid, funder=r.o["factor"], amount=amount, rate_bps=600,
               kind=kind)["financing"]
    r.ok("factor", "record_registration", financing=fid, reg_no=f"ZDW-{fid}")
    return vid, fid


@pytest.mark.parametrize(("field", "value", "message"), [
    ("reg_no", "ZDW-OTHER", "the registry attests reg_no 'ZDW-OTHER' under registration ZDW-OTHER; "
                            "financing {fid} has 'ZDW-{fid}'"),
    ("kind", "PLEDGE", "the registry attests kind 'PLEDGE' under registration ZDW-{fid}; financing {fid} has "
                       "'ASSIGNMENT'"),
    ("creditor", "@bank", "the registry attests creditor '@bank' under registration ZDW-{fid}; financing {fid} "
                          "has '@factor'"),
    ("debtor", "@supplier2", "the registry attests debtor '@supplier2' under registration ZDW-{fid}; financing "
                             "{fid} has '@supplier1'"),
    ("amount", 400_01, "the registry attests 40001 fen under registration ZDW-{fid}; financing {fid} is for "
                       "40000 fen"),
    ("voucher", "V-1-0-1", "the registry attests voucher 'V-1-0-1' under registration ZDW-{fid}; financing {fid} "
                           "has '{vid}'"),
])
def test_funding_refuses_each_field_the_registry_attests_differently(r, field, value, message):
    vid, fid = offer(r)
    o = r.o
    if isinstance(value, str) and value.startswith("@"):
        value = o[value[1:]]
    rec = r.tx("registry", "attest_registration", **attestation_of(r.get(f"financing/{fid}"), **{field: value}))
    assert rec.ok and rec.result == {"financing": fid, "matches": False}
    assert events(rec, "RegistrationMismatch") == [dict(financing=fid, voucher=vid, registration=value if
                                                        field == "reg_no" else f"ZDW-{fid}", fields=[field],
                                                        earlier=[])]
    r.ok("registry", "attest_search", financing=fid, search_no="S-1", earlier=[])
    want = message.format(fid=fid, vid=vid).replace("@bank", o["bank"]).replace("@factor", o["factor"]) \
        .replace("@supplier2", o["supplier2"]).replace("@supplier1", o["supplier1"])
    refused = r.rejected("factor", "fund", "invalid_state", financing=fid)
    assert refused.message == want
    [alert] = alerts(r, "registration_mismatch")
    assert alert["subject"] == f"voucher:{vid}" and alert["severity"] == "warning"
    r.attest(fid)  # the registry's record corrected: it matches now
    r.ok("factor", "fund", financing=fid)


def test_funding_needs_the_attestation_and_a_clear_search(r):
    vid, fid = offer(r)
    refused = r.rejected("factor", "fund", "invalid_state", financing=fid)
    assert refused.message == f"financing {fid} awaits the registry agent's attestation of registration ZDW-{fid}"
    r.ok("registry", "attest_registration", **attestation_of(r.get(f"financing/{fid}")))
    refused = r.rejected("factor", "fund", "invalid_state", financing=fid)
    assert refused.message == f"financing {fid} awaits the registry agent's search for earlier registrations"
    rec = r.tx("registry", "attest_search", financing=fid, search_no="S-2", earlier=["ZDW-2025-1", "ZDW-2025-7"])
    assert rec.ok and rec.result == {"financing": fid, "clear": False}
    refused = r.rejected("factor", "fund", "invalid_state", financing=fid)
    assert refused.message == ("the registry search S-2 found earlier registration(s) ZDW-2025-1, ZDW-2025-7 "
                               "on this receivable")
    [alert] = alerts(r, "registration_mismatch")
    assert alert["evidence"]["earlier"] == ["ZDW-2025-1", "ZDW-2025-7"]
    r.rejected("registry", "attest_search", "duplicate", financing=fid, search_no="S-3", earlier=["A", "A"])
    r.rejected("registry", "attest_search", "bad_request", financing=fid, search_no="S-3", earlier=["A"] * 51)
    r.ok("registry", "attest_search", financing=fid, search_no="S-3", earlier=[])
    r.ok("factor", "fund", financing=fid)
    # once funded, nothing more to attest before funding
    r.rejected("registry", "attest_search", "invalid_state", financing=fid, search_no="S-4", earlier=[])
    r.rejected("registry", "attest_registration", "invalid_state", **attestation_of(r.get(f"financing/{fid}")))


def test_the_registration_is_attested_after_the_funder_records_it(r):
    vid = r.issue(1_000_00, days=60)
    fid = r.ok("supplier1", "request_financing", id=vid, funder=r.o["factor"], amount=1_000_00,
               rate_bps=600)["financing"]
    f = r.get(f"financing/{fid}")
    assert f["kind"] == "ASSIGNMENT"
    args = attestation_of({**f, "registration": "ZDW-1"})
    r.rejected("registry", "attest_registration", "invalid_state", **args)
    r.ok("registry", "attest_search", financing=fid, search_no="S-1", earlier=[])  # a search may come first
    r.rejected("registry", "attest_registration", "bad_request", **{**args, "kind": "SALE"})
    r.rejected("registry", "attest_registration", "not_found", **{**args, "financing": "F-9-9-9"})


@pytest.mark.parametrize("method", ["attest_registration", "attest_search", "attest_release"])
def test_only_a_registry_agent_attests(r, method):
    vid, fid = offer(r)
    args = {"attest_registration": attestation_of(r.get(f"financing/{fid}")),
            "attest_search": dict(financing=fid, search_no="S-1", earlier=[]),
            "attest_release": dict(financing=fid, reference="REL-1")}[method]
    for who in NOT_REGISTRY:
        rec = r.rejected(who, method, "unauthorized", **args)
        assert rec.message == "only the registry agent attests registrations"


def test_fund_notifies_the_debtor_who_may_acknowledge(r):
    o = r.o
    vid, fid = offer(r)
    r.attest(fid)
    for who in ("core", "supplier1"):
        r.rejected(who, "acknowledge_notice", "unauthorized", financing=fid)  # not notified yet / not the debtor
    rec = r.tx("factor", "fund", financing=fid)
    assert rec.ok
    f = r.get(f"financing/{fid}")
    assert f["notice"] == {"to": o["core"], "at": f["funded_at"]}
    assert events(rec, "DebtorNotified") == [dict(financing=fid, debtor=o["core"], kind="ASSIGNMENT",
                                                  piece=rec.result["voucher"], creditor=o["factor"], amount=400_00)]
    # the debtor, notified, may read the financing and acknowledge it, once
    assert r.q("financing", as_="core", id=fid)["id"] == fid
    for who in ("supplier1", "factor", "core2", "registry"):
        r.rejected(who, "acknowledge_notice", "unauthorized", financing=fid)
    rec = r.tx("core", "acknowledge_notice", financing=fid)
    assert rec.ok and events(rec, "NoticeAcknowledged") == [dict(financing=fid, debtor=o["core"])]
    assert r.get(f"financing/{fid}")["notice"]["acknowledged_at"] > f["funded_at"]
    r.rejected("core", "acknowledge_notice", "duplicate", financing=fid)


def test_a_pledge_keeps_the_piece_with_the_holder_and_stops_it_moving(r):
    o = r.o
    vid, fid = offer(r, kind="PLEDGE")
    r.attest(fid, kind="PLEDGE")
    res = r.ok("factor", "fund", financing=fid)
    pledged, rest = res["voucher"], res["remainder"]
    p = r.v(pledged)
    assert (p["holder"], p["status"], p["pledgee"], p["funder"], p["amount"], p["tier"], p["financing"]) == \
        (o["supplier1"], "PLEDGED", o["factor"], o["factor"], 400_00, 1, fid)
    assert r.v(rest)["status"] == "ACTIVE" and r.v(rest)["amount"] == 600_00 and r.v(vid)["status"] == "SPLIT"
    assert r.live(vid) == {pledged: 400_00, rest: 600_00}
    assert r.get(f"root/{vid}")["live_count"] == 2
    refused = r.rejected("supplier1", "transfer", "invalid_state", id=pledged, to=o["supplier2"], amount=1)
    assert refused.message == f"voucher {pledged} is PLEDGED, not movable"
    r.rejected("factor", "transfer", "unauthorized", id=pledged, to=o["supplier2"], amount=1)
    r.rejected("supplier1", "request_financing", "invalid_state", id=pledged, funder=o["bank"], amount=1,
               rate_bps=1)
    r.transfer("supplier1", rest, "supplier2", 100_00)  # the unpledged rest moves freely
    assert r.q("voucher", as_="factor", id=pledged)["voucher"]["id"] == pledged  # the pledgee sees its collateral


def test_a_whole_piece_pledged_stays_the_same_piece(r):
    vid, fid = offer(r, kind="PLEDGE", amount=1_000_00)
    r.attest(fid, kind="PLEDGE")
    res = r.ok("factor", "fund", financing=fid)
    assert res["voucher"] == vid and res["remainder"] is None
    assert r.v(vid)["status"] == "PLEDGED" and r.v(vid)["holder"] == r.o["supplier1"]
    assert r.live(vid) == {vid: 1_000_00}


def test_a_pledge_attested_as_an_assignment_is_refused(r):
    vid, fid = offer(r, kind="PLEDGE")
    r.attest(fid)  # as recorded: PLEDGE
    r.ok("registry", "attest_registration", **attestation_of(r.get(f"financing/{fid}"), kind="ASSIGNMENT"))
    refused = r.rejected("factor", "fund", "invalid_state", financing=fid)
    assert "kind 'ASSIGNMENT'" in refused.message and "has 'PLEDGE'" in refused.message


def test_the_registry_releases_a_funded_registration_once(r):
    vid, fid = offer(r)
    r.rejected("registry", "attest_release", "invalid_state", financing=fid, reference="REL-0")
    r.attest(fid)
    r.ok("factor", "fund", financing=fid)
    rec = r.tx("registry", "attest_release", financing=fid, reference="REL-1")
    assert rec.ok and events(rec, "RegistrationReleased") == [dict(financing=fid, registration=f"ZDW-{fid}",
                                                                   reference="REL-1")]
    assert r.get(f"financing/{fid}")["release"]["reference"] == "REL-1"
    r.rejected("registry", "attest_release", "duplicate", financing=fid, reference="REL-2")


def test_the_registry_agent_reads_financings_not_vouchers(r):
    vid, fid = offer(r)
    assert r.q("financing", as_="registry", id=fid)["id"] == fid
    assert [f["id"] for f in r.q("financings", as_="registry", status="REGISTERED")] == [fid]
    assert hidden(r, "voucher", "registry", id=vid)
    assert hidden(r, "financing", "taxservice", id=fid)


class _Memory:
    """A state access over a dict, for calling a helper with a real `Ctx` outside a block."""

    def __init__(self) -> None:
        self.kv: dict[bytes, bytes] = {}

    def get_raw(self, key: bytes) -> bytes | None:
        return self.kv.get(key)

    def put_raw(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self.kv.pop(key, None)
        else:
            self.kv[key] = value

    def scan_raw(self, prefix: bytes, limit: int | None) -> list[tuple[bytes, bytes]]:
        return sorted((k, v) for k, v in self.kv.items() if k.startswith(prefix))[:limit]


def test_release_due_asks_the_registry_once_per_funded_financing():
    """`release_due(ctx, piece)`, as the payment leg calls it when a financed or pledged piece is paid."""
    mem = _Memory()
    ctx = Ctx("receivables", Caller(b"", "ORG", "Org", "rail", "PAYMENT_RAIL"), 1_000_000, 5, b"\0" * 32, 0, mem)
    funded = {"id": "F-1", "status": "FUNDED", "registration": "ZDW-1", "funder": "FACTOR"}
    mem.put_raw(b"receivables/financing/F-1", encode(funded))
    mem.put_raw(b"receivables/financing/F-2", encode({**funded, "id": "F-2", "status": "CANCELLED"}))
    piece = {"id": "V-9", "financing": "F-1"}
    release_due(ctx, piece)  # type: ignore[arg-type]
    release_due(ctx, {**piece, "id": "V-10"})  # type: ignore[arg-type]  # another piece of it: not again
    release_due(ctx, {"id": "V-11", "financing": None})  # type: ignore[arg-type]
    release_due(ctx, {"id": "V-12", "financing": "F-2"})  # type: ignore[arg-type]  # never funded
    release_due(ctx, {"id": "V-13", "financing": "F-404"})  # type: ignore[arg-type]
    assert [(e["type"], e["attrs"]) for e in ctx.events] == [
        ("RegistrationReleaseDue", {"financing": "F-1", "registration": "ZDW-1", "funder": "FACTOR"})]
    assert decode(mem.get_raw(b"receivables/financing/F-1"))["release_due"] == 1_000
