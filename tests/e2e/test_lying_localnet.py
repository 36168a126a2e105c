"""A lying node on a real 4-validator CometBFT network (`fae localnet`, separate processes):
every way a member reads a verified answer refuses every lie, naming what failed.

Node 0 is read through `LyingProxy` (tests/sdk/lying_proxy.py, an HTTP proxy on a thread)
that rewrites what it says; nodes 1-3 are honest witnesses, read directly. The member holds
its own genesis.json and checks headers with `LightClient` from there. The lies:

  value     only the value shown is changed (a voucher's amount or a plan's size ×100)
  forged    value, proofs, app hash and headers forged together and consistently (a client
            believing the node's own headers accepts it: `test_the_forgeries_are_consistent`);
            the commit cannot be signed again, so its signatures do not verify
  stale     a genuine answer from more than LAG blocks ago
  hidden    the same, with the node understating its head so that the answer looks fresh:
            the witnesses' signed headers show how far the chain has gone
  minority  the forged header signed by 2 of the 4 validators (their real keys, read from the
            network's homes): a third of the voting power
  valset    the forged header naming a validator set the chain never announced, signed by
            that set (four fresh keys). The network really changed its set before (a
            governance vote gave node0 power 30 of 60): every honest answer verifies across it
  witness   the forged header signed by all four validators (a byzantine supermajority): it
            verifies by signatures, and only the witnesses show the fork, `diverged` with both
            signed headers as evidence (without witnesses it is accepted, as it must be)

Each is tried on every path: `Client.prove`, `Client.verified` of receivables.voucher and
plans.plan, `Client.penetrate`, and the command line `fae state --prove` and `fae query
--prove` with --witness (as processes, the two at once, each in a member home of its own);
the exact code and the key or height are asserted.
Header lies pin the node's stated head at the forged block (a lying node says what it likes
about its head), so the light client meets the forged header going forward from genesis.

Run only these: python -m pytest -m localnet tests/e2e/test_lying_localnet.py
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from localnet_support import client, running_localnet

from faechain.core.encoding import decode, encode
from faechain.core.genesis import Genesis
from faechain.core.wire import jsonable
from faechain.crypto.suite import get_suite
from faechain.devnet.demo import MEMBERS, Samples, demo_org_ids
from faechain.devnet.localnet import Localnet
from faechain.devnet.samples import plans, receivables
from faechain.sdk import Client, Identity
from faechain.sdk.light.client import LightClient
from faechain.sdk.light.cometbft import ValidatorSet, address_of, header_from_json
from faechain.sdk.light.rpc import CometRpc
from faechain.sdk.light.synthetic import private_key, public_bytes
from faechain.sdk.penetration import Penetration
from faechain.sdk.proofs import amount_text
from faechain.sdk.trust import VerificationError
from faechain.sdk.unverified import ServingNodeHeaders
from tests.sdk.lying_proxy import LyingProxy, forge_light_block, forge_proofs, reheader

pytestmark = pytest.mark.localnet

LAG = 5  # the SDK's default max_lag_blocks
READER = "exchange"


@dataclass
class World:
    net: Localnet
    proxy: LyingProxy
    genesis: Genesis
    reader: Identity
    hasher: Callable[[bytes], bytes]
    voucher: str  # the plan's pooled voucher
    plan: str
    values: dict[str, int]  # the chain's: the voucher's amount, the plan's size
    h: int  # the block the forged answers are read at
    old: int  # the block the stale answers are read at
    info: dict[str, Any]  # node 0's GET /v1/info
    light: dict[str, Any]  # node 0's GET /v1/light/{h}: CometBFT light block h + 1, genuine
    block: dict[str, Any]  # node 0's GET /v1/blocks/{h}, genuine
    genuine: dict[str, dict[str, Any]]  # answer kind -> the genuine answer at h
    stale: dict[str, dict[str, Any]]  # answer kind -> the genuine answer at old
    before: dict[str, Any]  # GET /v1/state of the voucher at h - 1, with its proof
    validators: dict[bytes, Ed25519PrivateKey]  # the network's validator keys, by address
    homes: dict[str, str]  # CLI route -> the member home it runs in

    @property
    def witnesses(self) -> list[str]:
        return [n.api_url for n in self.net.nodes[1:]]


@dataclass(frozen=True)
class Route:
    """One way of reading a verified answer, and where in its answer the lies go."""

    name: str
    kind: str  # the answer it reads: state, voucher, plan, penetrate
    cli: bool = False

    @property
    def request(self) -> str:
        return "/v1/state" if self.kind == "state" else f"/v1/query/{QUERIES[self.kind][0]}"

    def key(self, w: World) -> str:
        return f"plans/plan/{w.plan}" if self.kind == "plan" else f"receivables/voucher/{w.voucher}"

    @property
    def field(self) -> str:
        return "size" if self.kind == "plan" else "amount"

    def shown(self, answer: dict[str, Any]) -> dict[str, Any]:
        """The record the answer shows, in which the value lie goes."""
        if self.kind == "state":
            return answer["decoded"]
        result = answer["result"]
        if self.kind == "penetrate":
            return next(a["voucher"] for a in result["assets"] if a.get("voucher"))["value"]
        return result[self.kind]

    def proof(self, answer: dict[str, Any], w: World) -> dict[str, Any]:
        """The proof document of that record."""
        if self.kind == "state":
            return answer
        result = answer["result"]
        if self.kind == "penetrate":
            return next(a["voucher"] for a in result["assets"] if a.get("voucher"))["proof"]
        return result["proofs"][f"{self.kind}/{w.plan if self.kind == 'plan' else w.voucher}"]


QUERIES = {"voucher": ("receivables/voucher", "id"), "plan": ("plans/plan", "id"),
           "penetrate": ("plans/penetrate", "plan")}
ROUTES = [Route("prove", "state"), Route("verified-voucher", "voucher"), Route("verified-plan", "plan"),
          Route("penetrate", "penetrate"), Route("cli-state", "state", cli=True),
          Route("cli-query", "voucher", cli=True)]


# -- the network ------------------------------------------------------------------------------------------------------


def _validator_keys(net: Localnet) -> dict[bytes, Ed25519PrivateKey]:
    keys = {}
    for i in range(len(net.nodes)):
        with open(os.path.join(net.cmt_home(i), "config", "priv_validator_key.json")) as f:
            doc = json.load(f)
        keys[bytes.fromhex(doc["address"])] = Ed25519PrivateKey.from_private_bytes(
            base64.b64decode(doc["priv_key"]["value"])[:32])
    return keys


def _vote_validator_change(net: Localnet, c0: Client) -> None:
    """A governance vote gives node0 power 30 (the others keep 10); CometBFT runs the new set
    two blocks after the vote is committed."""
    node = net.nodes[0]
    r = c0.submit(c0.identity, "governance", "propose", kind="set_validator", summary="node0 to 30",
                  params={"pub_key": base64.b64decode(node.pub_key).hex(), "power": 30, "name": node.name,
                          "org_id": node.org_id})
    assert r.ok, (r.code, r.message)
    pending = []
    for n, member in enumerate(m.name for m in MEMBERS[:r.result["need"]]):
        ci = Client(net.nodes[n % 4].api_url, identity=Identity.load(net.home, member), timeout=20)
        v = ci.submit(ci.identity, "governance", "vote", wait=False, proposal=r.result["proposal"], approve=True)
        assert v.ok or v.pending, (member, v.code, v.message)
        pending.append((ci, v.tx_hash))
    assert all(ci.wait(h, timeout=60).ok for ci, h in pending)


def _honest_latest(net: Localnet, genesis: Genesis) -> int:
    c0 = client(net, 0, READER)
    return LightClient(genesis, c0).latest().height


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with running_localnet(str(tmp_path_factory.mktemp("lying") / "net"), 4) as net:
        proxy = LyingProxy(net.nodes[0].api_url).start()
        try:
            yield _build(net, proxy)
        finally:
            proxy.stop()


def _build(net: Localnet, proxy: LyingProxy) -> World:
    c0 = client(net, 0, READER)
    people: dict[str, Identity] = {}

    def submit(who: str, contract: str, method: str, args: dict[str, Any]):
        people.setdefault(who, Identity.load(net.home, who))
        return c0.submit(people[who], contract, method, **args)

    s = Samples(submit, lambda data: s.hash(data), demo_org_ids(), now=lambda: c0.info()["time"] // 1000)
    s.results["receivables"] = receivables.seed(s)
    s.results["plans"] = plans.seed(s)
    genesis = Genesis.load(os.path.join(net.home, "genesis.json"))  # the member's own copy
    old = _honest_latest(net, genesis)
    _vote_validator_change(net, c0)
    rpc = CometRpc(net.nodes[0].rpc_url)
    for n in range(100):  # blocks (one a transaction) until CometBFT runs the new set, and `old` is stale
        if rpc.light_block(rpc.latest_height()).validator_set.total_voting_power == 60 and \
                _honest_latest(net, genesis) > old + LAG + 1:
            break
        assert c0.submit(c0.identity, "membership", "set_attributes", org_id=c0.identity.org_id,
                         attributes={"lying": n}).ok
    else:
        raise AssertionError("the validator set did not change")
    h = _honest_latest(net, genesis)
    voucher, plan = s.results["receivables"]["kept"], s.results["plans"]["plan"]
    with Client(proxy.url, identity=c0.identity) as via:  # honest now: the proxy records the answers
        genuine, stale = {}, {}
        for at, out in ((h, genuine), (old, stale)):
            out["state"] = via.state(f"receivables/voucher/{voucher}", at, prove=True)
            for kind, (path, arg) in QUERIES.items():
                contract, method = path.split("/")
                via.query(contract, method, _height=at, prove=True, **{arg: plan if kind != "voucher" else voucher})
                out[kind] = copy.deepcopy(proxy.answers[f"/v1/query/{path}"])
                assert out[kind]["height"] == at
    values = {"amount": genuine["voucher"]["result"]["voucher"]["amount"],
              "size": genuine["plan"]["result"]["plan"]["size"]}
    homes = {}
    for route in ROUTES:  # each command line its own member's home: its genesis, its wallet, its trusted store
        if route.cli:
            homes[route.name] = home = os.path.join(net.home, "members", route.name)
            shutil.copytree(os.path.join(net.home, "wallet", READER), os.path.join(home, "wallet", READER))
            shutil.copyfile(os.path.join(net.home, "genesis.json"), os.path.join(home, "genesis.json"))
    return World(net=net, proxy=proxy, genesis=genesis, reader=c0.identity, hasher=get_suite(genesis.suite).hash,
                 homes=homes,
                 voucher=voucher, plan=plan, values=values, h=h, old=old, info=c0.info(),
                 light=c0.light_block(h), block=c0.block(h), genuine=genuine, stale=stale,
                 before=c0.state(f"receivables/voucher/{voucher}", h - 1, prove=True),
                 validators=_validator_keys(net))


# -- reading, as a member does ----------------------------------------------------------------------------------------


def _member(w: World, witnesses: bool = True) -> Client:
    """A client of node 0 through the proxy, checking headers from its own genesis."""
    c = Client(w.proxy.url, identity=w.reader, timeout=30)
    c.trust = LightClient(w.genesis, c, witnesses=[Client(u, identity=w.reader) for u in w.witnesses]
                          if witnesses else [])
    return c


def _read(c: Client, route: Route, w: World) -> Any:
    if route.kind == "state":
        return c.prove(route.key(w))
    if route.kind == "penetrate":
        return c.penetrate(w.plan)
    return c.verified(*QUERIES[route.kind][0].split("/"), id=w.plan if route.kind == "plan" else w.voucher)


def _value_read(result: Any, route: Route) -> int:
    """The verified value of the record a read returned."""
    if route.kind == "state":
        assert result["verified"] is True
        return result["decoded"]["amount"]
    if isinstance(result, Penetration):
        assert result.ok, result.problems[:3]
        return next(a["voucher"] for a in result.tree["assets"] if a.get("voucher"))["amount"]
    return (result.plan if route.kind == "plan" else result.voucher)[route.field]


def _cli(w: World, route: Route) -> subprocess.Popen:
    """The command line as its own process in the member's home, from its genesis: the light
    client's store (<home>/light, the newest header a run verified) is removed first, as for a
    first run. `_done` collects it."""
    home = w.homes[route.name]
    shutil.rmtree(os.path.join(home, "light"), ignore_errors=True)
    what = ["state", route.key(w)] if route.kind == "state" else ["query", "receivables", "voucher", f"id={w.voucher}"]
    witnesses = [arg for u in w.witnesses for arg in ("--witness", u)]
    return subprocess.Popen([sys.executable, "-m", "faechain", *what, "--prove", "--as", READER, "--home", home,
                             "--url", w.proxy.url, *witnesses], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _done(process: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, out, err


def _cli_refusal(status: int, out: str, err: str) -> tuple[str, str]:
    """(code, message) of the command's refusal: exit status 1, one line on stderr."""
    assert status == 1, f"accepted: {out[:2000]}"
    m = re.fullmatch(r"fae: error: (\w+): (.*)\n", err, re.S)
    assert m, err
    return m.group(1), m.group(2)


