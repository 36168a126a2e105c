"""Verified answers against a lying node: `Client.verified` returns only what is proven.

A seeded demo node answers honestly; `LyingProxy` sits between it and the SDK and rewrites
its answers. The client takes headers from `HonestHeaders` (the honest node's own, read
directly: the stand-in for the light client). For every query that takes `prove`:

  * the honest answer verifies, and the record returned equals the chain's values;
  * a value changed in what is shown only (an amount times 100) is refused `not_proven`,
    naming the key and the field with both amounts;
  * another record's proof in place of the one asked for is refused `not_proven`;
  * a listing with an element left out (an ancestor, an invoice of a root, a bid, a
    version, ...) is refused `incomplete`;
  * a genuine answer from 6 blocks ago is refused `stale`, stated exactly.

And, as a property: any single change of any value an answer shows is refused.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faechain.cli.demo import seed_node
from faechain.core.encoding import decode
from faechain.core.genesis import Genesis
from faechain.core.wire import jsonable
from faechain.crypto.suite import get_suite
from faechain.devnet.demo import create_demo
from faechain.node.config import paths
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Client
from faechain.sdk import verified as v
from faechain.sdk.light.client import LightClient
from faechain.sdk.proofs import amount_text
from faechain.sdk.trust import TrustedHeader, VerificationError
from faechain.sdk.unverified import ServingNodeHeaders
from tests.conftest import wallet
from tests.sdk.lying_proxy import HonestHeaders, LyingProxy, forge_penetration, reheader

LAG = 5


@dataclass
class Case:
    reader: str
    contract: str
    method: str
    args: dict[str, Any]
    main: str  # the top-level part of the answer holding the record asked for
    key: str  # its state key
    answer: dict[str, Any] | None = None  # the genuine answer, recorded by the proxy

    @property
    def path(self) -> str:
        return f"/v1/query/{self.contract}/{self.method}"

    def __str__(self) -> str:
        return f"{self.contract}.{self.method}({', '.join(map(str, self.args.values()))}) as {self.reader}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("verified"))
    create_demo(home, free_port())
    nt = NodeThread(home, anonymous_reads=False, heartbeat=3600.0)
    nt.start()
    seed_node(nt.node)
    proxy = LyingProxy(nt.node.url).start()
    yield nt.node, proxy, wallet(home)
    proxy.stop()
    nt.stop()


def _client(demo, reader: str, **kw) -> Client:
    node, proxy, who = demo
    return Client(proxy.url, identity=who(reader), trust=HonestHeaders(node.url, who(reader)), **kw)


@pytest.fixture(scope="module")
def cases(demo) -> list[Case]:
    """One case per query that takes `prove`, read by a member who sees it in full."""
    node, proxy, who = demo
    with Client(node.url, identity=who("regulator")) as c:
        pieces = c.query("receivables", "vouchers", payer=who("core").org_id)
        deepest = max(pieces, key=lambda p: p["tier"])  # a piece with a lineage of two or more
        root = c.query("receivables", "voucher", id=deepest["id"])["root"]
        [plan] = c.query("plans", "plans", status="OUTSTANDING")
        [product] = c.query("products", "products", originator=who("factor").org_id)
        [package] = c.query("npa", "packages", seller=who("bank2").org_id)
        loan = c.query("npa", "package", id=package["id"])["loans"][0]
    assert deepest["tier"] >= 3
    reg = "regulator"
    return [
        Case(reg, "receivables", "voucher", {"id": deepest["id"]}, "voucher", f"receivables/voucher/{deepest['id']}"),
        Case(reg, "receivables", "invoice", {"id": root["invoices"][0]}, "invoice",
             f"receivables/invoice/{root['invoices'][0]}"),
        Case(reg, "receivables", "credit", {"core": root["payer"]}, "open", f"receivables/core/{root['payer']}"),
        Case(reg, "plans", "plan", {"id": plan["id"]}, "plan", f"plans/plan/{plan['id']}"),
        Case("investor1", "plans", "penetrate", {"plan": plan["id"]}, "plan", f"plans/plan/{plan['id']}"),
        Case(reg, "products", "product", {"id": product["id"]}, "product", f"products/product/{product['id']}"),
        Case(reg, "auctions", "auction", {"id": package["auction"]}, "auction",
             f"auctions/auction/{package['auction']}"),
        Case(reg, "npa", "package", {"id": package["id"]}, "package", f"npa/package/{package['id']}"),
        Case(reg, "npa", "loan", {"seller": loan["seller"], "loan_no": loan["loan_no"]}, "loan",
             f"npa/loan/{loan['seller']}/{loan['loan_no']}"),
        Case(reg, "npa", "life", {"package": package["id"]}, "package", f"npa/package/{package['id']}"),
    ]


def _chain_value(demo, key: str, height: int) -> Any:
    """What the honest node's state holds at `key` (read directly, not through the proxy)."""
    node, _, who = demo
    doc = Client(node.url, identity=who("regulator")).state(key, height)
    return None if doc["value"] is None else jsonable(decode(bytes.fromhex(doc["value"])))


