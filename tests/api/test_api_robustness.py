"""Hostile request bodies and parameters: a 4xx with a documented code, never a 500.

Each case here was a 500 (`internal`) before its fix — found by fuzzing the API's
parsers (fuzz/targets.py: api_body, api_params) and by schemathesis:

- JSON nested deeper than Python recurses (RecursionError) or holding an integer of over
  4,300 digits (ValueError from int conversion) in any JSON body: submit, batch, query,
  advance_time;
- query arguments outside the ledger's value model (a lone surrogate made the state
  lookup raise UnicodeEncodeError; floats and NaN reached the contract);
- heights, cursors and Last-Event-ID beyond SQLite's 64-bit integers (OverflowError in
  the store): /v1/blocks/{height}, /v1/history?after=, /v1/state?height=, /v1/events.
"""

from __future__ import annotations

import http.client
import json

import pytest

from faechain.api.http import MAX_INT_PARAM
from tests.api.test_api_rest import raw

DEEP = b"[" * 100_000
HUGE_INT = b"9" * 5000
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("body", [DEEP, b'{"tx": ' + DEEP + b"}", HUGE_INT, b'{"tx": ' + HUGE_INT + b"}"],
                         ids=["deep", "deep-inside", "huge-int", "huge-int-inside"])
@pytest.mark.parametrize("path", ["/v1/txs", "/v1/txs/batch", "/v1/query/membership/orgs",
                                  "/v1/dev/advance_time"])
def test_hostile_json_is_a_bad_request(api_node, ids, path, body):
    status, _, doc = raw(api_node, "POST", path, body=body, headers=JSON, sign=ids("exchange"))
    assert status == 400 and doc["code"] == "bad_request", (status, doc)
    assert "JSON" in doc["message"]


@pytest.mark.parametrize("args", [b'{"org_id": "\\ud800"}', b'{"org_id": 1.5}', b'{"org_id": NaN}',
                                  b'{"org_id": {"a": [1e400]}}', b'{"org_id": 18446744073709551616}',
                                  b'{"x": ' + b"[" * 40 + b"]" * 40 + b"}"],
                         ids=["surrogate", "float", "nan", "infinity", "int65", "nested-40"])
def test_query_arguments_must_be_values_of_the_model(api_node, ids, args):
    status, _, doc = raw(api_node, "POST", "/v1/query/membership/org", body=args, headers=JSON,
                         sign=ids("exchange"))
    assert status == 400 and doc["code"] == "bad_request", (status, doc)
    # the same query with a proper argument is answered
    status, _, doc = raw(api_node, "POST", "/v1/query/membership/org", headers=JSON, sign=ids("exchange"),
                         body=json.dumps({"org_id": ids("exchange").org_id}).encode())
    assert status == 200 and doc["result"]["id"] == ids("exchange").org_id


HUGE = str(MAX_INT_PARAM + 1)


@pytest.mark.parametrize("path", [
    f"/v1/blocks/{HUGE}", f"/v1/blocks/{'9' * 40}", f"/v1/history?ref=V-1-0-1&after={HUGE}:0",
    f"/v1/history?ref=V-1-0-1&after=0:{HUGE}", f"/v1/state?key=a&height={HUGE}",
    f"/v1/audit/export?to_height={HUGE}", f"/v1/history?ref=V-1-0-1&limit={HUGE}"])
def test_numbers_beyond_64_bits_are_refused(api_node, ids, path):
    status, _, doc = raw(api_node, "GET", path, sign=ids("regulator"))
    assert status in (400, 404) and doc["code"] in ("bad_request", "not_found"), (status, doc)


# Issue 24: Python's int() reads other scripts' digits, underscores, spaces and a plus sign;
# a URL holding those names no block (`/v1/blocks/١٢` was block 12).
ODD_NUMBERS = ["\u0661\u0662", "1_2", "+12", "%2012", "12%20", "\uff11\uff12"]


@pytest.mark.parametrize("number", ODD_NUMBERS, ids=["arabic-indic", "underscore", "plus", "space-before",
                                                      "space-after", "fullwidth"])
def test_numbers_are_ascii_decimal_digits(api_node, ids, number):
    from urllib.parse import quote

    text = quote(number, safe="%+_")
    for path in (f"/v1/blocks/{text}", f"/v1/history?ref=V-1-0-1&after={text}:0", f"/v1/state?key=a&height={text}"):
        status, _, doc = raw(api_node, "GET", path, sign=ids("regulator"))
        assert status == 400 and doc["code"] == "bad_request", (path, status, doc)
    status, _, doc = raw(api_node, "GET", "/v1/blocks/0", sign=ids("regulator"))  # genesis: always there
    assert status == 200


def test_parse_int_takes_only_ascii_decimal():
    from faechain.api.http import parse_int

    assert parse_int("12") == 12 and parse_int("-3") == -3 and parse_int("0") == 0
    for bad in ["\u0661\u0662", "1_2", "+12", " 12", "12 ", "", "-", "0x1", "1e3", "\uff11"]:
        with pytest.raises(ValueError):
            parse_int(bad)


