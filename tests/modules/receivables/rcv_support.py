"""Helpers shared by the receivables tests: a thin driver over `DemoChain`.

`Rcv(c)` is a `tests.modules.driver.Driver` of the receivables contract (tx, ok,
rejected, warm, get, scan) on the demo chain, plus set-ups:

    r.invoice(amount, seller, buyer) register a fresh invoice; its id
    r.issue(amount, to, ...)         register an invoice, issue against it, accept; the voucher id
    r.attest(fid)                    as "registry": the financing's recorded registration attested as it
                                     stands, and a clear search (what funding needs)
    r.finance(holder, vid, funder, amount)  request, record the registration, attest, fund
"""

from __future__ import annotations

import itertools
from typing import Any

from faechain.core.encoding import decode
from faechain.ledger.smt import verify_proof
from tests.modules.driver import Driver

DAY = 86_400
CST = 8 * 3600
H = "ab" * 32  # a stand-in SHA-256 document/contract hash
LIVE = ("ISSUED", "ACTIVE", "FINANCING", "FINANCED")


def cst_day(t: int) -> int:
    return (t + CST) // DAY


_IDENTITIES: dict[str, dict] = {}


def open_fast_chain(home: str, db_path: str):
    """A chain over the demo consortium in `home` whose database is `db_path`, without an
    fsync per block: for the many short chains of the property tests (durability is not what
    they test, and `home` is shared read-only, so nothing needs copying)."""
    from faechain.chain.application import Application
    from faechain.core.genesis import Genesis
    from faechain.devnet.demo import MEMBERS
    from faechain.identity.wallet import Identity
    from faechain.ledger.storage import Store
    from faechain.node.config import paths
    from tests.modules.receivables.conftest import DemoChain

    genesis = Genesis.load(paths(home)["genesis"])
    store = Store(db_path, synchronous="OFF")
    app = Application(store, genesis)
    if home not in _IDENTITIES:
        _IDENTITIES[home] = {m.name: Identity.load(home, m.name) for m in MEMBERS}
    chain = DemoChain(home, genesis, store, app, dict(_IDENTITIES[home]))
    chain.clock = max(app.last_time, genesis.genesis_time + 60_000) + (1000 if app.height else 0)
    return chain


def attestation_of(f: dict, **differ: Any) -> dict:
    """The arguments of `attest_registration` that match financing record `f` in every field."""
    args = dict(financing=f["id"], reg_no=f["registration"], kind=f.get("kind", "ASSIGNMENT"), creditor=f["funder"],
                debtor=f["holder"], amount=f["amount"], voucher=f["voucher"])
    return {**args, **differ}


def attest_for(ok, fid: str, f: dict, **differ: Any) -> None:
    """As "registry", through `ok(who, method, **args)` (a receivables driver's): the registration of
    financing `f` attested (as recorded, fields in `differ` replaced) and a clear search."""
    ok("registry", "attest_registration", **attestation_of(f, **differ))
    ok("registry", "attest_search", financing=fid, search_no=f"ZDW-S-{fid}", earlier=[])


class Rcv(Driver):
    contract = "receivables"

    def __init__(self, c):
        super().__init__(c)
        # one numbering per chain, however many drivers share it
        self._numbers = c.__dict__.setdefault("_invoice_numbers", itertools.count(1))

    # -- set-ups ------------------------------------------------------------------------
    def line(self, amount: int = 100_000_000_00, core: str = "core", bank: str = "bank", days: int = 400) -> None:
        self.ok(bank, "grant_credit", core=self.o[core], amount=amount, expires=self.c.now + days * DAY)

    def invoice(self, amount: int, seller: str = "supplier1", buyer: str = "core") -> str:
        number = f"{next(self._numbers):08d}"
        self.ok(seller, "register_invoice", code="011001900111", number=number, seller=self.o[seller],
                buyer=self.o[buyer], amount=amount, date=self.c.now - DAY, doc_hash=H)
        return f"011001900111-{number}"

    def issue(self, amount: int, to: str = "supplier1", core: str = "core", days: int = 90,
              accept: bool = True, invoice: str | None = None, **extra: Any) -> str:
        inv = invoice or self.invoice(amount, seller=to, buyer=core)
        vid = self.ok(core, "issue", to=self.o[to], amount=amount, maturity=self.c.now + days * DAY,
                      invoices=[[inv, amount]], contract_hash=H, **extra)["voucher"]
        if accept:
            self.ok(to, "accept", id=vid)
        return vid

    def transfer(self, who: str, vid: str, to: str, amount: int) -> tuple[str, str | None]:
        res = self.ok(who, "transfer", id=vid, to=self.o[to], amount=amount)
        return res["voucher"], res["remainder"]

    def finance(self, holder: str, vid: str, funder: str, amount: int, rate_bps: int = 600) -> dict:
        fid = self.ok(holder, "request_financing", id=vid, funder=self.o[funder], amount=amount,
                      rate_bps=rate_bps)["financing"]
        self.ok(funder, "record_registration", financing=fid, reg_no=f"ZDW-{fid}")
        self.attest(fid)
        return self.ok(funder, "fund", financing=fid)

    def attest(self, fid: str, **differ: Any) -> None:
        """The registry agent attests the financing's registration as recorded (fields in `differ`
        replaced) and a search that found no earlier registration."""
        attest_for(self.ok, fid, self.get(f"financing/{fid}"), **differ)

    # -- reads -------------------------------------------------------------------------------
    def v(self, vid: str) -> dict:
        return self.get(f"voucher/{vid}")

    def holder_name(self, vid: str) -> str:
        """The demo member name of a piece's holder."""
        holder = self.v(vid)["holder"]
        return next(name for name, org in self.o.items() if org == holder)

    def live(self, root: str) -> dict[str, int]:
        return {k.rsplit("/", 1)[1]: a for k, a in self.scan(f"live/{root}/").items()}

    def q(self, method: str, as_: str | None = "regulator", **args: Any) -> Any:
        return super().q(method, as_=as_, **args)

    def check_proofs(self, proofs: dict, expected: dict[str, Any] | None = None) -> None:
        """Every proof verifies against the head's app hash; values match `expected` (decoded)."""
        assert proofs
        for key, p in proofs.items():
            assert p["app_hash"] == self.c.app.app_hash
            assert p["key"] == f"receivables/{key}".encode()
            assert verify_proof(self.c.app.hash, p["app_hash"], p["key"], p["value"], p["proof"])
            # the same proof must not vouch for another value
            assert not verify_proof(self.c.app.hash, p["app_hash"], p["key"], p["value"] + b"\x00", p["proof"])
            if expected is not None and key in expected:
                assert decode(p["value"]) == expected[key]
