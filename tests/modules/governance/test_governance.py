"""Governance proposals of every kind: executed by the vote that reaches two thirds of the
electorate (not one vote before), and what each execution does to the consortium."""

from __future__ import annotations

import os

import pytest

from faechain.identity.ca import create_org_ca, issue_identity
from faechain.identity.wallet import Identity
from faechain.modules.governance.records import need_for
from tests.conftest import SUITE_NOW
from tests.modules.governance.gov_support import NEED, RULE, VAL_A, VAL_B, VAL_C, VOTERS


@pytest.mark.parametrize("n, need", [(1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 4), (7, 5), (19, 13), (100, 67)])
def test_two_thirds_rounded_up(n, need):
    assert need_for(n) == need
    assert 3 * need >= 2 * n and 3 * (need - 1) < 2 * n


def newcomer(c, name: str = "newco", org_id: str = "91110000NEWCOMER01", org_type: str = "SUPPLIER"):
    """A CA (in the chain's home) and one member identity of an organisation not yet admitted."""
    ca = create_org_ca(os.path.join(c.home, "ca", name), org_id, f"{name} Co., Ltd.", org_type,
                       suite_name=c.genesis.suite,  # the chain's own suite (FAE_TEST_SUITE=sm2-sm3 runs these on SM2)
                       now=SUITE_NOW)
    issue_identity(ca, os.path.join(c.home, "wallet"), name, {"admin": True}, now=SUITE_NOW)
    c.ids[name] = Identity.load(c.home, name)
    return ca


def test_admit_org_at_two_thirds_then_its_members_sign(g):
    c = g.c
    ca = newcomer(c)
    created = g.ok("bank", "propose", kind="admit_org", summary="a new tier-2 supplier",
                   params={"org_id": ca.org_id, "name": ca.name, "type": "SUPPLIER", "ca": ca.cert_pem,
                           "attributes": {"region": "Hebei"}})
    pid = created["proposal"]
    assert created["need"] == NEED and created["electorate"] == len(VOTERS)
    p = g.proposal(pid)
    assert p["status"] == "OPEN" and p["proposer"] == c.org_ids["bank"] and len(p["electorate"]) == len(VOTERS)
    # the proposal was tried out on a scratch copy, which left no organisation behind
    assert c.store.get_value(f"membership/org/{ca.org_id}".encode()) is None
    g.to_brink(pid)
    probe = c.sign("newco", "governance", "propose", {"kind": "remove_org", "params": {"org_id": ca.org_id}})
    assert c.app.check_tx(probe, c.clock).code == "not_member"  # one short of two thirds: nothing executed yet
    r, _ = g.decide(pid)
    assert r.result["status"] == "EXECUTED" and r.result["yes"] == NEED
    assert [e["type"] for e in r.events] == ["Voted", "OrgAdmitted", "ProposalExecuted"]
    org = c.q("org", contract="membership", org_id=ca.org_id)
    assert org["status"] == "ACTIVE" and org["type"] == "SUPPLIER" and org["attributes"] == {"region": "Hebei"}
    assert org["ca_id"] == c.app.hash(ca.cert_der).hex()
    # its member signs: a proposal of its own (it is a member now, though not in the earlier electorate)
    own = c.run("newco", "governance", "propose", {"kind": "set_threshold", "params": {"rule": RULE, "value": 1}})
    assert own.ok and ca.org_id in g.proposal(own.result["proposal"])["electorate"]
    assert c.run("newco", "governance", "vote", {"proposal": own.result["proposal"], "approve": True}).ok
    assert g.proposal(pid)["status"] == "EXECUTED" and g.proposal(pid)["result"] == {"org_id": ca.org_id}


def test_admit_org_takes_the_ca_as_der_or_pem(g):
    """Issue 24: an admit_org proposal took PEM text only, `membership.admit` DER only; both take either."""
    c = g.c
    ca = newcomer(c)
    other = newcomer(c, "newco2", "91110000NEWCOMER02")
    der = g.propose("admit_org", org_id=ca.org_id, name=ca.name, type="SUPPLIER", ca=ca.cert_der)
    pem = g.propose("admit_org", org_id=other.org_id, name=other.name, type="SUPPLIER", ca=other.cert_pem.encode())
    assert g.proposal(der)["params"]["ca"] == ca.cert_der  # the proposal keeps what was proposed
    for pid, org_ca, who in ((der, ca, "newco"), (pem, other, "newco2")):
        r, _ = g.pass_(pid)
        assert r.result["status"] == "EXECUTED"
        org = c.q("org", contract="membership", org_id=org_ca.org_id)
        assert org["status"] == "ACTIVE" and org["ca_id"] == c.app.hash(org_ca.cert_der).hex()
        assert c.run(who, "governance", "propose", {"kind": "set_threshold", "params": {"rule": RULE, "value": 3}}).ok


