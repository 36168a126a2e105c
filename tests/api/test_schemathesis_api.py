"""schemathesis against the node's own /openapi.json: every route, generated requests.

The schema is loaded from a running demo node (anonymous reads off, as on a real node).
Every generated request is signed as a demo member by `SignedRead`, a requests auth that
signs the final method, path, query and body the way the SDK does, so requests reach the
handlers instead of bouncing with 401; console routes get a signed-in session cookie and
its CSRF token. Both positive and negative (schema-violating) requests are generated.

Each answer must be no 5xx; a status, content type and body the document gives for the
route; and, for an error, a `code` the document lists for that route and status
(`documented_error_code`). An event stream (/v1/events, /console/api/events, a console
read of events) never ends: its status and head are checked and it is closed.

FAE_SCHEMATHESIS_EXAMPLES sets the examples per operation (default 25).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from urllib.parse import urlsplit

import pytest

schemathesis = pytest.importorskip("schemathesis")
import cbor2  # noqa: E402
import requests  # noqa: E402 - schemathesis brings it
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

from faechain.api.openapi import documented_codes  # noqa: E402
from faechain.core.encoding import EncodingError, encode  # noqa: E402
from faechain.core.wire import signed_path  # noqa: E402

EXAMPLES = int(os.environ.get("FAE_SCHEMATHESIS_EXAMPLES", "25"))
SEEN: dict[str, set[int]] = {}  # "METHOD path" -> statuses answered
STREAMS = {"/v1/events", "/console/api/events"}
SIGNER = "regulator"  # reads everything: history, audit export, every module's records


class SignedRead(requests.auth.AuthBase):
    """Sign the prepared request as `identity` (X-Fae-* headers over method, path, query, body)."""

    def __init__(self, identity, chain_id: str):
        self.identity, self.chain_id = identity, chain_id

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        parts = urlsplit(r.url)
        date = int(time.time() * 1000)
        sig = self.identity.sign_read(self.chain_id, r.method, signed_path(parts.path, parts.query),
                                      hashlib.sha256(body).digest(), date)
        r.headers.update({"X-Fae-Signer": self.identity.cert_id.hex(), "X-Fae-Date": str(date),
                          "X-Fae-Signature": base64.b64encode(sig).decode(),
                          "X-Fae-Cert": base64.b64encode(self.identity.cert).decode()})
        return r


def served_document() -> dict:
    """What GET /openapi.json serves (test_the_schema_is_the_served_document checks it)."""
    from faechain.api.openapi import build_document, finish
    from faechain.api.server import version
    from faechain.console.openapi import extend

    return finish(extend(build_document(version())))


@schemathesis.serializer("application/cbor")
def cbor_body(ctx, value) -> bytes:
    """CBOR request bodies: canonical when the value is one of the model, plain cbor2 otherwise."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    try:
        return encode(value)
    except EncodingError:
        return cbor2.dumps(value)


DOC = served_document()
schema = schemathesis.openapi.from_dict(DOC)  # loaded at collection: one test per operation
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


def test_the_schema_is_the_served_document(api_node):
    assert requests.get(api_node.url + "/openapi.json", timeout=10).json() == json.loads(json.dumps(DOC))


@pytest.fixture(scope="module")
def console_session(api_node) -> dict:
    """A signed-in console session: (cookies, CSRF header), renewed if a generated DELETE ends it."""
    state: dict = {}

    def get() -> tuple[dict, dict]:
        if not state:
            r = requests.post(api_node.url + "/console/api/session", json={"name": SIGNER},
                              headers={"X-Fae-CSRF": "sign-in"}, timeout=10)
            assert r.status_code == 200, r.text
            state.update(cookies=dict(r.cookies), csrf=r.json()["csrf"])
        return state["cookies"], {"X-Fae-CSRF": state["csrf"]}

    get.reset = state.clear  # type: ignore[attr-defined]
    return get


