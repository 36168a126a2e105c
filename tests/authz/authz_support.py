"""The authorization matrix's world: every contract method with a valid target, and who calls it.

`build_world(home)` makes the demo consortium (the 19 `fae demo` members, each its own
organisation of one type) in `home`, adds a few members the matrix needs, and drives the
chain through every module until each transaction method has a target in a state where it
could succeed. The chain runs on a fast store (no fsync per block: durability is not what
this tests).

Members (`MEMBERS`): the demo's 19, plus

    factor2, registrar2,  a second FACTOR, REGISTRAR and AMC and a third INTERMEDIARY (admitted
    amc2, accountant      by the exchange), so that a rule naming *the* originator, *the*
                          registrar, *the* buyer or *the* inspector is seen to refuse another
                          member of the same type (the demo has one FACTOR, REGISTRAR and AMC,
                          and both its INTERMEDIARY members are parties of some packages)
    removed               a SUPPLIER the consortium removed by a governance vote: every
                          transaction and read of its members is refused `not_member`
    revoked               a member certificate of supplier2's organisation that supplier2
                          revoked before it was ever used: refused `revoked`

`World.speculate(who, contract, method, args, at_ms)` runs one transaction alone in the next
block without committing it (`Application.finalize_block` persists nothing until `commit`),
so every call sees exactly the world as built, however many calls went before: the cheapest
fresh copy there is. `World.empty_app_hash(at_ms)` is what that block's app hash would be
without the transaction (end_block hooks may write in any block, so "unchanged" means
"equal to an empty block at the same time").

`Who` is a described set of member names: `roles(...)`, `QUALIFIED`, `SETTLEMENT`,
`party(...)`, `ANYONE`, combined with `|` and `-`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
from dataclasses import dataclass, field
from typing import Any

from faechain.chain.application import Application
from faechain.chain.results import BlockResult, Receipt
from faechain.core.encoding import decode
from faechain.core.genesis import Genesis
from faechain.crypto import certs
from faechain.crypto.sealed_bid import bid_digest
from faechain.devnet.demo import MEMBERS as DEMO_MEMBERS
from faechain.devnet.demo import create_demo, demo_org_id
from faechain.identity.ca import create_org_ca, issue_identity, load_org_ca, sign_revocation
from faechain.identity.wallet import Identity
from faechain.ledger.storage import Store
from faechain.node.config import paths
from tests.conftest import SUITE_NOW, TestChain

DAY = 86_400
YUAN = 100
H = "ab" * 32  # a stand-in document/contract hash


def person(label: str) -> str:
    """A stand-in commitment of a personal data document (a borrower's, an individual investor's)."""
    return hashlib.sha256(b"person:" + label.encode()).hexdigest()

# -- who is in the matrix ----------------------------------------------------------------------------

# (name, organisation type, organisation attributes) of every active member the matrix calls as
EXTRA_MEMBERS = (("factor2", "FACTOR", {}), ("registrar2", "REGISTRAR", {}), ("amc2", "AMC", {}),
                 ("accountant", "INTERMEDIARY", {}))
MEMBERS: tuple[tuple[str, str, dict], ...] = tuple(
    (m.name, m.org_type, dict(m.attributes)) for m in DEMO_MEMBERS) + EXTRA_MEMBERS
NAMES = tuple(name for name, _, _ in MEMBERS)
TYPE = {name: t for name, t, _ in MEMBERS}
ATTRS = {name: a for name, _, a in MEMBERS}
# signers that are no (longer) members: the envelope refuses them before any contract runs
OUTSIDERS = {"removed": "not_member", "revoked": "revoked"}
# numbered after the demo's members (22 of them, the outside services' included), so no id is taken twice
EXTRA_ORGS = {"factor2": (demo_org_id(31), "Haidian Supply-Chain Factoring Co., Ltd.", "FACTOR"),
              "registrar2": (demo_org_id(32), "Tianjin Equity Registration Co.", "REGISTRAR"),
              "amc2": (demo_org_id(33), "Bohai Asset Management Co., Ltd.", "AMC"),
              "accountant": (demo_org_id(34), "Xicheng Certified Public Accountants", "INTERMEDIARY"),
              "removed": (demo_org_id(35), "Shunyi Removed Trading Co., Ltd.", "SUPPLIER")}


class Who(frozenset):
    """A set of member names with a description of the rule that picks them; `parties` are the
    members named as a specific party (the holder, the seller, ...) rather than by their type."""

    desc: str = ""
    parties: frozenset = frozenset()

    def __new__(cls, names, desc: str = "", parties=()):
        obj = super().__new__(cls, names)
        unknown = set(obj) - set(NAMES)
        if unknown:
            raise ValueError(f"not matrix members: {sorted(unknown)}")
        obj.desc = desc
        obj.parties = frozenset(parties) & obj
        return obj

    def __or__(self, other: Who) -> Who:
        return Who(frozenset(self) | frozenset(other), f"{self.desc} | {other.desc}", self.parties | other.parties)

    def __sub__(self, other: Who) -> Who:
        return Who(frozenset(self) - frozenset(other), f"{self.desc} except {other.desc}", self.parties)

    def __repr__(self) -> str:
        return f"<{self.desc}: {', '.join(sorted(self))}>"


def roles(*types: str) -> Who:
    return Who({n for n in NAMES if TYPE[n] in types}, "any " + "/".join(types))


def party(*names: str, what: str = "") -> Who:
    """Specific parties: the matrix shows that another member of the same type is refused."""
    return Who(set(names), f"{what} ({', '.join(names)})" if what else "/".join(names), names)


ANYONE = Who(set(NAMES), "any member")
SEE_ALL = roles("EXCHANGE", "REGULATOR")
QUALIFIED = Who({n for n in NAMES if TYPE[n] == "INVESTOR" and ATTRS[n].get("qualified")}, "a qualified INVESTOR")
SETTLEMENT = Who({n for n in NAMES if TYPE[n] == "BANK" and ATTRS[n].get("settlement")}, "a settlement BANK")


# -- the chain -------------------------------------------------------------------------------------------


class WorldChain(TestChain):
    __test__ = False

    @property
    def org_ids(self) -> dict[str, str]:
        return {name: ident.org_id for name, ident in self.ids.items()}

    @property
    def now(self) -> int:
        return self.clock // 1000


class Failed(AssertionError):
    pass


@dataclass
class World:
    """The built chain, its members' org ids (`o`) and the targets the rows name (`t`)."""

    chain: WorldChain
    o: dict[str, str]
    t: dict[str, Any] = field(default_factory=dict)
    _empty: dict[int, bytes] = field(default_factory=dict)

    @property
    def app(self) -> Application:
        return self.chain.app

    @property
    def now_ms(self) -> int:
        """The time of the next block (every speculative call's default block time)."""
        return self.chain.clock

    @property
    def now(self) -> int:
        return self.chain.clock // 1000

    def sign(self, who: str, contract: str, method: str, args: dict, at_ms: int) -> bytes:
        return self.chain.sign(who, contract, method, args, now_ms=at_ms)

    def speculate(self, who: str, contract: str, method: str, args: dict,
                  at_ms: int | None = None) -> tuple[Receipt, BlockResult, set[bytes]]:
        """`who` calls `contract.method(**args)` alone in the next block at `at_ms`, executed but
        never committed: (its receipt, the block's result, the state keys the block wrote)."""
        at = self.now_ms if at_ms is None else at_ms
        raw = self.sign(who, contract, method, args, at)
        return self._speculate([raw], at)

    def _speculate(self, raws: list[bytes], at: int) -> tuple[Receipt | None, BlockResult, set[bytes]]:
        app = self.app
        try:
            res = app.finalize_block(app.height + 1, at, raws, proposer=b"authz")
            written = set(app._pending.values)
        finally:  # nothing of the block is kept: the next call sees the world as built
            app._pending = app._pending_result = None
            app.tree.pending.clear()
        return (res.receipts[0] if res.receipts else None), res, written

    def empty_app_hash(self, at_ms: int | None = None) -> bytes:
        at = self.now_ms if at_ms is None else at_ms
        if at not in self._empty:
            self._empty[at] = self._speculate([], at)[1].app_hash
        return self._empty[at]

    def query(self, who: str | None, contract: str, method: str, args: dict) -> Any:
        caller = None
        if who is not None:
            ident = self.chain.ids[who]
            caller = self.app.caller_for_cert(ident.cert_id, ident.cert)
        return self.app.run_query(contract, method, args, caller)

    def get(self, contract: str, key: str) -> Any:
        raw = self.chain.store.get_value(f"{contract}/{key}".encode())
        return None if raw is None else decode(raw)


