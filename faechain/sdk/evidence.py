"""Evidence bundles: one self-contained file that proves records of the chain to someone
who runs no node and trusts no member — a court, a regulator, an auditor years later.

    bundle = export(client, "voucher", "V-11-0-1")   # through a Client whose trust is a LightClient
    json.dump(bundle, open("voucher.evidence.json", "w"))
    report = verify(json.load(open("voucher.evidence.json")))   # offline: no node, no network
    print(report.ok, *report.lines(), sep="\\n")

A bundle (format `faechain-evidence/1`, specified in docs/evidence.md) holds the chain's
genesis document, the trust anchor (genesis, or a CometBFT checkpoint), the signed header
material from that anchor to every height it needs (a solo chain's headers signed by the
block signer genesis declares; a CometBFT network's light blocks, each verified from the one
before it, skipping where the validators allow), and the records: state values with their
sparse-Merkle proofs, or for an audit range every transaction and receipt of its blocks.
Its *subject* says what it is about, and the rules of each kind say what must be in it:

    voucher   a piece, its lineage up to the root, the root and every invoice the root names
    plan      a plan's penetration: every asset, voucher, root, invoice, document, cash flow,
              disclosure and payment the proven plan names (the rules of `plans.penetrate`)
    package   an NPA package's life: its every version and each loan's, documents, the
              auctions it was listed in, its dispositions
    product   a product's register (every tranche x holder), distributions and collections
    audit     every transaction and receipt of blocks a..b, tied to the signed headers
    records   state records and nothing more: each proven, none claimed complete (what the
              web console downloads for a transaction's writes: it makes bundles itself)

`export` reads through the member's own light client (`client.trust`, a `LightClient`) and
the verified queries (`faechain.sdk.verified`), so it never writes what it has not checked,
and ends by verifying the bundle it made. `verify` uses the SDK's own checks — the light
client's header verification (`faechain.sdk.light`), the sparse-Merkle proof check
(`faechain.ledger.smt.verify_proof`), the canonical decoder, and for plans the penetration
verifier (`faechain.sdk.penetration`) — and the completeness rules here (`walk`), which
`export` also walks to collect the records. `faechain/sdk/evidence_standalone.py` checks the
same bundle with the standard library and `cryptography` only; tests keep the two in step.

A verified bundle proves: these records were in the chain's state (or these transactions in
its blocks) at these heights, as headers signed by the genesis's block signer, or by more
than 2/3 of the validators' voting power reached from the anchor, say. It assumes: the
genesis (or checkpoint) in it is the chain's — compare its hash with your own copy's
(`verify(bundle, genesis=...)`, `fae genesis hash`); on CometBFT, fewer than 1/3 of the
trusted voting power was faulty within each step's trusting period (each step is judged at
the time of the header it reaches, as a light client following the chain then would have);
on a solo chain, the block signer never signed two headers at one height.

Why one file (over 500 lines): the export and the verification of one format, and the
completeness rules both of them walk, must agree field by field; they read best together.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol

from faechain.core.block import Header as FaeHeader
from faechain.core.encoding import EncodingError, decode, encode
from faechain.core.genesis import Genesis
from faechain.core.merkle import merkle_root
from faechain.core.protobuf import f_bytes, f_varint
from faechain.core.tx import TxError, decode_tx
from faechain.core.wire import jsonable
from faechain.crypto.suite import Suite, SuiteError, get_suite
from faechain.ledger.smt import ProofError, verify_proof
from faechain.sdk import verified as verifiers
from faechain.sdk.client import ApiError, Client
from faechain.sdk.light import cometbft as cb
from faechain.sdk.light.client import Checkpoint, LightClient
from faechain.sdk.light.solo import verify_solo
from faechain.sdk.penetration import verify as verify_penetration
from faechain.sdk.proofs import amount_text
from faechain.sdk.trust import TrustedHeader, VerificationError

FORMAT = "faechain-evidence/1"
KINDS = ("voucher", "plan", "package", "product", "audit")  # what `export` makes
RECORDS = "records"  # the kind `verify` also takes: state records, nothing claimed (the web console makes them)
SHOWN_VALUE_CHARS = 200  # a record's value as a report line shows it
MAX_AUDIT_BLOCKS = 10_000  # an audit bundle's range; larger ranges are several bundles
MAX_LINEAGE = 100_000

# faechain's stable codes as ABCI codes: the `code` of each transaction's ExecTxResult, which
# CometBFT hashes into the next header's last_results_hash. The same table as
# `faechain.engines.cometbft.codes` (never renumbered: it is in every block's results hash),
# restated because a member's verifier imports no engine code; a test holds the two equal.
ABCI_CODES: dict[str, int] = {
    "ok": 0, "bad_encoding": 1, "too_large": 2, "wrong_chain": 3, "bad_signature": 4, "unknown_signer": 5,
    "bad_certificate": 6, "revoked": 7, "not_member": 8, "replay": 9, "tx_expired": 10, "unknown_contract": 11,
    "unknown_method": 12, "bad_request": 13, "mempool_full": 14, "error": 20, "unauthorized": 21,
    "not_found": 22, "invalid_state": 23, "limit_exceeded": 24, "duplicate": 25, "frozen": 26, "expired": 27,
    "bad_ca_certificate": 28, "internal_error": 30, "unavailable": 31,
}
ABCI_DERIVED_BASE = 1000


def abci_code(code: str) -> int:
    """The ABCI code CometBFT recorded for a receipt with faechain code `code`."""
    n = ABCI_CODES.get(code)
    return n if n is not None else ABCI_DERIVED_BASE + zlib.crc32(code.encode()) % 1_000_000_000


def exec_tx_result(code: int, data: bytes) -> bytes:
    """The deterministic ExecTxResult {code, data, gas_wanted 0, gas_used 0} CometBFT hashes
    (types/results.go): faechain sets data to the hash of the stored receipt."""
    return f_varint(1, code) + f_bytes(2, data)


def malformed(message: str) -> VerificationError:
    return VerificationError(message, "malformed")


# -- the report ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """What `verify` established. `ok` False: `code` and `failure` say what failed (the
    fields before it show how far the check got). `values` are the proven records by
    (height, key), bytes as hex; `proven` says in words what they show, `basis` what the
    headers rest on."""

    ok: bool
    code: str | None = None
    failure: str | None = None
    kind: str | None = None
    subject: str = ""
    chain_id: str | None = None
    suite: str | None = None
    engine: str | None = None
    genesis_hash: str | None = None  # the chain suite's hash of the canonical genesis (block 0's parent)
    genesis_sha256: str | None = None
    anchor: str | None = None
    height: int | None = None
    time_ms: int | None = None
    basis: tuple[str, ...] = ()
    proven: tuple[str, ...] = ()
    values: Mapping[tuple[int, str], Any] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The report for a person (what `fae evidence verify` prints)."""
        out = [("VERIFIED" if self.ok else "NOT VERIFIED") + f": {FORMAT} bundle"]
        if self.kind:
            out.append(f"subject   {self.kind} {self.subject}")
        if self.chain_id:
            same = self.genesis_hash == self.genesis_sha256
            out.append(f"chain     {self.chain_id} ({self.suite}, {self.engine} engine)")
            out.append(f"genesis   {self.genesis_hash}" + ("" if same else f" (SHA-256 {self.genesis_sha256})")
                       + ": compare with `fae genesis hash` of your own copy")
        if self.anchor:
            out.append(f"anchor    {self.anchor}")
        if self.height is not None:
            when = "" if self.time_ms is None else f" (block time {iso_ms(self.time_ms)})"
            out.append(f"height    {self.height}{when}")
        out += [f"proven    {line}" for line in self.proven]
        out += [f"signed    {line}" for line in self.basis]
        if self.ok:
            out.append("assumes   " + assumption(self.engine))
        else:
            out.append(f"FAILED    {self.code}: {self.failure}")
        return out


