"""Erasure across processes: two nodes of a CometBFT localnet (separate `fae node` and `cometbft`
processes), a borrower's personal data document uploaded at node 0 and fetched by node 1 from its vault
peer, so both hold a copy. The owner's request goes in through node 0, the regulator's approval through
node 1; each node deletes its own copy when it commits the approval, the commitment stays on chain, and
`fae verify` passes on both homes with the document counted as erased, not missing.

Run only these: python -m pytest -m localnet
"""

from __future__ import annotations

import os

import pytest
from localnet_support import client, height, running_localnet, wait_until

from faechain.cli.verify import verify_home
from faechain.core.personal import PersonalData
from faechain.sdk import ApiError
from faechain.sdk.personal import put_personal_data, read_personal_data

pytestmark = pytest.mark.localnet

BORROWER = PersonalData("Sun Yuelan", "resident_id", "120105198106214428")


def test_an_approved_erasure_deletes_the_copies_on_every_node_and_verify_passes(tmp_path):
    with running_localnet(str(tmp_path / "net"), 2) as net:

        def in_vault(i: int, digest: str) -> bool:
            return os.path.exists(os.path.join(net.node_home(i), "vault", digest[:2], digest))

        def at(i: int, h: int) -> None:
            wait_until(lambda: (height(net, i) or 0) >= h, 60, f"node{i} at height {h}")

        bank2_0, regulator_1 = client(net, 0, "bank2"), client(net, 1, "regulator")
        c = put_personal_data(bank2_0, None, "npa", BORROWER)
        r = bank2_0.submit(None, "npa", "register_loan", loan_no="PD-NET-1", borrower=c, principal=900_000_00,
                           interest=40_000_00, classification="doubtful", days_past_due=420)
        assert r.ok, r.message
        assert [in_vault(0, c), in_vault(1, c)] == [True, False]
        at(1, r.height)
        assert read_personal_data(regulator_1, "npa", c) == BORROWER  # node 1 fetched it from node 0
        assert [in_vault(0, c), in_vault(1, c)] == [True, True]
        with pytest.raises(ApiError) as e:  # a bank with no part in the loan, through either node
            read_personal_data(client(net, 1, "bank"), "npa", c)
        assert e.value.code == "not_found"

        req = bank2_0.submit(None, "npa", "request_erasure", person=c, reason="the borrower's PIPL request")
        assert req.ok, req.message
        at(1, req.height)
        assert [in_vault(0, c), in_vault(1, c)] == [True, True]  # a request alone deletes nothing
        approval = regulator_1.submit(None, "npa", "approve_erasure", person=c)
        assert approval.ok, approval.message
        for i in (0, 1):
            at(i, approval.height)
            wait_until(lambda i=i: not in_vault(i, c), 30, f"node{i} to delete its copy")
            with pytest.raises(ApiError) as e:
                read_personal_data(client(net, i, "regulator"), "npa", c)
            assert e.value.code == "not_found"
            loan = client(net, i, "regulator").query("npa", "loan", seller=bank2_0.identity.org_id,
                                                     loan_no="PD-NET-1")["loan"]
            assert loan["borrower"] == c  # the commitment stays

        for i in (0, 1):
            report = verify_home(net.node_home(i))
            assert report.ok, (i, report.first)
            assert report.vault.erased == [c] and c not in report.vault.missing, i


def test_a_node_that_was_down_at_the_approval_deletes_its_copy_when_it_catches_up(tmp_path):
    """Four validators (so the network commits with one down): node 3 fetched the document, then stops;
    the erasure is approved without it; when it starts again it replays the blocks it missed and deletes
    its copy as it commits the approval."""
    with running_localnet(str(tmp_path / "net"), 4) as net:

        def in_vault(i: int, digest: str) -> bool:
            return os.path.exists(os.path.join(net.node_home(i), "vault", digest[:2], digest))

        def at(i: int, h: int) -> None:
            wait_until(lambda: (height(net, i) or 0) >= h, 90, f"node{i} at height {h}")

        bank2 = client(net, 0, "bank2")
        c = put_personal_data(bank2, None, "npa", BORROWER)
        r = bank2.submit(None, "npa", "register_loan", loan_no="PD-NET-2", borrower=c, principal=500_000_00,
                         interest=0, classification="loss", days_past_due=900)
        assert r.ok, r.message
        at(3, r.height)
        assert read_personal_data(client(net, 3, "regulator"), "npa", c) == BORROWER
        assert in_vault(0, c) and in_vault(3, c)

        net.stop([3])
        assert bank2.submit(None, "npa", "request_erasure", person=c, reason="PIPL request").ok
        approval = client(net, 1, "regulator").submit(None, "npa", "approve_erasure", person=c)
        assert approval.ok, approval.message
        at(0, approval.height)
        wait_until(lambda: not in_vault(0, c), 30, "node0 to delete its copy")
        assert in_vault(3, c)  # down: nothing has told it yet

        net.start([3], timeout=90)
        at(3, approval.height)
        wait_until(lambda: not in_vault(3, c), 30, "node3 to delete its copy once it committed the approval")
        report = verify_home(net.node_home(3))
        assert report.ok, report.first
        assert report.vault.erased == [c]