def _refused(demo, case: Case, code: str, **kw) -> VerificationError:
    with _client(demo, case.reader, **kw) as c, pytest.raises(VerificationError) as info:
        c.verified(case.contract, case.method, **case.args)
    assert info.value.code == code, f"{case}: {info.value.code}: {info.value.message}"
    return info.value


def _main(result: dict[str, Any], case: Case) -> Any:
    """The record asked for, as the answer shows it (penetrate wraps it in an element)."""
    part = result[case.main]
    return part["value"] if case.method == "penetrate" else part


RECORD = {"voucher": "voucher", "invoice": "invoice", "credit": "record", "plan": "plan", "product": "product",
          "auction": "auction", "package": "package", "loan": "loan", "life": "package"}


def _record_of(verified: Any, case: Case) -> Any:
    """The record asked for, as the verified answer holds it."""
    return verified.tree["plan"] if case.method == "penetrate" else getattr(verified, RECORD[case.method])


# -- honest answers --------------------------------------------------------------------------------------------


def test_honest_answers_verify_and_equal_the_chain(demo, cases):
    _, proxy, _ = demo
    proxy.honest()
    for case in cases:
        with _client(demo, case.reader) as c:
            record = c.verified(case.contract, case.method, **case.args)
        case.answer = copy.deepcopy(proxy.answers[case.path])
        h = record.height
        assert record.header.height == h == case.answer["height"]
        assert _record_of(record, case) == _chain_value(demo, case.key, h), case
    by = {c.method: c for c in cases}
    with _client(demo, "regulator") as c:
        piece = c.verified("receivables", "voucher", **by["voucher"].args)
        life = c.verified("npa", "life", **by["life"].args)
        invoice = c.verified("receivables", "invoice", **by["invoice"].args)
    h = piece.height
    assert [a["id"] for a in piece.ancestors][0] == piece.voucher["root"] and len(piece.ancestors) >= 2
    assert piece.ancestors == [_chain_value(demo, f"receivables/voucher/{a['id']}", h) for a in piece.ancestors]
    assert piece.root == _chain_value(demo, f"receivables/root/{piece.voucher['root']}", h)
    assert piece.history[-1].value == piece.voucher and len(piece.history) >= 2
    for version in piece.history:
        assert version.value == _chain_value(demo, by["voucher"].key, version.height)
    for version in life.versions:
        assert version.value == _chain_value(demo, life_key(life), version.height)
    assert life.documents_complete and [a["id"] for a in life.auctions] == [by["auction"].args["id"]]
    drawn = [amount for r in invoice.roots if r["status"] != "CANCELLED"
             for inv, amount in r["invoice_refs"] if inv == invoice.id]
    assert invoice.roots and sum(drawn) == invoice.invoice["drawn"]
    assert invoice.undrawn == invoice.invoice["amount"] - invoice.invoice["drawn"]


def life_key(life: v.VerifiedLife) -> str:
    return f"npa/package/{life.id}"


def test_views_follow_the_reader(demo, cases):
    """A holder gets the holder's view of a plan; a member with no part in a package is shown
    its data room, each document proven, and is told that completeness is not proven."""
    by = {c.method: c for c in cases}
    with _client(demo, "investor2") as c:
        held = c.verified("plans", "plan", **by["plan"].args)
        outside = c.verified("npa", "package", **by["package"].args)
    assert held.view == "holder" and held.documents is None and len(held.holdings or []) == 1
    assert not outside.documents_complete and all(d["data_room"] or d["public"] for d in outside.documents)
    with _client(demo, "regulator") as c:
        full = c.verified("npa", "package", **by["package"].args)
    assert full.documents_complete and len(full.documents) > len(outside.documents)


