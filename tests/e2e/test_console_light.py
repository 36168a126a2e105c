"""The console's in-browser light client (faechain/console/static/{light,cometbft,proto,genesis,
trust}.js), in the real browser (headless Chromium through Playwright, as
tests/e2e/test_console_browser.py drives it, whose fixtures this module reuses).

Two halves:

  * **the JavaScript against the Python light client, on shared vectors**: real CometBFT
    blocks (tests/sdk/vectors/cometbft_light_blocks.json, captured from a 4-validator
    localnet), signed chains made here with `faechain.sdk.light.synthetic` (validator sets
    replaced, trust-level and 2/3 boundaries, double votes, bisection, backwards), and a
    solo node's signed headers — each genuine and forged. Python computes the outcome
    (`faechain.sdk.light`), the browser computes it (WebCrypto SHA-256 and Ed25519), and
    the two must agree: the same verdict, the same trace, the same message naming what
    failed;
  * **the console, honest and lied to**: on an honest demo node the penetration view and the
    explorer show "verified" with what it rests on (the block signer genesis declares, the
    pinned genesis); a lying node — the harness rewrites what the node serves on its way to
    the browser (Playwright's `route`, a proxy inside the browser) — that forges the header,
    re-signs it with another key, or forges a value, its proof, the app hash and the header
    all consistently, is refused with the failure named; a node whose genesis changes after
    the browser pinned it is refused loudly.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import cbor2
import pytest
from test_console_browser import ORG, browser, node, tab, who  # noqa: F401 - fixtures

from faechain.core.block import Header, header_signing_bytes
from faechain.core.encoding import encode
from faechain.core.genesis import Genesis
from faechain.crypto.suite import get_suite
from faechain.engines.solo import HeaderSigner
from faechain.identity.wallet import Identity
from faechain.node.config import paths
from faechain.sdk import Client, VerificationError
from faechain.sdk.light.client import LightClient
from faechain.sdk.light.cometbft import (
    DEFAULT_TRUSTING_PERIOD_S,
    LightBlock,
    SignedHeader,
    ValidatorSet,
    light_block_to_json,
    trust_genesis,
    trusted_header,
    verify_adjacent,
    verify_non_adjacent,
    verify_to,
)
from faechain.sdk.light.solo import verify_solo
from faechain.sdk.light.synthetic import Signer, SyntheticChain, private_key, public_bytes, sign_commit
from faechain.sdk.penetration import verify as verify_penetration
from tests.sdk.light_support import (
    flip_app_hash,
    keep_signatures,
    load_vectors,
    other_validator_set,
    outsider_signs,
    vector_block,
)
from tests.sdk.lying_proxy import forge_penetration
from tests.sdk.lying_proxy import reheader as shared_reheader

pytestmark = pytest.mark.browser

SHA = get_suite("ed25519")
DAY = 86_400.0
T0 = 1_790_000_000 * 1_000_000_000  # a synthetic chain's genesis time (ns)


# -- the harness: one case, computed by Python and by the browser ------------------------------------
@dataclass
class Case:
    name: str
    op: dict  # what the browser runs (JSON)
    expect: dict  # what Python gave: {"ok": True, "value": ...} or {"ok": False, "code", "message"}
    prefix: bool = False  # messages compared up to " (": they quote an exception text of each language


def outcome(run: Callable[[], Any]) -> dict:
    try:
        value = run()
    except VerificationError as exc:
        return {"ok": False, "code": exc.code, "message": exc.message}
    return {"ok": True, "value": value}


def lbj(lb: LightBlock) -> dict:
    return light_block_to_json(lb)


def level(trust_level: Fraction) -> list[int]:
    return [trust_level.numerator, trust_level.denominator]


def adjacent(name: str, trusted: LightBlock, untrusted: LightBlock, now_ms: int, period_s: float = DAY,
             drift_s: float = 10.0) -> Case:
    return Case(name, {"op": "adjacent", "trusted": lbj(trusted), "untrusted": lbj(untrusted), "period_s": period_s,
                       "now_ms": now_ms, "drift_s": drift_s},
                outcome(lambda: str(verify_adjacent(trusted, untrusted, period_s, now_ms, drift_s))))


def non_adjacent(name: str, trusted: LightBlock, untrusted: LightBlock, now_ms: int, period_s: float = DAY,
                 drift_s: float = 10.0, trust_level: Fraction = Fraction(1, 3)) -> Case:
    return Case(name, {"op": "non_adjacent", "trusted": lbj(trusted), "untrusted": lbj(untrusted),
                       "period_s": period_s, "now_ms": now_ms, "drift_s": drift_s, "trust_level": level(trust_level)},
                outcome(lambda: str(verify_non_adjacent(trusted, untrusted, period_s, now_ms, drift_s, trust_level))))


def verified_to(name: str, trusted: LightBlock, target: int, fetch: Callable[[int], LightBlock], now_ms: int,
                period_s: float = DEFAULT_TRUSTING_PERIOD_S, trust_level: Fraction = Fraction(1, 3)) -> Case:
    """verify_to, with exactly the light blocks Python fetched handed to the browser (any
    other height it asks for is a disagreement)."""
    asked: dict[int, LightBlock] = {}

    def recording(h: int) -> LightBlock:
        asked[h] = fetch(h)
        return asked[h]

    def run() -> dict:
        block, trace = verify_to(trusted, target, recording, now_ms=now_ms, trusting_period_s=period_s,
                                 trust_level=trust_level)
        return {"height": block.height, "hash": block.hash().hex().upper(), "trace": [b.height for b in trace]}

    expect = outcome(run)
    return Case(name, {"op": "verify_to", "trusted": lbj(trusted), "target": target, "now_ms": now_ms,
                       "period_s": period_s, "trust_level": level(trust_level),
                       "blocks": {str(h): lbj(lb) for h, lb in asked.items()}}, expect)


# the browser's half: a function expression evaluated in a console page (page.evaluate)
with open(os.path.join(os.path.dirname(__file__), "console_light_harness.js"), encoding="utf-8") as _f:
    JS_HARNESS = "\n".join(line for line in _f.read().splitlines() if not line.startswith("//"))


@pytest.fixture(scope="module")
def js(browser, node):  # noqa: F811 - the fixtures imported above
    """run(cases): each case's outcome as computed in the browser, on a page of the console's origin."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(node.url + "/")

    def run(cases: list[Case]) -> list[dict]:
        return page.evaluate(JS_HARNESS, [c.op for c in cases])

    yield run
    assert not errors, errors
    context.close()


