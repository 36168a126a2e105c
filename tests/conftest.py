"""Shared fixtures: a small consortium, a fresh chain over it, and a solo engine.

    consortium_home   a node home (genesis.json, ca/<org>/, wallet/<name>/) with three
                      member organisations, copied from a once-per-session template
    chain             a `TestChain`: Store + Application on a fresh database in that home,
                      with helpers to sign transactions and drive blocks deterministically
    make_chain        a factory of such chains (create the Application when you are ready)
    engine            a started `SoloEngine` over `chain.app` (stopped afterwards)

Organisations (`ORGS`): `exchange` (EXCHANGE), `bank` (BANK), `investor` (INVESTOR);
each has one member identity of the same name with attributes `{"admin": true}`.
`chain.new_identity(org, name)` issues further (not yet registered) identities.

Block time in `chain` is a deterministic clock: it starts a minute after genesis time
and moves one second per block, so the same calls give the same hashes byte for byte.

One clock dates every fixture: `SUITE_NOW`, read once when the suite starts. Genesis
times are a minute before it and every certificate a fixture or helper issues (the
template's, `chain.new_identity`'s, those the tests make with `issue_identity(...,
now=SUITE_NOW)`) is issued at it, valid from five minutes before it for 825 days (its
CA's for 3650). Nothing is dated by the wall clock at the moment a fixture runs, so a
certificate issued an hour into a slow run is as valid at the chain's first block as one
issued in the first second, and how long the suite takes changes no result. Nodes
that run on the wall clock (an engine, the HTTP API) are within that validity too.

Property tests (hypothesis) run the "fae" profile: 200 examples each, which keeps the
suite fast. For a long run: `python -m pytest --hypothesis-profile=thorough tests/ledger`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import time
import types
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from faechain.chain.application import Application
from faechain.chain.results import BlockResult, Receipt
from faechain.core.genesis import Genesis
from faechain.identity.ca import OrgCA, create_org_ca, issue_identity, load_org_ca
from faechain.identity.wallet import Identity
from faechain.ledger.storage import Store
from faechain.node.config import paths

settings.register_profile("fae", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("fae")  # --hypothesis-profile=thorough overrides this

# The suite's clock (see the module docstring): whole seconds, so that it is exactly what a
# certificate's notBefore (five minutes earlier) can say. Kept in the environment: this file
# is imported twice in a run (as pytest's `conftest` and as `tests.conftest` by the tests
# that import its helpers), seconds apart on a busy machine, and both must read one clock
# (as must the subprocesses the tests start).
SUITE_NOW = dt.datetime.fromtimestamp(int(os.environ.setdefault("FAE_SUITE_NOW", str(int(time.time())))), dt.UTC)
SUITE_NOW_MS = int(SUITE_NOW.timestamp()) * 1000
GENESIS_TIME_MS = SUITE_NOW_MS - 60_000  # a fixture chain's first block is at SUITE_NOW_MS

CHAIN_ID = "fae-test"
# (member name, USCC org id, organisation name, organisation type)
ORGS: tuple[tuple[str, str, str, str], ...] = (
    ("exchange", "91110000TESTEXCH01", "Test Exchange", "EXCHANGE"),
    ("bank", "91110000TESTBANK01", "Test Bank", "BANK"),
    ("investor", "91110000TESTINVS01", "Test Investor", "INVESTOR"),
)


def build_consortium(home: str, chain_id: str = CHAIN_ID, orgs=ORGS, genesis_time: int | None = None,
                     dev: bool = True, now: dt.datetime = SUITE_NOW) -> Genesis:
    """Create CAs, one admin identity per organisation and genesis.json in `home`: the
    certificates issued at `now`, genesis time (unless given) a minute before it."""
    p = paths(home)
    entries = []
    for name, org_id, org_name, org_type in orgs:
        ca = create_org_ca(os.path.join(p["ca"], name), org_id, org_name, org_type, now=now)
        issue_identity(ca, p["wallet"], name, {"admin": True}, now=now)
        entries.append({"id": org_id, "name": org_name, "type": org_type, "ca": ca.cert_pem, "attributes": {}})
    genesis = Genesis(
        chain_id=chain_id,
        genesis_time=genesis_time if genesis_time is not None else int(now.timestamp() * 1000) - 60_000,
        dev=dev,
        orgs=entries,
    )
    genesis.save(p["genesis"])
    return genesis


@dataclass
class TestChain:
    """A chain driven block by block in-process (no engine thread)."""

    __test__ = False  # not a test class

    home: str
    genesis: Genesis
    store: Store
    app: Application
    ids: dict[str, Identity] = field(default_factory=dict)
    clock: int = 0  # the time of the next block (ms)

    @property
    def chain_id(self) -> str:
        return self.genesis.chain_id

    @property
    def org_ids(self) -> dict[str, str]:
        return {name: org_id for name, org_id, _, _ in ORGS}

    def ca(self, org: str) -> OrgCA:
        return load_org_ca(os.path.join(paths(self.home)["ca"], org))

    def new_identity(self, org: str, name: str, attributes: dict | None = None) -> Identity:
        """Issue a new member identity from `org`'s CA (not registered on chain yet), at
        SUITE_NOW like every fixture certificate, whenever in the run this is called."""
        issue_identity(self.ca(org), paths(self.home)["wallet"], name, attributes, now=SUITE_NOW)
        ident = Identity.load(self.home, name)
        self.ids[name] = ident
        return ident

    def sign(self, who: str | Identity, contract: str, method: str, args: dict[str, Any], **kw: Any) -> bytes:
        """A signed envelope; expiry defaults to ten minutes after the next block's time."""
        ident = self.ids[who] if isinstance(who, str) else who
        kw.setdefault("now_ms", self.clock)
        return ident.sign_tx(self.chain_id, contract, method, args, **kw)

    def block(self, txs: list[bytes], time_ms: int | None = None) -> BlockResult:
        """finalize_block + commit at the next height; advances the clock by one second."""
        t = self.clock if time_ms is None else time_ms
        result = self.app.finalize_block(self.app.height + 1, t, list(txs), proposer=b"test")
        self.app.commit()
        self.clock = max(self.clock, result.time) + 1000
        return result

    def empty_block_app_hash(self, time_ms: int | None = None) -> bytes:
        """The app hash the next block would have with no transactions (finalized, never
        committed): what "this transaction changed nothing" is compared against, since
        contracts' end_block hooks may write state in any block."""
        t = self.clock if time_ms is None else time_ms
        result = self.app.finalize_block(self.app.height + 1, t, [], proposer=b"test")
        # what that empty block writes (its end_block work), for tests that allow a rejected
        # transaction's block to differ from it only by the regulator's alert
        self.empty_block_writes = dict(self.app._pending.values) if self.app._pending is not None else {}
        return result.app_hash

    def run(self, who: str | Identity, contract: str, method: str, args: dict[str, Any], **kw: Any) -> Receipt:
        """Sign one transaction and commit it alone in a block; its receipt."""
        return self.block([self.sign(who, contract, method, args, **kw)]).receipts[0]

    def head(self) -> tuple[int, bytes, bytes]:
        """(height, app hash, block hash) of the last committed block."""
        info = self.app.info()
        return info.height, info.app_hash, info.block_hash

    def reopen(self) -> Application:
        """A new Store and Application on the same database (a node restart)."""
        self.store.close()
        self.store = Store(paths(self.home)["db"])
        self.app = Application(self.store, self.genesis)
        return self.app

    def close(self) -> None:
        try:
            self.store.close()
        except sqlite3.Error:  # pragma: no cover - already closed
            pass


