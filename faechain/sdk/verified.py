"""Verified answers: what a contract query showed, rebuilt from proven bytes only.

For each query that takes `prove`, a function here takes the node's raw answer (the JSON of
`POST /v1/query/...` with `prove=true`: {"result": ..., "height": h}), what was asked (the
id), the `TrustedHeader` of block h (from a `HeaderTrust`: the light client) and the chain's
hash function, and returns a typed record whose every value comes from a state value whose
proof verified against that header's app hash:

  * each proof must be for the key derived from what was asked (`receivables/voucher/<id>`),
    or from a reference inside a record already proven (a piece's `parent`, a root's
    `invoices`, a plan's count of disclosures) — never a key only the node named;
  * the answer is then rebuilt from the proven records as the query builds it, and whatever
    the node showed must be exactly that: a single changed field is refused, naming the key
    and the field (`not_proven`);
  * where the answer claims completeness — a lineage up to the root, a piece's descendants,
    a plan's disclosures and documents, a root's invoices, an invoice's roots, a history —
    the proven records say what must be there, and all of it must be (`incomplete`).

What it cannot know, it does not claim: a reader that is not a party to a package is shown
its data-room documents one by one, each proven, but proving that none was left out would
mean showing it the others (`VerifiedPackage.documents_complete` is False then). A history
is checked version by version against each version's own block and the block before it, so
a version left out between two shown ones is noticed; a run of versions that ends where it
began (A -> B -> A) and is left out whole cannot be seen from state proofs.

Everything here is as good as the `HeaderTrust` it is given: with the light client, the app
hash is one the chain's validators signed; with anything else, it is what that source says.

Why one file (over 500 lines): one verifier per query that takes `prove`, each a page that
mirrors its query, over one shared checker (`_Answer`); a member reads them side by side to
see what each answer proves.
Only `faechain.core`, `faechain.crypto`, `faechain.identity` and `faechain.ledger` are used: a
member's verifier needs no node code. (The few rules the queries apply to what they show —
a live piece of an OVERDUE root shows OVERDUE, an english auction's next price — are restated
here, and the tests hold the two in step.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from faechain.sdk.penetration import verify as verify_penetration
from faechain.sdk.proofs import (
    MISSING,
    Hasher,
    Path,
    amount_text,
    difference_text,
    first_difference,
    path_text,
    proven_value,
)
from faechain.sdk.trust import TrustedHeader, VerificationError

SEE_ALL = frozenset({"REGULATOR", "EXCHANGE"})  # roles that every query shows in full
LIVE = frozenset({"ISSUED", "ACTIVE", "FINANCING", "FINANCED", "PLEDGED"})  # pieces paid at maturity
MAX_DESCENDANTS = 1000  # receivables.voucher shows at most this many descendants

Headers = Callable[[int], TrustedHeader]


@dataclass(frozen=True)
class Reader:
    """Who signed the read: the queries show a party, the regulator and the exchange more than
    others, so the verifier knows which view it must have been given in full. `org_id` None is
    an anonymous read (a dev chain on loopback), which sees everything."""

    org_id: str | None = None
    role: str | None = None

    @property
    def sees_all(self) -> bool:
        return self.org_id is None or self.role in SEE_ALL

    def __str__(self) -> str:
        return "an anonymous reader" if self.org_id is None else f"{self.org_id} ({self.role})"


ANONYMOUS = Reader()


@dataclass(frozen=True)
class Version:
    """One committed version of a record: the value it took at block `height` (None: deleted),
    proven against that block's trusted app hash."""

    height: int
    value: Any


# -- the typed records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedVoucher:
    """`receivables.voucher`: the piece, its root, its lineage from the root (first) down to its
    parent, its descendants (breadth first, at most 1,000) and its versions, all proven."""

    id: str
    height: int
    header: TrustedHeader
    voucher: dict[str, Any]  # as stored
    status: str  # as shown: a live piece of an OVERDUE root shows OVERDUE
    root: dict[str, Any]
    ancestors: list[dict[str, Any]]
    descendants: list[dict[str, Any]]
    history: list[Version]
    # False: the reader is shown the descendants it may read only (their parties', not all: the
    # payer, the exchange and the regulator are shown every one), each proven; docs/confidentiality.md
    descendants_complete: bool = True


@dataclass(frozen=True)
class VerifiedInvoice:
    """`receivables.invoice`: the invoice and the roots that draw on it, whose draws add up to
    what the invoice records as drawn (a root left out would not)."""

    id: str
    height: int
    header: TrustedHeader
    invoice: dict[str, Any]
    undrawn: int
    roots: list[dict[str, Any]]  # the root records


@dataclass(frozen=True)
class VerifiedCredit:
    """`receivables.credit`: a core's credit lines (every bank its record names), the open total
    and the headroom at the block's time."""

    core: str
    height: int
    header: TrustedHeader
    record: dict[str, Any] | None  # the core's credit record (its banks, open total); None: it has none
    lines: list[dict[str, Any]]
    limit: int
    open: int
    headroom: int
    # False: a bank's view, its own line only (the core's total and other banks' lines are not its
    # to see: docs/confidentiality.md); `limit` is that line's, `open` and `headroom` are not known (0)
    complete: bool = True


