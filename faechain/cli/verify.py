"""`fae verify`: re-check a node's ledger offline, from its database opened read-only."""

from __future__ import annotations

import argparse
import os
import sqlite3
import threading
import urllib.parse
from typing import Any

from faechain.cli.common import CliError, UsageError, print_json, resolve_home, to_jsonable


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify", help="re-check every block link, root and signature of a node's ledger (offline)",
        description="Open the node's database read-only and re-check the chain: every header links "
        "to its parent, the transaction and result roots match, the state root matches, every "
        "signature verifies. Prints `ok: N blocks verified`, or the first bad block and why "
        "(exit 1). Safe to run beside a running node.",
    )
    p.add_argument("--home", help="node home (default: $FAE_HOME or ~/.faechain/demo)")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.set_defaults(func=cmd_verify)


def open_readonly_store(path: str):
    """A `Store` over a read-only SQLite connection: verification can never write."""
    from faechain.ledger.storage import Store

    uri = f"file:{urllib.parse.quote(os.path.abspath(path))}?mode=ro"

    class ReadOnlyStore(Store):
        def __init__(self) -> None:  # noqa: D401 - deliberately skips the schema creation
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

        def commit(self, w) -> None:  # noqa: ARG002
            raise PermissionError("the ledger is open read-only")

        def put_meta(self, items) -> None:  # noqa: ARG002
            raise PermissionError("the ledger is open read-only")

    return ReadOnlyStore()


def _field(report: Any, *names: str) -> Any:
    for name in names:
        value = report.get(name) if isinstance(report, dict) else getattr(report, name, None)
        if value is not None:
            return value
    return None


def cmd_verify(args: argparse.Namespace) -> int:
    from faechain.node.config import paths
    from faechain.node.genesis import Genesis

    home = resolve_home(args.home)
    p = paths(home)
    if not os.path.exists(p["genesis"]):
        raise UsageError(f"{home} is not a node home (no genesis.json)")
    if not os.path.exists(p["db"]):
        raise UsageError(f"{home} has no ledger yet ({p['db']} does not exist)")
    try:
        from faechain.ledger.verify import verify_chain
    except ImportError as exc:
        raise CliError(f"chain verification is not available: {exc}") from None
    try:
        genesis = Genesis.load(p["genesis"])
    except (ValueError, TypeError) as exc:
        raise CliError(f"{p['genesis']} is not a genesis document: {exc}") from None
    try:
        store = open_readonly_store(p["db"])
    except sqlite3.Error as exc:
        raise CliError(f"cannot open {p['db']} read-only: {exc}") from None
    try:
        report = verify_chain(store, genesis)
    except sqlite3.Error as exc:
        raise CliError(f"cannot read {p['db']}: {exc}") from None
    finally:
        try:
            store.write.close()
        except Exception:  # noqa: BLE001
            pass
    ok = bool(_field(report, "ok"))
    if args.json:
        print_json(to_jsonable(report))
        return 0 if ok else 1
    if ok:
        n = _field(report, "blocks", "blocks_verified", "verified", "height")
        txs = _field(report, "txs")
        extra = f" ({txs} transactions)" if isinstance(txs, int) else ""
        print(f"ok: {n} blocks verified{extra}" if isinstance(n, int) else "ok: chain verified")
        return 0
    bad = _field(report, "bad_height", "first_bad_height", "height")
    reason = _field(report, "reason", "message", "error") or "unknown reason"
    print(f"FAILED: block {bad}: {reason}")
    return 1
