"""Personal data through a real node: a borrower's document into the vault (checked by who uploads it and
by its form), read back checked against its commitment by those the contract allows, and erased — the
node deletes its copy when it commits the regulator's approval, or when it next starts if it missed it —
while `fae verify` and the commitment's proof still pass."""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlencode

import pytest

from faechain.cli.verify import verify_home
from faechain.core.encoding import decode
from faechain.core.personal import PersonalData, PersonalDataError, make_document, open_document
from faechain.devnet.demo import create_demo
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import ApiError, Client
from faechain.sdk.personal import put_personal_data, read_personal_data
from tests.api.test_api_rest import raw
from tests.conftest import SUITE_NOW, wallet

BORROWER = PersonalData("Zhou Xiaoming", "resident_id", "120104197507081235")
LOAN = dict(principal=1_000_000_00, interest=50_000_00, classification="loss", days_past_due=800)


@pytest.fixture
def home(tmp_path):
    h = str(tmp_path / "node")
    create_demo(h, free_port(), now=SUITE_NOW)
    return h


@pytest.fixture
def nt(home):
    t = NodeThread(home, anonymous_reads=False, heartbeat=1.0)
    t.start()
    yield t
    t.stop()


def put(node, who, data: bytes, commitment: str, subject: str = "person", scope: str = "npa"):
    path = f"/v1/vault/{commitment}?" + urlencode({"scope": scope, "subject": subject})
    return raw(node, "PUT", path, data, {"Content-Type": "application/octet-stream"}, sign=who)


def vault_files(node) -> set[str]:
    return {name for _, _, names in os.walk(node.vault.root) for name in names if not name.startswith(".")}


def test_a_borrower_goes_into_the_vault_and_only_its_commitment_on_chain(nt):
    node, who = nt.node, wallet(nt.node.home)
    with Client(node.url, identity=who("bank2")) as bank2:
        c = put_personal_data(bank2, None, "npa", BORROWER)
        assert node.vault.has(c)
        r = bank2.submit(None, "npa", "register_loan", loan_no="PD-API-1", borrower=c, **LOAN)
        assert r.ok, r.message
        assert read_personal_data(bank2, "npa", c) == BORROWER
    with Client(node.url, identity=who("regulator")) as regulator:
        assert read_personal_data(regulator, "npa", c) == BORROWER
        loan = regulator.query("npa", "loan", seller=who("bank2").org_id, loan_no="PD-API-1")["loan"]
        assert loan["borrower"] == c and "Zhou" not in repr(loan)
    for name in ("bank", "investor1", "supplier1"):  # no part in the loan: as if it did not exist
        with Client(node.url, identity=who(name)) as other, pytest.raises(ApiError) as e:
            read_personal_data(other, "npa", c)
        assert e.value.code == "not_found", name


def test_an_upload_that_is_not_the_committed_document_is_refused_and_nothing_is_stored(nt):
    node, who = nt.node, wallet(nt.node.home)
    doc = make_document(BORROWER)
    c = node.app.hash(doc).hex()
    other = make_document(BORROWER)  # the same person, another salt: another commitment
    status, _, body = put(node, who("bank2"), other, c)
    assert (status, body["code"]) == (400, "hash_mismatch")
    bad = b'{"name": "Zhou Xiaoming", "id_number": "120104197507081235"}'
    status, _, body = put(node, who("bank2"), bad, node.app.hash(bad).hex())
    assert (status, body["code"]) == (400, "bad_request")
    status, _, body = put(node, who("investor1"), doc, c)
    assert (status, body["code"]) == (403, "unauthorized")
    assert vault_files(node) == set()
    # and a reader that is handed other bytes for a commitment refuses them (the SDK's check)
    with pytest.raises(PersonalDataError) as e:
        open_document(c, other, node.app.hash)
    assert e.value.code == "commitment_mismatch"
    assert open_document(c, doc, node.app.hash) == BORROWER


def test_erasure_deletes_the_copy_on_commit_and_at_the_next_start_and_verify_still_passes(home, nt):
    node, who = nt.node, wallet(home)
    with Client(node.url, identity=who("bank2")) as bank2:
        c = put_personal_data(bank2, None, "npa", BORROWER)
        saved = node.vault.get(c)
        assert bank2.submit(None, "npa", "register_loan", loan_no="PD-API-2", borrower=c, **LOAN).ok
        assert bank2.submit(None, "npa", "request_erasure", person=c, reason="the borrower's PIPL request").ok
        assert node.vault.has(c)  # a request alone erases nothing
        with Client(node.url, identity=who("regulator")) as regulator:
            r = regulator.submit(None, "npa", "approve_erasure", person=c)
            assert r.ok and [e["type"] for e in r.events] == ["PersonalDataErased"]
            assert not node.vault.has(c) and node.erasure.deleted == [c]  # deleted as the block committed
            with pytest.raises(ApiError) as e:
                read_personal_data(regulator, "npa", c)
            assert e.value.code == "not_found" and "erased" in e.value.message
            # the commitment stays and still proves
            proof = regulator.state(f"npa/person/{c}", prove=True)
            assert proof["value"] is not None
        # nor may the same document come back
        status, _, body = put(node, who("bank2"), saved, c)
        assert (status, body["code"]) == (409, "invalid_state") and not node.vault.has(c)
    nt.stop()
    report = verify_home(home)
    assert report.ok, report.first
    assert report.vault.erased == [c] and c not in report.vault.missing and report.vault.lingering == []

    # a node that missed the deletion (down, or stopped before it deleted) deletes at its next start
    path = os.path.join(home, "vault", c[:2], c)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(saved)
    report = verify_home(home)
    assert report.ok and report.vault.lingering == [c]
    assert any(f.where == c and "erasure was approved" in f.check for f in report.findings)
    again = NodeThread(home, anonymous_reads=False, heartbeat=1.0)
    again.start()
    try:
        assert not os.path.exists(path) and again.node.erasure.deleted == [c]
    finally:
        again.stop()
    assert verify_home(home).vault.erased == [c]


def test_erased_on_one_node_means_erased_in_its_copy_of_the_state(home, nt):
    """The marker every node acts on is chain state: a copy of the ledger carries it (what a node that
    catches up replays), and a vault opened over that copy is swept at start."""
    node, who = nt.node, wallet(home)
    with Client(node.url, identity=who("bank2")) as bank2, Client(node.url, identity=who("regulator")) as reg:
        c = put_personal_data(bank2, None, "npa", BORROWER)
        data = node.vault.get(c)
        assert bank2.submit(None, "npa", "register_loan", loan_no="PD-API-3", borrower=c, **LOAN).ok
        assert bank2.submit(None, "npa", "request_erasure", person=c, reason="request").ok
        assert reg.submit(None, "npa", "approve_erasure", person=c).ok
    nt.stop()
    copy = home + "-copy"
    shutil.copytree(home, copy)
    os.makedirs(os.path.join(copy, "vault", c[:2]), exist_ok=True)
    with open(os.path.join(copy, "vault", c[:2], c), "wb") as f:
        f.write(data)
    t = NodeThread(copy, anonymous_reads=False, heartbeat=1.0, port=free_port())
    t.start()
    try:
        assert not t.node.vault.has(c)
        marker = decode(t.node.store.get_value(f"npa/erased/{c}".encode()))
        assert marker["person"] == c
    finally:
        t.stop()