@dataclass(frozen=True)
class VerifiedPlan:
    """`plans.plan`: `view` is "full" (parties, exchange, regulator: documents, every holding,
    payments), "holder" (its own holding) or "offered" (a qualified investor outside it: each
    disclosure proven; the plan record, which holds its pool and investors, is not shown, so
    `plan` is None and whether every disclosure was shown is not proven)."""

    id: str
    height: int
    header: TrustedHeader
    view: str
    plan: dict[str, Any] | None
    disclosures: list[dict[str, Any]]
    documents: list[dict[str, Any]] | None
    holdings: list[Any] | None
    payments: list[dict[str, Any]] | None
    disclosures_complete: bool = True


@dataclass(frozen=True)
class VerifiedPenetration:
    """`plans.penetrate`: the plan's tree (`faechain.sdk.penetration`), complete and proven."""

    plan: str
    height: int
    header: TrustedHeader
    tree: dict[str, Any]
    checked: int  # elements whose proofs verified


@dataclass(frozen=True)
class VerifiedProduct:
    """`products.product`: `view` "full" (the register of every holding with units,
    distributions, collections), "holder" (its own holdings) or "offered" (a qualified investor
    or rating agency outside it is shown the terms only, which cannot be proven without the record:
    `product` is None)."""

    id: str
    height: int
    header: TrustedHeader
    view: str
    product: dict[str, Any] | None
    holdings: list[dict[str, Any]] | None
    distributions: list[dict[str, Any]] | None
    collections: list[dict[str, Any]] | None


@dataclass(frozen=True)
class VerifiedAuction:
    """`auctions.auction`: the auction, every bid, and the margins the reader sees (every
    bidder's for the seller, the exchange and the regulator; its own for a bidder)."""

    id: str
    height: int
    header: TrustedHeader
    auction: dict[str, Any]
    current_price: int | None  # what a bid must reach at the block's time (OPEN auctions)
    bids: list[dict[str, Any]]
    margins: list[dict[str, Any]]


@dataclass(frozen=True)
class VerifiedPackage:
    """`npa.package`: the package, its loans, documents and dispositions."""

    id: str
    height: int
    header: TrustedHeader
    package: dict[str, Any]
    loans: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    documents_complete: bool  # False for a reader shown the data room only (see the module doc)
    dispositions: list[dict[str, Any]]


@dataclass(frozen=True)
class VerifiedLoan:
    """`npa.loan`: a loan and every committed version of it."""

    seller: str
    loan_no: str
    height: int
    header: TrustedHeader
    loan: dict[str, Any]
    versions: list[Version]


@dataclass(frozen=True)
class VerifiedLoanLife:
    loan: dict[str, Any]
    versions: list[Version]


@dataclass(frozen=True)
class VerifiedLife:
    """`npa.life`: the package's every version, its loans with theirs, documents, the auctions
    it was listed in and its dispositions."""

    id: str
    height: int
    header: TrustedHeader
    package: dict[str, Any]
    versions: list[Version]
    loans: list[VerifiedLoanLife]
    documents: list[dict[str, Any]]
    documents_complete: bool
    auctions: list[dict[str, Any]]
    dispositions: list[dict[str, Any]]


# -- the checker ---------------------------------------------------------------------------------------------


