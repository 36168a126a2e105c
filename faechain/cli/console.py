"""`fae node console-passphrase`: set (or clear) the web console's sign-in passphrase of a node."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from faechain.cli.common import CliError, UsageError


def add_parser(node_sub: argparse._SubParsersAction) -> None:
    p = node_sub.add_parser(
        "console-passphrase", help="set the web console's sign-in passphrase",
        description="Store a salted scrypt hash of a passphrase in <home>/config.json. The node's web "
        "console then asks for it before signing in as any identity of the node's wallet. A node that "
        "is not a dev chain on loopback refuses console sign-in until a passphrase is set. Restart the "
        "node for the change to apply.")
    p.add_argument("--home", required=True, help="the node's home directory")
    p.add_argument("--stdin", action="store_true", help="read the passphrase from standard input (one line)")
    p.add_argument("--clear", action="store_true", help="remove the passphrase")
    p.set_defaults(func=cmd_console_passphrase)


def cmd_console_passphrase(args: argparse.Namespace) -> int:
    from faechain.console.passphrase import MIN_LENGTH, hash_passphrase
    from faechain.node.config import NodeConfig

    home = os.path.abspath(os.path.expanduser(args.home))
    try:
        config = NodeConfig.load(home)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    if args.clear:
        config.console_passphrase = ""
        config.save(home)
        print(f"console passphrase removed from {os.path.join(home, 'config.json')}")
        return 0
    if args.stdin:
        passphrase = sys.stdin.readline().rstrip("\r\n")
    else:
        passphrase = getpass.getpass("console passphrase: ")
        if getpass.getpass("again: ") != passphrase:
            raise CliError("the two passphrases differ")
    if len(passphrase) < MIN_LENGTH:
        raise UsageError(f"a console passphrase has at least {MIN_LENGTH} characters")
    config.console_passphrase = hash_passphrase(passphrase)
    config.save(home)
    print(f"console passphrase set in {os.path.join(home, 'config.json')} (scrypt hash); restart the node to apply")
    return 0