def assumption(engine: str | None) -> str:
    if engine == "cometbft":
        return ("the genesis (or checkpoint) above is the chain's, and fewer than 1/3 of the trusted voting power "
                "was faulty within each step's trusting period")
    return "the genesis above is the chain's, and its block signer never signed two headers at one height"


def iso_ms(ms: int) -> str:
    t = dt.datetime.fromtimestamp(ms // 1000, tz=dt.UTC)
    return f"{t:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def genesis_hashes(doc: Mapping[str, Any]) -> tuple[Genesis, bytes, bytes]:
    """(genesis, the chain suite's hash, SHA-256) of a genesis document; `malformed` if it is not one."""
    try:
        genesis = Genesis.from_json(json.dumps(doc))
    except (TypeError, ValueError, KeyError) as exc:
        raise malformed(f"the bundle's genesis is not a genesis document ({type(exc).__name__}: {exc})") from None
    if not isinstance(genesis.chain_id, str) or not isinstance(genesis.suite, str):
        raise malformed("the bundle's genesis: chain_id and suite are text")
    try:
        raw = encode(genesis.canonical())
    except EncodingError as exc:
        raise malformed(f"the bundle's genesis is not a genesis document ({exc.message})") from None
    suite = _suite(genesis.suite)
    return genesis, suite.hash(raw), hashlib.sha256(raw).digest()


def _suite(name: str) -> Suite:
    try:
        return get_suite(name)
    except SuiteError as exc:
        raise VerificationError(f"the genesis's suite {name!r}: {exc.message}",
                                "unavailable" if exc.code == "suite_unavailable" else "malformed") from None


# -- completeness rules, walked by export (fetching) and verify (reading the bundle) ------------------------------


class Source(Protocol):
    """Where the rules read proven values from: the node (export) or the bundle (verify)."""

    def value(self, key: str, height: int, named_by: str | None) -> Any:
        """The proven value of `key` after block `height` (bytes as hex; None: proven absent).
        VerificationError `incomplete` if a record `named_by` a proven one is not there."""
        ...

    def versions(self, key: str) -> list[int]:
        """The heights at which `key` took each of its values (a history)."""
        ...


def _record(src: Source, key: str, height: int, named_by: str | None = None) -> dict[str, Any]:
    value = src.value(key, height, named_by)
    if value is None:
        raise VerificationError(f"{key}: proven absent at height {height}"
                                + (f", though {named_by} names it" if named_by else ""), "not_proven")
    if type(value) is not dict:
        raise VerificationError(f"{key} at height {height}: the value proven is not a record", "not_proven")
    return value


def _numbered(src: Source, prefix: str, width: int, n: Any, height: int, named_by: str) -> list[dict[str, Any]]:
    if type(n) is not int or n < 0:
        raise VerificationError(f"{named_by}: its count {n!r} is not a number", "not_proven")
    return [_record(src, f"{prefix}{i:0{width}d}", height, f"{named_by} (its count: {n})") for i in range(1, n + 1)]


def _history(src: Source, key: str, current: Any, height: int) -> list[tuple[int, Any]]:
    """Every version of `key` up to `height`, each proven at its height and the value before it
    proven at the height before (so a version left out between two listed is noticed)."""
    heights = src.versions(key)
    versions: list[tuple[int, Any]] = []
    previous: Any = None
    for i, at in enumerate(heights):
        if type(at) is not int or not 0 <= at <= height or (versions and at <= versions[-1][0]):
            raise VerificationError(f"{key}: version {i + 1} of its history has no valid height ({at!r})",
                                    "not_proven")
        value = src.value(key, at, f"the history of {key}")
        before = src.value(key, at - 1, f"the history of {key}") if at > 0 else None
        if before != previous:
            shown = "absent" if not versions else f"the version of height {versions[-1][0]}"
            raise VerificationError(f"{key}: its history leaves out a version: at height {at - 1} it held a value "
                                    f"other than {shown} (proven)", "incomplete")
        versions.append((at, value))
        previous = value
    if previous != current:
        last = f"the version of height {versions[-1][0]}" if versions else "absent"
        raise VerificationError(f"{key}: its history ends at {last}, but at height {height} it holds another "
                                "value (proven): a later version is left out", "incomplete")
    return versions


def _walk_voucher(src: Source, id: str, h: int) -> list[str]:
    key = f"receivables/voucher/{id}"
    v = _record(src, key, h)
    lineage: list[dict[str, Any]] = []
    cur, cur_key = v, key
    while cur["parent"] is not None:
        parent_key = f"receivables/voucher/{cur['parent']}"
        cur = _record(src, parent_key, h, f"{cur_key} (its parent)")
        cur_key = parent_key
        lineage.append(cur)
        if len(lineage) > MAX_LINEAGE:
            raise VerificationError(f"{key}: the proven lineage does not end", "not_proven")
    top = lineage[-1] if lineage else v
    if top["id"] != v["root"]:
        raise VerificationError(f"{key}: the proven lineage ends at {top['id']}, not at its root {v['root']}",
                                "not_proven")
    root_key = f"receivables/root/{v['root']}"
    root = _record(src, root_key, h, f"{key} (its root)")
    invoices = [_record(src, f"receivables/invoice/{i}", h, f"{root_key} (its invoices)") for i in root["invoices"]]
    chain = " > ".join(p["id"] for p in reversed(lineage)) + (" > " if lineage else "") + v["id"]
    lines = [f"voucher {v['id']}: {amount_text(v['amount'])}, tier {v['tier']}, held by {v['holder']}, "
             f"{v['status']}; payer {v['payer']}, maturity {v['maturity']}",
             f"lineage {chain} (complete up to the root)",
             f"root {root['id']}: {amount_text(root['amount'])}, {root['status']}, payer {root['payer']}"]
    lines += [f"invoice {inv['id']}: {amount_text(inv['amount'])}, drawn {amount_text(inv['drawn'])}, "
              f"seller {inv['seller']}, buyer {inv['buyer']}" for inv in invoices]
    return lines


def _walk_plan(src: Source, id: str, h: int) -> list[str]:
    key = f"plans/plan/{id}"
    p = _record(src, key, h)
    vouchers = invoices = 0
    for asset in p["assets"]:
        kind, asset_id = asset.split(":", 1)
        entry_key = f"plans/asset/{asset}"
        entry = _record(src, entry_key, h, f"{key} (its assets)")
        if entry["plan"] != id:
            raise VerificationError(f"{entry_key}: its pool entry names plan {entry['plan']}, not {id}",
                                    "not_proven")
        if kind == "voucher":
            voucher_key = f"receivables/voucher/{asset_id}"
            v = _record(src, voucher_key, h, f"{key} (its assets)")
            root_key = f"receivables/root/{v['root']}"
            root = _record(src, root_key, h, f"{voucher_key} (its root)")
            for i in root["invoices"]:
                _record(src, f"receivables/invoice/{i}", h, f"{root_key} (its invoices)")
            vouchers += 1
        else:
            _record(src, f"receivables/invoice/{asset_id}", h, f"{key} (its assets)")
            invoices += 1
    docs_key = f"plans/docs/{id}"
    hashes = src.value(docs_key, h, f"{key} (its documents)")
    if type(hashes) is not list:
        raise VerificationError(f"{docs_key}: proven absent at height {h}, though {key} names it", "not_proven")
    for d in hashes:
        _record(src, f"plans/doc/{d}", h, docs_key)
    flows = _numbered(src, f"plans/cashflow/{id}/", 6, p["cash_flows"], h, key)
    disclosures = _numbered(src, f"plans/disclosure/{id}/", 4, p["disclosures"], h, key)
    payments = _numbered(src, f"plans/payment/{id}/", 4, p["payments"], h, key)
    return [f"plan {p['id']} \"{p['name']}\": {p['status']}, size {amount_text(p['size'])}, pooled "
            f"{amount_text(p['pooled'])}, sponsor {p['sponsor']}",
            f"penetration complete: {len(p['assets'])} assets ({vouchers} vouchers with their roots and invoices, "
            f"{invoices} invoices), {len(hashes)} documents, {len(flows)} cash flows, {len(disclosures)} "
            f"disclosures, {len(payments)} payments"]


def _walk_product(src: Source, id: str, h: int) -> list[str]:
    key = f"products/product/{id}"
    p = _record(src, key, h)
    register = []
    for t in p["tranches"]:
        for org in p["holders"]:
            holding = src.value(f"products/holding/{id}/{t['name']}/{org}", h, f"{key} (its tranches and holders)")
            if holding and holding["units"]:
                register.append(holding)
    distributions = _numbered(src, f"products/distribution/{id}/", 4, p["distributions"], h, key)
    collections = _numbered(src, f"products/collection/{id}/", 5, p["collections"], h, key)
    lines = [f"product {p['id']} \"{p['name']}\": {p['status']}, originator {p['originator']}, registrar "
             f"{p['registrar']}",
             f"register complete: {len(register)} holdings with units over {len(p['tranches'])} tranches x "
             f"{len(p['holders'])} holders"]
    lines += [f"holding {r['tranche']} {r['holder']}: {r['units']} units" for r in register]
    lines.append(f"{len(distributions)} distributions (distributed {amount_text(p['distributed'])}), "
                 f"{len(collections)} collections (collected {amount_text(p['collected'])})")
    return lines


def _walk_package(src: Source, id: str, h: int) -> list[str]:
    key = f"npa/package/{id}"
    p = _record(src, key, h)
    versions = _history(src, key, p, h)
    loan_versions = 0
    for ref in p["loans"]:
        loan_key = f"npa/loan/{ref}"
        loan = _record(src, loan_key, h, f"{key} (its loans)")
        loan_versions += len(_history(src, loan_key, loan, h))
    docs_key = f"npa/docs/{id}"
    hashes = src.value(docs_key, h, f"{key} (its documents)") or []
    for d in hashes:
        _record(src, f"npa/doc/{d}", h, docs_key)
    for listing in p["listings"]:
        _record(src, f"auctions/auction/{listing['auction']}", h, f"{key} (its listings)")
    dispositions = _numbered(src, f"npa/disposition/{id}/", 4, p["dispositions"], h, key)
    return [f"package {p['id']} \"{p['name']}\": {p['status']}, seller {p['seller']}, winner {p['winner']}",
            f"life complete: {len(versions)} versions (heights {', '.join(str(v[0]) for v in versions)}), "
            f"{len(p['loans'])} loans with {loan_versions} versions, {len(hashes)} documents, "
            f"{len(p['listings'])} auctions, {len(dispositions)} dispositions"]


WALKS: dict[str, Callable[[Source, str, int], list[str]]] = {
    "voucher": _walk_voucher, "plan": _walk_plan, "product": _walk_product, "package": _walk_package}


def records_lines(values: Mapping[tuple[int, str], Any], height: int) -> list[str]:
    """Kind "records": every record at `height`, as proven. The rules name nothing, so nothing is
    claimed complete; `incomplete` if there is no record at `height` at all."""
    keys = sorted(k for h, k in values if h == height)
    if not keys:
        raise VerificationError(f"the bundle has no record at height {height}, the height its subject is read at",
                                "incomplete")
    lines = [f"{key} = {shown_value(values[(height, key)])}" for key in keys]
    return lines + [f"{len(keys)} records as proven at height {height}; the bundle claims no completeness (other "
                    "keys, and other writes of the same block, may exist)"]


def shown_value(value: Any) -> str:
    """A proven value on one report line: compact JSON, cut at SHOWN_VALUE_CHARS; "absent" for none."""
    if value is None:
        return "absent"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= SHOWN_VALUE_CHARS else text[:SHOWN_VALUE_CHARS] + "…"


def walk(kind: str, id: str, height: int, src: Source) -> list[str]:
    """Check that everything the rules of `kind` name is proven in `src`; what it shows, in words."""
    try:
        return WALKS[kind](src, id, height)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise VerificationError(f"{kind} {id}: a proven record lacks what the rules read "
                                f"({type(exc).__name__}: {exc})", "not_proven") from None


# -- verify --------------------------------------------------------------------------------------------------


@dataclass
class _Progress:
    """What has been established so far (a failed check still reports it)."""

    fields: dict[str, Any] = field(default_factory=dict)
    basis: list[str] = field(default_factory=list)
    proven: list[str] = field(default_factory=list)
    values: dict[tuple[int, str], Any] = field(default_factory=dict)

    def report(self, ok: bool, code: str | None = None, failure: str | None = None) -> Report:
        return Report(ok, code, failure, basis=tuple(self.basis), proven=tuple(self.proven), values=self.values,
                      **self.fields)


@dataclass(frozen=True)
class _Block:
    """What the signed headers establish about faechain block h: the app hash after it, its
    time, and in words on what signatures that rests."""

    app_hash: bytes
    time_ms: int
    basis: str


class _BundleSource:
    def __init__(self, values: dict[tuple[int, str], Any], histories: dict[str, list[int]]) -> None:
        self.values = values
        self.histories = histories

    def value(self, key: str, height: int, named_by: str | None) -> Any:
        if (height, key) not in self.values:
            if named_by is None:
                raise VerificationError(f"{key}: the bundle has no record of it at height {height}", "incomplete")
            raise VerificationError(f"{key}: {named_by} names it, and the bundle has no record of it at height "
                                    f"{height}", "incomplete")
        return self.values[(height, key)]

    def versions(self, key: str) -> list[int]:
        if key not in self.histories:
            raise VerificationError(f"{key}: the bundle gives no history of it", "incomplete")
        return self.histories[key]


def _get(doc: Mapping[str, Any], name: str, kind: type | tuple[type, ...], where: str = "the bundle") -> Any:
    value = doc.get(name)
    if not isinstance(value, kind) or (kind is int and type(value) is bool):
        raise malformed(f"{where}: {name!r} is missing or not {getattr(kind, '__name__', kind)}")
    return value


def _hex(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise malformed(f"{what} is not a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise malformed(f"{what} is not hex") from None


def verify(bundle: Any, *, genesis: Genesis | None = None, checkpoint: Checkpoint | None = None,
           trusting_period_s: float = cb.DEFAULT_TRUSTING_PERIOD_S) -> Report:
    """Check an evidence bundle offline (docs/evidence.md, "Verifying a bundle", steps 1 to 7).

    `genesis`: your own copy of the chain's genesis — the bundle's must be the same document
    (else `untrusted`); without it the report shows the bundle's genesis hash for you to
    compare. `checkpoint`: a header you trust (CometBFT) — the bundle must reach it.
    Never raises for what is in the bundle: a Report with ok False says what failed."""
    progress = _Progress()
    try:
        _verify(bundle, progress, genesis, checkpoint, trusting_period_s)
    except VerificationError as exc:
        return progress.report(False, exc.code, exc.message)
    return progress.report(True)


def _verify(bundle: Any, progress: _Progress, mine: Genesis | None, checkpoint: Checkpoint | None,
            trusting_period_s: float) -> None:
    f = progress.fields
    # 1. form
    if not isinstance(bundle, dict):
        raise malformed("a bundle is a JSON object")
    if bundle.get("format") != FORMAT:
        raise malformed(f"not a {FORMAT} bundle (format: {bundle.get('format')!r})")
    subject = _get(bundle, "subject", dict)
    kind = subject.get("kind")
    if kind not in (*KINDS, RECORDS):
        raise malformed(f"subject kind {kind!r} is not one of {', '.join((*KINDS, RECORDS))}")
    f["kind"] = kind
    if kind == "audit":
        first, last = _get(subject, "from", int, "subject"), _get(subject, "to", int, "subject")
        if not 0 <= first <= last or last - first >= MAX_AUDIT_BLOCKS:
            raise malformed(f"subject: the range {first}..{last} is not 0 <= from <= to, at most "
                            f"{MAX_AUDIT_BLOCKS} blocks")
        f["subject"] = f"blocks {first}..{last}"
    else:
        f["subject"] = _get(subject, "id", str, "subject")
    engine = bundle.get("engine")
    if engine not in ("solo", "cometbft"):
        raise malformed(f"engine {engine!r} is neither solo nor cometbft")
    f["engine"] = engine
    # 2. genesis
    gen, chain_hash, sha = genesis_hashes(_get(bundle, "genesis", dict))
    f.update(chain_id=gen.chain_id, suite=gen.suite, genesis_hash=chain_hash.hex(), genesis_sha256=sha.hex())
    suite = _suite(gen.suite)
    if (engine == "cometbft") != bool(gen.validators):
        raise malformed(f"the bundle says engine {engine}, but its genesis "
                        + ("lists validators (a CometBFT network)" if gen.validators else "lists no validators (solo)"))
    if mine is not None:
        _, my_hash, _ = genesis_hashes(json.loads(mine.to_json()))
        if my_hash != chain_hash:
            raise VerificationError(f"the bundle's genesis (hash {chain_hash.hex()}) is not your genesis (hash "
                                    f"{my_hash.hex()})", "untrusted")
    # 3. anchor, 4. headers
    anchor = _get(bundle, "anchor", dict)
    if engine == "solo":
        if anchor.get("type") != "genesis":
            raise malformed("a solo chain's bundle is anchored at genesis (its block signer key)")
        if checkpoint is not None:
            raise VerificationError("a checkpoint is a CometBFT header; a solo chain's headers rest on the block "
                                    "signer in genesis", "untrusted")
        blocks, fae_headers = _solo_headers(bundle, gen, suite, progress)
    else:
        blocks, comet = _cometbft_headers(bundle, gen, anchor, progress, checkpoint, trusting_period_s)
    # 5. records
    values = _records(bundle, blocks, suite)
    progress.values.update(values)
    # 6. the subject
    if kind == "audit":
        if engine == "solo":
            _audit_solo(bundle, first, last, fae_headers, suite, progress)
        else:
            _audit_cometbft(bundle, first, last, comet, suite, progress)
        f["height"], f["time_ms"] = last, blocks[last].time_ms if last in blocks else None
        return
    height = _get(bundle, "height", int)
    f["height"] = height
    if height not in blocks:
        raise VerificationError(f"no signed header in the bundle establishes block {height}, the height the "
                                "subject is read at", "untrusted")
    f["time_ms"] = blocks[height].time_ms
    histories: dict[str, list[int]] = {}
    for entry in _get(bundle, "histories", list) if "histories" in bundle else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str) or not isinstance(
                entry.get("heights"), list):
            raise malformed("a history is {key, heights}")
        histories[entry["key"]] = entry["heights"]
    if kind == RECORDS:
        progress.proven.extend(records_lines(values, height))
    else:
        progress.proven.extend(walk(kind, f["subject"], height, _BundleSource(values, histories)))
    if kind == "plan":
        _penetration_agrees(f["subject"], height, bundle, values, blocks[height], suite)
    progress.basis.insert(0, f"block {height}: {blocks[height].basis}")
    others = sorted({h for h, _ in values} - {height})
    if others:
        progress.basis.insert(1, f"blocks {_heights(others)} (the histories' versions and the values before them): "
                                 "the same way")


def _heights(heights: list[int]) -> str:
    """[1, 2, 3, 7] -> "1-3, 7"."""
    runs: list[list[int]] = []
    for h in sorted(set(heights)):
        if runs and h == runs[-1][1] + 1:
            runs[-1][1] = h
        else:
            runs.append([h, h])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _solo_headers(bundle: Mapping[str, Any], gen: Genesis, suite: Suite,
                  progress: _Progress) -> tuple[dict[int, _Block], dict[int, FaeHeader]]:
    try:
        key = gen.block_signer_key()
    except ValueError as exc:
        raise malformed(f"the bundle's genesis: {exc}") from None
    if key is None:
        raise VerificationError("this chain's genesis declares no block signer: its solo headers are unsigned and "
                                "prove nothing", "untrusted")
    progress.fields["anchor"] = f"genesis (block signer {key.hex()})"
    blocks: dict[int, _Block] = {}
    headers: dict[int, FaeHeader] = {}
    for doc in _get(bundle, "signed_headers", list):
        if not isinstance(doc, dict):
            raise malformed("a signed header is a JSON object")
        trusted = verify_solo({**doc, "engine": "solo"}, gen.chain_id, key, suite, suite.hash)
        if trusted.height in blocks:
            raise malformed(f"two signed headers for block {trusted.height}")
        blocks[trusted.height] = _Block(trusted.app_hash, trusted.time_ms, trusted.basis)
        headers[trusted.height] = FaeHeader.decode(bytes.fromhex(doc["header_bytes"]))
    return blocks, headers


def _cometbft_headers(bundle: Mapping[str, Any], gen: Genesis, anchor: Mapping[str, Any], progress: _Progress,
                      checkpoint: Checkpoint | None,
                      trusting_period_s: float) -> tuple[dict[int, _Block], dict[int, cb.Header]]:
    chain_id = gen.chain_id
    docs = _get(bundle, "light_blocks", list)
    if not docs:
        raise malformed("a CometBFT bundle starts with the light block of its anchor")
    if any(not isinstance(d, dict) for d in docs):
        raise malformed("a light block is a JSON object")
    lbs = [_light_block(d) for d in docs]
    first = lbs[0]
    if anchor.get("type") == "genesis":
        vals = genesis_validators(gen)
        cb.trust_genesis(chain_id, vals, lambda _h: first)
        progress.fields["anchor"] = f"genesis (its {len(vals)} validators)"
    elif anchor.get("type") == "checkpoint":
        height = _get(anchor, "height", int, "anchor")
        digest = _hex(anchor.get("hash"), "the anchor's hash")
        cb.trust_checkpoint(height, digest, lambda _h: first, chain_id)
        progress.fields["anchor"] = f"checkpoint {height}:{digest.hex().upper()}"
    else:
        raise malformed(f"anchor type {anchor.get('type')!r} is neither genesis nor checkpoint")
    tallies = {first.height: cb.count_signatures(chain_id, first)}
    accepted: dict[int, cb.Header] = {first.height: first.header}
    how = {first.height: "the anchor"}
    prev = first
    for lb in lbs[1:]:
        if lb.height <= prev.height:
            raise malformed(f"light block {lb.height} follows light block {prev.height}: they go up in height")
        cb.verify(prev, lb, trusting_period_s, lb.header.time_ms)  # judged at the time of the header it reaches
        tallies[lb.height] = cb.count_signatures(chain_id, lb)
        accepted[lb.height] = lb.header
        how[lb.height] = f"verified from header {prev.height}"
        prev = lb
    linked = []
    for d in _get(bundle, "linked_headers", list) if "linked_headers" in bundle else []:
        if not isinstance(d, dict):
            raise malformed("a linked header is a JSON object")
        linked.append(cb.header_from_json(d))
    for header in sorted(linked, key=lambda h: -h.height):
        after = accepted.get(header.height + 1)
        if after is None:
            raise VerificationError(f"linked header {header.height} is tied to no verified header "
                                    f"{header.height + 1} in the bundle", "untrusted")
        header.validate()
        if header.chain_id != chain_id:
            raise cb.bad_header(f"header at height {header.height} belongs to chain {header.chain_id!r}, not "
                                f"{chain_id!r}")
        if not header.time_ns < after.time_ns:
            raise cb.bad_header(f"header at height {header.height} is not before header {after.height}")
        if header.hash() != after.last_block_id.hash:
            raise cb.bad_header(f"header at height {header.height} hashes to {header.hash().hex().upper()}, but "
                                f"header {after.height} names {after.last_block_id.hash.hex().upper()} as its "
                                "predecessor")
        if header.height in accepted and accepted[header.height].hash() != header.hash():
            raise cb.bad_header(f"two headers at height {header.height}")
        accepted[header.height] = header
        how.setdefault(header.height, f"tied by hash to header {header.height + 1}")
    if checkpoint is not None:
        at = accepted.get(checkpoint.height)
        if at is None or at.hash() != checkpoint.block_hash:
            raise VerificationError(f"the bundle does not reach your checkpoint {checkpoint.height}:"
                                    f"{checkpoint.block_hash.hex().upper()}", "untrusted")
    blocks = {}
    for h, header in accepted.items():  # CometBFT header h carries the app hash after faechain block h - 1
        tally = tallies.get(h)
        signed = str(tally) if tally is not None else how[h]
        own = accepted.get(h - 1)  # block h - 1's own time is its header's; else when h was signed
        blocks[h - 1] = _Block(header.app_hash, (own or header).time_ms, f"app hash in CometBFT header {h}, {signed}")
    progress.basis.append(f"{len(lbs)} CometBFT light blocks ({_heights(list(tallies))}), each signed by more than "
                          f"2/3 of its validators' voting power, reached from the {progress.fields['anchor']} "
                          f"by skipping verification (trust level 1/3, trusting period {trusting_period_s:g} s)")
    if len(accepted) > len(tallies):
        progress.basis.append(f"{len(accepted) - len(tallies)} headers tied by hash to those")
    return blocks, accepted


def _light_block(doc: Mapping[str, Any]) -> cb.LightBlock:
    try:
        return cb.light_block_from_json(doc)
    except (KeyError, TypeError, AttributeError) as exc:  # a part left out that the reader does not guard
        raise cb.bad_header(f"malformed signed header: {type(exc).__name__} {exc}") from None


def genesis_validators(gen: Genesis) -> cb.ValidatorSet:
    """The validator set genesis declares, as CometBFT forms it (`malformed` if it cannot be read)."""
    try:
        return cb.ValidatorSet.of([(base64.b64decode(v["pub_key"], validate=True), int(v["power"]))
                                   for v in gen.validators])
    except (KeyError, TypeError, ValueError) as exc:
        raise malformed(f"the bundle's genesis validators cannot be read ({type(exc).__name__}: {exc})") from None


def _records(bundle: Mapping[str, Any], blocks: dict[int, _Block], suite: Suite) -> dict[tuple[int, str], Any]:
    values: dict[tuple[int, str], Any] = {}
    raws: dict[tuple[int, str], bytes | None] = {}
    for i, rec in enumerate(_get(bundle, "records", list)):
        if not isinstance(rec, dict):
            raise malformed(f"record #{i} is not a JSON object")
        height, key = _get(rec, "height", int, f"record #{i}"), _get(rec, "key", str, f"record #{i}")
        raw = None if rec.get("value") is None else _hex(rec["value"], f"record {key} at {height}: value")
        proof = rec.get("proof")
        if not isinstance(proof, dict) or not isinstance(proof.get("siblings"), list):
            raise malformed(f"record {key} at {height}: proof is not {{siblings, leaf}}")
        leaf = proof.get("leaf")
        parsed = {"siblings": [_hex(s, f"record {key}: a sibling") for s in proof["siblings"]],
                  "leaf": None if leaf is None else [_hex(x, f"record {key}: the leaf") for x in leaf]
                  if isinstance(leaf, list) else leaf}
        if (height, key) in raws and raws[(height, key)] != raw:
            raise malformed(f"two different records of {key} at height {height}")
        block = blocks.get(height)
        if block is None:
            raise VerificationError(f"{key} at height {height}: no signed header in the bundle establishes block "
                                    f"{height}'s app hash", "untrusted")
        try:
            ok = verify_proof(suite.hash, block.app_hash, key.encode(), raw, parsed)
        except ProofError as exc:
            raise VerificationError(f"{key} at height {height}: malformed proof ({exc.message})",
                                    "not_proven") from None
        if not ok:
            raise VerificationError(f"{key} at height {height}: the proof does not verify against block {height}'s "
                                    f"app hash {block.app_hash.hex()[:16]}… ({block.basis})", "not_proven")
        try:
            values[(height, key)] = None if raw is None else jsonable(decode(raw))
        except EncodingError as exc:
            raise VerificationError(f"{key} at height {height}: the value proven is not canonical ({exc.message})",
                                    "not_proven") from None
        raws[(height, key)] = raw
    return values


def _penetration_agrees(plan: str, height: int, bundle: Mapping[str, Any], values: Mapping[tuple[int, str], Any],
                        block: _Block, suite: Suite) -> None:
    """The SDK's penetration verifier, over the plan's records as a `plans.penetrate` answer:
    a second opinion on the plan rules of `walk` (they must agree)."""
    recs = {(r["height"], r["key"]): r for r in bundle["records"]}

    def el(key: str) -> dict[str, Any] | None:
        r = recs.get((height, key))
        if r is None:
            return None
        return {"key": key, "value": values[(height, key)],
                "proof": {"key": key.encode().hex(), "value": r["value"], "height": height,
                          "app_hash": block.app_hash.hex(), "proof": r["proof"]}}

    def val(key: str) -> Any:
        return values.get((height, key))

    p = val(f"plans/plan/{plan}")
    assets = []
    for asset in p["assets"]:
        kind, asset_id = asset.split(":", 1)
        node: dict[str, Any] = {"asset": asset, "entry": el(f"plans/asset/{asset}")}
        if kind == "voucher":
            v = val(f"receivables/voucher/{asset_id}")
            root = val(f"receivables/root/{v['root']}")
            node.update(voucher=el(f"receivables/voucher/{asset_id}"), root=el(f"receivables/root/{v['root']}"),
                        invoices=[el(f"receivables/invoice/{i}") for i in root["invoices"]])
        else:
            node["invoice"] = el(f"receivables/invoice/{asset_id}")
        assets.append(node)
    hashes = val(f"plans/docs/{plan}")
    result = {"plan_id": plan, "height": height, "plan": el(f"plans/plan/{plan}"), "assets": assets,
              "documents_list": el(f"plans/docs/{plan}"), "documents": [el(f"plans/doc/{h}") for h in hashes],
              "cash_flows": [el(f"plans/cashflow/{plan}/{n:06d}") for n in range(1, p["cash_flows"] + 1)],
              "disclosures": [el(f"plans/disclosure/{plan}/{n:04d}") for n in range(1, p["disclosures"] + 1)],
              "payments": [el(f"plans/payment/{plan}/{n:04d}") for n in range(1, p["payments"] + 1)]}
    seen = verify_penetration(result, block.app_hash, suite.hash, plan_id=plan)
    if not seen.ok:
        raise VerificationError(f"plans.penetrate({plan}): {seen.problems[0]}", seen.codes[0])


# -- audit ranges --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AuditTx:
    envelope: bytes
    receipt_bytes: bytes
    receipt: dict[str, Any]
    tx_id: bytes


def tx_id(envelope: bytes, hasher: Callable[[bytes], bytes]) -> bytes:
    """A transaction's id as its receipt and the block's txs_root hold it: the hash of its
    signed body, or of the whole envelope when it does not decode (a garbage transaction)."""
    try:
        return decode_tx(envelope, hasher).hash
    except TxError:
        return hasher(envelope)


def _audit_blocks(bundle: Mapping[str, Any], first: int, last: int,
                  hasher: Callable[[bytes], bytes]) -> dict[int, tuple[list[_AuditTx], bytes | None]]:
    out: dict[int, tuple[list[_AuditTx], bytes | None]] = {}
    for doc in _get(bundle, "blocks", list):
        if not isinstance(doc, dict):
            raise malformed("a block is a JSON object")
        h = _get(doc, "height", int, "a block")
        if not first <= h <= last or h in out:
            raise malformed(f"block {h} is outside the range {first}..{last} or given twice")
        txs = []
        for i, t in enumerate(_get(doc, "txs", list, f"block {h}")):
            if not isinstance(t, dict):
                raise malformed(f"block {h}, transaction {i} is not a JSON object")
            envelope = _hex(t.get("envelope"), f"block {h}, transaction {i}: envelope")
            raw = _hex(t.get("receipt"), f"block {h}, transaction {i}: receipt")
            try:
                receipt = decode(raw)
            except EncodingError as exc:
                raise VerificationError(f"block {h}, transaction {i}: the receipt is not canonical ({exc.message})",
                                        "not_proven") from None
            if not isinstance(receipt, dict) or receipt.get("height") != h or receipt.get("index") != i:
                raise VerificationError(f"block {h}, transaction {i}: the receipt is not the receipt of transaction "
                                        f"{i} of block {h}", "not_proven")
            tid = tx_id(envelope, hasher)
            if receipt.get("tx") != tid:
                raise VerificationError(f"block {h}, transaction {i}: the receipt is for transaction "
                                        f"{_hexs(receipt.get('tx'))}, the envelope is {tid.hex()}", "not_proven")
            txs.append(_AuditTx(envelope, raw, receipt, tid))
        end = doc.get("end_block")
        out[h] = (txs, None if end is None else _hex(end, f"block {h}: end_block"))
    for h in range(first, last + 1):
        if h not in out:
            raise VerificationError(f"block {h} is in the range {first}..{last} and not in the bundle", "incomplete")
    return out


def _hexs(value: Any) -> str:
    return value.hex() if isinstance(value, bytes) else repr(value)


def _audit_lines(blocks: dict[int, tuple[list[_AuditTx], bytes | None]], first: int, last: int,
                 hasher: Callable[[bytes], bytes], progress: _Progress) -> None:
    count = sum(len(txs) for txs, _ in blocks.values())
    failed = sum(1 for txs, _ in blocks.values() for t in txs if t.receipt.get("code") != "ok")
    progress.proven.append(f"blocks {first}..{last} hold exactly these {count} transactions ({failed} rejected), "
                           "each with its receipt")
    for h in range(first, last + 1):
        for i, t in enumerate(blocks[h][0]):
            try:
                tx = decode_tx(t.envelope, hasher)
                what = f"{tx.contract}.{tx.method} signed by certificate {tx.signer.hex()[:16]}…"
            except TxError:
                what = "undecodable transaction"
            progress.proven.append(f"{h}/{i} tx {t.tx_id.hex()[:16]}… {what}: {t.receipt.get('code')}")
            progress.values[(h, f"tx/{i}")] = {"tx": t.tx_id.hex(), "envelope": t.envelope.hex(),
                                               "receipt": jsonable(t.receipt)}


def _audit_solo(bundle: Mapping[str, Any], first: int, last: int, headers: dict[int, FaeHeader], suite: Suite,
                progress: _Progress) -> None:
    blocks = _audit_blocks(bundle, first, last, suite.hash)
    for h in range(first, last + 1):
        header = headers.get(h)
        if header is None:
            raise VerificationError(f"block {h}: no signed header in the bundle", "untrusted")
        txs, end = blocks[h]
        if merkle_root(suite.hash, [t.tx_id for t in txs]) != header.txs_root:
            raise VerificationError(f"block {h}: its transactions do not match the signed header's txs_root",
                                    "not_proven")
        leaves = [suite.hash(t.receipt_bytes) for t in txs]
        if end is not None:
            try:
                record = decode(end)
            except EncodingError:
                record = None
            if not isinstance(record, dict) or set(record) != {"end_block"}:
                raise VerificationError(f"block {h}: end_block is not an end-block record", "not_proven")
            leaves.append(suite.hash(end))
        if merkle_root(suite.hash, leaves) != header.results_root:
            raise VerificationError(f"block {h}: its receipts (and end-block events) do not match the signed "
                                    "header's results_root", "not_proven")
    _audit_lines(blocks, first, last, suite.hash, progress)
    progress.basis.insert(0, f"blocks {first}..{last}: each faechain header signed by the block signer genesis "
                             "declares; its txs_root and results_root commit to the transactions and receipts")


def _audit_cometbft(bundle: Mapping[str, Any], first: int, last: int, headers: dict[int, cb.Header], suite: Suite,
                    progress: _Progress) -> None:
    blocks = _audit_blocks(bundle, first, last, suite.hash)
    for h in range(first, last + 1):
        txs, end = blocks[h]
        if end is not None:
            raise malformed(f"block {h}: end_block is not tied to any CometBFT header; a CometBFT bundle leaves it "
                            "out")
        header, after = headers.get(h), headers.get(h + 1)
        if header is None or after is None:
            raise VerificationError(f"block {h}: CometBFT headers {h} and {h + 1} must both be in the bundle, "
                                    "verified or tied by hash", "untrusted")
        if cb.data_hash([t.envelope for t in txs]) != header.data_hash:
            raise VerificationError(f"block {h}: its transactions do not match CometBFT header {h}'s data_hash",
                                    "not_proven")
        results = [exec_tx_result(abci_code(str(t.receipt.get("code"))), suite.hash(t.receipt_bytes)) for t in txs]
        if cb.merkle_root(results) != after.last_results_hash:
            raise VerificationError(f"block {h}: its receipts do not match CometBFT header {h + 1}'s "
                                    "last_results_hash", "not_proven")
    _audit_lines(blocks, first, last, suite.hash, progress)
    progress.basis.insert(0, f"blocks {first}..{last}: each block's transactions by CometBFT header h's data_hash, "
                             "its receipts by header h+1's last_results_hash (end-block events are in no CometBFT "
                             "header and not in the bundle)")


# -- export --------------------------------------------------------------------------------------------------

QUERIES = {"voucher": ("receivables", "voucher", "id"), "plan": ("plans", "penetrate", "plan"),
           "product": ("products", "product", "id"), "package": ("npa", "life", "package")}


def _harvest(value: Any, out: dict[tuple[int, str], dict[str, Any]]) -> None:
    """Every proof document inside a query answer, by (height, key)."""
    if isinstance(value, dict):
        if {"key", "value", "height", "app_hash", "proof"} <= set(value) and isinstance(value["proof"], dict):
            try:
                out[(value["height"], bytes.fromhex(value["key"]).decode())] = value
            except (ValueError, TypeError):
                pass
        for v in value.values():
            _harvest(v, out)
    elif isinstance(value, list):
        for v in value:
            _harvest(v, out)


class _NodeSource:
    """Proven values fetched from the node (the query answer's proofs first, else GET /v1/state),
    each checked against the light client's header before it is kept as a record."""

    def __init__(self, client: Client, hasher: Callable[[bytes], bytes], harvest: dict[tuple[int, str], Any],
                 histories: dict[str, list[int]]) -> None:
        self.client = client
        self.hasher = hasher
        self.harvest = harvest
        self.histories = histories
        self.headers: dict[int, TrustedHeader] = {}
        self.records: dict[tuple[int, str], dict[str, Any]] = {}
        self.values: dict[tuple[int, str], Any] = {}

    def header(self, height: int) -> TrustedHeader:
        if height not in self.headers:
            self.headers[height] = self.client.trusted_header(height, fresh=False)
        return self.headers[height]

    def value(self, key: str, height: int, named_by: str | None) -> Any:
        if (height, key) in self.values:
            return self.values[(height, key)]
        app_hash = self.header(height).app_hash
        doc = self.harvest.get((height, key))
        if doc is None:
            try:
                doc = self.client.state(key, height, prove=True)
            except ApiError as exc:
                if exc.code not in ("not_found", "forbidden"):
                    raise
                raise VerificationError(f"{key} at height {height}" + (f", which {named_by} names," if named_by
                                                                         else "")
                                        + " is not shown to this reader, and the bundle must hold it: export as a "
                                        "party, the regulator or the exchange", "incomplete") from None
        if doc.get("height") != height:
            raise VerificationError(f"{key}: the node answered at height {doc.get('height')!r}, not {height}",
                                    "not_proven")
        raw = None if doc["value"] is None else bytes.fromhex(doc["value"])
        siblings = [bytes.fromhex(s) for s in doc["proof"]["siblings"]]
        leaf = [bytes.fromhex(x) for x in doc["proof"]["leaf"]] if doc["proof"]["leaf"] else None
        if not verify_proof(self.hasher, app_hash, key.encode(), raw, {"siblings": siblings, "leaf": leaf}):
            raise VerificationError(f"{key} at height {height}: the node's proof does not verify against the "
                                    "light client's header", "not_proven")
        self.records[(height, key)] = {"height": height, "key": key, "value": doc["value"],
                                       "proof": {"siblings": [s.hex() for s in siblings],
                                                 "leaf": None if leaf is None else [x.hex() for x in leaf]}}
        value = None if raw is None else jsonable(decode(raw))
        self.values[(height, key)] = value
        return value

    def versions(self, key: str) -> list[int]:
        return self.histories[key]


def _light_client(client: Client) -> LightClient:
    trust = client.trust
    if not isinstance(trust, LightClient):
        raise VerificationError("an evidence bundle carries the signed headers it rests on: export needs "
                                "Client(trust=LightClient(...))", "untrusted")
    return trust


def audit_range(id_or_range: str | tuple[int, int]) -> tuple[int, int]:
    """(from, to) of an audit range given as "FROM:TO" (or "FROM-TO", or a tuple); ValueError
    unless 0 <= from <= to and it spans at most MAX_AUDIT_BLOCKS blocks."""
    if isinstance(id_or_range, tuple):
        first, last = id_or_range
    else:
        a, sep, b = str(id_or_range).partition(":")
        if not sep:
            a, sep, b = str(id_or_range).partition("-")
        try:
            first, last = int(a), int(b)
        except ValueError:
            raise ValueError(f"an audit range is FROM:TO (heights), not {id_or_range!r}") from None
    if not 0 <= first <= last or last - first >= MAX_AUDIT_BLOCKS:
        raise ValueError(f"an audit range is 0 <= FROM <= TO, at most {MAX_AUDIT_BLOCKS} blocks; got {first}:{last}")
    return first, last


def export(client: Client, kind: str, id_or_range: str | tuple[int, int], *, height: int | None = None,
           exported_at_ms: int | None = None) -> dict[str, Any]:
    """A bundle proving `kind` `id_or_range` (an id; for "audit", heights "FROM:TO" or a
    tuple), read at `height` (default: the newest block the light client can verify).

    Reads through `client` (its `trust` must be a `LightClient`: the bundle carries the
    signed headers that client verified, from its genesis or checkpoint), checks the
    answer with the SDK's verifier of the kind's query and every record against the light
    client's header, and verifies the finished bundle before returning it. Raises
    VerificationError for anything that does not check out, ApiError as the client does."""
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}"
                         + (" (a records bundle is made by the web console from what it verified)"
                            if kind == RECORDS else ""))
    trust = _light_client(client)
    suite = get_suite(trust.genesis.suite)
    bundle: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": exported_at_ms if exported_at_ms is not None else trust.now_ms(),
        "exported_from": client.url,
        "genesis": json.loads(trust.genesis.to_json()),
        "anchor": ({"type": "checkpoint", "height": trust.checkpoint.height,
                    "hash": trust.checkpoint.block_hash.hex().upper()}
                   if trust.checkpoint is not None else {"type": "genesis"}),
        "engine": trust.engine,
    }
    if kind == "audit":
        first, last = audit_range(id_or_range)
        if trust.engine == "cometbft" and first < 1:
            raise ValueError("block 0 of a CometBFT network is its genesis: it has no header and no transactions; "
                             "start the range at 1")
        trust.trusted(last)  # the range is signed (and agreed by any witness) before it is read
        bundle["subject"] = {"kind": "audit", "from": first, "to": last}
        bundle["records"] = []
        blocks = []
        for h in range(first, last + 1):
            doc = client.block(h, raw=True)
            hidden = [t["index"] for t in doc["txs"] if t.get("withheld") or "envelope" not in t]
            if hidden or doc.get("end_block_withheld"):
                what = f"transaction {hidden[0]}" if hidden else "its end-block events"
                raise VerificationError(f"block {h}: {what} is withheld from this reader, and an audit bundle holds "
                                        "every transaction of its blocks: export it as the regulator or the exchange",
                                        "incomplete")
            blocks.append({"height": h, "txs": [{"envelope": t["envelope"], "receipt": t["receipt"]}
                                                for t in doc["txs"]],
                           "end_block": doc.get("end_block") if trust.engine == "solo" else None})
        bundle["blocks"] = blocks
        _header_material(bundle, client, trust, set(range(first, last + 1)), (first, last))
    else:
        id = str(id_or_range)
        h = height if height is not None else trust.latest().height
        contract, method, arg = QUERIES[kind]
        asked: dict[str, Any] = {arg: id}
        result = client.query(contract, method, _height=h, prove=True, **asked)
        answer = {"result": result, "height": h}
        header = client.trusted_header(h, fresh=False)
        who = client.identity
        reader = verifiers.ANONYMOUS if who is None else verifiers.Reader(who.org_id, who.role)
        checked = verifiers.verify(contract, method, answer, {arg: id}, header, suite.hash, reader=reader,
                                   headers=lambda at: client.trusted_header(at, fresh=False))
        histories: dict[str, list[int]] = {}
        if kind == "package":
            histories[f"npa/package/{id}"] = [v.height for v in checked.versions]
            for ref, lo in zip(checked.package["loans"], checked.loans, strict=True):
                histories[f"npa/loan/{ref}"] = [v.height for v in lo.versions]
        harvest: dict[tuple[int, str], Any] = {}
        _harvest(result, harvest)
        src = _NodeSource(client, suite.hash, harvest, histories)
        walk(kind, id, h, src)
        bundle["subject"] = {"kind": kind, "id": id}
        bundle["height"] = h
        bundle["records"] = [src.records[k] for k in sorted(src.records)]
        if histories:
            bundle["histories"] = [{"key": k, "heights": v} for k, v in histories.items()]
        _header_material(bundle, client, trust, {k[0] for k in src.records} | {h}, None)
    report = verify(bundle, trusting_period_s=trust.trusting_period_s)
    if not report.ok:
        raise VerificationError(f"the bundle made does not verify: {report.failure}", report.code)
    return bundle


