"""`fae audit`: regulator views from the shell.

    fae audit history --as regulator REF [--limit N] [--after CURSOR] [--all]
    fae audit export  --as regulator (--ref ID | --org USCC) [--from-height H] [--to-height H]
                      [--format csv|zip|xlsx] -o FILE
    fae audit verify  --home H FILE.xlsx|FILE.zip|FILE.csv [--meta FILE.meta.csv]
                                                         (offline, against the node's own blocks)
    fae audit reindex --home H [--check]                 (rebuild or check the history index)

`history` and `export` ask a running node through its API (signed by --as: the regulator
or the exchange). `export -o trail.csv` writes the rows to trail.csv (what a spreadsheet
and `pandas.read_csv` open as is) and their manifest beside it, trail.meta.csv (chain,
range, last block, who exported them and when, row count, the data file's SHA-256);
`-o trail.zip` keeps both in one ZIP, `-o trail.xlsx` one workbook. `verify` opens the node's
database read-only, like `fae verify`, and checks every row of an export against the stored
blocks; it prints
"N rows verified against blocks a..b" or the first row that does not match (exit 1).
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import sys
import zipfile

from faechain.cli.common import (
    CliError,
    UsageError,
    load_identity,
    make_client,
    print_json,
    resolve_home,
    resolve_url,
    sdk_call,
    to_jsonable,
)


def _node_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    g = parent.add_argument_group("node")
    g.add_argument("--url", help="node URL (default: from <home>/config.json)")
    g.add_argument("--home", help="node home holding config.json and the wallet "
                   "(default: $FAE_HOME or ~/.faechain/demo)")
    g.add_argument("--as", dest="as_name", metavar="NAME",
                   help="wallet identity that signs the read: the regulator or the exchange (needed "
                   "unless the node allows anonymous reads, as the demo does)")
    return parent


def add_parser(sub: argparse._SubParsersAction) -> None:
    node = _node_options()
    a = sub.add_parser("audit", help="regulator views: history of an organisation or asset, audit-trail "
                       "export and its verification",
                       description="Regulator views. `history` lists every transaction and end-block event "
                       "naming a reference (an organisation's USCC id, a voucher, plan, package or auction "
                       "id, ...); `export` writes the audit trail as CSV or XLSX; `verify` checks an export "
                       "row by row against a node's blocks; `reindex` rebuilds the history index.")
    a_sub = a.add_subparsers(dest="audit_command", metavar="COMMAND", required=True)

    h = a_sub.add_parser("history", parents=[node], help="the history of a reference (JSON)",
                         description="Print the records naming REF, oldest first, as JSON: one page "
                         "(with its `next` cursor), or every page with --all.")
    h.add_argument("ref", metavar="REF", help="an organisation (USCC id), asset id, certificate id, ...")
    h.add_argument("--limit", type=int, metavar="N", help="page size (at most 1000)")
    h.add_argument("--after", metavar="CURSOR", help="the previous page's `next`")
    h.add_argument("--all", action="store_true", help="follow every page; print the records as one list")
    h.set_defaults(func=cmd_history)

    e = a_sub.add_parser("export", parents=[node], help="write the audit trail as CSV or XLSX",
                         description="Fetch the audit trail of --ref (records naming it) or --org "
                         "(transactions it signed) from the node and write it to --out. The format "
                         "follows --format, else the file's extension (.xlsx, .zip), else CSV: the rows "
                         "in FILE and their manifest in FILE's name with .meta.csv (with -o -, the rows "
                         "alone to standard output).")
    which = e.add_mutually_exclusive_group()
    which.add_argument("--ref", metavar="ID", help="records naming this reference")
    which.add_argument("--org", metavar="USCC", help="transactions signed by this organisation")
    e.add_argument("--from-height", type=int, metavar="H", help="first height (default 0)")
    e.add_argument("--to-height", type=int, metavar="H", help="last height (default: the head)")
    e.add_argument("--format", choices=("csv", "zip", "xlsx"), help="file format")
    e.add_argument("-o", "--out", required=True, metavar="FILE", help="where to write it ('-': stdout)")
    e.set_defaults(func=cmd_export)

    v = a_sub.add_parser("verify", help="check an export against the node's blocks (offline)",
                         description="Open the node's database read-only and check every row of FILE "
                         "(XLSX, ZIP, or CSV with its manifest) against the stored blocks: block hash and "
                         "time, the transaction's hash, place, signer, organisation and its name, "
                         "arguments, amount, code, message and events, the export's last block and app "
                         "hash, its row count, and that no record of its filter is missing. Exit 1 at the "
                         "first mismatch.")
    v.add_argument("--home", help="node home (default: $FAE_HOME or ~/.faechain/demo)")
    v.add_argument("--meta", metavar="FILE", help="a CSV's manifest (default: FILE's name with .meta.csv)")
    v.add_argument("--json", action="store_true", help="print the report as JSON")
    v.add_argument("file", metavar="FILE")
    v.set_defaults(func=cmd_verify)

    r = a_sub.add_parser("reindex", help="rebuild (or --check) the history index from the blocks",
                         description="Re-derive the history index from the node's stored blocks, receipts "
                         "and events in one transaction (stop the node first). With --check, only compare "
                         "the stored index with a fresh derivation (read-only; exit 1 if they differ).")
    r.add_argument("--home", help="node home (default: $FAE_HOME or ~/.faechain/demo)")
    r.add_argument("--check", action="store_true", help="compare only; change nothing")
    r.set_defaults(func=cmd_reindex)


def _client(args: argparse.Namespace):
    url = resolve_url(args)
    identity = None
    if args.as_name:
        identity = load_identity(resolve_home(args.home), args.as_name)
    return make_client(url, identity), url


def cmd_history(args: argparse.Namespace) -> int:
    if args.limit is not None and not 1 <= args.limit <= 1000:
        raise UsageError("--limit lies between 1 and 1000")
    client, url = _client(args)
    if args.all:
        items = sdk_call(url, lambda: list(client.history_all(args.ref, page=args.limit or 500)))
        print_json(items)
    else:
        print_json(sdk_call(url, client.history, args.ref, limit=args.limit, after=args.after))
    return 0


def meta_path(path: str) -> str:
    """Where a data CSV's manifest lies: trail.csv -> trail.meta.csv."""
    stem = path[:-4] if path.lower().endswith(".csv") else path
    return stem + ".meta.csv"