def test_narrowed_views_verify_as_far_as_they_go(demo, cases):
    """docs/confidentiality.md: a bank is shown (and proven) its own line to a core, not the core's
    total; a qualified investor outside a plan its disclosures, each proven, not the plan record;
    a voucher's first holder the pieces it may read below it, each proven — none claiming more."""
    node, _, who = demo
    by = {c.method: c for c in cases}
    core2 = who("core2").org_id
    with _client(demo, "bank2") as c:
        line = c.verified("receivables", "credit", core=core2)
    assert not line.complete and [x["bank"] for x in line.lines] == [who("bank2").org_id] and line.record is None
    with _client(demo, "core2") as c:
        whole = c.verified("receivables", "credit", core=core2)
    assert whole.complete and len(whole.lines) >= len(line.lines) and whole.record is not None
    with _client(demo, "investor3") as c:
        offered = c.verified("plans", "plan", **by["plan"].args)
    assert offered.view == "offered" and offered.plan is None and not offered.disclosures_complete
    assert offered.disclosures and all(d["plan"] == by["plan"].args["id"] for d in offered.disclosures)
    root = by["voucher"].answer["result"]["root"]["id"] if by["voucher"].answer else None
    with Client(node.url, identity=who("regulator")) as c:
        root = root or c.query("receivables", "voucher", id=by["voucher"].args["id"])["root"]["id"]
    with _client(demo, "supplier1") as c:
        mine = c.verified("receivables", "voucher", id=root)
    with _client(demo, "regulator") as c:
        everything = c.verified("receivables", "voucher", id=root)
    assert everything.descendants_complete and not mine.descendants_complete
    assert 0 < len(mine.descendants) < len(everything.descendants)
    assert all(who("supplier1").org_id in (d["holder"], d["from"]) for d in mine.descendants)


# -- lies ------------------------------------------------------------------------------------------------------


def test_a_voucher_amount_times_100_is_refused_naming_both_amounts(demo, cases):
    _, proxy, _ = demo
    case = cases[0]
    amount = _chain_value(demo, case.key, case.answer["height"])["amount"]

    def times_100(path, doc):
        doc["result"]["voucher"]["amount"] *= 100
        return doc

    proxy.honest()
    proxy.lie(times_100)
    try:
        err = _refused(demo, case, "not_proven")
        assert err.message == (f"{case.key}: the amount shown ({amount_text(amount * 100)}) differs from the value "
                               f"proven ({amount_text(amount)})")
        # verify_query_proofs only checks the proofs, and says so: the lie passes it
        with _client(demo, case.reader) as c:
            shown = c.query("receivables", "voucher", prove=True, **case.args)
            assert shown["voucher"]["amount"] == amount * 100 and c.verify_query_proofs(shown)
    finally:
        proxy.honest()


def _first_number(value: Any, path: tuple = ()) -> tuple | None:
    """The path of the first integer (not a bool, not a height) in `value`, depth first by sorted key."""
    if type(value) is int and path[-1:] != ("height",):
        return path
    if type(value) is dict:
        for k in sorted(value):
            found = _first_number(value[k], (*path, k))
            if found:
                return found
    if type(value) is list:
        for i, x in enumerate(value):
            found = _first_number(x, (*path, i))
            if found:
                return found
    return None


def _at(doc: Any, path: tuple) -> Any:
    for p in path[:-1]:
        doc = doc[p]
    return doc


def test_a_shown_value_forged_alone_is_refused_for_every_query(demo, cases):
    _, proxy, _ = demo
    for case in cases:
        def forge(path, doc, case=case):
            if path == case.path:
                record = _main(doc["result"], case)
                if type(record) is int:
                    doc["result"][case.main] = record * 100 + 1
                else:
                    where = _first_number(record)
                    _at(record, where)[where[-1]] = _at(record, where)[where[-1]] * 100 + 1
            return doc

        proxy.honest()
        proxy.lie(forge)
        err = _refused(demo, case, "not_proven")
        assert case.key in err.message and "shown" in err.message and "differs from the value proven" in err.message
    proxy.honest()