class _Answer:
    """One answer being checked: its proofs indexed by the key each proves, the expected
    answer rebuilt from proven values, and which key each part of it came from."""

    def __init__(self, what: str, answer: Any, header: TrustedHeader, hasher: Hasher,
                 headers: Headers | None = None) -> None:
        self.what = what
        if type(answer) is not dict or type(answer.get("result")) is not dict:
            raise VerificationError(f"{what}: the answer is not a query result with its height", "not_proven")
        if answer.get("height") != header.height:
            raise VerificationError(f"{what}: the answer says height {answer.get('height')!r}, the trusted header "
                                    f"given is of block {header.height}", "not_proven")
        self.result: dict[str, Any] = answer["result"]
        self.header = header
        self.hasher = hasher
        self.headers = headers
        self.proofs: dict[str, Any] = {}
        proofs = self.result.get("proofs")
        if type(proofs) is not dict:
            raise VerificationError(f"{what}: the answer carries no proofs (was it asked with prove=True?)",
                                    "not_proven")
        for doc in proofs.values():
            try:
                self.proofs[bytes.fromhex(doc["key"]).decode()] = doc
            except (TypeError, KeyError, ValueError):
                raise VerificationError(f"{what}: a proof without a readable key", "not_proven") from None
        self.sources: dict[Path, str] = {}  # part of the answer -> the key (or rule) it comes from
        self.listings: dict[Path, str] = {}  # parts that claim completeness -> what the proven records name
        self._trusted: dict[int, TrustedHeader] = {header.height: header}

    # -- proven values ---------------------------------------------------------------------------------------
    def value(self, key: str, named_by: str | None = None) -> Any:
        """The proven value of `key` at the answer's height (None: proven absent). A key the
        question itself names must have a proof (`not_proven`); one a proven record names
        (`named_by`) missing means the answer left it out (`incomplete`)."""
        doc = self.proofs.get(key)
        if doc is None:
            if named_by is None:
                raise VerificationError(f"{key}: the answer carries no proof of it", "not_proven")
            raise VerificationError(f"{key}: {named_by} names it, and the answer carries no proof of it",
                                    "incomplete")
        return proven_value(doc, key, self.header.app_hash, self.header.height, self.hasher)

    def record(self, key: str, named_by: str | None = None) -> Any:
        """The proven record at `key`, which must exist."""
        value = self.value(key, named_by)
        if value is None:
            raise VerificationError(f"{key}: proven absent at height {self.header.height}"
                                    + (f", though {named_by} names it" if named_by else ""), "not_proven")
        return value

    def trusted(self, height: int) -> TrustedHeader:
        if height not in self._trusted:
            if self.headers is None:
                raise VerificationError(f"{self.what}: a history reaches back to block {height}; checking it needs "
                                        "the trusted headers of those blocks (pass headers=trust.trusted)",
                                        "untrusted")
            header = self.headers(height)
            if header.height != height:
                raise VerificationError(f"the trust source gave block {header.height} for block {height}",
                                        "untrusted")
            self._trusted[height] = header
        return self._trusted[height]

    def history(self, shown: Any, key: str, current: Any, path: Path) -> list[Version]:
        """The versions of `key` shown with their proofs (see `QueryCtx.history`), each proven
        at its own height, the one before each proven to be the version shown before it (or
        absent before the first), and the last the value at the answer's height."""
        if type(shown) is not list:
            raise VerificationError(f"{key}: no history shown", "incomplete")
        self.listings[path] = f"the versions of {key}"
        versions: list[Version] = []
        previous: Any = None
        for i, entry in enumerate(shown):
            at = entry.get("height") if type(entry) is dict else None
            if type(at) is not int or not 0 <= at <= self.header.height or (versions and at <= versions[-1].height):
                raise VerificationError(f"{key}: version {i + 1} of the history shown has no valid height",
                                        "not_proven")
            proof = entry.get("proof")
            if type(proof) is not dict or proof.get("height") != at:  # before asking the trust for block `at`
                raise VerificationError(f"{key}: version {i + 1} of the history shown is not proven at its height "
                                        f"{at}", "not_proven")
            header = self.trusted(at)
            value = proven_value(proof, key, header.app_hash, at, self.hasher)
            before = None
            if at > 0:
                prior = self.trusted(at - 1)
                before = proven_value(entry.get("before"), key, prior.app_hash, at - 1, self.hasher)
            if before != previous:
                shown_before = "absent" if not versions else f"the version of height {versions[-1].height}"
                raise VerificationError(f"{key}: the history shown leaves out a version: at height {at - 1} it held "
                                        f"a value other than {shown_before} (proven)", "incomplete")
            self.sources[(*path, i)] = f"{key} at height {at}"
            versions.append(Version(at, value))
            previous = value
        if previous != current:
            last = f"the version of height {versions[-1].height}" if versions else "absent"
            raise VerificationError(f"{key}: the history shown ends at {last}, but at height {self.header.height} "
                                    "it holds another value (proven): a later version is left out", "incomplete")
        return versions

    # -- comparing what is shown with what was proven ---------------------------------------------------------
    def compare(self, expected: dict[str, Any], strip: Callable[[Path, Any], Any] | None = None) -> None:
        """Everything the answer shows (less its proofs) must be `expected`, rebuilt from proven
        values; the first difference is refused, naming the key it came from."""
        shown = {k: v for k, v in self.result.items() if k != "proofs"}
        if strip is not None:
            shown = strip((), shown)
        diff = first_difference(shown, expected)
        if diff is None:
            return
        path, got, want = diff
        if path in self.listings and type(got) is list and type(want) is list:  # something left out (or added)
            raise VerificationError(f"{self.what}: {path_text(path)}: {len(got)} shown, {len(want)} in "
                                    f"{self.listings[path]}", "incomplete")
        source = next((self.sources[path[:n]] for n in range(len(path), -1, -1) if path[:n] in self.sources),
                      self.what)
        prefix = next((n for n in range(len(path), -1, -1) if path[:n] in self.sources), 0)
        code = "incomplete" if got is MISSING else "not_proven"  # a proven part not shown at all is left out
        raise VerificationError(f"{source}: {difference_text(path[prefix:] or path, got, want)}", code)

    def source(self, path: Path, key: str) -> None:
        self.sources[path] = key

    def listing(self, path: Path, what: str) -> None:
        self.listings[path] = what


def _without_version_proofs(path: Path, value: Any) -> Any:
    """A shown answer with the proofs its versions carry taken out (they are proofs, not values)."""
    if type(value) is dict:
        if path and path[-1] in ("history", "versions"):
            return value
        return {k: _without_version_proofs((*path, k), v) for k, v in value.items()}
    if type(value) is list:
        if path and path[-1] in ("history", "versions"):
            return [{k: v for k, v in e.items() if k not in ("proof", "before")} if type(e) is dict else e
                    for e in value]
        return [_without_version_proofs((*path, i), v) for i, v in enumerate(value)]
    return value


def _versions_shown(versions: list[Version]) -> list[dict[str, Any]]:
    return [{"height": v.height, "value": v.value} for v in versions]


# -- receivables ----------------------------------------------------------------------------------------------


def _summary(v: dict[str, Any]) -> dict[str, Any]:
    return {k: v[k] for k in ("id", "parent", "tier", "holder", "amount", "status")} | {"paid": v.get("paid", 0)}


