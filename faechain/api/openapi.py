"""The OpenAPI 3.1 document of the REST API, written by hand.

tests/api checks that every route the server registers appears here with its
method, so a new route cannot ship undocumented.

Why one file (over 500 lines): one document, one entry per route, checked as a whole
against the routes the server registers.
"""

from __future__ import annotations

import re

from faechain.api.errors import stable_codes
from faechain.core.wire import MAX_CLOCK_SKEW_MS

DESCRIPTION = f"""\
REST API of a faechain node: submit signed transactions, read blocks, transactions and
authenticated state (with proofs), run contract queries as a member, and follow blocks and
contract events as server-sent events.

**JSON conventions.** Byte strings (hashes, certificate ids, keys, signatures, byte
arguments) render as lowercase hex strings. Integers are exact (times are unix
milliseconds). Every error has the body `{{"code": "...", "message": "..."}}` (sometimes
with `tx_hash` or `reason`); `code` is stable and listed in the `Error` schema, `message`
is for humans. Receipts carry the same codes (`"ok"` on success).

**Signed reads.** Every read except `/v1/info`, `/healthz`, `/metrics`, `/openapi.json`
and `/` requires a consortium member's signature, unless the node allows anonymous reads
(only a dev chain on loopback may). Send the headers `X-Fae-Signer` (certificate id, hex),
`X-Fae-Cert` (certificate DER, base64; optional once the certificate is registered on
chain), `X-Fae-Date` (unix ms, within ±{MAX_CLOCK_SKEW_MS // 1000} s of the node's clock) and
`X-Fae-Signature` (base64 signature by the member's key over
`"faechain/read/v1\\0" || canonical CBOR [chain_id, METHOD, signed_path, sha256(body), date]`).
`signed_path` is the raw request path plus `?` and the raw query string with the auth
parameters removed (remaining parameters keep their order and encoding). The four values
may instead be passed as query parameters `signer`, `cert`, `date`, `sig` (for browsers'
EventSource). A missing or bad signature gives 401 `unauthenticated` (with `reason`, e.g.
`unknown_signer`, `revoked`, `not_member`, `bad_certificate`, `bad_signature`, `clock_skew`).
Transactions (`POST /v1/txs`) authenticate themselves by their signature.

**Document vault.** Documents' bytes stay off chain, in each node's vault, named by
their hash (the chain suite's hash, as in genesis; `suite` in `/v1/info`); contracts
record the hashes. `PUT /v1/vault/{{hash}}` stores a document and `GET /v1/vault/{{hash}}`
fetches it; the contract named by `scope` decides who may do either.
"""

J = "application/json"
# check_tx rejections POST /v1/txs answers with 400 (the others: 409 replay, 413 too_large,
# 429 mempool_full; see faechain.api.server.SUBMIT_STATUS)
CHECK_400 = ("bad_encoding", "wrong_chain", "tx_expired", "unknown_contract", "unknown_method", "unknown_signer",
             "bad_certificate", "revoked", "not_member", "bad_signature")


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {J: {"schema": schema}}}


def _err(description: str, *codes: str) -> dict:
    """An error response whose body's `code` is one of `codes` (default: the codes the
    description names in backticks); the schema lists them, so clients and tests know
    exactly which codes a route answers with each status."""
    return error_response(description, codes)


def named_codes(description: str) -> list[str]:
    """The stable codes a description names in backticks, in order."""
    known = stable_codes()
    out: list[str] = []
    for name in re.findall(r"`([a-z_]+)`", description):
        if name in known and name != "ok" and name not in out:
            out.append(name)
    return out


def error_response(description: str, codes=()) -> dict:
    codes = list(codes) or named_codes(description)
    if not codes:
        raise ValueError(f"an error response names no code: {description!r}")
    return _json({"allOf": [_ref("Error"), {"properties": {"code": {"enum": sorted(set(codes))}}}]}, description)


def documented_codes(doc: dict, path: str, method: str, status: int) -> set[str]:
    """The error codes `doc` lists for `method path` answering `status` (empty: none)."""
    response = doc["paths"].get(path, {}).get(method.lower(), {}).get("responses", {}).get(str(status))
    schema = ((response or {}).get("content", {}).get(J) or {}).get("schema") or {}
    for part in schema.get("allOf", []):
        enum = part.get("properties", {}).get("code", {}).get("enum")
        if enum:
            return set(enum)
    return set()


HEX = {"type": "string", "pattern": "^[0-9a-f]*$", "description": "bytes as lowercase hex"}
HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "32-byte hash as hex"}
CHECKED_HASH = {"type": "string", "pattern": "^([0-9a-f]{64})?$",
                "description": "the transaction's hash as hex; empty when the envelope did not decode "
                               "(or was not looked at: `mempool_full`)"}
SIGNED: list[dict[str, list[str]]] = [{"signedRead": []}]  # security requirement: scheme -> scopes
AUTH_ERRORS = {"401": _err("missing or bad read signature (`unauthenticated`)")}
BYTES = "application/octet-stream"


