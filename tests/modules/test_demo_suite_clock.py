"""The demo consortium the module tests share is dated by the suite's clock as well (see
tests/test_suite_clock.py): a member issued hours into the run signs on a demo chain."""

from __future__ import annotations

from tests.conftest import GENESIS_TIME_MS, SUITE_NOW_MS

LONG_RUN = 6 * 3600


def test_a_member_issued_hours_into_the_run_signs_on_the_demo_chain(demo_chain, clock_jump):
    c = demo_chain
    assert c.genesis.genesis_time == GENESIS_TIME_MS and c.clock == SUITE_NOW_MS
    assert c.run("exchange", "membership", "set_attributes", {"org_id": c.org_ids["bank"], "attributes": {}}).ok
    clock_jump(LONG_RUN)
    desk = c.new_identity("exchange", "late-desk", {"admin": True})
    tx = c.sign(desk, "membership", "set_attributes", {"org_id": c.org_ids["bank"], "attributes": {"late": True}})
    checked = c.app.check_tx(tx, c.clock)
    assert checked.ok, checked  # bad_certificate with the old fixtures
    assert c.block([tx]).receipts[0].ok
    c.advance(30 * 86_400)  # and a month of chain time later
    assert c.run(desk, "membership", "set_attributes", {"org_id": c.org_ids["bank"], "attributes": {}}).ok