@pytest.fixture(scope="session")
def consortium_template(tmp_path_factory) -> str:
    home = str(tmp_path_factory.mktemp("consortium"))
    build_consortium(home)
    return home


@pytest.fixture
def consortium_home(consortium_template, tmp_path) -> str:
    """A private copy of the session's consortium home (no database yet)."""
    home = str(tmp_path / "home")
    shutil.copytree(consortium_template, home)
    return home


def wallet(home: str):
    """`get(name)`: the wallet identity `name` of a node home, each loaded once."""
    cache: dict[str, Identity] = {}

    def get(name: str) -> Identity:
        if name not in cache:
            cache[name] = Identity.load(home, name)
        return cache[name]

    return get


def open_chain(home: str, names=None, cls=None) -> TestChain:
    """A TestChain (or `cls`) over the consortium in `home`, with the wallet identities
    `names` (default: the ORGS members present); creates or reopens its database."""
    p = paths(home)
    genesis = Genesis.load(p["genesis"])
    store = Store(p["db"])
    app = Application(store, genesis)
    if names is None:
        names = [name for name, *_ in ORGS if os.path.isdir(os.path.join(p["wallet"], name))]
    ids = {name: Identity.load(home, name) for name in names}
    chain = (cls or TestChain)(home, genesis, store, app, ids)
    chain.clock = max(app.last_time, genesis.genesis_time + 60_000) + (1000 if app.height else 0)
    return chain


