"""What each member is shown: drafts to their parties, listed packages to all, documents through the vault
to parties and to bidders who logged their reading on the ledger."""

from __future__ import annotations

import pytest

from faechain.contracts.errors import ContractError
from tests.modules.npa.npa_support import PRICES, doc_hash


def refused(n, method: str, who: str, **args) -> str:
    with pytest.raises(ContractError) as err:
        n.q(method, as_=who, **args)
    assert err.value.message
    return err.value.code


def test_a_draft_is_seen_by_its_parties_and_a_listed_package_by_every_member(n):
    o = n.o
    package, nos = n.draft(2)
    for who in ("bank2", "exchange", "regulator"):
        assert n.q("package", as_=who, id=package)["package"]["status"] == "DRAFT"
    for who in ("lawfirm", "amc", "investor1", "bank"):
        assert refused(n, "package", who, id=package) == "not_found"
        assert refused(n, "loan", who, seller=o["bank2"], loan_no=nos[0]) == "not_found"
    assert n.q("packages", as_="amc", seller=o["bank2"]) == []
    n.in_due_diligence(package)
    assert n.q("package", as_="lawfirm", id=package)["package"]["intermediary"] == o["lawfirm"]
    assert [p["id"] for p in n.q("packages", as_="lawfirm", intermediary=o["lawfirm"])] == [package]
    n.due_diligence(package)
    n.ok("exchange", "approve", package=package)
    assert refused(n, "life", "investor1", package=package) == "not_found"
    auction = n.list(package)
    seen = n.q("package", as_="investor1", id=package)
    assert [loan["loan_no"] for loan in seen["loans"]] == nos
    assert n.q("loan", as_="investor1", seller=o["bank2"], loan_no=nos[0])["loan"]["package"] == package
    [summary] = n.q("packages", as_="investor1", status="LISTED")
    assert summary == summary | {"id": package, "auction": auction, "loans": 2, "list_price": PRICES["list_price"]}
    assert n.q("loans", as_="investor1", package=package) == seen["loans"]
    assert refused(n, "loans", "investor1", owner=o["bank2"]) == "unauthorized"
    assert [x["loan_no"] for x in n.q("loans", as_="bank2", owner=o["bank2"])] == nos
    assert refused(n, "packages", "investor1") == "bad_request"


def test_data_room_documents_download_only_after_a_logged_view(n):
    o = n.o
    package, auction = n.listed("english")
    files = n.doc(package, "loan tape")
    [report] = [d["hash"] for d in n.q("documents", as_="regulator", package=package)
                if d["kind"] == "due_diligence"]
    n.bidders(auction, "amc", "investor1")
    # parties read without logging
    for who in ("bank2", "lawfirm", "exchange", "regulator"):
        assert n.q("vault_document", as_=who, hash=files)["hash"] == files
    # a registered bidder only after its logged view, and only what it viewed
    assert refused(n, "vault_document", "amc", hash=files) == "unauthorized"
    n.ok("amc", "view_document", package=package, hash=files)
    assert n.q("vault_document", as_="amc", hash=files)["hash"] == files
    assert refused(n, "vault_document", "amc", hash=report) == "unauthorized"
    assert refused(n, "vault_document", "investor1", hash=files) == "unauthorized"
    assert refused(n, "vault_document", "investor2", hash=files) == "unauthorized"
    # who read what is on the ledger: the seller sees all views, a bidder its own
    assert [(v["org"], v["count"]) for v in n.q("views", as_="bank2", package=package)] == [(o["amc"], 1)]
    n.ok("investor1", "view_document", package=package, hash=report)
    assert len(n.q("views", as_="regulator", package=package)) == 2
    assert [v["org"] for v in n.q("views", as_="investor1", package=package)] == [o["investor1"]]
    # the metadata of the data room is open to members once listed
    everything = {d["hash"] for d in n.q("documents", as_="regulator", package=package)}
    assert len(everything) == 3 and {files, report} < everything  # and the seller's loan files from the draft
    assert {d["hash"] for d in n.q("documents", as_="investor2", package=package)} == everything
    # uploads: the parties and the exchange, never a bidder
    for who in ("bank2", "lawfirm", "exchange"):
        assert n.q("vault_upload", as_=who, subject=package, hash=doc_hash("new")) == {"package": package}
    for who in ("amc", "investor1", "regulator"):
        assert refused(n, "vault_upload", who, subject=package, hash=doc_hash("new")) == "unauthorized"
    assert refused(n, "vault_upload", "bank2", subject="PKG-no-such", hash=doc_hash("new")) == "unauthorized"


def test_deal_documents_are_the_parties_and_the_notice_is_public(n):
    o = n.o
    package, auction = n.paid("amc")
    contract = n.pkg(package)["deal"]["contract_hash"]
    for who in ("bank2", "amc", "exchange", "regulator", "lawfirm"):
        assert n.q("vault_document", as_=who, hash=contract)["kind"] == "contract"
    for who in ("investor1", "investor2"):  # the loser and a stranger: not theirs to know of (not_found)
        assert refused(n, "vault_document", who, hash=contract) == "not_found"
    assert n.q("vault_upload", as_="amc", subject=package, hash=doc_hash("x")) == {"package": package}
    note = n.doc(package, "delivery", kind="delivery")
    n.ok("bank2", "deliver", package=package, delivery_doc_hash=note)
    notice = n.doc(package, "notice", kind="notice")
    assert refused(n, "vault_document", "investor2", hash=notice) == "not_found"  # not yet published
    n.ok("bank2", "publish_notice", package=package, notice_hash=notice)
    assert n.q("vault_document", as_="investor2", hash=notice)["public"] is True
    full = n.q("package", as_="amc", id=package, prove=True)
    assert full["deal"]["winner"] == o["amc"]
    assert {d["hash"] for d in full["documents"]} >= {contract, note, notice}
    # every record shown is proven, and the document list a party's documents come from
    shown = {f"package/{package}", f"docs/{package}"} | {f"doc/{d['hash']}" for d in full["documents"]}
    shown |= {f"loan/{ref}" for ref in full["package"]["loans"]}
    shown |= {f"disposition/{package}/{i + 1:04d}" for i in range(len(full["dispositions"]))}
    assert set(full["proofs"]) == shown
    assert [p["id"] for p in n.q("packages", as_="amc", winner=o["amc"])] == [package]
    assert n.q("document", as_="amc", hash=note)["kind"] == "delivery"
    assert refused(n, "document", "investor1", hash=note) == "not_found"
    assert refused(n, "document", "investor1", hash=doc_hash("nothing")) == "not_found"
    assert auction == full["package"]["auction"]