def _q(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def _p(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


AUTH_QUERY = [
    _q("signer", HASH, "read auth as a query parameter (instead of X-Fae-Signer)"),
    _q("cert", {"type": "string"}, "read auth: certificate DER, base64 (instead of X-Fae-Cert)"),
    _q("date", {"type": "integer"}, "read auth: unix ms (instead of X-Fae-Date)"),
    _q("sig", {"type": "string"}, "read auth: signature, base64 (instead of X-Fae-Signature)"),
]


def _schemas() -> dict:
    codes = stable_codes()
    return {
        "Error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": sorted(c for c in codes if c != "ok"),
                         "description": "stable error code:\n" + "\n".join(
                             f"- `{c}`: {d}" for c, d in codes.items() if c != "ok")},
                "message": {"type": "string"},
                "tx_hash": CHECKED_HASH,
                "reason": {"type": "string", "description": "for `unauthenticated`: the underlying cause"},
            },
        },
        "Event": {
            "type": "object",
            "properties": {"contract": {"type": "string"}, "type": {"type": "string"}, "attrs": {"type": "object"}},
        },
        "Receipt": {
            "type": "object",
            "required": ["ok", "code", "tx_hash", "height", "index"],
            "properties": {
                "ok": {"type": "boolean"},
                "code": {"type": "string", "description": "`ok` or a stable error code"},
                "message": {"type": "string"},
                "tx_hash": HASH,
                "height": {"type": "integer"},
                "index": {"type": "integer"},
                "result": {"description": "what the method returned (ids of what it created)"},
                "events": {"type": "array", "items": _ref("Event")},
            },
        },
        "Pending": {
            "type": "object",
            "required": ["tx_hash", "status"],
            "properties": {"tx_hash": HASH, "status": {"const": "pending"}, "message": {"type": "string"}},
        },
        "Header": {
            "type": "object",
            "properties": {
                "chain": {"type": "string"}, "height": {"type": "integer"}, "time": {"type": "integer"},
                "prev": HASH, "txs_root": HASH, "results_root": HASH, "app_hash": HASH, "proposer": HEX,
            },
        },
        "Block": {
            "type": "object",
            "properties": {
                "height": {"type": "integer"},
                "hash": HASH,
                "header": _ref("Header"),
                "txs": {"type": "array", "items": {"type": "object", "properties": {
                    "index": {"type": "integer"}, "hash": HASH, "code": {"type": "string"},
                    "contract": {"type": "string"}, "method": {"type": "string"}, "signer": HASH,
                    "receipt_hash": {**HASH, "description": "the results-root leaf: hash of the stored receipt"},
                    "withheld": {"type": "boolean", "description": "true: the reader may not see this transaction "
                                 "(docs/confidentiality.md); only index, hash and receipt_hash are given"},
                    "envelope": HEX, "receipt": HEX}}},
                "end_block_hash": {"oneOf": [HASH, {"type": "null"}],
                                   "description": "the extra results-root leaf, or null without end-block events"},
                "end_block": {"oneOf": [HEX, {"type": "null"}]},
                "end_block_withheld": {"type": "boolean"},
            },
        },
        "LightBlock": {
            "type": "object",
            "required": ["engine", "height", "header", "header_bytes", "block_hash"],
            "description": "What a light client checks a faechain block by, relayed by a node it does not "
                           "trust: it verifies the signatures itself (faechain.sdk.light).",
            "properties": {
                "engine": {"enum": ["solo", "cometbft"]},
                "height": {"type": "integer"},
                "header": _ref("Header"),
                "header_bytes": {**HEX, "description": "the canonical CBOR header; block_hash is its hash"},
                "block_hash": HASH,
                "signer": {"oneOf": [HEX, {"type": "null"}],
                           "description": "solo: the block signer's raw public key (a member compares it with "
                                          "the one in its genesis); null when genesis declares no signer"},
                "signature": {"oneOf": [HEX, {"type": "null"}],
                              "description": "solo: the signature over `\"faechain/header/v1\\0\" || canonical "
                                             "{chain, height, block_hash}` in the chain's suite; null if unsigned"},
                "commit": {"type": "object", "description": "cometbft: CometBFT RPC `/commit?height=height+1`, "
                                                            "verbatim (header h+1 carries the app hash after "
                                                            "faechain block h)"},
                "validators": {"type": "object", "description": "cometbft: CometBFT RPC `/validators?height="
                                                                "height+1`, every page merged"},
            },
        },
        "Transaction": {
            "type": "object",
            "description": "In full to a reader who may see the transaction (its signer, the regulator, the "
                           "exchange, whoever may read every record it is about: docs/confidentiality.md); to "
                           "anyone else withheld: tx_hash, hash, height, index, time, receipt_hash, withheld.",
            "properties": {
                "tx_hash": HASH, "hash": HASH, "height": {"type": "integer"}, "index": {"type": "integer"},
                "time": {"type": "integer"}, "chain": {"type": "string"}, "contract": {"type": "string"},
                "method": {"type": "string"}, "args": {"type": "object"}, "signer": HASH,
                "nonce": {"type": "integer"}, "expires": {"type": "integer"}, "signature": HEX,
                "cert_attached": {"type": "boolean"}, "size": {"type": "integer"}, "receipt": _ref("Receipt"),
                "receipt_hash": HASH, "withheld": {"type": "boolean"},
            },
        },
        "StateValue": {
            "type": "object",
            "properties": {
                "key": {"type": "string"}, "key_hex": HEX, "height": {"type": "integer"}, "app_hash": HASH,
                "found": {"type": "boolean"}, "value": {"oneOf": [HEX, {"type": "null"}]},
                "decoded": {"description": "the value decoded from canonical CBOR, when it is"},
                "proof": {"type": "object", "properties": {
                    "siblings": {"type": "array", "items": HASH},
                    "leaf": {"oneOf": [{"type": "array", "items": HASH, "minItems": 2, "maxItems": 2},
                                       {"type": "null"}]}},
                    "description": "sparse Merkle proof against app_hash (faechain.ledger.smt.verify_proof)"},
            },
        },
        "HistoryRecord": {
            "type": "object",
            "properties": {
                "height": {"type": "integer"}, "index": {"type": "integer",
                                                         "description": "for end_block: the block's tx count"},
                "kind": {"enum": ["tx", "end_block"]}, "tx_hash": HEX, "block_hash": HASH,
                "block_time": {"type": "integer"}, "signer_org": {"type": "string"}, "signer_cert": HEX,
                "contract": {"type": "string"}, "method": {"type": "string"}, "args": {},
                "code": {"type": "string"}, "message": {"type": "string"}, "result": {},
                "events": {"type": "array", "items": _ref("Event")},
                "via": {"type": "array", "items": {"enum": ["signer", "args", "result", "events"]}},
            },
        },
        "Info": {
            "type": "object",
            "properties": {
                "chain_id": {"type": "string"}, "height": {"type": "integer"}, "app_hash": HASH,
                "block_hash": HASH, "block_time": {"type": "integer"}, "suite": {"type": "string"},
                "dev": {"type": "boolean"}, "engine": {"type": "string"},
                "time": {"type": "integer", "description": "the node's chain clock (unix ms; includes a dev offset)"},
                "wall_time": {"type": "integer"}, "anonymous_reads": {"type": "boolean"},
                "open_reads": {"type": "boolean"},
                "version": {"type": "string"},
            },
        },
    }


