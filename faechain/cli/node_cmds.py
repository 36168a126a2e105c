"""`fae node init|start` and `fae genesis create`: configure and run a node of a real chain."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from typing import Any

from faechain.cli.common import CliError, UsageError, load_genesis


def add_parsers(sub: argparse._SubParsersAction) -> None:
    from faechain.node.config import DEFAULT_PORT

    p = sub.add_parser("node", help="configure and run a node",
                       description="Configure a node home (config.json + genesis.json) and run it.")
    node_sub = p.add_subparsers(dest="node_command", metavar="COMMAND", required=True)
    i = node_sub.add_parser("init", help="write a node's config.json and copy the genesis into its home",
                            description="Create a node home: writes <home>/config.json and copies the "
                            "genesis document to <home>/genesis.json.")
    i.add_argument("--home", required=True, help="the node's home directory")
    i.add_argument("--genesis", required=True, metavar="FILE", help="the chain's genesis.json")
    i.add_argument("--host", default="127.0.0.1", help="address the API listens on (default: 127.0.0.1)")
    i.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"API port (default: {DEFAULT_PORT})")
    i.add_argument("--anonymous-reads", action="store_true",
                   help="allow unsigned reads (only a dev chain on loopback)")
    i.add_argument("--block-signer-key", metavar="FILE",
                   help="the block signer key `fae genesis create --block-signer-key` made, when the genesis "
                   "declares one: copied into the home (mode 0600) for the solo node to sign headers with")
    i.add_argument("--member", metavar="ORG",
                   help="a member node of organisation ORG: it runs no consensus, follows the validators given "
                   "with --validator and holds only what ORG may read (docs/member-nodes.md)")
    i.add_argument("--identity", metavar="NAME",
                   help="with --member: the wallet identity (<home>/wallet/NAME, one of ORG's) it signs its "
                   "reads of the validators as")
    i.add_argument("--validator", action="append", default=[], metavar="URL",
                   help="with --member: a validator's API base URL to follow, repeatable (tried in order)")
    i.add_argument("--checkpoint", metavar="HEIGHT[:HASH]",
                   help="with --member: start from block HEIGHT's state instead of replaying from genesis; HASH "
                   "is CometBFT header HEIGHT's hash (hex) on a CometBFT network, from a source you trust")
    i.add_argument("--force", action="store_true", help="overwrite an existing configuration")
    i.set_defaults(func=cmd_init)

    s = node_sub.add_parser("start", help="run a configured node until interrupted",
                            description="Run the node in --home (solo engine, REST API, console) until "
                            "SIGINT or SIGTERM.")
    s.add_argument("--home", required=True, help="the node's home directory")
    s.add_argument("--log-level", default=os.environ.get("FAE_LOG_LEVEL"), metavar="LEVEL",
                   help="log the node's engine, ABCI and node messages at LEVEL (DEBUG, INFO, ...) "
                   "on standard error; default $FAE_LOG_LEVEL, else only warnings")
    s.set_defaults(func=cmd_start)
    from faechain.cli.console import add_parser as add_console_passphrase

    add_console_passphrase(node_sub)

    g = sub.add_parser("genesis", help="assemble a genesis document",
                       description="Genesis tooling.")
    g_sub = g.add_subparsers(dest="genesis_command", metavar="COMMAND", required=True)
    c = g_sub.add_parser("create", help="assemble a genesis from organisation CA directories",
                         description="Assemble a genesis document naming each organisation whose CA "
                         "directory (ca.pem + org.json) is given with --org.")
    c.add_argument("--chain-id", required=True, help="the chain's id")
    c.add_argument("--out", required=True, metavar="FILE", help="where to write genesis.json")
    c.add_argument("--org", action="append", default=[], metavar="CA_DIR",
                   help="an organisation's CA directory, repeatable")
    c.add_argument("--dev", action="store_true", help="a dev chain (its clock can be advanced for tests)")
    c.add_argument("--genesis-time", type=int, metavar="MS",
                   help="chain start, unix milliseconds (default: now)")
    c.add_argument("--block-signer-key", metavar="FILE",
                   help="declare a block signer for a solo chain: its node signs every header with this key "
                   "so that members check headers by signature. FILE is created (mode 0600, the chain's "
                   "suite) unless it exists; give it to `fae node init --block-signer-key`")
    c.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    c.set_defaults(func=cmd_genesis_create)
    from faechain.cli.genesis_hash import add_parser as add_genesis_hash

    add_genesis_hash(g_sub)


def cmd_init(args: argparse.Namespace) -> int:
    from faechain.api.auth import is_loopback
    from faechain.node.config import NodeConfig, paths

    home = os.path.abspath(os.path.expanduser(args.home))
    p = paths(home)
    genesis = load_genesis(args.genesis)
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a TCP port")
    if args.anonymous_reads and not (genesis.dev and is_loopback(args.host)):
        raise UsageError("--anonymous-reads is allowed only on a dev chain listening on loopback")
    if os.path.exists(p["config"]) and not args.force:
        raise CliError(f"{p['config']} already exists (use --force to overwrite)")
    if os.path.exists(p["genesis"]) and not args.force:
        existing = load_genesis(p["genesis"])
        if existing.canonical() != genesis.canonical():
            raise CliError(f"{p['genesis']} holds a different genesis (use --force to replace it)")
    if os.path.exists(p["db"]) and os.path.exists(p["genesis"]):
        existing = load_genesis(p["genesis"])
        if existing.canonical() != genesis.canonical():
            raise CliError(f"{home} already holds a ledger of another genesis; use a fresh home")
    from faechain.node.block_signer import BlockSignerError, declared_key, install_block_signer

    try:
        signs = declared_key(genesis) is not None
    except BlockSignerError as exc:
        raise UsageError(f"{args.genesis}: {exc}") from None
    if args.member:
        if not args.identity or not args.validator:
            raise UsageError("--member needs --identity NAME (its wallet identity) and at least one --validator URL")
        if args.block_signer_key:
            raise UsageError("a member node signs no headers: --block-signer-key is for a solo chain's node")
        signs = False
    elif args.identity or args.validator or args.checkpoint:
        raise UsageError("--identity, --validator and --checkpoint are for a member node: give --member ORG too")
    if args.block_signer_key and not signs:
        raise UsageError("--block-signer-key given, but the genesis declares no block signer")
    if signs and not args.block_signer_key and not os.path.exists(p["block_signer"]):
        raise UsageError("the genesis declares a block signer: give its key with --block-signer-key FILE "
                         "(the file `fae genesis create --block-signer-key` made)")
    os.makedirs(home, exist_ok=True)
    if args.block_signer_key:
        try:
            install_block_signer(home, genesis, args.block_signer_key)
        except BlockSignerError as exc:
            raise CliError(str(exc)) from None
    if os.path.abspath(args.genesis) != p["genesis"]:
        shutil.copyfile(args.genesis, p["genesis"])
    if args.member:
        try:
            config = NodeConfig(host=args.host, port=args.port, anonymous_reads=args.anonymous_reads, engine="member",
                                member={"org": args.member, "identity": args.identity, "validators": args.validator,
                                        **({"checkpoint": _checkpoint(args.checkpoint)} if args.checkpoint else {})})
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if not os.path.isdir(os.path.join(p["wallet"], args.identity)):
            print(f"  note: put {args.member}'s identity {args.identity} in {os.path.join(p['wallet'], args.identity)} "
                  "before starting the node")
    else:
        config = NodeConfig(host=args.host, port=args.port, anonymous_reads=args.anonymous_reads)
    config.save(home)
    print(f"initialised node home {home} for chain {genesis.chain_id}")
    print(f"  config:  {p['config']} (listens on {args.host}:{args.port})")
    print(f"  genesis: {p['genesis']}")
    if signs:
        print(f"  block signer key: {p['block_signer']} (the solo node signs every header with it)")
    print(f"start it with: fae node start --home {home}")
    return 0


def _checkpoint(text: str) -> dict[str, Any]:
    """`HEIGHT[:HASH]` as a member node's checkpoint."""
    height, _, block_hash = text.partition(":")
    try:
        h = int(height)
        bytes.fromhex(block_hash)
    except ValueError:
        raise UsageError(f"--checkpoint {text!r} is not HEIGHT[:HASH] (a block height, and a header hash in hex)") \
            from None
    if h < 0:
        raise UsageError(f"--checkpoint {text!r}: the height is not a block height")
    return {"height": h, **({"hash": block_hash.lower()} if block_hash else {})}


