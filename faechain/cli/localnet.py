"""`fae localnet up|status|down`: a CometBFT network of N validators on this machine."""

from __future__ import annotations

import argparse
import json
import os
import shutil

from faechain.cli.common import CliError, UsageError

DEFAULT_LOCALNET_HOME = os.path.join("~", ".faechain", "localnet")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "localnet", help="run a CometBFT network of N validators on this machine",
        description="A consortium network on this machine: one organisation per validator, each with its "
        "CometBFT node and its faechain node (REST API, console, events) on its own loopback ports. "
        "Processes run in the background with pid files and logs in --home.",
    )
    ln_sub = p.add_subparsers(dest="localnet_command", metavar="COMMAND", required=True)
    up = ln_sub.add_parser(
        "up", help="create (first time) and start the network",
        description="Create the network in --home the first time (the demo consortium's CAs and wallets, "
        "validator keys, genesis, CometBFT configuration), then start every process that is not running "
        "and wait for the first block. On an existing network it restarts only what is stopped.")
    up.add_argument("--validators", type=int, default=None, help="number of validators (default 4)")
    up.add_argument("--home", help=f"network directory (default {DEFAULT_LOCALNET_HOME})")
    up.add_argument("--base-port", type=int, default=None,
                    help="first port; validator i uses base+10i .. base+10i+3 (API, P2P, RPC, ABCI); default 26600")
    up.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the network (default 120)")
    up.add_argument("--crypto", metavar="SUITE", type=str.lower, choices=("ed25519", "sm"),
                    help="signature suite of a new network: ed25519 (default) or sm (SM2/SM3 certificates, "
                    "signatures and hashes; CometBFT's consensus keys stay Ed25519)")
    up.set_defaults(func=cmd_up)

    st = ln_sub.add_parser("status", help="heights, app hashes and peers of every node",
                           description="Show each node's processes, faechain height and app hash, CometBFT "
                           "height and peer count. Exits 1 if any process is down.")
    st.add_argument("--home", help=f"network directory (default {DEFAULT_LOCALNET_HOME})")
    st.add_argument("--json", action="store_true", help="print JSON")
    st.set_defaults(func=cmd_status)

    down = ln_sub.add_parser("down", help="stop the network (or some nodes)",
                             description="Stop CometBFT and faechain processes (SIGTERM, then SIGKILL after a "
                             "grace period). Data stays; `fae localnet up` continues the same chain.")
    down.add_argument("--home", help=f"network directory (default {DEFAULT_LOCALNET_HOME})")
    down.add_argument("--node", type=int, action="append", metavar="I", help="stop only node I (repeatable)")
    down.add_argument("--purge", action="store_true", help="also delete the network directory")
    down.set_defaults(func=cmd_down)


def _home(args: argparse.Namespace) -> str:
    return os.path.abspath(os.path.expanduser(args.home or os.environ.get("FAE_LOCALNET_HOME")
                                              or DEFAULT_LOCALNET_HOME))


def _errors():
    from faechain.devnet.localnet import LocalnetError
    from faechain.engines.cometbft import CometBFTNotFound

    return (LocalnetError, CometBFTNotFound)


def _new_suite(crypto: str | None) -> str:
    from faechain.crypto.suite import get_suite, suite_name

    suite = suite_name(crypto) if crypto else "ed25519"
    try:
        get_suite(suite)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return suite


def _check_suite(home: str, crypto: str | None) -> None:
    """`--crypto` on an existing network must name the suite it already runs."""
    from faechain.core.genesis import Genesis
    from faechain.crypto.suite import suite_name

    if not crypto:
        return
    have = Genesis.load(os.path.join(home, "genesis.json")).suite
    if suite_name(crypto) != have:
        raise UsageError(f"{home} holds a network on {have}; `fae localnet down --purge --home {home}` "
                         f"first to make one with --crypto {crypto}")


