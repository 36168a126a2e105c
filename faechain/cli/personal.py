"""`fae person`: a person's name and ID number into the vault, and back out checked against its commitment.

    fae person put  --as bank2 --scope npa --name "Zhao Lihua" --id-type resident_id --id-number 1201...
                    prints the commitment to pass where the person is named (register_loan borrower=...)
    fae person show --as regulator --scope npa COMMITMENT
                    prints {commitment, name, id_type, id_number}, once the document's bytes are shown
                    to hash to COMMITMENT; exits 1 (and prints nothing of the person) otherwise

The names never go on chain (faechain/contracts/personal.py); the contract named by --scope
decides who may store and read the document, as for any vault document.
"""

from __future__ import annotations

import argparse

from faechain.cli.common import (
    UsageError,
    load_identity,
    make_client,
    print_json,
    resolve_home,
    resolve_url,
    sdk_call,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    from faechain.core.personal import ID_TYPES

    p = sub.add_parser("person", help="put a person's name and ID number in the vault; show them checked",
                       description="Borrowers', guarantors' and individual investors' names and ID numbers live "
                       "in the vault as personal data documents; the chain keeps only each document's hash "
                       "(its commitment). `put` stores one and prints its commitment; `show` fetches one and "
                       "checks it against the commitment before printing it.")
    p_sub = p.add_subparsers(dest="person_command", metavar="COMMAND", required=True)

    def node_options(parser: argparse.ArgumentParser, required_as: bool) -> None:
        parser.add_argument("--url", help="node URL (default: from <home>/config.json)")
        parser.add_argument("--home", help="node home holding config.json and the wallet "
                            "(default: $FAE_HOME or ~/.faechain/demo)")
        parser.add_argument("--as", dest="as_name", required=required_as, metavar="NAME",
                            help="wallet identity that signs" + ("" if required_as else " the read"))
        parser.add_argument("--scope", required=True, metavar="CONTRACT",
                            help="the contract that names the person (npa: borrowers and guarantors; "
                            "membership: individual investors)")

    put = p_sub.add_parser("put", help="store a personal data document; prints its commitment",
                           description="Build a personal data document (a fresh random salt and the fields), "
                           "store it in the node's vault under --scope (subject person), signed by --as, and "
                           "print its commitment.")
    node_options(put, True)
    put.add_argument("--name", required=True, help="the person's (or company borrower's) name")
    put.add_argument("--id-type", required=True, choices=ID_TYPES, help="the kind of identification number")
    put.add_argument("--id-number", required=True, help="the identification number")
    put.set_defaults(func=cmd_put)

    show = p_sub.add_parser("show", help="fetch a person's data, checked against its commitment",
                            description="Fetch the personal data document COMMITMENT of --scope as --as, check "
                            "that its bytes hash to COMMITMENT and that it is well formed, and print it as JSON.")
    node_options(show, False)
    show.add_argument("commitment", metavar="COMMITMENT", help="the commitment the chain records (64 hex digits)")
    show.set_defaults(func=cmd_show)


def _client(args: argparse.Namespace):
    url = resolve_url(args)
    identity = load_identity(resolve_home(args.home), args.as_name) if args.as_name else None
    return make_client(url, identity), url


def cmd_put(args: argparse.Namespace) -> int:
    from faechain.core.personal import PersonalData, PersonalDataError
    from faechain.sdk.personal import put_personal_data

    try:
        data = PersonalData(args.name, args.id_type, args.id_number)
    except PersonalDataError as exc:
        raise UsageError(exc.message) from None
    client, url = _client(args)
    print(sdk_call(url, put_personal_data, client, None, args.scope, data))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from faechain.core.personal import HEX64
    from faechain.sdk.personal import read_personal_data

    commitment = args.commitment.lower()
    if HEX64.match(commitment) is None:
        raise UsageError(f"{args.commitment!r} is not a commitment (64 hex digits)")
    client, url = _client(args)
    # a refusal, or bytes that are not the committed document, end here as one line (exit 1)
    data = sdk_call(url, read_personal_data, client, args.scope, commitment)
    print_json({"commitment": commitment, **data.fields()})
    return 0