def assert_agree(js, cases: list[Case]) -> None:
    got = js(cases)
    for case, result in zip(cases, got, strict=True):
        want = case.expect
        if case.prefix and not want["ok"] and not result["ok"]:
            want = {**want, "message": want["message"].split(" (")[0]}
            result = {**result, "message": result["message"].split(" (")[0]}
        assert result == want, f"{case.name}: the browser gave {result}, Python {want}"


# -- CometBFT: real blocks of a 4-validator localnet ---------------------------------------------------
def test_real_cometbft_blocks_and_their_forgeries_agree(js):
    vectors = load_vectors()
    real = {role: vector_block(vectors, h) for role, h in vectors["heights"].items()}
    blocks = {int(h): vector_block(vectors, int(h)) for h in vectors["blocks"]}
    first, trusted, nxt, far = real["first"], real["trusted"], real["adjacent"], real["far"]
    now = far.header.time_ms + 1_000
    cases = [Case(f"hashes {h}", {"op": "hashes", "block": lbj(lb)},
                  {"ok": True, "value": {"hash": vectors["blocks"][str(h)]["block_id_hash"],
                                         "validators_hash": lb.validator_set.hash().hex().upper()}})
             for h, lb in blocks.items()]
    outsider = private_key("not a validator")
    for kind, check, block in (("adjacent", adjacent, nxt), ("skipping", non_adjacent, far)):
        expired_at = trusted.header.time_ms + int(DAY * 1000) + 1
        cases += [
            check(f"{kind}: genuine", trusted, block, now),
            check(f"{kind}: app hash changed", trusted, flip_app_hash(block), now),
            check(f"{kind}: two of four signatures", trusted, keep_signatures(block, 2), now),
            check(f"{kind}: an outsider signs", trusted, outsider_signs(block, 0, outsider), now),
            check(f"{kind}: an outsider in a validator's slot", trusted,
                  outsider_signs(block, 0, outsider, claim_slot=True), now),
            check(f"{kind}: another validator set", trusted, other_validator_set(block), now),
            check(f"{kind}: just inside the trusting period", trusted, block, expired_at - 2),
            check(f"{kind}: past the trusting period", trusted, block, expired_at),
            check(f"{kind}: from the future", trusted, block, block.header.time_ms - 11_000),
        ]
    genesis = ValidatorSet.of([(base64.b64decode(k), vectors["genesis_power"]) for k in vectors["genesis_validators"]])
    strangers = ValidatorSet.of([(public_bytes(private_key(f"s{i}")), 10) for i in range(4)])
    all_blocks = {str(h): lbj(lb) for h, lb in blocks.items()}

    def from_genesis(chain_id: str, vals: ValidatorSet) -> Case:
        def run() -> dict:
            lb = trust_genesis(chain_id, vals, blocks.__getitem__)
            return {"height": lb.height, "hash": lb.hash().hex().upper()}

        return Case(f"from genesis, chain {chain_id}", {
            "op": "trust_genesis", "chain_id": chain_id, "blocks": all_blocks,
            "validators": [[base64.b64encode(v.pub_key).decode(), v.voting_power] for v in vals.validators]},
            outcome(run))

    cases += [
        from_genesis(vectors["chain_id"], genesis), from_genesis("another-chain", genesis),
        from_genesis(vectors["chain_id"], strangers),
        verified_to("genesis to far", first, far.height, blocks.__getitem__, now),
    ]
    for after in (nxt, first):
        def run(after=after) -> dict:
            t = trusted_header(after, chain_id=vectors["chain_id"])
            return {"height": t.height, "app_hash": t.app_hash.hex(), "time_ms": t.time_ms, "basis": t.basis}

        cases.append(Case(f"faechain block under header {after.height}",
                          {"op": "trusted_header", "after": lbj(after), "chain_id": vectors["chain_id"]}, outcome(run)))
    assert cases[-2].expect["value"]["app_hash"] == vectors["blocks"][str(nxt.height)][
        "faechain_app_hash_after_previous"]
    refused = [c for c in cases if not c.expect["ok"]]
    assert len(refused) >= 15  # the forgeries are refused in Python: the comparison below covers both verdicts
    assert_agree(js, cases)