def test_another_records_proof_is_refused_for_every_query(demo, cases):
    node, proxy, who = demo
    honest = Client(node.url, identity=who("regulator"))
    other_key = f"membership/org/{who('investor4').org_id}"
    for case in cases:
        for rekey in (False, True):  # the other proof as it is, or relabelled with the key asked for
            def swap(path, doc, case=case, rekey=rekey):
                if path != case.path:
                    return doc
                other = honest.state(other_key, doc["height"], prove=True)
                other = {"key": other["key_hex"], **{k: other[k] for k in ("value", "height", "app_hash", "proof")}}
                if rekey:
                    other["key"] = case.key.encode().hex()
                result = doc["result"]
                if case.method == "penetrate":
                    result["plan"]["proof"] = other
                else:
                    [name] = [n for n, p in result["proofs"].items() if bytes.fromhex(p["key"]).decode() == case.key]
                    result["proofs"][name] = other
                return doc

            proxy.honest()
            proxy.lie(swap)
            err = _refused(demo, case, "not_proven")
            assert case.key in err.message, err.message
            assert ("does not verify" if rekey else "no proof" if case.method != "penetrate" else "instead") \
                in err.message, err.message
    proxy.honest()


def test_another_voucher_proof_for_the_one_asked_is_refused(demo, cases):
    """The proof of the piece's parent (a genuine proof, in the same answer) under the piece's name."""
    _, proxy, _ = demo
    case = cases[0]

    def swap(path, doc):
        proofs = doc["result"]["proofs"]
        parent = doc["result"]["ancestors"][-1]["id"]
        proofs[f"voucher/{case.args['id']}"] = proofs[f"voucher/{parent}"]
        return doc

    proxy.honest()
    proxy.lie(swap)
    try:
        err = _refused(demo, case, "not_proven")
        assert err.message == f"{case.key}: the answer carries no proof of it"
    finally:
        proxy.honest()


# the listings each query claims complete, and a lie that leaves one element out
DROPS = {
    "voucher": [("an ancestor", lambda r: r["ancestors"].pop(0), "in the lineage the proven parents name"),
                ("a version", lambda r: r["history"].pop(0), "the history shown leaves out a version")],
    "invoice": [("a root", lambda r: r["roots"].pop(), "a root is left out")],
    "credit": [("a credit line", lambda r: r["lines"].pop(), "lines: 0 shown, 1 in the banks")],
    "plan": [("a disclosure", lambda r: r["disclosures"].pop(), "disclosures: "),
             ("a document", lambda r: r["documents"].pop(), "documents: ")],
    "penetrate": [("an invoice of a root", lambda r: r["assets"][0]["invoices"].pop(), "invoices: 1 shown")],
    "product": [("a distribution", lambda r: r["distributions"].pop(), "distributions: 0 shown, 1 in")],
    "auction": [("a bid", lambda r: r["bids"].pop(), "bids: ")],
    "package": [("a loan", lambda r: r["loans"].pop(), "loans: 2 shown, 3 in")],
    "loan": [("the latest version", lambda r: r["versions"].pop(), "a later version is left out")],
    "life": [("a version of the package", lambda r: r["versions"].pop(2), "leaves out a version"),
             ("a loan's version", lambda r: r["loans"][0]["versions"].pop(), "a later version is left out")],
}


def test_a_listing_with_an_element_left_out_is_refused_for_every_query(demo, cases):
    _, proxy, _ = demo
    for case in cases:
        for what, drop, says in DROPS[case.method]:
            def lie(path, doc, case=case, drop=drop):
                if path == case.path:
                    drop(doc["result"])
                return doc

            proxy.honest()
            proxy.lie(lie)
            err = _refused(demo, case, "incomplete")
            assert says in err.message, f"{case}, {what}: {err.message}"
    proxy.honest()


def test_an_ancestor_left_out_with_its_proof_is_refused(demo, cases):
    _, proxy, _ = demo
    case = cases[0]

    def lie(path, doc):
        result = doc["result"]
        gone = result["ancestors"].pop(0)["id"]  # the root piece
        del result["proofs"][f"voucher/{gone}"]
        return doc

    proxy.honest()
    proxy.lie(lie)
    try:
        err = _refused(demo, case, "incomplete")
        assert "(its parent) names it, and the answer carries no proof of it" in err.message
    finally:
        proxy.honest()


