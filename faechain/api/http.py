"""What every route shares: query parameters, request bodies and JSON responses.

Each parser refuses bad input with `HttpError("bad_request", ...)` (a message a person can
act on) and otherwise returns a value in range: heights, cursors and limits within
SQLite's 64-bit integers, timeouts finite and positive. They are plain functions so that
the fuzz targets (fuzz/targets.py) run them directly.
"""

from __future__ import annotations

import json
import re
from typing import Any, overload

from aiohttp import web

from faechain.api.errors import HttpError
from faechain.chain.results import Receipt
from faechain.core.block import Header
from faechain.core.encoding import EncodingError, check, decode
from faechain.core.wire import b64decode, json_default, jsonable

DEFAULT_WAIT_TIMEOUT = 30.0
MAX_WAIT_TIMEOUT = 300.0
MAX_BATCH = 1000  # envelopes per POST /v1/txs/batch
MAX_INT_PARAM = 2**63 - 1  # SQLite's largest INTEGER: no height, index or limit lies beyond it


def json_response(data: Any, status: int = 200, headers: dict | None = None) -> web.Response:
    body = json.dumps(data, default=json_default, separators=(",", ":")).encode()
    return web.Response(body=body, status=status, content_type="application/json", headers=headers)


def receipt_json(r: Receipt) -> dict:
    return {
        "ok": r.ok,
        "code": r.code,
        "message": r.message,
        "tx_hash": r.tx_hash.hex(),
        "height": r.height,
        "index": r.index,
        "result": jsonable(r.result),
        "events": jsonable(r.events),
    }


def header_json(header: Header) -> dict:
    return jsonable(header.to_map())


# -- parameter parsing ---------------------------------------------------------------------
ASCII_INTEGER = re.compile(r"-?[0-9]{1,20}")


def parse_int(text: str) -> int:
    """An integer written in ASCII decimal digits (an optional leading minus). Python's
    `int` also takes other scripts' digits (`"١٢"`), underscores, spaces and a plus sign: a
    URL holding those names nothing, so ValueError, as for any other non-number."""
    if not ASCII_INTEGER.fullmatch(text):
        raise ValueError(f"not a decimal integer: {text[:40]!r}")
    return int(text)


@overload
def int_param(request: web.Request, name: str, default: int, minimum: int = 0) -> int: ...
@overload
def int_param(request: web.Request, name: str, default: None = None, minimum: int = 0) -> int | None: ...
def int_param(request: web.Request, name: str, default: int | None = None, minimum: int = 0) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = parse_int(raw)
    except ValueError:
        raise HttpError("bad_request", f"parameter {name!r} must be an integer") from None
    if value < minimum:
        raise HttpError("bad_request", f"parameter {name!r} must be at least {minimum}")
    if value > MAX_INT_PARAM:
        raise HttpError("bad_request", f"parameter {name!r} must be at most {MAX_INT_PARAM}")
    return value


def bool_param(request: web.Request, name: str, default: bool) -> bool:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    low = raw.lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise HttpError("bad_request", f"parameter {name!r} must be true or false")


def timeout_param(request: web.Request) -> float:
    timeout_raw = request.query.get("timeout")
    try:
        timeout = float(timeout_raw) if timeout_raw else DEFAULT_WAIT_TIMEOUT
    except ValueError:
        raise HttpError("bad_request", "parameter 'timeout' must be a number of seconds") from None
    if not 0 < timeout <= MAX_WAIT_TIMEOUT:
        raise HttpError("bad_request", f"parameter 'timeout' must lie in (0, {MAX_WAIT_TIMEOUT:g}]")
    return timeout