def _refusal(w: World, route: Route) -> tuple[str, str]:
    """(code, message) of the refusal by an SDK route; fails if the read was accepted."""
    with _member(w) as c:
        try:
            result = _read(c, route, w)
        except VerificationError as exc:
            return exc.code, exc.message
    if isinstance(result, Penetration) and not result.ok:  # penetrate reports what failed in the tree
        return result.codes[0], result.problems[0]
    raise AssertionError(f"{route.name} accepted the lie: {result!r}"[:2000])


# -- the lies ---------------------------------------------------------------------------------------------------------


def _scale(shown: dict, field: str) -> None:
    """The value shown ×100, and what the node derives from it with it (a voucher's `outstanding`,
    its face less what it was paid: nothing is paid here), so that the lie is the value alone."""
    shown[field] *= 100
    if field == "amount" and "outstanding" in shown:
        shown["outstanding"] *= 100


def _times_100(w: World, route: Route) -> Callable[[str, dict], dict]:
    """Only the value shown changes (for /v1/state: its bytes and their rendering); the proofs stay."""

    def lie(path: str, doc: dict) -> dict:
        if path != route.request:
            return doc
        _scale(route.shown(doc), route.field)
        if route.kind == "state":
            value = decode(bytes.fromhex(doc["value"]))
            value[route.field] *= 100
            doc["value"] = encode(value).hex()
        return doc

    return lie


