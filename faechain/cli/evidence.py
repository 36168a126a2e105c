"""`fae evidence`: evidence bundles for a court or a regulator (faechain.sdk.evidence).

    fae evidence export --kind voucher|plan|package|product --id ID [--height H] -o FILE
    fae evidence export --kind audit --range FROM:TO -o FILE
                        [--url URL] [--home H] [--as NAME] [--genesis FILE] [--checkpoint H:HASH] [--witness URL]
    fae evidence verify FILE [--genesis FILE] [--checkpoint H:HASH] [--trusting-period S] [--json]

`export` reads through the member's own light client — from `<home>/genesis.json` (or
--genesis, or a --checkpoint), through the node at --url, compared with any --witness, as
`fae state --prove` does — and writes one JSON file holding the records, their proofs and
the signed headers they rest on. `verify` needs no node and no network: it prints what the
file proves, at which height, resting on which signatures and assuming what, and exits 1
naming what failed. docs/evidence.md specifies the format.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from faechain.cli.common import (
    CliError,
    UsageError,
    load_genesis,
    load_identity,
    make_client,
    normalize_url,
    resolve_home,
    resolve_url,
    sdk_call,
)

KINDS = ("voucher", "plan", "package", "product", "audit")


def add_parser(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("evidence", help="evidence bundles: export a record with its proofs and signed headers; "
                       "verify one offline",
                       description="An evidence bundle is one JSON file that proves a voucher (its lineage and "
                       "invoices), a plan (its penetration), an NPA package (its life), a product (its register "
                       "and distributions) or an audit range (every transaction of some blocks) to someone who "
                       "runs no node. `export` makes one through your own light client; `verify` checks one "
                       "offline. The format: docs/evidence.md.")
    e_sub = e.add_subparsers(dest="evidence_command", metavar="COMMAND", required=True)

    x = e_sub.add_parser("export", help="write an evidence bundle (reads a node through your light client)",
                         description="Export an evidence bundle: the records of --kind/--id (or the blocks of "
                         "--range) read at --height (default: the newest header your light client can verify), "
                         "with their proofs and the signed headers from genesis (or --checkpoint) to them.")
    g = x.add_argument_group("node")
    g.add_argument("--url", help="node URL (default: from <home>/config.json)")
    g.add_argument("--home", help="node home holding config.json, genesis.json and the wallet "
                   "(default: $FAE_HOME or ~/.faechain/demo)")
    g.add_argument("--as", dest="as_name", metavar="NAME", help="wallet identity that signs the reads")
    t = x.add_argument_group("trust (what the exported headers are checked against)")
    t.add_argument("--genesis", metavar="FILE", help="your own copy of the chain's genesis.json, where the light "
                   "client starts (default: <home>/genesis.json)")
    t.add_argument("--checkpoint", metavar="HEIGHT:HASH", help="start from this CometBFT header instead of genesis")
    t.add_argument("--witness", action="append", default=[], metavar="URL",
                   help="another member's node to compare signed headers with (repeatable)")
    x.add_argument("--kind", required=True, choices=KINDS, help="what the bundle proves")
    x.add_argument("--id", help="the voucher, plan, package or product id")
    x.add_argument("--range", metavar="FROM:TO", help="for --kind audit: the heights whose blocks it holds")
    x.add_argument("--height", type=int, metavar="H", help="read at this height (default: the newest signed)")
    x.add_argument("-o", "--out", required=True, metavar="FILE", help="the bundle's file (JSON)")
    x.set_defaults(func=cmd_export)

    v = e_sub.add_parser("verify", help="check an evidence bundle offline (no node, no network)",
                         description="Verify an evidence bundle with no node and no network: prints what it "
                         "proves, at which height, resting on which signatures and assuming what. Exit 1 when "
                         "it does not verify, naming what failed.")
    v.add_argument("file", metavar="FILE")
    v.add_argument("--genesis", metavar="FILE", help="your own copy of the chain's genesis.json: the bundle's "
                   "genesis must be the same document (without it, compare the genesis hash printed)")
    v.add_argument("--checkpoint", metavar="HEIGHT:HASH", help="a CometBFT header you trust: the bundle must reach it")
    v.add_argument("--trusting-period", type=float, metavar="SECONDS", help="CometBFT trusting period "
                   "(default one week, as CometBFT's light client)")
    v.add_argument("--json", action="store_true", help="print the verdict and every proven record as JSON")
    v.set_defaults(func=cmd_verify)


def _checkpoint(text: str | None):
    if not text:
        return None
    from faechain.sdk.light.client import Checkpoint

    height, _, digest = text.partition(":")
    try:
        return Checkpoint(int(height), bytes.fromhex(digest))
    except ValueError:
        raise UsageError(f"--checkpoint must be HEIGHT:HASH (hex), not {text!r}") from None


def cmd_export(args: argparse.Namespace) -> int:
    from faechain.sdk import evidence
    from faechain.sdk.light.client import LightClient
    from faechain.sdk.trust import VerificationError

    subject: str | tuple[int, int]
    if args.kind == "audit":
        if not args.range or args.id:
            raise UsageError("--kind audit takes --range FROM:TO (and no --id)")
        try:
            subject = evidence.audit_range(args.range)
        except ValueError as exc:
            raise UsageError(f"--range: {exc}") from None
    else:
        if not args.id or args.range:
            raise UsageError(f"--kind {args.kind} takes --id (and no --range)")
        subject = args.id
    home = resolve_home(args.home)
    url = resolve_url(args)
    identity = load_identity(home, args.as_name) if args.as_name else None
    client = make_client(url, identity)
    genesis = load_genesis(args.genesis or os.path.join(home, "genesis.json"))
    witnesses = [make_client(normalize_url(w), identity) for w in args.witness]
    # the light client's trusted store, shared with `fae state --prove` (the bundle itself is still traced
    # from genesis or the checkpoint: its reader has only those)
    store = os.path.join(home, "light", f"{genesis.chain_id}.json") if os.path.isdir(home) else None
    try:
        client.trust = LightClient(genesis, client, witnesses=witnesses, checkpoint=_checkpoint(args.checkpoint),
                                   store_path=store)
    except VerificationError as exc:
        raise CliError(f"cannot verify this chain's headers: {exc.message}") from None
    bundle = sdk_call(url, evidence.export, client, args.kind, subject, height=args.height)
    text = json.dumps(bundle, separators=(",", ":")) + "\n"
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    report = evidence.verify(bundle)
    at = f"blocks {bundle['subject']['from']}..{bundle['subject']['to']}" if args.kind == "audit" else \
        f"height {bundle['height']}"
    what = args.range if args.kind == "audit" else args.id
    print(f"wrote {args.out}: {args.kind} {what} at {at}, {len(bundle['records'])} records, "
          f"{len(text.encode()) // 1024} KiB; `fae evidence verify {args.out}` checks it offline")
    for line in report.proven[:3]:
        print(f"  {line}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from faechain.sdk import evidence
    from faechain.sdk.light import cometbft as cb

    try:
        with open(args.file, encoding="utf-8") as f:
            bundle = json.load(f)
    except FileNotFoundError:
        raise UsageError(f"no such file: {args.file}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CliError(f"{args.file} is not a JSON evidence bundle: {exc}") from None
    genesis = load_genesis(args.genesis) if args.genesis else None
    period = args.trusting_period if args.trusting_period is not None else cb.DEFAULT_TRUSTING_PERIOD_S
    report = evidence.verify(bundle, genesis=genesis, checkpoint=_checkpoint(args.checkpoint),
                             trusting_period_s=period)
    if args.json:
        out = {"ok": report.ok, "code": report.code, "failure": report.failure, "kind": report.kind,
               "subject": report.subject, "chain_id": report.chain_id, "suite": report.suite,
               "engine": report.engine, "genesis_hash": report.genesis_hash, "anchor": report.anchor,
               "height": report.height, "time_ms": report.time_ms, "basis": list(report.basis),
               "proven": list(report.proven), "assumes": evidence.assumption(report.engine) if report.ok else None,
               "values": [{"height": h, "key": k, "value": v} for (h, k), v in sorted(report.values.items())]}
        print(json.dumps(out, indent=1, ensure_ascii=False))
    else:
        print("\n".join(report.lines()))
    if not report.ok:
        print(f"fae: error: the evidence does not verify: {report.code}: {report.failure}", file=sys.stderr)
        return 1
    return 0