def batch_body(content_type: str, body: bytes) -> list[bytes]:
    """The envelopes of a batch submission: a canonical CBOR array of byte strings, or
    JSON `{"txs": ["<base64>", ...]}`; at most MAX_BATCH of them."""
    if content_type == "application/cbor":
        try:
            doc = decode(body)
        except EncodingError as exc:
            raise HttpError("bad_request", f"malformed CBOR batch: {exc}") from None
        if type(doc) is not list or any(type(x) is not bytes for x in doc):
            raise HttpError("bad_request", "a CBOR batch is an array of envelope byte strings")
        raws = doc
    elif content_type == "application/json":
        doc = json_body(body)
        txs = doc.get("txs") if isinstance(doc, dict) else None
        if not isinstance(txs, list) or any(not isinstance(x, str) for x in txs):
            raise HttpError("bad_request", 'a JSON batch is {"txs": ["<base64 envelope>", ...]}')
        if len(txs) > MAX_BATCH:
            raise HttpError("too_large", f"a batch holds at most {MAX_BATCH} transactions, not {len(txs)}")
        raws = []
        for i, text in enumerate(txs):
            try:
                raws.append(b64decode(text))
            except ValueError as exc:
                raise HttpError("bad_request", f"txs[{i}]: {exc}") from None
    else:
        raise HttpError("bad_request", "send the batch as application/cbor (an array of envelopes) "
                                      'or application/json ({"txs": [...]})')
    if not raws:
        raise HttpError("bad_request", "empty batch: send at least one envelope")
    if len(raws) > MAX_BATCH:
        raise HttpError("too_large", f"a batch holds at most {MAX_BATCH} transactions, not {len(raws)}")
    return raws


def submit_body(content_type: str, body: bytes) -> bytes:
    """The envelope of POST /v1/txs: the body itself, or JSON `{"tx": "<base64>"}`."""
    if content_type == "application/json":
        doc = json_body(body)
        if not isinstance(doc, dict) or not isinstance(doc.get("tx"), str):
            raise HttpError("bad_request", 'a JSON submission is {"tx": "<base64 envelope>"}')
        try:
            raw = b64decode(doc["tx"])
        except ValueError as exc:
            raise HttpError("bad_request", str(exc)) from None
    else:
        raw = body
    if not raw:
        raise HttpError("bad_request", "empty body: send the signed envelope")
    return raw


def query_args(content_type: str, body: bytes) -> dict:
    """The named arguments of POST /v1/query: a JSON object, or a canonical CBOR map;
    values of the ledger's value model only (no floats, no lone surrogates, 64-bit ints)."""
    if content_type == "application/cbor":
        try:
            args = decode(body) if body else {}
        except EncodingError as exc:
            raise HttpError("bad_request", f"malformed CBOR arguments: {exc}") from None
    else:
        args = json_body(body) if body.strip() else {}
    if not isinstance(args, dict):
        raise HttpError("bad_request", "the arguments must be an object of named arguments")
    try:
        check(args)
    except EncodingError as exc:
        raise HttpError("bad_request", f"unacceptable argument value: {exc}") from None
    return args


def advance_seconds(body: bytes) -> int:
    """The `seconds` of POST /v1/dev/advance_time's body `{"seconds": n}`."""
    doc = json_body(body) if body.strip() else {}
    seconds = doc.get("seconds") if isinstance(doc, dict) else None
    if type(seconds) is not int:
        raise HttpError("bad_request", 'the body is {"seconds": <positive integer>}')
    return seconds


def resume_from(request: web.Request) -> int | None:
    """The first height an event stream sends: after `Last-Event-ID` (a reconnecting
    EventSource), else the `from` parameter, else None (live only)."""
    first = int_param(request, "from")
    last_id = request.headers.get("Last-Event-ID")
    if last_id:
        try:
            last = parse_int(last_id.split("-")[0])
        except ValueError:
            raise HttpError("bad_request", "Last-Event-ID must be a block height") from None
        if not 0 <= last <= MAX_INT_PARAM:
            raise HttpError("bad_request", "Last-Event-ID must be a block height")
        first = last + 1  # resume after the last complete block
    return first


def hex_param(text: str, what: str, length: int | None = None) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise HttpError("bad_request", f"{what} must be hex") from None
    if length is not None and len(value) != length:
        raise HttpError("bad_request", f"{what} must be {length} bytes")
    return value


def json_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # also: integers of over 4,300 digits, deep nesting
        raise HttpError("bad_request", f"malformed JSON: {exc}") from None


