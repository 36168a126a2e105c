"""`fae simulator` and `fae attestor`: the outside services (docs/adapters.md).

    fae simulator tax --home H --port 8741                 the e-invoice service simulator and its attestor
    fae simulator registry --home H --port 8742            the registry simulator and its attestor
    fae simulator rail --home H --port 8743                the e-CNY rail simulator and its attestor
    fae attestor run --service tax --adapter mybank.tax:Adapter --adapter-arg url=https://... \\
        --node http://127.0.0.1:8730 --home H --identity taxservice
                                                           a real service's attestor, over a real adapter
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import threading

from faechain.cli.common import (
    CliError,
    UsageError,
    load_identity,
    normalize_url,
    parse_pairs,
    resolve_home,
    url_from_home,
)

SERVICES = ("tax", "registry", "rail")


def add_parser(sub: argparse._SubParsersAction) -> None:
    sim = sub.add_parser(
        "simulator", help="run a simulator of an outside service (tax, registry, rail) with its attestor",
        description="Run a SIMULATOR of an outside service as its own process: it serves the simulated system "
        "over HTTP (its own SQLite file in <home>/simulators/) and runs the attestor that follows the chain and "
        "signs the service's attestations with the service member's identity from the demo wallet. For the demo, "
        "tests and CI only; docs/adapters.md says what it simulates and what it does not. Ctrl-C stops it.")
    sim.add_argument("service", choices=SERVICES, help="which service to simulate")
    sim.add_argument("--home", help="demo home with the wallet (default: $FAE_HOME or ~/.faechain/demo)")
    sim.add_argument("--port", type=int, required=True, help="port the simulator's HTTP API listens on")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sim.add_argument("--node", help="the node's URL (default: the node whose home this is)")
    sim.add_argument("--identity", help="wallet identity that signs the attestations (default: the demo's "
                     "taxservice, registry or ecny)")
    sim.add_argument("--db", help="the simulator's SQLite file (default <home>/simulators/<service>.sqlite)")
    sim.add_argument("--state", help="the attestor's state file (default <home>/simulators/<service>-attestor.json)")
    sim.add_argument("--poll", type=float, default=2.0, help="seconds between polls of the simulated system (2)")
    sim.set_defaults(func=cmd_simulator)

    att = sub.add_parser("attestor", help="run the attestor of an outside service over an adapter",
                         description="The attestor of an outside service: it follows the chain's events, asks the "
                         "service through an adapter (a class satisfying the service's protocol in "
                         "faechain.adapters.interfaces) and signs the attestations as the service member.")
    asub = att.add_subparsers(dest="attestor_command", metavar="SUBCOMMAND", required=True)
    run = asub.add_parser("run", help="run the attestor until stopped",
                          description="Run the attestor until Ctrl-C. It resumes after the last block it finished "
                          "(kept in --state), so a restart neither misses nor repeats an attestation.")
    run.add_argument("--service", choices=SERVICES, required=True, help="which service it attests for")
    run.add_argument("--adapter", required=True, metavar="MODULE:CLASS",
                     help="the adapter class, e.g. faechain.adapters.tax_http:TaxHttpAdapter")
    run.add_argument("--adapter-arg", action="append", default=[], metavar="KEY=VALUE",
                     help="a keyword argument for the adapter's constructor (repeatable), e.g. url=https://...")
    run.add_argument("--node", help="the node's URL (default: the node whose home this is)")
    run.add_argument("--home", help="home with the wallet (default: $FAE_HOME or ~/.faechain/demo)")
    run.add_argument("--identity", required=True, help="wallet identity of the service member that signs")
    run.add_argument("--state", help="state file (default <home>/attestors/<service>.json)")
    run.add_argument("--from-height", type=int, default=None,
                     help="first block to read when there is no state file yet (default 1)")
    run.add_argument("--poll", type=float, default=2.0, help="seconds between polls of the outside system (2)")
    run.set_defaults(func=cmd_attestor_run)


def node_url(args: argparse.Namespace, home: str) -> str:
    return normalize_url(args.node) if args.node else url_from_home(home)


def log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")


def cmd_simulator(args: argparse.Namespace) -> int:
    from faechain.adapters.services import SERVICES as KNOWN
    from faechain.adapters.services import AdapterError
    from faechain.devnet.simulators import base

    home = resolve_home(args.home)
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port}: give a port between 1 and 65535")
    name = args.identity or KNOWN[args.service].demo_identity
    load_identity(home, name)  # a one-line error for a missing wallet entry, before anything starts
    opts = base.Options(service=args.service, home=home, port=args.port, node_url=node_url(args, home),
                        identity=name, host=args.host, db=args.db, state=args.state, poll_seconds=args.poll)
    module = importlib.import_module(f"faechain.devnet.simulators.{args.service}")
    log_to_stderr()
    try:
        app = module.build(opts.db_path())
        base.serve(opts, module.TITLE, app,
                   ready=lambda url: print(f"{module.TITLE} listening on {url}", flush=True))
    except AdapterError as exc:
        raise CliError(str(exc)) from None
    return 0


def cmd_attestor_run(args: argparse.Namespace) -> int:
    from faechain.adapters.services import AdapterError, build_attestor, load_adapter
    from faechain.sdk import Client

    home = resolve_home(args.home)
    identity = load_identity(home, args.identity)
    options = parse_pairs(args.adapter_arg, "--adapter-arg")
    state = args.state or os.path.join(home, "attestors", f"{args.service}.json")
    log_to_stderr()
    try:
        adapter = load_adapter(args.adapter, options)
        attestor = build_attestor(args.service, adapter, Client(node_url(args, home), identity=identity), identity,
                                  state, poll_seconds=args.poll, from_height=args.from_height)
    except AdapterError as exc:
        raise CliError(str(exc)) from None
    stop = threading.Event()
    try:
        attestor.run(stop)
    except KeyboardInterrupt:
        stop.set()
    except ValueError as exc:  # a damaged state file: say which, and how to start afresh
        raise CliError(str(exc)) from None
    return 0