def _header_material(bundle: dict[str, Any], client: Client, trust: LightClient, heights: set[int],
                     audit: tuple[int, int] | None) -> None:
    """The signed headers that establish the app hash of each block in `heights` (and for an
    audit on CometBFT, the headers of the range), from the light client's anchor."""
    suite = get_suite(trust.genesis.suite)
    if trust.engine == "solo":
        key = trust.genesis.block_signer_key()
        assert key is not None  # LightClient refuses a solo genesis without one
        out = []
        for h in sorted(heights):
            doc = client.light_block(h)
            if doc is None:
                raise VerificationError(f"{client.url} has no signed header for block {h}", "unavailable")
            verify_solo(doc, trust.genesis.chain_id, key, suite, suite.hash, height=h)
            out.append({k: doc[k] for k in ("height", "header_bytes", "block_hash", "signer", "signature")})
        bundle["signed_headers"] = out
        return
    cache: dict[int, cb.LightBlock] = {}

    def fetch(comet_height: int) -> cb.LightBlock:
        if comet_height not in cache:
            doc = client.light_block(comet_height - 1)
            if doc is None:
                raise VerificationError(f"{client.url} has no light block for CometBFT height {comet_height}",
                                        "unavailable")
            cache[comet_height] = cb.light_block_from_json(
                {"signed_header": doc["commit"]["signed_header"],
                 "validator_set": {"validators": doc["validators"]["validators"]}})
        return cache[comet_height]

    chain_id = trust.genesis.chain_id
    if trust.checkpoint is not None:
        anchor = cb.trust_checkpoint(trust.checkpoint.height, trust.checkpoint.block_hash, fetch, chain_id)
    else:
        anchor = cb.trust_genesis(chain_id, genesis_validators(trust.genesis), fetch)
    targets = {h + 1 for h in heights} if audit is None else {audit[1] + 1}
    trace = cometbft_trace(anchor, targets, fetch, trusting_period_s=trust.trusting_period_s,
                           max_clock_drift_s=trust.max_clock_drift_s, trust_level=trust.trust_level)
    for target in targets:  # the light client's own verdict (with its witnesses) on the same heights
        if trust.trusted(target - 1).app_hash != cache[target].header.app_hash:
            raise VerificationError(f"block {target - 1}: the light client and the trace disagree on the app hash",
                                    "diverged")
    bundle["light_blocks"] = [cb.light_block_to_json(lb) for lb in trace]
    if audit is not None:
        bundle["linked_headers"] = [cb.light_block_to_json(fetch(h))["signed_header"]["header"]
                                    for h in range(audit[1], audit[0] - 1, -1) if h >= 1]