def _format_of(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    lower = args.out.lower()
    return "xlsx" if lower.endswith(".xlsx") else "zip" if lower.endswith(".zip") else "csv"


def _unzip(data: bytes) -> tuple[bytes, bytes]:
    """(data CSV, manifest) of a ZIP export."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        meta = [n for n in names if n.endswith(".meta.csv")]
        rows = [n for n in names if n.endswith(".csv") and n not in meta]
        if len(meta) != 1 or len(rows) != 1:
            raise CliError("the node sent a ZIP without one data CSV and one manifest")
        return z.read(rows[0]), z.read(meta[0])


def cmd_export(args: argparse.Namespace) -> int:
    fmt = _format_of(args)
    for name in ("from_height", "to_height"):
        if getattr(args, name) is not None and getattr(args, name) < 0:
            raise UsageError(f"--{name.replace('_', '-')} must not be negative")
    client, url = _client(args)
    # a CSV to a file comes as a ZIP, so that the rows and their manifest describe the same export
    ask = "zip" if fmt == "csv" and args.out != "-" else fmt
    data = sdk_call(url, client.audit_export, ref=args.ref, org=args.org, format=ask,
                    from_height=args.from_height, to_height=args.to_height)
    if args.out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    files = [(args.out, data)]
    if ask != fmt:
        rows, meta = _unzip(data)
        files = [(args.out, rows), (meta_path(args.out), meta)]
    for path, content in files:
        with open(path, "wb") as f:
            f.write(content)
        print(f"wrote {path} ({len(content)} bytes)", file=sys.stderr)
    return 0


def _open_store(home: str):
    from faechain.core.genesis import Genesis
    from faechain.node.config import paths

    p = paths(home)
    if not os.path.exists(p["genesis"]):
        raise UsageError(f"{home} is not a node home (no genesis.json)")
    if not os.path.exists(p["db"]):
        raise UsageError(f"{home} has no ledger yet ({p['db']} does not exist)")
    try:
        genesis = Genesis.load(p["genesis"])
    except (ValueError, TypeError) as exc:
        raise CliError(f"{p['genesis']} is not a genesis document: {exc}") from None
    return p, genesis


def _close(store) -> None:
    if store is None:
        return
    try:
        store.close()
    except sqlite3.Error:  # already closed, or the file went away: nothing left to release
        pass


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def cmd_verify(args: argparse.Namespace) -> int:
    from faechain.cli.verify import open_readonly_store
    from faechain.ledger.audit import verify_export

    home = resolve_home(args.home)
    p, genesis = _open_store(home)
    data = _read_file(args.file)
    manifest = None
    if not data.startswith(b"PK") and not data.lstrip(b"\xef\xbb\xbf").startswith(b"#meta"):  # a data CSV
        path = args.meta or meta_path(args.file)
        if args.meta is None and not os.path.exists(path):
            raise UsageError(f"{args.file} is a CSV export without its manifest: {path} is missing "
                             "(give it with --meta, or verify the ZIP or XLSX export)")
        manifest = _read_file(path)
    try:
        store = open_readonly_store(p["db"])
    except sqlite3.Error as exc:
        raise CliError(f"cannot open {p['db']} read-only: {exc}") from None
    try:
        conn = store.read
        conn.execute("BEGIN")  # one consistent snapshot, also beside a running node
        try:
            report = verify_export(store, data, genesis, manifest=manifest)
        finally:
            conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        raise CliError(f"cannot read {p['db']}: {exc}") from None
    finally:
        _close(store)
    if args.json:
        print_json(to_jsonable(report))
    elif report.ok:
        print(str(report))
        for note in report.notes:
            print(f"note: {note}")
    else:
        print(f"FAILED: {report}")
    return 0 if report.ok else 1


def cmd_reindex(args: argparse.Namespace) -> int:
    from faechain.cli.verify import open_readonly_store
    from faechain.ledger.storage import Store

    home = resolve_home(args.home)
    p, _ = _open_store(home)
    if args.check:
        try:
            store = open_readonly_store(p["db"])
            conn = store.read
            conn.execute("BEGIN")
            try:
                problems = store.check_history()
            finally:
                conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise CliError(f"cannot check the history index of {p['db']}: {exc}") from None
        finally:
            _close(locals().get("store"))
        if problems:
            for line in problems:
                print(f"FAILED: {line}")
            print("run `fae audit reindex` (with the node stopped) to rebuild it")
            return 1
        print("ok: the history index matches the blocks")
        return 0
    store = Store(p["db"])  # opening indexes a database that has no history index yet
    try:
        records, refs = store.rebuild_history()
    except sqlite3.Error as exc:
        raise CliError(f"cannot rebuild the history index of {p['db']}: {exc} (is the node running?)") from None
    finally:
        _close(store)
    print(f"ok: history index rebuilt: {records} records, {refs} references")
    return 0
