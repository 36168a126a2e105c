"""The console's routes in the node's OpenAPI document (tag `console`).

The console's JSON API is for the console page served by the same node: it
authenticates with a session cookie, not with signed reads, and every POST and DELETE
needs the `X-Fae-CSRF` header. It is documented here so that /openapi.json lists every
route the node serves (tests/api checks that), but programs should use `/v1/` with
signed requests (the SDK) instead.
"""

from __future__ import annotations

J = "application/json"
# an OpenAPI security requirement: scheme name -> the scopes it needs (none)
COOKIE_AUTH: list[dict[str, list[str]]] = [{"consoleSession": []}]
TAG = ["console"]


def _resp(description: str, schema: dict | None = None) -> dict:
    return {"description": description, "content": {J: {"schema": schema or {"type": "object"}}}}


def _err(description: str) -> dict:
    return _resp(description, {"$ref": "#/components/schemas/Error"})


CSRF = {"name": "X-Fae-CSRF", "in": "header", "required": True, "schema": {"type": "string"},
        "description": "the session's CSRF token (from GET /console/api/session); any value before sign-in"}
UNAUTH = {"401": _err("`unauthenticated`: no console session (and the node serves no anonymous reads)")}
FORBID = {"403": _err("`forbidden`: missing or wrong X-Fae-CSRF header")}


def _op(op_id: str, summary: str, description: str, responses: dict, *, params=(), body: dict | None = None,
        security=COOKIE_AUTH) -> dict:
    out = {"operationId": op_id, "summary": summary, "description": description, "tags": TAG,
           "parameters": list(params), "responses": responses}
    if security is not None:
        out["security"] = security
    if body is not None:
        out["requestBody"] = {"required": True, "content": {J: {"schema": body}}}
    return out