def _forged_answer(w: World, route: Route) -> tuple[dict[str, Any], bytes]:
    """The genuine answer at h with the value ×100 everywhere it is shown and proven, every proof
    recomputed against the state root that gives; returns it and that root."""
    answer = copy.deepcopy(w.genuine[route.kind])
    record = route.proof(answer, w)
    raw = bytes.fromhex(record["value"])
    value = decode(raw)
    assert encode(value) == raw
    value[route.field] *= 100
    forged = encode(value)
    _scale(route.shown(answer), route.field)
    root = forge_proofs(answer, w.hasher, {route.key(w).encode(): forged}, app_hash=bytes.fromhex(record["app_hash"]))
    if route.kind == "voucher":  # a new version at h in the history, proven there, the old one just before it
        before = {"key": w.before["key_hex"], **{k: w.before[k] for k in ("value", "height", "app_hash", "proof")}}
        answer["result"]["history"].append({"height": w.h, "value": jsonable(value), "proof": copy.deepcopy(record),
                                            "before": before})
    return answer, root


def _forged_headers(w: World, root: bytes, **forge: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """GET /v1/light/{h} and /v1/blocks/{h} with `root` as block h's app hash: faechain's header
    rehashed, CometBFT's header h + 1 rehashed and its commit as `forge_light_block` is told."""
    light = reheader(forge_light_block(w.light, app_hash=root, **forge), w.hasher, app_hash=root)
    block = dict(copy.deepcopy(w.block), hash=light["block_hash"], header=light["header"])
    return light, block


def _pin_head(w: World, height: int, block: dict[str, Any] | None = None) -> None:
    """The node says its head is `height` (and, given, that `block` is its latest)."""
    w.proxy.replay("/v1/info", dict(w.info, height=height))
    if block is not None:
        w.proxy.replay("/v1/blocks/latest", block)


def _lie_with_header(w: World, route: Route, **forge: Any) -> dict[str, Any]:
    """Serve the forged answer and headers, the head pinned at h; returns the light block served."""
    answer, root = _forged_answer(w, route)
    light, block = _forged_headers(w, root, **forge)
    w.proxy.replay(route.request, answer)
    w.proxy.replay(f"/v1/light/{w.h}", light)
    w.proxy.replay(f"/v1/blocks/{w.h}", block)
    _pin_head(w, w.h, block)
    return light


def _genuine_next_header(w: World) -> dict[str, Any]:
    return w.light["commit"]["signed_header"]["header"]


def _minority(w: World) -> dict[bytes, Ed25519PrivateKey]:
    """Two validators of power 10 (node0 has 30 of 60): 20 of 60, a third."""
    small = [bytes.fromhex(v["address"]) for v in w.light["validators"]["validators"] if v["voting_power"] == "10"]
    return {a: w.validators[a] for a in small[:2]}


FRESH = [private_key(f"never a validator {i}") for i in range(4)]


def _set_up(case: str, w: World, route: Route, *, alone: bool = True) -> Callable[[str, str], None]:
    """Make the proxy tell lie `case` to `route` (and stop every other lie, if `alone`); returns
    the check of the refusal (code, message)."""
    if alone:
        w.proxy.honest()
    key, h = route.key(w), w.h
    if case == "value":
        w.proxy.lie_at(route.request, _times_100(w, route))
        value = w.values[route.field]

        def check(code: str, msg: str) -> None:
            assert code == "not_proven"
            if route.kind == "state":
                assert re.fullmatch(rf"{key}: the value shown does not verify against the trusted app hash of "
                                    r"block \d+", msg), msg
            else:
                assert msg == (f"{key}: the {route.field} shown ({amount_text(value * 100)}) differs from the value "
                               f"proven ({amount_text(value)})"), msg
        return check

    if case in ("stale", "hidden"):
        w.proxy.replay(route.request, w.stale[route.kind])
        if case == "hidden":
            _pin_head(w, w.old + 1)  # so the stale answer is one block behind the head the node admits

        def check(code: str, msg: str) -> None:
            assert code == "stale", msg
            m = re.fullmatch(rf"the answer is at height {w.old}, (\d+) blocks behind the latest signed header "
                             rf"\((\d+)\); the limit is {LAG}", msg)
            assert m and int(m.group(1)) == int(m.group(2)) - w.old > LAG, msg
        return check

    if case == "forged":
        _lie_with_header(w, route)

        def check(code: str, msg: str) -> None:
            assert code == "bad_header"
            assert re.fullmatch(rf"commit at height {h + 1}: signature #\d by validator [0-9A-F]{{40}} does not "
                                "verify", msg), msg
        return check

    if case == "minority":
        _lie_with_header(w, route, signers=_minority(w))

        def check(code: str, msg: str) -> None:
            assert code == "bad_header"
            assert msg == (f"commit at height {h + 1} has 2 of 4 validators' signatures: 33.3 % of voting power, "
                           "needs more than 2/3"), msg
        return check

    if case == "valset":
        fresh = ValidatorSet.of([(public_bytes(k), 10) for k in FRESH])
        _lie_with_header(w, route, validators=fresh, signers={address_of(public_bytes(k)): k for k in FRESH})

        def check(code: str, msg: str) -> None:
            assert code == "bad_header"
            announced = _genuine_next_header(w)["validators_hash"]
            assert msg == (f"header at height {h + 1} names validators {fresh.hash().hex().upper()}, but trusted "
                           f"header {h} announced {announced} as next"), msg
        return check

    if case == "witness":
        light = _lie_with_header(w, route, signers=w.validators)

        def check(code: str, msg: str) -> None:
            assert code == "diverged"
            forged = _header_hash(light)
            genuine = _header_hash(w.light)
            assert msg == (f"two signed headers at CometBFT height {h + 1}: {w.proxy.url} serves {forged}, witness "
                           f"{w.witnesses[0]} serves {genuine}, each verified from the same trusted header: an attack "
                           "on this member, or a fork"), msg
        return check

    raise AssertionError(case)


def _header_hash(light: dict[str, Any]) -> str:
    return header_from_json(light["commit"]["signed_header"]["header"]).hash().hex().upper()


CASES = ["value", "forged", "stale", "hidden", "minority", "valset", "witness"]


# -- the matrix -------------------------------------------------------------------------------------------------------


SDK = [r for r in ROUTES if not r.cli]
CLI = [r for r in ROUTES if r.cli]


@pytest.mark.parametrize("route", SDK, ids=[r.name for r in SDK])
def test_honest_answers_verify(world, route):
    world.proxy.honest()
    with _member(world) as c:
        result = _read(c, route, world)
        assert c.trust.witness_problems == []
    assert _value_read(result, route) == world.values[route.field]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("route", SDK, ids=[r.name for r in SDK])
def test_every_lie_is_refused_naming_what_failed(world, route, case):
    check = _set_up(case, world, route)
    try:
        code, message = _refusal(world, route)
    finally:
        world.proxy.honest()
    check(code, message)


def test_the_command_line_verifies_honest_answers(world):
    world.proxy.honest()
    state, query = (_done(p) for p in [_cli(world, r) for r in CLI])
    assert state[0] == 0 and query[0] == 0, (state[2], query[2])
    out = json.loads(state[1])
    assert out["verified"] is True and out["decoded"]["amount"] == world.values["amount"], out
    assert "validators" in out["trust"], out
    out = json.loads(query[1])
    assert out["voucher"]["amount"] == world.values["amount"] and "validators" in out["header"]["basis"], out


@pytest.mark.parametrize("case", CASES)
def test_the_command_line_refuses_every_lie(world, case):
    """`fae state --prove` and `fae query --prove` with --witness (both at once, each in its own
    member's home; the header lies they meet are the same: one change, one forged root)."""
    checks = [_set_up(case, world, route, alone=i == 0) for i, route in enumerate(CLI)]
    try:
        done = [_done(p) for p in [_cli(world, r) for r in CLI]]
    finally:
        world.proxy.honest()
    refusals = [_cli_refusal(*d) for d in done]
    for check, (code, message) in zip(checks, refusals, strict=True):
        check(code, message)


# -- the lies are good ones -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", SDK, ids=[r.name for r in SDK])
def test_the_forgeries_are_consistent(world, route):
    """Believing the node's own headers (`ServingNodeHeaders`), the forged answer verifies with
    the value ×100: only the signatures refuse it. And one change gives one state root, whatever
    answer the forger rebuilt it from."""
    _, root = _forged_answer(world, route)
    if route.kind != "plan":
        assert root == _forged_answer(world, Route("prove", "state"))[1]
    world.proxy.honest()
    _lie_with_header(world, route)
    try:
        with Client(world.proxy.url, identity=world.reader) as c:
            c.trust = ServingNodeHeaders(c)
            assert _value_read(_read(c, route, world), route) == world.values[route.field] * 100
    finally:
        world.proxy.honest()


@pytest.mark.parametrize("route", SDK, ids=[r.name for r in SDK])
def test_a_supermajority_forgery_passes_without_witnesses(world, route):
    """What the witnesses are for: a header the validators signed twice verifies by signatures."""
    world.proxy.honest()
    _lie_with_header(world, route, signers=world.validators)
    try:
        with _member(world, witnesses=False) as c:
            assert _value_read(_read(c, route, world), route) == world.values[route.field] * 100
    finally:
        world.proxy.honest()


def test_a_diverging_witness_gives_both_signed_headers_as_evidence(world):
    route = ROUTES[0]
    _set_up("witness", world, route)
    try:
        with _member(world) as c, pytest.raises(VerificationError) as info:
            _read(c, route, world)
    finally:
        world.proxy.honest()
    ev = info.value.evidence
    assert ev["height"] == world.h + 1 and ev["witness_url"] == world.witnesses[0]
    witness, primary = (header_from_json(ev[k]["signed_header"]["header"]) for k in ("witness", "primary"))
    assert witness.hash().hex().upper() == _header_hash(world.light)
    assert witness.app_hash.hex() == world.block["header"]["app_hash"]
    assert primary.app_hash == _forged_answer(world, route)[1] and primary.last_block_id == witness.last_block_id


def test_prove_refuses_a_rendering_that_is_not_the_value_proven(world):
    """GET /v1/state shows the value's bytes and the node's rendering of them; `fae state --prove`
    prints the rendering. A rendering changed alone is refused, naming the field."""
    route = ROUTES[0]

    def render(path: str, doc: dict) -> dict:
        doc["decoded"]["amount"] *= 100
        return doc

    world.proxy.honest()
    world.proxy.lie_at("/v1/state", render)
    try:
        code, message = _refusal(world, route)
    finally:
        world.proxy.honest()
    amount = world.values["amount"]
    assert code == "not_proven"
    assert message == (f"{route.key(world)}: the amount shown ({amount_text(amount * 100)}) differs from the value "
                       f"proven ({amount_text(amount)})"), message