@pytest.fixture
def chain(consortium_home) -> TestChain:
    c = open_chain(consortium_home)
    yield c
    c.close()


@pytest.fixture
def make_chain(consortium_home):
    """A factory of TestChains over `consortium_home`, for tests that must set something up
    (e.g. register a test contract) before the Application is created. Closed afterwards."""
    chains: list[TestChain] = []

    def factory() -> TestChain:
        c = open_chain(consortium_home)
        chains.append(c)
        return c

    yield factory
    for c in chains:
        c.close()


@pytest.fixture
def clock_jump(monkeypatch):
    """`clock_jump(seconds)`: for the rest of the test the wall clock reads `seconds` later
    (jumps add up): `time.time()`, which the Application and the engines read, and the
    `datetime.now()` by which `faechain.crypto.certs` dates a certificate it is given no
    date for. What the end of a long, slow run looks like to code that reads the wall
    clock; `SUITE_NOW` does not move."""
    from faechain.crypto import certs

    real_time = time.time
    skew = dt.timedelta(0)

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime.now(tz) + skew  # a plain datetime, as cryptography wants

    # certs' own view of the datetime module, not the module itself: cryptography checks
    # isinstance(..., datetime.datetime), which a patched datetime.datetime would break
    shifted = types.ModuleType("datetime")
    shifted.__dict__.update(vars(dt))
    shifted.datetime = Later

    def jump(seconds: float) -> None:
        nonlocal skew
        skew += dt.timedelta(seconds=seconds)

    monkeypatch.setattr(time, "time", lambda: real_time() + skew.total_seconds())
    monkeypatch.setattr(certs, "dt", shifted)
    return jump


@pytest.fixture
def engine(chain):
    """A running solo engine over `chain.app` (no heartbeat blocks during a test)."""
    from faechain.engines.solo import SoloEngine

    eng = SoloEngine(chain.app, block_interval=0.002, heartbeat=3600)
    eng.start()
    yield eng
    eng.stop()


# -- the order files start in --------------------------------------------------------------------------
def _start_rank(path: str) -> int:
    """Longest first: the CometBFT networks and the other multi-process files, then the browser and
    fuzz files, then the rest. The workers take files in this order (one file per worker), so the
    longest are not the last to start, leaving one worker busy while the others wait."""
    name = os.path.basename(path)
    if "/e2e/" in path and ("localnet" in name or name in ("test_sm_e2e.py", "test_crash.py", "test_crash_http.py",
                                                           "test_light_abci.py")):
        return 0
    if "/e2e/" in path or "/fuzz/" in path or "/cli/" in path or name in LONG_FILES:
        return 1
    return 2


# files of the fast directories that still take a minute or near it (measured with --durations)
LONG_FILES = ("test_properties.py", "test_product_properties.py", "test_plan_properties.py", "test_static.py",
              "test_refusal_messages.py", "test_confidentiality.py", "test_authz_contracts.py",
              "test_authz_queries.py", "test_authz_raw.py")


def pytest_collection_modifyitems(config, items):
    """Order only: which test runs, and what it checks, never depends on it."""
    items.sort(key=lambda item: _start_rank(str(item.path)))