def test_revoke_cert_of_a_registered_member(g):
    c = g.c
    teller = c.new_identity("bank", "teller", {"admin": False})
    assert c.run(teller, "governance", "propose", {"kind": "set_threshold", "params": {"rule": RULE, "value": 7}}).ok
    pid = g.propose("revoke_cert", who="regulator", cert_id=teller.cert_id.hex(), reason="key compromised")
    g.to_brink(pid)
    assert c.run(teller, "governance", "vote", {"proposal": pid, "approve": True}).code == "duplicate"  # bank voted
    r, _ = g.decide(pid)
    assert r.result["status"] == "EXECUTED" and "CertRevoked" in [e["type"] for e in r.events]
    rec = c.q("cert", contract="membership", cert_id=teller.cert_id.hex())
    assert rec["revoked"] is True and rec["reason"] == "key compromised"
    assert c.run(teller, "governance", "propose", {"kind": "set_threshold",
                                                   "params": {"rule": RULE, "value": 8}}).code == "revoked"
    assert c.run("bank", "governance", "propose", {"kind": "set_threshold",
                                                   "params": {"rule": RULE, "value": 8}}).ok  # its org signs on


def test_revoke_cert_never_used_names_its_organisation(g):
    c = g.c
    spare = c.new_identity("factor", "spare")
    g.rejected("exchange", "propose", "not_found", kind="revoke_cert", params={"cert_id": spare.cert_id.hex()})
    pid = g.propose("revoke_cert", cert_id=spare.cert_id.hex(), org_id=c.org_ids["factor"])
    g.pass_(pid)
    assert g.proposal(pid)["status"] == "EXECUTED"
    raw = c.sign(spare, "governance", "vote", {"proposal": pid, "approve": True})
    assert c.app.check_tx(raw, c.clock).code == "revoked"


def test_remove_org_stops_its_members_from_signing(g):
    c = g.c
    pid = g.propose("remove_org", org_id=c.org_ids["lawfirm"], reason="licence withdrawn")
    other = g.propose("set_threshold", rule=RULE, value=3)
    g.votes(other, ["lawfirm"])  # a vote cast before the removal stays counted
    g.to_brink(pid)
    assert c.q("org", contract="membership", org_id=c.org_ids["lawfirm"])["status"] == "ACTIVE"
    r, _ = g.decide(pid)
    assert r.result["status"] == "EXECUTED"
    org = c.q("org", contract="membership", org_id=c.org_ids["lawfirm"])
    assert org["status"] == "REMOVED" and org["removed_reason"] == "licence withdrawn"
    g.rejected("lawfirm", "vote", "not_member", proposal=other, approve=False)
    assert g.proposal(other)["votes"] == {c.org_ids["lawfirm"]: True}
    assert c.run("lawfirm", "receivables", "accept", {"id": "V-x"}).code == "not_member"
    assert c.q("orgs", contract="membership", type="INTERMEDIARY")  # the underwriter is still listed
    assert c.org_ids["lawfirm"] not in [o["id"] for o in c.q("orgs", contract="membership")]


def test_the_last_exchange_or_regulator_is_never_removed(g):
    c = g.c
    g.rejected("bank", "propose", "invalid_state", kind="remove_org", params={"org_id": c.org_ids["regulator"]})
    g.rejected("bank", "propose", "invalid_state", kind="remove_org", params={"org_id": c.org_ids["exchange"]})


def test_set_threshold_through_supervision(g):
    c = g.c
    pid = g.propose("set_threshold", who="regulator", rule=RULE, value=2_000_000_00)
    g.to_brink(pid)
    assert _rules(c).get(RULE) != 2_000_000_00
    r, _ = g.decide(pid)
    assert r.result["status"] == "EXECUTED"
    assert _rules(c)[RULE] == 2_000_000_00
    assert g.proposal(pid)["result"] == {"rule": RULE, "value": 2_000_000_00}


def _rules(c) -> dict:
    from faechain.core.encoding import decode

    raw = c.store.get_value(b"supervision/rules")
    return {} if raw is None else decode(raw)