def run_node(node, on_ready=None) -> None:
    """Serve `node` until SIGINT/SIGTERM; call `on_ready()` once it listens."""
    import asyncio

    async def main() -> None:
        ready = asyncio.Event()
        serving = asyncio.create_task(node.serve(ready))
        waiting = asyncio.create_task(ready.wait())
        await asyncio.wait({serving, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if serving.done():
            waiting.cancel()
            serving.result()  # raises why it could not start
            return
        if on_ready is not None:
            on_ready()
        await serving

    try:
        asyncio.run(main())
    except OSError as exc:
        import errno

        host, port = node.config.host, node.config.port
        if exc.errno == errno.EADDRINUSE:
            raise CliError(f"port {port} on {host} is already in use (another node? choose another --port)") from None
        raise CliError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:  # a second Ctrl-C while shutting down
        pass
    finally:
        node.close()


def open_node(home: str):
    from faechain.member.node import node_for

    try:
        return node_for(home)
    except FileNotFoundError as exc:
        raise UsageError(str(exc) if "config.json" in str(exc) else
                         f"{home} is not a node home: {exc.filename or exc}") from None
    except ImportError as exc:
        raise CliError(f"cannot start the node: {exc}") from None
    except (ValueError, RuntimeError) as exc:
        raise CliError(f"cannot start the node in {home}: {exc}") from None


def cmd_start(args: argparse.Namespace) -> int:
    home = os.path.abspath(os.path.expanduser(args.home))
    if args.log_level:
        import logging

        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for name in ("faechain.abci", "faechain.cometbft", "faechain.node", "faechain.member"):
            logging.getLogger(name).setLevel(args.log_level.upper())
    node = open_node(home)

    def ready() -> None:
        print(f"faechain node {node.genesis.chain_id} serving {node.url} (height {node.app.height}); "
              "Ctrl-C stops it", flush=True)

    run_node(node, ready)
    print("node stopped", flush=True)
    return 0


def cmd_genesis_create(args: argparse.Namespace) -> int:
    from faechain.cli.ca import load_ca
    from faechain.core.genesis import Genesis

    if os.path.exists(args.out) and not args.force:
        raise CliError(f"{args.out} already exists (use --force to overwrite)")
    if not args.chain_id.strip():
        raise UsageError("--chain-id must not be empty")
    orgs: list[dict[str, Any]] = []
    suites: set[str] = set()
    for ca_dir in args.org:
        ca = load_ca(ca_dir)
        if any(o["id"] == ca.org_id for o in orgs):
            raise UsageError(f"organisation {ca.org_id} is given twice ({ca_dir})")
        attributes = {}
        with open(os.path.join(ca_dir, "org.json")) as f:
            meta = json.load(f)
        if isinstance(meta.get("attributes"), dict):
            attributes = meta["attributes"]
        orgs.append({"id": ca.org_id, "name": ca.name, "type": ca.type, "ca": ca.cert_pem,
                     "attributes": attributes})
        suites.add(ca.suite.name)
    if len(suites) > 1:
        raise UsageError(f"the organisations use different signature suites: {', '.join(sorted(suites))}")
    if not orgs:
        print("warning: no --org given; nobody will be able to sign transactions on this chain", flush=True)
    genesis = Genesis(
        chain_id=args.chain_id,
        suite=suites.pop() if suites else "ed25519",
        genesis_time=args.genesis_time if args.genesis_time is not None else int(time.time() * 1000),
        dev=args.dev,
        orgs=orgs,
    )
    if args.block_signer_key:
        from faechain.node.block_signer import BlockSignerError, create_block_signer

        try:
            genesis.block_signer = create_block_signer(args.block_signer_key, genesis.suite)
        except BlockSignerError as exc:
            raise CliError(str(exc)) from None
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    genesis.save(args.out)
    kind = "dev chain" if args.dev else "chain"
    print(f"wrote {args.out}: {kind} {args.chain_id} with {len(orgs)} organisation(s)")
    for o in orgs:
        print(f"  {o['id']}  {o['type']:<16} {o['name']}")
    if genesis.block_signer is not None:
        print(f"  block signer {genesis.block_signer['pub_key']} (key: {args.block_signer_key}; keep it private)")
    return 0
