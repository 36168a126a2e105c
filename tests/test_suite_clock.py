"""How long the suite runs changes no result: fixtures are dated by one clock, `SUITE_NOW`.

The failure this guards against: on a slow machine a full run took 9.5 minutes, and tests
that issued a certificate late in the run had it refused (`bad_certificate: the signer's
certificate is not valid at this time`). The shared consortium's genesis time was fixed
when the session started, so a fixture chain's blocks were dated then, while a certificate
issued later was valid only from five minutes before the wall clock at issue. Here the wall
clock jumps hours ahead (`clock_jump`) between making the fixtures and issuing the
certificates; nothing may notice.
"""

from __future__ import annotations

import datetime as dt
import os
import time

from faechain.crypto import certs
from faechain.identity.ca import create_org_ca, issue_identity
from faechain.identity.wallet import Identity
from tests.conftest import GENESIS_TIME_MS, SUITE_NOW, SUITE_NOW_MS, build_consortium, open_chain

HOURS = 3600
LONG_RUN = 6 * HOURS  # far longer than any run; the old fixtures broke after five minutes


def _undated_certificate_not_before(chain) -> int:
    """notBefore (unix s) of a certificate issued with no date given: the wall clock's."""
    ca = chain.ca("bank")
    der = certs.issue_member(ca.key, ca.cert_der, ca.suite.generate().crypto_key().public_key(), "probe", "BANK")
    return certs.read_info(der).not_before


def _set_attributes(chain, who, n: int) -> bytes:
    return chain.sign(who, "membership", "set_attributes",
                      {"org_id": chain.org_ids["bank"], "attributes": {"n": n}})


def test_the_fixture_chain_is_dated_by_the_suite_clock(chain):
    assert chain.genesis.genesis_time == GENESIS_TIME_MS
    assert chain.clock == SUITE_NOW_MS  # the first block
    for name in chain.ids:
        info = certs.read_info(chain.ids[name].cert)
        assert info.not_before * 1000 <= GENESIS_TIME_MS < chain.clock <= info.not_after * 1000
        assert info.not_before == int(SUITE_NOW.timestamp()) - 300  # issued at SUITE_NOW, not whenever


def test_certificates_issued_hours_into_the_run_are_valid_at_the_chains_block_times(chain, clock_jump):
    """The pattern of test_revoked_signer, test_check_tx_does_not_touch_state, ...: the
    consortium is made early, a new member's certificate late, and its transactions are
    dated by the chain's deterministic clock."""
    assert chain.run("exchange", "membership", "set_attributes",
                     {"org_id": chain.org_ids["bank"], "attributes": {}}).ok
    started = time.time()
    clock_jump(LONG_RUN)
    assert time.time() - started >= LONG_RUN
    # the jump reaches the CA code: a certificate nobody dates is dated by the (jumped) wall clock ...
    assert _undated_certificate_not_before(chain) >= int(started) + LONG_RUN - 300
    # ... and the fixtures' are not
    carol = chain.new_identity("bank", "carol")
    admin = chain.new_identity("exchange", "late_admin", {"admin": True})
    checked = chain.app.check_tx(_set_attributes(chain, admin, 1), chain.clock)
    assert checked.ok, checked  # bad_certificate: "... not valid at this time" with the old fixtures
    for ident in (carol, admin):
        info = certs.read_info(ident.cert)
        assert info.not_before * 1000 <= chain.clock <= info.not_after * 1000
    assert chain.run(admin, "membership", "set_attributes",
                     {"org_id": chain.org_ids["bank"], "attributes": {"n": 2}}).code == "ok"
    # carol is no admin: refused for that reason, not for her certificate
    assert chain.app.check_tx(_set_attributes(chain, carol, 3), chain.clock).code == "ok"
    assert chain.run(carol, "membership", "set_attributes",
                     {"org_id": chain.org_ids["bank"], "attributes": {"n": 4}}).code == "unauthorized"
    # an organisation CA and member made late, as the membership and governance tests do
    outsider = create_org_ca(os.path.join(chain.home, "ca", "late"), "91110000LATECOME01", "Late", "BANK",
                             now=SUITE_NOW)
    issue_identity(outsider, os.path.join(chain.home, "wallet"), "late", now=SUITE_NOW)
    late = Identity.load(chain.home, "late")
    assert chain.app.check_tx(_set_attributes(chain, late, 5), chain.clock).code == "not_member"
    # a node on the wall clock, hours on, accepts the late certificates too
    now_ms = int(time.time() * 1000)
    assert chain.app.check_tx(chain.sign(admin, "membership", "set_attributes",
                                         {"org_id": chain.org_ids["bank"], "attributes": {"n": 6}},
                                         now_ms=now_ms)).ok


def test_a_fixture_made_hours_into_the_run_is_dated_like_the_first(chain, clock_jump, tmp_path):
    """Session fixtures are made when first used, which may be late in a run: a consortium
    built then has the same genesis and certificate dates as one built at the start, and
    certificates issued later still are valid on it."""
    clock_jump(LONG_RUN)
    home = str(tmp_path / "late-home")
    genesis = build_consortium(home)
    assert genesis.genesis_time == chain.genesis.genesis_time == GENESIS_TIME_MS
    late = open_chain(home)
    try:
        assert late.clock == chain.clock == SUITE_NOW_MS
        assert late.run("exchange", "membership", "set_attributes",
                        {"org_id": late.org_ids["bank"], "attributes": {}}).ok
        clock_jump(LONG_RUN)
        newer = late.new_identity("exchange", "newer", {"admin": True})
        assert late.run(newer, "membership", "set_attributes",
                        {"org_id": late.org_ids["bank"], "attributes": {"n": 1}}).ok
    finally:
        late.close()


def test_the_certificate_clock_seam():
    """faechain's CA helpers date a certificate by `now` when given (both suites); without it,
    by the wall clock."""
    from faechain.crypto.suite import get_suite

    when = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    for suite_name in ("ed25519", "sm2-sm3"):
        suite = get_suite(suite_name)
        key = suite.generate()
        ca_der = certs.create_ca(key, "91110000TESTBANK01", "Test Bank", "BANK", now=when)
        member = certs.issue_member(key, ca_der, suite.generate().crypto_key().public_key(), "m", "BANK", now=when)
        for der_ in (ca_der, member):
            assert certs.read_info(der_).not_before == int(when.timestamp()) - 300
        assert certs.read_info(member).not_after == int(when.timestamp()) - 300 + 825 * 86400
    undated = certs.read_info(certs.create_ca(get_suite("ed25519").generate(), "91110000TESTBANK01", "B", "BANK"))
    assert abs(undated.not_before - (time.time() - 300)) < 120