# -- CometBFT: synthetic chains (keys held here) ---------------------------------------------------------
def signers(prefix: str, n: int = 4, power: int = 10) -> list[Signer]:
    return [Signer(private_key(f"{prefix}{i}"), power) for i in range(n)]


def chain(schedule, chain_id: str = "synthetic", **kw) -> SyntheticChain:
    return SyntheticChain(chain_id, schedule, genesis_time_ns=T0, **kw)


def now_after(c: SyntheticChain, h: int) -> int:
    return c.header(h).time_ms + 1_000


def test_synthetic_chains_agree_on_bisection_bounds_and_refusals(js):
    cases: list[Case] = []
    # validator sets replaced wholesale every 100 heights: bisection must find every hand-over
    sets = [signers(p) for p in "ABCD"]
    wholesale = chain(lambda h: sets[min((h - 1) // 100, 3)])
    cases.append(verified_to("sets replaced wholesale", wholesale(1), 400, wholesale, now_after(wholesale, 400)))
    cases.append(non_adjacent("a far header of another set", wholesale(1), wholesale(150), now_after(wholesale, 400)))
    # one validator of four replaced every 10 heights (uneven powers): a few skips
    pool = [Signer(private_key(f"g{i}"), 10 + i % 3) for i in range(44)]
    gradual = chain(lambda h: pool[(h - 1) // 10:(h - 1) // 10 + 4])
    cases.append(verified_to("sets changing gradually", gradual(1), 400, gradual, now_after(gradual, 400)))
    steady_keys = signers("S")
    steady = chain(lambda h: steady_keys)
    cases.append(verified_to("one step when the set never changes", steady(1), 2_000, steady, now_after(steady, 2_000)))
    # the trust level and 2/3 are strict bounds
    old = signers("T", 3)
    new = [old[0], *signers("N", 2)]
    bounds = chain(lambda h: old if h < 50 else new)
    cases.append(non_adjacent("exactly 1/3 of the trusted power", bounds(1), bounds(60), now_after(bounds, 60)))
    short = chain(lambda h: old, absent_at=lambda h: {2} if h == 7 else ())
    cases += [
        non_adjacent("exactly 2/3 of its own power", short(1), short(7), now_after(short, 7)),
        non_adjacent("trust level 2/3", short(1), short(8), now_after(short, 8), trust_level=Fraction(2, 3)),
        non_adjacent("trust level 1 is never met", short(1), short(8), now_after(short, 8), trust_level=Fraction(1)),
    ]
    # a validator counted twice; another chain; a stalled clock; a commit of another height
    keys = signers("D")
    c = chain(lambda h: keys)
    lb = c(9)
    sigs = list(lb.commit.signatures)
    sigs[1] = sigs[0]
    twice = dataclasses.replace(lb, signed_header=SignedHeader(
        lb.header, dataclasses.replace(lb.commit, signatures=tuple(sigs))))
    other = chain(lambda h: keys, "chain-b")
    stalled = chain(lambda h: keys, block_interval_ns=0)
    swapped = dataclasses.replace(c(4), signed_header=SignedHeader(c(4).header, c(3).commit))
    slots = dataclasses.replace(c(3), signed_header=SignedHeader(c(3).header, dataclasses.replace(
        c(3).commit, signatures=c(3).commit.signatures[:3])))
    three = {s.validator.address: s.key for s in keys[:3]}
    resigned = LightBlock(SignedHeader(c(3).header, sign_commit(c(3).header, c(3).validator_set, three)),
                          c(3).validator_set)
    now = now_after(c, 20)
    cases += [
        non_adjacent("a validator counted twice", c(1), twice, now),
        adjacent("a header of another chain", c(1), other(2), now),
        adjacent("a stalled clock", stalled(1), stalled(2), now),
        adjacent("the commit of another height", c(3), swapped, now),
        adjacent("fewer signature slots than validators", c(2), slots, now),
        adjacent("re-signed by three of four", c(2), resigned, now),
        verified_to("the node answers another height", c(1), 5, lambda h: c(h - 1), now),
        verified_to("no block 0", c(3), 0, c, now),
    ]
    # a forged pivot fails bisection, naming its height
    pq = [signers("P"), signers("Q")]
    split = chain(lambda h: pq[0] if h <= 100 else pq[1])
    pivot = 1 + (200 - 1) * 9 // 16
    cases.append(verified_to("a forged pivot", split(1), 200,
                             lambda h: flip_app_hash(split(h)) if h == pivot else split(h), now_after(split, 200)))
    # backwards: the chain of header hashes down from a trusted block
    back_keys = signers("B")
    back = chain(lambda h: back_keys)
    now = now_after(back, 50)
    cases += [
        verified_to("backwards", back(50), 40, back, now),
        verified_to("backwards past a forged header", back(50), 40,
                    lambda h: flip_app_hash(back(h)) if h == 45 else back(h), now),
        verified_to("backwards from an expired block", back(50), 40, back,
                    back.header(50).time_ms + int(DAY * 1000) + 1, period_s=DAY),
    ]
    verdicts = {c.name: c.expect["ok"] for c in cases}
    assert verdicts["sets replaced wholesale"] and not verdicts["a forged pivot"]
    assert len(cases[0].expect["value"]["trace"]) > 4  # it did bisect
    assert_agree(js, cases)


def relay_doc(c: SyntheticChain, height: int) -> dict:
    """What GET /v1/light/{height} answers on a CometBFT node: light block height + 1."""
    lb = light_block_to_json(c(height + 1))
    return {"engine": "cometbft", "height": height, "commit": {"signed_header": lb["signed_header"]},
            "validators": {"validators": lb["validator_set"]["validators"]}}


def test_the_light_client_agrees_from_genesis_through_a_relay(js):
    """LightClient.trusted(h) as the console uses it (genesis's validators, the node's relay of
    light block h + 1, its own memory of verified blocks), against faechain.sdk's LightClient:
    forward across validator sets, back below what it verified, and a forged relay."""
    sets = [signers(p) for p in "EFG"]
    c = chain(lambda h: sets[min((h - 1) // 60, 2)], "fae-relay")
    head = 170
    genesis = Genesis(chain_id="fae-relay", validators=[
        {"name": f"v{i}", "pub_key": base64.b64encode(s.public).decode(), "power": s.power}
        for i, s in enumerate(sets[0])])
    now = now_after(c, head + 1)
    forged_at = 130

    class Relay:
        url = "the node"  # as the console names its one source

        def __init__(self, forge: bool) -> None:
            self.forge = forge

        def light_block(self, height: int) -> dict | None:
            if height > head:
                return None
            doc = relay_doc(c, height)
            if self.forge and height == forged_at:
                doc["commit"]["signed_header"]["header"]["app_hash"] = "01" * 32
            return doc

        def head_height(self) -> int:
            return head

    cases = []
    for forge in (False, True):
        heights = [150, 20, 59, 61, 0, head, head + 1] if not forge else [100, forged_at, 140]

        def run(forge=forge, heights=heights) -> list[dict]:
            lc = LightClient(genesis, Relay(forge), now_ms=lambda: now)
            out = []
            for h in heights:
                try:
                    t = lc.trusted(h)
                except VerificationError as exc:
                    out.append({"code": exc.code, "message": exc.message})
                else:
                    out.append({"height": t.height, "app_hash": t.app_hash.hex(), "time_ms": t.time_ms,
                                "basis": t.basis})
            return out

        relay = Relay(forge)
        cases.append(Case(f"relay, forged {forge}", {
            "op": "client", "genesis": json.loads(genesis.to_json()), "now_ms": now, "heights": heights,
            "relay": {str(h): relay.light_block(h) for h in range(head + 1)}}, outcome(run)))
    honest, forged = (x.expect["value"] for x in cases)
    assert honest[0]["basis"] == "signed by 4 of 4 validators (100 % of voting power), CometBFT header 151 " \
                                 "(time of header 151)"
    assert honest[4]["code"] == "untrusted" and honest[6]["code"] == "unavailable"
    assert forged[1]["code"] == "bad_header" and f"height {forged_at + 1}" in forged[1]["message"]
    assert_agree(js, cases)


# -- solo: a demo node's headers, signed by the block signer its genesis declares -------------------------
def reheader(doc: dict, **fields) -> dict:
    """`doc` with header fields changed, consistently (a forger who cannot sign)."""
    return shared_reheader(doc, SHA.hash, **fields)


def test_solo_headers_and_their_forgeries_agree(js, node):  # noqa: F811
    genesis = Genesis.load(paths(node.home)["genesis"])
    key = genesis.block_signer_key()
    chain_id = genesis.chain_id
    with Client(node.url) as c:
        head = c.head_height()
        docs = {h: c.light_block(h) for h in (0, 1, 2, head)}
    doc = docs[1]
    block_hash = bytes.fromhex(doc["block_hash"])
    intruder = HeaderSigner(SHA.generate())
    resigned = intruder.sign(chain_id, 1, block_hash)
    loose = cbor2.dumps(Header.decode(bytes.fromhex(doc["header_bytes"])).to_map())  # not canonically ordered
    stranger = SHA.generate().public().raw()

    def solo(name: str, d: dict, *, chain: str = chain_id, signer: bytes = key, height: int | None = 1,
             prefix: bool = False) -> Case:
        def run() -> dict:
            t = verify_solo(d, chain, signer, SHA, SHA.hash, height=height)
            return {"height": t.height, "block_hash": t.block_hash.hex(), "app_hash": t.app_hash.hex(),
                    "time_ms": t.time_ms, "basis": t.basis}

        return Case(name, {"op": "solo", "doc": d, "chain_id": chain, "key": signer.hex(), "height": height},
                    outcome(run), prefix)

    cases = [solo(f"genuine block {h}", d, height=h) for h, d in docs.items()]
    cases += [
        solo("app hash forged, rehashed, old signature", reheader(doc, app_hash=b"\x01" * 32)),
        solo("header bytes changed, hash left",
             {**doc, "header_bytes": reheader(doc, app_hash=b"\x01" * 32)["header_bytes"]}),
        solo("only the rendered header changed", {**doc, "header": {**doc["header"], "app_hash": "01" * 32}}),
        solo("header bytes not canonical", {**doc, "header_bytes": loose.hex(), "block_hash": SHA.hash(loose).hex()},
             prefix=True),
        solo("block 2's header served as block 1", {**docs[2], "height": 1}),
        solo("re-signed by another key, named", {**doc, "signer": resigned.signer.hex(),
                                                  "signature": resigned.signature.hex()}),
        solo("re-signed by another key, the genesis key named", {**doc, "signature": resigned.signature.hex()}),
        solo("the signature of another height", {**doc, "signature": docs[2]["signature"]}),
        solo("another chain id", doc, chain="fae-other"),
        solo("a genesis naming another signer", doc, signer=stranger),
        solo("asked for another height", doc, height=2),
        solo("unsigned", {**doc, "signer": None, "signature": None}),
        solo("from a CometBFT node", {**doc, "engine": "cometbft"}),
        solo("signature not hex", {**doc, "signature": "zz"}),
    ]
    assert [c.expect["ok"] for c in cases].count(True) == len(docs)
    assert_agree(js, cases)


def test_header_signing_bytes_and_genesis_hash_agree(node, browser):  # noqa: F811
    """The bytes a block signer signs, and the genesis hash the console pins, as Python makes them."""
    genesis = Genesis.load(paths(node.home)["genesis"])
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(node.url + "/")
    got = page.evaluate("""async () => {
        const light = await import('/console/assets/light.js');
        const g = await import('/console/assets/genesis.js');
        const api = await import('/console/assets/api.js');
        const { bytesToHex } = await import('/console/assets/cbor.js');
        const storage = { items: {}, getItem(k) { return this.items[k] ?? null; },
                          setItem(k, v) { this.items[k] = v; } };
        const pinned = await g.pinGenesis(await api.genesis(), storage);
        return { signing: bytesToHex(light.headerSigningBytes('fae-x', 7, new Uint8Array(32).fill(3))),
                 genesis: pinned.hash, chain: pinned.chainId, validators: pinned.doc.validators.length };
    }""")
    context.close()
    assert got["signing"] == header_signing_bytes("fae-x", 7, b"\x03" * 32).hex()
    assert got["genesis"] == hashlib.sha256(encode(genesis.canonical())).hexdigest()
    assert (got["chain"], got["validators"]) == (genesis.chain_id, 0)


# -- the console, honest and lied to ------------------------------------------------------------------------
def _plan(node) -> str:  # noqa: F811
    with Client(node.url, identity=Identity.load(node.home, "regulator")) as c:  # queries are signed
        [plan] = c.query("plans", "plans", status="OUTSTANDING")
    return plan["id"]


def _block_signer(node) -> str:  # noqa: F811
    return Genesis.load(paths(node.home)["genesis"]).block_signer_key().hex()


def _genesis_sha256(node) -> str:  # noqa: F811
    return hashlib.sha256(encode(Genesis.load(paths(node.home)["genesis"]).canonical())).hexdigest()


def test_an_honest_node_is_verified_with_what_it_rests_on(node, tab):  # noqa: F811
    plan = _plan(node)
    inv = tab("investor1", lang="en")
    pin = inv.page.get_attribute("#genesis-pin", "title")
    assert _genesis_sha256(node) in pin and "fae genesis hash" in pin
    inv.go(f"#/v/investor/plan/{plan}")
    inv.page.click("#penetration-verify")
    inv.page.wait_for_selector("#verify-ok")
    assert "elements verified against the app hash in the signed header of block" in inv.page.text_content("#verify-ok")
    signed = inv.page.text_content("#trust-signed")
    assert signed == f"signed by the block signer declared in genesis ({_block_signer(node)[:16]}…)", signed
    assert _genesis_sha256(node)[:8] in inv.page.text_content("#trust-genesis")
    # the explorer: a block's header, and a transaction's writes, against the same signed headers
    r = node.submit_as("exchange", "membership", "set_attributes",
                       {"org_id": ORG["investor4"], "attributes": {"note": "light client test"}})
    assert r.ok
    inv.go(f"#/explorer/block/{r.height}")
    inv.page.click("#verify-header")
    inv.page.wait_for_selector("#header-ok")
    assert f"Block {r.height}'s app hash matches its signed header" in inv.page.text_content("#header-ok")
    inv.go(f"#/explorer/tx/{r.tx_hash.hex()}")
    inv.page.click("#verify-writes")
    inv.page.wait_for_selector("#writes-ok")
    assert "block signer declared in genesis" in inv.page.text_content("#writes-ok")


def _route_json(page, pattern: str, rewrite: Callable[[dict, str], dict]) -> None:
    """What the node serves under `pattern`, rewritten on its way to the browser."""
    def handle(route):
        resp = route.fetch()
        if resp.status != 200:
            return route.fulfill(response=resp)
        doc = rewrite(resp.json(), route.request.url)
        route.fulfill(response=resp, body=json.dumps(doc), headers={**resp.headers, "content-type": "application/json"})

    page.route(pattern, handle)


@pytest.mark.parametrize("lie, failure", [
    ("header_app_hash", "the signature does not verify under the block signer"),
    ("resigned", "not by the block signer genesis declares"),
    ("everything_consistent", "the signature does not verify under the block signer"),
])
def test_a_lying_node_is_refused_naming_what_failed(node, tab, lie, failure):  # noqa: F811
    plan = _plan(node)
    inv = tab("investor1", lang="en")
    intruder = HeaderSigner(SHA.generate())
    forged: dict[str, bytes] = {}
    checks: list = []

    def penetrate(doc: dict, url: str) -> dict:
        forged["root"] = forge_penetration(node, doc["result"])
        # the lie is self-consistent: every proof verifies against the forged root (asserted below)
        checks.append(verify_penetration(doc["result"], forged["root"], node.app.hash, plan_id=plan))
        return doc

    def light(doc: dict, url: str) -> dict:
        if lie == "resigned":
            sig = intruder.sign(doc["header"]["chain"], doc["height"], bytes.fromhex(doc["block_hash"]))
            return {**doc, "signer": sig.signer.hex(), "signature": sig.signature.hex()}
        app_hash = forged.get("root", b"\x01" * 32)
        return reheader(doc, app_hash=app_hash)

    def block(doc: dict, url: str) -> dict:  # the node's own rendering of its block agrees with the lie
        if "root" in forged:
            doc["header"]["app_hash"] = forged["root"].hex()
        return doc

    if lie == "everything_consistent":
        _route_json(inv.page, "**/console/api/query/plans/penetrate", penetrate)
        _route_json(inv.page, "**/console/api/blocks/*", block)
    _route_json(inv.page, "**/console/api/light/*", light)
    inv.go(f"#/v/investor/plan/{plan}")
    inv.page.click("#penetration-verify")
    inv.page.wait_for_selector("#verify-bad")
    text = inv.page.text_content("#verify-bad")
    assert "The header check failed" in text and failure in text, text
    assert inv.page.query_selector("#verify-ok") is None
    if lie == "everything_consistent":  # the forged answer was served, and would pass without the signature
        assert len(checks) == 1 and checks[0].ok and checks[0].checked > 10, checks


def test_a_node_showing_another_block_than_it_signed_is_caught_in_the_explorer(node, tab):  # noqa: F811
    inv = tab("regulator", lang="en")
    height = node.app.height
    _route_json(inv.page, "**/console/api/blocks/*", lambda doc, url: {
        **doc, "header": {**doc["header"], "app_hash": "ab" * 32}})
    inv.go(f"#/explorer/block/{height}")
    inv.page.click("#verify-header")
    inv.page.wait_for_selector("#header-bad")
    text = inv.page.text_content("#header-bad")
    assert f"App hash: the node shows {'ab' * 32}, the signatures establish" in text, text
    assert "signed by the block signer declared in genesis" in text


def test_a_genesis_changed_after_pinning_is_refused(node, tab):  # noqa: F811
    """The node first serves the genuine genesis (pinned), then one naming another block
    signer — whose key signs the forged headers it serves: refused before any signature."""
    plan = _plan(node)
    inv = tab("investor1", lang="en")
    inv.page.wait_for_selector("#genesis-pin")
    genuine = _genesis_sha256(node)
    assert inv.page.evaluate("JSON.parse(localStorage.getItem('fae.genesis')).hash") == genuine
    intruder = SHA.generate()
    signer = HeaderSigner(intruder)
    other = Genesis.load(paths(node.home)["genesis"])
    other.block_signer = {"name": "intruder", "pub_key": base64.b64encode(intruder.public().raw()).decode()}
    other_hash = hashlib.sha256(encode(other.canonical())).hexdigest()
    _route_json(inv.page, "**/console/api/genesis", lambda doc, url: {
        **doc, "canonical": encode(other.canonical()).hex()})

    def light(doc: dict, url: str) -> dict:  # headers the intruder's key signs: valid under the new genesis
        forged = reheader(doc, app_hash=b"\x02" * 32)
        sig = signer.sign(forged["header"]["chain"], forged["height"], bytes.fromhex(forged["block_hash"]))
        return {**forged, "signer": sig.signer.hex(), "signature": sig.signature.hex()}

    _route_json(inv.page, "**/console/api/light/*", light)
    inv.go(f"#/v/investor/plan/{plan}")
    inv.page.reload()  # a later visit (the hash change alone keeps the page, and its anchor, loaded)
    inv.page.wait_for_selector("#genesis-refused")
    banner = inv.page.text_content("#genesis-refused")
    assert f"this node serves genesis {other_hash}" in banner and f"not the genesis {genuine}" in banner, banner
    assert "pinned in this browser" in banner and "fae genesis hash" in banner
    inv.page.click("#penetration-verify")
    inv.page.wait_for_selector("#verify-bad")
    text = inv.page.text_content("#verify-bad")
    assert "Refused: this node's genesis is not the one pinned in this browser" in text, text
    assert inv.page.query_selector("#verify-ok") is None
    # the pin stays until the member drops it on purpose
    assert inv.page.evaluate("JSON.parse(localStorage.getItem('fae.genesis')).hash") == genuine
    inv.page.click("#forget-genesis")
    inv.page.click("#forget-confirm")
    inv.page.wait_for_function(f"(localStorage.getItem('fae.genesis') || '').includes('{other_hash}')")