def voucher(answer: Any, id: str, header: TrustedHeader, hasher: Hasher, *, reader: Reader = ANONYMOUS,
            headers: Headers | None = None) -> VerifiedVoucher:
    """`receivables.voucher(id, prove=True)`, verified; `headers` gives the trusted header of
    each height its history reaches (e.g. `trust.trusted`). The lineage up to the root is
    complete for every reader it is shown to; the descendants are, for the payer, the exchange
    and the regulator (another party is shown those it may read: each proven, and each one's
    parent shown before it, but not proven complete)."""
    a = _Answer(f"receivables.voucher({id})", answer, header, hasher, headers)
    key = f"receivables/voucher/{id}"
    v = a.record(key)
    root_key = f"receivables/root/{v['root']}"
    root = a.record(root_key, f"{key} (its root)")
    lineage: list[tuple[str, dict[str, Any]]] = []
    cur, cur_key = v, key
    while cur["parent"] is not None:
        parent_key = f"receivables/voucher/{cur['parent']}"
        cur = a.record(parent_key, f"{cur_key} (its parent)")
        cur_key = parent_key
        lineage.append((cur_key, cur))
        if len(lineage) > 100_000:
            raise VerificationError(f"{key}: the proven lineage does not end", "not_proven")
    top = lineage[-1][1] if lineage else v
    if top["id"] != v["root"]:
        raise VerificationError(f"{key}: the proven lineage ends at {top['id']}, not at its root {v['root']}",
                                "not_proven")
    lineage.reverse()
    descendants: list[tuple[str, dict[str, Any]]] = []
    complete = reader.sees_all or reader.org_id == v["payer"]
    if complete:
        queue = [(child, key) for child in v["children"]]
        while queue and len(descendants) < MAX_DESCENDANTS:
            child, parent = queue.pop(0)
            child_key = f"receivables/voucher/{child}"
            rec = a.record(child_key, f"{parent} (a child)")
            descendants.append((child_key, rec))
            queue.extend((c, child_key) for c in rec["children"])
    else:  # the pieces shown, each proven and each a child of the piece or of one shown before it
        shown = a.result.get("descendants")
        if type(shown) is not list or any(type(d) is not dict or type(d.get("id")) is not str for d in shown):
            raise VerificationError(f"{key}: the descendants shown are not a list of pieces", "not_proven")
        known: dict[str, dict[str, Any]] = {id: v}
        for d in shown:
            child_key = f"receivables/voucher/{d['id']}"
            rec = a.record(child_key)
            above = known.get(str(rec["parent"]))
            if above is None or rec["id"] not in above["children"]:
                raise VerificationError(f"{child_key}: shown as a descendant of {id}, which it is not (proven)",
                                        "not_proven")
            known[rec["id"]] = rec
            descendants.append((child_key, rec))
    history = a.history(a.result.get("history"), key, v, ("history",))
    status = "OVERDUE" if root["status"] == "OVERDUE" and v["status"] in LIVE else v["status"]
    a.source(("voucher",), key)
    a.source(("voucher", "status"), f"{key} (a live piece of an OVERDUE root shows OVERDUE)")
    a.source(("voucher", "outstanding"), f"{key} (face less what it has been paid; 0 once PAID)")
    a.source(("root",), root_key)
    a.listing(("ancestors",), f"the lineage the proven parents name from {id} up to its root")
    if complete:
        a.listing(("descendants",), f"the pieces the proven children lists name below {id}")
    for i, (k, _) in enumerate(lineage):
        a.source(("ancestors", i), k)
    for i, (k, _) in enumerate(descendants):
        a.source(("descendants", i), k)
    a.compare({
        "voucher": dict(v, status=status, outstanding=0 if v["status"] == "PAID" else v["amount"] - v.get("paid", 0)),
        "root": {k: x for k, x in root.items() if k != "invoice_refs"},
        "ancestors": [_summary(r) for _, r in lineage],
        "descendants": [_summary(r) for _, r in descendants],
        "history": _versions_shown(history),
    }, _without_version_proofs)
    return VerifiedVoucher(id, header.height, header, v, status, root, [r for _, r in lineage],
                           [r for _, r in descendants], history, complete)


def invoice(answer: Any, id: str, header: TrustedHeader, hasher: Hasher) -> VerifiedInvoice:
    """`receivables.invoice(id, prove=True)`, verified: every root shown draws on the invoice,
    and the draws of those not CANCELLED add up to what the invoice records as drawn."""
    a = _Answer(f"receivables.invoice({id})", answer, header, hasher)
    key = f"receivables/invoice/{id}"
    inv = a.record(key)
    shown = a.result.get("roots")
    if type(shown) is not list or any(type(r) is not dict or type(r.get("root")) is not str for r in shown):
        raise VerificationError(f"{key}: the roots shown are not a list of roots", "not_proven")
    roots, entries = [], []
    for i, r in enumerate(shown):
        root_key = f"receivables/root/{r['root']}"
        rec = a.record(root_key)
        draws = [amount for inv_id, amount in rec["invoice_refs"] if inv_id == id]
        if not draws:
            raise VerificationError(f"{root_key}: shown as drawing on invoice {id}, which it does not (proven)",
                                    "not_proven")
        a.source(("roots", i), root_key)
        roots.append(rec)
        entries.append({"root": rec["id"], "status": rec["status"], "drawn": draws[0]})
    if len({r["id"] for r in roots}) != len(roots):
        raise VerificationError(f"{key}: a root is shown twice", "not_proven")
    total = sum(e["drawn"] for e in entries if e["status"] != "CANCELLED")
    if total != inv["drawn"]:
        raise VerificationError(f"{key}: the roots shown draw {amount_text(total)} on it; the invoice proven records "
                                f"{amount_text(inv['drawn'])} drawn: a root is left out", "incomplete")
    a.source(("invoice",), key)
    a.source(("undrawn",), f"{key} (amount less drawn)")
    a.compare({"invoice": inv, "undrawn": inv["amount"] - inv["drawn"], "roots": entries})
    return VerifiedInvoice(id, header.height, header, inv, inv["amount"] - inv["drawn"], roots)


