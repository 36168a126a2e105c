"""`fae`: the faechain command line.

Exit codes: 0 success; 1 a rejected transaction, a failed verification or another
failure reported by the node; 2 a usage error. Errors print one line on stderr
(set FAE_DEBUG=1 for tracebacks).
"""

from __future__ import annotations

import argparse
import os
import sys

from faechain.cli import audit, ca, chain, demo, localnet, node_cmds, verify
from faechain.cli.common import EXIT_USAGE, CliError

EPILOG = """\
examples:
  fae demo                                     start the demo network (API and console)
  fae query membership orgs                    list the member organisations
  fae tx --as exchange membership set_attributes org_id=91110000MA0000015X attributes='{"qualified":true}'
  fae block latest                             the newest block
  fae doc put --as supplier1 --scope plans --subject P-1 invoice.pdf
                                               store a document in the node's vault; prints its hash
  fae verify --home ~/.faechain/demo           re-check the ledger offline (node stopped or running)
  fae audit export --as regulator --ref V-5-0-1 -o trail.csv
                                               the audit trail of an asset; `fae audit verify trail.csv`
                                               checks it against the node's blocks

`fae COMMAND --help` describes each command."""


def version_string() -> str:
    try:
        from importlib.metadata import version

        v = version("faechain")
    except Exception:  # noqa: BLE001 - running from a source tree
        v = "0.1.0"
    return f"faechain {v} (Python {sys.version.split()[0]})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fae",
        description="faechain: a consortium blockchain for financial asset exchanges.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=version_string())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo.add_parser(sub)
    node_cmds.add_parsers(sub)
    ca.add_parser(sub)
    chain.add_parsers(sub)
    verify.add_parser(sub)
    audit.add_parser(sub)
    localnet.add_parser(sub)
    v = sub.add_parser("version", help="print the faechain version", description="Print the faechain version.")
    v.set_defaults(func=lambda args: print(version_string()) or 0)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on usage errors
    try:
        rc = args.func(args)
    except CliError as exc:
        print(f"fae: error: {exc.message}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # files and sockets: the environment, not a bug
        if os.environ.get("FAE_DEBUG") or isinstance(exc, BrokenPipeError):
            raise
        print(f"fae: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `fae ... | head`
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    return int(rc or 0)


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