@pytest.mark.parametrize("header", [HUGE, "-3", "x"])
def test_event_stream_resume_point_must_be_a_height(api_node, ids, header):
    status, _, doc = raw(api_node, "GET", "/v1/events", headers={"Last-Event-ID": header}, sign=ids("exchange"))
    assert status == 400 and doc["code"] == "bad_request"


def test_event_stream_resumes_after_a_good_last_event_id(api_node, ids):
    import base64
    import hashlib
    import time

    ident, date = ids("exchange"), int(time.time() * 1000)
    sig = ident.sign_read(api_node.app.chain_id, "GET", "/v1/events", hashlib.sha256(b"").digest(), date)
    conn = http.client.HTTPConnection(api_node.config.host, api_node.config.port, timeout=10)
    try:
        conn.request("GET", "/v1/events", headers={
            "Last-Event-ID": "0", "X-Fae-Signer": ident.cert_id.hex(), "X-Fae-Date": str(date),
            "X-Fae-Signature": base64.b64encode(sig).decode(), "X-Fae-Cert": base64.b64encode(ident.cert).decode()})
        resp = conn.getresponse()
        assert resp.status == 200
        seen = b""
        while b"id: 1\n" not in seen:  # history from height 1, the block after the last id
            seen += resp.readline()
        assert b"id: 0\n" not in seen
    finally:
        conn.close()


def test_the_console_block_view_beyond_64_bits_is_not_found(api_node):
    """The console's explorer reads blocks through the API's own block view (`Api.block_doc`)."""
    status, headers, doc = raw(api_node, "POST", "/console/api/session", body=b'{"name": "regulator"}',
                               headers={**JSON, "X-Fae-CSRF": "x"})
    assert status == 200 and doc["signed_in"], doc
    cookie = headers["Set-Cookie"].split(";")[0]
    status, _, doc = raw(api_node, "GET", f"/console/api/blocks/{HUGE}", headers={"Cookie": cookie})
    assert status == 404 and doc["code"] == "not_found", (status, doc)  # 500 (OverflowError) before
    status, _, doc = raw(api_node, "GET", "/console/api/blocks/1", headers={"Cookie": cookie})
    assert status == 200 and doc["height"] == 1


@pytest.fixture(scope="module")
def console(api_node):
    """A console session signed in as the regulator: (headers with its cookie and CSRF token)."""
    status, headers, doc = raw(api_node, "POST", "/console/api/session", body=b'{"name": "regulator"}',
                               headers={**JSON, "X-Fae-CSRF": "x"})
    assert status == 200, doc
    return {**JSON, "Cookie": headers["Set-Cookie"].split(";")[0], "X-Fae-CSRF": doc["csrf"]}


PREPARE = b'{"contract": "membership", "method": "set_attributes", "args": {"org_id": %s, "attributes": {}}}'


@pytest.mark.parametrize("path,body", [
    ("/console/api/query/membership/org", DEEP), ("/console/api/query/membership/org", HUGE_INT),
    ("/console/api/query/membership/org", b'{"org_id": "\\ud800"}'), ("/console/api/session", DEEP),
    ("/console/api/tx/prepare", PREPARE % b'"\\ud800"'), ("/console/api/tx/prepare", PREPARE % b"18446744073709551616"),
    ("/console/api/tx/prepare", PREPARE % (b"[" * 40 + b"]" * 40)), ("/console/api/tx/submit", DEEP)],
    ids=["query-deep", "query-huge-int", "query-surrogate", "session-deep", "prepare-surrogate", "prepare-int65",
         "prepare-nested-40", "submit-deep"])
def test_the_consoles_json_is_checked_like_the_apis(api_node, console, path, body):
    """The console's own JSON reader and argument conversion had the same 500s (RecursionError,
    ValueError, and EncodingError from signing a body of out-of-model arguments)."""
    status, _, doc = raw(api_node, "POST", path, body=body, headers=console)
    assert status == 400 and doc["code"] == "bad_request", (status, doc)


@pytest.mark.parametrize("request_bytes", [
    b"GET /v1/info?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /v1/info HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
    b"GET /v1/info HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",
    b"GET /v1/info HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n",
], ids=["long-line", "long-header", "many-headers", "bad-length", "tls-hello"])
def test_http_level_refusals_are_json_with_a_code(api_node, request_bytes):
    """aiohttp refuses these before any route or middleware runs; it answered text/plain
    (found by schemathesis: a query string over 8,190 bytes)."""
    import socket

    with socket.create_connection((api_node.config.host, api_node.config.port), timeout=10) as s:
        s.sendall(request_bytes)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == b"400" and b"application/json" in head, data[:300]
    assert json.loads(body)["code"] == "bad_request"