def test_set_validator_adds_changes_and_removes_reported_in_the_block(g):
    c = g.c
    assert g.validators() == {VAL_A: 10, VAL_B: 10}
    assert c.q("validators", contract="governance")["total_power"] == 20
    pid = g.propose("set_validator", pub_key=VAL_C, power=10, name="node4", org_id=c.org_ids["bank2"])
    g.to_brink(pid)
    assert g.validators() == {VAL_A: 10, VAL_B: 10}
    r, res = g.decide(pid)
    assert r.result["status"] == "EXECUTED"
    assert res.validator_updates == [("ed25519", bytes.fromhex(VAL_C), 10)]
    assert g.get(f"updates/{res.height}") == [["ed25519", VAL_C, 10]]
    assert g.validators() == {VAL_A: 10, VAL_B: 10, VAL_C: 10}
    assert [v for v in g.get("validators") if v["pub_key"] == VAL_C][0]["org_id"] == c.org_ids["bank2"]
    assert c.block([]).validator_updates == []  # only the block that changed the set reports it
    # two changes executed in one block are reported together, in key order
    up = g.propose("set_validator", pub_key=VAL_C, power=30)
    out = g.propose("set_validator", pub_key=VAL_A, power=0)
    g.to_brink(up)
    g.to_brink(out)
    res = c.block([c.sign(VOTERS[NEED - 1], "governance", "vote", {"proposal": p, "approve": True})
                   for p in (up, out)])
    assert [r.result["status"] for r in res.receipts] == ["EXECUTED", "EXECUTED"]
    assert res.validator_updates == [("ed25519", bytes.fromhex(VAL_A), 0), ("ed25519", bytes.fromhex(VAL_C), 30)]
    assert g.validators() == {VAL_B: 10, VAL_C: 30}
    assert g.proposal(up)["result"] == {"pub_key": VAL_C, "power": 30, "validators": 3}


def test_no_proposal_leaves_the_chain_without_a_validator(make_gov):
    g = make_gov(validators=(VAL_A,))
    g.rejected("exchange", "propose", "invalid_state", kind="set_validator", params={"pub_key": VAL_A, "power": 0})
    g2 = make_gov(validators=(VAL_A, VAL_B))
    # each valid when made; together they would remove both
    first = g2.propose("set_validator", pub_key=VAL_A, power=0)
    second = g2.propose("set_validator", pub_key=VAL_B, power=0)
    g2.pass_(first)
    assert g2.validators() == {VAL_B: 10}
    g2.to_brink(second)
    r, res = g2.decide(second)
    # the vote counts; the execution failed and is on record; nothing else changed
    assert r.result["status"] == "PASSED" and r.result["error"]["code"] == "invalid_state"
    assert [e["type"] for e in r.events] == ["Voted", "ProposalExecutionFailed"]
    assert res.validator_updates == [] and g2.validators() == {VAL_B: 10}
    assert g2.proposal(second)["yes"] == NEED
    # a retry is refused the same way, and changes nothing
    g2.rejected("regulator", "execute", "invalid_state", proposal=second)
    # once another validator joins, the passed proposal can be executed
    g2.pass_(g2.propose("set_validator", pub_key=VAL_C, power=5))
    r = g2.c.run("investor4", "governance", "execute", {"proposal": second})
    assert r.ok and r.result == {"proposal": second, "status": "EXECUTED"}
    assert g2.validators() == {VAL_C: 5}
    g2.rejected("regulator", "execute", "invalid_state", proposal=second)  # executed once only


def test_execute_without_a_majority_is_refused(g):
    pid = g.propose("set_threshold", rule=RULE, value=9)
    g.rejected("exchange", "execute", "invalid_state", proposal=pid)
    g.to_brink(pid)
    g.rejected("exchange", "execute", "invalid_state", proposal=pid)
    g.rejected("exchange", "execute", "not_found", proposal="G-no-such")
    assert g.proposal(pid)["status"] == "OPEN"


def test_one_vote_per_organisation(g):
    c = g.c
    pid = g.propose("set_threshold", rule=RULE, value=11)
    g.votes(pid, ["bank"], approve=False)
    g.rejected("bank", "vote", "duplicate", proposal=pid, approve=False)
    g.rejected("bank", "vote", "duplicate", proposal=pid, approve=True)  # no change of mind either
    clerk = c.new_identity("bank", "clerk")  # another member of the same organisation
    g.rejected(clerk, "vote", "duplicate", proposal=pid, approve=True)
    p = g.proposal(pid)
    assert (p["yes"], p["no"], p["votes"]) == (0, 1, {c.org_ids["bank"]: False})