def build_document(version: str) -> dict:
    paths = {
        "/": {"get": {"summary": "Home page (HTML)", "operationId": "home", "tags": ["node"],
                      "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}}}},
        "/healthz": {"get": {
            "summary": "Health", "operationId": "healthz", "tags": ["node"],
            "description": "200 while the node can take and commit transactions; 503 when it cannot: block "
                           "production stopped, or the consensus engine (CometBFT) is unreachable.",
            "responses": {"200": _json({"type": "object", "properties": {
                "ok": {"const": True}, "height": {"type": "integer"}}}, "the node is serving"),
                "503": _err("`unavailable`: block production stopped or the consensus engine is unreachable "
                            "(the body also has `ok`: false and `height`)")}}},
        "/metrics": {"get": {
            "summary": "Prometheus metrics", "operationId": "metrics", "tags": ["node"],
            "description": "Text exposition format 0.0.4: fae_height, fae_blocks_total, "
                           "fae_block_commit_seconds (summary), fae_txs_committed_total{code}, "
                           "fae_mempool_size, fae_event_subscribers, fae_http_requests_total{method,route,status}, "
                           "fae_vault_requests_total{op,outcome}.",
            "responses": {"200": {"description": "metrics", "content": {"text/plain": {}}}}}},
        "/openapi.json": {"get": {
            "summary": "This document", "operationId": "openapi", "tags": ["node"],
            "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 document")}}},
        "/v1/info": {"get": {
            "summary": "Chain and node information", "operationId": "info", "tags": ["chain"],
            "responses": {"200": _json(_ref("Info"), "the head of the chain")}}},
        "/v1/txs": {"post": {
            "summary": "Submit a signed transaction", "operationId": "submitTx", "tags": ["transactions"],
            "description": "The body is the signed envelope's bytes (`application/octet-stream`) or "
                           "`{\"tx\": \"<base64>\"}`. `check_tx` runs first: a rejection answers at once "
                           "(400; 413 `too_large`, 409 `replay`, 429 `mempool_full`). Accepted with "
                           "`wait=true` (the default) answers 200 with the receipt once the block commits "
                           "— also when the contract rejected it (`receipt.code` says so); with "
                           "`wait=false`, or if `timeout` passes first, 202 with the hash.",
            "parameters": [
                _q("wait", {"type": "boolean", "default": True}, "wait for the block"),
                _q("timeout", {"type": "number", "default": 30, "maximum": 300}, "seconds to wait"),
            ],
            "requestBody": {"required": True, "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                J: {"schema": {"type": "object", "required": ["tx"], "properties": {
                    "tx": {"type": "string", "contentEncoding": "base64"}}}}}},
            "responses": {
                "200": _json(_ref("Receipt"), "committed; the receipt"),
                "202": _json(_ref("Pending"), "accepted into the mempool, not yet committed"),
                "400": _err("rejected by check_tx (" + ", ".join(f"`{c}`" for c in CHECK_400) + ") or a "
                            "malformed request (`bad_request`)", *CHECK_400, "bad_request"),
                "409": _err("`replay`: already executed"),
                "413": _err("`too_large`"),
                "429": _err("`mempool_full`: retry later"),
            }}},
        "/v1/txs/dry-run": {"post": {
            "summary": "Try a signed transaction without committing it", "operationId": "dryRunTx",
            "tags": ["transactions"],
            "description": "The body is a signed envelope, as for `POST /v1/txs`. The node runs it through "
                           "the block's own checks and its contract against the committed head, at the next "
                           "height and the chain's time, and answers 200 with the receipt the block would "
                           "give — `code` and `message` of a refusal, or the result and events — and "
                           "`dry_run: true`. Nothing is committed or spent: the same envelope can be "
                           "submitted afterwards. Advice, not a promise: transactions ahead of it in the "
                           "mempool and the end-of-block work are not applied. A member node passes it on "
                           "to a validator.",
            "requestBody": {"required": True, "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                J: {"schema": {"type": "object", "required": ["tx"], "properties": {
                    "tx": {"type": "string", "contentEncoding": "base64"}}}}}},
            "responses": {
                "200": _json(_ref("Receipt"), "what the block would answer (`dry_run: true`)"),
                "400": _err("a malformed request (`bad_request`)", "bad_request"),
                "413": _err("`too_large`"),
            }}},
        "/v1/txs/batch": {"post": {
            "summary": "Submit many signed transactions at once", "operationId": "submitTxBatch",
            "tags": ["transactions"],
            "description": "At most 1,000 envelopes: a canonical CBOR array of envelope byte strings "
                           "(`application/cbor`) or `{\"txs\": [\"<base64>\", ...]}`. All are checked "
                           "together (one `check_tx` batch); the answer is 200 with one result per "
                           "envelope, in request order: the receipt (as `POST /v1/txs` answers 200) when "
                           "`wait=true` and it committed within `timeout`; `{tx_hash, status: \"pending\"}` "
                           "when not waiting or the timeout passed; or the check rejection "
                           "`{code, message, tx_hash}`. One refused envelope never fails the others. "
                           "The request as a whole fails only when malformed (400 `bad_request`) or too "
                           "large (413 `too_large`: more than 1,000 envelopes or the body limit).",
            "parameters": [
                _q("wait", {"type": "boolean", "default": True}, "wait for the blocks"),
                _q("timeout", {"type": "number", "default": 30, "maximum": 300},
                   "seconds to wait for the whole batch"),
            ],
            "requestBody": {"required": True, "content": {
                "application/cbor": {"schema": {"type": "string", "format": "binary",
                                                "description": "canonical CBOR array of byte strings"}},
                J: {"schema": {"type": "object", "required": ["txs"], "properties": {
                    "txs": {"type": "array", "maxItems": 1000,
                            "items": {"type": "string", "contentEncoding": "base64"}}}}}}},
            "responses": {
                "200": _json({"type": "object", "required": ["results"], "properties": {
                    "results": {"type": "array", "items": {"oneOf": [
                        _ref("Receipt"), _ref("Pending"),
                        {"type": "object", "required": ["code", "message", "tx_hash"], "properties": {
                            "code": {"type": "string"}, "message": {"type": "string"}, "tx_hash": CHECKED_HASH}},
                    ]}}}}, "one result per envelope, in request order"),
                "400": _err("`bad_request`: malformed body or parameters"),
                "413": _err("`too_large`: more than 1,000 envelopes or over the body limit"),
            }}},
        "/v1/txs/{hash}": {"get": {
            "summary": "A committed transaction", "operationId": "getTx", "tags": ["transactions"],
            "security": SIGNED, "parameters": [_p("hash", HASH, "transaction hash"), *AUTH_QUERY],
            "responses": {"200": _json(_ref("Transaction"), "the envelope decoded and its receipt"),
                          "400": _err("`bad_request`: the hash is not 32 bytes in hex"),
                          "404": _err("`not_found`"), **AUTH_ERRORS}}},
        "/v1/blocks/{height}": {"get": {
            "summary": "A block", "operationId": "getBlock", "tags": ["chain"],
            "security": SIGNED,
            "parameters": [_p("height", {"oneOf": [{"type": "integer", "minimum": 0}, {"const": "latest"}]},
                              "block height or `latest`"),
                           _q("raw", {"type": "boolean", "default": False},
                              "also each transaction's `envelope` and stored `receipt` (hex: the bytes the "
                              "header's roots commit to) and the block's `end_block` record (hex, or null)"),
                           *AUTH_QUERY],
            "responses": {"200": _json(_ref("Block"), "header, hash and transactions with receipt codes"),
                          "400": _err("`bad_request`: not a height of 0 to 2^63-1 nor `latest`"),
                          "404": _err("`not_found`"), **AUTH_ERRORS}}},
        "/v1/light/{height}": {"get": {
            "summary": "What a light client checks a block by", "operationId": "getLightBlock", "tags": ["chain"],
            "description": "The canonical header of block `height` and what proves it without trusting this "
                           "node: on the solo engine the block signer's signature (the key genesis declares "
                           "as `block_signer`); on CometBFT the commit and validator set of CometBFT header "
                           "height + 1, whose app hash is the state after faechain block height. The client "
                           "verifies them; the node only relays.",
            "security": SIGNED,
            "parameters": [_p("height", {"type": "integer", "minimum": 0}, "block height"), *AUTH_QUERY],
            "responses": {"200": _json(_ref("LightBlock"), "the header and its signatures"),
                          "400": _err("`bad_request`: not a height of 0 to 2^63-1"),
                          "404": _err("`not_found`: not committed yet (on CometBFT: no header height + 1 yet)"),
                          "503": _err("`unavailable`: the consensus node cannot be asked"),
                          **AUTH_ERRORS}}},
        "/v1/state": {"get": {
            "summary": "A raw state value, optionally proven", "operationId": "getState", "tags": ["chain"],
            "security": SIGNED,
            "parameters": [
                _q("key", {"type": "string"}, "state key as text, e.g. `membership/org/<id>`"),
                _q("key_hex", HEX, "state key as hex (instead of `key`)"),
                _q("height", {"type": "integer", "minimum": 0}, "read as of this height (default: head)"),
                _q("prove", {"type": "boolean", "default": False}, "include a proof against app_hash"),
                *AUTH_QUERY],
            "responses": {"200": _json(_ref("StateValue"), "value (or absence) at the height, to a reader who may "
                                       "read the key's record (docs/confidentiality.md); else 404 not_found"),
                          "400": _err("`bad_request`"),
                          "404": _err("`not_found`: height not committed, or a key the reader may not read"),
                          **AUTH_ERRORS}}},
        "/v1/query/{contract}/{method}": {"post": {
            "summary": "Run a contract query as the signed reader", "operationId": "query", "tags": ["contracts"],
            "description": "The body is a JSON object of named arguments (or canonical CBOR with "
                           "`Content-Type: application/cbor`, for byte arguments). The contract sees the "
                           "reader (`q.caller`): modules show each member its own data; the regulator "
                           "sees all. Runs against one committed height (the head unless `height`).",
            "security": SIGNED,
            "parameters": [_p("contract", {"type": "string"}, "contract name"),
                           _p("method", {"type": "string"}, "query method name"),
                           _q("height", {"type": "integer", "minimum": 0}, "query as of this height"),
                           *AUTH_QUERY],
            "requestBody": {"required": False, "content": {J: {"schema": {"type": "object"}},
                                                          "application/cbor": {}}},
            "responses": {
                "200": _json({"type": "object", "properties": {"result": {}, "height": {"type": "integer"}}},
                             "the query's result"),
                "400": _err("`bad_request`"), "403": _err("`unauthorized`"),
                "404": _err("`unknown_contract`, `unknown_method`, `not_found`"),
                "409": _err("`invalid_state` and similar contract codes"), **AUTH_ERRORS}}},
        "/v1/contracts": {"get": {
            "summary": "Contracts and their methods", "operationId": "contracts", "tags": ["contracts"],
            "security": SIGNED, "parameters": [*AUTH_QUERY],
            "responses": {"200": _json({"type": "object", "properties": {"contracts": {"type": "array", "items": {
                "type": "object", "properties": {"name": {"type": "string"}, "methods": {"type": "array", "items": {
                    "type": "object", "properties": {"name": {"type": "string"},
                                                     "kind": {"enum": ["tx", "query", "internal"],
                                                              "description": "internal: called by other "
                                                                             "contracts only"},
                                                     "doc": {"type": "string"}, "args": {"type": "object"}}}}}}}}},
                "every contract on the chain"), **AUTH_ERRORS}}},
        "/v1/events": {"get": {
            "summary": "Server-sent events: blocks and contract events", "operationId": "events", "tags": ["chain"],
            "description": "`text/event-stream`. History first (from `from`, or after `Last-Event-ID`), then "
                           "live. Per block: each matching `event: contract` "
                           "(`{height, tx, n, contract, type, attrs}`), then `event: block` with `id: <height>` "
                           "(`{height, hash, time, app_hash, txs, codes}`). `contract` and `type` filter "
                           "contract events; `blocks=false` leaves out block events. A comment line is "
                           "sent every 15 s as a heartbeat. A subscriber that falls too far behind gets "
                           "`event: error` (`{code: \"too_slow\", from}`) and the stream ends; at shutdown "
                           "`event: error` with `unavailable`.",
            "security": SIGNED,
            "parameters": [
                _q("from", {"type": "integer", "minimum": 0}, "first height to replay (default: live only)"),
                _q("contract", {"type": "string"}, "only this contract's events"),
                _q("type", {"type": "string"}, "only events of this type"),
                _q("blocks", {"type": "boolean", "default": True}, "include block events"),
                {"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string"},
                 "description": "resume after this block height (set by EventSource on reconnect)"},
                *AUTH_QUERY],
            "responses": {"200": {"description": "the event stream", "content": {"text/event-stream": {}}},
                          "400": _err("`bad_request`: `from` or `Last-Event-ID` is not a height"),
                          **AUTH_ERRORS}}},
        "/v1/sync/{height}": {"get": {
            "summary": "A block as a member node of the reader's organisation keeps it", "operationId": "syncBlock",
            "tags": ["chain"],
            "description": "What a member node (faechain.member) follows the validators by: the header; per "
                           "transaction its index, hash, receipt hash and `leaf` (SHA-256 of the envelope), with "
                           "envelope and receipt to a reader who may see it (else `withheld: true`); the event "
                           "rows the reader may see; each state value the block wrote that the reader may read, "
                           "with its proof against the block's app hash (`writes`); and the keys the reader "
                           "could read before the block and may not after it (`hidden`).",
            "security": SIGNED,
            "parameters": [_p("height", {"type": "integer", "minimum": 0}, "block height"), *AUTH_QUERY],
            "responses": {"200": _json({"type": "object", "properties": {
                "height": {"type": "integer"}, "header": HEX, "block_hash": HEX,
                "txs": {"type": "array", "items": {"type": "object"}},
                "end_block_hash": {"type": ["string", "null"]},
                "events": {"type": "array", "items": {"type": "object"}},
                "writes": {"type": "array", "items": {"type": "object"}},
                "hidden": {"type": "array", "items": HEX}}}, "the block as the reader's member node keeps it"),
                          "400": _err("`bad_request`: not a height"),
                          "404": _err("`not_found`: past the head"),
                          "413": _err("`too_large`: the block wrote more values than a member node is sent"),
                          **AUTH_ERRORS}}},
        "/v1/snapshot/{height}": {"get": {
            "summary": "The state as of a block that the reader may read, with proofs", "operationId": "snapshot",
            "tags": ["chain"],
            "description": "Pages through every live state value as of the block (`after`: the `next` of the "
                           "page before); each the reader may read comes with its proof against the block's app "
                           "hash. Where a member node joining from a checkpoint starts.",
            "security": SIGNED,
            "parameters": [_p("height", {"type": "integer", "minimum": 0}, "block height"),
                           _q("after", HEX, "continue after this key (hex)"),
                           _q("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "keys scanned"),
                           *AUTH_QUERY],
            "responses": {"200": _json({"type": "object", "properties": {
                "height": {"type": "integer"}, "header": HEX, "block_hash": HEX,
                "values": {"type": "array", "items": {"type": "object"}},
                "next": {"type": ["string", "null"]}}}, "a page of the reader's state"),
                          "400": _err("`bad_request`"), "404": _err("`not_found`: past the head"),
                          **AUTH_ERRORS}}},
        "/v1/vault/{hash}": {
            "put": {
                "summary": "Store a document in the node's vault", "operationId": "putDocument",
                "tags": ["vault"],
                "description": "The body is the document's bytes; they must hash (with the chain's hash "
                               "function) to `hash`, or nothing is stored (400 `hash_mismatch`). Always "
                               "signed, also where anonymous reads are allowed; the signature covers the "
                               "SHA-256 of the body. The node first asks the contract `scope`, as the "
                               "signer, `vault_upload(subject, hash)`: a refusal keeps its code (403 "
                               "`unauthorized`, 404 `not_found`, ...); a contract without that query is 404 "
                               "`unknown_scope`. The body may exceed the usual request limit, up to the "
                               "node's `vault_max_bytes` (413 `too_large`). A document is never "
                               "overwritten: storing bytes that are already there answers `stored: false`. "
                               "Subject `person` (scopes `npa`, `membership`): a personal data document "
                               "(canonical CBOR of a salt and a name, ID type and number), whose hash the chain "
                               "keeps as the person's commitment; a malformed one is 400 `bad_request`, one "
                               "erased on chain 409 `invalid_state`.",
                "security": SIGNED,
                "parameters": [_p("hash", HASH, "the document's hash"),
                               _q("scope", {"type": "string"}, "the contract the document belongs to", True),
                               _q("subject", {"type": "string"},
                                  "the business object in that contract (e.g. a plan id)", True),
                               *AUTH_QUERY],
                "requestBody": {"required": True, "content": {BYTES: {"schema": {"type": "string",
                                                                                 "format": "binary"}}}},
                "responses": {
                    "201": _json({"type": "object", "required": ["hash", "size", "stored"], "properties": {
                        "hash": HASH, "size": {"type": "integer"},
                        "stored": {"type": "boolean", "description": "false: the same bytes were already there"}}},
                        "the document is in the vault"),
                    "400": _err("`hash_mismatch` (nothing stored), `bad_request`"),
                    "403": _err("`unauthorized`: the contract refuses this signer"),
                    "404": _err("`unknown_scope`, `not_found`"),
                    "413": _err("`too_large`: over the node's `vault_max_bytes`"),
                    "500": _err("`vault_damaged`: the stored copy under this hash is damaged"),
                    **AUTH_ERRORS}},
            "get": {
                "summary": "Fetch a document from the node's vault", "operationId": "getDocument",
                "tags": ["vault"],
                "description": "The node asks the contract `scope`, as the reader, `vault_document(hash)` "
                               "for the document's on-chain record; a refusal keeps its code (403 "
                               "`unauthorized`, 404 `not_found`, ...), a contract without that query is 404 "
                               "`unknown_scope`. The bytes are re-hashed before they are sent: a damaged "
                               "copy answers 500 `vault_damaged` (restore it from a peer or a backup). A "
                               "document this node does not hold is fetched, for a signed reader, from the "
                               "node's `vault_peers` in turn (the same request with the reader's credentials "
                               "and `X-Fae-Forwarded: 1`, which a peer never passes on), kept once its bytes "
                               "hash to `hash`, and served; none has it: 404 `not_in_vault`. "
                               "`Content-Type` is the "
                               "record's `media_type` (a plain type/subtype) or `application/octet-stream`; "
                               "always `Content-Disposition: attachment`. Clients should re-hash the bytes "
                               "too.",
                "security": SIGNED,
                "parameters": [_p("hash", HASH, "the document's hash"),
                               _q("scope", {"type": "string"}, "the contract the document belongs to", True),
                               {"name": "X-Fae-Forwarded", "in": "header", "required": False,
                                "schema": {"type": "string", "enum": ["1"]},
                                "description": "set by a node asking its vault peers: answer from this "
                                               "node's vault only"},
                               *AUTH_QUERY],
                "responses": {
                    "200": {"description": "the document's bytes",
                            "headers": {"X-Fae-Doc-Hash": {"schema": HASH, "description": "the document's hash"}},
                            "content": {BYTES: {"schema": {"type": "string", "format": "binary"}},
                                        "*/*": {"schema": {"type": "string", "format": "binary"}}}},
                    "400": _err("`bad_request`"),
                    "403": _err("`unauthorized`: the contract refuses this reader"),
                    "404": _err("`unknown_scope`, `not_found`, `not_in_vault`"),
                    "500": _err("`vault_damaged`: the stored copy is damaged; nothing is sent"),
                    **AUTH_ERRORS}},
        },
        "/v1/history": {"get": {
            "summary": "Everything that names a reference (regulator views)", "operationId": "history",
            "tags": ["audit"],
            "description": "The committed transactions (successful or rejected) and end-block events that "
                           "name `ref`, oldest first: an organisation (USCC id: what it signed and what names "
                           "it), an asset (a voucher, plan, package, auction or invoice id), a bank reference. "
                           "A reference is a text value of 3 to 128 characters with a digit and no "
                           "whitespace found in a transaction's arguments, result or events (see "
                           "`faechain.ledger.history`); `via` says where. Only the REGULATOR and the "
                           "EXCHANGE may read it (403 `forbidden` for other members). Paged: pass the "
                           "previous page's `next` as `after`; `next` is null on the last page.",
            "security": SIGNED,
            "parameters": [
                _q("ref", {"type": "string", "maxLength": 128}, "the reference, e.g. V-12-0-3 or a USCC id", True),
                _q("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}, "page size"),
                _q("after", {"type": "string", "pattern": "^[0-9]+:[0-9]+$"},
                   "cursor `<height>:<index>`: the previous page's `next`"),
                *AUTH_QUERY],
            "responses": {
                "200": _json({"type": "object", "required": ["ref", "height", "items", "next"], "properties": {
                    "ref": {"type": "string"}, "height": {"type": "integer", "description": "the head read"},
                    "items": {"type": "array", "items": _ref("HistoryRecord")},
                    "next": {"oneOf": [{"type": "string"}, {"type": "null"}]}}}, "a page of the history"),
                "400": _err("`bad_request`"), "403": _err("`forbidden`: not the regulator or the exchange"),
                **AUTH_ERRORS}}},
        "/v1/audit/export": {"get": {
            "summary": "Audit-trail export as CSV, ZIP or XLSX (regulator views)", "operationId": "auditExport",
            "tags": ["audit"],
            "description": "A file (`Content-Disposition: attachment`), one row per record, oldest first, "
                           "with bilingual headers (中文 / English): height, index, block time (China time, "
                           "UTC+8), kind (`tx` or `end_block`), the signer's code and name, contract, method, "
                           "the main amount in yuan and in fen and where it comes from, the other "
                           "organisations named (name and code), code, message, then the machine columns "
                           "(tx_hash, block_hash, signer_cert, args as canonical JSON, args_sha256, events, "
                           "block_time_ms); see faechain.ledger.audit_columns. `ref` selects the records naming "
                           "a reference (as `/v1/history`), `org` those signed by an organisation, neither "
                           "every record of the range. `csv`: the rows alone, streamed (any CSV reader takes "
                           "it as is). `zip`: the rows and their manifest (`<name>.meta.csv`: format, chain "
                           "id, filter, height range, the last block's hash, app hash and time, who exported "
                           "it and when, the row count and the data file's SHA-256), so `fae audit verify` "
                           "can check every row against a node's blocks. `xlsx`: one workbook, times as date "
                           "cells, amounts as numbers, the manifest in its second sheet; limited to 100,000 "
                           "rows (413 `too_large`). Only the REGULATOR and the EXCHANGE (403 `forbidden` for "
                           "other members).",
            "security": SIGNED,
            "parameters": [
                _q("format", {"enum": ["csv", "zip", "xlsx"], "default": "csv"}, "file format"),
                _q("ref", {"type": "string", "maxLength": 128}, "records naming this reference"),
                _q("org", {"type": "string", "maxLength": 128}, "records signed by this organisation (USCC id)"),
                _q("from_height", {"type": "integer", "minimum": 0, "default": 0}, "first height"),
                _q("to_height", {"type": "integer", "minimum": 0}, "last height (default: the head)"),
                *AUTH_QUERY],
            "responses": {
                "200": {"description": "the export",
                        "headers": {"Content-Disposition": {"schema": {"type": "string"},
                                                            "description": "attachment; filename=..."}},
                        "content": {"text/csv": {"schema": {"type": "string"}},
                                    "application/zip": {"schema": {"type": "string", "format": "binary"}},
                                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                                        "schema": {"type": "string", "format": "binary"}}}},
                "400": _err("`bad_request`"), "403": _err("`forbidden`: not the regulator or the exchange"),
                "404": _err("`not_found`: to_height is not committed"),
                "413": _err("`too_large`: more rows than an XLSX export holds"), **AUTH_ERRORS}}},
        "/v1/dev/advance_time": {"post": {
            "summary": "Advance a dev chain's clock", "operationId": "advanceTime", "tags": ["dev"],
            "description": "Only on a chain whose genesis says `dev: true`; any other node answers 403 "
                           "`forbidden`. Answers after the engine has committed a block at the new time.",
            "security": SIGNED,
            "requestBody": {"required": True, "content": {J: {"schema": {
                "type": "object", "required": ["seconds"],
                "properties": {"seconds": {"type": "integer", "minimum": 1}}}}}},
            "responses": {
                "200": _json({"type": "object", "properties": {
                    "offset_ms": {"type": "integer"}, "time": {"type": "integer"},
                    "height": {"type": "integer"}, "block_time": {"type": "integer"}}}, "the new clock"),
                "400": _err("`bad_request`"), "403": _err("`forbidden`: not a dev chain"), **AUTH_ERRORS}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "faechain node API", "version": version, "description": DESCRIPTION},
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "signedRead": {"type": "apiKey", "in": "header", "name": "X-Fae-Signature",
                               "description": "with X-Fae-Signer, X-Fae-Date and optionally X-Fae-Cert; "
                                              "see the API description"},
            },
            "responses": {},
        },
        "tags": [{"name": n} for n in ("node", "chain", "transactions", "contracts", "vault", "audit", "dev")],
    }