# -- building it ---------------------------------------------------------------------------------------------

VAL_A, VAL_B, VAL_C = "0a" * 32, "0b" * 32, "0c" * 32


class Builder:
    """Commits the world's transactions, one block per call (or per batch), failing loudly."""

    def __init__(self, chain: WorldChain):
        self.c = chain
        self.o = chain.org_ids
        self._n = itertools.count(1)

    def ok(self, who: str, contract: str, method: str, **args: Any) -> Any:
        r = self.c.run(who, contract, method, args)
        if not r.ok:
            raise Failed(f"building the world: {who} {contract}.{method}{args}: {r.code}: {r.message}")
        return r.result

    def batch(self, calls: list[tuple[str, str, str, dict]]) -> list[Any]:
        res = self.c.block([self.c.sign(who, contract, method, args) for who, contract, method, args in calls])
        bad = [(calls[i][:3], r.code, r.message) for i, r in enumerate(res.receipts) if not r.ok]
        if bad:
            raise Failed(f"building the world: {bad}")
        return [r.result for r in res.receipts]

    def advance(self, seconds: int) -> None:
        """Move block time on and commit one (empty) block there: end_block does what fell due."""
        self.c.clock += seconds * 1000
        self.c.block([])

    def number(self) -> int:
        return next(self._n)

    # -- receivables -----------------------------------------------------------------------------
    def invoice(self, amount: int, seller: str = "supplier1", buyer: str = "core") -> str:
        number = f"{self.number():08d}"
        return self.ok(seller, "receivables", "register_invoice", code="011001900777", number=number,
                       seller=self.o[seller], buyer=self.o[buyer], amount=amount, date=self.c.now - DAY,
                       doc_hash=H)["invoice"]

    def voucher(self, amount: int, to: str = "supplier1", core: str = "core", days: int = 120,
                accept: bool = True, rail: str | None = None) -> str:
        """A voucher of `core` to `to`; with `rail`, the root names that settlement bank."""
        inv = self.invoice(amount, seller=to, buyer=core)
        named = {} if rail is None else {"settlement_bank": self.o[rail]}
        vid = self.ok(core, "receivables", "issue", to=self.o[to], amount=amount,
                      maturity=self.c.now + days * DAY, invoices=[[inv, amount]], contract_hash=H, **named)["voucher"]
        if accept:
            self.ok(to, "receivables", "accept", id=vid)
        return vid

    def financed(self, amount: int, holder: str = "supplier1", funder: str = "factor", days: int = 90) -> str:
        """A voucher financed in full by `funder`: the FINANCED piece it now holds."""
        vid = self.voucher(amount, to=holder, days=days)
        fid = self.ok(holder, "receivables", "request_financing", id=vid, funder=self.o[funder], amount=amount,
                      rate_bps=500)["financing"]
        self.ok(funder, "receivables", "record_registration", financing=fid, reg_no=f"ZDW-{fid}")
        self.attest(fid)
        return self.ok(funder, "receivables", "fund", financing=fid)["voucher"]

    def instructed(self, root: str, amount: int) -> list[str]:
        """The settlement bank confirms `amount` paid on a root and end_block instructs its pieces:
        their clearing instructions, PENDING on the bank's rail."""
        self.ok("bank", "receivables", "confirm_payment", root=root, amount=amount, bank_ref=f"PAY-{root}")
        self.c.block([])
        rows = self.c.store.scan_prefix(b"payments/instruction/", None, 10**9)
        return sorted(i["id"] for i in (decode(v) for _, v in rows)
                      if i["status"] == "PENDING" and i["ref"].startswith("voucher:")
                      and decode(self.c.store.get_value(f"receivables/{i['ref'].replace(':', '/')}".encode()))["root"]
                      == root)

    def conditional(self, expires_in: int, payer: str = "supplier1", payee: str = "supplier2") -> str:
        """A conditional payment of `payer` to `payee` on the bank's rail, paid once core confirms the
        goods arrived: AWAITING_FUNDS."""
        return self.ok(payer, "payments", "create_conditional", payee=self.o[payee], amount=10_000 * YUAN,
                       rail=self.o["bank"], condition={"kind": "confirmed", "by": self.o["core"],
                                                       "what": "goods received"},
                       expires=self.c.now + expires_in)["payment"]

    def attest(self, fid: str) -> None:
        """As "registry": the financing's recorded registration attested as it stands, and a clear search."""
        raw = self.c.store.get_value(f"receivables/financing/{fid}".encode())
        f = decode(raw)
        self.ok("registry", "receivables", "attest_registration", financing=fid, reg_no=f["registration"],
                kind=f["kind"], creditor=f["funder"], debtor=f["holder"], amount=f["amount"], voucher=f["voucher"])
        self.ok("registry", "receivables", "attest_search", financing=fid, search_no=f"S-{fid}", earlier=[])

    # -- plans ---------------------------------------------------------------------------------------
    def plan(self, size: int = 100_000 * YUAN) -> str:
        """A DRAFT plan of supplier1, underwritten by `underwriter`, serviced by `factor`, pooled."""
        pid = self.ok("supplier1", "plans", "create", name="Tianhe receivables plan", underwriter=self.o["underwriter"],
                      servicer=self.o["factor"], settlement_bank=self.o["bank"], size=size, coupon_bps=450,
                      term_days=180)["plan"]
        self.ok("supplier1", "plans", "pool", plan=pid, vouchers=[self.voucher(size + 1)])
        return pid

    def plan_doc(self, plan: str, who: str = "underwriter", kind: str = "report") -> str:
        h = os.urandom(32).hex()
        self.ok(who, "plans", "register_document", plan=plan, hash=h, kind=kind, name=f"document {h[:8]}",
                size=1234, media_type="application/pdf")
        return h

    def plan_filed(self, size: int = 100_000 * YUAN) -> str:
        """FILED, its initial disclosure published (so the exchange may approve it)."""
        pid = self.plan(size)
        item = self.ok("underwriter", "plans", "file", plan=pid)["initial_disclosure"]
        self.ok("underwriter", "plans", "publish", plan=pid, item=item, summary="offering circular",
                documents=[self.plan_doc(pid, kind="prospectus")])
        return pid

    def plan_listed(self, size: int = 100_000 * YUAN, days: int = 20) -> str:
        pid = self.plan_filed(size)
        self.ok("exchange", "plans", "approve", plan=pid, approval_no=f"BFAE-{pid}", opens=self.c.now,
                closes=self.c.now + days * DAY)
        return pid

    def plan_established(self, size: int = 100_000 * YUAN) -> str:
        pid = self.plan_listed(size)
        self.ok("investor1", "plans", "subscribe", plan=pid, amount=size * 3 // 5)
        self.ok("investor2", "plans", "subscribe", plan=pid, amount=size - size * 3 // 5)
        self.ok("underwriter", "plans", "establish", plan=pid)
        return pid

    # -- products ------------------------------------------------------------------------------------
    TRANCHES = [dict(name="senior", size=300_000 * YUAN, coupon_bps=500, priority=1),
                dict(name="sub", size=100_000 * YUAN, coupon_bps=0, priority=2)]

    def product(self, days: int = 90) -> str:
        """A DRAFT product of factor (registrar `registrar`, bank `bank`) with its underlying."""
        pid = self.ok("factor", "products", "create", name="Zhongguancun revenue-sharing product",
                      tranches=self.TRANCHES, registrar=self.o["registrar"], settlement_bank=self.o["bank"],
                      min_ticket=50_000 * YUAN, term_days=30, fee_bps=50)["product"]
        underlying = self.financed(400_000 * YUAN, days=days)
        self.ok("factor", "products", "add_underlying", product=pid, vouchers=[underlying])
        return pid

    def product_open(self, days: int = 90) -> str:
        pid = self.product(days)
        self.ok("rating", "products", "rate", product=pid, grade="AA", outlook="stable", report_hash=H)
        self.ok("factor", "products", "file", product=pid)
        self.ok("exchange", "products", "approve", product=pid, approval_no=f"TJFAE-{pid}", opens=self.c.now,
                closes=self.c.now + 20 * DAY)
        return pid

    def product_established(self, days: int = 90) -> str:
        pid = self.product_open(days)
        self.batch([("investor1", "products", "subscribe", dict(product=pid, tranche="senior", amount=200_000 * YUAN)),
                    ("investor2", "products", "subscribe", dict(product=pid, tranche="senior", amount=100_000 * YUAN)),
                    ("investor3", "products", "subscribe", dict(product=pid, tranche="sub", amount=100_000 * YUAN))])
        self.ok("registrar", "products", "establish", product=pid)
        return pid

    # -- npa -------------------------------------------------------------------------------------------
    PRICES = dict(reserve_price=1_200_000 * YUAN, list_price=1_500_000 * YUAN, margin=150_000 * YUAN)

    def loans(self, k: int = 2, seller: str = "bank2") -> list[str]:
        out = []
        for _ in range(k):
            no = f"BH-{self.number():05d}"
            self.ok(seller, "npa", "register_loan", loan_no=no, borrower=person(f"{seller}/{no}"),
                    principal=1_000_000 * YUAN,
                    interest=80_000 * YUAN, classification="doubtful", days_past_due=400, litigation="judgment",
                    collateral="factory building")
            out.append(no)
        return out

    def package(self, seller: str = "bank2") -> str:
        return self.ok(seller, "npa", "create_package", name="Bohai Rim NPL package", loans=self.loans(2, seller),
                       base_date=self.c.now - 30 * DAY, **self.PRICES)["package"]

    def npa_doc(self, package: str, who: str = "bank2", kind: str = "loan_file") -> str:
        h = os.urandom(32).hex()
        self.ok(who, "npa", "register_document", package=package, hash=h, kind=kind, name=f"{kind} {h[:8]}",
                size=2345, media_type="text/plain")
        return h

    def in_due_diligence(self, package: str) -> None:
        self.npa_doc(package)  # the loan tape, in the data room
        self.ok("bank2", "npa", "submit_for_due_diligence", package=package, intermediary=self.o["lawfirm"])

    def due_diligence(self, package: str) -> None:
        report = self.npa_doc(package, "lawfirm", "due_diligence")
        self.ok("lawfirm", "npa", "record_due_diligence", package=package, report_hash=report, opinion="clean")

    def approved(self) -> str:
        pkg = self.package()
        self.in_due_diligence(pkg)
        self.due_diligence(pkg)
        self.ok("exchange", "npa", "approve", package=pkg)
        return pkg

    def listed(self, mode: str = "english", duration: int = DAY) -> tuple[str, str]:
        pkg = self.approved()
        args = dict(package=pkg, mode=mode, start=self.c.now, end=self.c.now + duration,
                    settlement_bank=self.o["bank"], pay_days=10)
        if mode == "english":
            args.update(increment=50_000 * YUAN, extend_window=300, extend_by=300)
        elif mode == "sealed":
            args.update(reveal_end=args["end"] + DAY)
        else:
            args.update(step=50_000 * YUAN, interval=600)
        return pkg, self.ok("exchange", "npa", "list_package", **args)["auction"]

    def bidders(self, auction: str, *names: str) -> None:
        self.batch([(n, "auctions", "register", dict(auction=auction)) for n in names])
        self.batch([("bank", "auctions", "confirm_margin",
                     dict(auction=auction, bidder=self.o[n], bank_ref=f"M-{auction}-{n}")) for n in names])


def _new_org_ca(home: str, name: str, org_id: str, org_name: str, org_type: str):
    """A CA (and one admin member identity in the wallet) for an organisation not in genesis."""
    p = paths(home)
    ca = create_org_ca(os.path.join(p["ca"], name), org_id, org_name, org_type, now=SUITE_NOW)
    issue_identity(ca, p["wallet"], name, {"admin": True}, now=SUITE_NOW)
    return ca


def open_world_chain(home: str) -> WorldChain:
    p = paths(home)
    genesis = Genesis.load(p["genesis"])
    store = Store(os.path.join(home, "authz.db"), synchronous="OFF")
    app = Application(store, genesis)
    wallet = p["wallet"]
    ids = {name: Identity.load(home, name) for name in sorted(os.listdir(wallet))}
    chain = WorldChain(home, genesis, store, app, ids)
    chain.clock = max(app.last_time, genesis.genesis_time + 60_000) + (1000 if app.height else 0)
    return chain


def build_world(home: str) -> World:
    create_demo(home, now=SUITE_NOW)
    p = paths(home)
    # two genesis validators, so that a validator-removal proposal can pass and fail to execute
    g = Genesis.load(p["genesis"])
    g.validators = [{"name": f"v{i}", "org_id": None, "key_type": "ed25519",
                     "pub_key": base64.b64encode(bytes.fromhex(k)).decode(), "power": 10}
                    for i, k in enumerate((VAL_A, VAL_B))]
    g.save(p["genesis"])
    extra_cas = {name: _new_org_ca(home, name, *spec) for name, spec in EXTRA_ORGS.items()}
    c = open_world_chain(home)
    b = Builder(c)
    w = World(c, b.o)
    t = w.t

    # -- membership: the extra organisations, a certificate revoked before its first use --------------
    for name, (org_id, org_name, org_type) in EXTRA_ORGS.items():
        b.ok("exchange", "membership", "admit", org_id=org_id, name=org_name, type=org_type,
             ca=certs.load_pem(extra_cas[name].cert_pem.encode()))
    issue_identity(load_org_ca(os.path.join(p["ca"], "supplier2")), p["wallet"], "revoked", {}, now=SUITE_NOW)
    c.ids["revoked"] = Identity.load(home, "revoked")
    b.ok("supplier2", "membership", "revoke", org_id=b.o["supplier2"], cert_id=c.ids["revoked"].cert_id,
         reason="token lost")
    b.o.update(c.org_ids)
    w.o = b.o
    t["revocation"] = sign_revocation(load_org_ca(os.path.join(p["ca"], "bank2")), c.chain_id, b"\x11" * 32,
                                      "key compromised")
    t["new_org_ca"] = certs.load_pem(create_org_ca(os.path.join(home, "newca"), demo_org_id(30), "Newcomer Bank",
                                                   "BANK", now=SUITE_NOW).cert_pem.encode())

    # -- governance: `removed` voted out; a proposal PASSED whose execution failed (execute retries it
    #    successfully now); an OPEN proposal nobody has voted on ---------------------------------------------
    by_org = {org: name for name, org in b.o.items() if name != "revoked"}

    def propose(kind: str, **params: Any) -> str:
        return b.ok("exchange", "governance", "propose", kind=kind, params=params,
                    summary=f"{kind} {params}")["proposal"]

    def carry(pid: str) -> str:
        prop = w.get("governance", f"proposal/{pid}")
        voters = [by_org[org] for org in prop["electorate"]][:prop["need"]]
        b.batch([(v, "governance", "vote", dict(proposal=pid, approve=True)) for v in voters])
        return w.get("governance", f"proposal/{pid}")["status"]

    assert carry(propose("remove_org", org_id=b.o["removed"], reason="licence withdrawn")) == "EXECUTED"
    remove_a = propose("set_validator", pub_key=VAL_A, power=0)
    remove_b = propose("set_validator", pub_key=VAL_B, power=0)
    assert carry(remove_a) == "EXECUTED"
    assert carry(remove_b) == "PASSED"  # it would leave no validator
    assert carry(propose("set_validator", pub_key=VAL_C, power=10, name="v2")) == "EXECUTED"
    t["G_passed"] = remove_b  # executes now: C is there
    t["G_open"] = propose("set_threshold", rule="large_transfer", value=5_000_000_00)

    # -- receivables ------------------------------------------------------------------------------------
    for core in ("core", "core2"):
        b.ok("bank", "receivables", "grant_credit", core=b.o[core], amount=10**12, expires=c.now + 400 * DAY)
    t["V_active"] = b.voucher(1_000_000 * YUAN)
    t["V_issued"] = b.voucher(1_000_000 * YUAN, accept=False)
    t["V_frozen"] = b.voucher(1_000_000 * YUAN)
    b.ok("regulator", "receivables", "freeze", id=t["V_frozen"], reason="court order 2026-17")
    v = b.voucher(1_000_000 * YUAN)
    t["F_requested"] = b.ok("supplier1", "receivables", "request_financing", id=v, funder=b.o["factor"],
                            amount=500_000 * YUAN, rate_bps=500)["financing"]
    v = b.voucher(1_000_000 * YUAN)
    t["F_registered"] = b.ok("supplier1", "receivables", "request_financing", id=v, funder=b.o["bank2"],
                             amount=500_000 * YUAN, rate_bps=500)["financing"]
    b.ok("bank2", "receivables", "record_registration", financing=t["F_registered"], reg_no="ZDW-0002")
    b.attest(t["F_registered"])
    t["V_maturing"] = b.voucher(1_000_000 * YUAN, days=1)  # matures during the world's two-day jump
    # paid after the jump: one piece's instruction left PENDING, the other's FAILED on the bank's rail
    paid_pending, paid_failed = b.voucher(100_000 * YUAN, days=1), b.voucher(100_000 * YUAN, days=1)
    t["V_paid_rail"] = b.voucher(100_000 * YUAN, days=1, rail="bank")  # paid after the jump through the rail it names
    # early payment: the root names its rail (the bank), the payer offers, the holder (supplier1) may take it
    t["V_early"] = b.voucher(1_000_000 * YUAN, rail="bank")
    b.ok("core", "receivables", "offer_early_payment", root=t["V_early"], rate_bps=300, until=c.now + 60 * DAY)
    # recourse: supplier1 passes a piece on to supplier2 with recourse; it falls overdue unpaid in the jump
    v = b.voucher(1_000_000 * YUAN, days=1, rail="bank")
    t["V_recourse"] = b.ok("supplier1", "receivables", "transfer", id=v, to=b.o["supplier2"],
                           amount=400_000 * YUAN, recourse=True)["voucher"]
    # competing quotes: supplier1 asks the factor and bank2; the factor has quoted
    v = b.voucher(1_000_000 * YUAN)
    t["RFQ"] = b.ok("supplier1", "receivables", "request_quotes", id=v, amount=500_000 * YUAN,
                    funders=[b.o["factor"], b.o["bank2"]], closes=c.now + 10 * DAY)["rfq"]
    b.ok("factor", "receivables", "quote", rfq=t["RFQ"], rate_bps=500)
    b.ok("bank2", "receivables", "quote", rfq=t["RFQ"], rate_bps=550)  # a competitor's quote the factor may not read
    t["INV_core"] = b.invoice(500_000 * YUAN, "supplier1", "core")
    t["INV_core2"] = b.invoice(500_000 * YUAN, "supplier1", "core2")
    t["INV_frozen"] = b.invoice(500_000 * YUAN)
    b.ok("regulator", "supervision", "freeze", asset=f"invoice:{t['INV_frozen']}", reason="suspected duplicate")
    # a lineage for the read rules: core -> supplier1 -> supplier2 -> factor (financed)
    t["INV_q"] = b.invoice(1_000_000 * YUAN)
    t["V_q"] = b.ok("core", "receivables", "issue", to=b.o["supplier1"], amount=1_000_000 * YUAN,
                    maturity=c.now + 120 * DAY, invoices=[[t["INV_q"], 1_000_000 * YUAN]], contract_hash=H)["voucher"]
    b.ok("supplier1", "receivables", "accept", id=t["V_q"])
    piece = b.ok("supplier1", "receivables", "transfer", id=t["V_q"], to=b.o["supplier2"],
                 amount=400_000 * YUAN)["voucher"]
    t["F_q"] = b.ok("supplier2", "receivables", "request_financing", id=piece, funder=b.o["factor"],
                    amount=400_000 * YUAN, rate_bps=600)["financing"]
    b.ok("factor", "receivables", "record_registration", financing=t["F_q"], reg_no="ZDW-0003")
    b.attest(t["F_q"])
    t["V_q_financed"] = b.ok("factor", "receivables", "fund", financing=t["F_q"])["voucher"]

    # -- payments: supplier2's account on the e-CNY rail; conditional payments of supplier1 to supplier2 on the
    #    bank's rail, core confirming ------------------------------------------------------------------------
    b.ok("supplier2", "payments", "register_account", rail=b.o["ecny"], account="ECNY-WALLET-0002")
    t["CP_awaiting"] = b.conditional(30 * DAY)  # AWAITING_FUNDS, its condition unconfirmed
    t["CP_met"] = b.conditional(30 * DAY)
    b.ok("bank", "payments", "reserve", payment=t["CP_met"], rail_ref="ECNY-RSV-0001")
    b.ok("core", "payments", "confirm_condition", payment=t["CP_met"])  # RESERVED and met: the rail may pay
    t["CP_cancelled"] = b.conditional(DAY)  # reserved; expires unmet in the jump, then cancelled
    b.ok("bank", "payments", "reserve", payment=t["CP_cancelled"], rail_ref="ECNY-RSV-0002")

    # -- plans (sponsor supplier1, underwriter `underwriter`, servicer factor, settlement bank `bank`) --------
    t["PL_draft"] = b.plan()
    t["PL_draft_asset"] = w.get("plans", f"plan/{t['PL_draft']}")["assets"][0]
    t["PL_filed"] = b.plan_filed()
    t["PL_listed"] = b.plan_listed()
    b.ok("investor1", "plans", "subscribe", plan=t["PL_listed"], amount=30_000 * YUAN)
    t["PL_established"] = b.plan_established()
    t["PL_outstanding"] = b.plan_established()
    b.ok("bank", "plans", "confirm_funding", plan=t["PL_outstanding"], bank_ref="FUND-0001")
    t["PL_doc"] = b.plan_doc(t["PL_outstanding"], "supplier1", "contract")
    b.ok("factor", "plans", "record_cash_flow", plan=t["PL_outstanding"], payer=b.o["core"], payee=b.o["supplier1"],
         amount=20_000 * YUAN, value_date=c.now - 3600, bank_ref="CF-0001")

    # -- products (originator factor, registrar `registrar`, settlement bank `bank`) -----------------------------
    t["PR_draft"] = b.product()
    t["V_financed_free"] = b.financed(100_000 * YUAN)
    t["PR_rated"] = b.product()
    b.ok("rating", "products", "rate", product=t["PR_rated"], grade="AA", outlook="stable", report_hash=H)
    t["PR_filed"] = b.product()
    b.ok("rating", "products", "rate", product=t["PR_filed"], grade="AA", outlook="stable", report_hash=H)
    b.ok("factor", "products", "file", product=t["PR_filed"])
    t["PR_open"] = b.product_open()
    b.ok("investor1", "products", "subscribe", product=t["PR_open"], tranche="senior", amount=100_000 * YUAN)
    t["PR_established"] = b.product_established()
    t["PR_default"] = b.product_established()
    b.ok("exchange", "products", "declare_default", product=t["PR_default"], reason="originator insolvent")
    t["PR_outstanding"] = b.product_established(days=1)  # its underlying matures during the jump
    b.ok("bank", "products", "confirm_funding", product=t["PR_outstanding"], bank_ref="FUND-R-0001")

    # -- npa: the packages that must go through a finished auction (seller bank2, won by amc) -------------------
    finishing = {}
    for key in ("P_awarded", "P_paid", "P_delivered", "P_post", "P_inspected"):
        finishing[key] = b.listed("english", duration=3600)
    for _pkg, auction in finishing.values():
        b.bidders(auction, "amc")
    b.batch([("amc", "auctions", "bid", dict(auction=auction, price=b.PRICES["list_price"]))
             for pkg, auction in finishing.values()])

    # -- two days on: the auctions close (amc wins each), V_maturing and PR_outstanding's underlying mature ---------
    b.advance(2 * DAY)
    for key, (pkg, auction) in finishing.items():
        assert w.get("npa", f"package/{pkg}")["status"] == "AWARDED", key
        t[key], t[key + "_auction"] = pkg, auction
    # the product's underlying is paid: the collection is credited to it
    underlying = w.get("products", f"product/{t['PR_outstanding']}")["underlying"][0]
    root = w.get("receivables", f"voucher/{underlying}")["root"]
    [ins] = b.instructed(root, 400_000 * YUAN)
    assert w.get("products", f"product/{t['PR_outstanding']}")["collected"] == 0  # until the rail pays the piece
    b.ok("bank", "payments", "confirm", results=[[ins, "PAID", "RAIL-R-0001"]])
    assert w.get("products", f"product/{t['PR_outstanding']}")["collected"] == 400_000 * YUAN
    # clearing instructions for payments.confirm (PENDING) and payments.retry (FAILED; payee supplier1)
    [t["I_pending"]] = b.instructed(paid_pending, 100_000 * YUAN)
    [t["I_failed"]] = b.instructed(paid_failed, 100_000 * YUAN)
    b.instructed(t["V_paid_rail"], 100_000 * YUAN)
    b.ok("bank", "payments", "confirm", results=[[t["I_failed"], "FAILED", "account closed"]])
    recourse_root = w.get("receivables", f"voucher/{t['V_recourse']}")["root"]
    assert w.get("receivables", f"root/{recourse_root}")["status"] == "OVERDUE"
    # the conditional payment reserved for a day, unmet: its payer cancels, the rail is to release it
    b.ok("supplier1", "payments", "cancel_conditional", payment=t["CP_cancelled"], reason="goods never came")
    # negotiated transfers of PR_outstanding's senior units, to investor3
    t["T_proposed"] = b.ok("investor1", "products", "propose_transfer", product=t["PR_outstanding"], tranche="senior",
                           buyer=b.o["investor3"], units=50_000 * YUAN, price=51_000 * YUAN)["transfer"]
    t["T_accepted"] = b.ok("investor2", "products", "propose_transfer", product=t["PR_outstanding"], tranche="senior",
                           buyer=b.o["investor3"], units=50_000 * YUAN, price=50_500 * YUAN)["transfer"]
    b.ok("investor3", "products", "accept_transfer", transfer=t["T_accepted"])

    # the finished auctions, carried on (each package one step further than the one before)
    price = b.PRICES["list_price"]
    t["P_awarded_contract"] = b.npa_doc(t["P_awarded"], "bank2", "contract")
    for key in ("P_paid", "P_delivered", "P_post", "P_inspected"):
        pkg, auction = t[key], t[key + "_auction"]
        contract = b.npa_doc(pkg, "bank2", "contract")
        b.ok("bank2", "npa", "sign_deal", package=pkg, contract_hash=contract)
        b.ok("amc", "npa", "sign_deal", package=pkg, contract_hash=contract)
        b.ok("bank", "auctions", "confirm_payment", auction=auction, amount=price - b.PRICES["margin"],
             bank_ref=f"PAY-{auction}")
        t[key + "_delivery"] = b.npa_doc(pkg, "bank2", "delivery")
        if key == "P_paid":
            continue
        b.ok("bank2", "npa", "deliver", package=pkg, delivery_doc_hash=t[key + "_delivery"])
        t[key + "_notice"] = b.npa_doc(pkg, "bank2", "notice")
        if key == "P_delivered":
            continue
        b.ok("bank2", "npa", "publish_notice", package=pkg, notice_hash=t[key + "_notice"])
        b.ok("exchange", "npa", "assign_inspector", package=pkg, inspector=b.o["underwriter"])
        b.ok("amc", "npa", "record_disposition", package=pkg, kind="collection", description="first collection",
             amount=10_000 * YUAN)
        t[key + "_report"] = b.npa_doc(pkg, "underwriter", "inspection")
        if key == "P_post":
            t["P_post_contract"] = contract
            continue
        b.ok("underwriter", "npa", "inspect", package=pkg, result="compliant", report_hash=t[key + "_report"])

    # -- npa: packages before and during their auctions ----------------------------------------------------
    for seller in ("bank", "bank2", "amc", "amc2"):
        b.ok(seller, "npa", "register_loan", loan_no="L-FREE", borrower=person(f"{seller}/L-FREE"),
             principal=500_000 * YUAN,
             interest=20_000 * YUAN, classification="loss", days_past_due=900)
    t["P_draft"] = b.package()
    t["P_draft_loan"] = w.get("npa", f"package/{t['P_draft']}")["loans"][0]
    t["P_dd"] = b.package()
    b.in_due_diligence(t["P_dd"])
    t["P_dd_report"] = b.npa_doc(t["P_dd"], "lawfirm", "due_diligence")
    t["P_dd_done"] = b.package()
    b.in_due_diligence(t["P_dd_done"])
    b.due_diligence(t["P_dd_done"])
    t["P_approved"] = b.approved()
    t["P_approved_loan"] = w.get("npa", f"package/{t['P_approved']}")["loans"][0]
    t["P_fresh"], t["P_fresh_auction"] = b.listed("english")
    t["P_listed"], t["P_listed_auction"] = b.listed("english")
    t["P_listed_tape"] = w.get("npa", f"docs/{t['P_listed']}")[0]
    t["P_listed_loan"] = w.get("npa", f"package/{t['P_listed']}")["loans"][0]
    b.bidders(t["P_listed_auction"], "amc", "investor1")
    b.ok("investor2", "auctions", "register", auction=t["P_listed_auction"])  # its margin is still DUE
    b.ok("investor1", "npa", "view_document", package=t["P_listed"], hash=t["P_listed_tape"])
    t["P_sealed_commit"], t["P_sealed_commit_auction"] = b.listed("sealed")
    b.bidders(t["P_sealed_commit_auction"], "amc", "investor1")
    t["P_sealed_reveal"], auction = b.listed("sealed")
    t["P_sealed_reveal_auction"] = auction
    b.bidders(auction, "amc", "investor3")
    t["reveal_price"], t["reveal_salt"] = 1_400_000 * YUAN, b"authz-matrix-salt-0001"
    for n in ("amc", "investor3"):
        b.ok(n, "auctions", "commit", auction=auction,
             digest=bid_digest(c.app.hash, auction, b.o[n], t["reveal_price"], t["reveal_salt"]))
    t["P_dutch"], t["P_dutch_auction"] = b.listed("dutch")
    b.bidders(t["P_dutch_auction"], "amc", "investor1")

    # -- personal data: a borrower whose erasure its seller requested; the persons behind investor3 and
    #    investor4, investor3's erasure requested by the exchange that registered it -----------------------
    b.ok("bank2", "npa", "register_loan", loan_no="L-ERASE", borrower=person("bank2/L-ERASE"), principal=100_000 * YUAN,
         interest=0, classification="loss", days_past_due=900)
    b.ok("bank2", "npa", "request_erasure", person=person("bank2/L-ERASE"), reason="the borrower's request")
    for name in ("investor3", "investor4"):
        b.ok("exchange", "membership", "register_person", org_id=b.o[name], person=person(name))
    b.ok("exchange", "membership", "request_erasure", person=person("investor3"), reason="the investor's request")
    return w