def cometbft_trace(anchor: cb.LightBlock, targets: Iterable[int], fetch: cb.Fetch, *,
                   trusting_period_s: float = cb.DEFAULT_TRUSTING_PERIOD_S,
                   max_clock_drift_s: float = cb.DEFAULT_MAX_CLOCK_DRIFT_S,
                   trust_level: Fraction = cb.DEFAULT_TRUST_LEVEL) -> list[cb.LightBlock]:
    """The light blocks from `anchor` through every target height, ascending, each verifiable
    from the one before it judged at its own time — the rule `verify` applies. Skipping goes
    as far as the validators allow (bisecting where too few of the trusted ones signed, as
    `cometbft light` does); where a target lies a trusting period or more after the block
    before it, the trace first hops to the last block within that period, so that a bundle
    of a chain older than the trusting period can still start from genesis. `untrusted` if
    a target lies before the anchor or the chain made no block within a trusting period."""
    period_ns = round(trusting_period_s * cb.NANOS)
    trace, current = [anchor], anchor
    for target in sorted(set(targets)):
        if target < anchor.height:
            raise VerificationError(f"block {target - 1} lies before the anchor, CometBFT header {anchor.height}: "
                                    "export from genesis or an earlier checkpoint", "untrusted")
        while current.height < target:
            goal = target
            limit = current.header.time_ns + period_ns
            if not fetch(goal).header.time_ns < limit:  # too far for one step: the last block within the period
                lo, hi = current.height + 1, goal - 1
                if lo > hi or not fetch(lo).header.time_ns < limit:
                    raise VerificationError(f"no CometBFT block follows header {current.height} within the trusting "
                                            f"period ({trusting_period_s:g} s): export from a later checkpoint",
                                            "untrusted")
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    lo, hi = (mid, hi) if fetch(mid).header.time_ns < limit else (lo, mid - 1)
                goal = lo
            current, steps = cb.verify_to(current, goal, fetch, now_ms=fetch(goal).header.time_ms,
                                          trusting_period_s=trusting_period_s, max_clock_drift_s=max_clock_drift_s,
                                          trust_level=trust_level)
            trace.extend(steps[1:])
    return trace
