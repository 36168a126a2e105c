"""`fae localnet up|status|down`: a CometBFT network of N validators on this machine, and
member nodes (faechain.member) of organisations that run no validator."""

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
        "Processes run in the background with pid files and logs in --home. With --members M, M further "
        "organisations each run a member node that follows the validators and holds only its own view.",
    )
    ln_sub = p.add_subparsers(dest="localnet_command", metavar="COMMAND", required=True)
    up = ln_sub.add_parser(
        "up", help="create (first time) and start the network",
        description="Create the network in --home the first time (the demo consortium's CAs and wallets, "
        "validator keys, genesis, CometBFT configuration), then start every process that is not running "
        "and wait for the first block. On an existing network it restarts only what is stopped.")
    up.add_argument("--validators", type=int, default=None, help="number of validators (default 4)")
    up.add_argument("--members", type=int, default=None, metavar="M",
                    help="member nodes to run besides the validators, one for each of M organisations that run no "
                    "validator (supplier3, bank2, investor4, ... in that order); a member node follows the "
                    "validators' APIs and holds only its organisation's view (default 0; on an existing network "
                    "more adds the missing ones)")
    up.add_argument("--home", help=f"network directory (default {DEFAULT_LOCALNET_HOME})")
    up.add_argument("--base-port", type=int, default=None,
                    help="first port; validator i uses base+10i .. base+10i+3 (API, P2P, RPC, ABCI), member node j "
                    "base+10j+5 (API); default 26600")
    up.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the network (default 120)")
    up.add_argument("--crypto", metavar="SUITE", type=str.lower, choices=("ed25519", "sm"),
                    help="signature suite of a new network: ed25519 (default) or sm (SM2/SM3 certificates, "
                    "signatures and hashes; CometBFT's consensus keys stay Ed25519)")
    up.set_defaults(func=cmd_up)

    st = ln_sub.add_parser("status", help="heights, app hashes and peers of every node",
                           description="Show each node's processes, faechain height and app hash, CometBFT "
                           "height and peer count, and each member node's organisation, height and app hash. "
                           "Exits 1 if any process is down.")
    st.add_argument("--home", help=f"network directory (default {DEFAULT_LOCALNET_HOME})")
    st.add_argument("--json", action="store_true", help="print JSON")
    st.set_defaults(func=cmd_status)

    down = ln_sub.add_parser("down", help="stop the network (or some nodes)",
                             description="Stop CometBFT and faechain processes (SIGTERM, then SIGKILL after a "
                             "grace period). Data stays; `fae localnet up` continues the same chain.")
    down.add_argument("--home", help=f"network directory (default {DEFAULT_LOCALNET_HOME})")
    down.add_argument("--node", type=int, action="append", metavar="I", help="stop only node I (repeatable)")
    down.add_argument("--member", action="append", metavar="NAME",
                      help="stop only the member node of organisation NAME (repeatable; with --node, those too)")
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


def _check_members(members: int | None, validators: int) -> None:
    """`--members` names at most one member node per organisation that runs no validator."""
    from faechain.devnet.localnet import MEMBER_ORDER

    most = len(MEMBER_ORDER) - validators
    if members is not None and members > most:
        raise UsageError(f"--members must be at most {most} with {validators} validators: one organisation each, "
                         "none of them a validator's")


