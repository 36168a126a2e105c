"""Load shedding and slow-client limits of the node's HTTP server (NodeConfig fields).

    max_body_bytes     a body over it: 413 `too_large` (Content-Length, or while reading)
    body_timeout       seconds a client has to send a request body of up to max_body_bytes
                       (a vault upload: that many per max_body_bytes of its size); slower:
                       408 `request_timeout` and the connection is closed
    idle_timeout       seconds a connection may go without a complete request line and
                       headers (from its opening, and between keep-alive requests): a client
                       sending its headers slowly is cut off, and idle connections closed
    max_inflight       requests handled at once, event streams not counted: 429 `busy`
                       beyond (Retry-After: 1); /healthz and /metrics are always served
    max_event_streams  event streams open at once (/v1/events, the console's): 429 `busy`
    max_mempool        (the engine's) transactions waiting: 429 `mempool_full` beyond

The HTTP layer's own refusals (a request line or header over 8,190 bytes, a malformed
request) are JSON errors with a stable code like every other (`Runner`).
Block production runs on the engine's threads, not on the event loop, so a node shedding
HTTP load keeps committing blocks.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

# routes that stream for as long as the client stays (counted as event streams)
STREAM_PATHS = frozenset({"/v1/events", "/console/api/events", "/console/api/read/events"})
# always answered: monitoring must see an overloaded node
EXEMPT_PATHS = frozenset({"/healthz", "/metrics"})
RETRY_AFTER = "1"
PROTOCOL_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 408: "request_timeout",
                  413: "too_large", 414: "too_large", 431: "too_large"}


def _error(status: int, code: str, message: str, headers: dict | None = None) -> web.Response:
    return web.Response(body=json.dumps({"code": code, "message": message}).encode(), status=status,
                        content_type="application/json", headers=headers)


class Limits:
    """The in-flight counters and the middleware that enforces them (inside the API's own
    middleware, so its answers are counted in /metrics like any other)."""

    def __init__(self, config, own_body_limit: set):
        self.config = config
        self.own_body_limit = own_body_limit  # routes that read their body under their own limit
        self.inflight = 0
        self.streams = 0
        self.shed = 0  # requests answered 429 busy

    def busy(self, what: str) -> web.Response:
        self.shed += 1
        return _error(429, "busy", f"the node has too many {what} open; retry later", {"Retry-After": RETRY_AFTER})

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        path = request.path
        if path in EXEMPT_PATHS:
            return await handler(request)
        if path in STREAM_PATHS:
            if self.streams >= self.config.max_event_streams:
                return self.busy("event streams")
            self.streams += 1
            try:
                return await handler(request)
            finally:
                self.streams -= 1
        if self.inflight >= self.config.max_inflight:
            return self.busy("requests in flight")
        self.inflight += 1
        try:
            if request.body_exists and request.match_info.route not in self.own_body_limit:
                try:  # the handler's own read() then returns these bytes
                    await asyncio.wait_for(request.read(), self.config.body_timeout)
                except TimeoutError:
                    resp = _error(408, "request_timeout",
                                  f"the request body did not arrive within {self.config.body_timeout:g} s")
                    resp.force_close()
                    return resp
            return await handler(request)
        finally:
            self.inflight -= 1


def body_deadline(config, size_limit: int) -> float:
    """Seconds to receive a body of up to `size_limit` bytes: body_timeout per max_body_bytes."""
    return config.body_timeout * max(1.0, size_limit / max(1, config.max_body_bytes))


def handler_args(config) -> dict:
    """aiohttp RequestHandler settings (web.Application(handler_args=...))."""
    return {"keepalive_timeout": config.idle_timeout}


class _JsonErrorHandler(RequestHandler):
    """aiohttp's protocol handler, answering its own refusals as JSON `{code, message}`."""

    def handle_error(self, request, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        plain = super().handle_error(request, status, exc, message)  # logs; raises if already answering
        reason = (message or "").strip().splitlines()[0][:200] if message else ""
        resp = _error(status, PROTOCOL_CODES.get(status, "internal" if status >= 500 else "bad_request"),
                      reason or HTTPStatus(status).phrase, {k: v for k, v in plain.headers.items()
                                                            if k.lower() == "allow"})
        resp.force_close()
        return resp


class _JsonErrorServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrorHandler(self, loop=self._loop, **self._kwargs)


class Runner(web.AppRunner):
    """web.AppRunner whose connections answer HTTP-level errors as JSON."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _JsonErrorServer  # the same object; only the handler class differs
        return server