def credit(answer: Any, core: str, header: TrustedHeader, hasher: Hasher, *,
           reader: Reader = ANONYMOUS) -> VerifiedCredit:
    """`receivables.credit(core, prove=True)`, verified: a line for every bank the core's record
    names; the limit counts the lines unexpired at the block's time. A bank that granted the core
    a line is shown that line only (`complete` False); the core, the exchange and the regulator
    must be shown every line."""
    a = _Answer(f"receivables.credit({core})", answer, header, hasher)
    key = f"receivables/core/{core}"
    if "limit" not in a.result and not (reader.sees_all or reader.org_id == core):
        own_key = f"receivables/line/{core}/{reader.org_id}"
        line = a.record(own_key)
        a.source(("lines", 0), own_key)
        a.compare({"core": core, "lines": [line]})
        own = line["amount"] if line["expires"] > header.time_ms // 1000 else 0
        return VerifiedCredit(core, header.height, header, None, [line], own, 0, 0, complete=False)
    stored = a.value(key)
    rec = stored or {"id": core, "banks": [], "open": 0}
    lines = []
    for i, bank in enumerate(rec["banks"]):
        line_key = f"receivables/line/{core}/{bank}"
        lines.append(a.record(line_key, f"{key} (its banks)"))
        a.source(("lines", i), line_key)
    now = header.time_ms // 1000
    limit = sum(line["amount"] for line in lines if line["expires"] > now)
    a.listing(("lines",), f"the banks {key} names")
    for name in ("limit", "headroom"):
        a.source((name,), f"{key} ({name}: the lines unexpired at block {header.height}'s time)")
    a.source(("open",), key)
    a.compare({"core": core, "lines": lines, "limit": limit, "open": rec["open"], "headroom": limit - rec["open"]})
    return VerifiedCredit(core, header.height, header, stored, lines, limit, rec["open"], limit - rec["open"])


# -- plans ---------------------------------------------------------------------------------------------------


def plan(answer: Any, id: str, header: TrustedHeader, hasher: Hasher, *, reader: Reader = ANONYMOUS) -> VerifiedPlan:
    """`plans.plan(id, prove=True)`, verified. A party, the exchange and the regulator must be
    shown it in full: every disclosure, document, holding and payment the proven plan names."""
    a = _Answer(f"plans.plan({id})", answer, header, hasher)
    key = f"plans/plan/{id}"
    if key not in a.proofs and "holdings" not in a.result and "documents" not in a.result:
        return _offered_plan(a, id, header)
    p = a.record(key)
    disclosures = _numbered(a, ("disclosures",), key, "disclosures", f"plans/disclosure/{id}/", 4, p["disclosures"])
    party = reader.sees_all or reader.org_id in (p["sponsor"], p["underwriter"], p["servicer"], p["settlement_bank"])
    expected: dict[str, Any] = {"plan": p, "disclosures": disclosures}
    documents = holdings = payments = None
    if "documents" in a.result or party:
        view = "full"
        if "documents" not in a.result:
            raise VerificationError(f"{key}: {reader} is party to the plan and is shown only part of it",
                                    "incomplete")
        docs_key = f"plans/docs/{id}"
        hashes = a.value(docs_key, f"{key} (its documents)") or []
        documents = [a.record(f"plans/doc/{h}", docs_key) for h in hashes]
        for i, h in enumerate(hashes):
            a.source(("documents", i), f"plans/doc/{h}")
        a.listing(("documents",), f"the documents {docs_key} lists")
        holdings = [a.value(f"plans/holding/{id}/{o}", f"{key} (its holders)") for o in p["holders"]]
        for i, o in enumerate(p["holders"]):
            a.source(("holdings", i), f"plans/holding/{id}/{o}")
        a.listing(("holdings",), f"the holders {key} lists")
        payments = _numbered(a, ("payments",), key, "payments", f"plans/payment/{id}/", 4, p["payments"])
        expected.update(documents=documents, holdings=holdings, payments=payments)
    elif "holdings" in a.result or (reader.org_id in p["holders"]):
        view = "holder"
        hold_key = f"plans/holding/{id}/{reader.org_id}"
        if reader.org_id not in p["holders"]:
            raise VerificationError(f"{key}: a holding is shown to {reader}, which the proven plan does not list "
                                    "as a holder", "not_proven")
        holdings = [a.value(hold_key, f"{key} (its holders)")]
        a.source(("holdings", 0), hold_key)
        expected["holdings"] = holdings
    else:
        view = "offered"
    a.source(("plan",), key)
    a.compare(expected)
    return VerifiedPlan(id, header.height, header, view, p, disclosures, documents, holdings, payments)


