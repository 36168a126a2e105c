"""The demo consortium: every kind of participant, each its own organisation.

`create_demo(home)` makes (once) an organisation CA and one member identity for
each demo member, the node's block signer key (its public key in genesis: the solo node
signs every header with it, so members check headers by signature), a dev genesis
naming them all, and a node config on loopback;
`create_demo(home, suite="sm2-sm3")` makes the same consortium on SM2/SM3 (every CA,
member key and hash of the chain).
`seed_samples(submit, upload)` then runs each business module's sample scenario as
signed transactions (documents go to the node's vault), so a fresh `fae demo` shows
a realistic ledger.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import pkgutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from faechain.core.genesis import Genesis
from faechain.identity.ca import create_org_ca, issue_identity
from faechain.node.block_signer import create_block_signer
from faechain.node.config import NodeConfig, paths

DEMO_CHAIN_ID = "fae-demo"


@dataclass(frozen=True)
class DemoMember:
    name: str
    org_type: str
    org_name: str
    attributes: dict


MEMBERS: tuple[DemoMember, ...] = (
    DemoMember("exchange", "EXCHANGE", "Beijing Financial Assets Exchange", {}),
    DemoMember("regulator", "REGULATOR", "Beijing Local Financial Supervision Bureau", {}),
    DemoMember("core", "CORE_ENTERPRISE", "Huaxin Chemical Group Co., Ltd.", {}),
    DemoMember("core2", "CORE_ENTERPRISE", "Jingtai Construction Group Co., Ltd.", {}),
    DemoMember("supplier1", "SUPPLIER", "Tianhe Materials Co., Ltd.", {}),
    DemoMember("supplier2", "SUPPLIER", "Hebei Fengrun Packaging Co., Ltd.", {}),
    DemoMember("supplier3", "SUPPLIER", "Langfang Xinda Logistics Co., Ltd.", {}),
    DemoMember("factor", "FACTOR", "Zhongguancun Commercial Factoring Co., Ltd.", {}),
    DemoMember("bank", "BANK", "Capital Commercial Bank", {"settlement": True}),
    DemoMember("bank2", "BANK", "Bohai Rim Bank", {}),
    DemoMember("amc", "AMC", "Huabei Asset Management Co., Ltd.", {}),
    DemoMember("investor1", "INVESTOR", "Yanshan Insurance Asset Management", {"qualified": True}),
    DemoMember("investor2", "INVESTOR", "Xicheng Securities Investment Fund", {"qualified": True}),
    # individuals are members under a label that names no one: the exchange registers who they are as
    # personal data in the vault (samples/membership.py), so no person's name is in genesis or on chain
    DemoMember("investor3", "INVESTOR", "Individual investor 0013 (qualified)", {"qualified": True}),
    DemoMember("investor4", "INVESTOR", "Individual investor 0014", {"qualified": False}),
    DemoMember("rating", "RATING_AGENCY", "Dagong Credit Rating Co., Ltd.", {}),
    DemoMember("registrar", "REGISTRAR", "Beijing Equity Registration and Settlement Co.", {}),
    DemoMember("underwriter", "INTERMEDIARY", "Jinrong Securities Underwriting Co., Ltd.", {}),
    DemoMember("lawfirm", "INTERMEDIARY", "Haidian Tongda Law Firm", {}),
    # the outside services, each run by a simulator process in the demo (docs/outside-world.md)
    DemoMember("registry", "REGISTRY_AGENT", "Movable-property registry agent (simulator)", {}),
    DemoMember("taxservice", "TAX_SERVICE", "E-invoice verification service (simulator)", {}),
    DemoMember("ecny", "PAYMENT_RAIL", "e-CNY payment rail operator (simulator)", {}),
)


# The demo's contract settings (genesis `contracts`). The demo's dev setting: an invoice the tax service has
# not verified may back up to 1亿元 of vouchers, so that the samples and the tests run without a tax service
# verifying each invoice; production's default (receivables/rules.py) is 0: nothing until verified. For the
# same reason the demo's regulator is not alerted of each such voucher (`unverified_invoice`, on by default).
DEMO_CONTRACTS: dict[str, Any] = {"receivables": {"rules": {"unverified_invoice_cap": 100_000_000_00}},
                                  "supervision": {"rules": {"unverified_invoice": 0}}}


def demo_org_id(index: int) -> str:
    """A well-formed 18-character USCC for the index-th demo organisation."""
    return f"91110000MA{index:07d}X"


def create_demo(home: str, port: int | None = None, suite: str = "ed25519", *,
                now: dt.datetime | None = None, block_signer: bool = True) -> bool:
    """Create the demo consortium in `home` on signature suite `suite`; False if it already exists.

    Everything it dates is dated from one instant, `now` (an aware datetime; default: the
    wall clock): the certificates are issued at it and genesis time is a minute before it.
    `block_signer=False` leaves the block signer out (a CometBFT network's headers are
    signed by its validators instead)."""
    p = paths(home)
    if os.path.exists(p["genesis"]):
        if port is not None:
            cfg = NodeConfig.load(home)
            if cfg.port != port:
                cfg.port = port
                cfg.save(home)
        return False
    now = now or dt.datetime.now(dt.UTC)
    orgs = []
    for i, m in enumerate(MEMBERS, start=1):
        ca = create_org_ca(os.path.join(p["ca"], m.name), demo_org_id(i), m.org_name, m.org_type, suite, now=now)
        issue_identity(ca, p["wallet"], m.name, {"admin": True, **m.attributes}, now=now)
        orgs.append({"id": ca.org_id, "name": m.org_name, "type": m.org_type, "ca": ca.cert_pem,
                     "attributes": dict(m.attributes)})
    genesis = Genesis(
        chain_id=DEMO_CHAIN_ID,
        suite=suite,
        genesis_time=int(now.timestamp() * 1000) - 60_000,
        dev=True,
        orgs=orgs,
        contracts=DEMO_CONTRACTS,
        block_signer=create_block_signer(p["block_signer"], suite, name=f"{DEMO_CHAIN_ID} node") if block_signer
        else None,
    )
    genesis.save(p["genesis"])
    NodeConfig(port=port or NodeConfig.port, anonymous_reads=True).save(home)
    return True


class TxReceipt(Protocol):
    """What the samples read of a receipt: the chain's (a node's own `submit_as`) or the SDK's."""

    @property
    def ok(self) -> bool: ...

    @property
    def code(self) -> str: ...

    @property
    def message(self) -> str: ...

    @property
    def result(self) -> Any: ...

    @property
    def tx_hash(self) -> bytes | str: ...