def test_an_invoice_left_out_of_a_root_is_refused(demo, cases):
    """The root's own invoice list, as the voucher answer shows it."""
    _, proxy, _ = demo
    case = cases[0]

    def lie(path, doc):
        doc["result"]["root"]["invoices"].pop()
        return doc

    proxy.honest()
    proxy.lie(lie)
    try:
        err = _refused(demo, case, "not_proven")
        assert err.message.startswith("receivables/root/") and "the invoices shown" in err.message
    finally:
        proxy.honest()


# -- freshness ---------------------------------------------------------------------------------------------------


def _advance(demo, blocks: int) -> None:
    node, _, who = demo
    with Client(node.url, identity=who("exchange")) as c:
        for n in range(blocks):
            r = c.submit(None, "membership", "set_attributes", org_id=who("investor4").org_id,
                         attributes={"qualified": True, "round": n})
            assert r.ok, r


def test_a_genuine_but_stale_answer_is_refused_stated_exactly(demo, cases):
    node, proxy, who = demo
    proxy.honest()
    for case in cases:
        with _client(demo, case.reader) as c:
            c.verified(case.contract, case.method, **case.args)
        case.answer = copy.deepcopy(proxy.answers[case.path])
    _advance(demo, LAG + 1)
    latest = HonestHeaders(node.url, who("regulator")).latest().height
    for case in cases:
        proxy.honest()
        proxy.replay(case.path, case.answer)
        err = _refused(demo, case, "stale")
        h = case.answer["height"]
        assert err.message == (f"the answer is at height {h}, {latest - h} blocks behind the latest signed header "
                               f"({latest}); the limit is {LAG}")
        with _client(demo, case.reader) as c:  # asked for that height, the same answer is what was asked
            assert c.verified(case.contract, case.method, _height=h, **case.args).height == h
    proxy.honest()


def test_an_answer_older_in_block_time_than_the_limit_is_refused(demo, cases):
    node, proxy, who = demo
    case = cases[0]
    proxy.honest()
    with _client(demo, case.reader) as c:
        c.verified(case.contract, case.method, **case.args)
        old = copy.deepcopy(proxy.answers[case.path])
    with Client(node.url, identity=who("exchange")) as dev:
        dev.advance_time(120)
    _advance(demo, 1)
    proxy.replay(case.path, old)
    try:
        err = _refused(demo, case, "stale", max_lag_blocks=1000, max_lag_seconds=60)
        assert err.message.startswith(f"the answer is at height {old['height']}, ") and \
            "s of block time behind the latest signed header" in err.message and err.message.endswith(
                "; the limit is 60 s")
    finally:
        proxy.honest()


def test_without_a_trust_nothing_claims_verification(demo, cases):
    node, _, who = demo
    with Client(node.url, identity=who("regulator")) as c:
        for call in (lambda: c.verified("receivables", "voucher", **cases[0].args),
                     lambda: c.prove(cases[0].key),
                     lambda: c.penetrate(cases[4].args["plan"]),
                     lambda: c.verify_query_proofs(c.query("receivables", "voucher", prove=True, **cases[0].args))):
            with pytest.raises(VerificationError) as info:
                call()
            assert info.value.code == "untrusted"
            assert info.value.message == "no trusted header source: pass Client(trust=...)"
    with _client(demo, "regulator") as c, pytest.raises(VerificationError) as info:
        c.verified("receivables", "vouchers", holder=who("supplier1").org_id)
    assert info.value.code == "untrusted" and "has no verifier" in info.value.message


# -- the property: any single change of a value shown is refused ---------------------------------------------------


class Recorded:
    """The genuine answers and every header they need, for checking offline."""

    def __init__(self, demo, cases):
        node, proxy, who = demo
        proxy.honest()
        self.hasher = get_suite(node.app.suite.name).hash
        self.items: list[tuple[Case, dict[str, Any], TrustedHeader, dict[int, TrustedHeader]]] = []
        for case in cases:
            trust = HonestHeaders(node.url, who(case.reader))
            with Client(proxy.url, identity=who(case.reader), trust=trust) as c:
                c.verified(case.contract, case.method, **case.args)
            answer = copy.deepcopy(proxy.answers[case.path])
            headers = {h: trust.trusted(h) for h in set(trust.asked)}
            self.items.append((case, answer, trust.trusted(answer["height"]), headers))
        self.readers = {c.reader: who(c.reader) for c in cases}

    def check(self, i: int, answer: dict[str, Any]) -> Any:
        case, _, header, headers = self.items[i]
        ident = self.readers[case.reader]
        return v.verify(case.contract, case.method, answer, case.args, header, self.hasher,
                        reader=v.Reader(ident.org_id, ident.role), headers=headers.__getitem__)


