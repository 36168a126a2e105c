"""`fae genesis hash`: the hash of a genesis document, to compare with what a verifier trusts.

A member's checks start from genesis (its block signer key, its first validators). The web
console takes genesis from the node on its first visit and pins it in the browser, showing
the SHA-256 of the canonical genesis bytes; the member closes that first-use gap by comparing
it with what this command prints from the genesis file the member holds (or the consortium
published). The chain's own genesis hash is the chain suite's hash of the same bytes (block
0 names it as its parent): on an ed25519 chain the two are the same; on an SM chain both
are printed, since a browser cannot compute SM3.
"""

from __future__ import annotations

import argparse
import hashlib
import os


def add_parser(genesis_sub: argparse._SubParsersAction) -> None:
    p = genesis_sub.add_parser(
        "hash", help="print the hash of a genesis document (compare it with the console's pinned genesis)",
        description="Print the hash of the canonical genesis document: the chain's genesis hash (block 0's "
        "parent) and the SHA-256 the web console pins in the browser and shows.")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--genesis", metavar="FILE", help="a genesis.json")
    where.add_argument("--home", help="a node home (its genesis.json)")
    p.set_defaults(func=cmd_genesis_hash)


def genesis_hashes(genesis) -> tuple[bytes, bytes]:
    """(the chain suite's hash, SHA-256) of the canonical encoding of `genesis`."""
    from faechain.core.encoding import encode
    from faechain.crypto.suite import get_suite

    raw = encode(genesis.canonical())
    return get_suite(genesis.suite).hash(raw), hashlib.sha256(raw).digest()


def cmd_genesis_hash(args: argparse.Namespace) -> int:
    from faechain.cli.common import UsageError, load_genesis
    from faechain.crypto.suite import SuiteError

    path = args.genesis if args.genesis else os.path.join(os.path.expanduser(args.home), "genesis.json")
    genesis = load_genesis(path)
    try:
        chain_hash, sha = genesis_hashes(genesis)
    except (SuiteError, ValueError, TypeError) as exc:
        raise UsageError(f"{path}: cannot hash this genesis: {exc}") from None
    print(f"chain {genesis.chain_id} ({genesis.suite})")
    if chain_hash == sha:
        print(f"genesis hash  {sha.hex()}  (SHA-256; block 0's parent; the console shows it as pinned)")
    else:
        print(f"genesis hash  {chain_hash.hex()}  ({genesis.suite} hash; block 0's parent)")
        print(f"SHA-256       {sha.hex()}  (the console shows this one as pinned)")
    return 0