def _codes_of(response: dict) -> list[str]:
    schema = (response.get("content", {}).get(J) or {}).get("schema") or {}
    for part in schema.get("allOf", []):
        enum = part.get("properties", {}).get("code", {}).get("enum")
        if enum:
            return enum
    return []


def _merge(op: dict, status: str, description: str, code: str) -> None:
    """Add `code` to the error response `status` of `op` (making the response if missing)."""
    responses = op.setdefault("responses", {})
    own = responses.get(status)
    if own is None:
        responses[status] = error_response(description, [code])
    elif code not in _codes_of(own):
        responses[status] = error_response(own["description"], [*_codes_of(own), code])


def finish(doc: dict) -> dict:
    """The served document: every error response (the console's too) lists its codes; every
    route the load-shedding answers (413, 408, 429: faechain.api.limits); and the console's
    signed read (a proxy of GET /v1/...) every error those routes answer."""
    for item in doc["paths"].values():
        for op in item.values():
            for status, response in op.get("responses", {}).items():
                content = response.get("content", {}).get(J)
                if status.isdigit() and int(status) >= 400 and content and content.get("schema") == _ref("Error"):
                    content["schema"] = error_response(response["description"])["content"][J]["schema"]
    for path, item in doc["paths"].items():
        for op in item.values():
            _merge(op, "413", "`too_large`: a request body over the node's limit", "too_large")
            if path not in ("/healthz", "/metrics"):  # always answered (faechain.api.limits)
                _merge(op, "408", "`request_timeout`: the request body did not arrive in time", "request_timeout")
                _merge(op, "429", "`busy`: too many requests (or event streams) in flight; retry after "
                                  "`Retry-After` seconds", "busy")
    read = doc["paths"].get("/console/api/read/{path}", {}).get("get")
    if read is not None:
        proxied: dict[str, set[str]] = {}
        for path, item in doc["paths"].items():
            if path.startswith("/v1/") and "get" in item:
                for status, response in item["get"]["responses"].items():
                    if status.isdigit() and int(status) >= 400:
                        proxied.setdefault(status, set()).update(_codes_of(response))
        for status, codes in sorted(proxied.items()):
            own = read["responses"].get(status)
            merged = codes | set(_codes_of(own) if own else ())
            text = (own or {}).get("description") or f"what GET /v1/{{path}} answered with {status}"
            read["responses"][status] = error_response(text, merged)
    return doc
