"""Shared pieces of the `fae` command line: errors, homes, URLs, arguments, output."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from typing import Any

from faechain.core.errors import FaeError

EXIT_OK = 0
EXIT_FAILED = 1  # a rejected transaction, a failed verification, an unreachable node
EXIT_USAGE = 2  # the command line itself is wrong (argparse uses 2 as well)

DEFAULT_HOME = os.path.join("~", ".faechain", "demo")


class CliError(FaeError):
    """A user-facing failure: printed as one line on stderr, never as a traceback; the
    command then exits with `exit_status` (its `code`, like every FaeError's, is text)."""

    code = "command_failed"

    def __init__(self, message: str, exit_status: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_status = exit_status


class UsageError(CliError):
    """The command line itself is wrong: exit status 2, as argparse's own usage errors."""

    code = "bad_usage"

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)


# -- homes and URLs ---------------------------------------------------------------------
def default_home() -> str:
    """`$FAE_HOME`, else ~/.faechain/demo (what `fae demo` creates)."""
    return os.path.abspath(os.path.expanduser(os.environ.get("FAE_HOME") or DEFAULT_HOME))


def load_genesis(path: str):
    """The genesis document at `path`; UsageError (what is wrong with which file) otherwise."""
    from faechain.core.genesis import Genesis

    try:
        genesis = Genesis.load(path)
    except FileNotFoundError:
        raise UsageError(f"no such genesis file: {path}") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise UsageError(f"{path} is not a genesis document: {exc}") from None
    if not isinstance(genesis.chain_id, str) or not genesis.chain_id:
        raise UsageError(f"{path} has no chain_id")
    return genesis


def resolve_home(home: str | None) -> str:
    return os.path.abspath(os.path.expanduser(home)) if home else default_home()


def url_from_home(home: str) -> str:
    """http://host:port of the node whose home this is (from its config.json)."""
    from faechain.node.config import NodeConfig

    try:
        cfg = NodeConfig.load(home)
    except FileNotFoundError:
        raise UsageError(f"no node configuration in {home} (give --url, or --home of a node; "
                         "`fae demo` creates one)") from None
    except (ValueError, TypeError) as exc:
        raise CliError(f"{os.path.join(home, 'config.json')} is not a valid node configuration: {exc}") from None
    host = cfg.host
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{cfg.port}"


def normalize_url(url: str) -> str:
    """A node's base URL: `host:port` means http://host:port; a scheme other than http or
    https, or a URL without a host, is a usage error (not "cannot reach http://ftp://x")."""
    from urllib.parse import urlsplit

    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"--url {url}: a node's URL is http://host:port (or https://); "
                         f"{parts.scheme!r} is not a scheme faechain speaks")
    if not parts.hostname:
        raise UsageError(f"--url {url}: no host in it (a node's URL is http://host:port)")
    return url.rstrip("/")


def resolve_url(args: argparse.Namespace) -> str:
    url = getattr(args, "url", None)
    if url:
        return normalize_url(url)
    return url_from_home(resolve_home(getattr(args, "home", None)))


def load_identity(home: str, name: str):
    """A wallet identity (`<home>/wallet/<name>/`), or a one-line usage error."""
    from faechain.identity.wallet import Identity

    try:
        return Identity.load(home, name)
    except FileNotFoundError:
        raise UsageError(f"no identity {name!r} in wallet {os.path.join(home, 'wallet')}") from None
    except (OSError, ValueError, KeyError) as exc:
        raise CliError(f"cannot load identity {name!r} from {os.path.join(home, 'wallet')}: {exc}") from None


# -- key=value arguments ------------------------------------------------------------------
def parse_value(text: str) -> Any:
    """`hex:...` → bytes; JSON when it parses (`100`, `true`, `{"a":1}`); otherwise the text."""
    if text.startswith("hex:"):
        raw = text[4:]
        if raw.startswith(("0x", "0X")):
            raw = raw[2:]
        try:
            return bytes.fromhex(raw)
        except ValueError:
            raise UsageError(f"{text!r} is not valid hex") from None
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_pairs(pairs: list[str], what: str = "argument") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"{what} {pair!r} must look like key=value")
        if key in out:
            raise UsageError(f"{what} {key!r} given twice")
        out[key] = parse_value(value)
    return out


