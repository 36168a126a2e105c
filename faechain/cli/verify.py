"""`fae verify`: re-check a node's ledger and vault offline, from its database opened read-only.

`verify_home(home)` is the library function behind it: the ledger file (empty,
truncated, unreadable), SQLite's quick_check, every block, transaction, receipt,
event, state row and Merkle node (`faechain.node.verify.verify_store`), the head
mark (blocks lost from the end), the derived indexes, and the vault's files. It
returns a `HomeReport` naming the first damaged item and how to recover this node.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from faechain.cli.common import CliError, UsageError, print_json, resolve_home, to_jsonable

SHOWN = 5  # findings printed besides the first


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify", help="re-check every block, root, signature, state row and vault file of a node (offline)",
        description="Open the node's database read-only and re-check it: every header links to its parent, "
        "the transaction and result roots match, the state root matches the state rows and the stored Merkle "
        "nodes, every signature verifies, the derived indexes match the blocks, and every vault file hashes "
        "to its name. Prints `ok: N blocks verified`, or the first damaged block or record (table, height "
        "or key, what failed) and how to recover (exit 1). Safe to run beside a running node.",
    )
    p.add_argument("--home", help="node home (default: $FAE_HOME or ~/.faechain/demo)")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.add_argument("--repair-derived", action="store_true",
                   help="rebuild the derived indexes (history, listings) from the verified blocks and state "
                        "when they are all that is wrong (stop the node first)")
    p.set_defaults(func=cmd_verify)


def open_readonly_store(path: str):
    """A `Store` over a read-only SQLite connection: verification can never write."""
    from faechain.ledger.storage import Store

    uri = f"file:{urllib.parse.quote(os.path.abspath(path))}?mode=ro"

    class ReadOnlyStore(Store):
        def __init__(self) -> None:
            self.path = path
            self._local = threading.local()
            self._sync = "OFF"
            self._node_cache = {}
            self._value_cache = {}
            self._lock = threading.Lock()
            self.write = self._connect()
            self.write.execute("SELECT 1 FROM meta LIMIT 1")  # fail now if this is not a ledger

        def _connect(self) -> sqlite3.Connection:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("PRAGMA query_only=ON")
            return conn

        def commit(self, w) -> None:
            raise PermissionError("the ledger is open read-only")

        def put_meta(self, items) -> None:
            raise PermissionError("the ledger is open read-only")

    return ReadOnlyStore()


@dataclass
class HomeReport:
    """Everything `fae verify` found in one node home."""

    home: str
    engine: str | None
    ledger: Any = None  # faechain.node.verify.VerifyReport, None when the file could not be read
    vault: Any = None  # faechain.ledger.vault.VaultScan
    findings: list = field(default_factory=list)  # Finding: damaged first, then derived, missing, notes
    recovery: str = ""

    @property
    def ok(self) -> bool:
        return not any(f.kind in ("damaged", "derived") for f in self.findings)

    @property
    def first(self):
        for kind in ("damaged", "derived"):
            for f in self.findings:
                if f.kind == kind:
                    return f
        return None

    @property
    def derived_only(self) -> bool:
        kinds = {f.kind for f in self.findings}
        return "derived" in kinds and "damaged" not in kinds

    def to_dict(self) -> dict:
        first = self.first
        ledger = self.ledger
        return {
            "ok": self.ok,
            "home": self.home,
            "engine": self.engine,
            "blocks": getattr(ledger, "blocks", 0),
            "txs": getattr(ledger, "txs", 0),
            "head": getattr(ledger, "head", -1),
            "first": None if first is None else {"table": first.table, "where": first.where, "check": first.check,
                                                 "height": first.height, "kind": first.kind},
            "findings": [{"table": f.table, "where": f.where, "check": f.check, "height": f.height, "kind": f.kind}
                         for f in self.findings],
            "vault": None if self.vault is None else {"checked": self.vault.checked, "damaged": self.vault.damaged,
                                                      "missing": self.vault.missing, "stray": self.vault.stray,
                                                      "erased": self.vault.erased,
                                                      "lingering": self.vault.lingering},
            "recovery": self.recovery if not self.ok else "",
        }


def verify_home(home: str, *, derived: bool = True, vault: bool = True) -> HomeReport:
    """Verify the node in `home` offline; never raises for damaged data (only for a home
    that is not a node's: UsageError/CliError)."""
    from faechain.core.genesis import Genesis
    from faechain.ledger.integrity import HeadMark, StorageDamaged, check_file, recovery_advice, wal_note
    from faechain.node.config import NodeConfig, paths
    from faechain.node.verify import DAMAGED, NOTE, Finding, damaged_database, verify_store

    home = os.path.abspath(home)
    p = paths(home)
    if not os.path.exists(p["genesis"]):
        raise UsageError(f"{home} is not a node home (no genesis.json)")
    try:
        genesis = Genesis.load(p["genesis"])
    except (ValueError, TypeError, KeyError) as exc:
        raise CliError(f"{p['genesis']} is not a genesis document: {exc}") from None
    try:
        engine = NodeConfig.load(home).engine
    except (OSError, ValueError, TypeError):
        engine = None
    out = HomeReport(home, engine, recovery=recovery_advice(home, engine))
    db = p["db"]
    mark = HeadMark(db)
    if not os.path.exists(db):
        marked = mark.read()
        if marked is None:
            raise UsageError(f"{home} has no ledger yet ({db} does not exist)")
        out.findings.append(Finding("file", db, f"the ledger file is gone, but this node had committed blocks up "
                                                f"to height {marked[0]} ({mark.path})"))
        return out
    store = None
    try:
        check_file(db)
        store = open_readonly_store(db)
        out.ledger = verify_store(store, genesis, derived=derived, mark=mark, engine=engine)
    except StorageDamaged as exc:
        out.findings.append(Finding(exc.table, exc.where, exc.check, exc.height))
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        out.ledger = damaged_database(db, exc)
    if out.ledger is not None:
        out.findings.extend(out.ledger.findings)
    note = wal_note(db)
    if note:
        out.findings.append(Finding("file", db + "-wal", note, kind=NOTE))
    if vault:
        from faechain.crypto.suite import get_suite
        from faechain.ledger.vault import scan

        registered: list[str] = []
        erased: list[str] = []
        if store is not None and out.ledger is not None and out.ledger.table != "file":
            try:
                registered = registered_documents(store)
                erased = erased_personal_documents(store)
            except Exception:  # noqa: BLE001 - a damaged ledger has been reported already
                registered, erased = [], []
        out.vault = scan(p["vault"], get_suite(genesis.suite).hash, registered, erased)
        for path in out.vault.damaged:
            out.findings.append(Finding("vault", path, "its bytes no longer hash to its name (a damaged document)",
                                        kind=DAMAGED))
        for h in out.vault.missing:
            out.findings.append(Finding("vault", h, "registered on chain but not in this node's vault (missing, not "
                                                    "damaged: the node fetches it from its vault_peers when a reader "
                                                    "asks)", kind="missing"))
        for h in out.vault.lingering:
            out.findings.append(Finding("vault", h, "its erasure was approved on chain but this vault still holds "
                                                    "it (the node deletes it when it next starts)", kind=NOTE))
        for path in out.vault.stray:
            out.findings.append(Finding("vault", path, "not named like a document (a leftover of an interrupted "
                                                       "upload, or put there by hand)", kind=NOTE))
    if store is not None:
        _close(store)
    order = {"damaged": 0, "derived": 1, "missing": 2}
    out.findings.sort(key=lambda f: order.get(f.kind, 3))
    return out


def registered_documents(store) -> list[str]:
    """Hashes of the documents recorded on chain (`<scope>/doc/<hash>`, and the personal data
    documents `<scope>/person/<hash>`, of every contract that answers the vault's
    `vault_document` query)."""
    from faechain.chain.application import load_contracts
    from faechain.ledger.vault import HASH_HEX

    out = []
    for name, cls in sorted(load_contracts().items()):
        if "vault_document" not in cls.methods:
            continue
        for kind in ("doc", "person"):
            prefix = f"{name}/{kind}/".encode()
            for key, _ in store.scan_prefix(prefix, None, -1):
                suffix = key[len(prefix):].decode(errors="replace")
                if HASH_HEX.fullmatch(suffix):
                    out.append(suffix)
    return out


def erased_personal_documents(store) -> list[str]:
    """Hashes of the personal data documents whose erasure the chain records: not missing when
    absent from the vault (faechain/node/erasure.py deletes them)."""
    from faechain.chain.application import load_contracts
    from faechain.node.erasure import erased_documents

    return erased_documents(store, load_contracts())


def _close(store) -> None:
    try:
        store.write.close()
    except Exception:  # noqa: BLE001
        pass
    try:
        store.read.close()
    except Exception:  # noqa: BLE001
        pass


def _vault_advice(home: str) -> str:
    return (f"A damaged vault file: move it out of {os.path.join(home, 'vault')} — the node fetches a good copy "
            "from its vault_peers when a reader next asks for it (where another member's node holds it) — or "
            "restore it from a backup.")


def cmd_verify(args: argparse.Namespace) -> int:
    home = resolve_home(args.home)
    report = verify_home(home)
    if args.repair_derived:
        return _repair(home, report)
    if args.json:
        print_json(to_jsonable(report.to_dict()))
        return 0 if report.ok else 1
    ledger = report.ledger
    if report.ok:
        n, txs = getattr(ledger, "blocks", 0), getattr(ledger, "txs", 0)
        print(f"ok: {n} blocks verified ({txs} transactions)")
        if report.vault is not None:
            erased = len(report.vault.erased) + len(report.vault.lingering)
            print(f"vault: {report.vault.checked} documents verified"
                  + (f"; {erased} personal data document(s) erased on chain" if erased else ""))
        _print_others(report.findings)
        return 0
    first = report.first
    if first.kind == "derived":
        print(f"FAILED: derived data: {first}")
        print(f"The blocks and state verify; only derived, rebuildable data differs. Rebuild it with "
              f"`fae verify --home {home} --repair-derived` (stop the node first).")
    else:
        where = f"block {first.height}: " if first.height is not None else ""
        print(f"FAILED: {where}{first}")
    _print_others([f for f in report.findings if f is not first])
    if first.kind != "derived":
        if any(f.table != "vault" for f in report.findings if f.kind == "damaged"):
            print(report.recovery)
        if report.vault is not None and report.vault.damaged:
            print(_vault_advice(home))
    return 1


def _print_others(findings) -> None:
    shown = 0
    for f in findings:
        if shown == SHOWN:
            print(f"  ... and {len(findings) - SHOWN} more")
            break
        print(f"  {f.kind}: {f}")
        shown += 1


def _repair(home: str, report: HomeReport) -> int:
    from faechain.ledger.storage import Store
    from faechain.node.config import paths
    from faechain.node.verify import repair_derived

    if report.ok:
        print("nothing to repair: the ledger and its derived data verify")
        return 0
    if not report.derived_only:
        print(f"FAILED: {report.first}")
        raise CliError("the ledger itself is damaged: derived data is rebuilt only from verified blocks. "
                       + report.recovery)
    try:
        store = Store(paths(home)["db"])
    except sqlite3.Error as exc:
        raise CliError(f"cannot open the ledger for writing: {exc} (is the node running?)") from None
    try:
        counts = repair_derived(store)
    except sqlite3.Error as exc:
        raise CliError(f"cannot rebuild the derived data: {exc} (is the node running?)") from None
    finally:
        store.close()
    print(f"rebuilt: {counts['history_records']} history records, {counts['history_refs']} references, "
          f"{counts['index_rows']} listing-index rows")
    again = verify_home(home)
    if not again.ok:
        print(f"FAILED after the rebuild: {again.first}")
        return 1
    print("ok: derived data rebuilt and verified")
    return 0