def _path(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": description}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def paths() -> dict:
    signed = {"type": "object", "description": "every field of the signed body: tx_hash, chain, contract, "
                                               "method, args, nonce (text), expires (ms), signer, signer_name, "
                                               "signer_org, body (the signed CBOR, hex), signature, cert_attached"}
    return {
        "/": {"get": _op("console", "The web console and block explorer",
                         "One HTML page (public); its scripts come from /console/assets/ and talk to "
                         "/console/api/.", {"200": {"description": "the page",
                                                   "content": {"text/html": {"schema": {"type": "string"}}}}},
                         security=None)},
        "/console/assets/{path}": {"get": _op(
            "consoleAsset", "A console asset (JavaScript, CSS)", "Static files of the console, from the "
            "installed package (no third-party code, nothing fetched from elsewhere).",
            {"200": {"description": "the file"}, "404": _err("`not_found`")},
            params=[_path("path", "file path under the console's assets")], security=None)},
        "/console/api/session": {
            "get": _op("consoleSession", "Who is signed in to the console",
                       "`signed_in`, `member`, `csrf`; the sign-in rules (`dev`, `passphrase_required`, "
                       "`sign_in_allowed`); on a dev node the wallet `identities` one may sign in as; "
                       "`features` (governance, audit_export).", {"200": _resp("the session")}, security=None),
            "post": _op("consoleSignIn", "Sign in to the console as a wallet identity",
                        "Loads `<home>/wallet/<name>/` in the node; the key never leaves it. On a dev chain "
                        "served on loopback no passphrase is needed unless one is set; elsewhere the "
                        "passphrase set by `fae node console-passphrase` (refused, 403, while none is set). "
                        "Sets an HttpOnly SameSite=Strict cookie.",
                        {"200": _resp("signed in"), "400": _err("`bad_request`"),
                         "401": _err("`unauthenticated`: wrong passphrase, or the identity is not a member"),
                         "403": _err("`forbidden`: no passphrase configured, CSRF header missing, or too many "
                                     "failures"), "404": _err("`not_found`: no such identity")},
                        params=[CSRF], security=None,
                        body={"type": "object", "required": ["name"],
                              "properties": {"name": {"type": "string"}, "passphrase": {"type": "string"}}}),
            "delete": _op("consoleSignOut", "Sign out", "Ends the session.", {"200": _resp("signed out"), **FORBID},
                          params=[CSRF], security=None),
        },
        "/console/api/query/{contract}/{method}": {"post": _op(
            "consoleQuery", "Run a contract query as the signed-in member",
            "As POST /v1/query/{contract}/{method}, with the session's member as the reader. Arguments as a "
            "JSON object; `{\"$bytes\": \"<hex>\"}` stands for a byte string.",
            {"200": _resp("{result, height}"), "400": _err("`bad_request`"), **UNAUTH, **FORBID,
             "404": _err("`unknown_contract`, `unknown_method`, `not_found`")},
            params=[_path("contract", "contract name"), _path("method", "query name"), CSRF],
            body={"type": "object"})},
        "/console/api/tx/prepare": {"post": _op(
            "consolePrepare", "Sign a transaction for the signed-in member (not yet submitted)",
            "The node signs `contract.method(args)` with the member's wallet key (expiry from the chain's "
            "clock) and holds the envelope in the session; the answer shows every signed field and the "
            "signed body bytes, for the member to check before confirming with /console/api/tx/submit.",
            {"200": _resp("{signed, now}"), "400": _err("`bad_request`"), **UNAUTH, **FORBID,
             "404": _err("`not_found`: no such transaction method")},
            params=[CSRF], body={"type": "object", "required": ["contract", "method"], "properties": {
                "contract": {"type": "string"}, "method": {"type": "string"}, "args": {"type": "object"}}})},
        "/console/api/tx/submit": {"post": _op(
            "consoleSubmit", "Submit a prepared transaction and wait for its receipt",
            "Submits the envelope prepared in this session (as POST /v1/txs) and answers with what was signed "
            "and the receipt (a refused transaction is a receipt with `ok` false and its code).",
            {"200": _resp("{signed, receipt}", {"type": "object", "properties": {
                "signed": signed, "receipt": {"$ref": "#/components/schemas/Receipt"}}}),
             "400": _err("`bad_request`"), **UNAUTH, **FORBID,
             "404": _err("`not_found`: nothing prepared under that hash (expired or already sent)")},
            params=[CSRF], body={"type": "object", "required": ["tx_hash"],
                                 "properties": {"tx_hash": {"type": "string"}}})},
        "/console/api/blocks": {"get": _op(
            "consoleBlocks", "The latest blocks (explorer)", "Newest first, each as GET /v1/blocks/{height}.",
            {"200": _resp("{head, blocks}"), "400": _err("`bad_request`: limit or before not an integer"), **UNAUTH},
            params=[_query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}, "how many"),
                    _query("before", {"type": "integer"}, "only blocks below this height")])},
        "/console/api/blocks/{height}": {"get": _op(
            "consoleBlock", "One block (explorer)", "As GET /v1/blocks/{height}.",
            {"200": _resp("the block", {"$ref": "#/components/schemas/Block"}), **UNAUTH,
             "400": _err("`bad_request`: not a height nor `latest`"),
             "404": _err("`not_found`")}, params=[_path("height", "height or `latest`")])},
        "/console/api/txs/{hash}": {"get": _op(
            "consoleTx", "A transaction with its signer's certificate chain and the state it changed",
            "The decoded envelope (with the signed body), receipt and events; `certificates`: the signer's "
            "certificate record, organisation and organisation CA from membership state at that height (and "
            "whether the attached certificate was issued by that CA); `writes`: every state key written in the "
            "transaction's block with its value and a proof against the block's app hash, `attributed` when the "
            "key names an id from the transaction's arguments, result or events (state is written per block, "
            "so keys of other transactions or end-of-block work in the same block are listed unattributed).",
            {"200": _resp("the transaction"), "400": _err("`bad_request`"), **UNAUTH, "404": _err("`not_found`")},
            params=[_path("hash", "transaction hash, hex")])},
        "/console/api/events": {"get": _op(
            "consoleEvents", "Server-sent events for the console",
            "As GET /v1/events (same parameters and stream format), authenticated by the session.",
            {"200": {"description": "event stream", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
             "400": _err("`bad_request`: from or Last-Event-ID not a height"), **UNAUTH},
            params=[_query("from", {"type": "integer"}, "first height"),
                    _query("contract", {"type": "string"}, "only this contract's events"),
                    _query("type", {"type": "string"}, "only events of this type"),
                    _query("blocks", {"type": "boolean", "default": True}, "include block events")])},
        "/console/api/events/recent": {"get": _op(
            "consoleRecentEvents", "The latest committed contract events",
            "Newest first, each with height, tx index, contract, type, attrs and its block's time.",
            {"200": _resp("{events, height}"), "400": _err("`bad_request`: limit not an integer"), **UNAUTH},
            params=[_query("contract", {"type": "string"}, "only this contract's events"),
                    _query("type", {"type": "string"}, "only events of this type"),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}, "how many")])},
        "/console/api/search": {"get": _op(
            "consoleSearch", "The explorer's search: organisations, ids, heights, hash prefixes",
            "Groups of what `q` names that the session's member may see (faechain/console/search.py): "
            "organisations by any part of their name or the beginning of their code; vouchers, plans, packages, "
            "products, auctions, financings and invoices by id or its beginning; a block by height; blocks and "
            "transactions by at least 6 hex characters of their hash. A record the member may not read is left "
            "out exactly as one that does not exist.",
            {"200": _resp("{height, groups: [{kind, items, more}], per_group, notes}"),
             "400": _err("`bad_request` with `reason`: empty, too_long, too_short or not_hex"), **UNAUTH},
            params=[_query("q", {"type": "string", "maxLength": 128}, "what to search for")])},
        "/console/api/genesis": {"get": _op(
            "consoleGenesis", "The chain's genesis, canonically encoded (the browser's trust anchor)",
            "`canonical`: the genesis document as canonical CBOR, hex (the bytes whose hash is block 0's "
            "parent). The console decodes it from these bytes, pins their SHA-256 in the browser on first use "
            "and refuses a node that later serves another (compare with `fae genesis hash`).",
            {"200": _resp("{chain_id, suite, canonical}", {
                "type": "object", "required": ["chain_id", "suite", "canonical"],
                "properties": {"chain_id": {"type": "string"}, "suite": {"type": "string"},
                               "canonical": {"type": "string"}}}), **UNAUTH})},
        "/console/api/refusals": {"get": _op(
            "consoleRefusals", "The refusals catalog: every refusal the chain writes, in Chinese and English",
            "The same document for everyone (faechain/core/refusals_zh.json): each refusal template as the "
            "chain writes it in English, its Chinese, and the kind of each placeholder (an amount in fen, a "
            "time, basis points...), with a sentence per code. The console renders receipts' messages from it "
            "in the member's language, amounts in 元 and times in China time, as faechain.core.refusals does.",
            {"200": _resp("the catalog", {"type": "object"})}, security=None)},
        "/console/api/light/{height}": {"get": _op(
            "consoleLight", "What the browser's light client checks block {height}'s header by",
            "As GET /v1/light/{height}, for the session: the header bytes and the block signer's signature "
            "(solo) or CometBFT's commit and validators at height + 1. Relayed, not trusted: the console "
            "verifies the signatures against the genesis pinned in the browser.",
            {"200": _resp("the light block", {"$ref": "#/components/schemas/LightBlock"}),
             "400": _err("`bad_request`: not a height"), **UNAUTH,
             "404": _err("`not_found`: no signed header for that height yet"),
             "503": _err("`unavailable`: the consensus node cannot be asked")},
            params=[_path("height", "a faechain block height")])},
        "/console/api/read/{path}": {"get": _op(
            "consoleSignedRead", "GET /v1/{path} as a read signed by the signed-in member",
            "The node signs the read with the member's wallet key and fetches it from itself, so the "
            "/v1/ route's own rules decide (documents from the vault, the audit export, contract "
            "descriptions, ...); status, body and content type are passed through.",
            {"200": {"description": "what /v1/{path} answered"}, **UNAUTH},
            params=[_path("path", "the path under /v1/, with its query string")])},
    }


def extend(doc: dict) -> dict:
    """Add the console's paths, tag and cookie security scheme to an OpenAPI document."""
    doc.setdefault("paths", {}).update(paths())
    tags = doc.setdefault("tags", [])
    if not any(t.get("name") == "console" for t in tags):
        tags.append({"name": "console", "description": "the web console's session API (for the console page)"})
    schemes = doc.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["consoleSession"] = {"type": "apiKey", "in": "cookie", "name": "fae_console",
                                 "description": "console session cookie (POST /console/api/session)"}
    return doc