def _offered_plan(a: _Answer, id: str, header: TrustedHeader) -> VerifiedPlan:
    """The offered view: each disclosure shown proven at its number; the terms shown are not
    provable (the plan record holds the pool and the investors) and are not returned."""
    shown = a.result.get("disclosures")
    if type(shown) is not list:
        raise VerificationError(f"plans.plan({id}): the disclosures shown are not a list", "not_proven")
    disclosures = []
    for i in range(len(shown)):
        k = f"plans/disclosure/{id}/{i + 1:04d}"
        disclosures.append(a.record(k))
        a.source(("disclosures", i), k)
    a.compare({"plan": a.result.get("plan"), "disclosures": disclosures})
    return VerifiedPlan(id, header.height, header, "offered", None, disclosures, None, None, None,
                        disclosures_complete=False)


def _numbered(a: _Answer, path: Path, key: str, count: str, prefix: str, width: int, n: int) -> list[Any]:
    """Records 1..n under `prefix` (zero-padded to `width`), n being what the proven `key` counts."""
    out = []
    for i in range(1, n + 1):
        k = f"{prefix}{i:0{width}d}"
        out.append(a.record(k, f"{key} (its {count}: {n})"))
        a.source((*path, i - 1), k)
    a.listing(path, f"the {n} {count} {key} counts")
    return out


def penetrate(answer: Any, plan: str, header: TrustedHeader, hasher: Hasher) -> VerifiedPenetration:
    """`plans.penetrate(plan, prove=True)`, verified with `faechain.sdk.penetration` (every
    element proven, the tree complete); the first problem is raised."""
    what = f"plans.penetrate({plan})"
    if type(answer) is not dict or type(answer.get("result")) is not dict:
        raise VerificationError(f"{what}: the answer is not a query result with its height", "not_proven")
    result = answer["result"]
    if answer.get("height") != header.height or result.get("height") != header.height:
        raise VerificationError(f"{what}: the answer says height {answer.get('height')!r}, the trusted header given "
                                f"is of block {header.height}", "not_proven")
    seen = verify_penetration(result, header.app_hash, hasher, plan_id=plan)
    if not seen.ok:
        code = "incomplete" if "incomplete" in seen.codes else "not_proven"
        raise VerificationError(f"{what}: " + "; ".join(seen.problems[:5])
                                + (f" (and {len(seen.problems) - 5} more)" if len(seen.problems) > 5 else ""), code)
    return VerifiedPenetration(plan, header.height, header, seen.tree, seen.checked)


# -- products ------------------------------------------------------------------------------------------------


def product(answer: Any, id: str, header: TrustedHeader, hasher: Hasher, *,
            reader: Reader = ANONYMOUS) -> VerifiedProduct:
    """`products.product(id, prove=True)`, verified. Its parties, the exchange and the regulator
    must be shown the whole register (every holding with units, of every tranche and holder
    the proven product names), every distribution and every collection."""
    a = _Answer(f"products.product({id})", answer, header, hasher)
    key = f"products/product/{id}"
    if key not in a.proofs and set(a.result) <= {"product", "proofs"}:  # offered: the terms, not provable
        return VerifiedProduct(id, header.height, header, "offered", None, None, None, None)
    p = a.record(key)
    party = reader.sees_all or reader.org_id in (p["originator"], p["registrar"], p["settlement_bank"])
    expected: dict[str, Any] = {"product": p}
    holdings: list[Any] | None = None
    distributions = collections = None
    if "distributions" in a.result or party:
        view = "full"
        if "distributions" not in a.result:
            raise VerificationError(f"{key}: {reader} is party to the product and is shown only part of it",
                                    "incomplete")
        holdings = []
        for t in p["tranches"]:
            for org in p["holders"]:
                hold_key = f"products/holding/{id}/{t['name']}/{org}"
                h = a.value(hold_key, f"{key} (its tranches and holders)")
                if h and h["units"]:
                    a.source(("holdings", len(holdings)), hold_key)
                    holdings.append(h)
        a.listing(("holdings",), f"the holdings with units of the tranches and holders {key} names")
        distributions = _numbered(a, ("distributions",), key, "distributions", f"products/distribution/{id}/", 4,
                                  p["distributions"])
        collections = _numbered(a, ("collections",), key, "collections", f"products/collection/{id}/", 5,
                                p["collections"])
        expected.update(holdings=holdings, distributions=distributions, collections=collections)
    elif "holdings" in a.result or reader.org_id in p["holders"]:
        view = "holder"
        if reader.org_id not in p["holders"]:
            raise VerificationError(f"{key}: holdings are shown to {reader}, which the proven product does not list "
                                    "as a holder", "not_proven")
        holdings = []
        for t in p["tranches"]:
            hold_key = f"products/holding/{id}/{t['name']}/{reader.org_id}"
            h = a.value(hold_key, f"{key} (its tranches)")
            if h:
                a.source(("holdings", len(holdings)), hold_key)
                holdings.append(h)
        a.listing(("holdings",), f"{reader.org_id}'s holdings in the tranches {key} names")
        expected["holdings"] = holdings
    else:
        view = "offered"
    a.source(("product",), key)
    a.compare(expected)
    return VerifiedProduct(id, header.height, header, view, p, holdings, distributions, collections)