def test_votes_from_outside_the_consortium_are_refused(g):
    c = g.c
    pid = g.propose("set_threshold", rule=RULE, value=12)
    ca = newcomer(c, "outsider", "91110000OUTSIDER01")
    # an organisation that is not a member cannot even sign
    g.rejected("outsider", "vote", "not_member", proposal=pid, approve=True)
    # admitted after the proposal was made (by the exchange's direct route): not in its electorate
    assert c.run("exchange", "membership", "admit", {"org_id": ca.org_id, "name": ca.name, "type": ca.type,
                                                      "ca": ca.cert_der}).ok
    g.rejected("outsider", "vote", "unauthorized", proposal=pid, approve=True)
    assert ca.org_id not in g.proposal(pid)["electorate"]


def test_no_votes_reject_and_closed_proposals_take_no_votes(g):
    pid = g.propose("set_threshold", rule=RULE, value=13)
    spare = len(VOTERS) - NEED  # this many no votes still leave NEED possible yes votes
    g.votes(pid, VOTERS[:spare], approve=False)
    assert g.proposal(pid)["status"] == "OPEN"
    res = g.votes(pid, VOTERS[spare:spare + 1], approve=False)
    assert res.receipts[0].result["status"] == "REJECTED"
    g.rejected(VOTERS[7], "vote", "invalid_state", proposal=pid, approve=True)
    g.rejected(VOTERS[7], "execute", "invalid_state", proposal=pid)
    done = g.propose("set_threshold", rule=RULE, value=14)
    g.pass_(done)
    g.rejected(VOTERS[NEED], "vote", "invalid_state", proposal=done, approve=True)


def test_proposals_expire_after_the_voting_period(g):
    c = g.c
    pid = g.propose("set_threshold", rule=RULE, value=15)
    late = g.propose("set_threshold", rule=RULE, value=16)
    assert g.proposal(pid)["expires"] == g.proposal(pid)["proposed_at"] + 7 * 86_400
    g.to_brink(pid)
    c.advance(7 * 86_400)
    # the deciding vote comes too late: refused, and the proposal is EXPIRED by the block's end
    g.rejected(VOTERS[NEED - 1], "vote", "expired", proposal=pid, approve=True)
    assert g.proposal(pid)["status"] == "EXPIRED" and g.proposal(late)["status"] == "EXPIRED"
    g.rejected(VOTERS[NEED - 1], "vote", "invalid_state", proposal=pid, approve=True)
    assert RULE not in _rules(c) or _rules(c)[RULE] != 15
    assert [p["id"] for p in c.q("proposals", contract="governance", status="EXPIRED")] == [pid, late]
    assert c.q("proposals", contract="governance") == []  # none OPEN


def test_voting_period_comes_from_genesis(make_gov):
    g = make_gov(governance={"voting_period": 3600})
    pid = g.propose("set_threshold", rule=RULE, value=17)
    assert g.proposal(pid)["expires"] - g.proposal(pid)["proposed_at"] == 3600
    assert g.c.q("validators", contract="governance")["voting_period"] == 3600
    g.c.advance(3599 - 1)  # the clock moves a second per block: the next block is at 3599 s
    g.votes(pid, ["bank"])
    g.rejected("core", "vote", "expired", proposal=pid, approve=True)


def test_queries(g):
    c = g.c
    a = g.propose("set_threshold", rule=RULE, value=18)
    b = g.propose("set_validator", who="regulator", pub_key=VAL_C, power=1)
    g.pass_(a)
    assert [p["id"] for p in c.q("proposals", contract="governance")] == [b]
    assert [p["id"] for p in c.q("proposals", contract="governance", status="EXECUTED")] == [a]
    assert [p["id"] for p in c.q("proposals", contract="governance", kind="set_validator")] == [b]
    assert [p["id"] for p in c.q("proposals", contract="governance", proposer=c.org_ids["regulator"])] == [b]
    one = c.q("proposal", as_="investor4", contract="governance", id=a)
    assert one["status"] == "EXECUTED" and one["yes"] == NEED and len(one["votes"]) == NEED
    vals = c.q("validators", contract="governance")
    assert [v["pub_key"] for v in vals["validators"]] == [VAL_A, VAL_B]