def cmd_up(args: argparse.Namespace) -> int:
    from faechain.devnet import localnet as L

    home = _home(args)
    members = getattr(args, "members", None)
    if args.validators is not None and args.validators < 1:
        raise UsageError("--validators must be at least 1")
    if members is not None and members < 0:
        raise UsageError("--members must be at least 0")
    slots = max(args.validators or 4, members or 0)
    if args.base_port is not None and not 1024 <= args.base_port <= 65535 - 10 * slots:
        raise UsageError(f"--base-port {args.base_port} leaves no room for the nodes' ports")
    try:
        if os.path.exists(os.path.join(home, L.LOCALNET_FILE)):
            net = L.Localnet.load(home)
            if args.validators is not None and args.validators != len(net.nodes):
                raise UsageError(f"{home} holds a network of {len(net.nodes)} validators; "
                                 f"`fae localnet down --purge --home {home}` first to make a new one")
            if args.base_port is not None and args.base_port != net.base_port:
                raise UsageError(f"{home} uses base port {net.base_port}")
            if members is not None and members < len(net.members):
                raise UsageError(f"{home} runs {len(net.members)} member nodes; `fae localnet down --purge "
                                 f"--home {home}` first to make a network with fewer")
            _check_members(members, len(net.nodes))
            _check_suite(home, getattr(args, "crypto", None))
            while members is not None and len(net.members) < members:
                spec = net.add_member()
                print(f"added {spec.name}'s member node in {net.member_home(spec.name)} ...", flush=True)
        else:
            n = args.validators or 4
            _check_members(members, n)
            more = f" and {members} member node{'s' if members != 1 else ''}" if members else ""
            print(f"creating a {n}-validator network{more} in {home} ...", flush=True)
            net = L.create(home, n, base_port=args.base_port or L.DEFAULT_BASE_PORT,
                           suite=_new_suite(getattr(args, "crypto", None)), members=members or 0)
        net.start(timeout=args.timeout)
    except _errors() as exc:
        raise CliError(str(exc)) from None
    _print_status(net, net.status())
    print()
    print("use it like `fae demo`: the wallet holds the 19 member identities")
    print("  from faechain.sdk import Client, Identity")
    print(f"  client = Client({net.nodes[0].api_url!r}, identity=Identity.load({home!r}, 'exchange'))")
    print(f"  fae query --home {home} membership orgs        (node 0; --url for another node)")
    for m in net.members:
        print(f"  {m.name}'s member node {m.api_url}: fae query --home {net.member_home(m.name)} --as {m.name} ...")
    print(f"logs: {os.path.join(home, 'logs')}   stop: fae localnet down --home {home}")
    return 0


def _is_member(row: dict) -> bool:
    return row.get("kind") == "member"


def _print_status(net, rows: list[dict]) -> None:
    validators = sum(not _is_member(r) for r in rows)
    members = len(rows) - validators
    more = f" and {members} member node{'s' if members != 1 else ''}" if members else ""
    print(f"localnet {net.chain_id}: {validators} validators{more} in {net.home}")
    width = max([6] + [len(r["node"]) for r in rows])
    print(f"{'node':<{width}} {'member':<10} {'faechain':<9} {'cometbft':<9} {'height':>6} {'cmt':>6} {'peers':>5}  "
          f"{'app hash':<18} api")
    for r in rows:
        fae = "up" if r["fae_pid"] else "down"
        cmt = "member" if _is_member(r) else "up" if r["cometbft_pid"] else "down"
        height = "-" if r["height"] is None else str(r["height"])
        cheight = "-" if r["cometbft_height"] is None else str(r["cometbft_height"])
        peers = "-" if r["peers"] is None else str(r["peers"])
        app_hash = (r["app_hash"] or "-")[:16]
        print(f"{r['node']:<{width}} {r['member']:<10} {fae:<9} {cmt:<9} {height:>6} {cheight:>6} {peers:>5}  "
              f"{app_hash:<18} {r['api']}")
    for r in rows:
        if _is_member(r):
            print(f"  {r['node']}: org {r['org_id']}, follows {', '.join(r.get('validators') or [])}")


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
    return 0 if all(r["fae_pid"] and (r["cometbft_pid"] or _is_member(r)) for r in rows) else 1


def cmd_down(args: argparse.Namespace) -> int:
    from faechain.devnet import localnet as L

    home = _home(args)
    try:
        net = L.Localnet.load(home)
    except _errors() as exc:
        raise CliError(str(exc)) from None
    chosen = getattr(args, "member", None)
    if args.node:
        bad = [i for i in args.node if not 0 <= i < len(net.nodes)]
        if bad:
            raise UsageError(f"no node {bad[0]} (the network has nodes 0..{len(net.nodes) - 1})")
    if chosen:
        have = [m.name for m in net.members]
        bad_members = [name for name in chosen if name not in have]
        if bad_members:
            raise UsageError(f"no member node of {bad_members[0]} (the network has "
                             f"{', '.join(have) or 'no member nodes'})")
    if (args.node or chosen) and args.purge:
        raise UsageError("--purge deletes the whole network; do not combine it with --node or --member")
    if chosen:
        stopped = net.stop(args.node or [], members=chosen)
    else:
        stopped = net.stop(args.node)
    print(f"stopped {len(stopped)} process(es)" + (f": {', '.join(stopped)}" if stopped else ""))
    if args.purge:
        shutil.rmtree(home)
        print(f"deleted {home}")
    return 0