Submit = Callable[[str, str, str, dict[str, Any]], TxReceipt]  # (identity name, contract, method, args) -> receipt
Upload = Callable[[bytes], str]  # document bytes -> their hash hex, once stored in the node's vault
Query = Callable[[str, str, str, dict[str, Any]], Any]  # (identity name, contract, method, args) -> the answer
OUTSIDE_WAIT = 60.0  # seconds a sample waits for a simulator's attestation to reach the chain


class Outside(Protocol):
    """The outside services' simulators a sample talks to, as their customers would (`fae demo` starts
    them: faechain/devnet/simulators/world.py). Without them (`Samples.outside` None) a sample signs
    the services' attestations itself, as the service members."""

    def file_registration(self, kind: str, creditor: str, debtor: str, amount: int, voucher: str) -> str:
        """A funder files a registration at the registry; its registration number."""
        ...

    def collect(self, account: str, amount: int, reference: str) -> tuple[int, str]:
        """The rail collects up to `amount` fen from a payer's account: (fen collected, rail reference)."""
        ...


@dataclass
class Samples:
    """What each module's sample (`devnet/samples/<name>.py`, `seed(samples)`) works with.

    `tx` signs as a demo member and returns the result, raising if the
    transaction failed; `upload` stores a document in the node's vault;
    `results` holds what earlier modules' seeds returned (a plan pools the
    vouchers the receivables sample made); `now` is the chain's clock and
    `advance(seconds)` moves the dev chain's clock on, so that a sample can show
    what happens at a maturity or a deadline (the demo node keeps the advanced
    clock across restarts). `suite` is the chain's signature suite: new organisations
    get CAs of it, and `hash(data)` is the chain's document hash (hex) of it.
    `ask(who, contract, method, ...)` reads the chain as a member (when the seed was given a
    `query`); `outside` is the simulators of the outside services when they run (`fae demo`),
    None when the sample signs the services' attestations itself (samples/world.py).
    """

    submit: Submit
    upload: Upload
    org_ids: dict[str, str]
    results: dict[str, dict] = field(default_factory=dict)
    now: Callable[[], int] = lambda: int(time.time())  # block time as the node sees it (unix s)
    advance: Callable[[int], None] = field(default=lambda seconds: _cannot_advance())  # a dev chain's clock
    suite: str = "ed25519"
    query: Query | None = None
    outside: Outside | None = None

    def hash(self, data: bytes) -> str:
        """The chain's hash (hex) of a document: SHA-256 or SM3 as the suite says."""
        from faechain.crypto.suite import get_suite

        return get_suite(self.suite).hash(bytes(data)).hex()

    def tx(self, who: str, contract: str, method: str, **args) -> dict:
        receipt = self.submit(who, contract, method, args)
        if not receipt.ok:
            raise RuntimeError(f"demo seed {who} {contract}.{method}: {receipt.code}: {receipt.message}")
        return receipt.result

    def ask(self, who: str, contract: str, method: str, **args) -> Any:
        """A query's answer as member `who` reads it."""
        if self.query is None:
            raise RuntimeError("this seed cannot read the chain (seed_samples was given no query)")
        return self.query(who, contract, method, args)

    def wait(self, what: str, probe: Callable[[], Any], seconds: float = OUTSIDE_WAIT) -> Any:
        """`probe()`'s first truthy answer, polled until `seconds` have passed (a simulator's
        attestation reaching the chain); a RuntimeError naming `what` after that."""
        end = time.monotonic() + seconds
        while True:
            got = probe()
            if got:
                return got
            if time.monotonic() > end:
                raise RuntimeError(f"demo seed: gave up after {seconds:g} s waiting for {what}")
            time.sleep(0.25)


