"""`fae ca`: an organisation's own certificate authority (create, issue, revoke, list)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from faechain.cli.common import (
    CliError,
    UsageError,
    load_identity,
    make_client,
    parse_pairs,
    print_json,
    receipt_dict,
    receipt_ok,
    refused_line,
    resolve_home,
    resolve_url,
    sdk_call,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    from faechain.identity.organisations import ORG_TYPES

    p = sub.add_parser(
        "ca",
        help="an organisation's certificate authority: create it, issue and revoke member certificates",
        description="Consortium CA tooling, run on the organisation's own machine. The CA key "
        "(ca-key.pem) never leaves the CA directory.",
    )
    ca_sub = p.add_subparsers(dest="ca_command", metavar="COMMAND", required=True)

    c = ca_sub.add_parser("create", help="create an organisation CA",
                          description="Create an organisation CA: ca.pem, ca-key.pem and org.json in --dir.")
    c.add_argument("--dir", required=True, help="directory for the CA (must not hold one already)")
    c.add_argument("--org-id", required=True, help="the organisation's 18-character unified social credit code")
    c.add_argument("--name", required=True, help="the organisation's registered name")
    c.add_argument("--type", required=True, type=str.upper, choices=ORG_TYPES, metavar="TYPE",
                   help=f"organisation type: {', '.join(ORG_TYPES)}")
    c.add_argument("--suite", "--crypto", dest="suite", default="ed25519", metavar="SUITE",
                   help="signature suite: ed25519 (default) or sm (SM2 key, SM2-with-SM3 certificates)")
    c.set_defaults(func=cmd_create)

    i = ca_sub.add_parser("issue", help="issue a member identity (key + certificate) into a wallet",
                          description="Generate a member key, issue its certificate with the CA, and write "
                          "<wallet>/<name>/ (cert.pem, key.pem, identity.json).")
    i.add_argument("--dir", required=True, help="the CA directory")
    i.add_argument("--wallet", required=True, help="wallet directory (e.g. <node home>/wallet)")
    i.add_argument("--name", required=True, help="the member's name (its wallet entry)")
    i.add_argument("--attr", action="append", default=[], metavar="KEY=VALUE",
                   help="certificate attribute, repeatable; values are JSON when they parse (qualified=true)")
    i.set_defaults(func=cmd_issue)

    r = ca_sub.add_parser(
        "revoke", help="sign (and optionally submit) the revocation of a member certificate",
        description="Sign a revocation with the CA key. With --url, submit it as "
        "membership.revoke signed by the wallet identity --as; otherwise print the signed revocation JSON.")
    r.add_argument("--dir", required=True, help="the CA directory")
    which = r.add_mutually_exclusive_group(required=True)
    which.add_argument("--cert", metavar="CERT_ID_HEX", help="certificate id (hex hash of the certificate)")
    which.add_argument("--cert-file", metavar="PEM", help="the certificate itself (PEM)")
    r.add_argument("--reason", required=True, help="why the certificate is revoked (recorded on chain)")
    r.add_argument("--chain-id", help="chain the revocation is for (default with --url: the node's chain)")
    r.add_argument("--url", help="submit to this node (http://host:port)")
    r.add_argument("--home", help="node home whose wallet holds --as (default: $FAE_HOME or ~/.faechain/demo)")
    r.add_argument("--as", dest="as_name", metavar="NAME", help="wallet identity that submits the revocation")
    r.set_defaults(func=cmd_revoke)

    ls = ca_sub.add_parser("list", help="certificates this CA issued and revoked",
                           description="List the certificates the CA issued and the revocations it signed.")
    ls.add_argument("--dir", required=True, help="the CA directory")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ls.set_defaults(func=cmd_list)


def load_ca(path: str):
    from faechain.identity.ca import load_org_ca

    if not os.path.exists(os.path.join(path, "org.json")) or not os.path.exists(os.path.join(path, "ca.pem")):
        raise UsageError(f"{path} is not a CA directory (no ca.pem / org.json; `fae ca create` makes one)")
    try:
        return load_org_ca(path)
    except (OSError, ValueError, KeyError) as exc:
        raise CliError(f"cannot load the CA in {path}: {exc}") from None


def cmd_create(args: argparse.Namespace) -> int:
    from faechain.crypto.suite import SuiteError
    from faechain.identity.ca import create_org_ca

    try:
        from faechain.crypto.suite import suite_name

        ca = create_org_ca(args.dir, args.org_id, args.name, args.type, suite_name(args.suite))
    except FileExistsError as exc:
        raise CliError(str(exc)) from None
    except (ValueError, SuiteError) as exc:
        raise UsageError(str(exc)) from None
    print(f"created CA for {ca.name} ({ca.org_id}, {ca.type}) in {os.path.abspath(ca.path)}")
    print(f"  certificate: {os.path.join(os.path.abspath(ca.path), 'ca.pem')}")
    print(f"  key:         {os.path.join(os.path.abspath(ca.path), 'ca-key.pem')} (keep it private)")
    return 0


def cmd_issue(args: argparse.Namespace) -> int:
    from faechain.identity.ca import issue_identity

    ca = load_ca(args.dir)
    attributes = parse_pairs(args.attr, "attribute")
    if not args.name or "/" in args.name or args.name in (".", ".."):
        raise UsageError(f"{args.name!r} is not a valid identity name")
    try:
        target = issue_identity(ca, args.wallet, args.name, attributes)
    except FileExistsError as exc:
        raise CliError(str(exc)) from None
    except (ValueError, TypeError) as exc:
        raise UsageError(f"cannot issue: {exc}") from None
    with open(os.path.join(target, "identity.json")) as f:
        info = json.load(f)
    print(f"issued {args.name} ({info['role']} of {info['org_name']}, {info['org_id']})")
    print(f"  wallet entry: {os.path.abspath(target)}")
    print(f"  cert id:      {info['cert_id']}")
    if attributes:
        print(f"  attributes:   {json.dumps(attributes, sort_keys=True)}")
    return 0


def _cert_id(args: argparse.Namespace, ca) -> bytes:
    from faechain.crypto import certs

    if args.cert:
        text = args.cert[2:] if args.cert.startswith(("0x", "0X")) else args.cert
        try:
            cert_id = bytes.fromhex(text)
        except ValueError:
            raise UsageError(f"--cert {args.cert!r} is not a hex certificate id") from None
        if len(cert_id) != 32:
            raise UsageError("--cert must be a 32-byte (64 hex digit) certificate id")
        return cert_id
    try:
        with open(args.cert_file, "rb") as f:
            der = certs.load_pem(f.read())
    except FileNotFoundError:
        raise UsageError(f"no such certificate file: {args.cert_file}") from None
    except certs.CertificateError as exc:
        raise UsageError(f"{args.cert_file}: {exc}") from None
    info = certs.read_info(der)
    if info.org_id != ca.org_id:
        raise UsageError(f"{args.cert_file} belongs to organisation {info.org_id}, not this CA's {ca.org_id}")
    return ca.suite.hash(der)


def cmd_revoke(args: argparse.Namespace) -> int:
    from faechain.identity.ca import sign_revocation

    ca = load_ca(args.dir)
    cert_id = _cert_id(args, ca)
    submit = bool(args.url)
    if submit and not args.as_name:
        raise UsageError("--url needs --as NAME: the wallet identity that submits the revocation")
    if not submit and (args.as_name or args.home):
        raise UsageError("--as and --home are used only together with --url")
    identity = client = None
    if submit:
        url = resolve_url(args)
        identity = load_identity(resolve_home(args.home), args.as_name)
        client = make_client(url)
        info = sdk_call(url, client.info)
        node_chain = info.get("chain_id") if isinstance(info, dict) else getattr(info, "chain_id", None)
        if args.chain_id and node_chain and args.chain_id != node_chain:
            raise UsageError(f"--chain-id {args.chain_id} does not match the node's chain {node_chain}")
        args.chain_id = args.chain_id or node_chain
        if not args.chain_id:
            raise CliError(f"the node at {url} did not report its chain id; give --chain-id")
    elif not args.chain_id:
        raise UsageError("--chain-id is required (the revocation signature names the chain)")
    entry = sign_revocation(ca, args.chain_id, cert_id, args.reason)
    if client is None:  # no --url: print the signed revocation for a member to submit
        print_json(entry)
        return 0
    receipt = sdk_call(
        url, client.submit, identity, "membership", "revoke",
        org_id=entry["org_id"], cert_id=cert_id, reason=args.reason,
        ca_signature=bytes.fromhex(entry["ca_signature"]),
    )
    data = receipt_dict(receipt)
    print_json(data)
    if not receipt_ok(receipt):
        print(refused_line("revocation", str(data.get("code")), str(data.get("message") or "")), file=sys.stderr)
        return 1
    return 0


def _issued(ca_dir: str) -> list[dict[str, Any]]:
    from faechain.crypto import certs

    folder = os.path.join(ca_dir, "issued")
    out: list[dict[str, Any]] = []
    if not os.path.isdir(folder):
        return out
    for fname in sorted(os.listdir(folder)):
        if not fname.endswith(".pem"):
            continue
        try:
            with open(os.path.join(folder, fname), "rb") as f:
                info = certs.read_info(certs.load_pem(f.read()))
        except (OSError, certs.CertificateError):
            continue
        out.append({"cert_id": fname[:-4], "name": info.name, "role": info.role, "org_id": info.org_id,
                    "attributes": info.attributes, "not_after": info.not_after})
    return out


def cmd_list(args: argparse.Namespace) -> int:
    import datetime as dt

    ca = load_ca(args.dir)
    issued = _issued(args.dir)
    revoked: list = []
    path = os.path.join(args.dir, "revoked.json")
    if os.path.exists(path):
        try:
            with open(path) as f:
                revoked = json.load(f)
        except ValueError as exc:
            raise CliError(f"{path} is not valid JSON: {exc}") from None
    revoked_ids = {r.get("cert_id") for r in revoked}
    for item in issued:
        item["revoked"] = item["cert_id"] in revoked_ids
    issued.sort(key=lambda r: (r["name"], r["cert_id"]))
    if args.json:
        print_json({"org_id": ca.org_id, "name": ca.name, "type": ca.type, "issued": issued, "revoked": revoked})
        return 0
    print(f"CA {ca.name} ({ca.org_id}, {ca.type})")
    print(f"issued ({len(issued)}):")
    for r in issued:
        until = dt.datetime.fromtimestamp(r["not_after"], dt.UTC).strftime("%Y-%m-%d")
        flag = "  REVOKED" if r["revoked"] else ""
        attrs = f"  {json.dumps(r['attributes'], sort_keys=True)}" if r["attributes"] else ""
        print(f"  {r['cert_id']}  {r['name']:<16} until {until}{attrs}{flag}")
    print(f"revoked ({len(revoked)}):")
    for r in revoked:
        print(f"  {r.get('cert_id')}  chain {r.get('chain_id')}  reason: {r.get('reason')}")
    return 0