# -- output ---------------------------------------------------------------------------------
def to_jsonable(value: Any) -> Any:
    """Bytes as hex, dataclasses and objects as maps, so anything prints as JSON."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return to_jsonable(value.to_dict())
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "__dict__"):
        return {k: to_jsonable(v) for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)


def print_json(value: Any, file=None) -> None:
    print(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False), file=file or sys.stdout)


def receipt_dict(receipt: Any) -> dict:
    """A receipt (SDK or Application) as a JSON-friendly map with `ok` first."""
    data = to_jsonable(receipt)
    if not isinstance(data, dict):
        return {"receipt": data}
    if "ok" not in data:
        data = {"ok": data.get("code") == "ok", **data}
    if "tx" in data and "tx_hash" not in data:
        data["tx_hash"] = data.pop("tx")
    return data


def receipt_ok(receipt: Any) -> bool:
    ok = getattr(receipt, "ok", None)
    if ok is None and isinstance(receipt, dict):
        ok = receipt.get("ok", receipt.get("code") == "ok")
    return bool(ok)


# -- talking to a node through the SDK -------------------------------------------------------
def make_client(url: str, identity=None):
    try:
        from faechain.sdk import Client
    except ImportError as exc:  # the SDK client ships with the node's API
        raise CliError(f"the faechain SDK client is not available: {exc}") from None
    return Client(url, identity=identity) if identity is not None else Client(url)


def describe_error(exc: BaseException, url: str | None = None, unsigned: bool = False) -> str:
    """One line for an SDK, network or node error (`unsigned`: the read was made without an
    identity, so a record hidden from non-members reads as absent: say how to sign it)."""
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, (ConnectionError, TimeoutError)) or _is_connection_error(exc):
        where = f" at {url}" if url else ""
        return f"cannot reach the node{where}: {message} (is it running? `fae demo` starts one)"
    if code == "unavailable" and "reach" in message:
        return f"{message} (is the node running? `fae demo` starts one)"
    if code == "unauthenticated":
        return f"{code}: {message} (sign the read with --as NAME)"
    if code == "not_found" and unsigned:
        return f"{code}: {message} (read unsigned, as a non-member; --as NAME reads as a member)"
    if isinstance(code, str) and code:
        return f"{code}: {refusal_text(code, message)}"
    return message


# -- refusals, in the reader's language ---------------------------------------------------------
REFUSED = {"transaction": ("交易被拒绝", "transaction rejected"), "revocation": ("吊销被拒绝", "revocation rejected"),
           "dry_run": ("交易将被拒绝（试运行）", "transaction would be rejected (dry run)")}


def refusal_text(code: str, message: str, environ=None) -> str:
    """A node's refusal as the reader of this terminal reads it: Chinese when LC_ALL,
    LC_MESSAGES or LANG (the first set) starts with "zh", else English; amounts in 元 and
    times in China time either way (`faechain.core.refusals`)."""
    from faechain.core.refusals import language_from_env, localise

    lang = language_from_env(os.environ if environ is None else environ)
    return localise(code, message, lang, explain=lang == "zh")


def refused_line(what: str, code: str, message: str, environ=None) -> str:
    """"fae: transaction rejected [limit_exceeded]: amount 1,500,000.00 元 exceeds ..." (or
    "fae: 交易被拒绝 [limit_exceeded]：金额 150.00 万元 超过 ..."): the code stays in brackets, in
    any language, for scripts to find."""
    from faechain.core.refusals import language_from_env

    zh = language_from_env(os.environ if environ is None else environ) == "zh"
    head = REFUSED.get(what, REFUSED["transaction"])[0 if zh else 1]
    text = refusal_text(code, message, environ)
    return f"fae: {head} [{code}]" + ((("：" if zh else ": ") + text) if text else "")


def _is_connection_error(exc: BaseException) -> bool:
    names = {c.__name__ for c in type(exc).__mro__}
    return bool(names & {"ClientConnectorError", "ServerDisconnectedError", "ClientConnectionError",
                         "URLError", "ConnectionError", "ConnectTimeoutError", "ServerTimeoutError"})


def sdk_call(url: str | None, fn, *args, **kwargs):
    """`fn(*args, **kwargs)` on the SDK client of `url`; its errors become one-line CliErrors."""
    try:
        return fn(*args, **kwargs)
    except CliError:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        if os.environ.get("FAE_DEBUG"):
            raise
        client = getattr(fn, "__self__", None)
        unsigned = client is not None and hasattr(client, "identity") and client.identity is None
        raise CliError(describe_error(exc, url, unsigned)) from None