def _cannot_advance() -> None:
    raise RuntimeError("this chain's clock cannot be advanced (seed_samples was given no advance)")


def demo_org_ids() -> dict[str, str]:
    return {m.name: demo_org_id(i) for i, m in enumerate(MEMBERS, start=1)}


def _query_of(submit: Submit) -> Query | None:
    """Queries signed as a wallet identity on the node behind `submit` (a node's bound `submit_as`)."""
    node: Any = getattr(submit, "__self__", None)
    if getattr(node, "app", None) is None or getattr(node, "home", None) is None:
        return None

    def query(who: str, contract: str, method: str, args: dict[str, Any]) -> Any:
        from faechain.identity.wallet import Identity

        ident = Identity.load(node.home, who)
        return node.app.run_query(contract, method, args, node.app.caller_for_cert(ident.cert_id, ident.cert))
    return query


def _suite_of(submit: Submit) -> str:
    """The suite of the node behind `submit` (a node's bound `submit_as`), else ed25519."""
    app = getattr(getattr(submit, "__self__", None), "app", None)
    return getattr(getattr(app, "suite", None), "name", None) or "ed25519"


# Later modules build on earlier ones' samples (a plan pools vouchers, a product
# packages financed vouchers), so the order is the business order, not alphabetical;
# the exchange records who the individual investors are (membership) before one of
# them subscribes to the product.
# The payments sample moves the clock a day on (a root's maturity): after the samples with open windows.
SAMPLE_ORDER = ("receivables", "plans", "npa", "membership", "products", "payments", "supervision", "governance")


def seed_samples(submit: Submit, upload: Upload | None = None, now: Callable[[], int] | None = None,
                 advance: Callable[[int], None] | None = None, suite: str | None = None,
                 query: Query | None = None, outside: Outside | None = None) -> list[str]:
    """Run each present module's sample `seed(samples)` in SAMPLE_ORDER; returns those run.

    Without `upload` documents are recorded by their hash only (the chain suite's). Without
    `query` a node's bound `submit_as` lends its node's queries. With `outside` (the running
    simulators) the outside services attest what they see; without, the samples sign it."""
    import faechain.devnet.samples as sample_modules

    present = {info.name for info in pkgutil.iter_modules(sample_modules.__path__)}
    samples = Samples(submit, upload or (lambda data: samples.hash(data)), demo_org_ids(),
                      suite=suite or _suite_of(submit), query=query or _query_of(submit), outside=outside)
    if now is not None:
        samples.now = now
    if advance is not None:
        samples.advance = advance
    ran = []
    for name in SAMPLE_ORDER:
        if name not in present:
            continue
        try:
            demo = importlib.import_module(f"faechain.devnet.samples.{name}")
        except ModuleNotFoundError:
            continue
        samples.results[name] = demo.seed(samples)
        ran.append(name)
    return ran