# -- auctions ------------------------------------------------------------------------------------------------


def current_price(auction: dict[str, Any], t: int) -> int | None:
    """What a bid must reach at time t: english the next valid bid, dutch the descending price
    (as `faechain.modules.auctions.rules.current_price`)."""
    if auction["mode"] == "english":
        best = auction["best"]
        return int(auction["start_price"] if best is None else best["price"] + auction["increment"])
    if auction["mode"] == "dutch":
        steps = max(0, t - auction["start"]) // auction["interval"]
        return int(max(auction["reserve"], auction["start_price"] - steps * auction["step"]))
    return None


def auction(answer: Any, id: str, header: TrustedHeader, hasher: Hasher, *,
            reader: Reader = ANONYMOUS) -> VerifiedAuction:
    """`auctions.auction(id, prove=True)`, verified: every bid the proven auction counts; every
    bidder's margin for the seller, the exchange and the regulator, a bidder's own otherwise."""
    a = _Answer(f"auctions.auction({id})", answer, header, hasher)
    key = f"auctions/auction/{id}"
    rec = a.record(key)
    bids = _numbered(a, ("bids",), key, "bids", f"auctions/bid/{id}/", 5, rec["bids"])
    privileged = reader.sees_all or reader.org_id == rec["seller"]
    margins: list[Any] = []
    for org in rec["bidders"]:
        if privileged or org == reader.org_id:
            margin_key = f"auctions/margin/{id}/{org}"
            a.source(("margins", len(margins)), margin_key)
            margins.append(a.record(margin_key, f"{key} (its bidders)"))
    a.listing(("margins",), f"the margins of the bidders {key} names that {reader} sees")
    view = dict(rec)
    price = current_price(rec, header.time_ms // 1000) if rec["status"] == "OPEN" else None
    if rec["status"] == "OPEN":
        view["current_price"] = price
    a.source(("auction",), key)
    a.source(("auction", "current_price"), f"{key} (the price at block {header.height}'s time)")
    a.compare({"auction": view, "bids": bids, "margins": margins})
    return VerifiedAuction(id, header.height, header, rec, price, bids, margins)


# -- npa -----------------------------------------------------------------------------------------------------


def _npa_documents(a: _Answer, key: str, p: dict[str, Any], reader: Reader, path: Path) -> tuple[list[Any], bool]:
    """A package's documents as the reader must see them: all the proven list names for a
    party; for anyone else the data-room and public ones shown, each proven (not provably all)."""
    parties = {p[f] for f in ("seller", "intermediary", "winner", "inspector") if p[f] is not None}
    if reader.sees_all or reader.org_id in parties:
        docs_key = f"npa/docs/{p['id']}"
        hashes = a.value(docs_key, f"{key} (its documents)") or []
        for i, h in enumerate(hashes):
            a.source((*path, i), f"npa/doc/{h}")
        a.listing(path, f"the documents {docs_key} lists")
        return [a.record(f"npa/doc/{h}", docs_key) for h in hashes], True
    shown = a.result.get(str(path[0]))
    if type(shown) is not list or any(type(d) is not dict or type(d.get("hash")) is not str for d in shown):
        raise VerificationError(f"{key}: the documents shown are not a list of documents", "not_proven")
    docs = []
    for i, d in enumerate(shown):
        doc_key = f"npa/doc/{d['hash']}"
        rec = a.record(doc_key)
        if rec["package"] != p["id"] or not (rec["data_room"] or rec["public"]):
            raise VerificationError(f"{doc_key}: shown to {reader} as a data-room document of {key}, which it is "
                                    "not (proven)", "not_proven")
        a.source((*path, i), doc_key)
        docs.append(rec)
    return docs, False


def package(answer: Any, id: str, header: TrustedHeader, hasher: Hasher, *,
            reader: Reader = ANONYMOUS) -> VerifiedPackage:
    """`npa.package(id, prove=True)`, verified: every loan and disposition the proven package
    names; every document for a party (see `_npa_documents`)."""
    a = _Answer(f"npa.package({id})", answer, header, hasher)
    key = f"npa/package/{id}"
    p = a.record(key)
    loans = []
    for i, ref in enumerate(p["loans"]):
        a.source(("loans", i), f"npa/loan/{ref}")
        loans.append(a.record(f"npa/loan/{ref}", f"{key} (its loans)"))
    a.listing(("loans",), f"the loans {key} names")
    dispositions = _numbered(a, ("dispositions",), key, "dispositions", f"npa/disposition/{id}/", 4, p["dispositions"])
    documents, complete = _npa_documents(a, key, p, reader, ("documents",))
    for name in ("package", "deal", "inspection"):
        a.source((name,), key)
    a.compare({"package": p, "loans": loans, "documents": documents, "deal": p["deal"], "dispositions": dispositions,
               "inspection": p["inspection"]})
    return VerifiedPackage(id, header.height, header, p, loans, documents, complete, dispositions)


def loan(answer: Any, seller: str, loan_no: str, header: TrustedHeader, hasher: Hasher, *,
         headers: Headers | None = None) -> VerifiedLoan:
    """`npa.loan(seller, loan_no, prove=True)`, verified with every version."""
    a = _Answer(f"npa.loan({seller}/{loan_no})", answer, header, hasher, headers)
    key = f"npa/loan/{seller}/{loan_no}"
    rec = a.record(key)
    versions = a.history(a.result.get("versions"), key, rec, ("versions",))
    a.source(("loan",), key)
    a.compare({"loan": rec, "versions": _versions_shown(versions)}, _without_version_proofs)
    return VerifiedLoan(seller, loan_no, header.height, header, rec, versions)


def life(answer: Any, package: str, header: TrustedHeader, hasher: Hasher, *, reader: Reader = ANONYMOUS,
         headers: Headers | None = None) -> VerifiedLife:
    """`npa.life(package, prove=True)`, verified: every version of the package and of each of
    its loans, its documents, the auctions its listings name and its dispositions."""
    a = _Answer(f"npa.life({package})", answer, header, hasher, headers)
    key = f"npa/package/{package}"
    p = a.record(key)
    versions = a.history(a.result.get("versions"), key, p, ("versions",))
    shown_loans = a.result.get("loans")
    shown_loans = shown_loans if type(shown_loans) is list else []
    loans = []
    for i, ref in enumerate(p["loans"]):
        loan_key = f"npa/loan/{ref}"
        rec = a.record(loan_key, f"{key} (its loans)")
        entry = shown_loans[i] if i < len(shown_loans) and type(shown_loans[i]) is dict else {}
        loans.append(VerifiedLoanLife(rec, a.history(entry.get("versions"), loan_key, rec, ("loans", i, "versions"))))
        a.source(("loans", i, "loan"), loan_key)
    a.listing(("loans",), f"the loans {key} names")
    documents, complete = _npa_documents(a, key, p, reader, ("documents",))
    auctions = []
    for i, listing in enumerate(p["listings"]):
        auction_key = f"auctions/auction/{listing['auction']}"
        a.source(("auctions", i), auction_key)
        auctions.append(a.record(auction_key, f"{key} (its listings)"))
    a.listing(("auctions",), f"the auctions the listings of {key} name")
    dispositions = _numbered(a, ("dispositions",), key, "dispositions", f"npa/disposition/{package}/", 4,
                             p["dispositions"])
    a.source(("package",), key)
    a.source(("log",), key)
    a.compare({
        "package": p, "log": p["log"], "versions": _versions_shown(versions),
        "loans": [{"loan": lo.loan, "versions": _versions_shown(lo.versions)} for lo in loans],
        "documents": documents, "auctions": auctions, "dispositions": dispositions,
    }, _without_version_proofs)
    return VerifiedLife(package, header.height, header, p, versions, loans, documents, complete, auctions,
                        dispositions)


# -- by query name ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verifier:
    """How `Client.verified` checks one query: the argument(s) naming what is asked, and the function."""

    args: tuple[str, ...]
    check: Callable[..., Any]
    reader: bool = False  # the view depends on who reads
    history: bool = False  # the answer shows versions at earlier heights


VERIFIERS: dict[tuple[str, str], Verifier] = {
    ("receivables", "voucher"): Verifier(("id",), voucher, reader=True, history=True),
    ("receivables", "invoice"): Verifier(("id",), invoice),
    ("receivables", "credit"): Verifier(("core",), credit, reader=True),
    ("plans", "plan"): Verifier(("id",), plan, reader=True),
    ("plans", "penetrate"): Verifier(("plan",), penetrate),
    ("products", "product"): Verifier(("id",), product, reader=True),
    ("auctions", "auction"): Verifier(("id",), auction, reader=True),
    ("npa", "package"): Verifier(("id",), package, reader=True),
    ("npa", "loan"): Verifier(("seller", "loan_no"), loan, history=True),
    ("npa", "life"): Verifier(("package",), life, reader=True, history=True),
}


def verifier_for(contract: str, method: str, args: dict[str, Any]) -> Verifier:
    """The verifier of `contract.method` asked with `args`; VerificationError `untrusted` for a
    query whose answers cannot be proven, or asked without what names its subject."""
    v = VERIFIERS.get((contract, method))
    if v is None:
        known = ", ".join(f"{c}.{m}" for c, m in VERIFIERS)
        raise VerificationError(f"{contract}.{method} has no verifier: its answers cannot be proven (these can: "
                                f"{known})", "untrusted")
    missing = [name for name in v.args if name not in args]
    if missing:
        raise VerificationError(f"{contract}.{method}: the argument {missing[0]!r} names what is asked", "untrusted")
    return v


def verify(contract: str, method: str, answer: Any, args: dict[str, Any], header: TrustedHeader, hasher: Hasher, *,
           reader: Reader = ANONYMOUS, headers: Headers | None = None) -> Any:
    """Verify the answer of `contract.method(**args, prove=True)` with the function for it."""
    v = verifier_for(contract, method, args)
    kwargs: dict[str, Any] = {}
    if v.reader:
        kwargs["reader"] = reader
    if v.history:
        kwargs["headers"] = headers
    return v.check(answer, *(args[name] for name in v.args), header, hasher, **kwargs)