@pytest.fixture(scope="module")
def recorded(demo, cases) -> Recorded:
    return Recorded(demo, cases)


def _shown_leaves(value: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every value an answer shows (not the proofs it carries)."""
    if type(value) is dict:
        out = []
        for k, x in value.items():
            if k in ("proofs", "proof", "before"):
                continue
            out.extend(_shown_leaves(x, (*path, k)))
        return out or [path]
    if type(value) is list:
        out = [p for i, x in enumerate(value) for p in _shown_leaves(x, (*path, i))]
        return out or [path]
    return [path]


def _changed(value: Any, n: int) -> Any:
    if type(value) is bool:
        return not value
    if type(value) is int:
        return value + n
    if type(value) is str:
        return value + "x" if n % 2 else value[:-1]
    if value is None:
        return n
    if type(value) is list:
        return value + [n]
    if type(value) is dict:
        return dict(value, forged=n)
    return [value]


def test_the_recorded_answers_verify_offline(recorded):
    for i, (_, answer, _, _) in enumerate(recorded.items):
        recorded.check(i, copy.deepcopy(answer))


@given(data=st.data())
def test_any_single_change_of_a_shown_value_is_refused(recorded, data):
    i = data.draw(st.integers(0, len(recorded.items) - 1), label="query")
    case, answer, _, _ = recorded.items[i]
    answer = copy.deepcopy(answer)
    leaves = _shown_leaves(answer["result"])
    path = data.draw(st.sampled_from(leaves), label="path")
    n = data.draw(st.integers(1, 10**6), label="by")
    if path:
        parent = _at(answer["result"], path)
        before = parent[path[-1]]
        parent[path[-1]] = _changed(before, n)
        if parent[path[-1]] == before:
            return
    else:
        answer["result"]["forged"] = n
    with pytest.raises(VerificationError) as info:
        recorded.check(i, answer)
    assert info.value.code in ("not_proven", "incomplete"), (case, path, info.value.message)


def test_a_consistent_forgery_of_value_proofs_app_hash_and_header_fails_only_on_the_signature(demo, cases):
    """The strongest lie a node can tell without the signing key: a voucher's amount ×100 in
    a plan's penetration, every proof recomputed against the state root that lie gives, and
    that root put into the block's header (rehashed) on every route that shows it. Believing
    the node's headers, it verifies; the light client refuses it on the block signer's
    signature and names that."""
    node, proxy, who = demo
    case = next(c for c in cases if c.method == "penetrate")
    genesis = Genesis.load(paths(node.home)["genesis"])
    with Client(node.url, identity=who(case.reader)) as honest:
        height = honest.head_height()
        answer = honest._query_answer("plans", "penetrate", dict(case.args, prove=True), None, height)
    root = forge_penetration(node, answer["result"])

    def forged_headers(path: str, doc: dict) -> dict:
        if path == f"/v1/light/{height}":
            return reheader(doc, node.app.hash, app_hash=root)
        if path in (f"/v1/blocks/{height}", "/v1/blocks/latest"):
            doc["header"]["app_hash"] = root.hex()
        return doc

    proxy.honest()
    proxy.replay(case.path, answer)
    proxy.lie_about_headers(forged_headers)
    try:
        with Client(proxy.url, identity=who(case.reader)) as c:
            c.trust = ServingNodeHeaders(c)  # believing the node: the lie is self-consistent and passes
            believed = c.penetrate(**case.args)
            assert believed.ok, believed.problems[:3]
            shown = next(a["voucher"] for a in believed.tree["assets"] if a.get("voucher"))
            assert shown["amount"] % 100 == 0
            c.trust = LightClient(genesis, c)  # by signature, from the member's own genesis
            with pytest.raises(VerificationError) as info:
                c.penetrate(**case.args)
        assert info.value.code == "bad_header", info.value
        assert "signature does not verify" in info.value.message and f"block {height}" in info.value.message
    finally:
        proxy.honest()