def cmd_up(args: argparse.Namespace) -> int:
    from faechain.devnet import localnet as L

    home = _home(args)
    if args.validators is not None and args.validators < 1:
        raise UsageError("--validators must be at least 1")
    if args.base_port is not None and not 1024 <= args.base_port <= 65535 - 10 * (args.validators or 4):
        raise UsageError(f"--base-port {args.base_port} leaves no room for the nodes' ports")
    try:
        if os.path.exists(os.path.join(home, L.LOCALNET_FILE)):
            net = L.Localnet.load(home)
            if args.validators is not None and args.validators != len(net.nodes):
                raise UsageError(f"{home} holds a network of {len(net.nodes)} validators; "
                                 f"`fae localnet down --purge --home {home}` first to make a new one")
            if args.base_port is not None and args.base_port != net.base_port:
                raise UsageError(f"{home} uses base port {net.base_port}")
            _check_suite(home, getattr(args, "crypto", None))
        else:
            n = args.validators or 4
            print(f"creating a {n}-validator network in {home} ...", flush=True)
            net = L.create(home, n, base_port=args.base_port or L.DEFAULT_BASE_PORT,
                           suite=_new_suite(getattr(args, "crypto", None)))
        net.start(timeout=args.timeout)
    except _errors() as exc:
        raise CliError(str(exc)) from None
    _print_status(net, net.status())
    print()
    print("use it like `fae demo`: the wallet holds the 19 member identities")
    print("  from faechain.sdk import Client, Identity")
    print(f"  client = Client({net.nodes[0].api_url!r}, identity=Identity.load({home!r}, 'exchange'))")
    print(f"  fae query --home {home} membership orgs        (node 0; --url for another node)")
    print(f"logs: {os.path.join(home, 'logs')}   stop: fae localnet down --home {home}")
    return 0


def _print_status(net, rows: list[dict]) -> None:
    print(f"localnet {net.chain_id}: {len(rows)} validators in {net.home}")
    print(f"{'node':<6} {'member':<10} {'faechain':<9} {'cometbft':<9} {'height':>6} {'cmt':>6} {'peers':>5}  "
          f"{'app hash':<18} api")
    for r in rows:
        fae = "up" if r["fae_pid"] else "down"
        cmt = "up" if r["cometbft_pid"] else "down"
        height = "-" if r["height"] is None else str(r["height"])
        cheight = "-" if r["cometbft_height"] is None else str(r["cometbft_height"])
        peers = "-" if r["peers"] is None else str(r["peers"])
        app_hash = (r["app_hash"] or "-")[:16]
        print(f"{r['node']:<6} {r['member']:<10} {fae:<9} {cmt:<9} {height:>6} {cheight:>6} {peers:>5}  "
              f"{app_hash:<18} {r['api']}")


def cmd_status(args: argparse.Namespace) -> int:
    from faechain.devnet import localnet as L

    try:
        net = L.Localnet.load(_home(args))
    except _errors() as exc:
        raise CliError(str(exc)) from None
    rows = net.status()
    if args.json:
        print(json.dumps({"chain_id": net.chain_id, "home": net.home, "nodes": rows}, indent=2))
    else:
        _print_status(net, rows)
    return 0 if all(r["fae_pid"] and r["cometbft_pid"] for r in rows) else 1


def cmd_down(args: argparse.Namespace) -> int:
    from faechain.devnet import localnet as L

    home = _home(args)
    try:
        net = L.Localnet.load(home)
    except _errors() as exc:
        raise CliError(str(exc)) from None
    if args.node:
        bad = [i for i in args.node if not 0 <= i < len(net.nodes)]
        if bad:
            raise UsageError(f"no node {bad[0]} (the network has nodes 0..{len(net.nodes) - 1})")
        if args.purge:
            raise UsageError("--purge deletes the whole network; do not combine it with --node")
    stopped = net.stop(args.node)
    print(f"stopped {len(stopped)} process(es)" + (f": {', '.join(stopped)}" if stopped else ""))
    if args.purge:
        shutil.rmtree(home)
        print(f"deleted {home}")
    return 0
