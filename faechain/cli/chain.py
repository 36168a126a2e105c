"""Commands that talk to a running node through the SDK: tx, query, block, tx-info, state,
doc (the document vault), dev."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from faechain.cli.common import (
    CliError,
    UsageError,
    load_genesis,
    load_identity,
    make_client,
    normalize_url,
    parse_pairs,
    print_json,
    receipt_dict,
    receipt_ok,
    refused_line,
    resolve_home,
    resolve_url,
    sdk_call,
)

ARGS_HELP = ("contract arguments as key=value; values are JSON when they parse (amount=100, "
             "flag=true, attributes='{\"qualified\":true}'), hex:... for bytes, otherwise text")


def _node_options(reader: bool = False) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    g = parent.add_argument_group("node")
    g.add_argument("--url", help="node URL (default: from <home>/config.json)")
    g.add_argument("--home", help="node home holding config.json and the wallet "
                   "(default: $FAE_HOME or ~/.faechain/demo)")
    if reader:
        g.add_argument("--as", dest="as_name", metavar="NAME",
                       help="wallet identity that signs the read (needed unless the node allows "
                       "anonymous reads, as the demo does)")
        t = parent.add_argument_group("trust (for --prove: what the answer is checked against)")
        t.add_argument("--genesis", metavar="FILE",
                       help="your own copy of the chain's genesis.json, where the light client starts "
                       "(default: <home>/genesis.json)")
        t.add_argument("--checkpoint", metavar="HEIGHT:HASH",
                       help="start from this CometBFT header (height and hash, obtained out of band) "
                       "instead of genesis")
        t.add_argument("--witness", action="append", default=[], metavar="URL",
                       help="another member's node to compare signed headers with (repeatable)")
    return parent


def add_parsers(sub: argparse._SubParsersAction) -> None:
    node = _node_options()
    reader = _node_options(reader=True)

    t = sub.add_parser("tx", parents=[node], help="sign a transaction with a wallet identity and submit it",
                       description="Sign CONTRACT.METHOD(args) with the wallet identity --as and submit it; "
                       "prints the receipt as JSON. Exits 1 when the transaction is rejected.")
    t.add_argument("--as", dest="as_name", required=True, metavar="NAME", help="wallet identity that signs")
    t.add_argument("contract", metavar="CONTRACT")
    t.add_argument("method", metavar="METHOD")
    t.add_argument("args", nargs="*", metavar="KEY=VALUE", help=ARGS_HELP)
    t.add_argument("--no-wait", action="store_true", help="return once the node accepts it, before its block")
    t.add_argument("--dry-run", action="store_true",
                   help="do not submit: print the receipt the next block would give it (nothing is committed; "
                   "exits 1 if it would be refused)")
    t.set_defaults(func=cmd_tx)

    q = sub.add_parser("query", parents=[reader], help="run a contract query",
                       description="Run the query CONTRACT.METHOD(args) and print its result as JSON.")
    q.add_argument("contract", metavar="CONTRACT")
    q.add_argument("method", metavar="METHOD")
    q.add_argument("args", nargs="*", metavar="KEY=VALUE", help=ARGS_HELP)
    q.add_argument("--height", type=int, metavar="H", help="read the state as of this height")
    q.add_argument("--prove", action="store_true",
                   help="verify the answer here: every value shown must be proven against a header "
                   "the light client verified by signatures; prints the verified record")
    q.set_defaults(func=cmd_query)

    b = sub.add_parser("block", parents=[reader], help="show a block (header, transactions, receipts)",
                       description="Show the block at HEIGHT (default: latest).")
    b.add_argument("height", nargs="?", default="latest", metavar="HEIGHT|latest")
    b.set_defaults(func=cmd_block)

    ti = sub.add_parser("tx-info", parents=[reader], help="show a transaction and its receipt by hash",
                        description="Show a committed transaction and its receipt.")
    ti.add_argument("hash", metavar="HASH", help="transaction hash (hex)")
    ti.set_defaults(func=cmd_tx_info)

    sh = sub.add_parser("show", help="show a block or a transaction",
                        description="Show ledger objects: `fae show tx HASH`, `fae show block [HEIGHT]`.")
    sh_sub = sh.add_subparsers(dest="show_command", metavar="WHAT", required=True)
    st = sh_sub.add_parser("tx", parents=[reader], help="a transaction and its receipt")
    st.add_argument("hash", metavar="HASH", help="transaction hash (hex)")
    st.set_defaults(func=cmd_tx_info)
    sb = sh_sub.add_parser("block", parents=[reader], help="a block")
    sb.add_argument("height", nargs="?", default="latest", metavar="HEIGHT|latest")
    sb.set_defaults(func=cmd_block)

    s = sub.add_parser("state", parents=[reader], help="read a raw state value, optionally with its proof",
                       description="Read the authenticated state value under KEY (e.g. "
                       "membership/org/<USCC>). With --prove, also fetch its Merkle proof and verify it "
                       "locally against the block's app hash.")
    s.add_argument("key", metavar="KEY", help="state key (text, or hex:... for raw bytes)")
    s.add_argument("--prove", action="store_true", help="fetch and verify the proof")
    s.add_argument("--height", type=int, metavar="H", help="as of this height (default: latest)")
    s.set_defaults(func=cmd_state)

    doc = sub.add_parser("doc", help="store and fetch documents in the node's vault",
                         description="Documents' bytes live off chain in the node's vault, named by their "
                         "hash; the contract named by --scope records the hashes and decides who may store "
                         "and fetch them.")
    doc_sub = doc.add_subparsers(dest="doc_command", metavar="COMMAND", required=True)
    dp = doc_sub.add_parser("put", parents=[node], help="store a file; prints its hash",
                            description="Store FILE in the node's vault for SUBJECT of contract SCOPE, "
                            "signed by --as; prints the document's hash (the chain's hash of the bytes).")
    dp.add_argument("--as", dest="as_name", required=True, metavar="NAME", help="wallet identity that signs")
    dp.add_argument("--scope", required=True, metavar="CONTRACT", help="the contract the document belongs to")
    dp.add_argument("--subject", required=True, metavar="ID", help="its business object (e.g. a plan id)")
    dp.add_argument("file", metavar="FILE")
    dp.set_defaults(func=cmd_doc_put)
    dg = doc_sub.add_parser("get", parents=[reader], help="fetch a document by its hash",
                            description="Fetch document HASH of contract SCOPE from the node's vault and "
                            "check its bytes against the hash; writes them to --out (default: stdout). "
                            "Nothing is written when the bytes do not match.")
    dg.add_argument("--scope", required=True, metavar="CONTRACT", help="the contract the document belongs to")
    dg.add_argument("hash", metavar="HASH", help="the document's hash (hex)")
    dg.add_argument("-o", "--out", metavar="FILE", help="write the bytes here (default: stdout)")
    dg.set_defaults(func=cmd_doc_get)

    d = sub.add_parser("dev", help="dev-chain tools", description="Tools for dev chains only.")
    d_sub = d.add_subparsers(dest="dev_command", metavar="COMMAND", required=True)
    a = d_sub.add_parser("advance-time", parents=[reader], help="move a dev chain's block time forward",
                         description="Advance the block clock of a dev chain by SECONDS (like "
                         "evm_increaseTime); other chains refuse.")
    a.add_argument("seconds", type=int, metavar="SECONDS")
    a.set_defaults(func=cmd_advance_time)


# -- helpers -------------------------------------------------------------------------------------
def _client(args: argparse.Namespace):
    """(client, url, identity): requests are signed by --as when it is given."""
    url = resolve_url(args)
    identity = None
    if getattr(args, "as_name", None):
        identity = load_identity(resolve_home(args.home), args.as_name)
    return make_client(url, identity), url, identity


def _trust(args: argparse.Namespace, client, identity):
    """The light client a --prove check rests on: from the member's own genesis (or a
    checkpoint), through the node asked, compared with any --witness nodes."""
    from faechain.sdk.light.client import Checkpoint, LightClient
    from faechain.sdk.trust import VerificationError

    path = args.genesis or os.path.join(resolve_home(args.home), "genesis.json")
    if not os.path.exists(path):
        raise UsageError(f"--prove needs your own copy of the chain's genesis: {path} does not exist "
                         "(pass --genesis FILE)")
    genesis = load_genesis(path)
    checkpoint = None
    if args.checkpoint:
        height, _, digest = args.checkpoint.partition(":")
        try:
            checkpoint = Checkpoint(int(height), bytes.fromhex(digest))
        except ValueError:
            raise UsageError(f"--checkpoint must be HEIGHT:HASH (hex), not {args.checkpoint!r}") from None
    witnesses = [make_client(normalize_url(w), identity) for w in args.witness]
    # the newest verified header is kept in the home between runs, as `cometbft light` keeps its
    # trusted store: a chain older than the trusting period stays checkable from genesis
    home = resolve_home(args.home)
    store = os.path.join(home, "light", f"{genesis.chain_id}.json") if os.path.isdir(home) else None
    try:
        return LightClient(genesis, client, witnesses=witnesses, checkpoint=checkpoint, store_path=store)
    except VerificationError as exc:
        raise CliError(f"cannot verify this chain's headers: {exc.message}") from None


def _hash_arg(text: str, what: str) -> str:
    """A 32-byte hash given in hex (optionally 0x-prefixed), as lowercase hex."""
    raw = text[2:] if text.startswith(("0x", "0X")) else text
    try:
        if len(bytes.fromhex(raw)) != 32:
            raise ValueError
    except ValueError:
        raise UsageError(f"{text!r} is not a {what} hash (64 hex digits)") from None
    return raw.lower()


def _reserved(args: dict) -> None:
    bad = [k for k in args if k.startswith("_")]
    if bad:
        raise UsageError(f"argument names never start with an underscore: {bad[0]!r}")


# -- commands ------------------------------------------------------------------------------------
def cmd_tx(args: argparse.Namespace) -> int:
    call_args = parse_pairs(args.args)
    client, url, identity = _client(args)
    if args.dry_run:
        receipt = sdk_call(url, client.dry_run_args, identity, args.contract, args.method, call_args)
    else:
        receipt = sdk_call(url, client.submit_args, identity, args.contract, args.method, call_args,
                           wait=not args.no_wait)
    data = receipt_dict(receipt)
    if args.dry_run:
        data["dry_run"] = True
    print_json(data)
    if args.no_wait and data.get("code") == "pending":
        return 0  # accepted into the mempool; `fae tx-info HASH` shows it once committed
    if not receipt_ok(receipt):
        what = "dry_run" if args.dry_run else "transaction"
        print(refused_line(what, str(data.get("code", "rejected")), str(data.get("message") or "")), file=_stderr())
        return 1
    return 0


def _stderr():
    import sys

    return sys.stderr


def _verified(url: str, fn, *args, **kwargs):
    """An SDK check: a refusal (VerificationError) fails the command with its code and
    what failed, like any SDK error (exit 1)."""
    return sdk_call(url, fn, *args, **kwargs)


def cmd_query(args: argparse.Namespace) -> int:
    call_args = parse_pairs(args.args)
    _reserved(call_args)
    client, url, identity = _client(args)
    extra: dict[str, Any] = {}
    if args.height is not None:
        extra["_height"] = args.height
    if not args.prove:
        result = sdk_call(url, client.query, args.contract, args.method, **extra, **call_args)
        print_json(result)
        return 0
    client.trust = _trust(args, client, identity)
    verified = _verified(url, client.verified, args.contract, args.method, **extra, **call_args)
    print_json(verified)
    return 0


def cmd_block(args: argparse.Namespace) -> int:
    height = None
    if args.height != "latest":
        try:
            height = int(args.height)
        except ValueError:
            raise UsageError(f"block height must be a number or 'latest', not {args.height!r}") from None
        if height < 0:
            raise UsageError("block height must not be negative")
    client, url, _ = _client(args)
    print_json(sdk_call(url, client.block, "latest" if height is None else height))
    return 0


def cmd_tx_info(args: argparse.Namespace) -> int:
    tx_hash = _hash_arg(args.hash, "transaction")
    client, url, _ = _client(args)
    print_json(sdk_call(url, client.tx, tx_hash))
    return 0


def cmd_state(args: argparse.Namespace) -> int:
    if args.key.startswith("hex:"):
        try:
            key: str | bytes = bytes.fromhex(args.key[4:])
        except ValueError:
            raise UsageError(f"{args.key!r} is not valid hex") from None
    else:
        key = args.key
    if not key:
        raise UsageError("the state key must not be empty")
    client, url, identity = _client(args)
    if not args.prove:
        print_json(sdk_call(url, client.state, key, args.height))
        return 0
    # The SDK checks the proof locally (faechain.ledger.smt.verify_proof) against the app
    # hash of block `height` as the light client established it by signatures ("trust").
    client.trust = _trust(args, client, identity)
    proven = _verified(url, client.prove, key, args.height)
    raw_key = proven["key"]
    out = {
        "key": raw_key.decode("utf-8", "replace"),
        "key_hex": raw_key.hex(),
        "height": proven["height"],
        "found": proven["value"] is not None,
        "value": proven["value"],
        "decoded": proven.get("decoded"),
        "app_hash": proven["app_hash"],
        "header_app_hash": proven["header_app_hash"],
        "proof": proven["proof"],
        "verified": bool(proven["verified"]),
        "trust": proven["basis"],
    }
    print_json(out)  # a proof that does not verify never gets here: the SDK raises not_proven
    return 0


def cmd_doc_put(args: argparse.Namespace) -> int:
    try:
        with open(args.file, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    client, url, identity = _client(args)
    result = sdk_call(url, client.upload_document, identity, args.scope, args.subject, data)
    print(result["hash"])
    return 0


def cmd_doc_get(args: argparse.Namespace) -> int:
    doc_hash = _hash_arg(args.hash, "document")
    client, url, identity = _client(args)
    # the SDK re-hashes the bytes: nothing is written unless they are the document's
    data = sdk_call(url, client.download_document, identity, args.scope, doc_hash)
    if args.out:
        with open(args.out, "wb") as f:
            f.write(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def cmd_advance_time(args: argparse.Namespace) -> int:
    if args.seconds <= 0:
        raise UsageError("SECONDS must be positive")
    client, url, _ = _client(args)
    print_json(sdk_call(url, client.advance_time, args.seconds))
    return 0
