"""`fae demo`: the embedded network with the demo consortium, API and console, in one process."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time

from faechain.cli.common import CliError, UsageError, resolve_home

SEEDED_MARKER = ".samples_seeded"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="start a local demo network (22 member organisations, API and console)",
        description="Start the embedded single-node network with the demo consortium and serve the "
        "REST API and web console. The first run creates the consortium (a CA and an identity for "
        "each of the 22 members, a dev genesis) in --home and seeds sample business; later runs "
        "continue the same ledger. It also starts the simulators of the outside services (tax, registry, "
        "e-CNY rail), each its own process signing as its service member. Ctrl-C stops it all.",
    )
    p.add_argument("--home", help="demo home (default: $FAE_HOME or ~/.faechain/demo)")
    p.add_argument("--port", type=int, help="API/console port (default 8730; changes an existing home's port)")
    p.add_argument("--empty", action="store_true", help="do not seed the sample business on first start")
    p.add_argument("--no-browser", action="store_true", help="do not open the console in a web browser")
    p.add_argument("--no-simulators", action="store_true",
                   help="do not start the simulators of the outside services (the tax authority's e-invoice "
                   "service, the movable-property registry, the e-CNY rail); the samples then sign those "
                   "services' attestations themselves (docs/outside-world.md)")
    p.add_argument("--open", action="store_true",
                   help="development only: unsigned reads (and the console before sign-in) see everything, as "
                   "before issue 17; without it they see what a non-member may, block hashes and heights "
                   "(docs/confidentiality.md)")
    p.add_argument("--crypto", metavar="SUITE", type=str.lower, choices=("ed25519", "sm"),
                   help="signature suite of a new demo chain: ed25519 (default; Ed25519 + SHA-256) or sm "
                   "(SM2 + SM3 for every certificate, signature and hash); an existing home keeps its own")
    p.set_defaults(func=cmd_demo)


def _members(home: str) -> list[dict]:
    """The wallet identities, demo members first in consortium order."""
    from faechain.devnet.demo import MEMBERS

    wallet = os.path.join(home, "wallet")
    found = {}
    if os.path.isdir(wallet):
        for name in os.listdir(wallet):
            path = os.path.join(wallet, name, "identity.json")
            try:
                with open(path) as f:
                    found[name] = json.load(f)
            except (OSError, ValueError):
                continue
    order = {m.name: i for i, m in enumerate(MEMBERS)}
    return [found[n] for n in sorted(found, key=lambda n: (order.get(n, len(order)), n))]


def banner(node, home: str, seeding: bool, sims=None) -> str:
    from faechain.cli.genesis_hash import genesis_hashes

    url = node.url
    members = _members(home)
    width = max([len(m["name"]) for m in members] + [4])
    lines = [
        "",
        f"faechain demo network is running  (chain {node.genesis.chain_id}, suite {node.genesis.suite}, "
        f"height {node.app.height})",
        "",
        f"  API:      {url}/v1/",
        f"  console:  {url}/",
        f"  home:     {home}",
        f"  wallet:   {os.path.join(home, 'wallet')}",
        f"  genesis:  SHA-256 {genesis_hashes(node.genesis)[1].hex()}",
        "            (the console pins this genesis in the browser on first use: compare the two)",
        "",
        f"member identities ({len(members)}):",
    ]
    for m in members:
        attrs = m.get("attributes") or {}
        extra = ""
        if "qualified" in attrs:
            extra = "  [qualified]" if attrs["qualified"] else "  [not qualified]"
        lines.append(f"  {m['name']:<{width}}  {m.get('role', ''):<16} {m.get('org_name', '')}{extra}")
    lines += [
        "",
        "try the SDK (reads are signed: each member sees what it is party to):",
        "  from faechain.sdk import Client, Identity",
        f"  exchange = Identity.load({home!r}, 'exchange')",
        f"  client = Client({url!r}, identity=exchange)",
        "  client.query('membership', 'orgs')",
        "",
        f"or the CLI:  fae query --home {home} --as exchange membership orgs",
    ]
    if sims is not None:
        lines += simulator_lines(sims)
    if getattr(node.config, "open_reads", False):
        lines += ["", "OPEN: unsigned reads and the console before sign-in see everything (--open; development only)"]
    if seeding:
        lines.append("seeding the sample business in the background ...")
    lines += ["", "Ctrl-C stops the network; run `fae demo` again to continue it.", ""]
    return "\n".join(lines)


def simulator_lines(sims) -> list[str]:
    from faechain.adapters.services import SERVICES

    lines = ["", "outside services (simulators, each its own process signing as its service member):"]
    for sim in sims.started:
        lines.append(f"  {sim.service:<9} {sim.url}/  {sim.title}, as {SERVICES[sim.service].demo_identity}")
    lines += [f"  their data and logs: {os.path.dirname(sims.started[0].log)}",
              "  (docs/outside-world.md, docs/adapters.md; `fae demo --no-simulators` leaves them out)"]
    return lines


def start_simulators(node, home: str):
    """Start the three simulators beside the node (`Simulators`); None, said on stderr, if they cannot be.
    (Called on the node's event loop once it listens: nothing here may wait for the node.)"""
    from faechain.devnet.simulators.processes import Simulators

    try:
        return Simulators.start(home, node.url, node.config.port)
    except OSError as exc:
        print(f"warning: cannot start the simulators: {exc}", file=sys.stderr, flush=True)
        return None


def node_answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url + "/healthz", timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def simulators_ready(sims, seconds: float = 60.0) -> bool:
    """Wait for the simulators to serve; each that does not is named on stderr. True if all serve."""
    failed = sims.wait_ready(seconds)
    for service, why in failed.items():
        print(f"warning: the {service} simulator did not start: {why}", file=sys.stderr, flush=True)
    return not failed


def outside_for(node, sims):
    """The simulators as the samples reach them, seeded with the demo's world; None (the samples then
    sign the services' attestations themselves) when there are none or one did not start."""
    if sims is None:
        return None
    if not node_answers(node.url):  # (asked here, off the node's event loop, which answers it)
        print(f"warning: the node's API at {node.url} does not answer, so neither would the simulators: "
              "seeding the samples without them; the simulators are stopped", file=sys.stderr, flush=True)
        sims.stop()
        return None
    if not simulators_ready(sims):
        print("warning: seeding the samples without the simulators (their service members sign as "
              "themselves); the simulators are stopped", file=sys.stderr, flush=True)
        sims.stop()
        return None
    from faechain.devnet.demo import demo_org_ids
    from faechain.devnet.simulators.world import SimulatorWorld

    world = SimulatorWorld(sims.urls)
    world.seed(demo_org_ids())
    return world


def seed(node, home: str, sims=None) -> None:
    """Run each module's sample scenario once; record it in <home>/.samples_seeded."""
    marker = os.path.join(home, SEEDED_MARKER)
    try:
        outside = outside_for(node, sims)
        ran = seed_node(node, outside)
    except Exception as exc:  # noqa: BLE001 - the node keeps serving; the user hears why
        print(f"warning: seeding the samples failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return
    with open(marker, "w") as f:
        json.dump({"seeded": ran, "height": node.app.height, "simulators": outside is not None}, f)
    if ran:
        print(f"seeded samples: {', '.join(ran)} (height {node.app.height})", flush=True)
    else:
        print("no business module has samples to seed yet", flush=True)


def seed_node(node, outside=None) -> list[str]:
    """Run every module's sample on a running demo node: signed as its wallet's members,
    documents into its vault, its dev clock advanced where a sample needs time to pass;
    with `outside` (the running simulators) their service members attest what they see."""
    from faechain.devnet.demo import seed_samples

    return seed_samples(node.submit_as, lambda data: store_document(node, data),
                        now=lambda: node.engine.now_ms() // 1000, advance=lambda s: advance_clock(node, s),
                        suite=node.app.suite.name, outside=outside)


def advance_clock(node, seconds: int) -> None:
    """Move the demo chain's clock on and wait until a block has that time."""
    target = node.engine.now_ms() + seconds * 1000 - 1000
    node.engine.advance_time(seconds)
    deadline = time.monotonic() + 30
    while node.app.last_time < target and time.monotonic() < deadline:
        time.sleep(0.01)


def store_document(node, data: bytes) -> str:
    """Put a sample document in the node's own vault; its hash hex."""
    h = node.app.hash(data).hex()
    node.vault.put(h, data)
    return h


def open_browser(url: str) -> None:
    """Open the console in a graphical browser if there is one; never fail, never block."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return  # no desktop: a terminal browser would take over this terminal

    def go() -> None:
        try:
            import webbrowser

            webbrowser.open(url)
        except Exception:  # noqa: BLE001
            pass

    threading.Thread(target=go, name="open-browser", daemon=True).start()


def _suite_for(home: str, crypto: str | None) -> str:
    """The suite of the demo chain in `home`: an existing home's own; `--crypto` for a new one."""
    from faechain.core.genesis import Genesis
    from faechain.crypto.suite import get_suite, suite_name

    wanted = suite_name(crypto) if crypto else None
    path = os.path.join(home, "genesis.json")
    if os.path.exists(path):
        try:
            have = Genesis.load(path).suite
        except (OSError, ValueError) as exc:
            raise CliError(f"{path} is not a genesis document: {exc}") from None
        if wanted and wanted != have:
            raise UsageError(f"{home} holds a demo chain on {have}; `--crypto {crypto}` makes a new chain: "
                             "choose another --home")
        return have
    suite = wanted or "ed25519"
    try:
        get_suite(suite)  # the SM suite needs OpenSSL 3 with SM2/SM3: say so before making anything
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return suite


def cmd_demo(args: argparse.Namespace) -> int:
    from faechain.cli.node_cmds import open_node, run_node
    from faechain.devnet.demo import create_demo

    home = resolve_home(args.home)
    if args.port is not None and not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a TCP port")
    if os.path.exists(home) and not os.path.isdir(home):
        raise UsageError(f"{home} is not a directory")
    if os.path.isdir(home) and os.listdir(home) and not os.path.exists(os.path.join(home, "genesis.json")):
        raise UsageError(f"{home} exists and is not a demo home; choose another --home")
    suite = _suite_for(home, getattr(args, "crypto", None))
    try:
        created = create_demo(home, args.port, suite)
    except OSError as exc:
        raise CliError(f"cannot create the demo in {home}: {exc}") from None
    marker = os.path.join(home, SEEDED_MARKER)
    if created:
        print(f"created the demo consortium in {home}", flush=True)
        if args.empty:  # an empty demo stays empty; samples are for a fresh ledger only
            with open(marker, "w") as f:
                json.dump({"seeded": [], "skipped": True}, f)
    node = open_node(home)
    if getattr(args, "open", False):  # for this run only: the home's config.json is left as it is
        node.config.open_reads = True
    seeding = not args.empty and not os.path.exists(marker)
    started: list = []  # the simulators, once the node serves (they follow its API)

    def ready() -> None:
        sims = None if getattr(args, "no_simulators", False) else start_simulators(node, home)
        if sims is not None:
            started.append(sims)
        print(banner(node, home, seeding, sims), flush=True)
        if seeding:
            threading.Thread(target=seed, args=(node, home, sims), name="seed-samples", daemon=True).start()
        elif sims is not None:  # nothing waits for them: say so if one does not come up
            threading.Thread(target=simulators_ready, args=(sims,), name="simulators", daemon=True).start()
        if not args.no_browser:
            open_browser(node.url + "/")

    try:
        run_node(node, ready)
    finally:
        for sims in started:
            sims.stop()
    if started:
        print("simulators stopped", flush=True)
    print("demo network stopped", flush=True)
    return 0
