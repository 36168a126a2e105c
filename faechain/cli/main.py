"""`fae`: the faechain command line.

Exit codes: 0 success; 1 a rejected transaction, a failed verification or another
failure reported by the node; 2 a usage error. Errors print one line on stderr
(set FAE_DEBUG=1 for tracebacks).
"""

from __future__ import annotations

import argparse
import os
import sys

from faechain.cli import audit, ca, chain, demo, evidence, localnet, node_cmds, outside, personal, verify
from faechain.cli.common import CliError

EPILOG = """\
examples:
  fae demo                                     start the demo network (API and console)
  fae query membership orgs                    list the member organisations
  fae tx --as exchange membership set_attributes org_id=91110000MA0000015X attributes='{"qualified":true}'
  fae block latest                             the newest block
  fae doc put --as supplier1 --scope plans --subject P-1 invoice.pdf
                                               store a document in the node's vault; prints its hash
  fae verify --home ~/.faechain/demo           re-check the ledger offline (node stopped or running)
  fae person show --as regulator --scope npa COMMITMENT
                                               a borrower's name and ID number from the vault, checked
                                               against the commitment the chain keeps
  fae audit export --as regulator --ref V-5-0-1 -o trail.csv
                                               the audit trail of an asset; `fae audit verify trail.csv`
                                               checks it against the node's blocks
  fae simulator tax --port 8741                 the e-invoice service simulator, attesting as taxservice
  fae evidence export --kind voucher --id V-11-0-1 -o v.json
                                               a voucher with its proofs and signed headers; `fae evidence
                                               verify v.json` checks it offline, without any node

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
    evidence.add_parser(sub)
    personal.add_parser(sub)
    localnet.add_parser(sub)
    outside.add_parser(sub)
    v = sub.add_parser("version", help="print the faechain version", description="Print the faechain version.")
    v.set_defaults(func=lambda args: print(version_string()) or 0)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)  # exits 2 on usage errors
        try:
            rc = args.func(args)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        except CliError as exc:
            print(f"fae: error: {exc.message}", file=sys.stderr)
            return exc.exit_status
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:
            raise
        except OSError as exc:  # files and sockets: the environment, not a bug
            if os.environ.get("FAE_DEBUG"):
                raise
            print(f"fae: error: {exc}", file=sys.stderr)
            return 1
        return int(rc or 0)
    except BrokenPipeError:  # `fae ... | head`: the reader has what it wanted; end quietly
        _silence_stdout()
        return 0


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's final flush of what is
    still buffered does not fail again on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