def routed(doc: dict, method: str, concrete: str) -> str | None:
    """The documented path template serving `method` at the concrete path, if any
    (GET /v1/txs/batch is GET /v1/txs/{hash} with hash "batch")."""
    for template, item in doc["paths"].items():
        if method.lower() in item and re.fullmatch(re.sub(r"\\\{[^}]+\\\}", ".+", re.escape(template)), concrete):
            return template
    return None


def documented_error_code(doc: dict):
    def check(ctx, response, case):
        status = response.status_code
        if status < 400:
            return
        try:
            code = json.loads(response.content).get("code")
        except (ValueError, AttributeError):
            raise AssertionError(f"error {status} without a JSON body: {response.content[:200]!r}") from None
        path = case.operation.path
        if case.method.lower() not in doc["paths"][path]:  # an undocumented method: another route's, or 405
            path = routed(doc, case.method, urlsplit(response.request.url).path)
            if path is None:
                assert status == 405 and code == "method_not_allowed", (case.method, status, code)
                return
        allowed = documented_codes(doc, path, case.method.lower(), status)
        assert code in allowed, (f"{case.method} {case.operation.path} answered {status} {code!r}; "
                                 f"the document lists {sorted(allowed)} for {status}")
    check.__name__ = "documented_error_code"
    return check


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_route_answers_as_documented(case, api_node, ids, console_session):
    path = case.operation.path
    stream = path in STREAMS or (path == "/console/api/read/{path}" and str(
        (case.path_parameters or {}).get("path", "")).lstrip("/").split("?")[0].rstrip("/") == "events")
    if path == "/v1/dev/advance_time" and isinstance(case.body, dict) and type(case.body.get("seconds")) is int:
        # a year's jump would outrun the demo certificates' validity and end every later read
        case.body["seconds"] = min(case.body["seconds"], 60)
    kwargs: dict = {"timeout": 60}
    if path.startswith("/console/"):
        cookies, csrf = console_session()
        kwargs["cookies"] = cookies
        if "X-Fae-CSRF" in (case.headers or {}):
            case.headers["X-Fae-CSRF"] = csrf["X-Fae-CSRF"]
    else:
        kwargs["auth"] = SignedRead(ids(SIGNER), api_node.app.chain_id)
    if stream:  # an event stream never ends: its head (or its error) is checked, then it is closed
        transport = case.as_transport_kwargs(base_url=api_node.url)
        transport["cookies"] = {**(transport.get("cookies") or {}), **kwargs.pop("cookies", {})}
        response = requests.request(**transport, stream=True, **kwargs)
        if response.status_code == 200:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            assert response.raw.readline().startswith(b": faechain event stream")
            response.close()
            SEEN.setdefault(f"{case.method.upper()} {path}", set()).add(200)
            return
        _ = response.content  # an error: a short JSON body, read whole
    else:
        response = case.call(base_url=api_node.url, **kwargs)
    if case.method.lower() in DOC["paths"][path]:  # not schemathesis's probes of other methods
        SEEN.setdefault(f"{case.method.upper()} {path}", set()).add(response.status_code)
    if path == "/console/api/session" and case.method.upper() in ("DELETE", "POST"):
        console_session.reset()
    case.validate_response(response, checks=[
        schemathesis.checks.not_a_server_error,
        schemathesis.specs.openapi.checks.status_code_conformance,
        schemathesis.specs.openapi.checks.content_type_conformance,
        schemathesis.specs.openapi.checks.response_schema_conformance,
        documented_error_code(DOC),
    ])


def test_generated_requests_reach_the_handlers():
    """The signing works: every operation answered something other than 401 (runs last)."""
    if not SEEN:
        pytest.skip("run with the schemathesis tests above")
    unreached = sorted(op for op, statuses in SEEN.items() if statuses <= {401})
    assert not unreached, f"only 401 answered: {unreached}"
